"""Stage 5, learned expectations: each series' latest point against a band from its own past (reconcile/bands.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.acknowledgements import Acknowledged, plain_number
from ..domain.geography import place_code
from ..domain.identity import anomaly_key
from ..domain.intervals import Interval
from ..domain.periods import Period
from ..domain.status import Status, blocks_release
from .rates import shown

INSIDE, ABOVE, BELOW, NOT_ENOUGH_HISTORY = "inside", "above", "below", "not_enough_history"
ANOMALY_STATUSES = (INSIDE, ABOVE, BELOW, NOT_ENOUGH_HISTORY)
BAND_LEVEL, MIN_POINTS = 0.998, 5  # a series band's defaults (`anomaly:`)
FUNNEL_LEVELS = (0.95, 0.998)  # a funnel's default levels (`funnel:`)


@dataclass(frozen=True)
class PastPoint:
    """One earlier period of a series: from the source's own data (`release` None) or from an earlier release held in
    the run history (its label), for a period the source no longer carries."""

    period: str  # ISO
    period_label: str
    value: Interval
    release: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "period_label": self.period_label, "value": self.value.to_list(),
                **({"release": self.release} if self.release is not None else {})}  # fmt: skip


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
    past: tuple[PastPoint, ...] = ()  # the series before the tested point, oldest first (all of it, used or not)
    gate: bool = False  # `anomaly: {gate: true}`: an unusual point blocks the release (else it informs)
    source_id: str = ""  # the source's `id:` (its key's part); "" in tests' hand-made ones: the name stands in
    acknowledgement: Acknowledged | None = None  # the acknowledgements file's entry for its key (a gated one only)

    @property
    def unusual(self) -> bool:
        return self.status in (ABOVE, BELOW)

    # --- as a finding of the release (model/release.py `findings`): an unusual point only -------------------------

    @property
    def identity(self) -> str:
        """Its key (domain/identity.py anomaly_key): the place as an ONS code, the source by its id."""
        return anomaly_key(self.measure, Period.from_iso(self.period), place_code(self.geography), self.source_id or self.source)

    @property
    def check_id(self) -> str:
        """`anomaly.above` or `anomaly.below` (SARIF's rule, JUnit's words); `anomaly.inside` and so on for the rest."""
        return f"anomaly.{self.status}"

    @property
    def severity(self) -> str:
        """`gate: true` makes an unusual point an error (it blocks unless acknowledged); else a warning: it informs."""
        return "error" if self.gate else "warning"

    @property
    def finding_status(self) -> Status:
        """As the one blocking rule reads it (domain/status.py): an unusual point is a failed check of the series."""
        return Status.FAILED if self.unusual else Status.PASSED

    @property
    def blocks(self) -> bool:
        return blocks_release(self.finding_status, self.severity, self.acknowledgement is not None and self.acknowledgement.settles)

    @property
    def evidence(self) -> dict[str, Any]:
        """What an acknowledgement of it records: the figure (or [low, high] where not exact), the band and the
        expected value, rounded as the JSON shows them."""
        value = plain_number(self.value.low) if self.value.is_exact else self.value.to_list()
        return {"value": value, "band": self._band(), "expected": self._expected()}

    def _band(self) -> list[float] | None:
        return None if self.band is None else [round(self.band[0], 2), round(self.band[1], 2)]

    def _expected(self) -> float | None:
        return None if self.expected is None else round(self.expected, 2)

    def to_dict(self) -> dict[str, Any]:
        out = {"key": self.identity, "measure": self.measure, "source": self.source, "geography": self.geography,
               "period": self.period, "period_label": self.period_label, "value": self.value.to_list(),
               "expected": self._expected(), "band": self._band(), "level": self.level, "points": self.points,
               "method": self.method, "status": self.status}  # fmt: skip
        if self.unusual:  # a finding: its severity (warning, or error with `gate: true`) and evidence
            out["severity"], out["evidence"] = self.severity, self.evidence
        if self.acknowledgement is not None:
            out["acknowledgement"] = self.acknowledgement.to_dict()
        return out


# --- funnel limits for LAs (reconcile/funnels.py computes them) ---------------------------------------------


def level_text(level: float) -> str:
    """0.998 -> '99.8%', 0.99999 -> '99.999%': a band's or limit's level for people (never rounded to 100%)."""
    return f"{level * 100:.6g}%"


def level_key(level: float) -> str:
    """0.95 -> '0.95', 0.998 -> '0.998': the JSON's keys for the limits."""
    return f"{level:.6g}"


def _plain(value: float, decimals: int | None) -> float | None:
    """A figure for JSON: None when not finite (an unbounded ratio), rounded once when `decimals` is given."""
    if not math.isfinite(value):
        return None
    return shown(value, decimals) if decimals is not None else float(value)


@dataclass(frozen=True)
class FunnelPoint:
    geography: str
    count: float
    denominator: float
    rate: float  # inf for a ratio whose second count is 0
    limits: Mapping[str, tuple[float, float]]  # level key -> (low, high), as rates; high may be inf for a ratio
    outside: str | None  # the widest level whose limits the rate is outside

    def to_dict(self, decimals: int | None = None) -> dict[str, Any]:
        return {
            "geography": self.geography,
            "count": _plain(self.count, None),
            "denominator": _plain(self.denominator, None),
            "rate": _plain(self.rate, decimals),
            "limits": {key: [_plain(low, decimals), _plain(high, decimals)] for key, (low, high) in self.limits.items()},
            "outside": self.outside,
        }


@dataclass(frozen=True)
class Funnel:
    centre: float
    levels: tuple[float, ...]
    tau2: float  # on the scale of the rates (per^2), or of the share for a ratio funnel
    widened: bool
    points: tuple[FunnelPoint, ...]
    method: str

    def to_dict(self, decimals: int | None = None) -> dict[str, Any]:
        return {
            "centre": _plain(self.centre, decimals),
            "levels": [level_key(level) for level in self.levels],
            "tau2": self.tau2,
            "widened": self.widened,
            "method": self.method,
            "points": [point.to_dict(decimals) for point in self.points],
        }

    def rows(self, measure: str, source: str, period: str, decimals: int | None = None) -> list[dict[str, Any]]:
        """The report's `funnels` entries: one per LA, each carrying the funnel's centre and method."""
        centre = _plain(self.centre, decimals)
        return [
            {"measure": measure, "source": source, "period": period, **point.to_dict(decimals), "centre": centre,
             "method": self.method}
            for point in self.points
        ]  # fmt: skip


@dataclass(frozen=True)
class LaFunnel:
    """One source's LAs for one measure and period (the latest with rates) in a funnel around England's rate."""

    measure: str
    source: str
    period: str  # ISO
    period_label: str
    funnel: Funnel
    per: float = 1.0

    def rows(self) -> list[dict[str, Any]]:
        """results.json's `funnels` entries, one per LA."""
        return self.funnel.rows(self.measure, self.source, self.period, decimals=4)
