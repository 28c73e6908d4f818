"""Columns and filter values in one vintage only: the whole mapping suggested at once, as one refusal.

A column of the old vintage is paired with one of the new when their names are the same but for case, `_` and
spaces; otherwise when the name is similar or the values look alike (numbers or text, their range, their share of
EES symbols). Two columns of different roles (a geography code and a figure), of different types (numbers and
text) or of different kinds (a rate and a count: domain/columns.py) are never paired, and each column is paired at
most once (an assignment). An old column with no partner was dropped (`null`); a new one with no partner is a new
column, left out of the comparison.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..domain.cells import Cells, column_kind, read_cells
from ..domain.columns import RATE
from ..errors import InputError

TIME = ("time_period", "time_identifier", "geographic_level")
_SAMPLE = 20_000  # distinct values compared per text column
_NAME_ALIKE = 0.6  # difflib ratio at which two names (or two filter values) are taken for one reworded
_VALUES_ALIKE = 0.5  # profile likeness at which two columns' values are taken for one column's
_WIDEN = 0.05  # log10 units (about 12%) each numeric range is widened by, either side


def counted(number: int, one: str, many: str) -> str:
    """`1 column`, `9 columns`: the number and the noun that agrees with it."""
    return f"{number:,} {one if number == 1 else many}"


def reads_as_figures(cells: Cells) -> bool:
    """A column of figures: some number, and most (at least half) of its written cells numbers or EES symbols. Its
    other cells are cells that fail (`Lineup.unreadable`), never a reason to read the column as a key or filter."""
    written = int((~cells.blank).sum())
    odd = int(cells.unreadable.sum())
    return bool(cells.number.notna().any()) and 2 * odd <= written


def figure_cells(values: pd.Series) -> Cells:
    """How a revision's cells are read: numbers (decimals and a minus allowed), EES symbols or blank."""
    return read_cells(values, whole=False, signed=True)


@dataclass(frozen=True)
class Profile:
    role: str  # time, code, figures or text
    kind: str | None  # a column of figures: count, rate or denominator
    low: float  # the numbers' range, NaN when none
    high: float
    symbols: float  # share of written cells that are EES symbols
    distinct: frozenset[str]  # a text column's values (a sample)


def profile(name: str, values: pd.Series) -> Profile:
    if name in TIME:
        role = "time"
    elif name.endswith("_code"):
        role = "code"
    else:
        cells = figure_cells(values)
        role = "figures" if reads_as_figures(cells) else "text"
    if role != "figures":
        text = values.astype("string").str.strip().dropna()
        return Profile(role, None, math.nan, math.nan, 0.0, frozenset(text.drop_duplicates().head(_SAMPLE)))
    numbers = cells.number.dropna()
    written = max(1, int((~cells.blank).sum()))
    return Profile(role, column_kind(name, values), float(numbers.min()), float(numbers.max()),
                   float(cells.symbol.notna().sum()) / written, frozenset())  # fmt: skip


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def _compatible(old: Profile, new: Profile) -> bool:
    """Never a code for a figure, numbers for text, nor a rate for a count (or back)."""
    return old.role == new.role and (old.role != "figures" or (old.kind == RATE) == (new.kind == RATE))


def _scale(value: float) -> float:
    return math.copysign(math.log10(1 + abs(value)), value)


def _values_alike(old: Profile, new: Profile) -> float:
    if old.role != "figures":
        union = old.distinct | new.distinct
        return len(old.distinct & new.distinct) / len(union) if union else 0.0
    # The ranges' overlap on a log scale, each widened a little so that a column of one value still overlaps.
    ends = [(_scale(p.low) - _WIDEN, _scale(p.high) + _WIDEN) for p in (old, new)]
    shared = min(ends[0][1], ends[1][1]) - max(ends[0][0], ends[1][0])
    span = max(ends[0][1], ends[1][1]) - min(ends[0][0], ends[1][0])
    return max(0.0, shared) / span * (1 - abs(old.symbols - new.symbols))


def pair_columns(old: Mapping[str, Profile], new: Mapping[str, Profile]) -> dict[str, str]:
    """Old column -> new column: same name but for case and `_` first, then the likeliest pairs, each column once."""
    pairs: dict[str, str] = {}
    for name in old:
        same = [n for n in new if n not in pairs.values() and _normal(n) == _normal(name) and _compatible(old[name], new[n])]
        if same:
            pairs[name] = same[0]
    scored = []
    for name in (n for n in old if n not in pairs):
        for other in (n for n in new if n not in pairs.values()):
            if not _compatible(old[name], new[other]):
                continue
            named = difflib.SequenceMatcher(None, _normal(name), _normal(other)).ratio()
            alike = _values_alike(old[name], new[other])
            if named >= _NAME_ALIKE or alike >= _VALUES_ALIKE:
                scored.append((named + alike, name, other))
    for _, name, other in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):  # the best pairs first, each column once
        if name not in pairs and other not in pairs.values():
            pairs[name] = other
    return pairs


