"""Stream CIN census XML (one file per LA) into a raw frame with one row per CINdetails episode.

A child with no CINdetails still gets one row, so child-level checks see every child.
Entities are never resolved and nothing is fetched: a DTD in a census file is refused. A census is its header
LEA's return, so a file whose LEA is no LA on the shipped list is refused too, naming the file and the element.

For speed the parse loop makes no Python call per child or episode: it only appends each wanted field's
raw text, keyed by its owner (child, episode or plan) and field code, to flat lists. Which of a repeated
field wins, each episode's latest plan, the header values and the line numbers are worked out afterwards,
vectorised, with the same results as reading each Child element on its own.

Each row has its element's line (the CINdetails', else the Child's). Where lines do not tell rows apart (a census
written on one line), those rows also get their element path (`PATH_COLUMN`, e.g.
`/Message/Children/Child[3]/CINdetails[2]`), so each failing record is found, and counted, on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from ..domain.dates import order_key
from ..domain.geography import is_known_la
from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, PATH_COLUMN
from ..schemas.cin import CHILD_ORDINAL
from .files import MAX_XML_BYTES, HashedInput, existing_file, opened_input
from .xml import TagCodes, local, refuse_dtd, safe_iterparse, syntax_error

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
COLUMNS = (*RAW_COLUMNS, FILE_COLUMN, LINE_COLUMN, CHILD_ORDINAL)

WHAT = "a CIN census file"

# Element codes by local name. A field's code also says whose it is: 0-5 a child's (in ChildIdentifiers),
# 6-8 an episode's (in CINdetails), 9-12 a plan's (in ChildProtectionPlans; 11-12 when namespaced).
_EPISODE = len(CHILD_FIELDS)
_PLAN = _EPISODE + len(EPISODE_FIELDS)
_PLAN_NS = _PLAN + len(PLAN_FIELDS)
_IDENTIFIERS, _DETAILS, _PLANS, _CHILD, _LEA, _REFERENCE = range(_PLAN_NS + len(PLAN_FIELDS), _PLAN_NS + 8)
_NAMES = {
    **{name: code for code, name in enumerate((*CHILD_FIELDS, *EPISODE_FIELDS, *PLAN_FIELDS))},
    "ChildIdentifiers": _IDENTIFIERS,
    "CINdetails": _DETAILS,
    "ChildProtectionPlans": _PLANS,
    "Child": _CHILD,
    "LEA": _LEA,
    "ReferenceDate": _REFERENCE,
}
_NAMESPACED = {name: _PLAN_NS + index for index, name in enumerate(PLAN_FIELDS)}
_SHIFT = 4  # a field's key is owner << _SHIFT | code
_MISSING = {_LEA: "Header/Source/LEA", _REFERENCE: "Header/CollectionDetails/ReferenceDate"}


@dataclass
class _Raw:
    """What the parse loop collects, in document order. Children, episodes and plans are numbered from 1
    across all files, in the order their elements end; each file's lists are compacted into arrays once read."""

    keys: list[int] = field(default_factory=list)  # per wanted field element: owner << _SHIFT | code
    texts: list[str | None] = field(default_factory=list)  # ... and its raw text
    child_lines: list[int] = field(default_factory=list)  # per Child: its line (0 when unknown)
    episode_children: list[int] = field(default_factory=list)  # per CINdetails: its child's number
    episode_lines: list[int] = field(default_factory=list)  # per CINdetails: its line (0 when unknown)
    plan_episodes: list[int] = field(default_factory=list)  # per ChildProtectionPlans: its episode's number
    episodes: int = 0  # numbers used so far
    plans: int = 0
    files: list[tuple[str | None, int, dict[int, str | None], dict[int, int]]] = field(default_factory=list)
    # per file: label, its last child's number, header values, and the child number each was set after
    child_paths: list[str] = field(default_factory=list)  # per file: its first Child's element path, /Message/.../Child
    chunks: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))

    def flush(self) -> None:
        """Turn the file just read into arrays: its lxml strings go, equal values then share one object."""
        values, given = _normalised(self.texts)
        self.chunks["values"].append(values)
        self.chunks["given"].append(given)
        for name in ("keys", "child_lines", "episode_children", "episode_lines", "plan_episodes"):
            pending: list[int] = getattr(self, name)
            self.chunks[name].append(np.array(pending, dtype=np.int64))
            pending.clear()  # the same list: the parse loop holds its append
        self.texts.clear()

    def joined(self, name: str) -> np.ndarray:
        """One of the arrays, for all files; taken, so the chunks are freed as soon as it is."""
        return np.concatenate(self.chunks.pop(name))


