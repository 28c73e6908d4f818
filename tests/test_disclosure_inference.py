"""Issue 21: `--publish` withholds what a reader could infer: a comparison's status bounding a `c`, a source's total
against a measure's counts of it; and never withholds counts that are not of people (rows, cells)."""

from __future__ import annotations

import datetime as dt

from triangulate.domain.intervals import Interval
from triangulate.domain.periods import financial_year
from triangulate.model.checks import SourceResult
from triangulate.model.reconciliation import Comparison, ReconcileResult, SeriesPoint
from triangulate.model.release import Provenance, Release
from triangulate.reports.disclosure import Cell, Disclosure, total_cell
from triangulate.reports.suppression import withheld_cells

YEAR = financial_year(2023)
PROVENANCE = Provenance(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.date(2023, 3, 31), "release.yaml", "", (), ())


def comparison(left: int, right: int, status: str, tolerance: dict[str, float], relation: str = "==") -> Comparison:
    return Comparison("lac_deaths", YEAR.iso, YEAR.label, "England", "ncmd", "dfe_cla", Interval.exact(left),
                      Interval.exact(right), YEAR.iso, YEAR.iso, Interval.exact(left), Interval.exact(right),
                      Interval.exact(left - right), relation, tolerance, status)  # fmt: skip


def release(*comparisons: Comparison, sources: tuple[SourceResult, ...] = (), series: tuple[SeriesPoint, ...] = ()) -> Release:
    return Release("reconcile", sources, ReconcileResult(comparisons=comparisons, series=series), PROVENANCE)


def test_a_status_within_tolerance_beside_a_c_withholds_the_figure_beside_it() -> None:
    """`ncmd 0, dfe_cla c: within 2` says dfe_cla's count is 1 or 2: ncmd's 0 is withheld too."""
    withheld = withheld_cells(release(comparison(0, 2, "within_tolerance", {"abs": 2.0, "rel": 0.0})))
    assert Cell("dfe_cla", "lac_deaths", YEAR.iso, "England") in withheld
    assert Cell("ncmd", "lac_deaths", YEAR.iso, "England") in withheld


def test_a_status_that_every_value_of_c_gives_leaves_the_figure_beside_it_shown() -> None:
    """An exact comparison of 0 with a `c` is a discrepancy whatever the `c` is: it tells nothing more."""
    withheld = withheld_cells(release(comparison(0, 2, "discrepancy", {"abs": 0.0, "rel": 0.0})))
    assert Cell("ncmd", "lac_deaths", YEAR.iso, "England") not in withheld


def test_a_discrepancy_beyond_a_tolerance_narrows_too() -> None:
    """`ncmd 0, dfe_cla c: discrepancy` beyond a tolerance of 2 says c is 3, 4 or 5."""
    withheld = withheld_cells(release(comparison(0, 4, "discrepancy", {"abs": 2.0, "rel": 0.0})))
    assert Cell("ncmd", "lac_deaths", YEAR.iso, "England") in withheld


def _source(name: str, deaths: int, published: bool = False) -> SourceResult:
    return SourceResult(name, "published" if published else "ncmd", 3 if published else deaths, deaths, dt.date(2023, 3, 31), (),
                        published=published)  # fmt: skip


def test_a_sources_total_that_gives_away_the_rest_of_a_measure_is_withheld() -> None:
    """8 NCMD deaths beside 7 deaths of children in need leaves 1 death of a child never known to social care."""
    point = SeriesPoint("cin_deaths", "ncmd", YEAR.iso, YEAR.label, Interval.exact(7), Interval.exact(7))
    withheld = withheld_cells(release(sources=(_source("ncmd", 8),), series=(point,)))
    assert total_cell("ncmd") in withheld and Cell("ncmd", "cin_deaths", YEAR.iso, "England") not in withheld
    shown = withheld_cells(release(sources=(_source("ncmd", 20),), series=(point,)))  # a rest of 13: nothing to protect
    assert total_cell("ncmd") not in shown


def test_counts_that_are_not_of_people_are_never_withheld() -> None:
    from triangulate.reports.console import render_check_summary

    publish = Disclosure(publish=True)
    assert "3 rows" in render_check_summary(_source("dfe_pub", 0, published=True), publish)
    assert publish.failures("cell", 2) == "2" and publish.failures("record", 2) == "c"


def test_a_one_la_returns_total_is_checked_against_its_la_counts() -> None:
    """A return of one LA has no England figure: its total against the LA's counts of a measure."""
    at_la = [Comparison("lac_deaths", p.iso, p.label, "E08000032", "ncmd", "dfe_cla", Interval.exact(9), Interval.exact(9), p.iso,
                        p.iso, Interval.exact(9), Interval.exact(9), Interval.exact(0), "==", {"abs": 0.0, "rel": 0.0}, "agree")
             for p in (financial_year(2022), financial_year(2023))]  # fmt: skip
    withheld = withheld_cells(release(*at_la, sources=(_source("dfe_cla", 20),)))  # 20 - 18: a rest of 2
    assert total_cell("dfe_cla") in withheld
