"""The one registry of source kinds: how each kind is read, which raw tables it yields (each with
its Pandera spec and id column), and how those become canonical death records.

Adding a source kind is its schema (schemas/), its mapper (canonical/) and one entry here;
the CLI's `--source` choices, the run config's `kind:` values and the check stage all read this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..domain.geography import to_ons_code
from ..domain.places import PlacesCovered
from ..errors import UsageError
from ..readers.cin_flat import READ as CENSUS_READ
from ..readers.cin_flat import REQUIRED, census_of_table, read_census
from ..readers.database import DatabaseSource, TableWanted, read_tables
from ..readers.extracts import read_extract
from ..readers.ssda903 import read_ssda903
from ..schemas import cin as cin_schema
from ..schemas import csprp as csprp_schema
from ..schemas import ncmd as ncmd_schema
from ..schemas import ssda903 as ssda903_schema
from ..schemas.base import FILE_COLUMN, TableSpec
from .cin import cin_deaths
from .extracts import csprp_deaths, ncmd_deaths
from .ssda903 import ssda903_deaths

PUBLISHED = "published"  # aggregate EES tables: not record-level, read by canonical/published.py
DENOMINATOR = "denominator"  # population tables in EES shape, for rates


@dataclass(frozen=True)
class SourceOptions:
    """One source as the run config or the command line gives it."""

    name: str
    kind: str
    paths: tuple[Path, ...]
    columns: Mapping[str, str] = field(default_factory=dict)  # their column name -> ours
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # our column -> their code -> ours
    la_code: str | None = None
    reference_date: dt.date | None = None
    severity: Mapping[str, str] = field(default_factory=dict)
    coverage: tuple[tuple[dt.date, dt.date], ...] = ()  # declared `coverage:` (domain/periods.py Span); () not declared
    source_id: str = ""  # its `id:` in the run config, what everything remembered keys on; empty: its name
    database: DatabaseSource | None = None  # `url:` with `table:` or `query:` in place of `path:` (paths then empty)


Frames = Mapping[str, pd.DataFrame]  # raw table name -> raw frame of strings with file and line
Reader = Callable[[SourceOptions], Frames]
Mapper = Callable[[Frames, "str | None", "pd.Timestamp | None"], pd.DataFrame]  # frames, la_code, reference date


@dataclass(frozen=True)
class RawTable:
    name: str  # key in the frames the reader returns
    spec: TableSpec
    id_column: str  # the source's own record id, used to name failing rows


@dataclass(frozen=True)
class JointRule:
    """A rule across a kind's raw tables (e.g. an SSDA903 episode whose child has no header row)."""

    check_id: str
    message: str
    table: str  # the table whose rows fail
    passes: Callable[[Frames], pd.Series]  # True where that table's row passes


@dataclass(frozen=True)
class SourceKind:
    name: str
    description: str
    read: Reader
    tables: tuple[RawTable, ...]
    to_deaths: Mapper
    count_records: Callable[[Frames], int]  # what "records" means for this kind (children, rows)
    # For kinds whose files carry their own reference date (the CIN header): file -> the date as written.
    file_reference_dates: Callable[[Frames], Mapping[str, str]] | None = None
    joint_rules: tuple[JointRule, ...] = ()
    # True where each file can be read and checked on its own (CIN: one file per LA) and the source is those
    # files end to end: reading a file alone gives its rows as reading every file gives them, `count_records`
    # adds up over files, and no rule relates rows of two files but rows of one of `file_groups`.
    # An SSDA903 source's files are tables of one return, read together: False.
    files_independent: bool = False
    # The groups the frames' rows belong to, where a rule spans the rows of one group (CIN: one LA's census,
    # whose duplicate.record rule spans every file of that LA and reference date): files checked apart that share
    # a group are rechecked together.
    file_groups: Callable[[Frames], frozenset[Hashable]] | None = None
    # For kinds whose files say which LA's return they are (a CIN header's LEA; an SSDA903 return whose children all
    # name one LA): file -> the ONS codes of the LAs it is a return of, () when it does not say (a multi-LA extract).
    file_las: Callable[[Frames], Mapping[str, tuple[str, ...]]] | None = None
    # What a reader calls the kind in a sentence or a heading ("SSDA903 return"); its name when not given.
    display: str = ""


