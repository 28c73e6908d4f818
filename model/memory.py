"""Stage 5, memory: what the run history remembers of a run, typed, and what changed between two runs.

The history stores keys and person keys (domain/identity.py), never strings as some run disclosed them, so two
runs of identical inputs remember the same findings whatever `--redact`/`--publish` said. `Memory` is read
before reconciling and handed to what needs the past; `changes` is the one diff, used both for "since the last
release" in a run's outputs and by `triangulate history diff`. Whether a change blocks is decided by the one
rule (`domain/status.py blocks_release`), which an acknowledgement of the newer run settles (model/changes.py
`Changes` says how).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ..domain.acknowledgements import Acknowledgement, AckStatus, same_evidence
from ..domain.geography import ENGLAND_CODE
from ..domain.identity import PersonKeyer, SeriesKey, key_parts
from ..domain.intervals import Interval, ends
from ..domain.status import Status, blocks_release
from ..domain.tolerance import Tolerance
from .changes import (
    AcknowledgementChange,
    Changes,
    CheckChange,
    ComparisonChange,
    FigureRevision,
    ReleaseFigure,
    RunRef,
)
from .release import Release

COMPARED_COMMANDS = ("check", "reconcile", "run")  # the commands whose runs a diff compares; `revisions` has its own


@dataclass(frozen=True)
class RememberedCheck:
    key: str  # check/SOURCE_ID/CHECK_ID
    source: str  # the source's id
    check_id: str
    severity: str
    status: Status
    failed: int
    people: frozenset[str]  # the failing records' person keys

    @property
    def blocks_release(self) -> bool:
        return blocks_release(self.status, self.severity)


@dataclass(frozen=True)
class RememberedComparison:
    key: str  # comparison/MEASURE/PERIOD/GEOGRAPHY/LEFT_ID/RIGHT_ID
    series: SeriesKey
    period: str  # ISO start/end
    status: Status
    left_value: Interval | None = None
    right_value: Interval | None = None


@dataclass(frozen=True)
class RememberedFigure:
    """One source's national value for a measure and period."""

    source: str  # the source's id
    measure: str
    period: str  # ISO start/end
    geography: str  # an ONS code
    value: Interval | None
    per_12_months: Interval | None
    published: bool  # a published table's figure, whose revisions a diff reports


@dataclass(frozen=True)
class RememberedAcknowledgement:
    """An entry of the run's acknowledgements file as the run met it: with a finding (acknowledged, changed or
    expired), or with none (stale). `evidence` is the entry's; `evidence_now` the finding's, when it changed."""

    key: str
    status: AckStatus
    reason: str
    owner: str
    acknowledged_on: dt.date
    expires: dt.date | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False)
    evidence_now: Mapping[str, Any] | None = field(default=None, hash=False)

    @property
    def settles(self) -> bool:
        return self.status == AckStatus.ACKNOWLEDGED


@dataclass(frozen=True)
class RememberedRun:
    run: RunRef
    checks: tuple[RememberedCheck, ...] = ()
    comparisons: tuple[RememberedComparison, ...] = ()
    figures: tuple[RememberedFigure, ...] = ()
    acknowledgements: tuple[RememberedAcknowledgement, ...] = ()  # none: the run used no acknowledgements file


