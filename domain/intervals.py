"""Published figures are intervals, not numbers: rounding and suppression symbols become [low, high]."""

from __future__ import annotations

import math
from dataclasses import dataclass

SYMBOLS_NOT_AVAILABLE = {"z", "x", ":", "u", ".."}  # EES symbols: not applicable, not available
SUPPRESSED = "c"
ROUNDS_TO_ZERO = {"k", "low"}  # rounds to zero but is not zero
SYMBOLS = {SUPPRESSED, *SYMBOLS_NOT_AVAILABLE, *ROUNDS_TO_ZERO}


@dataclass(frozen=True)
class Interval:
    low: float
    high: float  # math.inf when only a lower bound is known

    @classmethod
    def exact(cls, value: float) -> Interval:
        return cls(float(value), float(value))

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.low + other.low, self.high + other.high)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.low - other.high, self.high - other.low)

    def scale(self, factor: float) -> Interval:
        return Interval(self.low * factor, self.high * factor)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def is_exact(self) -> bool:
        return self.low == self.high

    @property
    def midpoint(self) -> float:
        return self.low if math.isinf(self.high) else (self.low + self.high) / 2

    def to_list(self) -> list[float | None]:
        return [_plain(self.low), None if math.isinf(self.high) else _plain(self.high)]


def ends(value: Interval | None) -> tuple[float | None, float | None]:
    """An interval as its two ends, as the history stores them: None low is not available, None high no upper bound."""
    if value is None:
        return None, None
    return value.low, None if math.isinf(value.high) else value.high


def from_ends(low: float | None, high: float | None) -> Interval | None:
    """The inverse of `ends`."""
    if low is None:
        return None
    return Interval(float(low), math.inf if high is None else float(high))


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def from_rounded(value: int, base: int) -> Interval:
    """A count rounded to the nearest `base`: 60 to the nearest 10 is 55-64."""
    if base <= 1:
        return Interval.exact(value)
    half = base // 2
    return Interval(max(0, value - half), value + base - half - 1)

