"""Stage 5, learned expectations: each series' latest point against a band from its own past (reconcile/bands.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.intervals import Interval

ANOMALY_STATUSES = ("inside", "above", "below", "not_enough_history")


@dataclass(frozen=True)
class Anomaly:
    """One source's latest value of a measure at one place, tested against the band its own past predicts. It says
    "unusual", never "wrong": a real change in practice looks the same."""

    measure: str
    source: str
    geography: str
    period: str  # ISO
    period_label: str
    value: Interval
    status: str  # one of ANOMALY_STATUSES
    level: float
    points: int  # the past points the band was built from
    method: str = ""
    expected: float | None = None
    band: tuple[float, float] | None = None

    @property
    def unusual(self) -> bool:
        return self.status in ("above", "below")

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "source": self.source, "geography": self.geography, "period": self.period,
                "period_label": self.period_label, "value": self.value.to_list(),
                "expected": None if self.expected is None else round(self.expected, 2),
                "band": None if self.band is None else [round(self.band[0], 2), round(self.band[1], 2)],
                "level": self.level, "points": self.points, "method": self.method, "status": self.status}  # fmt: skip