def _read_file(path: Path, raw: _Raw, first_ordinal: int) -> int:
    """One census file, read once: the bytes lxml parses are the bytes hashed (readers/files.py `opened_input`)."""
    with opened_input(path) as source:
        source.within(MAX_XML_BYTES, "CIN census file")
        return _parse_file(path, source, raw, first_ordinal)


def _parse_file(path: Path, source: HashedInput, raw: _Raw, first_ordinal: int) -> int:
    header: dict[int, str | None] = {_LEA: None, _REFERENCE: None}
    set_after: dict[int, int] = {}  # children numbered above this got the header value (it was read before them)
    header_lines: dict[int, int] = {}
    ordinal, episode, plan = first_ordinal, raw.episodes, raw.plans
    codes = TagCodes(_NAMES, _NAMESPACED)
    key, text, child_line = raw.keys.append, raw.texts.append, raw.child_lines.append
    episode_child, episode_line, plan_episode = raw.episode_children.append, raw.episode_lines.append, raw.plan_episodes.append
    context = safe_iterparse(source, ("Child", *HEADER_FIELDS))
    checked_dtd = False
    child_path = "/Child"
    try:
        for _, element in context:
            if not checked_dtd:
                refuse_dtd(element.getroottree(), path, WHAT)
                checked_dtd = True
            code = codes[element.tag]
            if code != _CHILD:
                if header.get(code, "") is None:  # the first LEA / ReferenceDate with a value, wherever it is
                    header[code] = (element.text or "").strip() or None
                    set_after[code] = ordinal
                    header_lines[code] = element.sourceline or 0
                continue
            ordinal += 1
            if ordinal == first_ordinal + 1:  # once a file: where its Child elements are (only read when lines tie)
                child_path = "/" + "/".join(local(e.tag) for e in reversed([element, *element.iterancestors()]))
            child_line(element.sourceline or 0)
            # Only direct children count: Child/ChildIdentifiers/*, Child/CINdetails/*, .../ChildProtectionPlans/*.
            # (A slice, element[:], hands them over in one call: cheaper than iterating.)
            for part in element[:]:
                code = codes[part.tag]
                if code == _IDENTIFIERS:
                    for item in part[:]:
                        code = codes[item.tag]
                        if 0 <= code < _EPISODE:
                            key(ordinal << _SHIFT | code)
                            text(item.text)
                elif code == _DETAILS:
                    episode += 1
                    episode_child(ordinal)
                    episode_line(part.sourceline or 0)
                    for item in part[:]:
                        code = codes[item.tag]
                        if _EPISODE <= code < _PLAN:
                            key(episode << _SHIFT | code)
                            text(item.text)
                        elif code == _PLANS:
                            plan += 1
                            plan_episode(episode)
                            for leaf in item[:]:
                                code = codes[leaf.tag]
                                if _PLAN <= code < _IDENTIFIERS:
                                    key(plan << _SHIFT | code)
                                    text(leaf.text)
            # Free the finished child, and the siblings before it, so memory per file stays bounded.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        syntax_error(error, path)
    if not checked_dtd and getattr(context, "root", None) is not None:
        refuse_dtd(context.root.getroottree(), path, WHAT)
    missing = [_MISSING[code] for code in (_LEA, _REFERENCE) if header[code] is None]
    if ordinal == first_ordinal or missing:
        what = ", ".join([*missing, *(["Children/Child"] if ordinal == first_ordinal else [])])
        raise InputError(f"not a CIN census file: no {what} element", path=path)
    _known_lea(header[_LEA], path, header_lines.get(_LEA, 0))
    # A short name is stripped, as every short value always was.
    label = (path.name.strip() or None) if len(path.name) <= 12 else path.name
    raw.files.append((label, ordinal, header, set_after))
    raw.child_paths.append(child_path)
    raw.episodes, raw.plans = episode, plan
    raw.flush()
    return ordinal


def _known_lea(lea: str | None, path: Path, line: int) -> None:
    """A census is its header's LA's return: an LEA that is no LA on the shipped list leaves every count without a place."""
    if lea is not None and not is_known_la(lea):
        shown = repr(lea[:40]) + ("..." if len(lea) > 40 else "")
        raise InputError(
            f"Header/Source/LEA {shown} is not an English LA on the shipped list (a 3-digit DfE code or an ONS code)",
            path=path,
            where=f"line {line}" if line else None,
        )


