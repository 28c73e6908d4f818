"""Schema specification, separate from the backend (Pandera) that runs it.

A source module declares its fields (required, code list, date) and registers row-level rules
by decorator with a stable check id. `build_schema` turns that into a Pandera schema whose
check names *are* check ids, and `run_schema` validates lazily, collecting every failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from ..domain.dates import unreadable_mask
from ..domain.geography import is_ons_la_code
from ..errors import InputError, crash_detail

# Every raw frame carries where each row came from, so every finding can name its file and line.
FILE_COLUMN = "_file"
LINE_COLUMN = "_line"
# An XML reader's element path of a row whose line does not tell it from another's (a file written on one line);
# absent, or blank for the rows whose line does: a location is then `file:line /Root/Child[3]/Episode[2]`.
PATH_COLUMN = "_path"
SOURCE_FILE_ATTR = "source_file"  # frame.attrs: the file a raw frame came from, even when it has no rows

RowRule = Callable[[pd.DataFrame], pd.Series]  # True where the row passes


@dataclass(frozen=True)
class FieldSpec:
    name: str
    required: bool = False  # blank value -> missing.<name>
    must_exist: bool = False  # absent column -> the file is not this format (exit 2)
    codes: tuple[str, ...] | None = None  # value outside -> invalid.<name>
    is_date: bool = False  # unreadable value -> date.unparseable


@dataclass(frozen=True)
class RegisteredRule:
    check_id: str
    message: str
    function: RowRule


@dataclass
class RuleRegistry:
    """Rules for one raw table, registered by decorator with a stable check id."""

    table: str
    rules: list[RegisteredRule] = field(default_factory=list)

    def register(self, check_id: str, message: str) -> Callable[[RowRule], RowRule]:
        def decorate(function: RowRule) -> RowRule:
            self.rules.append(RegisteredRule(check_id, message, function))
            return function

        return decorate


@dataclass(frozen=True)
class TableSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    registry: RuleRegistry

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.must_exist)

    @property
    def check_ids(self) -> tuple[str, ...]:
        """Every check this table's schema runs, in a stable order: what 'ran' means for a raw table."""
        ids: list[str] = []
        for field_spec in self.fields:
            if field_spec.required:
                ids.append(f"missing.{field_spec.name}")
            if field_spec.codes:
                ids.append(f"invalid.{field_spec.name}")
            if field_spec.is_date and "date.unparseable" not in ids:
                ids.append("date.unparseable")
        ids.extend(rule.check_id for rule in self.registry.rules)
        return tuple(ids)


def _codes_check(spec: FieldSpec) -> pa.Check:
    allowed = frozenset(spec.codes or ())
    return pa.Check(lambda s: s.isin(allowed), name=f"invalid.{spec.name}", ignore_na=True)


def _date_check() -> pa.Check:
    return pa.Check(lambda s: ~unreadable_mask(s), name="date.unparseable", ignore_na=True)


def build_schema(spec: TableSpec) -> pa.DataFrameSchema:
    columns = {}
    for field_spec in spec.fields:
        checks = []
        if field_spec.codes:
            checks.append(_codes_check(field_spec))
        if field_spec.is_date:
            checks.append(_date_check())
        columns[field_spec.name] = pa.Column(
            None,
            checks=checks,
            nullable=not field_spec.required,
            required=field_spec.must_exist,
        )
    frame_checks = [pa.Check(rule.function, name=rule.check_id) for rule in spec.registry.rules]
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False, coerce=False, name=spec.name)


@dataclass(frozen=True)
class SchemaFindings:
    failing_rows: dict[str, pd.Index]  # check id -> index labels of failing rows
    crashed: dict[str, str]  # check id -> what went wrong
    absent: tuple[str, ...] = ()  # optional columns the table does not have: their checks could not run


def add_absent_optional_columns(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    missing = [f.name for f in spec.fields if f.name not in frame.columns and not f.must_exist]
    for name in missing:
        frame[name] = pd.Series(pd.NA, index=frame.index, dtype=object)
    return frame


def refuse_absent_columns(frame: pd.DataFrame, spec: TableSpec) -> None:
    """A table without one of the spec's required columns is not this table: one line naming its file."""
    absent = [name for name in spec.required_columns if name not in frame.columns]
    if absent:
        label = frame.attrs.get(SOURCE_FILE_ATTR) or (str(frame[FILE_COLUMN].iloc[0]) if len(frame) and FILE_COLUMN in frame else spec.name)
        found = [ascii(c)[1:-1] for c in frame.columns if not str(c).startswith("_")]
        raise InputError(
            f"required column(s) {', '.join(absent)} not found among {', '.join(found) or 'no columns'}; "
            f"is this a {spec.name} extract? Map differently named columns with `columns:` in the run config",
            path=label,
            where="line 1",
        )


def run_schema(frame: pd.DataFrame, spec: TableSpec) -> SchemaFindings:
    refuse_absent_columns(frame, spec)
    absent = tuple(f.name for f in spec.fields if f.name not in frame.columns)
    frame = add_absent_optional_columns(frame, spec)
    schema = build_schema(spec)
    try:
        schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as errors:
        return replace(_findings(errors.failure_cases, spec), absent=absent)
    except SchemaError as error:  # pragma: no cover - lazy=True collects instead
        return SchemaFindings({}, {"schema": str(error)[:200]}, absent)
    return SchemaFindings({}, {}, absent)


def _findings(cases: pd.DataFrame, spec: TableSpec) -> SchemaFindings:
    failing: dict[str, list[object]] = {}
    crashed: dict[str, str] = {}
    for (check, column), group in cases.groupby(["check", "column"], dropna=False, sort=False):
        check_id = _check_id(str(check), column)
        indices = group["index"].dropna()
        if indices.empty:
            # A check that raised has no failing index: it proves nothing, so it must not pass.
            crashed[check_id] = crash_detail(str(group["failure_case"].astype(str).iloc[0]))
            continue
        failing.setdefault(check_id, []).extend(indices.tolist())
    return SchemaFindings(
        {check_id: pd.Index(sorted(set(rows))) for check_id, rows in failing.items()},
        crashed,
    )


def _check_id(check: str, column: object) -> str:
    if check == "not_nullable":
        return f"missing.{column}"
    return check


def rows_where(frame: pd.DataFrame, columns: Sequence[str], present: bool) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column in columns:
        mask &= frame[column].notna() if present else frame[column].isna()
    return mask


def duplicated_ids(frame: pd.DataFrame, keys: Iterable[str]) -> pd.Series:
    keys = list(keys)
    present = rows_where(frame, keys, present=True)
    return ~(frame.duplicated(subset=keys, keep=False) & present)


def register_la_code_rule(rules: RuleRegistry) -> None:
    """invalid.la_code, for the extracts that carry ONS LA codes (NCMD, CSPRP)."""

    @rules.register("invalid.la_code", "la_code is not the ONS code of an English local authority on the shipped LA list")
    def _ons_la_code(frame: pd.DataFrame) -> pd.Series:
        return frame["la_code"].isna() | is_ons_la_code(frame["la_code"])
