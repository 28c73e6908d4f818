"""The report's view model: what a data steward reads, as frozen dataclasses, already worded and disclosed."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from ..domain.status import Status
from ..model.release import Provenance
from .series_model import UnusualView

STATUS_LABELS: dict[str, str] = {  # keyed by Status, whose members are their plain values
    Status.AGREE: "Agree",
    Status.WITHIN_TOLERANCE: "Within tolerance",
    Status.DISCREPANCY: "Discrepancy",
    Status.NOT_COMPARABLE: "Not comparable",
    Status.PASSED: "Passed",
    Status.FAILED: "Failed",
    Status.CRASHED: "Crashed",
    Status.NOT_RUN: "Not run",
}
ONE_SIDED = (">=", "<=")  # "no more than", "at least": the counts need not agree for the relation to hold
CONSISTENT = "Consistent"


def status_label(status: str, relation: str = "==") -> str:
    """A status in words: a one-sided relation that holds is "Consistent" (csprp 0, ncmd 55 do not agree); JSON keeps
    the status value itself ("agree"), a contract."""
    if status == Status.AGREE and relation in ONE_SIDED:
        return CONSISTENT
    return STATUS_LABELS[status]


@dataclass(frozen=True)
class Sample:
    shown: tuple[str, ...]
    more: int  # how many ids are in the side file but not shown


@dataclass(frozen=True)
class CheckRow:
    check_id: str
    severity: str
    status: str
    status_label: str
    message: str
    count: str
    percent: str
    sample: Sample
    detail: str = ""


@dataclass(frozen=True)
class SourceView:
    name: str
    kind: str
    records: str
    deaths: str
    passed: bool
    checks: tuple[CheckRow, ...]
    passed_checks: int
    published: bool = False  # a published table: rows, not records and deaths
    kind_label: str = ""  # the kind as a reader knows it, with its config name: "SSDA903 return (ssda903)"
    label: str = ""  # the source in headings: "dfe_cla — SSDA903 return (ssda903)" (canonical/registry.py)


@dataclass(frozen=True)
class GridCell:
    text: str  # the harmonised (or published) count as shown; "" when the source has no figure for the period
    change: str = ""  # "51 → 47": the source's own headline to the harmonised count, when they differ
    rate: str = ""  # "4.1 per 100,000", where a rate is configured
    flagged: bool = False  # in a national discrepancy


@dataclass(frozen=True)
class Outcome:
    """One comparison's result, written as an outcome (what was observed), never as the expectation."""

    pair: str  # "csprp and dfe_cla"
    status: str
    status_label: str
    text: str  # "csprp 48, dfe_cla 49"
    difference: str
    explanation: str
    acknowledgement: str = ""  # acknowledged, changed, expired: its entry's standing, if it met one (AckStatus)


@dataclass(frozen=True)
class GridRow:
    period: str
    cells: tuple[GridCell, ...]  # one per source, in MeasureGrid.sources order
    outcomes: tuple[Outcome, ...] = ()


@dataclass(frozen=True)
class ExpectationLine:
    text: str  # "csprp should be at least dfe_cla's count"
    reason: str
    unmatched_rule: str  # which unmatched deaths the relation expects, in words


@dataclass(frozen=True)
class SourceColumn:
    name: str
    kind: str  # the kind's label with its config name: "SSDA903 return (ssda903)"
    colour: str  # the source's one colour in every chart
    marker: str  # the chart marker's name, for the key


@dataclass(frozen=True)
class MeasureGrid:
    """A measure as a period x source table: every source's count, whether or not anything was compared with it."""

    measure: str
    title: str
    definition: str
    sources: tuple[SourceColumn, ...]  # in the measure's config order
    rows: tuple[GridRow, ...]
    expectations: tuple[ExpectationLine, ...] = ()
    elsewhere: tuple[str, ...] = ()  # discrepancies in regions and LAs, as sentences
    side_file: str = ""  # the CSV side file's name suffix
    has_changes: bool = False  # some headline differs from its harmonised count
    has_rates: bool = False
    has_flags: bool = False
    place: str = "England"  # where the counts are: England, or the places really compared ("Surrey")
    rows_per_period: int = 1  # one row per place for each period when there are several ("2022-23, Surrey")


