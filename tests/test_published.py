"""Faithful numbers and an honest gate: declared rounding, strict cells, coherence, rates, empty comparisons."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from .conftest import DATA, run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "published"
CLA_RATES = DATA / "dfe_cla_number_and_rate_per_10k_2021_2025.csv"  # real DfE EES file, 2025 release
DFE_ROUNDING = "{national: 10, regional: 10, local authority: 1}"
RATES = "[{rate: rate_per_10000, count: children_count, denominator: population_estimate, per: 10000}]"
ON_31_MARCH = "Children looked after on 31 March each year"


def _cla_config(tmp_path: Path, csv_name: str = "cla.csv", extra: str = "") -> Path:
    config = tmp_path / "run.yaml"
    config.write_text(
        f"sources:\n  cla: {{kind: published, path: {csv_name}, rounding: {DFE_ROUNDING}, rates: {RATES}}}\n{extra}"
        "measures:\n  - id: cla_31_march\n    select:\n"
        f'      cla: {{filter: {{population_type: "{ON_31_MARCH}"}}, value: children_count}}\n'
    )
    return config


def _tampered(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the real file with `change(row, header)` applied to every row; returns the copy's path."""
    with CLA_RATES.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for row in rows[1:]:
        change(row, header)
    target = tmp_path / "cla.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return target


def _cell(row: list[str], header: list[str], name: str) -> int:
    return header.index(name)


def test_the_real_dfe_file_gives_no_finding_for_cells_rounding_rates_or_coherence(tmp_path: Path) -> None:
    shutil.copy(CLA_RATES, tmp_path / "cla.csv")
    result = run_cli("reconcile", "--config", str(_cla_config(tmp_path)), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    checks = {c["id"]: c for c in document["sources"][0]["checks"]}
    assert {c["status"] for c in checks.values()} == {"passed"}
    assert set(checks) == {"published.unreadable", "published.rounding", "published.rate_inconsistent", "published.incoherent",
                           "published.duplicate"}
    # London, Inner London and Outer London are all regional rows: the nine regions still sum to England.
    regional = [c for c in document["coherence"] if c["parts"] == "regional"]
    assert {c["geography"] for c in regional} == {"England", "London"} and len(regional) == 10
    assert all(c["coherent"] for c in document["coherence"]) and len(document["coherence"]) == 5 * 13  # 5 years: England twice, London, 10 regions of LAs
    england_2023 = next(c for c in regional if c["geography"] == "England" and c["period"].startswith("2022-04-01"))
    assert england_2023["total"] == [83745, 83754]  # 83,750 at 31 March 2023 in this release and england_2023["sum_of_parts"][1] is not None


def test_a_tampered_national_total_fails_the_gate_with_a_console_line_and_a_junit_case(tmp_path: Path) -> None:
    def tamper(row: list[str], header: list[str]) -> None:
        if row[0] == "2025" and row[2] == "National" and row[header.index("population_type")] == ON_31_MARCH:
            row[header.index("children_count")] = "10"

    _tampered(tmp_path, tamper)
    result = run_cli("reconcile", "--config", str(_cla_config(tmp_path)), "--junit", str(tmp_path / "j.xml"),
                     "--json", str(tmp_path / "r.json"))  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "published.incoherent" in result.stdout
    assert "cla.csv:3: cla_31_march: England 2024-25 is 5 to 14, its 9 regional parts sum to 81725 to 81806" in result.stdout
    junit = (tmp_path / "j.xml").read_text()
    assert junit.count('name="published.incoherent cla.csv:3: cla_31_march: England 2024-25 is 5 to 14') == 2  # regions, LAs
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["passed"] is False and document["summary"]["incoherent_aggregates"] == 2


def test_an_unreadable_cell_is_a_failure_at_its_line_never_not_available(tmp_path: Path) -> None:
    def tamper(row: list[str], header: list[str]) -> None:
        if row[0] == "2023" and row[header.index("new_la_code")] == "E06000002" and ON_31_MARCH in row:
            row[header.index("children_count")] = "12a"

    path = _tampered(tmp_path, tamper)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if ",12a," in text)
    result = run_cli("check", "--source", "published", str(path), "--config", str(_cla_config(tmp_path)),
                     "--json", str(tmp_path / "c.json"))  # fmt: skip
    assert result.returncode == 1, result.stderr
    check = next(c for c in json.loads((tmp_path / "c.json").read_text())["checks"] if c["id"] == "published.unreadable")
    assert check["status"] == "failed" and check["locations"] == [f"cla.csv:{line}"]
    assert check["record_ids"] == ["children_count: '12a'"]
    assert f"cla.csv:{line}: children_count: '12a'" in result.stdout


