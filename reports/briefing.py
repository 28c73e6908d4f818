"""The first page, a page a data steward can hand to a director: the verdict in one sentence, the three findings
that matter most in plain words, and what changed since the last release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain.geography import ENGLAND, ENGLAND_CODE, la_name
from ..domain.status import Status
from ..model.changes import Changes
from ..model.reconciliation import Bridge, BridgeStep
from ..model.release import Release
from .acknowledgements_view import acknowledgements_view, settled
from .anomaly_words import anomaly_sentence, unusual
from .disclosure import Cell, Disclosure, withheld_series
from .facts import discrepancy_facts, expected_text, explain_discrepancy, hides_a_side, value_text
from .gaps import missing_total, missing_words
from .view_model import Briefing
from .wording import count_words, counted, figure_text, listed, period_label, verb

FINDINGS = 3
SINCE_LINES = 3


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verdict_sentence(release: Release, disclosure: Disclosure) -> str:
    """The verdict in one sentence, for people who read nothing else."""
    result = release.reconciliation
    failing = [s.name for s in release.gating_sources if s.blocks_release]
    acknowledged = _acknowledged_words(release, disclosure)
    if release.passed:
        if acknowledged.startswith("passes"):
            return f"The release can go ahead: it {acknowledged}."
        tail = " and every comparison agrees or is within tolerance" if result is not None and result.comparisons else ""
        return f"The release can go ahead: no source fails a check at error severity{tail}" + (f"; {acknowledged}" if acknowledged else "") + "."
    reasons = []
    if result is not None:
        national = [c for c in result.discrepancies if c.geography == ENGLAND]
        if len(national) == 1:
            c = national[0]
            reasons.append(f"{c.left} and {c.right} disagree on {release.titles.get(c.measure, c.measure).lower()} in {c.period_label}")
        elif national:
            reasons.append(f"{len(national)} national comparisons disagree")
        local = {(c.geography, c.measure, c.period) for c in result.discrepancies if c.geography != ENGLAND}
        if local and not national:
            reasons.append(count_words(len(local), "regional or local authority comparison disagrees",
                                       "regional or local authority comparisons disagree"))  # fmt: skip
        if result.empty_gating:
            reasons.append(count_words(len(result.empty_gating), "comparison", "comparisons") + " could not be made")
        if result.missing_gating:
            total = missing_total(result, gating_only=True)
            reasons.append(f"{missing_words(result, disclosure, gating_only=True)} in one source "
                           f"{verb(total, disclosure.hides(total), 'has', 'have')} no record in another")  # fmt: skip
    if failing:
        total = len(release.gating_sources)
        if len(failing) == 1:
            reasons.append(f"{failing[0]} fails checks at error severity")
        else:
            every = ("both" if total == 2 else f"all {total}") if len(failing) == total else f"{len(failing)} of the {total}"
            reasons.append(f"{every} sources fail checks at error severity")
    return "Do not release yet: " + _and(reasons or ["the release gate failed"]) + (f"; {acknowledged}" if acknowledged else "") + "."


def _acknowledged_words(release: Release, disclosure: Disclosure) -> str:
    """The first page's count of acknowledgements: `passes with 3 acknowledged findings (each signed off ...)`, or,
    when it fails, `2 acknowledgements changed and 1 expired; 3 other findings are acknowledged`."""
    view = acknowledgements_view(release, disclosure)
    if view is None:
        return ""
    stale = f"; {count_words(len(view.stale), 'stale entry matches', 'stale entries match')} no finding" if view.stale else ""
    if release.passed:
        if not view.acknowledged:
            return stale.removeprefix("; ")
        return (f"passes with {count_words(view.acknowledged, 'acknowledged finding', 'acknowledged findings')} (see "
                f"Acknowledged findings); nothing else fails{stale}")  # fmt: skip
    lapsed = [count_words(view.changed, "acknowledgement", "acknowledgements") + " changed" if view.changed else "",
              (count_words(view.expired, "acknowledgement", "acknowledgements") if not view.changed else f"{view.expired:,}")
              + " expired" if view.expired else ""]  # fmt: skip
    parts = [_and([p for p in lapsed if p])] if view.changed or view.expired else []
    if view.acknowledged:
        parts.append(count_words(view.acknowledged, "other finding is acknowledged", "other findings are acknowledged"))
    return "; ".join(parts) + stale if parts else stale.removeprefix("; ")


def _discrepancy_findings(release: Release, disclosure: Disclosure) -> list[tuple[int, str]]:
    result = release.reconciliation
    out = []
    for c in result.discrepancies if result is not None else ():
        if c.geography != ENGLAND:
            continue
        facts = discrepancy_facts(c, result, release)
        counts = ("" if hides_a_side(facts, disclosure) else
                  f": {c.left} {value_text(facts, facts.left, disclosure)}, {c.right} {value_text(facts, facts.right, disclosure)}")  # fmt: skip
        explanation = explain_discrepancy(facts, disclosure)
        out.append((100, f"{facts.title}, {c.period_label}, do not reconcile{counts}, though {expected_text(facts)}. "
                         f"{explanation[0].upper() + explanation[1:]}."))  # fmt: skip
    return out


def _checks_finding(release: Release, disclosure: Disclosure) -> list[tuple[int, str]]:
    failing = [(s.name, o) for s in release.gating_sources for o in s.outcomes if o.blocks_release]
    if not failing:
        return []
    sources = list(dict.fromkeys(name for name, _ in failing))
    source, worst = max(failing, key=lambda pair: pair[1].failed)
    where = f"{len(sources)} sources" if len(sources) > 1 else sources[0]
    return [(90, f"{count_words(len(failing), 'check fails', 'checks fail')} at error severity in {where}: records with "
                 f"blank or impossible fields, unreadable dates or duplicates. The largest is {source}'s "
                 f"{worst.check_id} ({disclosure.failures(worst.level, worst.failed)}: {worst.message}). These must be corrected or "
                 "explained before release.")]  # fmt: skip


def _bridge_finding(release: Release, disclosure: Disclosure) -> list[tuple[int, str]]:
    """The largest adjustment from a source's own headline to the harmonised definition, when it is a large share."""
    result = release.reconciliation
    best: tuple[float, Bridge, list[BridgeStep]] | None = None
    for b in result.bridges if result is not None else ():
        removing = [s for s in b.steps if s.count > 0]
        share = sum(s.count for s in removing) / b.headline if b.headline else 0.0
        if share >= 0.1 and (best is None or share > best[0]):
            best = (share, b, removing)
    if best is None:
        return []
    share, b, steps = best
    cell = Cell(b.source, b.measure, b.period, ENGLAND, "headline")
    quoted = [(cell, b.headline), (cell._replace(figure="value"), b.harmonised),
              *((cell._replace(figure=s.step), s.count) for s in steps)]  # fmt: skip
    if any(disclosure.hides_value(at, value) for at, value in quoted):
        return []  # the finding quotes every one of these figures
    parts = listed([f"{figure_text(s.count, disclosure, cell._replace(figure=s.step))} {s.description.removeprefix('minus ')}"
                    for s in sorted(steps, key=lambda s: -s.count)])  # fmt: skip
    harmonised = figure_text(b.harmonised, disclosure, cell._replace(figure="value"))
    title = release.titles.get(b.measure, b.measure).lower()
    removed = disclosure.count(sum(s.count for s in steps))  # the sum of steps quoted beside it: reveals nothing more
    return [(70, f"{share:.0%} of {b.source}'s own count of {title} in {b.period_label} ({removed} of "
                 f"{figure_text(b.headline, disclosure, cell)}) is outside the harmonised definition: {parts}; "
                 f"the harmonised count is {harmonised}. Figures quoted from {b.source}'s own count are not comparable "
                 "with the other sources.")]  # fmt: skip


