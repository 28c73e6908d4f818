"""`triangulate revisions`: every rename suggested at once and right (`--suggest FILE`), and nothing lost silently
(keys that do not identify rows, one odd cell in a column of figures, config entries that name no column)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from triangulate.errors import InputError, UsageError
from triangulate.readers.published import read_published
from triangulate.reconcile.renames import RenamesNeeded, pair_columns, pair_values, profile
from triangulate.reconcile.vintages import line_up

from .conftest import run_cli

GEOGRAPHY = "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name"
PLACES = [
    ("National", "", "", "", "", ""),
    ("Regional", "E12000001", "North East", "", "", ""),
    ("Local authority", "E12000001", "North East", "805", "E06000001", "Hartlepool"),
    ("Local authority", "E12000001", "North East", "806", "E06000002", "Middlesbrough"),
]
COUNTS = ["Anypoint_episodes", "CIN_at_31_March", "Episodes_starting", "Episodes_ending", "Referrals", "Assessments",
          "CPP_at_31_March", "CPP_starting", "CPP_ending"]  # fmt: skip
RATES = [f"{name}_rate" for name in COUNTS]  # b1 2024 carries a rate per 10,000 for each count; 2025 dropped them
SCALE = {"National": 1000, "Regional": 50, "Local authority": 1}


def _b1_row(period: str, place: tuple[str, ...], awaiting: int, nudge: int = 0) -> tuple[list[str], list[str], str]:
    """(counts, rates, awaiting) for one row: counts by level, rates with decimals (`669.3`), as b1 publishes them."""
    scale = SCALE[place[0]]
    counts = [str(scale * (400 + 37 * i) + nudge * (i == 4)) for i in range(len(COUNTS))]
    rates = [f"{300 + 41.7 * i + 0.1 * len(period):.1f}" for i in range(len(RATES))]
    return counts, rates, str(awaiting * scale)


def _b1_pair(tmp_path: Path) -> tuple[Path, Path]:
    """b1 2024 -> 2025: the old has `Awaiting_assessment` and nine `_rate` columns; the new has `awaiting_assessment`
    and no rates. Period 2024 is in both; in it exactly two cells were revised: Hartlepool's referrals (+3) and the
    national awaiting assessment (27,930 -> 27,940)."""
    old_lines = [f"{GEOGRAPHY},{','.join(COUNTS)},Awaiting_assessment,{','.join(RATES)}"]
    new_lines = [f"{GEOGRAPHY},{','.join(COUNTS)},awaiting_assessment"]
    for period in ("2023", "2024"):
        for place in PLACES:
            counts, rates, awaiting = _b1_row(period, place, 28)
            awaiting = "27930" if place[0] == "National" else awaiting
            old_lines.append(",".join([period, "Reporting year", place[0], "E92000001", "England", *place[1:], *counts, awaiting, *rates]))
    for period in ("2024", "2025"):
        for place in PLACES:
            hartlepool = period == "2024" and place[5] == "Hartlepool"
            counts, _, awaiting = _b1_row(period, place, 28, nudge=3 if hartlepool else 0)
            awaiting = ("27940" if period == "2024" else "28100") if place[0] == "National" else awaiting
            new_lines.append(",".join([period, "Reporting year", place[0], "E92000001", "England", *place[1:], *counts, awaiting]))
    old, new = tmp_path / "b1_2024.csv", tmp_path / "b1_2025.csv"
    old.write_text("\n".join(old_lines) + "\n")
    new.write_text("\n".join(new_lines) + "\n")
    return old, new


def test_b1_a_case_only_rename_and_nine_dropped_rates_get_the_whole_right_mapping_in_one_suggestion(tmp_path: Path) -> None:
    old, new = _b1_pair(tmp_path)
    first = run_cli("revisions", str(old), str(new))
    assert first.returncode == 2 and len(first.stderr.strip().splitlines()) == 1, first.stderr
    line = first.stderr
    assert "10 columns in the old vintage only (Awaiting_assessment, " in line and all(rate in line for rate in RATES)
    assert "1 column in the new vintage only (awaiting_assessment)" in line
    assert "1 column renamed, 9 columns dropped (null)" in line and "pass `--suggest FILE`" in line
    suggested = tmp_path / "b1.yaml"
    second = run_cli("revisions", str(old), str(new), "--suggest", str(suggested))
    assert second.returncode == 2 and f"written to {suggested}: check it, then run again with `--config {suggested}`" in second.stderr
    mapping = yaml.safe_load(suggested.read_text())
    assert mapping == {"columns": {"Awaiting_assessment": "awaiting_assessment", **dict.fromkeys(RATES)}}
    # A rate is never compared with a count: the right mapping finds exactly the two revisions made.
    third = run_cli("revisions", str(old), str(new), "--config", str(suggested), "--json", str(tmp_path / "r.json"))
    assert third.returncode == 1, third.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["periods"] == ["2024"] and "awaiting_assessment" in document["indicators"]
    changed = sorted((c["indicator"], c["old"], c["new"]) for c in document["cells"])
    assert changed == [("Referrals", "548", "551"), ("awaiting_assessment", "27930", "27940")]


def test_a_rate_is_never_paired_with_a_count_and_a_column_only_new_is_a_new_column(tmp_path: Path) -> None:
    old, new = _b1_pair(tmp_path)
    frame = pd.read_csv(old, dtype=str, keep_default_na=False)
    # Only the rate is left to pair with `awaiting_assessment`; names alike (`Anypoint_episodes_rate` / `anypoint_episodes`)
    # do not make a rate a count either.
    frame = frame.drop(columns=["Awaiting_assessment", *RATES[1:]])
    frame["Anypoint_episodes_rate"] = [f"{305.5 + 37 * i:.1f}" for i in range(len(frame))]
    frame.to_csv(old, index=False)
    renamed = pd.read_csv(new, dtype=str, keep_default_na=False).rename(columns={"Anypoint_episodes": "anypoint_episodes"})
    # Counts in the rate's range (as the issue's `Anypoint_episodes_rate: awaiting_assessment` had values alike).
    renamed["awaiting_assessment"] = [str(310 + 37 * i) for i in range(len(renamed))]
    renamed.to_csv(new, index=False)
    suggested = tmp_path / "s.yaml"
    refused = run_cli("revisions", str(old), str(new), "--suggest", str(suggested))
    assert refused.returncode == 2, refused.stderr
    assert "(anypoint_episodes, awaiting_assessment), of which awaiting_assessment new (left out of the comparison)" in refused.stderr
    assert yaml.safe_load(suggested.read_text()) == {"columns": {"Anypoint_episodes": "anypoint_episodes", "Anypoint_episodes_rate": None}}
    run = run_cli("revisions", str(old), str(new), "--config", str(suggested), "--json", str(tmp_path / "r.json"))
    assert run.returncode == 1, run.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert "awaiting_assessment" not in document["indicators"] and "awaiting_assessment" not in document["keys"]
    lineup = _line_up(old, new, columns={"Anypoint_episodes": "anypoint_episodes", "Anypoint_episodes_rate": None})
    assert lineup.notes == ("column 'awaiting_assessment' is in the new vintage only: a new column, left out of the comparison",)  # type: ignore[attr-defined]


def test_each_column_is_paired_once_the_best_assignment_not_each_ones_best() -> None:
    counts = pd.Series([str(n) for n in range(100, 900, 7)])
    old = {"Referrals_in_year": profile("Referrals_in_year", counts), "Rereferrals_in_year": profile("Rereferrals_in_year", counts)}
    new = {"referrals_in_the_year": profile("referrals_in_the_year", counts),
           "re_referrals_within_12_months": profile("re_referrals_within_12_months", counts)}  # fmt: skip
    # Both old names are closest to `referrals_in_the_year`; each column is used once.
    assert pair_columns(old, new) == {"Referrals_in_year": "referrals_in_the_year", "Rereferrals_in_year": "re_referrals_within_12_months"}
    rates = pd.Series(["12.5", "40.1", "c"] * 10)
    assert pair_columns({"cla_rate": profile("cla_rate", rates)}, {"cla": profile("cla", counts)}) == {}  # a rate, a count
    text = pd.Series(["Boys", "Girls"] * 5)
    assert pair_columns({"sex": profile("sex", text)}, {"cla": profile("cla", counts)}) == {}  # text, figures
    assert pair_values(["Looked after at 31 March", "Total"], ["looked after  on 31 March", "All children"]) == {
        "Looked after at 31 March": "looked after  on 31 March"}  # fmt: skip


HEAD = "time_period,time_identifier,geographic_level,country_code,region_code,new_la_code,la_name,cla_group,number,population_estimate"


def _write(path: Path, rows: list[str], head: str = HEAD) -> Path:
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    return path


def _rows(numbers: list[str], population: str = "1003223") -> list[str]:
    places = [("National", "", "", ""), ("Local authority", "E12000001", "E06000001", "Hartlepool"),
              ("Local authority", "E12000001", "E06000002", "Middlesbrough"), ("Local authority", "E12000001", "E06000003", "Redcar")]  # fmt: skip
    return [f"2023,Reporting year,{level},E92000001,{region},{code},{name},Looked after,{number},{population}"
            for (level, region, code, name), number in zip(places, numbers, strict=True)]  # fmt: skip


def _line_up(old: Path, new: Path, **given: object) -> object:
    return line_up(read_published([old]), read_published([new]), given.get("columns", {}), given.get("values", {}),  # type: ignore[arg-type]
                   given.get("keys"), given.get("indicators"), str(old), str(new))  # type: ignore[arg-type]  # fmt: skip


def test_with_indicators_given_the_other_figures_are_left_out_not_made_keys(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.csv", _rows(["83840", "300", "40", "500"], population="1003223"))
    new = _write(tmp_path / "new.csv", _rows(["83760", "300", "40", "500"], population="180203"))
    lineup = _line_up(old, new, indicators=["number"])
    assert lineup.indicators == ("number",) and "population_estimate" not in lineup.keys  # type: ignore[attr-defined]
    assert any("population_estimate" in note and "left out" in note for note in lineup.notes)  # type: ignore[attr-defined]
    keyed = _line_up(old, new, keys=["time_period", "geographic_level", "new_la_code"])
    assert keyed.indicators == ("number", "population_estimate")  # type: ignore[attr-defined]
    assert any("cla_group" in note and "left out" in note for note in keyed.notes)  # type: ignore[attr-defined]


def test_one_odd_cell_never_makes_a_column_of_figures_a_key_it_is_a_cell_that_fails(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.csv", _rows(["83840", "300", "~", "500"]))
    new = _write(tmp_path / "new.csv", _rows(["83760", "abc", "41", "500"]))
    lineup = _line_up(old, new)
    assert "number" in lineup.indicators and "number" not in lineup.keys  # type: ignore[attr-defined]
    assert lineup.unreadable == (("old.csv", 4, "number", "~"), ("new.csv", 3, "number", "abc"))  # type: ignore[attr-defined]
    # Renamed in the new vintage: the old cell is named by the old file's own column.
    _write(tmp_path / "new.csv", _rows(["83760", "abc", "41", "500"]), head=HEAD.replace(",number,", ",children,"))
    renamed = _line_up(old, new, columns={"number": "children"})
    assert renamed.unreadable[0] == ("old.csv", 4, "number", "~")  # type: ignore[attr-defined]
    # A column mostly of words is not a column of figures, and names no odd cell.
    words = _write(tmp_path / "words.csv", _rows(["a", "b", "c d", "7"]))
    assert "number" in _line_up(words, words).keys  # type: ignore[attr-defined]


def test_keys_that_do_not_identify_rows_are_refused_naming_the_rows(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.csv", [*_rows(["83840", "300", "40", "500"]), _rows(["83840", "310", "40", "500"])[1]])
    new = _write(tmp_path / "new.csv", _rows(["83760", "300", "40", "500"]))
    with pytest.raises(InputError) as refused:
        _line_up(old, new)
    line = refused.value.one_line()
    assert line.startswith("old.csv:line 3: ") and "2 rows share their key with another row of different figures" in line
    assert "old.csv:3, old.csv:6 share (time_period 2023, " in line and "new_la_code E06000001, cla_group Looked after)" in line
    # The same key with the same figures is one row said twice: dropped, not refused.
    _write(old, [*_rows(["83840", "300", "40", "500"]), _rows(["83840", "300", "40", "500"])[1]])
    assert len(_line_up(old, new).old) == 4  # type: ignore[attr-defined]
    # `keys: [time_period]` collapses every row of a period onto one key: refused, never a PASS.
    result = run_cli("revisions", str(old), str(new), "--config", str(_write_config(tmp_path, "keys: [time_period]\n")))
    assert result.returncode == 2 and "the keys (time_period) do not identify rows" in result.stderr, result.stderr
    assert "old.csv:2, old.csv:3, old.csv:4 and 1 more share (time_period 2023)" in result.stderr  # the copy at line 6: dropped


def _write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rev.yaml"
    path.write_text(text)
    return path


def test_config_entries_that_name_no_column_are_refused_naming_the_key(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.csv", _rows(["83840", "300", "40", "500"]))
    with pytest.raises(UsageError, match=r"--config columns: 'nmuber' is a column of neither vintage"):
        _line_up(old, old, columns={"nmuber": "children"})
    with pytest.raises(UsageError, match=r"--config values: 'cla_grup'"):
        _line_up(old, old, values={"cla_grup": {"a": "b"}})
    with pytest.raises(UsageError, match=r"--config keys: column 'la_code' is not in both vintages"):
        _line_up(old, old, keys=["time_period", "la_code"])
    with pytest.raises(UsageError, match=r"--config indicators: column 'la_name' is not a column of figures \(6 cells are"):
        _line_up(old, old, indicators=["la_name"])


def test_suggest_merges_into_the_config_given_and_never_writes_over_an_input_or_another_output(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.csv", _rows(["83840", "300", "40", "500"]))
    new = _write(tmp_path / "new.csv", _rows(["83760", "300", "40", "500"]), head=HEAD.replace(",number,", ",Children,"))
    config = _write_config(tmp_path, "rounding: {national: 10}\nindicators: [Children]\ncolumns: {population_estimate: null}\n")
    suggested = tmp_path / "suggested.yaml"
    refused = run_cli("revisions", str(old), str(new), "--config", str(config), "--suggest", str(suggested))
    assert refused.returncode == 2 and "1 column renamed" in refused.stderr, refused.stderr
    assert yaml.safe_load(suggested.read_text()) == {"rounding": {"national": 10}, "indicators": ["Children"],
                                                     "columns": {"population_estimate": None, "number": "Children"}}  # fmt: skip
    assert run_cli("revisions", str(old), str(new), "--config", str(suggested)).returncode == 1
    before = old.read_text()
    for target, words in ((old, "is an input of this run"), (tmp_path, "is a folder")):
        bad = run_cli("revisions", str(old), str(new), "--suggest", str(target))
        assert bad.returncode == 2 and f"--suggest {target}: {words}" in bad.stderr, bad.stderr
    clash = run_cli("revisions", str(old), str(new), "--suggest", str(tmp_path / "r.json"), "--json", str(tmp_path / "r.json"))
    assert clash.returncode == 2 and "would write the same file" in clash.stderr
    assert old.read_text() == before and not (tmp_path / "r.json").exists()
    # Nothing to suggest: the run goes on, and says the file was not written.
    lined_up = run_cli("revisions", str(old), str(old), "--suggest", str(tmp_path / "none.yaml"))
    assert lined_up.returncode == 0 and "not written" in lined_up.stderr and not (tmp_path / "none.yaml").exists()


def test_reworded_values_and_renamed_columns_are_one_refusal(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.csv", _rows(["83840", "300", "40", "500"]))
    new_rows = [row.replace("Looked after", "looked after") for row in _rows(["83760", "300", "40", "500"])]
    new = _write(tmp_path / "new.csv", new_rows, head=HEAD.replace(",number,", ",children,"))
    with pytest.raises(RenamesNeeded) as refused:
        _line_up(old, new)
    assert refused.value.unpaired.columns == {"number": "children"}
    assert refused.value.unpaired.values == {"cla_group": {"Looked after": "looked after"}}
    # A value mapped to itself was not reworded: the user's word is taken.
    lineup = _line_up(old, new, columns={"number": "children"}, values={"cla_group": {"Looked after": "Looked after"}})
    assert lineup.indicators == ("children", "population_estimate")  # type: ignore[attr-defined]