def pair_values(gone: Sequence[str], came: Sequence[str]) -> dict[str, str]:
    """Filter values reworded: old -> new, the same but for case and spacing first, then the closest wording. Values
    that all read as numbers are figures, never wording: they are not paired."""
    pairs: dict[str, str] = {}
    if _all_numbers([*gone, *came]):
        return pairs
    spaced = {value: " ".join(value.lower().split()) for value in (*gone, *came)}
    for value in gone:
        same = [v for v in came if v not in pairs.values() and spaced[v] == spaced[value]]
        if same:
            pairs[value] = same[0]
    scored = []
    for value in (v for v in gone if v not in pairs):
        for other in (v for v in came if v not in pairs.values()):
            matcher = difflib.SequenceMatcher(None, spaced[value], spaced[other])
            if (
                matcher.real_quick_ratio() >= _NAME_ALIKE
                and matcher.quick_ratio() >= _NAME_ALIKE
                and matcher.ratio() >= _NAME_ALIKE
            ):
                scored.append((matcher.ratio(), value, other))
    for _, value, other in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if value not in pairs and other not in pairs.values():
            pairs[value] = other
    return pairs


def _all_numbers(values: Sequence[str]) -> bool:
    cells = figure_cells(pd.Series(list(values), dtype=object))
    return bool(len(values)) and bool(cells.number.notna().all())


@dataclass(frozen=True)
class Unpaired:
    """What does not line up: columns in one vintage only, and the filter values reworded, with the mapping to write."""

    only_old: tuple[str, ...]
    only_new: tuple[str, ...]
    columns: Mapping[str, str | None]  # the suggested `columns:` (old name -> new name, None: dropped)
    values: Mapping[str, Mapping[str, str]]  # the suggested `values:` (filter -> {old value: new value})
    values_only: Mapping[str, tuple[int, int]]  # filter -> (values in the old vintage only, in the new only)

    @property
    def needs_mapping(self) -> bool:
        return bool(self.columns) or bool(self.values)

    def described(self, new_name: str) -> str:
        parts = []
        if self.only_old:
            parts.append(
                f"{counted(len(self.only_old), 'column', 'columns')} in the old vintage only ({', '.join(self.only_old)})"
            )
        if self.only_new:
            fresh = [c for c in self.only_new if c not in self.columns.values()]
            new = ", new: left out of the comparison" if len(fresh) == len(self.only_new) else ""
            new = new or (f", of which {', '.join(fresh)} new (left out of the comparison)" if fresh else "")
            parts.append(
                f"{counted(len(self.only_new), 'column', 'columns')} in the new vintage only ({', '.join(self.only_new)}){new}"
            )
        for column, mapping in self.values.items():
            gone, came = self.values_only[column]
            parts.append(f"filter {column}: {counted(len(mapping), 'value', 'values')} reworded "
                         f"({gone:,} in the old vintage only, {came:,} in the new only, for the same periods)")  # fmt: skip
        renamed = sum(1 for v in self.columns.values() if v is not None)
        dropped = sum(1 for v in self.columns.values() if v is None)
        reworded = sum(len(m) for m in self.values.values())
        plan = [counted(renamed, "column renamed", "columns renamed") if renamed else "",
                counted(dropped, "column dropped (null)", "columns dropped (null)") if dropped else "",
                counted(reworded, "value reworded", "values reworded") if reworded else ""]  # fmt: skip
        return f"does not line up with {new_name}: {'; '.join(parts)}; suggested mapping: {', '.join(p for p in plan if p)}"


class RenamesNeeded(InputError):
    """The one refusal naming everything that does not line up; the command writes the mapping (`--suggest FILE`)."""

    def __init__(self, unpaired: Unpaired, old_name: str, new_name: str, written_to: str | None = None,
                 config: str = "FILE") -> None:  # fmt: skip
        self.unpaired, self.old_name, self.new_name = unpaired, old_name, new_name
        how = (f"written to {written_to}: check it, then run again with `--config {config}`" if written_to is not None
               else "pass `--suggest FILE` to have it written to FILE as a revisions config, then run again with `--config FILE`")  # fmt: skip
        super().__init__(f"{unpaired.described(new_name)}; {how}", path=old_name, where="line 1")

    def written(self, file: str, *, stream: bool = False) -> RenamesNeeded:
        """The refusal once the mapping is written to `file` (`stream`: standard output or a device, to be saved first)."""
        return RenamesNeeded(self.unpaired, self.old_name, self.new_name, written_to=file, config="FILE" if stream else file)
