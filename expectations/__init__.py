"""Great Expectations suites, stored as JSON beside this module, run on canonical death records.

GX is imported only when a suite runs (no side effects at import), with analytics off and an
in-memory ephemeral context, so nothing is written to ~ or sent over the network.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from ..domain.definitions import ADULT_AGE
from ..errors import crash_detail

ROW_COLUMN = "_row"
SUITE_PARAMETERS = {"oldest_child_age": ADULT_AGE - 1}


@dataclass(frozen=True)
class SuiteFindings:
    failing_rows: dict[str, list[int]]
    crashed: dict[str, str]


def load_suite_definition(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


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
    suite = gx.ExpectationSuite(name=f"{name}-{id(frame)}")
    for expectation in definition["expectations"]:
        config = gx.expectations.expectation_configuration.ExpectationConfiguration(
            type=expectation["type"], kwargs=expectation["kwargs"], meta=expectation.get("meta", {})
        )
        suite.add_expectation_configuration(config)
    data = frame.assign(**{ROW_COLUMN: range(len(frame))})
    data = _gx_friendly(data)
    source_name = f"frame-{id(frame)}"
    datasource = context.data_sources.add_or_update_pandas(source_name)
    batch = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(suite)
    validation = context.validation_definitions.add(gx.ValidationDefinition(name=suite.name, data=batch, suite=suite))
    with contextlib.redirect_stderr(io.StringIO()):
        result = validation.run(
            batch_parameters={"dataframe": data},
            expectation_parameters={**SUITE_PARAMETERS, **(parameters or {})},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_COLUMN]},
        )
    context.validation_definitions.delete(validation.name)
    context.suites.delete(suite.name)
    context.data_sources.delete(source_name)
    failing: dict[str, list[int]] = {}
    crashed: dict[str, str] = {}
    for item in result.results:
        check_id = item.expectation_config.meta["check_id"]
        info = item.exception_info or {}
        if info.get("raised_exception"):
            last_line = str(info.get("exception_traceback") or "").strip().splitlines()[-1:] or [""]
            crashed[check_id] = crash_detail(last_line[0] or str(info.get("exception_message") or ""))
            continue
        if item.success:
            failing.setdefault(check_id, [])
            continue
        rows = [entry[ROW_COLUMN] for entry in item.result.get("unexpected_index_list") or []]
        if not rows and item.result.get("unexpected_count"):
            crashed[check_id] = "failed without naming its rows"
            continue
        failing.setdefault(check_id, []).extend(int(r) for r in rows)
    return SuiteFindings(failing, crashed)


def _gx_friendly(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable extension dtypes confuse some GX metrics; hand it plain numpy-backed columns."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.Int64Dtype):
            out[column] = out[column].astype("float64")
        elif isinstance(dtype, pd.BooleanDtype):
            out[column] = out[column].astype(object)
    return out
