"""Issue 26: every revised cell has a kind, the gate counts only substantive revisions beyond their indicator's
tolerance, and an LA under a new code is one row. Small DfE-shaped vintages: 2 periods, England, a region, 3 LAs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from triangulate.config.revisions import RevisionsConfig, load_revisions_config
from triangulate.errors import ConfigError
from triangulate.model.revisions import REVISION_KINDS, Revisions
from triangulate.pipeline.revisions import run_revisions

from .conftest import run_cli

HEAD = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,"
        "new_la_code,la_name,number,rate_per_10000,population_estimate")  # fmt: skip
PLACES = {  # level, region code, region name, DfE code, ONS code, name
    "England": ("National", "", "", "", "", ""),
    "North East": ("Regional", "E12000001", "North East", "", "", ""),
    "Hartlepool": ("Local authority", "E12000001", "North East", "805", "E06000001", "Hartlepool"),
    "Middlesbrough": ("Local authority", "E12000001", "North East", "806", "E06000002", "Middlesbrough"),
    "Buckinghamshire": ("Local authority", "E12000008", "South East", "825", "E10000002", "Buckinghamshire"),
}
FIGURES = {  # number, rate_per_10000, population_estimate: the same in 2022 and 2023 unless a test changes them
    "England": {"number": "83840", "rate_per_10000": "70.0", "population_estimate": "11977000"},
    "North East": {"number": "5000", "rate_per_10000": "90.1", "population_estimate": "555000"},
    "Hartlepool": {"number": "300", "rate_per_10000": "150.0", "population_estimate": "20000"},
    "Middlesbrough": {"number": "0", "rate_per_10000": "0.0", "population_estimate": "35000"},
    "Buckinghamshire": {"number": "500", "rate_per_10000": "45.5", "population_estimate": "110000"},
}
OTHER_LA = {"number": "100", "rate_per_10000": "50.0", "population_estimate": "20000"}
ROUNDED = "rounding: {national: 10, regional: 10, local authority: 1}\n"
BUCKS_NEW = {"Buckinghamshire": "E06000060"}  # the 2020 unitary: a new ONS code, the same DfE code 825


def _vintage(path: Path, changes: dict[tuple[str, str], dict[str, str]] | None = None, codes: dict[str, str] | None = None,
             drop: tuple[str, ...] = (), places: dict[str, tuple[str, ...]] | None = None) -> Path:  # fmt: skip
    """One vintage: `changes[(place, period)]` overrides figures, `codes` gives places a new ONS code, `drop` columns."""
    columns = [c for c in HEAD.split(",") if c not in drop]
    lines = [",".join(columns)]
    for period in ("2022", "2023"):
        for place, (level, region, region_name, dfe, ons, name) in (places or PLACES).items():
            figures = {**FIGURES.get(place, OTHER_LA), **(changes or {}).get((place, period), {})}
            row = {"time_period": period, "time_identifier": "Reporting year", "geographic_level": level, "country_code": "E92000001",
                   "country_name": "England", "region_code": region, "region_name": region_name, "old_la_code": dfe,
                   "new_la_code": (codes or {}).get(place, ons), "la_name": name, **figures}  # fmt: skip
            lines.append(",".join(row[c] for c in columns))
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(tmp_path: Path, old: dict | None = None, new: dict | None = None, config: str = ROUNDED, **new_options: object) -> Revisions:  # type: ignore[type-arg]
    (tmp_path / "rev.yaml").write_text(config)
    old_path = _vintage(tmp_path / "old.csv", old, drop=new_options.get("drop", ()))  # type: ignore[arg-type]
    new_path = _vintage(tmp_path / "new.csv", new, **new_options)  # type: ignore[arg-type]
    return run_revisions([old_path, new_path], load_revisions_config(tmp_path / "rev.yaml"))


def _cell(found: Revisions, place_code: str, indicator: str, period: str = "2023"):  # type: ignore[no-untyped-def]
    """The changed cell of a place (its ONS code, or a region's code, or '' for England)."""
    matches = [c for c in found.cells if c.indicator == indicator and c.key["time_period"] == period
               and (c.key.get("new_la_code") or c.key.get("region_code") or "") == place_code]  # fmt: skip
    assert len(matches) == 1, [c.to_dict() for c in found.cells]
    return matches[0]


def test_a_national_figure_revised_within_its_rounding_is_not_substantive(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("England", "2023"): {"number": "83850"}})
    cell = _cell(found, "", "number")
    # 83,840 and 83,850 rounded to 10 stand for 83,835-83,845 and 83,845-83,855: the true figure may have moved by 1.
    assert (cell.kind, cell.transition, cell.column_kind, cell.change) == ("within_rounding", "revised", "count", 10)
    assert cell.beyond_tolerance  # beyond the exact tolerance, but not substantive: the gate passes
    assert found.passed and found.kind_counts() == {**dict.fromkeys(REVISION_KINDS, 0), "within_rounding": 1}


