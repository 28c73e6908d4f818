"""The verdict in sentences: what disagrees, what failed, what to watch, in the order a steward reads them."""

from __future__ import annotations

from collections import Counter

from ..domain.acknowledgements import AckStatus
from ..domain.geography import ENGLAND
from ..domain.status import Status
from ..model.checks import SourceResult
from ..model.reconciliation import ReconcileResult
from ..model.release import Release
from .acknowledgements_view import in_use, met, settled
from .disclosure import Disclosure
from .facts import disagreement_sentence, discrepancy_facts
from .gaps import gap_sentence
from .wording import count_words, listed

_GAPS_NAMED = 10  # deaths missing from a source, named one sentence per place and period; the rest counted


def verdict(release: Release, disclosure: Disclosure) -> tuple[list[str], list[str]]:
    """What fails the gate (disagreements between sources first, then each source's own failures), and what to watch."""
    failures: list[str] = []
    warnings: list[str] = []
    gating = {source.name for source in release.gating_sources}
    for source in release.sources:
        found, watch = _source_sentences(source, disclosure)
        if source.name in gating:
            failures += found
        else:
            # `reconcile` gates on comparisons and published tables; the record sources' own failures are reported.
            watch = [f"{line} (not gated by `reconcile`; `triangulate run` gates on it)" for line in found] + watch
        warnings += watch
    lapsed, acknowledged = _acknowledgement_sentences(release)
    failures += lapsed
    warnings += acknowledged
    result = release.reconciliation
    if result is None:
        return failures, warnings
    disagreements = _disagreements(release, result, disclosure)
    for gating, into in ((True, disagreements), (False, warnings)):
        gaps = [gap for gap in result.absent if gap.gating == gating and not settled(gap)]  # acknowledged: said above
        into += [gap_sentence(gap, disclosure, ids=False) + "." for gap in gaps[:_GAPS_NAMED]]
        if len(gaps) > _GAPS_NAMED:
            into.append(f"{len(gaps) - _GAPS_NAMED:,} more places and periods have deaths missing from a source (see the JSON).")
    for empty in (e for e in result.empty if not settled(e)):
        line = (f"{empty.left} and {empty.right} could not be compared on "
                f"{release.titles.get(empty.measure, empty.measure).lower()}: {empty.reason}.")  # fmt: skip
        (disagreements if empty.gating else warnings).append(line + ("" if empty.gating else " (allow_empty)"))
    blocking = [a for a in result.anomalies if a.blocks]
    if blocking:  # `anomaly: {gate: true}`; never which side of its band (a published output may withhold that)
        one = len(blocking) == 1
        disagreements.append(f"{len(blocking):,} {'series is' if one else 'series are'} unusual against {'its' if one else 'their'} "
                             "own past, and the measure's `anomaly: {gate: true}` makes that block (see Unusual against their own past).")  # fmt: skip
    for trend in result.trends:
        if trend.opposite:
            warnings.append(
                f"{release.titles.get(trend.measure, trend.measure)}: {trend.sources[0]} went {trend.directions[0]} while "
                f"{trend.sources[1]} went {trend.directions[1]} over the years both cover."
            )
    return disagreements + failures, warnings


def _source_sentences(source: SourceResult, disclosure: Disclosure) -> tuple[list[str], list[str]]:
    failures: list[str] = []
    warnings: list[str] = []
    # What blocks is the model's rule (CheckOutcome.blocks_release), never re-derived here from severities.
    crashed = [o.check_id for o in source.outcomes if o.blocks_release and o.status == Status.CRASHED]
    errors = [o for o in source.outcomes if o.blocks_release and o.status == Status.FAILED]
    warned = [o for o in source.outcomes if not o.blocks_release and o.status == Status.FAILED and not settled(o)]
    not_run = [o for o in source.outcomes if o.status == Status.NOT_RUN]
    if crashed:
        failures.append(
            f"{source.name}: {listed(crashed)} crashed, so {'its result' if len(crashed) == 1 else 'their results'} cannot be trusted."
        )
    if errors:
        failures.append(
            f"{source.name}: {count_words(len(errors), 'check fails', 'checks fail')} at error severity: "
            + listed([f"{o.check_id} ({disclosure.failures(o.level, o.failed)})" for o in errors])
            + "."
        )
    if warned:
        warnings.append(f"{source.name}: " + listed([f"{o.check_id} ({disclosure.failures(o.level, o.failed)})" for o in warned]) + ".")
    for outcome in not_run:
        warnings.append(f"{source.name}: {outcome.check_id} was not run: {outcome.not_run}.")
    return failures, warnings


def _acknowledgement_sentences(release: Release) -> tuple[list[str], list[str]]:
    """What fails because an acknowledgement no longer applies (the finding itself is named with the other failures),
    what passes by one, and the stale entries: each in one sentence, the details under Acknowledged findings."""
    if not in_use(release):
        return [], []
    # A lapsed entry is said among the failures where its finding blocks (a record source's check does not, for
    # `reconcile`); the section lists every one.
    counts = Counter(standing.status for finding, standing in met(release) if finding.blocks or standing.settles)
    changed, expired, acknowledged = counts[AckStatus.CHANGED], counts[AckStatus.EXPIRED], counts[AckStatus.ACKNOWLEDGED]
    failures, warnings = [], []
    if changed or expired:
        lapsed = [f"{count_words(changed, 'acknowledgement', 'acknowledgements')} changed" if changed else "",
                  f"{count_words(expired, 'acknowledgement', 'acknowledgements')} expired" if expired else ""]  # fmt: skip
        block = "its finding blocks" if changed + expired == 1 else "their findings block"
        failures.append(f"{' and '.join(w for w in lapsed if w)}, so {block} the release again (see Acknowledged findings).")
    if acknowledged:
        one = acknowledged == 1
        warnings.append(f"{count_words(acknowledged, 'finding passes', 'findings pass')} only by "
                        f"{'its acknowledgement' if one else 'their acknowledgements'} (see Acknowledged findings).")  # fmt: skip
    stale = release.acknowledgements.stale if release.acknowledgements is not None else ()
    if stale:
        one = len(stale) == 1
        warnings.append(f"{count_words(len(stale), 'entry', 'entries')} of the acknowledgements file "
                        f"{'matches' if one else 'match'} no finding of this run (stale): remove {'it' if one else 'them'}.")  # fmt: skip
    return failures, warnings


def _disagreements(release: Release, result: ReconcileResult, disclosure: Disclosure) -> list[str]:
    """Each national discrepancy in one sentence, written from the same facts as its bridge (reports/facts.py)."""
    disagreements = [
        disagreement_sentence(discrepancy_facts(c, result, release), disclosure)
        for c in result.discrepancies
        if c.geography == ENGLAND
    ]
    local = [c for c in result.discrepancies if c.geography != ENGLAND]
    if local:
        places = len({(c.geography, c.measure, c.period) for c in local})
        disagreements.append(
            f"{count_words(places, 'regional or local authority comparison shows', 'regional or local authority comparisons show')}"
            " a discrepancy (listed under each measure)."
        )
    return disagreements
