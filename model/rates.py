"""Rates per population and contrasts between them: results, never gating (they inform)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.intervals import Interval

RATE_CI_METHOD = "exact (Garwood) 95% Poisson interval for the count, divided by the population"
RATIO_CI_METHOD = "exact conditional 95% interval: Clopper-Pearson binomial on the first count's share of both"


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
    denominator_period: str = ""  # the mid-year estimate used, for the record

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "source": self.source,
            "period": self.period,
            "geography": self.geography,
            "count": self.count.to_list(),
            "denominator": _plain(self.denominator),
            "denominator_period": self.denominator_period,
            "per": _plain(self.per),
            "rate": self.rate.to_list(),
            "rate_ci": [round(self.rate_ci[0], 2), None if self.rate_ci[1] is None else round(self.rate_ci[1], 2)],
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
            "rate_ratio": self.rate_ratio.to_list(),
            "rate_ratio_ci": [round(self.rate_ratio_ci[0], 2),
                              None if self.rate_ratio_ci[1] is None else round(self.rate_ratio_ci[1], 2)],
            "method": RATIO_CI_METHOD,
        }  # fmt: skip


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