def test_a_national_figure_revised_beyond_its_rounding_is_substantive_and_fails(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("England", "2023"): {"number": "83760"}})
    cell = _cell(found, "", "number")
    assert (cell.kind, cell.change, cell.old_interval, cell.new_interval) == ("substantive", -80, (83835, 83844), (83755, 83764))
    assert not found.passed and found.failing == (cell,)
    # An LA's figure is not rounded: 300 -> 301 is substantive, not within rounding.
    found = _run(tmp_path, new={("Hartlepool", "2023"): {"number": "301", "rate_per_10000": "150.5"}})
    assert _cell(found, "E06000001", "number").kind == "substantive" and not found.passed


def test_zero_to_c_in_a_death_count_is_substantive_and_fails_the_gate(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("Middlesbrough", "2023"): {"number": "c", "rate_per_10000": "c"}})
    count, rate = _cell(found, "E06000002", "number"), _cell(found, "E06000002", "rate_per_10000")
    assert (count.kind, count.transition, count.column_kind) == ("substantive", "suppressed", "count")  # none became some
    assert (rate.kind, rate.transition, rate.column_kind) == ("suppression", "suppressed", "rate")  # a rate hidden: not a count
    assert not found.passed and found.failing == (count,)
    # ... and c -> 0 the other way.
    found = _run(tmp_path, old={("Middlesbrough", "2022"): {"number": "c"}})
    assert _cell(found, "E06000002", "number", "2022").kind == "substantive" and not found.passed


def test_five_to_c_and_back_is_suppression_and_passes(tmp_path: Path) -> None:
    found = _run(tmp_path, old={("Middlesbrough", "2022"): {"number": "5"}, ("Middlesbrough", "2023"): {"number": "c"}},
                 new={("Middlesbrough", "2022"): {"number": "c"}, ("Middlesbrough", "2023"): {"number": "4"}})  # fmt: skip
    assert [(c.kind, c.transition) for c in sorted(found.cells, key=lambda c: c.key["time_period"])] == [
        ("suppression", "suppressed"), ("suppression", "unsuppressed")]  # fmt: skip
    assert all(c.beyond_tolerance for c in found.cells) and found.passed  # beyond tolerance, but no substantive one
    found = _run(tmp_path, new={("North East", "2023"): {"rate_per_10000": "z"}})
    assert (_cell(found, "E12000001", "rate_per_10000").kind, _cell(found, "E12000001", "rate_per_10000").transition) == (
        "suppression", "suppressed")  # fmt: skip