@dataclass(frozen=True)
class StepRow:
    step: str  # a check id where the step is one (linked to the glossary)
    description: str
    values: tuple[str, ...]  # one per column
    anchor: str = ""  # the glossary entry's id, when it has one


@dataclass(frozen=True)
class BridgeRow:
    source: str
    period: str
    headline: str
    changes: tuple[str, ...]  # one per BridgeTable.steps
    harmonised: str


@dataclass(frozen=True)
class BridgeTable:
    """A measure's bridges, one row per source and period: headline, each step that changed something, harmonised."""

    measure: str
    title: str
    steps: tuple[StepRow, ...]  # the columns (values unused)
    rows: tuple[BridgeRow, ...]
    unchanged: tuple[str, ...] = ()  # steps that removed nothing anywhere in the measure


@dataclass(frozen=True)
class LinkRow:
    label: str
    values: tuple[str, str]  # left, right
    note: str = ""


@dataclass(frozen=True)
class Explained:
    """One national discrepancy: both sides' bridges and the record linkage, in one table, and THE sentence."""

    heading: str
    anchor: str
    sources: tuple[str, str]
    expected: str
    reason: str
    outcome: str
    explanation: str  # the same sentence the verdict prints (reports/facts.explain_discrepancy)
    steps: tuple[StepRow, ...]  # headline, steps, harmonised: values (left, right)
    linkage: tuple[LinkRow, ...]
    expected_only: str  # the rule that expects some unmatched deaths, or ""
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnmatchedRow:
    measure: str
    period: str
    pair: str
    source: str  # the source the deaths are in
    other: str  # the source they are missing from
    count: str
    sample: Sample
    rule: str = ""  # for expected non-matches: the measure's reason


@dataclass(frozen=True)
class ShiftRow:
    measure: str
    period: str
    pair: str
    count: str


@dataclass(frozen=True)
class Unmatched:
    gaps: tuple[UnmatchedRow, ...] = ()  # deaths that should be in both sources and are not
    shifts: tuple[ShiftRow, ...] = ()
    expected: tuple[UnmatchedRow, ...] = ()  # deaths in one source only, as the measure's relation expects

    def __bool__(self) -> bool:
        return bool(self.gaps or self.shifts or self.expected)


@dataclass(frozen=True)
class TrendPoint:
    period: str
    x: float
    value: float
    low: float
    high: float
    shown: str


@dataclass(frozen=True)
class TrendView:
    measure: str
    title: str
    series: tuple[tuple[str, tuple[TrendPoint, ...]], ...]
    flag: str
    chart_alt: str
    ticks: tuple[tuple[float, str], ...] = ()  # (period middle, period label)
    per_12_rows: tuple[GridRow, ...] = ()  # only when some period is not 12 months long
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class GlossaryEntry:
    check_id: str
    anchor: str
    catches: str
    matters: str
    also: tuple[str, ...] = ()  # anchors of the other members of a family entry (missing.<field>)


@dataclass(frozen=True)
class CheckGridRow:
    check_id: str
    anchor: str
    severity: str
    counts: tuple[str, ...]  # one per source in ReportView.check_sources order; "" where it did not fail


@dataclass(frozen=True)
class Briefing:
    """The first page: the verdict in one sentence, each measure's grid, three findings, what changed."""

    sentence: str
    findings: tuple[str, ...]
    since: tuple[str, ...] = ()
    latest_periods: int = 3  # the first page's grids show the latest periods only; the measures show them all
    measures: int = 6  # and the first measures only, so that the page stays one page


@dataclass(frozen=True)
class CoherenceRow:
    source: str
    measure: str
    period: str
    place: str
    parts: str
    whole: str
    sum_of_parts: str
    location: str


@dataclass(frozen=True)
class RateRow:
    measure: str
    source: str
    period: str
    place: str
    count: str
    population: str
    rate: str  # with its 95% interval; blank when the count is suppressed


@dataclass(frozen=True)
class SideFile:
    name: str  # a suffix: check-failures, unmatched
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AcknowledgementRow:
    """A finding that met an entry of the acknowledgements file (or a stale entry, which met none)."""

    key: str
    finding: str  # the finding in words
    status: str  # acknowledged, changed, expired, stale (domain/acknowledgements.py AckStatus)
    status_label: str
    reason: str
    owner: str
    acknowledged_on: str
    expires: str  # "2027-03-31", "no expiry"; "2020-01-01 (expired)"
    evidence: str  # as acknowledged, in words; "" with --publish
    evidence_now: str  # as it is now when changed, else "unchanged"; "" with --publish


