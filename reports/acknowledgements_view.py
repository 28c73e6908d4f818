"""Acknowledged findings in words, once for every output: what each status is called, the evidence as acknowledged
and as it is now, the console's lines and the report's table (HTML and Markdown share it).

An acknowledged finding passes and is never listed as a failure; a changed or expired one blocks and says why; a
stale entry (matching no finding of the run) is listed so that it can be removed. With `--publish` no evidence is
written at all: its figures may be small counts, and a digest is of the failing records.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ..domain.acknowledgements import DIGEST_PREFIX, Acknowledged, Acknowledgement, AckStatus, plain_number
from ..domain.geography import la_name
from ..model.findings import AcknowledgementsUsed, Finding
from ..model.release import Release
from .disclosure import Disclosure
from .view_model import AcknowledgementRow, AcknowledgementsView

STATUS_WORDS = {
    AckStatus.ACKNOWLEDGED: "Acknowledged",
    AckStatus.CHANGED: "Evidence changed",
    AckStatus.EXPIRED: "Expired",
    AckStatus.STALE: "Stale",
}
# The order the report lists them in: what blocks first; and the order a tally counts them in.
ORDER = {AckStatus.CHANGED: 0, AckStatus.EXPIRED: 1, AckStatus.ACKNOWLEDGED: 2}
TALLIED = (AckStatus.ACKNOWLEDGED, AckStatus.CHANGED, AckStatus.EXPIRED, AckStatus.STALE)
DIGEST_SHOWN = 12  # hex digits of a records digest in words (the JSON and the file carry it whole)
LISTED = 20  # console lines per status group; the rest are counted (the JSON lists every key)


def settled(item: Any) -> bool:
    """Whether a finding (a CheckOutcome, Comparison, MissingDeaths or EmptyComparison) passes by its acknowledgement
    (a crash never does: pipeline/acknowledge.py makes its standing `changed`)."""
    standing: Acknowledged | None = getattr(item, "acknowledgement", None)
    return standing is not None and standing.settles


def standing_of(item: Any) -> AckStatus | None:
    standing: Acknowledged | None = getattr(item, "acknowledgement", None)
    return standing.status if standing is not None else None


def met(release: Release) -> list[tuple[Finding, Acknowledged]]:
    """The release's findings that met an entry, each with its standing, in the release's order."""
    return [(f, f.acknowledgement) for f in release.findings if f.acknowledgement is not None]


def in_use(release: Release) -> bool:
    """An acknowledgements file was used (or a finding carries a standing): the outputs say what it did."""
    return release.acknowledgements is not None or any(f.acknowledgement is not None for f in release.findings)


# --- the evidence in words ------------------------------------------------------------------------------------------


def _value(value: Any) -> str:
    value = plain_number(value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str) and value.startswith(DIGEST_PREFIX):
        return value[: len(DIGEST_PREFIX) + DIGEST_SHOWN] + "…"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def evidence_words(evidence: Mapping[str, Any], disclosure: Disclosure) -> str:
    """`{left: 48, right: 49}`, as the acknowledgements file writes it (a digest shortened); "" with --publish."""
    if disclosure.publish:
        return ""
    return "{" + ", ".join(f"{name}: {_value(value)}" for name, value in evidence.items()) + "}"


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "no expiry"


# --- one line each, for the console, JUnit and the verdict ----------------------------------------------------------


def acknowledged_message(standing: Acknowledged) -> str:
    """JUnit's <skipped> message: `acknowledged: REASON (OWNER, until 2027-03-31)`, or `(OWNER, no expiry)`."""
    entry = standing.entry
    until = f"until {entry.expires.isoformat()}" if entry.expires is not None else "no expiry"
    return f"acknowledged: {entry.reason} ({entry.owner}, {until})"


def changed_words(standing: Acknowledged, disclosure: Disclosure) -> str:
    """`acknowledged {left: 48, right: 49}, now {left: 48, right: 50}`; without figures with --publish."""
    if disclosure.publish:
        return "the evidence is not what was acknowledged, figures withheld"
    return f"acknowledged {evidence_words(standing.entry.evidence, disclosure)}, now {evidence_words(standing.evidence, disclosure)}"


def standing_words(standing: Acknowledged, disclosure: Disclosure) -> str:
    """Why an entry no longer lets its finding pass, or that it does."""
    entry = standing.entry
    if standing.status == AckStatus.CHANGED:
        return changed_words(standing, disclosure)
    if standing.status == AckStatus.EXPIRED:
        return f"expired on {_date(entry.expires)}"
    return acknowledged_message(standing)


def failure_message(standing: Acknowledged, disclosure: Disclosure) -> str:
    """JUnit's <failure> message head for a finding whose acknowledgement no longer applies."""
    if standing.status == AckStatus.CHANGED:
        return f"acknowledgement changed: {changed_words(standing, disclosure)} ({standing.entry.owner})"
    return f"acknowledgement expired on {_date(standing.entry.expires)} ({standing.entry.owner})"


STALE_WORDS = "matches no finding of this run"


def tally(statuses: Iterable[AckStatus | None]) -> str:
    """`3 acknowledged, 1 changed, 1 expired`: the statuses that occur; "" when none."""
    counts = Counter(s for s in statuses if s is not None)
    return ", ".join(f"{counts[status]:,} {status.value}" for status in TALLIED if counts[status])


