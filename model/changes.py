"""Stage 5, changes: what changed between two runs of the history, typed (model/memory.py makes them).

Kept apart from memory.py so that a Release can carry its changes since the last release without a circle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..domain.acknowledgements import AckStatus
from ..domain.geography import place_of
from ..domain.identity import SeriesKey
from ..domain.intervals import Interval
from ..domain.status import Status, blocks_release


@dataclass(frozen=True)
class RunRef:
    run_id: int
    release: str
    started_at: dt.datetime
    command: str
    passed: bool | None = None  # the run's own gate, as recorded

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "release": self.release, "started_at": self.started_at.isoformat(),
                **({"passed": self.passed} if self.passed is not None else {})}  # fmt: skip


# --- what changed ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckChange:
    key: str
    source: str
    check_id: str
    old_failed: int | None
    new_failed: int | None
    change: str  # new, fixed, worse, better, changed or absent
    new_record_ids: tuple[str, ...]  # the newer run's records failing now and not before (its record ids where known)
    fixed_record_ids: tuple[str, ...]  # person keys of records failing before and not now
    blocks: bool  # new or worse, the check blocks a release now, and the newer run did not acknowledge it
    acknowledged: bool = False  # the newer run acknowledged its failure (domain/acknowledgements.py)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "source": self.source, "id": self.check_id, "old_failed": self.old_failed,
                "new_failed": self.new_failed, "change": self.change, "new_record_ids": list(self.new_record_ids),
                "fixed_record_ids": list(self.fixed_record_ids), **({"acknowledged": True} if self.acknowledged else {})}  # fmt: skip


@dataclass(frozen=True)
class ComparisonChange:
    key: str
    series: SeriesKey
    period: str
    old_status: Status | None
    new_status: Status | None
    acknowledged: bool = False  # the newer run acknowledged its discrepancy

    @property
    def geography(self) -> str:
        """The place as comparisons name it (England or a region by name, an LA by its code)."""
        return place_of(self.series.geography)

    @property
    def blocks(self) -> bool:
        """Newly blocking: a discrepancy now, not before, that the newer run's gate blocked on (not acknowledged)."""
        return (self.new_status is not None and blocks_release(self.new_status, acknowledged=self.acknowledged)
                and self.old_status != self.new_status)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        s = self.series
        return {"key": self.key, "measure": s.measure, "period": self.period, "geography": self.geography,
                "geography_code": s.geography, "left": s.left, "right": s.right,
                "old_status": self.old_status, "new_status": self.new_status,
                **({"acknowledged": True} if self.acknowledged else {})}  # fmt: skip


@dataclass(frozen=True)
class AcknowledgementChange:
    """An acknowledgement that began or lapsed between two runs.

    Newly acknowledged: `status` is acknowledged, and `before` what the older run made of the key (None: no entry;
    acknowledged: an entry with other evidence, acknowledged again). No longer acknowledged: `before` is acknowledged,
    and `status` what the newer run made of it: changed, expired, stale (its finding is gone) or absent (no entry).
    The reason, owner and dates are the newer run's entry where it has one, else the older's. Never its evidence:
    figures a published diff would have to withhold, and the run's own outputs show them."""

    key: str
    status: str  # an AckStatus, or "absent"
    before: str | None
    reason: str
    owner: str
    acknowledged_on: dt.date
    expires: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "status": self.status, "before": self.before, "reason": self.reason, "owner": self.owner,
                "acknowledged_on": self.acknowledged_on.isoformat(), "expires": self.expires.isoformat() if self.expires else None}  # fmt: skip


@dataclass(frozen=True)
class FigureRevision:
    source: str
    measure: str
    period: str
    geography: str
    old: Interval | None
    new: Interval | None
    beyond_tolerance: bool

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "measure": self.measure, "period": self.period, "geography": place_of(self.geography),
                "geography_code": self.geography, "old": _plain(self.old), "new": _plain(self.new), "beyond_tolerance": self.beyond_tolerance}  # fmt: skip


@dataclass(frozen=True)
class ReleaseFigure:
    """A release's figure for a measure and source: its latest run's value per 12 months for its latest period."""

    run_id: int
    release: str
    measure: str
    source: str
    period: str
    per_12_months: Interval | None

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "release": self.release, "measure": self.measure, "source": self.source,
                "period": self.period, "per_12_months": _plain(self.per_12_months)}  # fmt: skip


@dataclass(frozen=True)
class Changes:
    """What changed between two runs. `passed` is about the changes only: nothing newly blocking or worse, no new
    discrepancy, no published figure revised beyond the tolerance.

    Acknowledgements change what blocks, not what changed: a check newly failing or worse, or a comparison newly a
    discrepancy, is listed as ever but does not fail the diff when the newer run acknowledged it (its gate did not
    block on it either). An acknowledgement that lapsed (`changed` or `expired` in the newer run) fails the diff: its
    finding blocks the newer release, where it did not block the older one. One whose entry was removed or matches
    nothing (`absent`, `stale`) is listed only: its finding is gone, or fails the diff through its own change."""

    older: RunRef
    newer: RunRef
    checks: tuple[CheckChange, ...] = ()
    comparisons: tuple[ComparisonChange, ...] = ()
    published: tuple[FigureRevision, ...] = ()
    across_releases: tuple[ReleaseFigure, ...] = ()
    acknowledged: tuple[AcknowledgementChange, ...] = ()  # newly acknowledged in the newer run
    no_longer_acknowledged: tuple[AcknowledgementChange, ...] = ()  # acknowledged in the older run, not in the newer

    @property
    def passed(self) -> bool:
        return (not any(c.blocks for c in self.checks) and not any(c.blocks for c in self.comparisons)
                and not any(p.beyond_tolerance for p in self.published)
                and not any(a.status in (AckStatus.CHANGED, AckStatus.EXPIRED) for a in self.no_longer_acknowledged))  # fmt: skip

    @property
    def nothing(self) -> bool:
        return not (self.checks or self.comparisons or self.published or self.acknowledged or self.no_longer_acknowledged)

    def to_dict(self) -> dict[str, Any]:
        out = {"from": self.older.to_dict(), "to": self.newer.to_dict(), "checks": [c.to_dict() for c in self.checks],
               "comparisons": [c.to_dict() for c in self.comparisons], "published": [p.to_dict() for p in self.published],
               "acknowledged": [a.to_dict() for a in self.acknowledged],
               "no_longer_acknowledged": [a.to_dict() for a in self.no_longer_acknowledged], "passed": self.passed}  # fmt: skip
        if self.across_releases:
            out["across_releases"] = [f.to_dict() for f in self.across_releases]
        return out


def _plain(value: Interval | None) -> list[float | None] | None:
    return value.to_list() if value is not None else None
