"""Rates per population and contrasts between them: results, never gating (they inform)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..domain.intervals import Interval

RATE_CI_METHOD = "exact (Garwood) 95% Poisson interval for the count, divided by the population"
RATIO_CI_METHOD = "exact conditional 95% interval: Clopper-Pearson binomial on the first count's share of both"
# Every figure is rounded once, here, from its unrounded value, and every output (JSON, console, Markdown, HTML)
# shows it so: 3,687 / 11,761,656 x 100,000 = 31.348 is 31.3 everywhere (never 31.35 rounded again to 31.4).
RATE_DECIMALS = 1  # a rate per `per`, and its interval
RATIO_DECIMALS = 2  # a ratio of two rates, and its interval


def shown(value: float, decimals: int) -> float:
    """`value` rounded once to `decimals` places, as `format(value, '.Nf')` writes it (the unrounded binary value,
    correctly rounded): the one rounding of a rate or ratio."""
    return float(f"{value:.{decimals}f}")


def shown_bounds(low: float, high: float | None, decimals: int) -> list[float | None]:
    """[low, high] as shown; None above when there is no upper bound."""
    return [shown(low, decimals), None if high is None or math.isinf(high) else shown(high, decimals)]


@dataclass(frozen=True)
class Rate:
    measure: str
    source: str
    period: str
    period_label: str
    geography: str
    count: Interval  # a rounded or suppressed count carries its interval into the rate
    denominator: float
    per: float
    rate: Interval
    rate_ci: tuple[float, float | None]  # None above: the count has no upper bound (suppressed)
    denominator_period: str = ""  # which population: the mid-year estimate used ('mid-2021'), or the period ('2021-22')
    denominator_label: str = ""  # the same in words: 'mid-2021 estimate', 'children in need during 2021-22'

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "source": self.source,
            "period": self.period,
            "geography": self.geography,
            "count": self.count.to_list(),
            "denominator": _plain(self.denominator),
            "denominator_period": self.denominator_period,
            "denominator_label": self.denominator_label,
            "per": _plain(self.per),
            "rate": shown_bounds(self.rate.low, self.rate.high, RATE_DECIMALS),
            "rate_ci": shown_bounds(*self.rate_ci, RATE_DECIMALS),
            "method": RATE_CI_METHOD,
        }


@dataclass(frozen=True)
class Contrast:
    measure: str
    left: str
    right: str
    period: str
    period_label: str
    geography: str
    rate_ratio: Interval
    rate_ratio_ci: tuple[float, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "left": self.left,
            "right": self.right,
            "period": self.period,
            "geography": self.geography,
            "rate_ratio": shown_bounds(self.rate_ratio.low, self.rate_ratio.high, RATIO_DECIMALS),
            "rate_ratio_ci": shown_bounds(*self.rate_ratio_ci, RATIO_DECIMALS),
            "method": RATIO_CI_METHOD,
        }


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
