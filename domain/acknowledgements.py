"""Acknowledged findings: what a steward signed off (an entry of the acknowledgements file), what a finding of this
run shows now (its evidence), and how the two meet (acknowledged, changed, expired; an entry meeting nothing: stale).

An entry holds the evidence seen when it was written; it acknowledges a finding only while the finding's evidence is
the same and the entry has not expired, so an old entry never acknowledges a new finding (PHPStan's baseline counts,
SARIF's suppressions, Trivy's expiries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .identity import PersonKeyer

# Evidence digests are keyed by TRIANGULATE_EVIDENCE_KEY (set the same in CI and where stewards acknowledge), never by
# a run's flags, so `--redact` does not change them. Without it the key is a fixed, public one: a digest is then a
# plain hash of the failing ids, which whoever holds a list of candidate ids can test, so `--redact` and `--publish`
# outputs withhold it (reports/disclosure.py), and only a run for the data team shows it.
EVIDENCE_KEY_ENV = "TRIANGULATE_EVIDENCE_KEY"
REDACT_KEY_ENV = "TRIANGULATE_REDACT_KEY"
DIGEST_WITHHELD = "withheld"  # a digest an output may not show (its key is public)
PUBLIC_EVIDENCE_SECRET = b"triangulate evidence v1 (public: set TRIANGULATE_EVIDENCE_KEY to key it)"
DIGEST_PREFIX = "sha256:"


class AckStatus(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # same evidence, not expired: does not block
    CHANGED = "changed"  # other evidence than was acknowledged: blocks, shows both
    EXPIRED = "expired"  # past its `expires` (against the run's date): blocks
    STALE = "stale"  # an entry matching no finding of the run: listed, never blocking



SHORTEST_EVIDENCE_KEY = 16


def evidence_key_problem(environment: Mapping[str, str]) -> str | None:
    """A key too short to key anything (as `--redact`'s); None when it is unset (the public key) or long enough."""
    text = environment.get(EVIDENCE_KEY_ENV, "")
    if text and len(text) < SHORTEST_EVIDENCE_KEY:
        return f"{EVIDENCE_KEY_ENV} must be at least {SHORTEST_EVIDENCE_KEY} characters (or unset)"
    return None


def evidence_secret(environment: Mapping[str, str]) -> bytes:
    text = environment.get(EVIDENCE_KEY_ENV, "")
    return text.encode("utf-8") if text else PUBLIC_EVIDENCE_SECRET


def without_digest(evidence: Mapping[str, Any]) -> dict[str, Any]:
    return {k: DIGEST_WITHHELD if k == "records" else v for k, v in evidence.items()}


def records_digest(source_id: str, record_ids: Iterable[str], secret: bytes) -> str:
    """The digest of a finding's failing records: SHA-256 of their person keys (keyed with `secret`), sorted, so
    it holds no record id, and neither `--redact` nor the order the records were read in changes it."""
    people = sorted(PersonKeyer(secret, "evidence").all_of(source_id, record_ids))
    return DIGEST_PREFIX + hashlib.sha256("\n".join(people).encode("ascii")).hexdigest()


def plain_number(value: Any) -> Any:
    """A figure as evidence holds it: an integral float as an int (48.0 is 48), other values as they are."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [plain_number(v) for v in value]
    return value


def canonical_evidence(evidence: Mapping[str, Any]) -> str:
    """Evidence as one JSON text (48 == 48.0; a list is a list whether YAML or the model made it): how it is compared
    and how the history stores it."""
    return json.dumps({str(k): plain_number(v) for k, v in evidence.items()}, sort_keys=True, default=str)


def same_evidence(acknowledged: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    return canonical_evidence(acknowledged) == canonical_evidence(now)


@dataclass(frozen=True)
class Acknowledgement:
    """One entry of an acknowledgements file, as written (and reviewed in a pull request)."""

    key: str
    evidence: Mapping[str, Any]
    reason: str
    owner: str
    acknowledged_on: dt.date
    expires: dt.date | None = None
    line: int = 0  # where the entry starts in its file (1-based; 0 when made here)

    def expired_on(self, day: dt.date) -> bool:
        """Past its expiry: an entry is good through its `expires` date, and lapses the day after."""
        return self.expires is not None and day > self.expires

    def to_dict(self) -> dict[str, Any]:
        """As the file holds it, in the file's order of keys."""
        out: dict[str, Any] = {"key": self.key, "evidence": {k: plain_number(v) for k, v in self.evidence.items()},
                               "reason": self.reason, "owner": self.owner, "acknowledged_on": self.acknowledged_on}  # fmt: skip
        if self.expires is not None:
            out["expires"] = self.expires
        return out


@dataclass(frozen=True)
class Acknowledged:
    """An entry matched to a finding of this run: its status, the entry, and the evidence the finding shows now."""

    status: AckStatus
    entry: Acknowledgement
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def settles(self) -> bool:
        """Whether it lets the finding pass: only the same evidence, not expired."""
        return self.status == AckStatus.ACKNOWLEDGED

    def to_dict(self) -> dict[str, Any]:
        entry = self.entry
        out: dict[str, Any] = {
            "status": self.status,
            "reason": entry.reason,
            "owner": entry.owner,
            "acknowledged_on": entry.acknowledged_on.isoformat(),
            "expires": entry.expires.isoformat() if entry.expires else None,
            "evidence": {k: plain_number(v) for k, v in entry.evidence.items()},
        }
        if self.status == AckStatus.CHANGED:
            out["evidence_now"] = {k: plain_number(v) for k, v in self.evidence.items()}
        return out


def match(entry: Acknowledgement, evidence: Mapping[str, Any], day: dt.date) -> Acknowledged:
    """How an entry stands against a finding with its key: changed evidence first (news about the data), then an
    expiry (news about the paperwork); else acknowledged."""
    if not same_evidence(entry.evidence, evidence):
        return Acknowledged(AckStatus.CHANGED, entry, dict(evidence))
    if entry.expired_on(day):
        return Acknowledged(AckStatus.EXPIRED, entry, dict(evidence))
    return Acknowledged(AckStatus.ACKNOWLEDGED, entry, dict(evidence))
