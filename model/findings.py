"""Stage 5, every finding of a release in one shape: what acknowledgements, SARIF, JUnit and the history go through.

A finding is anything with a key that can fail: a source's check (published tables' too), a comparison, deaths
missing from a source, a comparison that compared nothing, a series' latest point outside its own past's band. `Finding` views it without copying it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.acknowledgements import Acknowledged, Acknowledgement, AckStatus
from ..domain.status import FAILURES, Status, blocks_release


@dataclass(frozen=True)
class Finding:
    key: str
    kind: str  # one of domain/identity.py FINDING_KINDS
    status: Status
    severity: str
    evidence: Mapping[str, Any]
    acknowledgement: Acknowledged | None
    blocks: bool  # blocks this release
    subject: Any  # the CheckOutcome, Comparison, MissingDeaths, EmptyComparison or Anomaly
    source: str = ""  # a check's source name (its subject is the outcome alone)
    gated: bool = True  # in this command's gate (`reconcile` is not gated on record sources' checks)

    @property
    def failing(self) -> bool:
        """A failure of any severity (what an acknowledgement can meet): failed, crashed, a discrepancy, deaths with
        no record at all, an empty comparison."""
        return self.status in FAILURES

    @property
    def meets_entries(self) -> bool:
        """What an acknowledgements entry can meet: a finding in this command's gate that would block the release
        without one (a crash too, which an entry never settles)."""
        return self.gated and blocks_release(self.status, self.severity)


@dataclass(frozen=True)
class AcknowledgementsUsed:
    """The acknowledgements file a run used: where it is, and its entries that met no finding (stale)."""

    file: str
    entries: int
    stale: tuple[Acknowledgement, ...] = ()
    outside: int = 0  # entries for what this command does not gate on (other sources' checks, for `check`)
    own_prefix: str = ""  # `check`: the key its checks have (check/ID/), to say why an entry is not met


def acknowledgement_counts(findings: tuple[Finding, ...], used: AcknowledgementsUsed | None) -> dict[str, list[str]]:
    """results.json's top-level `acknowledgements`: each status's keys, in the release's order of findings."""
    out: dict[str, list[str]] = {status.value: [] for status in (AckStatus.ACKNOWLEDGED, AckStatus.CHANGED, AckStatus.EXPIRED)}
    for finding in findings:
        if finding.acknowledgement is not None:
            out[finding.acknowledgement.status.value].append(finding.key)
    out[AckStatus.STALE.value] = [entry.key for entry in used.stale] if used is not None else []
    return out
