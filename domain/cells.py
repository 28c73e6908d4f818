"""Published cells read strictly: a number (thousands separators allowed), an EES symbol, or blank.

Anything else is unreadable and must be reported (`published.unreadable`), never taken as "not
available". Vectorised: one regular expression pass per column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import COUNT, RATE, RATE_NAME, kind_by_name
from .intervals import ROUNDS_TO_ZERO, SUPPRESSED, SYMBOLS, Interval

_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_NUMBER = rf"^(?P<sign>-?)(?P<whole>{_DIGITS})(?:\.(?P<fraction>\d+))?$"

# What a publisher declares its symbols mean (`symbols: {c: [1, 5]}`): symbol in lower case -> inclusive counts.
Declared = Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class Cells:
    text: pd.Series  # stripped text, <NA> when blank
    number: pd.Series  # float, NaN unless the cell is a number
    decimals: pd.Series  # digits after the point (0 for a whole number)
    symbol: pd.Series  # the EES symbol in lower case, or None
    blank: pd.Series  # bool
    unreadable: pd.Series  # bool: neither a number of the expected kind, a symbol, nor blank


def read_cells(raw: pd.Series, *, whole: bool, signed: bool = False, symbols: Collection[str] = ()) -> Cells:
    """`whole`: only non-negative whole numbers are readable (counts); otherwise decimals are too (rates).
    `signed`: a leading minus is readable too (any indicator, when nothing says it is a count). `symbols`: the
    publisher's own symbols (lower case) a source declares, readable besides EES's.

    Each distinct text is read once: a column of a national table repeats a few thousand values.
    """
    codes, distinct = pd.factorize(raw.astype("string"), use_na_sentinel=True)
    read = _read_distinct(pd.Series(distinct, dtype="string"), whole, signed, frozenset(SYMBOLS | set(symbols)))
    present = codes >= 0
    take = np.where(present, codes, 0)
    index = raw.index

    def spread(values: np.ndarray, missing: object) -> np.ndarray:
        out = np.full(len(raw), missing, dtype=values.dtype if values.dtype != object else object)
        if len(distinct):
            out[present] = values[take[present]]
        return out

    text = pd.Series(spread(read["text"].to_numpy(dtype=object), None), index=index, dtype="string", name=raw.name)
    return Cells(
        text=text,
        number=pd.Series(spread(read["number"].to_numpy(dtype="float64"), np.nan), index=index),
        decimals=pd.Series(spread(read["decimals"].to_numpy(dtype="int64"), 0), index=index),
        symbol=pd.Series(spread(read["symbol"].to_numpy(dtype=object), None), index=index, dtype=object),
        blank=pd.Series(spread(read["blank"].to_numpy(dtype=bool), True), index=index),
        unreadable=pd.Series(spread(read["unreadable"].to_numpy(dtype=bool), False), index=index),
    )


def _read_distinct(raw: pd.Series, whole: bool, signed: bool, symbols: frozenset[str]) -> pd.DataFrame:
    text = raw.str.strip()
    blank = (text.isna() | (text == "")).fillna(True).to_numpy(dtype=bool)
    lowered = text.str.lower()
    is_symbol = lowered.isin(symbols).fillna(False).to_numpy(dtype=bool) & ~blank
    parts = text.str.extract(_NUMBER)
    negative = (parts["sign"] == "-").fillna(False).to_numpy(dtype=bool)
    shaped = parts["whole"].notna().to_numpy(dtype=bool) & (signed | ~negative)
    has_fraction = parts["fraction"].notna().to_numpy(dtype=bool)
    readable_number = shaped & ~has_fraction if whole else shaped
    digits = (
        parts["sign"].fillna("") + parts["whole"].str.replace(",", "", regex=False) + ("." + parts["fraction"]).fillna("")
    ).where(pd.Series(readable_number, index=raw.index))
    # Through object, one float per distinct text: pd.to_numeric on pyarrow strings fails past 2**64 with a gap.
    number = np.array([float(d) if isinstance(d, str) else np.nan for d in digits.astype(object)], dtype="float64")
    infinite = np.isinf(number)  # a figure too large for a float (400 digits) is not a figure the tool can compare
    number[infinite] = np.nan
    readable_number = readable_number & ~infinite
    return pd.DataFrame(
        {
            "text": text.astype(object).where(text.notna(), None),
            "number": number,
            "decimals": parts["fraction"].str.len().fillna(0).astype("int64").to_numpy(),
            "symbol": np.where(is_symbol, lowered.fillna("").to_numpy(dtype=object), None),
            "blank": blank,
            "unreadable": ~blank & ~is_symbol & ~readable_number,
        },
        index=raw.index,
    )


def readings(cells: Cells) -> pd.Series:
    """What each cell says, so that two cells saying the same thing compare equal (`1,000` and `1000`, `LOW` and `low`)."""
    said = "t:" + cells.text.fillna("").astype(object)
    said = said.mask(cells.symbol.notna(), "s:" + cells.symbol.astype(str))
    return said.mask(cells.number.notna(), "n:" + cells.number.astype(str)).astype(object)


def cell_bounds(
    cells: Cells, bases: pd.Series, *, count: bool = False, declared: Declared | None = None, rate: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each cell as [low, high] (NaN where not available or unreadable), vectorised.

    A whole number is read as rounded to its base (`intervals.from_rounded`) only when it is a count and a
    multiple of the base: rounding is declared for counts, never for rates or ratios (a rate of 70 in a table
    rounded to 10 is 70, not 65 to 74). `rate`: True for a rate, ratio or other non-count; None (a column of
    figures of unknown kind, e.g. a revision's indicator) reads the column as counts only when every number in
    it is whole and its name does not say it is a rate (`may_be_counts`). `c` is at least 1, with no upper
    bound (it may hide a larger value suppressed to protect another). `count`: `k`/`low` is a count that rounds
    to 0 but is not 0, so 1 to the largest whole number that rounds to 0 at the base (NaN where none does, see
    `low_contradicts`); otherwise the older reading ([1, under half the base], or [0, 0.5] unrounded).
    `declared`: what the publisher says a symbol means ({"c": (1, 5)}), which replaces any reading of it.
    """
    if not count and (rate or (rate is None and not may_be_counts(cells))):
        bases = pd.Series(1, index=bases.index, dtype="int64")
    low, high = _symbol_bounds(cells, bases, count)
    for symbol, (least, most) in (declared or {}).items():
        said = (cells.symbol == symbol).to_numpy(dtype=bool)
        low, high = np.where(said, float(least), low), np.where(said, float(most), high)
    return low, high