def test_a_tampered_rate_is_caught_at_its_line(tmp_path: Path) -> None:
    def tamper(row: list[str], header: list[str]) -> None:
        if row[0] == "2024" and row[header.index("new_la_code")] == "E06000001" and ON_31_MARCH in row:
            row[header.index("rate_per_10000")] = str(int(row[header.index("rate_per_10000")]) + 6)

    path = _tampered(tmp_path, tamper)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1)
                if text.startswith("2024,") and "E06000001" in text and ON_31_MARCH in text)  # fmt: skip
    result = run_cli("check", "--source", "published", str(path), "--config", str(_cla_config(tmp_path)),
                     "--json", str(tmp_path / "c.json"))  # fmt: skip
    assert result.returncode == 1
    check = next(c for c in json.loads((tmp_path / "c.json").read_text())["checks"] if c["id"] == "published.rate_inconsistent")
    assert check["locations"] == [f"cla.csv:{line}"]


def test_rates_reproduce_dfe_rates_per_10000_to_the_cell_from_the_ons_estimates(tmp_path: Path) -> None:
    """The project's own rate (count / ONS mid-year estimate) gives every published LA rate of 2023-24."""
    shutil.copy(CLA_RATES, tmp_path / "cla.csv")
    config = tmp_path / "run.yaml"
    config.write_text(
        f"sources:\n  cla: {{kind: published, path: cla.csv, rounding: {DFE_ROUNDING}}}\n"
        "  ons: {kind: denominator, path: 'triangulate:ons_population_0_17_2012_2024.csv', value: population_estimate}\n"
        "geographies: [england, local_authority]\n"
        "measures:\n  - id: cla\n    select:\n"
        f'      cla: {{filter: {{population_type: "{ON_31_MARCH}"}}, value: children_count, rate: {{per: 10000, denominator: ons}}}}\n'
    )
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    rates = {(r["period"], r["geography"]): r for r in json.loads((tmp_path / "r.json").read_text())["rates"]}
    with CLA_RATES.open(encoding="utf-8-sig") as handle:
        published = [r for r in csv.DictReader(handle)
                     if r["time_period"] == "2024" and r["population_type"] == ON_31_MARCH and r["geographic_level"] == "Local authority"]  # fmt: skip
    checked = 0
    for row in published:
        ours = rates.get(("2023-04-01/2024-03-31", row["new_la_code"]))
        if ours is None or not row["rate_per_10000"].isdigit():
            continue
        assert ours["denominator_period"] == "mid-2023"
        low, high = ours["rate"]
        assert round(low - 0.5) <= int(row["rate_per_10000"]) <= round(high + 0.5)
        assert abs((low + high) / 2 - int(row["rate_per_10000"])) <= 0.5 + 1e-9, row["la_name"]
        checked += 1
    assert checked > 140


