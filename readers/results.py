"""A results.json that triangulate wrote (`check`, `reconcile` or `run`), read back for `triangulate acknowledge`:
each keyed finding with its status, its evidence and its record ids, and the keys that blocked the release."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .files import open_regular

MAX_RESULTS_BYTES = 2 << 30  # a national run's JSON, record ids and all, is tens of megabytes


@dataclass(frozen=True)
class ResultFinding:
    key: str
    status: str
    evidence: Mapping[str, Any] | None  # absent where the run withheld it (--publish) or the finding did not fail
    record_ids: tuple[str, ...]


@dataclass(frozen=True)
class Results:
    path: Path
    findings: Mapping[str, ResultFinding]  # by key, in the document's order
    blocking: tuple[str, ...]


def read_results(path: Path) -> Results:
    with open_regular(path, InputError, "results file") as handle:
        data = handle.read(MAX_RESULTS_BYTES + 1)
    if len(data) > MAX_RESULTS_BYTES:
        raise InputError(f"is over {MAX_RESULTS_BYTES >> 30} GB; not a results.json of triangulate's", path=path)
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text; expected a results.json written by triangulate", path=path) from None
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON ({error.msg})", path=path, where=f"line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise InputError("nested too deeply to be a results.json of triangulate's", path=path) from None
    if not isinstance(document, dict) or not isinstance(document.get("blocking"), list):
        raise InputError("has no `blocking` list: not a results.json of `triangulate check`, `reconcile` or `run` "
                         "(or one written before acknowledgements; rerun)", path=path)  # fmt: skip
    findings: dict[str, ResultFinding] = {}
    try:
        for item in _keyed(document):
            key = item["key"]
            if not isinstance(key, str):
                raise TypeError(key)
            evidence = item.get("evidence")
            findings[key] = ResultFinding(key, str(item.get("status", "")), evidence if isinstance(evidence, dict) else None,
                                          tuple(str(r) for r in item.get("record_ids") or ()))  # fmt: skip
        blocking = tuple(document["blocking"])
        if not all(isinstance(k, str) for k in blocking):
            raise TypeError(blocking)
    except (KeyError, TypeError, AttributeError):
        raise InputError("a finding without its key or with a malformed one: not a results.json of triangulate's", path=path) from None
    absent = next((key for key in blocking if key not in findings), None)
    if absent is not None:
        raise InputError(f"lists {absent!r:.80} as blocking but holds no such finding: a results.json cut short or edited?", path=path)
    return Results(path, findings, blocking)


def _keyed(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every keyed finding of the document: checks (of one source, or of each), comparisons, missing, empty, anomalies."""
    sources = document.get("sources")
    for source in sources if isinstance(sources, list) else [document]:
        yield from source.get("checks") or ()
    for part in ("comparisons", "missing", "empty_comparisons"):
        yield from document.get(part) or ()
    for anomaly in document.get("anomalies") or ():  # keyed since issue 25: an unusual point is a failed check of its series
        if isinstance(anomaly, Mapping) and "key" in anomaly:  # `c`: withheld by --publish, whose evidence is withheld too
            yield {**anomaly, "status": "failed" if anomaly.get("status") in ("above", "below", "c") else "passed"}