def changes(older: RememberedRun, newer: RememberedRun, *, revision_tolerance: float = 0.0,
            record_ids: Mapping[str, str] | None = None, across_releases: tuple[ReleaseFigure, ...] = ()) -> Changes:  # fmt: skip
    """The one diff of two remembered runs. `record_ids` maps the newer run's person keys to its record ids (a run
    comparing itself with the last release knows them; two stored runs do not, and show person keys)."""
    names = record_ids or {}
    settled = {a.key for a in newer.acknowledgements if a.settles}  # the newer run's gate did not block on these
    old_checks = {c.key: c for c in older.checks}
    new_checks = {c.key: c for c in newer.checks}
    checks = []
    for key in sorted(old_checks.keys() | new_checks.keys()):
        before, after = old_checks.get(key), new_checks.get(key)
        change = _change(before, after)
        if change is None:
            continue
        was = before.people if before is not None else frozenset()
        now = after.people if after is not None else frozenset()
        either = after or before
        assert either is not None
        checks.append(CheckChange(
            key, either.source, either.check_id, before.failed if before else None, after.failed if after else None, change,
            tuple(sorted(names.get(p, p) for p in now - was)), tuple(sorted(was - now)),
            change in ("new", "worse") and after is not None and blocks_release(after.status, after.severity, key in settled),
            after is not None and key in settled,
        ))  # fmt: skip
    old_cmp = {c.key: c for c in older.comparisons}
    new_cmp = {c.key: c for c in newer.comparisons}
    moved = []
    for key in sorted(old_cmp.keys() | new_cmp.keys()):
        before_c, after_c = old_cmp.get(key), new_cmp.get(key)
        if (before_c.status if before_c else None) == (after_c.status if after_c else None):
            continue
        either_c = after_c or before_c
        assert either_c is not None
        moved.append(ComparisonChange(key, either_c.series, either_c.period, before_c.status if before_c else None,
                                      after_c.status if after_c else None, after_c is not None and key in settled))  # fmt: skip
    began, lapsed = _acknowledgement_changes(older.acknowledgements, newer.acknowledgements)
    return Changes(older.run, newer.run, tuple(checks), tuple(moved),
                   _revisions(older.figures, newer.figures, revision_tolerance), across_releases, began, lapsed)  # fmt: skip


def _acknowledgement_changes(old: tuple[RememberedAcknowledgement, ...], new: tuple[RememberedAcknowledgement, ...]
                             ) -> tuple[tuple[AcknowledgementChange, ...], tuple[AcknowledgementChange, ...]]:  # fmt: skip
    """Newly acknowledged: acknowledged now, and not before or then with other evidence (an entry renewed for other
    figures is news to a reviewer). No longer acknowledged: acknowledged before, and now changed, expired, stale or
    without an entry."""
    before, after = {a.key: a for a in old}, {a.key: a for a in new}
    began = tuple(
        _acknowledgement_change(now, before[key].status if key in before else None)
        for key, now in after.items()
        if now.settles and not (key in before and before[key].settles and same_evidence(before[key].evidence, now.evidence))
    )
    lapsed = tuple(
        _acknowledgement_change(after.get(key, was), str(AckStatus.ACKNOWLEDGED), str(after[key].status) if key in after else "absent")
        for key, was in before.items()
        if was.settles and not (key in after and after[key].settles)
    )
    return tuple(sorted(began, key=lambda a: a.key)), tuple(sorted(lapsed, key=lambda a: a.key))


def _acknowledgement_change(entry: RememberedAcknowledgement, before: str | None, status: str | None = None) -> AcknowledgementChange:
    return AcknowledgementChange(entry.key, status or str(entry.status), str(before) if before is not None else None,
                                 entry.reason, entry.owner, entry.acknowledged_on, entry.expires)  # fmt: skip


def _change(before: RememberedCheck | None, after: RememberedCheck | None) -> str | None:
    was = before is not None and before.status != Status.PASSED
    if after is None:
        return "absent" if was else None
    now = after.status != Status.PASSED
    if now and not was:
        return "new"
    if was and not now:
        return "fixed"
    if not now or before is None:
        return None  # passing in both runs
    if (before.severity, before.status, before.failed, before.people) == (after.severity, after.status, after.failed, after.people):
        return None
    if after.failed != before.failed:
        return "worse" if after.failed > before.failed else "better"
    return "changed"


def _revisions(old: tuple[RememberedFigure, ...], new: tuple[RememberedFigure, ...], tolerance: float) -> tuple[FigureRevision, ...]:
    """Revisions of a published figure both runs have; a period only one run has is new data, not a revision."""
    before = {(f.source, f.measure, f.period, f.geography): f.value for f in old if f.published}
    after = {(f.source, f.measure, f.period, f.geography): f.value for f in new if f.published}
    return tuple(
        FigureRevision(*key, before[key], after[key], Tolerance(abs=tolerance).ends_moved_beyond(ends(before[key]), ends(after[key])))
        for key in sorted(before.keys() & after.keys())
        if before[key] != after[key]
    )


