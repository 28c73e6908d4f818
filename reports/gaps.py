"""Deaths one source has and another lacks, in one sentence for every output (console, Markdown, JUnit, HTML)."""

from __future__ import annotations

from ..domain.geography import la_field
from ..model.reconciliation import GAP_KINDS, MissingDeaths, ReconcileResult
from .disclosure import Disclosure
from .wording import counted

LABELS = {"absent": "MISSING", "other_status": "ELSEWHERE", "other_period": "SHIFTED", "other_la": "OTHER LA"}


def place(geography: str) -> str:
    """An LA's name where it has one (Bradford), else the geography as given."""
    return la_field("la_name").get(geography, geography)


def gap_sentence(gap: MissingDeaths, disclosure: Disclosure, *, ids: bool = True) -> str:
    """`lac_deaths 2023-24 Bradford: 1 death in dfe_cla has no record in ncmd: 700001` (ids as disclosed; none in the
    Markdown summary, which a pull request shows to everyone who can read it)."""
    hidden = disclosure.hides(gap.count)
    deaths = counted(gap.count, "death", "deaths", hidden)  # `some deaths` when withheld: no plural gives it away
    verb = GAP_KINDS[gap.kind][0 if gap.count == 1 and not hidden else 1]
    listed = f": {', '.join(gap.record_ids)}" if gap.record_ids and ids else ""
    return f"{gap.measure} {gap.period_label} {place(gap.geography)}: {deaths} in {gap.source} {verb} {gap.absent_from}{listed}"


def gap_label(gap: MissingDeaths) -> str:
    return LABELS[gap.kind] + (" (warning)" if gap.kind == "absent" and gap.severity == "warning" else "")


def ordered_gaps(result: ReconcileResult) -> list[MissingDeaths]:
    """What blocks first (absent, error), then absent as a warning, then what the tolerance covers."""
    rank = {"absent": 0, "other_la": 1, "other_period": 2, "other_status": 3}
    return sorted(result.missing, key=lambda g: (rank[g.kind], g.severity != "error"))


def missing_total(result: ReconcileResult) -> int:
    """Deaths with no record at all in a source that should have them (once per measure)."""
    return sum(g.count for g in result.absent)


def missing_words(result: ReconcileResult, disclosure: Disclosure) -> str:
    """`3 deaths`, or `some deaths` when the total is withheld."""
    total = missing_total(result)
    return counted(total, "death", "deaths", disclosure.hides(total))


def gap_rows(result: ReconcileResult, disclosure: Disclosure) -> tuple[tuple[str, str], ...]:
    return tuple((gap_label(gap), gap_sentence(gap, disclosure)) for gap in ordered_gaps(result))
