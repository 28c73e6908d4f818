"""The CIN census as a flat table (docs/formats.md, "The CIN census as a table"): one row per CINdetails episode, and
one for a child with none, the child's fields repeated on each. Read from Parquet or CSV (readers/tables.py) into
the very raw frame readers/cin.py gives from the XML, with each row located `file:N` instead of by element; and
written from the XML by `flat_census` (`triangulate convert cin`).

A CIN source may mix XML files and tables (`read_census`); XML alone is read by readers/cin.py exactly as before.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from ..domain.geography import is_known_la_code
from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN
from ..schemas.cin import CHILD_ORDINAL
from .cin import HEADER_FIELDS, RAW_COLUMNS, latest_by_start, read_cin
from .files import existing_file, is_zip, leading_bytes, open_regular
from .parquet import is_parquet
from .ssda903_xml import looks_like_xml
from .tables import read_table
from .xml import local, safe_iterparse, syntax_error

CHILD_NUMBER = "ChildNumber"
SEPARATOR = ";"  # between the items of a list in one cell: an episode's plans, a child's disabilities
_CHILD_EXTRAS = ("UPN", "FormerUPN", "UPNunknown")
_EPISODE_EXTRAS = ("ReferralSource", "PrimaryNeedCode", "DateOfInitialCPC", "ReferralNFA")
PLANS = ("CPPstartDate", "CPPendDate")
LAYOUT = (
    "LEA", "ReferenceDate", CHILD_NUMBER,
    "LAchildID", *_CHILD_EXTRAS, "PersonBirthDate", "ExpectedPersonBirthDate", "GenderCurrent", "Sex", "PersonDeathDate",
    "Ethnicity", "Disabilities",
    "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure", "DateOfInitialCPC",
    "ReferralNFA", *PLANS,
)  # fmt: skip
# What the checks and death records read: a table without one of these is not the layout (a misnamed column would
# otherwise pass every check unseen). Sex is GenderCurrent or Sex, either.
REQUIRED = ("LEA", "ReferenceDate", "LAchildID", "PersonBirthDate", "PersonDeathDate", "CINreferralDate",
            "CINclosureDate", "ReasonForClosure", *PLANS)  # fmt: skip
SEX = ("GenderCurrent", "Sex")
# What `census_of_table` reads of the layout, in its order: never the identifiers (UPN, FormerUPN) nor anything else
# no check reads. A database source selects only these, and a Parquet file is read only for these.
READ = tuple(name for name in LAYOUT if name in (*RAW_COLUMNS, CHILD_NUMBER))
_TABLE_SUFFIXES = (".parquet", ".csv", ".xlsx")


def is_flat_census(path: str | Path) -> bool:
    """Whether a CIN source's file is the flat layout rather than a census XML file: Parquet (its mark or name), a
    workbook, a `.csv`, or text whose first line names LAchildID. Anything else goes to the XML reader, which says
    what is wrong with it as it always has."""
    path = existing_file(path)
    if looks_like_xml(path):
        return False
    head = leading_bytes(path)
    if is_parquet(path, head) or is_zip(head) or path.suffix.lower() in _TABLE_SUFFIXES:
        return True
    return b"LAchildID" in head.split(b"\n", 1)[0]


def read_census(paths: Iterable[str | Path], column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A CIN source's files (census XML files and flat tables, in any mix) as one raw frame, in order, children
    numbered on across them. XML files alone: readers/cin.py `read_cin`, untouched."""
    paths = [Path(path) for path in paths]
    flat = [is_flat_census(path) for path in paths]
    if not any(flat):
        return read_cin(paths)
    frames: list[pd.DataFrame] = []
    children = 0
    for is_flat, run in itertools.groupby(zip(flat, paths, strict=True), key=lambda item: item[0]):
        members = [path for _, path in run]
        for frame in [read_cin_flat(path, column_map) for path in members] if is_flat else [read_cin(members)]:
            frame[CHILD_ORDINAL] += children
            children = int(frame[CHILD_ORDINAL].max()) if len(frame) else children
            frames.append(frame)
    if len(frames) == 1:
        return frames[0]
    joined = pd.concat(frames, ignore_index=True)
    # Columns rebuilt as readers/cin.py builds them (str where any value is, categories), whatever each part's dtype.
    whole = (LINE_COLUMN, CHILD_ORDINAL)
    joined = pd.DataFrame({name: joined[name].to_numpy() if name in whole else _values(joined, name) for name in joined.columns})
    for name in (*HEADER_FIELDS, FILE_COLUMN):
        joined[name] = joined[name].astype("category")
    return joined