# --- the memory a run reads before it reconciles ---------------------------------------------------------------------


@dataclass(frozen=True)
class PastComparison:
    release: str
    run_id: int
    comparison: RememberedComparison
    acknowledged: bool = False  # a discrepancy its run's acknowledgements file settled: a known, accepted difference

    @property
    def accepted(self) -> bool:
        """What a learned tolerance may learn from: a difference its release passed, or a discrepancy a steward
        acknowledged. A discrepancy that blocked is no evidence of what is normal (a missing death taught as normal)."""
        return self.comparison.status != Status.DISCREPANCY or self.acknowledged


@dataclass(frozen=True)
class PastFigure:
    """One source's value of a measure at one place and period, as an earlier release's latest run held it."""

    release: str
    run_id: int
    source: str  # the source's id
    measure: str
    period: str  # ISO start/end
    geography: str  # an ONS code
    value: Interval


@dataclass(frozen=True)
class Memory:
    """What the history remembers that a run needs: the latest run of the last earlier release (for "since the last
    release"), each earlier release's latest comparisons (for `past`), and each release's headline figures."""

    previous: RememberedRun | None = None
    comparisons: tuple[PastComparison, ...] = ()
    across_releases: tuple[ReleaseFigure, ...] = field(default_factory=tuple)
    figures: tuple[PastFigure, ...] = ()  # each earlier release's national figures (the history's `series` rows)

    def past(self, series: SeriesKey) -> tuple[PastComparison, ...]:
        """A series' comparisons in earlier releases, oldest first (one per release and period: its latest run's)."""
        return self._by_series.get(series, ())

    @cached_property
    def _by_series(self) -> dict[SeriesKey, tuple[PastComparison, ...]]:
        """Every series' comparisons, indexed once: a national file's LAs ask for theirs one by one."""
        found: dict[SeriesKey, list[PastComparison]] = {}
        for p in self.comparisons:
            found.setdefault(p.comparison.series, []).append(p)
        return {series: tuple(points) for series, points in found.items()}

    def past_differences(self, series: SeriesKey) -> tuple[tuple[str, Interval], ...]:
        """(release, left - right) for each earlier release that compared the series: its latest period's difference,
        oldest release first. A comparison without both values is no point, nor one of two periods that differ (its
        difference was taken per 12 months), nor a discrepancy that blocked its release (`PastComparison.accepted`)."""
        latest: dict[str, tuple[str, int, Interval]] = {}
        for past in self.past(series):
            c = past.comparison
            if c.left_value is None or c.right_value is None or "~" in key_parts(c.key)[2] or not past.accepted:
                continue  # no value; periods of different lengths (compared per 12 months); or a blocked discrepancy
            start = c.period.split("/")[0]
            if past.release not in latest or start >= latest[past.release][0]:
                latest[past.release] = (start, past.run_id, c.left_value - c.right_value)
        ordered = sorted(latest.items(), key=lambda item: item[1][1])
        return tuple((release, difference) for release, (_, _, difference) in ordered)

    def earlier_values(self, measure: str) -> dict[str, dict[tuple[str, str], tuple[str, Interval]]]:
        """Each source's (by id) values of a measure in earlier releases: (period ISO, ONS code) -> (release, value),
        from their national figures and from both sides of their comparisons at every place; the newest release's
        value where several hold one."""
        found: dict[str, dict[tuple[str, str], tuple[int, str, Interval]]] = {}

        def add(source: str, period: str, geography: str, run_id: int, release: str, value: Interval | None) -> None:
            held = found.setdefault(source, {})
            if value is not None and ((period, geography) not in held or held[(period, geography)][0] < run_id):
                held[(period, geography)] = (run_id, release, value)

        for f in self.figures:
            if f.measure == measure:
                add(f.source, f.period, f.geography, f.run_id, f.release, f.value)
        for p in self.comparisons:
            c = p.comparison
            if c.series.measure == measure:
                add(c.series.left, c.period, c.series.geography, p.run_id, p.release, c.left_value)
                if "~" not in key_parts(c.key)[2]:  # the right source's period is the left's
                    add(c.series.right, c.period, c.series.geography, p.run_id, p.release, c.right_value)
        return {source: {key: (release, value) for key, (_, release, value) in held.items()} for source, held in found.items()}

    def since(self, current: RememberedRun, record_ids: Mapping[str, str] | None = None) -> Changes | None:
        """What changed since the last release (None: the first release in this history)."""
        if self.previous is None:
            return None
        latest: dict[tuple[str, str], RememberedFigure] = {}
        for figure in sorted(current.figures, key=lambda f: f.period):  # its latest period per measure and source
            latest[(figure.measure, figure.source)] = figure
        own = tuple(ReleaseFigure(current.run.run_id, current.run.release, f.measure, f.source, f.period, f.per_12_months)
                    for f in latest.values())  # fmt: skip
        return changes(self.previous, current, record_ids=record_ids, across_releases=(*self.across_releases, *own))


