"""Check one source: read -> raw frames (Pandera) -> canonical deaths (GX) -> SourceResult.

One loop over the source kind's registry entry; nothing here knows any particular source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..canonical.records import locations
from ..canonical.registry import Frames, RawTable, SourceKind, SourceOptions, source_kind
from ..domain.catalogue import CATALOGUE, severity_for, spec_for
from ..domain.dates import parse_dates
from ..errors import crash_detail
from ..expectations import load_suite_definition, run_suite
from ..model.checks import CheckOutcome, InputFile, SourceResult
from ..readers.files import existing_file, file_digest
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, SchemaFindings, run_schema

DEATH_SUITE = "death_records"
_CODES_SHOWN = 10
_NOT_RUN = {
    "reference_date": "no reference date: give --reference-date, or reference_date in the run config "
    "(a CIN file takes it from its header)",
}


@dataclass(frozen=True)
class CheckedSource:
    result: SourceResult
    deaths: pd.DataFrame  # canonical death records


def input_file(path: Path) -> InputFile:
    size, sha256 = file_digest(path)
    return InputFile(path=str(path), size=size, sha256=sha256)


@dataclass
class _Failures:
    """Failing records per check id, in first-seen order, without repeats."""

    by_check: dict[str, dict[str, str]] = field(default_factory=dict)
    crashed: dict[str, str] = field(default_factory=dict)
    checks_run: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # from the rule that registered the id
    not_run: dict[str, str] = field(default_factory=dict)  # check id -> why it could not run
    death_level: set[str] = field(default_factory=set)  # checks that count deaths rather than records
    seen_codes: dict[str, set[str]] = field(default_factory=dict)  # invalid.<field> -> the codes not on its list

    def ran(self, check_id: str) -> None:
        if check_id not in self.checks_run:
            self.checks_run.append(check_id)

    def add(self, check_id: str, record_ids: pd.Series, where: pd.Series) -> None:
        self.ran(check_id)
        bucket = self.by_check.setdefault(check_id, {})
        for record_id, location in zip(record_ids.astype(str), where.astype(str), strict=True):
            bucket.setdefault(location, record_id)

    def add_schema(self, findings: SchemaFindings, table: RawTable, frame: pd.DataFrame) -> None:
        for check_id in table.spec.check_ids:
            self.ran(check_id)
        for rule in table.spec.registry.rules:
            self.messages.setdefault(rule.check_id, rule.message)
        for check_id, rows in findings.failing_rows.items():
            failing = frame.loc[rows]
            where = locations(failing[FILE_COLUMN], failing[LINE_COLUMN])
            ids = failing[table.id_column]
            self.add(check_id, ids.astype(object).where(ids.notna(), where), where)
            field_name = check_id.partition(".")[2]
            if check_id.startswith("invalid.") and field_name in failing:
                self.seen_codes.setdefault(check_id, set()).update(failing[field_name].dropna().astype(str).str.strip())
        for check_id, detail in findings.crashed.items():
            self.ran(check_id)
            self.crashed[check_id] = detail


def check_source(options: SourceOptions) -> CheckedSource:
    kind: SourceKind = source_kind(options.kind)
    for path in options.paths:
        existing_file(path)
    failures = _Failures()
    frames = _recoded(kind.read(options), options.values)
    for table in kind.tables:
        frame = frames[table.name]
        failures.add_schema(run_schema(frame, table.spec), table, frame)
    ids = {table.name: table.id_column for table in kind.tables}
    for rule in kind.joint_rules:
        failures.messages.setdefault(rule.check_id, rule.message)
        try:
            passes = rule.passes(frames).fillna(False).astype(bool)
        except Exception as error:  # noqa: BLE001 - a rule that crashes is reported as crashed, never as passed
            failures.ran(rule.check_id)
            failures.crashed[rule.check_id] = crash_detail(type(error).__name__)
            continue
        failing = frames[rule.table].loc[~passes]
        where = locations(failing[FILE_COLUMN], failing[LINE_COLUMN])
        failures.ran(rule.check_id)
        if len(failing):
            record = failing[ids[rule.table]]
            failures.add(rule.check_id, record.astype(object).where(record.notna(), where), where)
    reference = pd.Timestamp(options.reference_date) if options.reference_date else None
    deaths = kind.to_deaths(frames, options.la_code, reference)

    suite = run_suite(deaths, DEATH_SUITE)
    for expectation in load_suite_definition(DEATH_SUITE)["expectations"]:
        meta = expectation["meta"]
        if meta["check_id"] not in failures.checks_run:  # an id a raw-table rule also raises counts records
            failures.death_level.add(meta["check_id"])
        failures.ran(meta["check_id"])
        required = meta.get("requires")
        if required and len(deaths) and deaths[required].isna().all():
            failures.not_run[meta["check_id"]] = _NOT_RUN.get(required, f"no death record has a {required}")
    for check_id, rows in suite.failing_rows.items():
        failing = deaths.iloc[sorted(set(rows))]
        failures.add(check_id, failing["record_id"], failing["location"])
    failures.crashed.update(suite.crashed)

    per_file = _file_reference_dates(kind, frames)
    result = SourceResult(
        name=options.name,
        kind=options.kind,
        records=kind.count_records(frames),
        deaths=len(deaths),
        reference_date=_reference_date(options, per_file),
        file_reference_dates=_differing(per_file),
        files=tuple(input_file(Path(p)) for p in options.paths),
        outcomes=tuple(_outcome(check_id, failures, options) for check_id in failures.checks_run),
    )
    return CheckedSource(result=result, deaths=deaths)


def _recoded(frames: Frames, values: Mapping[str, Mapping[str, str]]) -> Frames:
    """A real export's codes turned into the tool's (`values:` in the run config); unmapped codes stay as they are,
    so the schema still reports them as `invalid.<field>`."""
    if not values:
        return frames
    out = {}
    for name, frame in frames.items():
        recoded = frame.copy() if any(column in frame for column in values) else frame
        for column, codes in values.items():
            if column in recoded:
                text = recoded[column].astype("string").str.strip()
                recoded[column] = text.map(codes).fillna(text).astype(object).where(text.notna(), None)
        out[name] = recoded
    return out


def _file_reference_dates(kind: SourceKind, frames: Frames) -> dict[str, dt.date]:
    """The reference date each file's own header gives, where the kind has one (CIN); these are what the checks use."""
    if kind.file_reference_dates is None:
        return {}
    written = kind.file_reference_dates(frames)
    parsed = parse_dates(pd.Series(list(written.values()), dtype=object)).values
    return {name: value.date() for name, value in zip(written, parsed, strict=True) if not pd.isna(value)}