@dataclass(frozen=True)
class AcknowledgementsView:
    file: str
    rows: tuple[AcknowledgementRow, ...]  # changed and expired first (they block), then acknowledged
    stale: tuple[AcknowledgementRow, ...]
    shows_evidence: bool  # not with --publish
    summary: str  # "3 acknowledged, 1 changed, 1 expired, 1 stale"
    acknowledged: int = 0
    changed: int = 0
    expired: int = 0


@dataclass(frozen=True)
class FunnelRow:
    place: str  # la_label: "Camden (E09000007)"
    count: str  # "c" when withheld
    denominator: str
    rate: str  # "c" when the count is withheld
    limits: tuple[str, ...]  # one per FunnelView.levels: "21.3 to 80.1"
    outside: str  # "outside 99.8%", "outside 95%", "within 95%"; "c" when the count is withheld


@dataclass(frozen=True)
class FunnelView:
    """One LaFunnel: its chart (withheld LAs not drawn) and the same LAs as a table, those outside the widest limits first."""

    measure: str
    title: str  # "Deaths, dfe, 2023-24"
    levels: tuple[str, ...]  # "95%", "99.8%"
    unit: str  # "per 100,000", or "ratio of counts"
    method: str  # the funnel's own words: levels, Poisson or binomial, and whether τ² widened the limits
    chart: Markup  # matplotlib's SVG (reports/charts.py), which escapes every label it writes
    chart_alt: str
    rows: tuple[FunnelRow, ...]
    withheld: int = 0  # LAs whose count is shown as `c` and not drawn


@dataclass(frozen=True)
class ReportView:
    title: str
    passed: bool
    verdict: tuple[str, ...]
    warnings: tuple[str, ...]
    disclosure: str
    shows_record_ids: bool
    sources: tuple[SourceView, ...]
    provenance: Provenance
    briefing: Briefing = Briefing("", ())
    grids: tuple[MeasureGrid, ...] = ()
    grid_place: str = "England"  # the first page's grids' one place ("Counts by measure, Surrey"); "" when they differ
    bridges: tuple[BridgeTable, ...] = ()
    explained: tuple[Explained, ...] = ()
    trends: tuple[TrendView, ...] = ()
    unmatched: Unmatched = Unmatched()
    notes: tuple[str, ...] = ()
    side_files: tuple[SideFile, ...] = field(default_factory=tuple)
    headlines: tuple[str, ...] = ()  # contrasts of rates
    incoherent: tuple[CoherenceRow, ...] = ()
    rates: tuple[RateRow, ...] = ()
    since: tuple[str, ...] = ()  # what changed since the last release (run history)
    # per measure: title, each source's (x, value, low, high) points, and the release labels along x
    release_charts: tuple[tuple[str, tuple[tuple[str, tuple[tuple[float, float, float, float], ...]], ...], tuple[str, ...]], ...] = ()
    palette: tuple[tuple[str, str, str], ...] = ()  # source, colour, marker: one per source for every chart
    death_rules: tuple[tuple[tuple[str, ...], str], ...] = ()  # sources, what they count as a death
    glossary: tuple[GlossaryEntry, ...] = ()
    check_sources: tuple[str, ...] = ()
    check_grid: tuple[CheckGridRow, ...] = ()
    files_summary: str = ""
    gaps: tuple[tuple[str, str], ...] = ()  # deaths one source has and another lacks: (label, sentence), blocking first
    source_kinds: dict[str, str] = field(default_factory=dict)  # source name -> "SSDA903 return (ssda903)"
    # configured sources compared with no other (a note, never a failure): (source, why in words)
    not_compared: tuple[tuple[str, str], ...] = ()
    acknowledgements: AcknowledgementsView | None = None  # None: the run used no acknowledgements file
    funnels: tuple[FunnelView, ...] = ()  # each LaFunnel of the run (`funnel:` on a measure with a rate)
    unusual: UnusualView | None = None  # None: no series outside its band that this output may name