def read_cin_flat(path: str | Path, column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One flat table as readers/cin.py's raw frame: its columns, str or None, and `_file`, `_line` (the row: 2, 3,
    ... as a CSV's lines) and `_child` (which child each row is of, numbered 1, 2, ... in order of first row)."""
    path = existing_file(path)
    return census_of_table(read_table(path, expected_columns=LAYOUT, column_map=column_map, parquet_columns=READ), path)


def census_of_table(table: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """A flat census already read as a frame of strings (a file, or a database table: readers/database.py) as
    readers/cin.py's raw frame; `path` names it in messages."""
    absent = [name for name in REQUIRED if name not in table.columns]
    if not any(name in table.columns for name in SEX):
        absent.append(" or ".join(SEX))
    if absent:
        raise InputError(f"not a CIN census table: no {', '.join(absent)} column (see docs/formats.md, the CIN census "
                         "as a table; map other names with `columns:`)", path=path, where="line 1")  # fmt: skip
    if not len(table):
        raise InputError("not a CIN census table: it has no rows (a census has a row for each child)", path=path)
    _known_leas(table, path)
    data = {name: _values(table, name) for name in RAW_COLUMNS}
    data["CPPstartDate"], data["CPPendDate"] = latest_plans(data["CPPstartDate"], data["CPPendDate"])
    data[FILE_COLUMN] = table[FILE_COLUMN].to_numpy(dtype=object)
    data[LINE_COLUMN] = table[LINE_COLUMN].to_numpy(dtype=np.int64)
    data[CHILD_ORDINAL] = _children(table)
    frame = pd.DataFrame(data)  # built as readers/cin.py builds its frame, so the dtypes are the same
    for name in (*HEADER_FIELDS, FILE_COLUMN):
        frame[name] = frame[name].astype("category")
    return frame


def _values(table: pd.DataFrame, name: str) -> np.ndarray:
    if name not in table.columns:
        return np.full(len(table), None, dtype=object)
    column = table[name]
    return column.astype(object).where(column.notna(), None).to_numpy(dtype=object)


def _known_leas(table: pd.DataFrame, path: Path) -> None:
    """A census is its LA's return: an LEA that is no LA on the shipped list is refused, as in a census file's header."""
    lea = table["LEA"]
    unknown = lea.notna() & ~is_known_la_code(lea)
    if unknown.any():
        row = unknown.idxmax()
        value = str(lea[row])
        shown = repr(value[:40]) + ("..." if len(value) > 40 else "")
        raise InputError(f"LEA {shown} is not an English LA on the shipped list (a 3-digit DfE code or an ONS code)",
                         path=path, where=f"line {int(table.loc[row, LINE_COLUMN])}")  # fmt: skip


def _children(table: pd.DataFrame) -> np.ndarray:
    """Which child each row is of, 1, 2, ... by first row: rows with one ChildNumber; else (no number given) the
    rows with one LEA, ReferenceDate and LAchildID; a row with neither is a child of its own."""

    def text(name: str) -> pd.Series:
        return table[name].astype("string").fillna("")

    if CHILD_NUMBER in table.columns and table[CHILD_NUMBER].notna().all():  # the usual table: numbered throughout
        codes, _ = pd.factorize(table[CHILD_NUMBER].to_numpy(dtype=object))
        return codes.astype(np.int64) + 1
    row = "r" + pd.Series(np.arange(len(table)), index=table.index).astype("string")
    key = row.where(table["LAchildID"].isna(), "i" + text("LEA") + "\x1f" + text("ReferenceDate") + "\x1f" + text("LAchildID"))
    if CHILD_NUMBER in table.columns:
        key = ("n" + text(CHILD_NUMBER)).where(table[CHILD_NUMBER].notna(), key)
    codes, _ = pd.factorize(key)  # in order of first appearance
    return codes.astype(np.int64) + 1


def latest_plans(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's plan as readers/cin.py picks an episode's (`latest_by_start`): of its plans (`;`-separated, paired
    by position; a missing end is blank, an end past the last start belongs to no plan), the latest by start date,
    the first on a tie; a plan without a start is skipped."""
    start, end = starts.copy(), ends.copy()
    end[pd.isna(start)] = None
    listed = pd.Series(starts, dtype="string").str.contains(SEPARATOR, regex=False).fillna(False).to_numpy(dtype=bool)
    listed |= pd.Series(ends, dtype="string").str.contains(SEPARATOR, regex=False).fillna(False).to_numpy(dtype=bool)
    rows = np.flatnonzero(listed)  # few rows: most episodes have one plan or none
    if not len(rows):
        return start, end
    groups: list[int] = []
    pairs: list[tuple[str | None, str | None]] = []
    for group, row in enumerate(rows):
        these = _items(starts[row])
        pairs.extend(itertools.zip_longest(these, _items(ends[row])[: len(these)]))
        groups.extend([group] * len(these))
    chosen = latest_by_start(np.array(groups, dtype=np.int64), np.array(pairs, dtype=object).reshape(-1, 2), len(rows))
    start[rows], end[rows] = chosen[:, 0], chosen[:, 1]
    return start, end


def _items(text: object) -> list[str | None]:
    return [] if text is None or pd.isna(text) else [item.strip() or None for item in str(text).split(SEPARATOR)]


# --- The census XML in the flat layout (`triangulate convert cin`) ---------------------------------------------------


def flat_census(paths: Sequence[str | Path]) -> pd.DataFrame:
    """The census files as one flat table, in LAYOUT's columns (text or None; ChildNumber an integer), children
    numbered on across the files as readers/cin.py numbers them. What the checks and death records read is taken
    from `read_cin` itself, so a run on the table sees what a run on the XML sees; the rest (UPN, ethnicity, every
    plan of an episode...) from a second pass over each file, which must find the same children and episodes."""
    paths = [existing_file(path) for path in paths]
    census = read_cin(paths)
    extras: dict[str, list[str | None]] = {name: [] for name in LAYOUT if name not in census.columns and name != CHILD_NUMBER}
    extras |= {name: [] for name in PLANS}
    children: list[int] = []
    for path in paths:
        _read_extras(path, extras, children)
    if children != census[CHILD_ORDINAL].tolist():
        raise InputError("changed while it was read (its children differ between two readings); convert it again",
                         path=", ".join(str(path) for path in paths))  # fmt: skip
    plans = {name: np.array(extras[name], dtype=object) for name in PLANS}
    for name, picked in zip(PLANS, latest_plans(plans["CPPstartDate"], plans["CPPendDate"]), strict=True):
        if not pd.Series(picked, dtype="string").fillna("\0").equals(census[name].astype("string").fillna("\0")):
            raise RuntimeError(f"the flat layout's {name} lists do not give the plan readers/cin.py reads")
    frame = pd.DataFrame({name: np.array(extras[name], dtype=object) if name in extras else _values(census, name)
                          for name in LAYOUT if name != CHILD_NUMBER}, dtype=object)  # fmt: skip
    frame.insert(LAYOUT.index(CHILD_NUMBER), CHILD_NUMBER, census[CHILD_ORDINAL].to_numpy(dtype=np.int64))
    return frame


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def _listed(items: list[str | None]) -> str | None:
    return None if all(item is None for item in items) else SEPARATOR.join(item or "" for item in items)


def _read_extras(path: Path, extras: dict[str, list[str | None]], children: list[int]) -> None:
    """Append each row's fields that `read_cin` does not read, walking the Child elements as it does (the direct
    children of Child, ChildIdentifiers, CINdetails and ChildProtectionPlans; the last of a repeated field wins)."""
    first = children[-1] if children else 0
    ordinal = first
    with open_regular(path) as handle:
        context = safe_iterparse(handle, ("Child",))
        try:
            for _, element in context:
                ordinal += 1
                child: dict[str, str | None] = {}
                disabilities: list[str | None] = []
                episodes: list[dict[str, str | None]] = []
                for part in element[:]:
                    name = local(part.tag)
                    if name == "ChildIdentifiers":
                        child |= {local(item.tag): _clean(item.text) for item in part[:] if local(item.tag) in _CHILD_EXTRAS}
                    elif name == "ChildCharacteristics":
                        for item in part[:]:
                            if local(item.tag) == "Ethnicity":
                                child["Ethnicity"] = _clean(item.text)
                            elif local(item.tag) == "Disabilities":
                                disabilities += [_clean(d.text) for d in item[:] if local(d.tag) == "Disability" and _clean(d.text)]
                    elif name == "CINdetails":
                        episodes.append(_episode(part, path))
                child["Disabilities"] = _listed(disabilities)
                for episode in episodes or [{}]:
                    row = child | episode
                    for name, values in extras.items():
                        values.append(row.get(name))
                    children.append(ordinal)
                element.clear(keep_tail=False)  # as readers/cin.py frees each child: the same elements stay
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as error:
            syntax_error(error, path)


def _episode(details: etree._Element, path: Path) -> dict[str, str | None]:
    episode: dict[str, str | None] = {}
    plans: dict[str, list[str | None]] = {name: [] for name in PLANS}
    for item in details[:]:
        name = local(item.tag)
        if name in _EPISODE_EXTRAS:
            episode[name] = _clean(item.text)
        elif name == "ChildProtectionPlans":
            for field in PLANS:
                plans[field].append(_plan_date(item, field, path))
    return episode | {name: _listed(values) for name, values in plans.items() if values}


def _plan_date(plan: etree._Element, name: str, path: Path) -> str | None:
    """A plan's date as readers/cin.py reads it: the first such element in any namespace if it has text, else the
    first without a namespace. A `;` in it would split the plan in two: refused."""
    first: etree._Element | None = None
    plain: etree._Element | None = None
    for leaf in plan[:]:
        if local(leaf.tag) == name:
            first = leaf if first is None else first
            if plain is None and not str(leaf.tag).startswith("{"):
                plain = leaf
    chosen = first if first is not None and first.text else plain
    value = None if chosen is None else _clean(chosen.text)
    if value is not None and SEPARATOR in value:
        raise InputError(f"{name} {value[:40]!r} holds {SEPARATOR!r}, which the flat layout keeps between an episode's "
                         "plans; this file cannot be converted", path=path, where=f"line {chosen.sourceline}")  # fmt: skip
    return value
