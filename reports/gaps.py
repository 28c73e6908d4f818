"""Deaths one source has and another lacks, in one sentence for every output (console, Markdown, JUnit, HTML)."""

from __future__ import annotations

from ..domain.geography import la_name
from ..model.reconciliation import GAP_KINDS, MissingDeaths, ReconcileResult
from .disclosure import Disclosure
from .wording import counted, verb

LABELS = {"absent": "MISSING", "other_status": "ELSEWHERE", "other_period": "SHIFTED", "other_la": "OTHER LA"}


def gap_sentence(gap: MissingDeaths, disclosure: Disclosure, *, ids: bool = True) -> str:
    """`lac_deaths 2023-24 Bradford: 1 death in dfe_cla has no record in ncmd: 700001` (ids as disclosed; none in the
    Markdown summary, which a pull request shows to everyone who can read it)."""
    hidden = disclosure.hides(gap.count)
    deaths = counted(gap.count, "death", "deaths", hidden)  # `some deaths` when withheld: no plural gives it away
    what = verb(gap.count, hidden, *GAP_KINDS[gap.kind])
    named = f": {', '.join(gap.record_ids)}" if gap.record_ids and ids else ""
    return f"{gap.measure} {gap.period_label} {la_name(gap.geography)}: {deaths} in {gap.source} {what} {gap.absent_from}{named}"


def gap_label(gap: MissingDeaths) -> str:
    return LABELS[gap.kind] + (" (warning)" if gap.kind == "absent" and gap.severity == "warning" else "")


def ordered_gaps(result: ReconcileResult) -> list[MissingDeaths]:
    """What blocks first (absent, error), then absent as a warning, then what the tolerance covers."""
    rank = {"absent": 0, "other_la": 1, "other_period": 2, "other_status": 3}
    return sorted(result.missing, key=lambda g: (rank[g.kind], not g.gating))


def missing_total(result: ReconcileResult, *, gating_only: bool = False) -> int:
    """Deaths with no record at all in a source that should have them (once per measure); or only those that block."""
    return sum(g.count for g in (result.missing_gating if gating_only else result.absent))


def missing_words(result: ReconcileResult, disclosure: Disclosure, *, gating_only: bool = False) -> str:
    """`3 deaths`, or `some deaths` when the total is withheld."""
    total = missing_total(result, gating_only=gating_only)
    return counted(total, "death", "deaths", disclosure.hides(total))