def _normalised(texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Each text stripped, None when blank, equal values sharing one object; and whether the raw text was non-empty.

    Each distinct value is stripped once: a census repeats a few thousand dates and codes many times.
    (str.strip directly: pandas' .str.strip would call a Python lambda per value.)
    """
    codes, distinct = pd.factorize(np.array(texts, dtype=object))
    stripped = np.array([value.strip() for value in distinct], dtype=object)
    values = np.append(np.where(stripped == "", None, stripped), None)  # the last entry: for code -1 (no text)
    given = np.append(distinct != "", False)
    return values[codes], given[codes]


def _first(slots: np.ndarray, size: int, among: np.ndarray) -> np.ndarray:
    """For each slot 0..size-1, the first position in `among` holding it; len(slots) where none does."""
    found = np.full(size, len(slots))
    unique, index = np.unique(slots[among], return_index=True)
    found[unique] = among[index]
    return found


def _latest_plans(
    plan_episodes: np.ndarray, episodes: int, keys: np.ndarray, values: np.ndarray, given: np.ndarray
) -> np.ndarray:
    """(CPPstartDate, CPPendDate) of each episode's latest plan by start date, the first on a tie (None, None without).

    The latest plan decides whether one was open when the episode closed. A plan's dates are read as
    findtext("{*}CPPstartDate") or findtext("CPPstartDate") read them, and a plan without a start is skipped.
    """
    chosen = np.full((episodes, 2), None, dtype=object)
    plans = len(plan_episodes)
    code = keys & ((1 << _SHIFT) - 1)
    slot = ((keys >> _SHIFT) - 1) * 2 + (code - _PLAN) % 2  # the plan's start, the plan's end
    values, given = np.append(values, None), np.append(given, False)
    first_any = _first(slot, plans * 2, np.arange(len(keys)))
    first_plain = _first(slot, plans * 2, np.flatnonzero(code < _PLAN_NS))
    pairs = values[np.where(given[first_any], first_any, first_plain)].reshape(plans, 2)
    return latest_by_start(plan_episodes - 1, pairs, episodes) if plans else chosen


def latest_by_start(groups: np.ndarray, pairs: np.ndarray, count: int) -> np.ndarray:
    """For each of `count` groups (an episode), the (start, end) pair of `pairs` (in document order, `groups` saying
    whose each is) with the latest start by domain/dates.py `order_key`, the first on a tie; a pair without a start
    is skipped; (None, None) for a group with none. The one rule for an episode's plan, from XML or a flat table."""
    chosen = np.full((count, 2), None, dtype=object)
    with_start = np.flatnonzero(pd.notna(pairs[:, 0]))
    if not len(with_start):
        return chosen
    # order_key for each distinct start, (year, month, day) or (0, 0, 0) when unreadable, as one integer.
    start_codes, starts = pd.factorize(pairs[with_start, 0])
    rank = np.array([year * 10_000 + month * 100 + day for year, month, day in map(order_key, starts)], dtype=np.int64)
    group = np.asarray(groups)[with_start]
    order = np.lexsort((with_start, -rank[start_codes], group))  # by group, latest start first, then document order
    best = order[np.r_[True, group[order][1:] != group[order][:-1]]]
    chosen[group[best]] = pairs[with_start[best]]
    return chosen


def _fields(raw: _Raw, children: int, episodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Each child's fields, and each episode's (its plan dates last), plus an all-None last row for no episode."""
    keys, values, given = raw.joined("keys"), raw.joined("values"), raw.joined("given")
    codes = (keys & ((1 << _SHIFT) - 1)).astype(np.int8)
    in_plan = np.flatnonzero(codes >= _PLAN)  # every one counts: the first of a plan's dates wins
    plans = _latest_plans(raw.joined("plan_episodes"), episodes, keys[in_plan], values[in_plan], given[in_plan])
    del given, in_plan
    # A repeated child or episode field: the last one wins, as each used to overwrite the one before.
    order = np.argsort(keys, kind="stable")
    final = np.ones(len(keys), dtype=bool)  # the last of each run of equal keys
    final[:-1] = keys[order[1:]] != keys[order[:-1]]
    last = order[final]
    del order, final
    code, owner = codes[last], keys[last] >> _SHIFT
    child_values = np.full((children, len(CHILD_FIELDS)), None, dtype=object)
    pick = code < _EPISODE
    child_values[owner[pick] - 1, code[pick]] = values[last[pick]]
    episode_values = np.full((episodes + 1, len(EPISODE_FIELDS) + len(PLAN_FIELDS)), None, dtype=object)
    pick = (code >= _EPISODE) & (code < _PLAN)
    episode_values[owner[pick] - 1, code[pick] - _EPISODE] = values[last[pick]]
    episode_values[:-1, len(EPISODE_FIELDS) :] = plans
    return child_values, episode_values


def _frame(raw: _Raw) -> pd.DataFrame:
    """The one-row-per-episode frame (one row for a child without episodes), children in order."""
    child_lines, episode_lines = raw.joined("child_lines"), raw.joined("episode_lines")
    children, episodes = len(child_lines), len(episode_lines)
    child_values, episode_values = _fields(raw, children, episodes)

    # Rows: each child's episodes in order, or one row (episode -1: the all-None last row) when it has none.
    episode_child = raw.joined("episode_children") - 1
    per_child = np.bincount(episode_child, minlength=children)
    rows = np.maximum(per_child, 1)
    row_child = np.repeat(np.arange(children), rows)
    first_row, first_episode = np.cumsum(rows) - rows, np.cumsum(per_child) - per_child  # each child's
    numbers = np.arange(episodes)
    row_episode = np.full(len(row_child), -1)
    row_episode[first_row[episode_child] + numbers - first_episode[episode_child]] = numbers
    # The CINdetails element's line, else the Child's.
    lines = np.append(episode_lines, 0)[row_episode]
    lines = np.where(lines != 0, lines, child_lines[row_child])

    # Header values apply to the children of their file read after them.
    file_of_child = np.repeat(np.arange(len(raw.files)), np.diff([0] + [last for _, last, _, _ in raw.files]))
    number = np.arange(1, children + 1)
    data: dict[str, np.ndarray] = {}
    for code, name in zip((_LEA, _REFERENCE), HEADER_FIELDS, strict=True):
        value = np.array([header[code] for _, _, header, _ in raw.files], dtype=object)
        after = np.array([set_after.get(code, 0) for _, _, _, set_after in raw.files], dtype=np.int64)
        data[name] = np.where(number > after[file_of_child], value[file_of_child], None)[row_child]
    for index, name in enumerate(CHILD_FIELDS):
        data[name] = child_values[row_child, index]
    for index, name in enumerate((*EPISODE_FIELDS, *PLAN_FIELDS)):
        data[name] = episode_values[row_episode, index]
    labels = np.array([label for label, _, _, _ in raw.files], dtype=object)
    data[FILE_COLUMN] = labels[file_of_child][row_child]
    data[LINE_COLUMN] = lines
    data[CHILD_ORDINAL] = row_child + 1
    paths = _tied_paths(raw, lines, file_of_child[row_child], row_child, row_episode, first_episode[row_child])
    if paths is not None:
        data[PATH_COLUMN] = paths
    del child_values, episode_values, row_child, row_episode
    return pd.DataFrame(data)


def _tied_paths(
    raw: _Raw, lines: np.ndarray, row_file: np.ndarray, row_child: np.ndarray, row_episode: np.ndarray, child_first: np.ndarray
) -> np.ndarray | None:
    """Each row's element path where another row of its file has its line (else None); None when no line ties.

    Rows are in document order, so a tie is with the row before or after."""
    same = (lines[1:] == lines[:-1]) & (row_file[1:] == row_file[:-1])
    if not same.any():
        return None
    tied = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
    first_child = np.r_[0, [last for _, last, _, _ in raw.files]][:-1]  # children numbered before each file's
    # Built column-wise (a census on one line ties every row): no Python call per row.
    files = row_file[tied]
    prefix = pd.Series(np.array(raw.child_paths, dtype=object)[files], dtype="string")
    child = pd.Series(row_child[tied] + 1 - first_child[files]).astype("string")
    episode = row_episode[tied]
    detail = pd.Series(episode - child_first[tied] + 1).astype("string")
    where = prefix + "[" + child + "]"
    tied_paths = where.where(episode < 0, where + "/CINdetails[" + detail + "]")
    paths = np.full(len(lines), None, dtype=object)
    paths[tied] = tied_paths.to_numpy(dtype=object)
    return paths


def read_cin(paths: Iterable[str | Path]) -> pd.DataFrame:
    raw = _Raw()
    ordinal = 0
    for raw_path in paths:
        ordinal = _read_file(existing_file(raw_path), raw, ordinal)
    # Columns of str or None, as lists of them always gave (str dtype, or object when all None).
    frame = _frame(raw) if raw.files else pd.DataFrame({name: [] for name in COLUMNS})
    for name in (*HEADER_FIELDS, FILE_COLUMN):
        frame[name] = frame[name].astype("category")
    return frame