def test_a_rate_moved_only_by_its_denominator_is_split_into_its_effects(tmp_path: Path) -> None:
    found = _run(tmp_path, new={
        ("Hartlepool", "2023"): {"population_estimate": "20100", "rate_per_10000": "149.3"},  # 300 / 20,100 x 10,000
        ("Hartlepool", "2022"): {"number": "310", "population_estimate": "20100", "rate_per_10000": "154.2"},  # 310 / 20,100
    }, config=ROUNDED + "tolerance: {denominators: {rel: 0.01}}\n")  # fmt: skip
    rate = _cell(found, "E06000001", "rate_per_10000")
    assert (rate.kind, rate.column_kind) == ("denominator_only", "rate")
    assert rate.effects == {"numerator": 0.0, "denominator": pytest.approx(-0.7)}  # 149.3 - 150.0, all the denominator's
    # The count moved too in 2022: substantive, split by hand: (310 - 300) / 20,000 x 10,000 = +5.0 from the count,
    # and 4.2 - 5.0 = -0.8 from the population (the rest).
    both = _cell(found, "E06000001", "rate_per_10000", "2022")
    assert both.kind == "substantive" and both.effects is not None
    assert both.effects["numerator"] == pytest.approx(5.0) and both.effects["denominator"] == pytest.approx(-0.8)
    assert both.effects["numerator"] + both.effects["denominator"] == pytest.approx(both.change)
    population = _cell(found, "E06000001", "population_estimate")
    assert (population.kind, population.column_kind, population.beyond_tolerance) == ("substantive", "denominator", False)
    assert _cell(found, "E06000001", "number", "2022").to_dict()["effects"] is None  # only a rate is split
    # The gate: the count revised 300 -> 310 is beyond the counts' (exact) tolerance; the rest is not.
    assert [(c.indicator, c.key["time_period"]) for c in found.failing] == [("number", "2022"), ("rate_per_10000", "2022")]


def test_a_rate_moved_with_its_denominator_where_the_file_has_no_count(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("Hartlepool", "2023"): {"population_estimate": "20100", "rate_per_10000": "149.3"}},
                 drop=("number",), config=ROUNDED + "tolerance: {population_estimate: {rel: 0.01}}\n")  # fmt: skip
    rate = _cell(found, "E06000001", "rate_per_10000")
    assert rate.kind == "denominator_only" and rate.effects is None  # no count to split by
    assert found.passed  # the population within its own 1%, the rate only moved by it
    # Without a denominator in the file, a rate that moved is substantive.
    found = _run(tmp_path, new={("Hartlepool", "2023"): {"rate_per_10000": "149.3"}}, drop=("number", "population_estimate"))
    assert _cell(found, "E06000001", "rate_per_10000").kind == "substantive" and not found.passed


def test_an_la_under_a_new_code_is_one_row_compared_across_the_codes(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("Buckinghamshire", "2023"): {"number": "502", "rate_per_10000": "45.6"}}, codes=BUCKS_NEW)
    assert found.rows_added == () and found.rows_removed == ()
    assert [(b.old_code, b.new_code, b.la_name, b.period) for b in found.boundary] == [
        ("E10000002", "E06000060", "Buckinghamshire", "2022"), ("E10000002", "E06000060", "Buckinghamshire", "2023")]  # fmt: skip
    assert found.boundary[0].key["new_la_code"] == "E06000060" and found.boundary[0].key["old_la_code"] == "825"
    cells = {(c.indicator, c.key["time_period"]): c for c in found.cells}
    assert set(cells) == {("number", "2023"), ("rate_per_10000", "2023")}  # 2022's figures are the same across the codes
    # Issue 26 fix: a count moved beyond its rounding keeps its own kind under a new code; the rest of the pair is boundary.
    assert {k: c.kind for k, c in cells.items()} == {("number", "2023"): "substantive", ("rate_per_10000", "2023"): "boundary"}
    assert cells[("number", "2023")].key["new_la_code"] == "E06000060"
    assert not found.passed  # no removal, but 500 -> 502 in an unrounded count is substantive
    assert found.to_dict()["boundary"][0] == {"old_code": "E10000002", "new_code": "E06000060", "la_name": "Buckinghamshire",
                                              "period": "2022", "key": dict(found.boundary[0].key)}  # fmt: skip
    assert not any("boundary change" in note for note in found.notes)


def test_an_la_under_a_new_code_is_matched_by_name_where_the_file_has_no_dfe_code(tmp_path: Path) -> None:
    # E10000002 is not on the shipped LA list (E06000060 is, as 825): matched by la_name.
    found = _run(tmp_path, codes=BUCKS_NEW, drop=("old_la_code",))
    assert found.rows_added == () and found.rows_removed == () and len(found.boundary) == 2 and found.passed