def verdict_word(passed: bool, statuses: Iterable[AckStatus | None]) -> str:
    """`PASS`, `PASS (3 acknowledged)`, `FAIL (1 changed, 1 expired)`."""
    counted = tally(statuses)
    return ("PASS" if passed else "FAIL") + (f" ({counted})" if counted else "")


def release_verdict(release: Release) -> str:
    """The release's verdict with its acknowledgements counted: `PASS (3 acknowledged)`."""
    return verdict_word(release.passed, (standing.status for _, standing in met(release)))


def console_lines(pairs: Iterable[tuple[str, Acknowledged]], used: AcknowledgementsUsed | None, disclosure: Disclosure) -> list[str]:
    """One line for the acknowledged findings, then one for each changed, expired and stale entry:
    `ACKNOWLEDGED 9 findings (acks.yaml)`, `CHANGED KEY: acknowledged {...}, now {...} (OWNER)`,
    `EXPIRED KEY: expired on DATE (OWNER)`, `STALE KEY: matches no finding of this run`."""
    found = list(pairs)
    acknowledged = sum(1 for _, s in found if s.status == AckStatus.ACKNOWLEDGED)
    where = f" ({used.file})" if used is not None and used.file else ""
    lines = [f"ACKNOWLEDGED {acknowledged:,} {'finding' if acknowledged == 1 else 'findings'}{where}"]
    for status in (AckStatus.CHANGED, AckStatus.EXPIRED):
        group = [(key, s) for key, s in found if s.status == status]
        lines += [f"{status.value.upper()} {key}: {standing_words(s, disclosure)} ({s.entry.owner})" for key, s in group[:LISTED]]
        lines += [f"  and {len(group) - LISTED:,} more {status.value} (see the JSON)"] if len(group) > LISTED else []
    if used is not None and used.outside:
        mine = f"; this run's checks are {used.own_prefix}… (with --config, keyed by the configured source's id:)" if used.own_prefix else ""
        lines.append(f"  {used.outside:,} of its entries are for what this command does not gate on{mine}")
    stale = used.stale if used is not None else ()
    lines += [f"STALE {entry.key}: {STALE_WORDS}" for entry in stale[:LISTED]]
    lines += [f"  and {len(stale) - LISTED:,} more stale (see the JSON)"] if len(stale) > LISTED else []
    return lines


# --- the report's table (HTML and Markdown) -------------------------------------------------------------------------


def finding_words(finding: Finding) -> str:
    """The finding an entry met, in words (the key says it for machines)."""
    item = finding.subject
    if finding.kind == "check":
        return f"{finding.source}: check {item.check_id} ({item.message})"
    if finding.kind == "comparison":
        return f"{item.measure} {item.period_label} {item.geography}: {item.left} {item.relation} {item.right}"
    if finding.kind == "missing":
        return f"{item.measure} {item.period_label} {la_name(item.geography)}: deaths in {item.source} with no record in {item.absent_from}"
    if finding.kind == "anomaly":  # not which side of its band: a published output may withhold that
        return f"{item.measure} {item.period_label} {la_name(item.geography)}: {item.source} unusual against its own past"
    return f"{item.measure}: {item.left} with {item.right} compared nothing"


def _row(key: str, what: str, status: AckStatus, entry: Acknowledgement, now: str, disclosure: Disclosure) -> AcknowledgementRow:
    expires = _date(entry.expires) + (" (expired)" if status == AckStatus.EXPIRED else "")
    return AcknowledgementRow(key=key, finding=what, status=status.value, status_label=STATUS_WORDS[status],
                              reason=entry.reason, owner=entry.owner, acknowledged_on=entry.acknowledged_on.isoformat(),
                              expires=expires, evidence=evidence_words(entry.evidence, disclosure), evidence_now=now)  # fmt: skip


def acknowledgements_view(release: Release, disclosure: Disclosure) -> AcknowledgementsView | None:
    """Every finding that met an entry (changed and expired first), and the stale entries; None without a file."""
    if not in_use(release):
        return None
    found = sorted(met(release), key=lambda pair: ORDER[pair[1].status])  # stable: the release's order within each
    rows = []
    for finding, standing in found:
        now = evidence_words(standing.evidence, disclosure) if standing.status == AckStatus.CHANGED else "unchanged"
        rows.append(_row(finding.key, finding_words(finding), standing.status, standing.entry, "" if disclosure.publish else now,
                         disclosure))  # fmt: skip
    used = release.acknowledgements
    stale = tuple(_row(e.key, STALE_WORDS, AckStatus.STALE, e, "", disclosure) for e in (used.stale if used else ()))
    counts = Counter(standing.status for _, standing in found)
    return AcknowledgementsView(
        file=used.file if used is not None else "",
        rows=tuple(rows),
        stale=stale,
        shows_evidence=not disclosure.publish,
        summary=tally([*counts.elements(), *[AckStatus.STALE] * len(stale)]) or "no entry met a finding of this run",
        acknowledged=counts[AckStatus.ACKNOWLEDGED],
        changed=counts[AckStatus.CHANGED],
        expired=counts[AckStatus.EXPIRED],
    )