def _other_findings(release: Release, disclosure: Disclosure) -> list[tuple[int, str]]:
    result = release.reconciliation
    if result is None:
        return []
    out = []
    local = {(c.geography, c.measure, c.period) for c in result.discrepancies if c.geography != ENGLAND}
    if local:
        out.append((60, count_words(len(local), "regional or local authority comparison disagrees",
                                    "regional or local authority comparisons disagree") + " (listed under each measure)."))  # fmt: skip
    incoherent = [c for c in result.coherence if not c.coherent]
    if incoherent:
        out.append((85, count_words(len(incoherent), "published total does", "published totals do")
                    + " not add up from their published parts."))
    if any(not settled(gap) for gap in result.absent):  # acknowledged deaths are no finding to correct
        out.append((98 if result.missing_gating else 75, _missing_finding(release, disclosure)))
    for empty in result.empty_gating:
        out.append((95, f"{empty.left} and {empty.right} could not be compared on "
                        f"{release.titles.get(empty.measure, empty.measure).lower()}: {empty.reason}."))  # fmt: skip
    flagged = unusual(result, disclosure)
    if flagged:  # informs: "unusual against its own past", never "wrong"; at most three named
        hidden_series = withheld_series(result.series, disclosure)
        named = "; ".join(anomaly_sentence(a, disclosure, hidden_series) for a in flagged[:3])
        more = f" ({len(flagged) - 3:,} more in the JSON)" if len(flagged) > 3 else ""
        out.append((45, f"Unusual against their own past: {named}{more}. A real change in practice looks the same."))
    for trend in result.trends:
        title = release.titles.get(trend.measure, trend.measure)
        words = "in opposite directions" if trend.opposite else "differently"
        out.append((65 if trend.opposite else 40,
                    f"{title}: {trend.sources[0]} went {trend.directions[0]} and {trend.sources[1]} went {trend.directions[1]} "
                    f"({trend.spans[0]}); the two sources move {words}."))  # fmt: skip
    return out


