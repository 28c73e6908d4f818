"""Series bands in a run (issue 25, part 1): each source's latest period at each place against a band from the same
series' past, in results.json `anomalies`; they inform and never change the gate. The statistics themselves are
tested in tests/test_bands.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import one_error_line, run_cli

HEADER = "time_period,time_identifier,geographic_level,region_code,region_name,old_la_code,new_la_code,la_name,measure,number\n"
YEARS = range(2018, 2025)  # six past years and the latest


def _rows(national: list[str], camden: list[str], hackney: list[str]) -> str:
    rows = [HEADER]
    for n, year in enumerate(YEARS):
        rows.append(f"{year},Reporting year,National,,,,,,Deaths,{national[n]}\n")
        rows.append(f"{year},Reporting year,Local authority,E13000001,Inner London,202,E09000007,Camden,Deaths,{camden[n]}\n")
        if hackney[n]:
            rows.append(f"{year},Reporting year,Local authority,E13000001,Inner London,204,E09000012,Hackney,Deaths,{hackney[n]}\n")
    return "".join(rows)


def _run(tmp_path: Path, table: str, anomaly: str = "", rounding: str = "none") -> tuple[int, dict[str, Any], str]:
    (tmp_path / "deaths.csv").write_text(table)
    (tmp_path / "run.yaml").write_text(
        f"sources:\n  dfe: {{kind: published, path: deaths.csv, rounding: {rounding}}}\n"
        "geographies: [england, local_authority]\n"
        "measures:\n  - id: deaths\n    select:\n      dfe: {filter: {measure: \"Deaths\"}}\n" + anomaly
    )
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--json", str(tmp_path / "r.json"))
    assert "Traceback" not in result.stderr and result.returncode in (0, 1, 2), result.stderr
    document = json.loads((tmp_path / "r.json").read_text()) if (tmp_path / "r.json").exists() else {}
    return result.returncode, document, result.stdout + result.stderr


def _by_place(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["geography"]: a for a in document["anomalies"]}


def test_the_worked_example_is_inside_and_a_jump_above(tmp_path: Path) -> None:
    """England 50, 50, 60, 40, 60 (and 52 the year before); a band at 0.95 of about 34 to 70 holds 60, not 80."""
    past = ["52", "50", "50", "60", "40", "60"]
    code, document, _ = _run(tmp_path, _rows([*past, "60"], ["10"] * 7, [""] * 5 + ["3", "4"]), "    anomaly: {level: 0.95}\n")
    assert code == 0  # bands inform: the gate is unchanged
    england = _by_place(document)["England"]
    assert england["status"] == "inside" and england["points"] == 6 and england["period_label"]
    low, high = england["band"]
    assert 30 < low < 40 and 65 < high < 75 and low <= england["expected"] <= high
    _, jumped, _ = _run(tmp_path, _rows([*past, "80"], ["10"] * 7, [""] * 7), "    anomaly: {level: 0.95}\n")
    assert _by_place(jumped)["England"]["status"] == "above"


def test_an_la_that_triples_is_above_one_with_two_past_points_has_not_enough_history(tmp_path: Path) -> None:
    _, document, _ = _run(tmp_path, _rows(["50"] * 7, ["10", "12", "9", "11", "10", "11", "34"], [""] * 4 + ["3", "4", "5"]))
    places = _by_place(document)
    assert places["E09000007"]["status"] == "above" and places["E09000007"]["level"] == 0.998
    assert places["E09000012"]["status"] == "not_enough_history" and places["E09000012"]["band"] is None
    assert places["England"]["status"] == "inside"


def test_a_rounded_point_whose_interval_straddles_the_band_is_not_flagged(tmp_path: Path) -> None:
    """Rounded to 10, a published 70 is 65 to 74: it reaches into the band, so it is not flagged, where an exact 75 is."""
    past = ["52", "50", "50", "60", "40", "60"]
    _, exact, _ = _run(tmp_path, _rows([*past, "75"], ["10"] * 7, [""] * 7), "    anomaly: {level: 0.95}\n")
    assert _by_place(exact)["England"]["status"] == "above"
    rounding = "{national: 10, local authority: 1}"
    _, rounded, _ = _run(tmp_path, _rows([*past, "70"], ["10"] * 7, [""] * 7), "    anomaly: {level: 0.95}\n", rounding)
    england = _by_place(rounded)["England"]
    assert england["value"][0] < england["band"][1] < england["value"][1] and england["status"] == "inside"


def test_anomaly_off_gives_none_and_gate_true_blocks_where_false_warns(tmp_path: Path) -> None:
    """Camden triples (10 a year, then 34): without the gate a warning finding and exit 0; with it, exit 1 and its key
    among `blocking`; `anomaly: off`, no anomaly at all."""
    table = _rows(["50"] * 7, ["10", "12", "9", "11", "10", "11", "34"], [""] * 7)
    code, document, _ = _run(tmp_path, table, "    anomaly: off\n")
    assert code == 0 and document["anomalies"] == [] and document["blocking"] == []
    key = "anomaly/deaths/2023-24/E09000007/dfe"  # the reporting year 2024 is 2023-24
    code, document, output = _run(tmp_path, table, "    anomaly: {gate: true}\n")
    camden = _by_place(document)["E09000007"]
    assert code == 1 and document["passed"] is False and document["blocking"] == [key]
    assert camden["key"] == key and camden["status"] == "above" and camden["severity"] == "error"
    assert "UNUSUAL, BLOCKS Camden (E09000007)" in output and "FAIL" in output
    code, document, output = _run(tmp_path, table, "    anomaly: {gate: false}\n")
    camden = _by_place(document)["E09000007"]
    assert code == 0 and document["passed"] is True and document["blocking"] == []
    assert camden["key"] == key and camden["severity"] == "warning" and camden["evidence"]["value"] == 34
    assert "severity" not in _by_place(document)["England"] and "evidence" not in _by_place(document)["England"]  # inside: no finding


@pytest.mark.parametrize("setting", ["{level: 1.5}", "{min_points: 1}", "{sensitivity: 3}", "sometimes"])
def test_bad_anomaly_settings_are_one_line(tmp_path: Path, setting: str) -> None:
    (tmp_path / "deaths.csv").write_text(_rows(["50"] * 7, ["10"] * 7, [""] * 7))
    (tmp_path / "run.yaml").write_text(
        "sources:\n  dfe: {kind: published, path: deaths.csv, rounding: none}\n"
        "measures:\n  - id: deaths\n    select:\n      dfe: {filter: {measure: \"Deaths\"}}\n" f"    anomaly: {setting}\n"
    )
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 2 and "anomaly" in one_error_line(result)
    assert not (tmp_path / "r.json").exists()


def test_the_console_and_markdown_name_what_is_unusual_and_publish_withholds_an_las_band(tmp_path: Path) -> None:
    table = _rows(["50"] * 7, ["10", "12", "9", "11", "10", "11", "34"], [""] * 7)
    _, _, output = _run(tmp_path, table)
    assert "UNUSUAL E09000007" in output or "UNUSUAL Camden (E09000007), deaths" in output
    line = next(x for x in output.splitlines() if "UNUSUAL" in x)
    assert ": 34, above " in line and "expected from 6 past periods (99.8% band)" in line
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--summary-md", str(tmp_path / "s.md"),
                     "--json", str(tmp_path / "p.json"), "--publish")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "### Unusual against their own past" in (tmp_path / "s.md").read_text()
    camden = _by_place(json.loads((tmp_path / "p.json").read_text()))["E09000007"]
    assert camden["status"] == "above" and camden["band"] == ["c", "c"] and camden["expected"] == "c"
    assert "above its band" in next(x for x in result.stdout.splitlines() if "UNUSUAL" in x)


# --- funnels ----------------------------------------------------------------------------------------------------------


def write_funnel_release(tmp_path: Path, setting: str = "    funnel: {}\n", small_first: bool = False) -> Path:
    """Deaths and populations of 40 London and metropolitan LAs in 2023-24, about 50 per 100,000; Camden at three
    times; the first LA 3 if asked. Returns the run config."""
    from triangulate.domain.geography import la_field

    codes = sorted(code for code in la_field("la_name") if code.startswith("E09"))[:25]
    codes += sorted(code for code in la_field("la_name") if code.startswith("E08"))[:15]
    assert "E09000007" in codes
    deaths = ["time_period,time_identifier,geographic_level,country_code,country_name,new_la_code,la_name,measure,number\n"]
    people = ["time_period,time_identifier,geographic_level,country_code,country_name,new_la_code,la_name,population\n"]
    for n, code in enumerate(codes):
        population = 60_000 + 2_000 * n
        expected = population * 50 / 100_000
        count = round(expected * 3) if code == "E09000007" else round(expected + (n % 5 - 2) * 0.6)
        count = 3 if small_first and n == 0 else count
        deaths.append(f"202324,Financial year,Local authority,E92000001,England,{code},LA {n},Deaths,{count}\n")
        people.append(f"202324,Financial year,Local authority,E92000001,England,{code},LA {n},{population}\n")
    (tmp_path / "deaths.csv").write_text("".join(deaths))
    (tmp_path / "pop.csv").write_text("".join(people))
    (tmp_path / "run.yaml").write_text(
        "sources:\n  dfe: {kind: published, path: deaths.csv, rounding: none}\n"
        "  children: {kind: denominator, path: pop.csv, value: population}\n"
        "geographies: [england, local_authority]\n"
        "measures:\n  - id: deaths\n    select:\n"
        "      dfe: {filter: {measure: \"Deaths\"}, value: number, rate: {per: 100000, denominator: children}}\n" + setting
    )
    return tmp_path / "run.yaml"


def _funnel_run(tmp_path: Path, setting: str = "    funnel: {}\n", publish: bool = False, small_first: bool = False) -> tuple[int, dict[str, Any]]:
    write_funnel_release(tmp_path, setting, small_first)
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--json", str(tmp_path / "f.json"),
                     *(["--publish"] if publish else []))  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads((tmp_path / "f.json").read_text()) if (tmp_path / "f.json").exists() else {}


def test_an_la_at_three_times_its_rate_is_outside_the_998_funnel(tmp_path: Path) -> None:
    code, document = _funnel_run(tmp_path)
    assert code == 0  # funnels inform
    rows = {row["geography"]: row for row in document["funnels"]}
    assert len(rows) == 40 and rows["E09000007"]["outside"] == "0.998"
    assert sum(1 for row in rows.values() if row["outside"] == "0.998") == 1
    camden = rows["E09000007"]
    assert set(camden["limits"]) == {"0.95", "0.998"} and camden["limits"]["0.998"][1] < camden["rate"]
    assert camden["measure"] == "deaths" and camden["source"] == "dfe" and "Poisson" in camden["method"]


def test_no_funnel_unless_asked_and_bad_levels_refused(tmp_path: Path) -> None:
    assert _funnel_run(tmp_path, "")[1]["funnels"] == []
    (tmp_path / "f.json").unlink()
    code, document = _funnel_run(tmp_path, "    funnel: {levels: [1.2]}\n")
    assert code == 2 and document == {}


def test_a_published_funnel_withholds_a_small_las_count_and_where_it_falls(tmp_path: Path) -> None:
    _, plain = _funnel_run(tmp_path, small_first=True)
    first = next(row for row in plain["funnels"] if row["count"] == 3)
    assert first["outside"] is not None  # 3 where about 30 are expected: below the limits
    _, document = _funnel_run(tmp_path, publish=True, small_first=True)
    rows = {row["geography"]: row for row in document["funnels"]}
    assert (rows[first["geography"]]["count"], rows[first["geography"]]["rate"], rows[first["geography"]]["outside"]) == ("c", "c", "c")
    assert rows["E09000007"]["outside"] == "0.998" and rows["E09000007"]["count"] == 108


def test_the_reports_first_page_names_an_unusual_series(tmp_path: Path) -> None:
    _run(tmp_path, _rows(["50"] * 7, ["10", "12", "9", "11", "10", "11", "34"], [""] * 7))
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--html", str(tmp_path / "r.html"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r.html").read_text()
    assert "Unusual against their own past: Camden (E09000007), deaths" in page and "A real change in practice looks the same" in page


def test_an_la_whose_return_misses_deaths_stands_out_in_the_ratio_funnel(tmp_path: Path) -> None:
    """Two sources' counts per LA: about equal everywhere, but one LA's second source has a sixth of the first's."""
    from triangulate.domain.geography import la_field

    codes = sorted(code for code in la_field("la_name") if code.startswith("E09"))[:30]
    header = "time_period,time_identifier,geographic_level,country_code,country_name,new_la_code,la_name,measure,number\n"
    left, right = [header], [header]
    for n, code in enumerate(codes):
        count = 60 if code == "E09000007" else 20 + n % 7
        short = 10 if code == "E09000007" else count - (n % 3 == 0)
        left.append(f"202324,Financial year,Local authority,E92000001,England,{code},LA {n},Deaths,{count}\n")
        right.append(f"202324,Financial year,Local authority,E92000001,England,{code},LA {n},Deaths,{short}\n")
    (tmp_path / "ncmd.csv").write_text("".join(left))
    (tmp_path / "return.csv").write_text("".join(right))
    (tmp_path / "run.yaml").write_text(
        "sources:\n  ncmd: {kind: published, path: ncmd.csv, rounding: none}\n"
        "  cla: {kind: published, path: return.csv, rounding: none}\n"
        "geographies: [england, local_authority]\n"
        "measures:\n  - id: deaths\n    select:\n      ncmd: {filter: {measure: Deaths}}\n      cla: {filter: {measure: Deaths}}\n"
        "    compare: [{left: ncmd, right: cla, relation: '>=', tolerance: {abs: 100}}]\n    funnel: {}\n"
    )
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--json", str(tmp_path / "r.json"))
    assert "Traceback" not in result.stderr
    rows = {row["geography"]: row for row in json.loads((tmp_path / "r.json").read_text())["funnels"] if row["source"] == "ncmd / cla"}
    assert len(rows) == 30 and rows["E09000007"]["outside"] == "0.998"
    assert [g for g, row in rows.items() if row["outside"] == "0.998"] == ["E09000007"]
    assert "binomial" in rows["E09000007"]["method"]


