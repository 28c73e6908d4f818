"""Stage 5, what a reconciliation could not account for: deaths missing from a source, comparisons that compared
nothing, and configured sources no measure compares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.acknowledgements import Acknowledged
from ..domain.geography import place_code
from ..domain.identity import empty_key, missing_key
from ..domain.periods import Period
from ..domain.status import Status, blocks_release

# What linkage found for a death one source has and the other's count of the measure lacks.
GAP_KINDS = {  # kind -> what it says of one death, and of several
    "absent": ("has no record in", "have no record in"),  # a discrepancy whatever the count tolerance says
    "other_status": ("is recorded under another status or measure in", "are recorded under another status or measure in"),
    "other_period": ("is recorded in another period in", "are recorded in another period in"),  # a period shift
    "other_la": ("is recorded under another LA in", "are recorded under another LA in"),  # placed out of area, say
}


@dataclass(frozen=True)
class MissingDeaths:
    """Deaths of one measure, period and place that `source` has and `absent_from` does not count, by what linkage found.

    Only the side the relation expects to be contained is sorted: for `a >= b`, b's deaths missing from a.
    """

    measure: str
    period: str
    period_label: str
    geography: str  # the deaths' LA (ONS code), or England where a death has no LA
    source: str
    absent_from: str
    kind: str  # a key of GAP_KINDS: absent, other_status, other_period, other_la
    record_ids: tuple[str, ...]
    severity: str  # absent: the measure's `missing:` (error or warning); the other kinds: note
    withheld_count: int | None = None  # set when the record ids are withheld (--publish)
    key: str = ""  # domain/identity.py missing_key
    records_digest: str = ""  # of the missing deaths' records (domain/acknowledgements.py): set before any disclosure
    acknowledgement: Acknowledged | None = None

    @property
    def count(self) -> int:
        return self.withheld_count if self.withheld_count is not None else len(self.record_ids)

    @property
    def identity(self) -> str:
        """Its key: as reconcile made it from the sources' ids, else from their names."""
        return self.key or missing_key(self.measure, Period.from_iso(self.period), place_code(self.geography), self.source,
                                       self.absent_from, self.kind)  # fmt: skip

    @property
    def status(self) -> Status:
        """A death with no record at all is a failure of the measure's containment (blocking at `missing: error`);
        one sorted elsewhere (another status, period or LA) was found, so the finding is a note and passes."""
        return Status.FAILED if self.kind == "absent" else Status.PASSED

    @property
    def gating(self) -> bool:
        return blocks_release(self.status, self.severity, self.acknowledgement is not None and self.acknowledgement.settles)

    @property
    def evidence(self) -> dict[str, Any]:
        return {"count": self.count, "records": self.records_digest}

    def to_dict(self) -> dict[str, Any]:
        out = {"key": self.identity, "measure": self.measure, "period": self.period, "period_label": self.period_label, "geography": self.geography,
               "source": self.source, "absent_from": self.absent_from, "kind": self.kind, "record_ids": list(self.record_ids),
               "count": self.count, "severity": self.severity, "status": self.status}  # fmt: skip
        if self.withheld_count is not None:
            out["record_ids_withheld"] = True
        if self.status == Status.FAILED:
            out["evidence"] = self.evidence
        if self.acknowledgement is not None:
            out["acknowledgement"] = self.acknowledgement.to_dict()
        return out


@dataclass(frozen=True)
class EmptyComparison:
    """A comparison the measures ask for in which the two sources share no period or geography."""

    measure: str
    left: str
    right: str
    reason: str
    allowed: bool  # `allow_empty: true` in the config: reported, not gating
    key: str = ""  # domain/identity.py empty_key
    acknowledgement: Acknowledged | None = None

    status = Status.EMPTY

    @property
    def identity(self) -> str:
        return self.key or empty_key(self.measure, self.left, self.right)

    @property
    def severity(self) -> str:
        return "warning" if self.allowed else "error"

    @property
    def gating(self) -> bool:
        return blocks_release(self.status, self.severity, self.acknowledgement is not None and self.acknowledgement.settles)

    @property
    def evidence(self) -> dict[str, Any]:
        return {"reason": self.reason}

    def to_dict(self) -> dict[str, Any]:
        out = {"key": self.identity, "measure": self.measure, "left": self.left, "right": self.right,
               "reason": self.reason, "allowed": self.allowed, "status": self.status, "evidence": self.evidence}  # fmt: skip
        if self.acknowledgement is not None:
            out["acknowledgement"] = self.acknowledgement.to_dict()
        return out


@dataclass(frozen=True)
class NotCompared:
    """A configured source that no measure compares with another: checked, but in no comparison. A note, not a
    failure (a run may check a source alone), so that nothing configured goes unmentioned."""

    source: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "reason": self.reason}
