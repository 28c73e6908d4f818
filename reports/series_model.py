"""The view model of the report's "Unusual series" (reports/series_view.py builds it): frozen, worded, disclosed."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class UnusualRow:
    """One flagged series as the table beside the small multiples gives it: what its panel draws, in words."""

    place: str  # la_label: "Camden (E09000007)", "England"
    source: str
    measure: str  # the measure's title
    period: str  # the tested period's label: "2023-24"
    value: str  # the tested figure: "34", "55 to 64"
    status: str  # "above" or "below"
    expected: str  # "11.2"; "c" where --publish withholds the band
    band: str  # "7 to 16"; "c" where --publish withholds it
    points: str  # the past points the band was built from
    past: str  # "2018-19: 10; 2019-20: 12 (from release 2024)": every past figure, oldest first


@dataclass(frozen=True)
class UnusualView:
    """The report's "Unusual series": a small panel per flagged series (at most `PANELS`), and the same as a table."""

    chart: Markup  # matplotlib's SVG (reports/series_charts.py); empty when every flagged series is left out
    chart_alt: str
    rows: tuple[UnusualRow, ...]
    methods: str  # the bands' methods as Anomaly.method names them: "quasi-poisson (3 series)"
    more: int = 0  # flagged series beyond the panels (in the JSON `anomalies`)
    left_out: int = 0  # --publish: flagged series holding a withheld figure, neither drawn nor listed
    bands_withheld: int = 0  # --publish: series drawn without their band (below England, as every output withholds it)
    from_history: bool = False  # some past point came from an earlier release (drawn hollow)