def test_rounding_must_be_declared_and_a_filter_typo_names_what_is_there(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "dfe_cla_national_ceased_2020_2024.csv", tmp_path / "dfe.csv")
    config = tmp_path / "run.yaml"
    config.write_text("sources:\n  dfe: {kind: published, path: dfe.csv}\n")
    result = run_cli("reconcile", "--config", str(config))
    assert result.returncode == 2 and "sources.dfe: a published source must declare its rounding" in result.stderr
    assert '"rounding: none"' in result.stderr and "local authority: 1" in result.stderr
    measure = "measures:\n  - id: lac\n    select:\n      dfe: {{filter: {filter}, value: number}}\n"
    source = f"sources:\n  dfe: {{kind: published, path: dfe.csv, rounding: {DFE_ROUNDING}}}\n"
    config.write_text(source + measure.format(filter='{cla_group: "Reason episode ceased", characteristic: "Deceased"}'))
    result = run_cli("reconcile", "--config", str(config))
    assert result.returncode == 2
    assert "measure 'lac' selects nothing from 'dfe': no row has characteristic 'Deceased'; its values are" in result.stderr
    assert "'Died'" in result.stderr and "Traceback" not in result.stderr
    config.write_text(source + measure.format(filter='{cla_grp: "Reason episode ceased"}'))
    result = run_cli("reconcile", "--config", str(config))
    assert result.returncode == 2 and "it has no column 'cla_grp'; its columns are" in result.stderr


def _two_published(tmp_path: Path, ncmd_rounding: str, ncmd_value: str = "25", allow: str = "") -> Path:
    (tmp_path / "ncmd.csv").write_text(
        "time_period,time_identifier,geographic_level,measure,number\n"
        f"2020,Reporting year,National,Looked after at death,{ncmd_value}\n"
    )
    (tmp_path / "dfe.csv").write_text(
        "time_period,time_identifier,geographic_level,cla_group,characteristic,number\n"
        "2020,Reporting year,National,Reason episode ceased,Died,50\n"
        "2019,Reporting year,National,Reason episode ceased,Died,40\n"
    )
    config = tmp_path / "run.yaml"
    config.write_text(
        f"sources:\n  ncmd: {{kind: published, path: ncmd.csv, rounding: {ncmd_rounding}}}\n"
        f"  dfe: {{kind: published, path: dfe.csv, rounding: {DFE_ROUNDING}}}\n"
        "measures:\n  - id: lac\n    select:\n"
        '      ncmd: {filter: {measure: "Looked after at death"}}\n'
        '      dfe: {filter: {cla_group: "Reason episode ceased", characteristic: "Died"}}\n'
        f'    compare: [{{left: ncmd, right: dfe, relation: "==", tolerance: {{abs: 2}}{allow}}}]\n'
    )
    return config


def test_exact_counts_are_compared_exactly_and_an_off_base_figure_as_written(tmp_path: Path) -> None:
    result = run_cli("reconcile", "--config", str(_two_published(tmp_path, "none")), "--json", str(tmp_path / "a.json"))
    assert result.returncode == 1
    comparison = json.loads((tmp_path / "a.json").read_text())["comparisons"][0]
    assert comparison["left_value"] == [25, 25] and comparison["right_value"] == [45, 54]
    # 25 declared as rounded to 10 is not a multiple of 10: a rounding failure, compared as exactly 25.
    result = run_cli("reconcile", "--config", str(_two_published(tmp_path, "{national: 10}")), "--json", str(tmp_path / "b.json"))
    document = json.loads((tmp_path / "b.json").read_text())
    assert document["comparisons"][0]["left_value"] == [25, 25]
    rounding = next(c for c in document["sources"][0]["checks"] if c["id"] == "published.rounding")
    assert rounding["status"] == "failed" and rounding["locations"] == ["ncmd.csv:2"]


