"""Check one source: read -> raw frames (Pandera) -> canonical deaths (GX) -> SourceResult."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .canonical import locations
from .catalogue import CATALOGUE, SOURCE_KINDS, severity_for, spec_for
from .errors import UsageError
from .expectations import load_suite_definition, run_suite
from .model import CheckOutcome, SourceResult
from .readers.files import existing_file, provenance
from .readers.tables import FILE_COLUMN, LINE_COLUMN
from .schemas.base import SchemaFindings, TableSpec, run_schema

DEATH_SUITE = "death_records"


@dataclass(frozen=True)
class SourceOptions:
    name: str
    kind: str
    paths: tuple[Path, ...]
    columns: Mapping[str, str] = field(default_factory=dict)
    la_code: str | None = None
    reference_date: dt.date | None = None
    severity: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedSource:
    result: SourceResult
    deaths: pd.DataFrame  # canonical death records


@dataclass
class _Failures:
    """Failing records per check id, in first-seen order, without repeats."""

    by_check: dict[str, dict[str, str]] = field(default_factory=dict)
    crashed: dict[str, str] = field(default_factory=dict)
    checks_run: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # from the rule that registered the id

    def ran(self, check_id: str) -> None:
        if check_id not in self.checks_run:
            self.checks_run.append(check_id)

    def add(self, check_id: str, record_ids: pd.Series, where: pd.Series) -> None:
        self.ran(check_id)
        bucket = self.by_check.setdefault(check_id, {})
        for record_id, location in zip(record_ids.astype(str), where.astype(str), strict=True):
            bucket.setdefault(location, record_id)

    def add_schema(self, findings: SchemaFindings, spec: TableSpec, frame: pd.DataFrame, id_column: str) -> None:
        for check_id in _schema_check_ids(spec):
            self.ran(check_id)
        for rule in spec.registry.rules:
            self.messages.setdefault(rule.check_id, rule.message)
        for check_id, rows in findings.failing_rows.items():
            failing = frame.loc[rows]
            where = locations(failing[FILE_COLUMN], failing[LINE_COLUMN])
            self.add(check_id, failing[id_column].astype(object).where(failing[id_column].notna(), where), where)
        for check_id, detail in findings.crashed.items():
            self.ran(check_id)
            self.crashed[check_id] = detail


def _schema_check_ids(spec: TableSpec) -> list[str]:
    ids: list[str] = []
    for field_spec in spec.fields:
        if field_spec.required:
            ids.append(f"missing.{field_spec.name}")
        if field_spec.codes:
            ids.append(f"invalid.{field_spec.name}")
        if field_spec.is_date and "date.unparseable" not in ids:
            ids.append("date.unparseable")
    ids.extend(rule.check_id for rule in spec.registry.rules)
    return ids


def check_source(options: SourceOptions) -> CheckedSource:
    if options.kind not in SOURCE_KINDS:
        raise UsageError(f"unknown source kind {options.kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
    for path in options.paths:
        existing_file(path)
    failures = _Failures()
    reference = pd.Timestamp(options.reference_date) if options.reference_date else None
    if options.kind == "cin":
        from .readers.cin import CHILD_ORDINAL, cin_deaths, read_cin
        from .schemas import cin

        raw = read_cin(options.paths)
        failures.add_schema(run_schema(raw, cin.SPEC), cin.SPEC, raw, "LAchildID")
        deaths = cin_deaths(raw)
        records = int(raw[CHILD_ORDINAL].nunique())
    elif options.kind == "ssda903":
        from .readers.ssda903 import read_ssda903, ssda903_deaths
        from .schemas import ssda903

        tables = read_ssda903(options.paths, options.columns)
        failures.add_schema(run_schema(tables.header, ssda903.HEADER), ssda903.HEADER, tables.header, "CHILD")
        failures.add_schema(run_schema(tables.episodes, ssda903.EPISODES), ssda903.EPISODES, tables.episodes, "CHILD")
        deaths = ssda903_deaths(tables, la_code=options.la_code, reference_date=reference)
        records = len(tables.header)
    elif options.kind == "ncmd":
        from .readers.extracts import ncmd_deaths, read_extract
        from .schemas import ncmd

        raw = read_extract(options.paths, ncmd.SPEC.columns, options.columns)
        failures.add_schema(run_schema(raw, ncmd.SPEC), ncmd.SPEC, raw, "ncmd_case_id")
        deaths = ncmd_deaths(raw, reference_date=reference)
        records = len(raw)
    else:
        from .readers.extracts import csprp_deaths, read_extract
        from .schemas import csprp

        raw = read_extract(options.paths, csprp.SPEC.columns, options.columns)
        failures.add_schema(run_schema(raw, csprp.SPEC), csprp.SPEC, raw, "sin_id")
        deaths = csprp_deaths(raw, reference_date=reference)
        records = len(raw)

    suite = run_suite(deaths, DEATH_SUITE)
    for expectation in load_suite_definition(DEATH_SUITE)["expectations"]:
        failures.ran(expectation["meta"]["check_id"])
    for check_id, rows in suite.failing_rows.items():
        failing = deaths.iloc[sorted(set(rows))]
        failures.add(check_id, failing["record_id"], failing["location"])
    failures.crashed.update(suite.crashed)

    result = SourceResult(
        name=options.name,
        kind=options.kind,
        records=records,
        deaths=len(deaths),
        reference_date=_reference_date(options, deaths),
        files=tuple(provenance(Path(p)) for p in options.paths),
        outcomes=tuple(_outcome(check_id, failures, options) for check_id in failures.checks_run),
    )
    return CheckedSource(result=result, deaths=deaths)


def _reference_date(options: SourceOptions, deaths: pd.DataFrame) -> dt.date | None:
    if options.reference_date:
        return options.reference_date
    known = deaths["reference_date"].dropna()
    return known.max().date() if len(known) else None


def _outcome(check_id: str, failures: _Failures, options: SourceOptions) -> CheckOutcome:
    bucket = failures.by_check.get(check_id, {})
    record_ids = tuple(dict.fromkeys(bucket.values()))
    return CheckOutcome(
        check_id=check_id,
        severity=severity_for(check_id, options.kind, options.severity),
        message=spec_for(check_id).message
        if check_id in CATALOGUE
        else failures.messages.get(check_id, spec_for(check_id).message),
        failed=len(record_ids),
        record_ids=record_ids,
        locations=tuple(bucket.keys()),
        crashed=check_id in failures.crashed,
        detail=failures.crashed.get(check_id, ""),
    )