def test_an_la_split_in_two_stays_removed_and_added_with_a_note(tmp_path: Path) -> None:
    old_places = {**PLACES, "Northamptonshire": ("Local authority", "E12000004", "East Midlands", "928", "E10000021", "Northamptonshire")}
    new_places = {**PLACES, "North Northamptonshire": ("Local authority", "E12000004", "East Midlands", "940", "E06000061", "North Northamptonshire"),
                  "West Northamptonshire": ("Local authority", "E12000004", "East Midlands", "941", "E06000062", "West Northamptonshire")}  # fmt: skip
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    old = _vintage(tmp_path / "old.csv", places=old_places)
    new = _vintage(tmp_path / "new.csv", places=new_places)
    found = run_revisions([old, new], load_revisions_config(tmp_path / "rev.yaml"))
    assert sorted(r["new_la_code"] for r in found.rows_removed) == ["E10000021"] * 2
    assert sorted(r["new_la_code"] for r in found.rows_added) == ["E06000061"] * 2 + ["E06000062"] * 2
    assert found.boundary == () and not found.passed  # a row removed still fails: the split is the release's to explain
    note = next(n for n in found.notes if n.startswith("boundary change: an LA code in one vintage only"))
    assert "E10000021 in the old" in note and "E06000061, E06000062 in the new" in note


def test_rows_added_never_fail(tmp_path: Path) -> None:
    places = {**PLACES, "Stockton": ("Local authority", "E12000001", "North East", "808", "E06000004", "Stockton-on-Tees")}
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    found = run_revisions([_vintage(tmp_path / "old.csv"), _vintage(tmp_path / "new.csv", places=places)],
                          load_revisions_config(tmp_path / "rev.yaml"))  # fmt: skip
    assert len(found.rows_added) == 2 and found.rows_removed == () and found.passed


CHANGED = {("Hartlepool", "2023"): {"number": "301", "rate_per_10000": "150.5"}}  # a count +1 and a rate +0.5


def test_tolerance_per_kind_of_column_and_per_indicator(tmp_path: Path) -> None:
    found = _run(tmp_path, new=CHANGED, config=ROUNDED + "tolerance: {rates: {abs: 1}, counts: {abs: 0}}\n")
    count, rate = _cell(found, "E06000001", "number"), _cell(found, "E06000001", "rate_per_10000")
    assert (count.kind, count.beyond_tolerance, rate.kind, rate.beyond_tolerance) == ("substantive", True, "substantive", False)
    assert not found.passed and found.failing == (count,)
    assert found.to_dict()["tolerance"] == {"rates": {"abs": 1.0, "rel": 0.0}, "counts": {"abs": 0.0, "rel": 0.0}}
    # The indicator's own entry wins over its kind's: `number` within 1 passes.
    found = _run(tmp_path, new=CHANGED, config=ROUNDED + "tolerance: {rates: {abs: 1}, counts: {abs: 0}, number: {rel: 0.01}}\n")
    assert not _cell(found, "E06000001", "number").beyond_tolerance and found.passed
    # A kind not named is compared exactly: the rate's +0.5 is beyond.
    found = _run(tmp_path, new=CHANGED, config=ROUNDED + "tolerance: {counts: {abs: 5}}\n")
    assert _cell(found, "E06000001", "rate_per_10000").beyond_tolerance and not found.passed
    # The flat form is for all.
    assert _run(tmp_path, new=CHANGED, config=ROUNDED + "tolerance: {abs: 1}\n").passed


@pytest.mark.parametrize(("tolerance", "message"), [
    ("{counts: {abs: 1, rell: 0.1}}", "tolerance.counts: unknown key 'rell'; a tolerance takes abs and rel"),
    ("{abs: 1, rell: 0.1}", "tolerance: unknown key 'rell'; a tolerance takes abs and rel"),
    ("{abs: 1, counts: {abs: 1}}", "tolerance: 'abs' beside entries per indicator or kind"),
    ("{rates: {abs: -1}}", "tolerance.rates: tolerance abs must be a number of at least 0"),
])  # fmt: skip
def test_a_tolerance_typo_is_named(tmp_path: Path, tolerance: str, message: str) -> None:
    (tmp_path / "rev.yaml").write_text(f"tolerance: {tolerance}\n")
    with pytest.raises(ConfigError) as raised:
        load_revisions_config(tmp_path / "rev.yaml")
    assert message in str(raised.value) and str(tmp_path / "rev.yaml") in str(raised.value)