def _read_cin(options: SourceOptions) -> Frames:
    if options.database is not None:  # the census as a table (docs/formats.md), read from a database
        read = read_tables(options.database, [TableWanted("census", CENSUS_READ, REQUIRED, ("LEA", "ReferenceDate", "LAchildID"))],
                           options.columns)  # fmt: skip
        return {"census": census_of_table(read["census"], options.database.label("census"))}
    return {"census": read_census(options.paths, options.columns)}  # XML files, or the census as a table (cin_flat.py)


def _read_ssda903(options: SourceOptions) -> Frames:
    if options.database is not None:
        return _from_database(options)
    tables = read_ssda903(options.paths, options.columns)
    return {"header": tables.header, "episodes": tables.episodes}


def _cin_reference_dates(frames: Frames) -> Mapping[str, str]:
    census = _by_census(frames["census"])
    dates = census.groupby(FILE_COLUMN, observed=True, sort=False)["ReferenceDate"].first().dropna()
    return {str(name): str(value) for name, value in dates.items()}


def _cin_las(frames: Frames) -> Mapping[str, tuple[str, ...]]:
    """Each census file's LA: its header's LEA as an ONS code (the reader refuses an LEA not on the shipped list)."""
    return _las_by_file(_by_census(frames["census"]), "LEA")


def _by_census(census: pd.DataFrame) -> pd.DataFrame:
    """The census with each file named per census it holds: an XML file is one census, as it is; a table holding
    several years (the flat layout, readers/cin_flat.py) is named `file (reference date)` per year, so each year's
    reference date and LAs count apart, as each year's XML files would."""
    dates = census.groupby(FILE_COLUMN, observed=True, sort=False)["ReferenceDate"].nunique()
    if not len(dates) or dates.max() <= 1:
        return census
    files, written = census[FILE_COLUMN].astype(object), census["ReferenceDate"].astype(object)
    several = files.map(dates).gt(1) & written.notna()
    named = files.where(~several, files.astype(str) + " (" + written.astype(str) + ")")
    return census.assign(**{FILE_COLUMN: named})


def _ssda903_las(frames: Frames) -> Mapping[str, tuple[str, ...]]:
    """Each header file's LA where every child in it names the same one (the optional LA column, or HEADER/LA in an
    XML return); () where some child names none, or children name several (a multi-LA extract: which LAs it covers,
    it does not say)."""
    header = frames["header"]
    if ssda903_schema.LA_COLUMN not in header:
        return _las_by_file(header.assign(**{ssda903_schema.LA_COLUMN: None}), ssda903_schema.LA_COLUMN)
    return {name: las if len(las) == 1 else () for name, las in _las_by_file(header, ssda903_schema.LA_COLUMN).items()}


def _las_by_file(frame: pd.DataFrame, column: str) -> dict[str, tuple[str, ...]]:
    """File -> the distinct ONS codes of its rows' LA codes in `column`, () when a row has none or one not on the list.

    Each distinct (file, code) pair is looked at once, so this costs nothing per row of a national census."""
    pairs = frame.groupby([FILE_COLUMN, column], observed=True, dropna=False, sort=False).size().index.to_frame(index=False)
    codes = to_ons_code(pairs[column].astype(object)).astype(object)
    out: dict[str, set[str | None]] = {}
    for name, code in zip(pairs[FILE_COLUMN].astype(object), codes, strict=True):
        if pd.notna(name):
            out.setdefault(str(name), set()).add(code if pd.notna(code) else None)
    return {name: () if None in las else tuple(sorted(str(code) for code in las)) for name, las in out.items()}