# --- a release as the history remembers it ----------------------------------------------------------------------------


def remember(release: Release, run: RunRef) -> RememberedRun:
    """The release as it will be remembered: keys and person keys, never its record ids."""
    checks = tuple(
        RememberedCheck(source.key(o), source.id, o.check_id, o.severity, o.status, o.failed, frozenset(o.people))
        for source in release.sources for o in source.outcomes
    )  # fmt: skip
    result = release.reconciliation
    comparisons = tuple(
        RememberedComparison(c.identity.text, c.identity.series, c.period, c.status, c.left_value, c.right_value)
        for c in (result.comparisons if result else ())
    )  # fmt: skip
    ids = release.source_ids
    published = release.published_sources
    figures = tuple(
        RememberedFigure(ids.get(p.source, p.source), p.measure, p.period, ENGLAND_CODE, p.value, p.per_12_months,
                         p.source in published)
        for p in (result.series if result else ())
    )
    return RememberedRun(run, checks, comparisons, figures, remembered_acknowledgements(release))


def remembered_acknowledgements(release: Release) -> tuple[RememberedAcknowledgement, ...]:
    """Every entry of the run's acknowledgements file that met a finding (in the order of the findings), then every
    stale one; none when the run used no file."""
    met = tuple(_remembered(f.key, f.acknowledgement.status, f.acknowledgement.entry,
                            dict(f.acknowledgement.evidence) if f.acknowledgement.status == AckStatus.CHANGED else None)
                for f in release.findings if f.acknowledgement is not None)  # fmt: skip
    used = release.acknowledgements
    stale = tuple(_remembered(e.key, AckStatus.STALE, e, None) for e in (used.stale if used is not None else ()))
    return met + stale


def _remembered(key: str, status: AckStatus, entry: Acknowledgement, now: Mapping[str, Any] | None) -> RememberedAcknowledgement:
    return RememberedAcknowledgement(key, status, entry.reason, entry.owner, entry.acknowledged_on, entry.expires,
                                     dict(entry.evidence), now)  # fmt: skip


def with_people(release: Release, keyer: PersonKeyer) -> Release:
    """The release with every failing record's person key beside its record id (before any disclosure)."""
    sources = tuple(
        replace(s, outcomes=tuple(replace(o, people=keyer.all_of(s.id, o.record_ids)) for o in s.outcomes))
        for s in release.sources
    )
    return replace(release, sources=sources)


def person_record_ids(release: Release) -> dict[str, str]:
    """Each failing record's person key -> its record id in this run (to name new failures by their ids)."""
    return {p: r for s in release.sources for o in s.outcomes for p, r in zip(o.people, o.record_ids, strict=False)}


def parse_series(key: str) -> SeriesKey:
    """A comparison key's series (the inverse of ComparisonKey.text, without the period)."""
    _, measure, _period, geography, left, right = key_parts(key)
    return SeriesKey(measure, geography, left, right)