def may_be_counts(cells: Cells) -> bool:
    """Whether a column of figures of unknown kind may hold counts: every number written whole and a name (`cells.text.name`)
    that does not say rate, ratio, percent, average, ... Rounding intervals apply to counts only."""
    whole = not bool((cells.decimals.to_numpy() > 0).any())  # `70.0` is written as a measurement, not a count
    return whole and not RATE_NAME.search(str(cells.text.name or ""))


def _symbol_bounds(cells: Cells, bases: pd.Series, count: bool) -> tuple[np.ndarray, np.ndarray]:
    number = cells.number.to_numpy(dtype="float64")
    base = bases.to_numpy(dtype="int64")
    rounded = (base > 1) & (np.mod(number, np.maximum(base, 1)) == 0)
    half = base // 2
    low = np.where(rounded, np.maximum(0, number - half), number)
    high = np.where(rounded, number + base - half - 1, number)
    symbol = cells.symbol.to_numpy(dtype=object)
    suppressed = symbol == SUPPRESSED
    small = np.isin(symbol, list(ROUNDS_TO_ZERO))
    if count:
        # Half rounds up (as `from_rounded` reads 60 to 10 as 55-64), so base - half - 1 is the largest to round to 0.
        largest = (base - half - 1).astype("float64")
        low = np.where(suppressed, 1.0, np.where(small, np.where(largest >= 1, 1.0, np.nan), low))
        high = np.where(suppressed, np.inf, np.where(small, np.where(largest >= 1, largest, np.nan), high))
        return low, high
    low = np.where(suppressed | small, np.where(small & (base <= 1), 0.0, 1.0), low)
    high = np.where(suppressed, np.inf, np.where(small, np.where(base > 1, np.maximum(1, half - 1), 0.5), high))
    return low, high


def low_contradicts(cells: Cells, bases: pd.Series, declared: Declared | None = None) -> pd.Series:
    """Count cells `k`/`low` where nothing but 0 rounds to 0 at the base (unrounded, or to 2): not a count.
    A symbol whose meaning the publisher declares contradicts nothing."""
    small = cells.symbol.isin(ROUNDS_TO_ZERO - set(declared or {})).to_numpy(dtype=bool)
    base = bases.to_numpy(dtype="int64")
    return pd.Series(small & (base - base // 2 - 1 < 1), index=cells.symbol.index)


def count_intervals(cells: Cells, bases: pd.Series) -> list[Interval | None]:
    """Each count cell as an Interval, None where not available, unreadable or a `low` that contradicts its base."""
    low, high = cell_bounds(cells, bases, count=True)
    return [None if np.isnan(a) else Interval(float(a), float(b)) for a, b in zip(low.tolist(), high.tolist(), strict=True)]


def from_published(text: object, base: int) -> Interval | None:
    """One count cell's text as an interval; None when not available, unreadable (which the published
    checks report as `published.unreadable`) or `low` where only 0 rounds to 0 (`published.rounding`)."""
    cells = read_cells(pd.Series([text], dtype=object), whole=False)
    return count_intervals(cells, pd.Series([base]))[0]


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def in_words(number: int) -> str:
    """A tally of published cells or of tests on them (never of children) as prose writes it: under ten in words,
    so that no output, `--publish` included, shows a numeral a reader could take for a small count."""
    return _WORDS[number] if 0 <= number < len(_WORDS) else f"{number:,}"


def tally(number: int, one: str, many: str) -> str:
    return f"{in_words(number)} {one if number == 1 else many}"


def column_kind(name: str, values: pd.Series) -> str:
    """The kind of an indicator column (domain/columns.py): by its name, else a rate where any cell has decimals, else a
    count."""
    named = kind_by_name(name)
    if named is not None:
        return named
    cells = read_cells(values, whole=False, signed=True)
    return RATE if bool((cells.decimals > 0).any()) else COUNT