def files_las(named: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The LAs files are the returns of (each file's `file_las`), () for England: when some file does not say (a
    multi-LA extract), or they are every LA there is (the old or the new of a reorganised LA)."""
    places = PlacesCovered.of_files((None, las) for las in named)
    return places.every if places is not None else ()


def _cin_censuses(frames: Frames) -> frozenset[Hashable]:
    """The censuses a CIN file (or several) holds: each header's LA and reference date."""
    census = frames["census"]
    return frozenset(zip(census["LEA"].astype(object), census["ReferenceDate"].astype(object), strict=True))


# The kinds whose readers read database tables (`url:` with `table:` or `query:`); the others read files only.
DATABASE_KINDS = frozenset({"cin", "ssda903", "ncmd", "csprp"})
# Columns a kind's death records read beyond its raw table's schema: a database source selects only what is read.
_MAPPER_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {("ssda903", "header"): (ssda903_schema.LA_COLUMN,)}


def _from_database(options: SourceOptions) -> Frames:
    """A source read from database tables (readers/database.py): each raw table of its kind, only the columns its
    schema and death records read, ordered by its record id."""
    if options.database is None:
        raise ValueError(f"source {options.name!r} names no database")
    wanted = [TableWanted(table.name, (*table.spec.columns, *_MAPPER_COLUMNS.get((options.kind, table.name), ())),
                          table.spec.required_columns, (table.id_column,))
              for table in source_kind(options.kind).tables]  # fmt: skip
    return read_tables(options.database, wanted, options.columns)


def _extract_reader(table: str, spec: TableSpec) -> Reader:
    def read(options: SourceOptions) -> Frames:
        if options.database is not None:
            return _from_database(options)
        return {table: read_extract(options.paths, spec, options.columns)}

    return read


_REGISTRY: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    if kind.name in _REGISTRY or kind.name in (PUBLISHED, DENOMINATOR):
        raise ValueError(f"source kind {kind.name!r} is registered already")
    _REGISTRY[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """For tests that register a toy kind."""
    _REGISTRY.pop(name, None)


for _kind in (
    SourceKind(
        "cin", "DfE children in need census (XML, one file per LA; or the census as a table)", _read_cin,
        (RawTable("census", cin_schema.SPEC, "LAchildID"),), cin_deaths,
        lambda frames: int(frames["census"][cin_schema.CHILD_ORDINAL].nunique()), _cin_reference_dates,
        files_independent=True, file_groups=_cin_censuses, file_las=_cin_las, display="CIN census",
    ),
    SourceKind(
        "ssda903", "DfE SSDA903 children looked after return (header and episodes CSV, or the XML return)", _read_ssda903,
        (RawTable("header", ssda903_schema.HEADER, "CHILD"), RawTable("episodes", ssda903_schema.EPISODES, "CHILD")),
        ssda903_deaths, lambda frames: len(frames["header"]),
        joint_rules=(JointRule("missing.header", "an episode's CHILD has no header row, so no date of birth or sex",
                               "episodes", lambda f: f["episodes"]["CHILD"].isna() | f["episodes"]["CHILD"].isin(f["header"]["CHILD"])),),
        file_las=_ssda903_las, display="SSDA903 return",
    ),
    SourceKind(
        "ncmd", "National Child Mortality Database extract (CSV or .xlsx)", _extract_reader("deaths", ncmd_schema.SPEC),
        (RawTable("deaths", ncmd_schema.SPEC, "ncmd_case_id"),), ncmd_deaths, lambda frames: len(frames["deaths"]),
        display="NCMD child deaths",
    ),
    SourceKind(
        "csprp", "CSPRP serious incident notifications (CSV or .xlsx)", _extract_reader("notifications", csprp_schema.SPEC),
        (RawTable("notifications", csprp_schema.SPEC, "sin_id"),), csprp_deaths, lambda frames: len(frames["notifications"]),
        display="CSPRP notifications",
    ),
):  # fmt: skip
    register(_kind)


def source_kinds() -> tuple[str, ...]:
    """Every record-level kind, in registration order."""
    return tuple(_REGISTRY)


def config_kinds() -> tuple[str, ...]:
    """What a run config's `kind:` may say."""
    return (*_REGISTRY, PUBLISHED, DENOMINATOR)


_TABLE_DISPLAY = {PUBLISHED: "published table", DENOMINATOR: "population table"}


def kind_display(kind: str) -> str:
    """A kind as a reader knows it, with the name configs use: `SSDA903 return (ssda903)`; an unknown kind, its name."""
    shown = _REGISTRY[kind].display if kind in _REGISTRY else _TABLE_DISPLAY.get(kind, "")
    return f"{shown} ({kind})" if shown and shown != kind else kind


def source_display(name: str, kind: str) -> str:
    """A configured source as every heading names it: `dfe_cla — SSDA903 return (ssda903)`; `CSPRP notifications
    (csprp)` when the source is named after its kind. The config name stays, as configs refer to it."""
    shown = kind_display(kind)
    return shown if name == kind or not kind else f"{name} — {shown}"


def source_kind(name: str) -> SourceKind:
    if name not in _REGISTRY:
        raise UsageError(f"unknown source kind {name!r}; expected one of {', '.join(_REGISTRY)}")
    return _REGISTRY[name]