def test_publish_never_says_a_withheld_figure_is_above_its_band(tmp_path: Path) -> None:
    """Six years of no deaths, then 4: above a band of 0 to 3, which would make a `c` a 4 or a 5."""
    table = _rows(["50"] * 7, ["0"] * 6 + ["4"], [""] * 7)
    _, plain, _ = _run(tmp_path, table)
    assert _by_place(plain)["E09000007"]["status"] == "above"
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--json", str(tmp_path / "p.json"), "--publish")
    camden = _by_place(json.loads((tmp_path / "p.json").read_text()))["E09000007"]
    assert camden["value"] == ["c", "c"] and camden["status"] == "c" and camden["band"] == ["c", "c"]
    assert "UNUSUAL" not in result.stdout


def test_funnel_levels_that_name_one_level_twice_are_refused(tmp_path: Path) -> None:
    code, document = _funnel_run(tmp_path, "    funnel: {levels: [0.95, 0.9500001]}\n")
    assert code == 2 and document == {}


def test_funnel_off_is_no_funnel_as_anomaly_off_is_no_band(tmp_path: Path) -> None:
    code, document, output = _run(tmp_path, _rows(["50"] * 7, ["10"] * 7, [""] * 7), "    funnel: off\n")
    assert code == 0 and document["funnels"] == [], output