def test_fifteen_months_of_csprp_is_152_per_12_months(tmp_path: Path) -> None:
    result = run_cli("reconcile", "--config", str(EXAMPLES / "release.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 1
    series = json.loads((tmp_path / "r.json").read_text())["series"]
    csprp = next(p for p in series if p["source"] == "csprp" and p["period"] == "2022-01-01/2023-03-31")
    assert csprp["value"] == [190, 190] and csprp["per_12_months"] == [152, 152]


def test_the_worked_example_shows_the_commissioners_rates_and_their_ratio(tmp_path: Path) -> None:
    result = run_cli("reconcile", "--config", str(EXAMPLES / "release.yaml"), "--json", str(tmp_path / "r.json"),
                     "--html", str(tmp_path / "r.html"), "--summary-md", str(tmp_path / "r.md"))  # fmt: skip
    document = json.loads((tmp_path / "r.json").read_text())
    rates = {r["source"]: r for r in document["rates"]}
    assert rates["cin_deaths"]["rate"] == [226.5, 226.5] and rates["all_deaths"]["rate"] == [31.3, 31.3]  # rounded once (issue 21)
    assert rates["cin_deaths"]["rate_ci"] == [211.8, 242.0] and rates["all_deaths"]["rate_ci"] == [30.3, 32.4]
    (contrast,) = document["contrasts"]
    assert contrast["rate_ratio"] == [7.23, 7.23] and contrast["rate_ratio_ci"] == [6.71, 7.78]
    html = (tmp_path / "r.html").read_text()
    verdict = html[html.index('id="verdict"'):html.index('id="checks"')]  # the first screen
    assert "226.5 per 100,000 (95% CI 211.8 to 242.0)" in verdict and "7.23 times the rate (95% CI 6.71 to 7.78)" in verdict
    assert "7.23" in (tmp_path / "r.md").read_text()
    assert "RATE RATIO mortality_rate 2022 England: cin_deaths / all_deaths = 7.23" in result.stdout


def test_a_comparison_that_compares_nothing_fails_unless_allowed(tmp_path: Path) -> None:
    config = _two_published(tmp_path, "none")
    config.write_text(config.read_text().replace("2020,Reporting year,National,Looked after", "2021,Reporting year,National,Looked after"))
    (tmp_path / "ncmd.csv").write_text((tmp_path / "ncmd.csv").read_text().replace("2020,", "2022,"))
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stdout
    assert "EMPTY lac: ncmd with dfe compared nothing: no period in common: ncmd counts 2021-22; dfe counts" in result.stdout
    assert json.loads((tmp_path / "r.json").read_text())["passed"] is False
    config.write_text(config.read_text().replace("tolerance: {abs: 2}", "tolerance: {abs: 2}, allow_empty: true"))
    result = run_cli("reconcile", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "EMPTY (allowed)" in result.stdout


@pytest.mark.parametrize("options", [("--reference-date", "2024-03-31"), ()])
def test_a_check_that_cannot_run_is_not_run_never_passed(synthetic: Path, tmp_path: Path, options: tuple[str, ...]) -> None:
    files = [str(synthetic / "ssda903" / "header.csv"), str(synthetic / "ssda903" / "episodes.csv")]
    result = run_cli("check", "--source", "ssda903", *files, *options, "--json", str(tmp_path / "c.json"), "--html", str(tmp_path / "c.html"))
    check = next(c for c in json.loads((tmp_path / "c.json").read_text())["checks"] if c["id"] == "death.after_reference_date")
    if options:
        assert check["status"] in ("passed", "failed")
        return
    assert check["status"] == "not_run" and "no reference date" in check["reason"]
    assert "NOT RUN" in result.stdout and "death.after_reference_date" in result.stdout
    assert "Not run" in (tmp_path / "c.html").read_text()


def test_shares_use_deaths_for_death_level_checks_and_records_otherwise(synthetic: Path, tmp_path: Path) -> None:
    result = run_cli("check", "--source", "ncmd", str(synthetic / "ncmd" / "ncmd_deaths.csv"),
                     "--reference-date", "2023-03-31", "--html", str(tmp_path / "c.html"))  # fmt: skip
    assert result.returncode == 1
    html = (tmp_path / "c.html").read_text()
    assert "% of deaths" in html and "% of records" in html