def _differing(per_file: dict[str, dt.date]) -> tuple[tuple[str, dt.date], ...]:
    """Files whose own reference date is not the one reported for the source (the latest)."""
    latest = max(per_file.values(), default=None)
    return tuple((name, day) for name, day in per_file.items() if day != latest)


def _reference_date(options: SourceOptions, per_file: dict[str, dt.date]) -> dt.date | None:
    return max(per_file.values()) if per_file else options.reference_date


def _outcome(check_id: str, failures: _Failures, options: SourceOptions) -> CheckOutcome:
    bucket = failures.by_check.get(check_id, {})
    record_ids = tuple(dict.fromkeys(bucket.values()))
    return CheckOutcome(
        check_id=check_id,
        severity=severity_for(check_id, options.kind, options.severity),
        message=_message(check_id, failures) + _codes_seen(failures.seen_codes.get(check_id)),
        failed=len(record_ids),
        record_ids=record_ids,
        locations=tuple(bucket.keys()),
        crashed=check_id in failures.crashed,
        detail=failures.crashed.get(check_id, ""),
        not_run=failures.not_run.get(check_id, ""),
        level="death" if check_id in failures.death_level else "record",
    )


def _codes_seen(codes: set[str] | None) -> str:
    """The codes an `invalid.<field>` check met: what a `values:` recoding in the run config needs to map."""
    if not codes:
        return ""
    shown = sorted(codes)[:_CODES_SHOWN]
    return f" (codes seen: {', '.join(repr(c[:40]) for c in shown)}{' ...' if len(codes) > _CODES_SHOWN else ''})"


def _message(check_id: str, failures: _Failures) -> str:
    """The catalogue's wording, else the registering rule's; a rule with an id the catalogue lacks still reports."""
    if check_id in CATALOGUE:
        return CATALOGUE[check_id].message
    if check_id in failures.messages:
        return failures.messages[check_id]
    try:
        return spec_for(check_id).message
    except KeyError:
        return check_id
