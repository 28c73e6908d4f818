"""The report's view model: what a data steward reads, as frozen dataclasses, already worded and disclosed."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.release import Provenance

STATUS_LABELS = {
    "agree": "Agree",
    "within_tolerance": "Within tolerance",
    "discrepancy": "Discrepancy",
    "not_comparable": "Not comparable",
    "passed": "Passed",
    "failed": "Failed",
    "crashed": "Crashed",
    "not_run": "Not run",
}


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


@dataclass(frozen=True)
class MatrixCell:
    pair: str
    status: str
    status_label: str
    difference: str
    explanation: str


@dataclass(frozen=True)
class MatrixRow:
    period: str
    values: tuple[str, ...]  # one per source, in MeasureMatrix.sources order
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class MeasureMatrix:
    measure: str
    title: str
    sources: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    elsewhere: tuple[str, ...]  # discrepancies in regions and LAs, as sentences


@dataclass(frozen=True)
class BridgeLine:
    step: str
    description: str
    change: str
    sample: Sample


@dataclass(frozen=True)
class BridgeView:
    heading: str
    source: str
    headline: str
    lines: tuple[BridgeLine, ...]
    harmonised: str
    compared_with: str
    other_value: str
    gap: str  # the other source's value minus this harmonised count
    bars: tuple[tuple[str, float, bool], ...]  # label, value, is_total; empty when counts are suppressed
    chart_alt: str


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


@dataclass(frozen=True)
class UnmatchedRow:
    pair: str
    measure: str
    period: str
    matched: str
    only_left: str
    only_right: str
    shifts: str
    left_sample: Sample
    right_sample: Sample


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
class ReportView:
    title: str
    passed: bool
    verdict: tuple[str, ...]
    warnings: tuple[str, ...]
    disclosure: str
    shows_record_ids: bool
    sources: tuple[SourceView, ...]
    matrices: tuple[MeasureMatrix, ...]
    bridges: tuple[BridgeView, ...]
    trends: tuple[TrendView, ...]
    unmatched: tuple[UnmatchedRow, ...]
    notes: tuple[str, ...]
    provenance: Provenance
    side_files: tuple[SideFile, ...] = field(default_factory=tuple)
    headlines: tuple[str, ...] = ()  # contrasts of rates, on the first screen
    incoherent: tuple[CoherenceRow, ...] = ()
    rates: tuple[RateRow, ...] = ()
    since: tuple[str, ...] = ()  # what changed since the last release (run history)
    # per measure: title, each source's (x, value, low, high) points, and the release labels along x
    release_charts: tuple[tuple[str, tuple[tuple[str, tuple[tuple[float, float, float, float], ...]], ...], tuple[str, ...]], ...] = ()
