"""Issue 21 item 4: denominators as published. A `kind: denominator` source accepts every EES time identifier; a
population of a period is used for counts of that period, a mid-year estimate (`mid_year: true`, the shipped ONS
table's default) for the period it falls in, and the label says which."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from triangulate.canonical.published import DenominatorOptions, denominator_rows
from triangulate.config.run import load_config
from triangulate.domain.intervals import Interval
from triangulate.domain.periods import calendar_year, financial_year
from triangulate.errors import ConfigError, InputError
from triangulate.reconcile.measures import Measure
from triangulate.reconcile.rates import population_for, rates_for
from triangulate.schemas.base import FILE_COLUMN, LINE_COLUMN

from .conftest import run_cli

HEAD = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "population_group", "population"]


def _raw(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """A population table: (time_period, time_identifier, population) for England, children in need."""
    frame = pd.DataFrame(
        [[period, identifier, "National", "E92000001", "England", "Children in need", value] for period, identifier, value in rows],
        columns=HEAD,
    )
    frame[FILE_COLUMN] = "pop.csv"
    frame[LINE_COLUMN] = range(2, len(frame) + 2)
    return frame


def _options(mid_year: bool | None = None) -> DenominatorOptions:
    return DenominatorOptions("cin_population", (), {}, "population", {"population_group": "Children in need"}, mid_year)


@pytest.mark.parametrize(
    ("period", "identifier", "expected"),
    [
        ("202122", "Financial year", financial_year(2022)),  # DfE's "children in need during the year"
        ("2022", "Financial year", financial_year(2022)),
        ("202122", "Academic year", None),  # September 2021 - August 2022, checked below
        ("202122", "Reporting year", financial_year(2022)),
    ],
)
def test_every_ees_time_identifier_is_a_period_of_the_population(period: str, identifier: str, expected: object) -> None:
    """Refused before: `time_period '202122' is not a mid-year YYYY`."""
    rows = denominator_rows(_raw((period, identifier, "388,490")), _options())
    (found,) = rows["_period"]
    if identifier == "Academic year":
        assert (found.start.isoformat(), found.end.isoformat()) == ("2021-09-01", "2022-08-31")
    else:
        assert found == expected
    assert rows["_mid_year"].isna().all() and rows["_population"].tolist() == [388490]


def test_the_commissioners_rate_from_a_financial_year_denominator_is_226_5(tmp_path: Path) -> None:
    """880 deaths of children in need in 2021-22 over the 388,490 children in need during 2021-22 (`202122`)."""
    (tmp_path / "deaths.csv").write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,measure,number\n"
        "202122,Financial year,National,E92000001,England,Deaths of children in need,880\n"
    )
    (tmp_path / "pop.csv").write_text(
        ",".join(HEAD) + "\n202122,Financial year,National,E92000001,England,Children in need,388490\n"
    )
    config = tmp_path / "run.yaml"
    config.write_text(
        "sources:\n  deaths: {kind: published, path: deaths.csv, rounding: none}\n"
        "  cin_population: {kind: denominator, path: pop.csv, value: population, filter: {population_group: Children in need}}\n"
        "measures:\n  - id: cin_mortality\n    select:\n"
        '      deaths: {filter: {measure: "Deaths of children in need"}, value: number, rate: {per: 100000, denominator: cin_population}}\n'
    )
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / "r.json"), "--summary-md", str(tmp_path / "r.md"))
    assert result.returncode == 0, result.stderr
    (rate,) = json.loads((tmp_path / "r.json").read_text())["rates"]
    assert rate["rate"] == [226.5, 226.5] and rate["period"] == "2021-04-01/2022-03-31"
    assert rate["denominator_period"] == "2021-22" and rate["denominator_label"] == "children in need during 2021-22"
    markdown = (tmp_path / "r.md").read_text()
    assert "388,490 (children in need during 2021-22) | 226.5 per 100,000" in markdown and "mid-" not in markdown


def test_a_period_matched_denominator_is_used_for_its_period_only() -> None:
    populations = denominator_rows(_raw(("202122", "Financial year", "388490"), ("202223", "Financial year", "403090")), _options())
    found = population_for(populations, financial_year(2023), "England")
    assert found is not None and (found.value, found.period, found.label) == (403090, "2022-23", "children in need during 2022-23")
    assert population_for(populations, financial_year(2023), "E06000001") is None  # no row for the place: no rate


def test_a_denominator_whose_period_does_not_fit_the_counts_is_an_error_naming_both() -> None:
    populations = denominator_rows(_raw(("202122", "Financial year", "388490")), _options())
    measure = Measure("cin_mortality", "", "calendar_year", None, {}, (), ())
    with pytest.raises(ConfigError) as raised:
        rates_for(measure, "deaths", {(calendar_year(2022), "England"): Interval.exact(880)}, populations, 100000)
    message = raised.value.one_line()
    assert "denominator cin_population gives children in need during 2021-22" in message
    assert "deaths's count for cin_mortality of 2022" in message and "mid_year: true" in message and "\n" not in message


def test_a_mismatch_is_exit_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "deaths.csv").write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,measure,number\n"
        "2022,Calendar year,National,E92000001,England,Deaths of children in need,880\n"
    )
    (tmp_path / "pop.csv").write_text(",".join(HEAD) + "\n202122,Financial year,National,E92000001,England,Children in need,388490\n")
    config = tmp_path / "run.yaml"
    config.write_text(
        "sources:\n  deaths: {kind: published, path: deaths.csv, rounding: none}\n"
        "  cin_population: {kind: denominator, path: pop.csv, value: population}\n"
        "measures:\n  - id: m\n    select:\n"
        "      deaths: {value: number, rate: {per: 100000, denominator: cin_population}}\n"
    )
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "denominator cin_population gives population during 2021-22, which does not fit deaths's count for m of 2022" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("identifier", ["Reporting year", "Calendar year"])
def test_a_single_year_not_declared_is_refused_saying_what_to_write(identifier: str) -> None:
    """`2022,Reporting year` was silently taken as mid-2022 for 2021-22 deaths: it may be either, so the source says."""
    with pytest.raises(InputError) as raised:
        denominator_rows(_raw(("2022", identifier, "11761656")), _options())
    message = raised.value.one_line()
    assert message.startswith("pop.csv:line 2: denominator cin_population: time_period '2022'")
    assert "mid-year estimate (30 June 2022)" in message and "`mid_year: true` or `mid_year: false`" in message
    assert ("population of 2021-22" if identifier == "Reporting year" else "population of 2022") in message


def test_declared_single_years_are_read_as_declared() -> None:
    estimates = denominator_rows(_raw(("2021", "Reporting year", "11700000"), ("2022", "Reporting year", "11761656")), _options(True))
    found = population_for(estimates, financial_year(2022), "England")  # April 2021 - March 2022 holds 30 June 2021
    assert found is not None and (found.value, found.period, found.label) == (11700000, "mid-2021", "mid-2021 estimate")
    year = denominator_rows(_raw(("2022", "Reporting year", "400000")), _options(False))
    assert year["_period"].tolist() == [financial_year(2022)]  # DfE's reporting year 2022 is 2021-22
    calendar = denominator_rows(_raw(("2022", "Calendar year", "400000")), _options(False))
    assert calendar["_period"].tolist() == [calendar_year(2022)]


def test_a_two_year_period_declared_mid_year_says_what_to_write() -> None:
    with pytest.raises(InputError, match=r"time_period '202122' is not the year of a mid-year estimate .*drop `mid_year: true`"):
        denominator_rows(_raw(("202122", "Financial year", "388490")), _options(True))


def test_mid_year_is_a_denominator_key_true_for_the_shipped_ons_table(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "sources:\n  ons: {kind: denominator, path: 'triangulate:ons_population_0_17_2012_2024.csv', value: population_estimate}\n"
        "  mine: {kind: denominator, path: pop.csv, value: population}\n"
        "  declared: {kind: denominator, path: pop.csv, value: population, mid_year: true}\n"
    )
    (tmp_path / "pop.csv").write_text(",".join(HEAD) + "\n")
    found = {d.name: d.mid_year for d in load_config(config).denominators}
    assert found == {"ons": True, "mine": None, "declared": True}
    config.write_text("sources:\n  pop: {kind: denominator, path: pop.csv, value: population, mid_year: sometimes}\n")
    with pytest.raises(ConfigError, match="mid_year"):
        load_config(config)
