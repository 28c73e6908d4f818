"""Issue 26, fixes after a trial on DfE-shaped files: crashes on vintages with no period in common, a header-only file
and a figure past 2**64; a column with several odd cells; the kinds of 0 <-> low, of a count under a new LA code, of a
rate whose count moved within rounding and of a denominator; one definition of a rate's name; counts from none to
some leading the first screen; and the triangle of an LA-only file, with stats per indicator and geography."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from triangulate.config.revisions import load_revisions_config
from triangulate.domain import cells as cells_module
from triangulate.domain.cells import may_be_counts, read_cells
from triangulate.domain.columns import RATE, RATE_NAME, kind_by_name
from triangulate.errors import InputError
from triangulate.model.triangle import NOT_RUN
from triangulate.pipeline.revisions import run_revisions
from triangulate.reconcile.renames import pair_values
from triangulate.reports.revision_words import SHOWN, explain

from .conftest import run_cli
from .test_revision_kinds import BUCKS_NEW, HEAD, PLACES, ROUNDED, _cell, _run, _vintage

# --- 1. crashes ------------------------------------------------------------------------------------------------------


def test_two_vintages_with_no_period_in_common_compare_nothing_without_a_crash(tmp_path: Path) -> None:
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    old = _vintage(tmp_path / "old.csv")
    text = old.read_text().replace("\n2022,", "\n2018,").replace("\n2023,", "\n2019,")
    old.write_text(text)
    found = run_revisions([old, _vintage(tmp_path / "new.csv")], load_revisions_config(tmp_path / "rev.yaml"))
    assert found.periods == () and found.cells == () and found.rows_added == () and found.rows_removed == ()
    assert "the two vintages share no period: nothing was compared" in found.notes


@pytest.mark.parametrize("empty", ["old", "new"])
def test_a_header_only_vintage_is_refused_naming_the_file(tmp_path: Path, empty: str) -> None:
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    paths = {name: _vintage(tmp_path / f"{name}.csv") for name in ("old", "new")}
    paths[empty].write_text(HEAD + "\n")
    with pytest.raises(InputError) as refused:
        run_revisions([paths["old"], paths["new"]], load_revisions_config(tmp_path / "rev.yaml"))
    assert refused.value.exit_code == 2 and refused.value.path == str(paths[empty]) and "no rows" in str(refused.value)


def test_a_figure_past_two_to_the_64_is_read_and_one_too_large_for_a_float_is_unreadable() -> None:
    raw = pd.Series(["99999999999999999999999", None, "1" + "0" * 400, "12", "c"], dtype="string")
    read = read_cells(raw, whole=False)
    assert read.number.iloc[0] == pytest.approx(1e23) and read.number.iloc[3] == 12
    assert read.unreadable.tolist() == [False, False, True, False, False]
    assert read.number.isna().tolist() == [False, True, True, False, True]


def test_a_revision_to_a_figure_past_two_to_the_64_is_a_revision(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("Hartlepool", "2023"): {"number": "99999999999999999999999"},
                                ("Middlesbrough", "2023"): {"number": ""}})  # fmt: skip
    cell = _cell(found, "E06000001", "number")
    assert (cell.kind, cell.new) == ("substantive", "99999999999999999999999") and not found.passed


# --- 2. a column with several odd cells ------------------------------------------------------------------------------


def test_several_odd_cells_leave_a_column_of_figures_an_indicator_and_each_fails_named(tmp_path: Path) -> None:
    odd = {(place, period): {"number": "~"} for place in ("Hartlepool", "Middlesbrough") for period in ("2022", "2023")}
    found = _run(tmp_path, new={**odd, ("England", "2023"): {"number": "83760"}})  # 4 of 10 cells odd
    assert "number" in found.indicators and "number" not in found.keys
    assert [(line, column, text) for _, line, column, text in found.unreadable] == [
        (4, "number", "~"), (5, "number", "~"), (9, "number", "~"), (10, "number", "~")]  # fmt: skip
    assert all(file.endswith("new.csv") for file, *_ in found.unreadable) and not found.passed
    assert _cell(found, "", "number").kind == "substantive"  # the column is still compared


def test_values_that_all_read_as_numbers_are_never_paired_as_reworded_filter_values() -> None:
    assert pair_values(["140710", "82170", "1,700"], ["140700", "82180", "7090"]) == {}
    assert pair_values(["Looked after at 31 March"], ["Looked After at 31  March"]) == {
        "Looked after at 31 March": "Looked After at 31  March"
    }


# --- 3. kinds --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), [("0", "low"), ("low", "0"), ("0", "k")])
def test_none_to_low_in_a_count_is_substantive(tmp_path: Path, old: str, new: str) -> None:
    found = _run(tmp_path, old={("Middlesbrough", "2023"): {"number": old}}, new={("Middlesbrough", "2023"): {"number": new}},
                 config="rounding: {national: 10, regional: 10, local authority: 5}\n")  # fmt: skip
    assert _cell(found, "E06000002", "number").kind == "substantive" and not found.passed


def test_under_a_new_code_a_count_from_none_to_some_keeps_its_kind_and_the_rest_is_boundary(tmp_path: Path) -> None:
    found = _run(tmp_path, old={("Buckinghamshire", "2023"): {"number": "0"}},
                 new={("Buckinghamshire", "2023"): {"number": "c", "rate_per_10000": "45.7"}}, codes=BUCKS_NEW)  # fmt: skip
    assert _cell(found, "E06000060", "number").kind == "substantive"
    assert _cell(found, "E06000060", "rate_per_10000").kind == "boundary"
    assert found.rows_added == () and found.rows_removed == () and not found.passed


def test_under_a_new_code_a_count_within_its_rounding_is_boundary(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("Buckinghamshire", "2023"): {"number": "510"}}, codes=BUCKS_NEW,
                 config="rounding: {national: 10, regional: 10, local authority: 10}\n")  # fmt: skip
    assert _cell(found, "E06000060", "number").kind == "boundary" and found.passed


def test_a_rate_whose_count_moved_within_rounding_while_its_denominator_moved_is_denominator_only(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("England", "2023"): {"number": "83850", "rate_per_10000": "69.9",
                                                       "population_estimate": "12000000"}})  # fmt: skip
    assert _cell(found, "", "number").kind == "within_rounding"
    assert _cell(found, "", "rate_per_10000").kind == "denominator_only"
    assert _cell(found, "", "population_estimate").kind == "substantive"  # an ONS estimate, never a rounded count


def test_a_denominator_is_never_read_as_a_rounded_count(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("England", "2023"): {"population_estimate": "11977010"}})  # rounded to 10 it would overlap
    cell = _cell(found, "", "population_estimate")
    assert (cell.kind, cell.old_interval, cell.new_interval) == ("substantive", (11977000, 11977000), (11977010, 11977010))


# --- 4. one definition of a rate's name ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pt_ceased", "pc_white", "per10k", "rate_per_10000", "ceased_percent", "median_age"])
def test_dfe_rate_names_are_rates_by_the_one_definition(name: str) -> None:
    assert kind_by_name(name) == RATE
    assert not may_be_counts(read_cells(pd.Series(["10", "20"], name=name), whole=False))


@pytest.mark.parametrize("name", ["number", "Died", "separated", "meaning", "population_estimate"])
def test_names_that_are_not_rates(name: str) -> None:
    assert kind_by_name(name) != RATE and RATE_NAME.search(name) is None


def test_cells_reads_the_rate_definition_of_columns() -> None:
    assert cells_module.RATE_NAME is RATE_NAME and not hasattr(cells_module, "_NOT_COUNTS")


# --- 5. the first screen ---------------------------------------------------------------------------------------------


def _many_las(count: int) -> dict[str, tuple[str, ...]]:
    places = {k: v for k, v in PLACES.items() if k in ("England", "North East")}
    for n in range(count):
        places[f"LA {n}"] = ("Local authority", "E12000001", "North East", "", f"E0699{n:04d}", f"LA {n}")
    return places


def test_every_count_from_none_to_some_is_listed_first_never_cut_and_named_in_the_verdict(tmp_path: Path) -> None:
    las = SHOWN + 5
    places = _many_las(las)
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    old = _vintage(tmp_path / "old.csv", {(f"LA {n}", "2023"): {"number": "0"} for n in range(las)}, places=places)
    changes = {(f"LA {n}", "2023"): {"number": "c"} for n in range(las)}
    changes |= {(f"LA {n}", "2022"): {"number": "101"} for n in range(las)}  # substantive, but not from none to some
    changes[("England", "2023")] = {"number": "83760"}
    new = _vintage(tmp_path / "new.csv", changes, places=places)
    found = run_revisions([old, new], load_revisions_config(tmp_path / "rev.yaml"))
    counts = explain(found).blocks[0]
    texts = [item.text for item in counts.items]
    assert all("0 → c" in text for text in texts[:las]) and len(texts) == las  # every one, then none left for others
    assert counts.more == las + 1  # the LAs' 100 -> 101 and England's revision are in "and N more"
    verdict = explain(found).verdict
    assert verdict.startswith(f"FAIL: it rests on {las} counts from none to some or back (in E06990000, E06990001")
    assert f"E0699{las - 1:04d})" in verdict


def test_a_few_counts_from_none_to_some_come_before_national_revisions(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("England", "2023"): {"number": "83760"}, ("Middlesbrough", "2022"): {"number": "c"}})
    items = [item.text for item in explain(found).blocks[0].items]
    assert items[0].startswith("Middlesbrough, number, 2022: 0 → c") and items[1].startswith("England, number, 2023")


def test_the_words_module_stays_under_400_lines() -> None:
    from triangulate.reports import revision_words

    assert len(Path(revision_words.__file__).read_text().splitlines()) < 400


def test_rows_that_share_a_key_are_their_key(tmp_path: Path) -> None:
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    old = _vintage(tmp_path / "old.csv")
    lines = old.read_text().splitlines()
    old.write_text("\n".join([*lines, lines[3].replace(",300,", ",301,"), lines[4].replace(",0,", ",1,")]) + "\n")
    with pytest.raises(InputError) as refused:
        run_revisions([old, _vintage(tmp_path / "new.csv")], load_revisions_config(tmp_path / "rev.yaml"))
    assert "4 rows share their key with another row" in str(refused.value)


# --- 6. the triangle -------------------------------------------------------------------------------------------------


def _three(tmp_path: Path, places: dict[str, tuple[str, ...]] | None, changes: list[dict]) -> list[Path]:  # type: ignore[type-arg]
    return [_vintage(tmp_path / f"v{n}.csv", change, places=places) for n, change in enumerate(changes)]


def test_an_la_only_file_gets_a_triangle_at_la_level(tmp_path: Path) -> None:
    places = {k: v for k, v in PLACES.items() if v[0] == "Local authority"}
    paths = _three(tmp_path, places, [{}, {("Hartlepool", "2022"): {"number": "302"}}, {("Hartlepool", "2022"): {"number": "305"}}])
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    triangle = run_revisions(paths, load_revisions_config(tmp_path / "rev.yaml")).triangle
    assert triangle is not None and triangle.rows
    assert {row.geography for row in triangle.rows} == {"E06000001", "E06000002", "E10000002"}
    assert any("highest level present, local authority" in note for note in triangle.notes)
    hartlepool = next(s for s in triangle.stats if s.indicator == "number" and s.geography == "E06000001")
    assert (hartlepool.n, hartlepool.positive, hartlepool.mean_revision, hartlepool.test) == (2, 1, 2.5, NOT_RUN)
    assert NOT_RUN == "not run: fewer than 3 revisions that are not 0"


def test_triangle_stats_keep_england_apart_from_each_region(tmp_path: Path) -> None:
    paths = _three(tmp_path, None, [
        {},
        {("England", "2022"): {"number": "83900"}, ("North East", "2022"): {"number": "4990"}},
        {("England", "2022"): {"number": "83960"}, ("England", "2023"): {"number": "83800"},
         ("North East", "2023"): {"number": "5020"}},
    ])  # fmt: skip
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    triangle = run_revisions(paths, load_revisions_config(tmp_path / "rev.yaml")).triangle
    assert triangle is not None
    number = {s.geography: s for s in triangle.stats if s.indicator == "number"}
    assert set(number) == {"England", "E12000001"}
    assert number["England"].mean_revision == pytest.approx((120 - 40) / 2)  # 83,840 -> 83,960; 83,840 -> 83,800
    assert number["E12000001"].mean_revision == pytest.approx((0 + 20) / 2)  # 5,000 -> 4,990 -> 5,000; 5,000 -> 5,020
    entries = triangle.to_dict()["stats"]
    assert {(e["indicator"], e["geography"]) for e in entries} >= {("number", "England"), ("number", "E12000001")}


def test_two_vintages_that_share_no_period_compared_nothing_and_have_not_passed(tmp_path: Path) -> None:
    head = "time_period,time_identifier,geographic_level,country_code,country_name,number\n"
    (tmp_path / "old.csv").write_text(head + "2018,Reporting year,National,E92000001,England,10\n")
    (tmp_path / "new.csv").write_text(head + "2024,Reporting year,National,E92000001,England,12\n")
    done = run_cli("revisions", str(tmp_path / "old.csv"), str(tmp_path / "new.csv"), "--json", str(tmp_path / "r.json"))
    assert done.returncode == 1 and "share no period" in done.stdout
    assert json.loads((tmp_path / "r.json").read_text())["passed"] is False
