"""Evidence and acknowledgements, applied to a release before anything is disclosed or remembered.

`with_evidence` gives every failing check and every set of missing deaths the digest of its records (keyed person
keys, domain/acknowledgements.py), so the evidence an output shows is the same with or without `--redact`.
`acknowledged` meets each finding with the acknowledgements file's entry for its key (a gated anomaly as a
comparison: its figure, band and expected value are its evidence), and lists the entries that met nothing (stale);
the gate (model/release.py `passed`) then reads each finding's standing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..domain.acknowledgements import (
    Acknowledged,
    Acknowledgement,
    AckStatus,
    evidence_key_problem,
    evidence_secret,
    match,
    records_digest,
)
from ..domain.identity import check_key
from ..domain.status import Status
from ..errors import UsageError
from ..model.findings import AcknowledgementsUsed
from ..model.release import Release


def load_for_run(path: Path | None) -> tuple[Acknowledgement, ...] | None:
    """The acknowledgements file a run uses, read (and refused, exit 2) before any work, with the evidence key; None
    when there is no file."""
    problem = evidence_key_problem(os.environ)
    if problem:
        raise UsageError(problem)
    if path is None:
        return None
    from ..config.acknowledgements import load_acknowledgements

    return load_acknowledgements(path)


def with_acknowledgements(release: Release, entries: Sequence[Acknowledgement] | None, file: Path | None) -> Release:
    """A release's evidence, then its acknowledgements: what every command that validates does before disclosing."""
    return acknowledged(with_evidence(release), entries, file)


def with_evidence(release: Release, secret: bytes | None = None) -> Release:
    """Each failing check's and each missing-deaths finding's records as a digest (before any disclosure)."""
    secret = secret if secret is not None else evidence_secret(os.environ)
    sources = tuple(
        replace(source, outcomes=tuple(
            replace(o, records_digest=records_digest(source.id, o.record_ids, secret)) if o.status == Status.FAILED else o
            for o in source.outcomes))
        for source in release.sources
    )  # fmt: skip
    result = release.reconciliation
    if result is not None and result.missing:
        ids = release.source_ids
        missing = tuple(
            replace(m, records_digest=records_digest(ids.get(m.source, m.source), m.record_ids, secret)) if m.status == Status.FAILED else m
            for m in result.missing
        )  # fmt: skip
        result = replace(result, missing=missing)
    return replace(release, sources=sources, reconciliation=result)


def acknowledged(release: Release, entries: Sequence[Acknowledgement] | None, file: Path | None, day: dt.date | None = None) -> Release:
    """The release with each finding that would block it met by its entry (acknowledged, changed or expired), and the
    entries in this run's scope that met none listed as stale. `day`: the run's date (its start, UTC). A crash is never
    settled: an entry for a check that crashed is `changed` (its evidence is the crash)."""
    if entries is None:
        return release
    day = day or release.provenance.run_at.date()
    by_key = {entry.key: entry for entry in entries}
    met: dict[int, Acknowledged] = {}  # id(subject) -> its standing
    matched: set[str] = set()
    for finding in release.findings:
        entry = by_key.get(finding.key)
        if entry is None or not finding.meets_entries:
            continue
        standing = match(entry, finding.evidence, day)
        if finding.status == Status.CRASHED and standing.settles:
            standing = replace(standing, status=AckStatus.CHANGED)
        met[id(finding.subject)] = standing
        matched.add(finding.key)
    in_scope = _scope(release)
    stale = tuple(entry for entry in entries if entry.key not in matched and in_scope(entry.key))
    outside = sum(1 for entry in entries if not in_scope(entry.key))
    own = check_key(release.sources[0].id, "") if release.command == "check" else ""
    used = AcknowledgementsUsed(str(file) if file is not None else "", len(entries), stale, outside, own)
    return replace(_with_standing(release, met), acknowledgements=used)


def _scope(release: Release) -> Callable[[str], bool]:
    """Which entries a run answers for: the keys of what its gate covers. `check` covers its one source's checks, and
    `reconcile` no record source's checks (a file shared with `run` holds those, and they are not stale for it)."""
    outside = [check_key(s.id, "") for s in release.sources if s not in release.gating_sources]
    if release.command == "check":
        inside = check_key(release.sources[0].id, "")
        return lambda key: key.startswith(inside)
    return lambda key: not any(key.startswith(prefix) for prefix in outside)


def _with_standing(release: Release, met: Mapping[int, Acknowledged]) -> Release:
    def mark(item):  # type: ignore[no-untyped-def]
        standing = met.get(id(item))
        return replace(item, acknowledgement=standing) if standing is not None else item

    sources = tuple(replace(s, outcomes=tuple(mark(o) for o in s.outcomes)) for s in release.sources)
    result = release.reconciliation
    if result is not None:
        result = replace(result, comparisons=tuple(mark(c) for c in result.comparisons),
                         missing=tuple(mark(m) for m in result.missing), empty=tuple(mark(e) for e in result.empty),
                         anomalies=tuple(mark(a) for a in result.anomalies))  # fmt: skip
    return replace(release, sources=sources, reconciliation=result)