def _missing_finding(release: Release, disclosure: Disclosure) -> str:
    """How many deaths one source has that another has no record of at all, and where the first of them are."""
    result = release.reconciliation
    assert result is not None
    gaps = [gap for gap in result.absent if not settled(gap)]
    total = sum(gap.count for gap in gaps)
    hidden = disclosure.hides(total)
    pairs = listed(sorted({f"{g.source} but not {g.absent_from}" for g in gaps}))
    places = list(dict.fromkeys(f"{la_name(g.geography)} {g.period_label}" for g in gaps))
    where = listed(places[:3]) + (" and elsewhere" if len(places) > 3 else "")
    deaths = f"{counted(total, 'death', 'deaths', hidden)} {verb(total, hidden)}"
    blocking = ("whatever the count tolerance allows, they block the release" if result.missing_gating
                else "the measure reports them as a warning (missing: warning)")  # fmt: skip
    return (f"{deaths} recorded in {pairs}, with no record at all there ({where}; a death is counted once per measure): "
            f"{blocking}. Each is listed by record id under Deaths missing from a source.")


def findings(release: Release, disclosure: Disclosure) -> tuple[str, ...]:
    """The three findings that matter most, most serious first."""
    found = (_discrepancy_findings(release, disclosure) + _checks_finding(release, disclosure)
             + _bridge_finding(release, disclosure) + _other_findings(release, disclosure))  # fmt: skip
    ranked = sorted(enumerate(found), key=lambda item: (-item[1][0], item[0]))
    return tuple(text for _, (_, text) in ranked[:FINDINGS])


def since_summary(since: Changes | None, titles: Mapping[str, str], disclosure: Disclosure,
                  names: Mapping[str, str]) -> tuple[str, ...]:  # fmt: skip
    """What changed since the last release in at most three lines (the full list follows the first page); the
    history keys sources by id, `names` gives this run's names."""
    if since is None:
        return ()

    def named(source_id: str) -> str:
        return names.get(source_id, source_id)

    lines = []
    new = [c for c in since.checks if c.change in ("new", "worse")]
    fixed = [c for c in since.checks if c.change in ("fixed", "better", "absent")]
    if new or fixed:
        parts = []
        if new:
            parts.append(count_words(len(new), "check fails newly or more", "checks fail newly or more") + " ("
                         + ", ".join(f"{named(c.source)} {c.check_id}" for c in new[:3]) + ("…" if len(new) > 3 else "") + ")")  # fmt: skip
        if fixed:
            parts.append(count_words(len(fixed), "check fails less or no longer", "checks fail less or no longer"))
        lines.append(_and(parts).capitalize() + ".")
    moved = [c for c in since.comparisons if c.series.geography == ENGLAND_CODE]
    if moved:
        worse = [c for c in moved if c.new_status == Status.DISCREPANCY]
        text = count_words(len(moved), "national comparison changed status", "national comparisons changed status")
        if worse:
            text += "; now a discrepancy: " + ", ".join(
                f"{titles.get(c.series.measure, c.series.measure).lower()} {period_label(c.period)} ({named(c.series.left)} and {named(c.series.right)})"
                for c in worse[:2]
            )  # fmt: skip
        lines.append(text + ".")
    if since.published:
        beyond = sum(1 for p in since.published if p.beyond_tolerance)
        lines.append(count_words(len(since.published), "published figure was revised", "published figures were revised")
                     + (f", {beyond:,} beyond tolerance." if beyond else ", all within tolerance."))  # fmt: skip
    head = f"Compared with release {since.older.release or 'unlabelled'} (run {since.older.run_id})"
    if not lines:
        return (f"{head}: nothing changed.",)
    return (f"{head}:", *lines[:SINCE_LINES])


def briefing(release: Release, disclosure: Disclosure) -> Briefing:
    return Briefing(
        sentence=verdict_sentence(release, disclosure),
        findings=findings(release, disclosure),
        since=since_summary(release.since, release.titles, disclosure, release.source_names),
    )
