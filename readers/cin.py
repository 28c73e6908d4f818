"""Stream CIN census XML (one file per LA) into a raw frame with one row per CINdetails episode.

A child with no CINdetails still gets one row, so child-level checks see every child.
Entities are never resolved and nothing is fetched: a DTD in a census file is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from lxml import etree

from ..domain.dates import order_key
from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN
from ..schemas.cin import CHILD_ORDINAL
from .files import MAX_XML_BYTES, existing_file, within_size
from .xml import local, refuse_dtd, safe_iterparse, syntax_error

CHILD_FIELDS = (
    "LAchildID",
    "GenderCurrent",
    "Sex",
    "PersonBirthDate",
    "ExpectedPersonBirthDate",
    "PersonDeathDate",
)
EPISODE_FIELDS = ("CINreferralDate", "CINclosureDate", "ReasonForClosure")
PLAN_FIELDS = ("CPPstartDate", "CPPendDate")
HEADER_FIELDS = ("LEA", "ReferenceDate")
RAW_COLUMNS = (*HEADER_FIELDS, *CHILD_FIELDS, *EPISODE_FIELDS, *PLAN_FIELDS)


WHAT = "a CIN census file"


class _Columns:
    """Column-wise accumulation; repeated strings (dates, codes) share one object to save memory."""

    def __init__(self) -> None:
        self.data: dict[str, list[object]] = {name: [] for name in (*RAW_COLUMNS, FILE_COLUMN, LINE_COLUMN, CHILD_ORDINAL)}
        self._pool: dict[str, str] = {}

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            return None
        return self._pool.setdefault(value, value) if len(value) <= 12 else value


def _read_file(path: Path, columns: _Columns, first_ordinal: int) -> int:
    within_size(path, MAX_XML_BYTES, "CIN census file")
    header: dict[str, str | None] = {name: None for name in HEADER_FIELDS}
    ordinal = first_ordinal
    data = columns.data
    file_label = columns.text(path.name) if len(path.name) <= 12 else path.name
    context = safe_iterparse(path, ("Child", *HEADER_FIELDS))
    checked_dtd = False
    try:
        for _, element in context:
            if not checked_dtd:
                refuse_dtd(element.getroottree(), path, WHAT)
                checked_dtd = True
            name = local(element.tag)
            if name in HEADER_FIELDS and header[name] is None:
                header[name] = columns.text(element.text)
                continue
            if name != "Child":
                continue
            ordinal += 1
            child: dict[str, str | None] = dict.fromkeys(CHILD_FIELDS)
            episodes: list[tuple[int, dict[str, str | None]]] = []
            for part in element:
                part_name = local(part.tag)
                if part_name == "ChildIdentifiers":
                    for field in part:
                        field_name = local(field.tag)
                        if field_name in child:
                            child[field_name] = columns.text(field.text)
                elif part_name == "CINdetails":
                    episodes.append((part.sourceline or element.sourceline or 0, _episode(part, columns)))
            if not episodes:
                episodes.append((element.sourceline or 0, dict.fromkeys((*EPISODE_FIELDS, *PLAN_FIELDS))))
            for line, episode in episodes:
                for field_name in HEADER_FIELDS:
                    data[field_name].append(header[field_name])
                for field_name in CHILD_FIELDS:
                    data[field_name].append(child[field_name])
                for field_name, value in episode.items():
                    data[field_name].append(value)
                data[FILE_COLUMN].append(file_label)
                data[LINE_COLUMN].append(line)
                data[CHILD_ORDINAL].append(ordinal)
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        syntax_error(error, path)
    if not checked_dtd and getattr(context, "root", None) is not None:
        refuse_dtd(context.root.getroottree(), path, WHAT)
    missing = [f"Header/{'CollectionDetails/ReferenceDate' if name == 'ReferenceDate' else 'Source/LEA'}"
               for name in HEADER_FIELDS if header[name] is None]  # fmt: skip
    if ordinal == first_ordinal or missing:
        what = ", ".join([*missing, *(["Children/Child"] if ordinal == first_ordinal else [])])
        raise InputError(f"not a CIN census file: no {what} element", path=path)
    return ordinal


def _episode(details: etree._Element, columns: _Columns) -> dict[str, str | None]:
    episode: dict[str, str | None] = dict.fromkeys((*EPISODE_FIELDS, *PLAN_FIELDS))
    latest_plan: tuple[str, str | None] | None = None
    for field in details:
        field_name = local(field.tag)
        if field_name in EPISODE_FIELDS:
            episode[field_name] = columns.text(field.text)
        elif field_name == "ChildProtectionPlans":
            start = columns.text(field.findtext("{*}CPPstartDate") or field.findtext("CPPstartDate"))
            end = columns.text(field.findtext("{*}CPPendDate") or field.findtext("CPPendDate"))
            # The latest plan decides whether one was open when the episode closed.
            if start and (latest_plan is None or order_key(start) > order_key(latest_plan[0])):
                latest_plan = (start, end)
    if latest_plan:
        episode["CPPstartDate"], episode["CPPendDate"] = latest_plan
    return episode


def read_cin(paths: Iterable[str | Path]) -> pd.DataFrame:
    columns = _Columns()
    ordinal = 0
    for raw_path in paths:
        ordinal = _read_file(existing_file(raw_path), columns, ordinal)
    frame = pd.DataFrame(columns.data)
    for name in (*HEADER_FIELDS, FILE_COLUMN):
        frame[name] = frame[name].astype("category")
    return frame