def test_a_tolerance_for_no_indicator_is_refused_naming_it_and_the_command_line_sets_it_for_all(tmp_path: Path) -> None:
    (tmp_path / "rev.yaml").write_text(ROUNDED + "tolerance: {deaths: {abs: 1}, counts: {abs: 2}}\n")
    old = _vintage(tmp_path / "old.csv")
    new = _vintage(tmp_path / "new.csv", CHANGED)
    bad = run_cli("revisions", str(old), str(new), "--config", str(tmp_path / "rev.yaml"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "rev.yaml" in bad.stderr and "'deaths' is neither an indicator compared (number, rate_per_10000, population_estimate)" in bad.stderr
    assert "Traceback" not in bad.stderr
    # --tolerance-abs/--tolerance-rel set the flat tolerance for all, over the config's entries.
    (tmp_path / "rev.yaml").write_text(ROUNDED + "tolerance: {counts: {abs: 0}}\n")
    result = run_cli("revisions", str(old), str(new), "--config", str(tmp_path / "rev.yaml"), "--tolerance-abs", "1",
                     "--json", str(tmp_path / "r.json"))  # fmt: skip
    document = json.loads((tmp_path / "r.json").read_text())
    assert result.returncode == 0, result.stdout + result.stderr
    assert document["tolerance"] == {"abs": 1.0, "rel": 0.0} and document["passed"] is True


def test_the_json_carries_each_cells_kind_transition_column_kind_and_effects(tmp_path: Path) -> None:
    old = _vintage(tmp_path / "old.csv")
    new = _vintage(tmp_path / "new.csv", {("England", "2023"): {"number": "83850"}, ("Middlesbrough", "2023"): {"number": "c"},
                                         ("Hartlepool", "2023"): {"population_estimate": "20100", "rate_per_10000": "149.3"}},
                   codes=BUCKS_NEW)  # fmt: skip
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    result = run_cli("revisions", str(old), str(new), "--config", str(tmp_path / "rev.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stderr  # Middlesbrough's 0 -> c
    document = json.loads((tmp_path / "r.json").read_text())
    found = {(c["key"]["new_la_code"] or "England", c["indicator"]): c for c in document["cells"]}
    assert {k: (c["kind"], c["transition"], c["column_kind"]) for k, c in found.items()} == {
        ("England", "number"): ("within_rounding", "revised", "count"),
        ("E06000002", "number"): ("substantive", "suppressed", "count"),
        ("E06000001", "population_estimate"): ("substantive", "revised", "denominator"),
        ("E06000001", "rate_per_10000"): ("denominator_only", "revised", "rate"),
    }
    assert found[("E06000001", "rate_per_10000")]["effects"] == {"numerator": 0, "denominator": -0.7}
    assert document["kind_counts"] == {"substantive": 2, "suppression": 0, "boundary": 0, "denominator_only": 1, "within_rounding": 1}
    assert [b["new_code"] for b in document["boundary"]] == ["E06000060", "E06000060"] and document["rows_removed"] == []
    assert document["column_kinds"] == {"number": "count", "rate_per_10000": "rate", "population_estimate": "denominator"}


def test_a_default_config_compares_exactly(tmp_path: Path) -> None:
    assert RevisionsConfig().tolerance == {"abs": 0.0, "rel": 0.0}
    found = run_revisions([_vintage(tmp_path / "old.csv"), _vintage(tmp_path / "new.csv", CHANGED)], RevisionsConfig())
    assert {c.beyond_tolerance for c in found.cells} == {True} and found.to_dict()["tolerance"] == {"abs": 0.0, "rel": 0.0}
