"""Great Expectations suites, stored as JSON beside this module, run on canonical death records.

GX is imported only when a suite runs (no side effects at import), with analytics off and an
in-memory ephemeral context, so nothing is written to ~ or sent over the network. The CLI runs the
suites in a worker process that imports GX while the main process reads (`worker.py`); `run_suite`
is what that worker calls, and what runs in-process when no worker is used.

This module imports neither pandas nor GX at import, so the worker can be started before either.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..errors import crash_detail

if TYPE_CHECKING:
    import pandas as pd

ROW_COLUMN = "_row"
_RUNS = itertools.count(1)  # each run's names in the context are its own, whatever ran (or failed) before it


def suite_parameters() -> dict[str, Any]:
    from ..domain.definitions import ADULT_AGE

    return {"oldest_child_age": ADULT_AGE - 1}


@dataclass(frozen=True)
class SuiteFindings:
    failing_rows: dict[str, list[int]]
    crashed: dict[str, str]


def load_suite_definition(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def suite_check_ids(name: str) -> tuple[str, ...]:
    """Every check id the suite reports, in its order: what a suite that could not run reports as crashed."""
    return tuple(dict.fromkeys(e["meta"]["check_id"] for e in load_suite_definition(name)["expectations"]))


@lru_cache(maxsize=1)
def _context() -> Any:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def run_suite(frame: pd.DataFrame, name: str, parameters: dict[str, Any] | None = None) -> SuiteFindings:
    import great_expectations as gx

    definition = load_suite_definition(name)
    context = _context()
    run = next(_RUNS)
    suite = gx.ExpectationSuite(name=f"{name}-{run}")
    for expectation in definition["expectations"]:
        config = gx.expectations.expectation_configuration.ExpectationConfiguration(
            type=expectation["type"], kwargs=expectation["kwargs"], meta=expectation.get("meta", {})
        )
        suite.add_expectation_configuration(config)
    data = frame.assign(**{ROW_COLUMN: range(len(frame))})
    data = _gx_friendly(data)
    source_name = f"frame-{run}"
    try:
        datasource = context.data_sources.add_or_update_pandas(source_name)
        batch = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(suite)
        validation = context.validation_definitions.add(gx.ValidationDefinition(name=suite.name, data=batch, suite=suite))
        with contextlib.redirect_stderr(io.StringIO()):
            result = validation.run(
                batch_parameters={"dataframe": data},
                expectation_parameters={**suite_parameters(), **(parameters or {})},
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_COLUMN]},
            )
    finally:
        _forget(context, suite.name, source_name)
    return _findings(result)


def _forget(context: Any, suite_name: str, source_name: str) -> None:
    """Remove what a run added to the context, as far as it got."""
    for remove in (
        lambda: context.validation_definitions.delete(suite_name),
        lambda: context.suites.delete(suite_name),
        lambda: context.data_sources.delete(source_name),
    ):
        with contextlib.suppress(Exception):
            remove()


def _findings(result: Any) -> SuiteFindings:
    failing: dict[str, list[int]] = {}
    crashed: dict[str, str] = {}
    for item in result.results:
        check_id = item.expectation_config.meta["check_id"]
        raised = _raised(item.exception_info or {})
        if raised is not None:
            crashed[check_id] = crash_detail(raised)
            continue
        if item.success:
            failing.setdefault(check_id, [])
            continue
        rows = [entry[ROW_COLUMN] for entry in item.result.get("unexpected_index_list") or []]
        if not rows:  # a failure that names no row proves nothing, so it must not pass
            crashed[check_id] = "failed without naming its rows"
            continue
        failing.setdefault(check_id, []).extend(int(r) for r in rows)
    return SuiteFindings(failing, crashed)


def _raised(info: dict[str, Any]) -> str | None:
    """What an expectation raised, or None. GX reports it flat, or per metric (keyed by the metric's id), and
    `raised_exception` may be True or the text "True"."""
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if str(entry.get("raised_exception")).lower() == "true":
            last_line = str(entry.get("exception_traceback") or "").strip().splitlines()[-1:] or [""]
            return last_line[0] or str(entry.get("exception_message") or "")
    return None


def _gx_friendly(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable extension dtypes confuse some GX metrics; hand it plain numpy-backed columns."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.Int64Dtype):
            out[column] = out[column].astype("float64")
        elif isinstance(dtype, pd.BooleanDtype):
            out[column] = out[column].astype(object)
    return out
