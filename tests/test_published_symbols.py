"""Issue 20, items 5 and 7: coherence says what it could test (declared `symbols:`, partial tests), and a published
check reads the whole table (every cell of figures on every row; `check --config` takes the config's reference_date).

The table is DfE-shaped: "Reason episode ceased", "Died" for England, its regions (Inner and Outer London too) and
all 155 LAs of the shipped list, rounded as DfE rounds (national and regional to 10, LAs exact, 1 to 5 as `c`),
for 2023-24 (England 60, as DfE published). Line 2 is "Adopted" and line 4 "Total": rows no measure selects.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from triangulate.domain.cells import cell_bounds, low_contradicts, read_cells

from .conftest import DATA, run_cli

TABLE = DATA / "dfe_cla_la_ceased_died_2024.csv"
DFE_ROUNDING = "{national: 10, regional: 10, local authority: 1}"
ENGLAND_DIED = "2024,Reporting year,National,E92000001,England,,,,,,Reason episode ceased,Died,60,k"
ADOPTED = "2024,Reporting year,National,E92000001,England,,,,,,Reason episode ceased,Adopted,2960,9"


def _config(tmp_path: Path, symbols: str = "", top: str = "") -> Path:
    config = tmp_path / "run.yaml"
    declared = f", symbols: {symbols}" if symbols else ""
    config.write_text(
        f"{top}sources:\n  dfe: {{kind: published, path: dfe.csv, rounding: {DFE_ROUNDING}{declared}}}\n"
        "measures:\n  - id: lac_deaths\n    select:\n"
        '      dfe: {filter: {cla_group: "Reason episode ceased", characteristic: "Died"}, value: number}\n'
    )
    return config


def _table(tmp_path: Path, old: str = "", new: str = "") -> Path:
    """The table as dfe.csv, with the one line `old` replaced by `new`."""
    text = TABLE.read_text(encoding="utf-8")
    if old:
        assert text.count(old + "\n") == 1, old
        text = text.replace(old + "\n", new + "\n")
    target = tmp_path / "dfe.csv"
    target.write_text(text, encoding="utf-8")
    return target


def _reconcile(tmp_path: Path, config: Path, name: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / f"{name}.json"),
                     "--html", str(tmp_path / f"{name}.html"))  # fmt: skip
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads((tmp_path / f"{name}.json").read_text()), result.stdout


def _checks(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in document["sources"][0]["checks"]}


def _england(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """England's two coherence tests, by the level of their parts (regional, local authority)."""
    return {c["parts"]: c for c in document["coherence"] if c["geography"] == "England"}


# 5. Coherence says what it could test.


def test_the_untampered_table_is_coherent_and_two_sided_once_c_is_declared(tmp_path: Path) -> None:
    _table(tmp_path)
    code, document, stdout = _reconcile(tmp_path, _config(tmp_path, "{c: [1, 5]}"), "declared")
    assert code == 0, stdout
    assert len(document["coherence"]) == 13  # England twice, London, ten regions of LAs (Inner and Outer London)
    assert all(c["coherent"] and not c["partial"] and c["partial_reason"] == "" for c in document["coherence"])
    england = _england(document)
    assert england["local authority"]["sum_of_parts"] == [41, 153]  # 13 published + 28 `c` of 1 to 5
    assert england["regional"]["sum_of_parts"] == [25, 81]
    assert _checks(document)["published.incoherent"]["status"] == "passed" and "PARTIAL" not in stdout


def test_england_tampered_upward_fails_with_symbols_declared_and_is_partial_without(tmp_path: Path) -> None:
    """60 -> 900: the parts can sum to 153 at most when `c` is 1 to 5; with `c` unbounded the test is one-sided."""
    _table(tmp_path, ENGLAND_DIED, ENGLAND_DIED.replace(",60,", ",900,"))
    code, document, stdout = _reconcile(tmp_path, _config(tmp_path, "{c: [1, 5]}"), "declared")
    assert code == 1
    incoherent = _checks(document)["published.incoherent"]
    assert incoherent["status"] == "failed" and incoherent["locations"] == ["dfe.csv:3", "dfe.csv:3"]
    assert "lac_deaths: England 2023-24 is 895 to 904, its 155 local authority parts sum to 41 to 153" in incoherent["record_ids"]
    assert {k: (c["coherent"], c["partial"]) for k, c in _england(document).items()} == {
        "regional": (False, False), "local authority": (False, False)}  # fmt: skip

    code, document, stdout = _reconcile(tmp_path, _config(tmp_path), "undeclared")
    assert code == 0, stdout
    england = _england(document)
    for test in england.values():  # not failing, and not silently coherent: partial, with its reason
        assert test["coherent"] is True and test["partial"] is True and test["sum_of_parts"][1] is None
    assert england["local authority"]["sum_of_parts"] == [41, None]
    assert england["local authority"]["partial_reason"] == (
        "one-sided (the whole can be found too small for its parts, never too big): 28 parts are suppressed as c with "
        "no declared upper bound; declare symbols: {c: [low, high]} with the counts the publisher says c hides"
    )
    assert "five parts are suppressed as c" in england["regional"]["partial_reason"]
    incoherent = _checks(document)["published.incoherent"]
    assert incoherent["status"] == "passed" and incoherent["detail"].startswith("partial: 13 of the 13 tests; e.g. lac_deaths: ")
    assert "PARTIAL  published.incoherent" in stdout and "declare symbols: {c: [low, high]}" in stdout
    html = (tmp_path / "undeclared.html").read_text()
    assert "Published figures tested one way only" in html and "28 parts are suppressed as c" in html
    # `check` says so too, and does not count the partial test among the checks that passed.
    result = run_cli("check", "--source", "published", str(tmp_path / "dfe.csv"), "--config", str(_config(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PARTIAL  published.incoherent" in result.stdout and "3 other checks passed" in result.stdout


def test_a_whole_tampered_below_its_parts_minimum_fails_either_way(tmp_path: Path) -> None:
    """60 -> 10 (5 to 14): the LAs are at least 41 and the regions at least 25, whatever `c` may hide above 1."""
    _table(tmp_path, ENGLAND_DIED, ENGLAND_DIED.replace(",60,", ",10,"))
    for name, symbols in (("declared", "{c: [1, 5]}"), ("undeclared", "")):
        code, document, _ = _reconcile(tmp_path, _config(tmp_path, symbols), name)
        assert code == 1, name
        assert {k: c["coherent"] for k, c in _england(document).items()} == {"regional": False, "local authority": False}
        assert _checks(document)["published.incoherent"]["failed"] == 2


def test_a_part_not_available_keeps_the_test_partial_with_its_reason(tmp_path: Path) -> None:
    """A declared `c` cannot close a sum whose part is `x`: that part could be any number."""
    hartlepool = "2024,Reporting year,Local authority,E92000001,England,E12000001,North East,805,Hartlepool,E06000001,Reason episode ceased,Died,0,0"
    _table(tmp_path, hartlepool, hartlepool.replace("Died,0,0", "Died,x,x"))
    _, document, _ = _reconcile(tmp_path, _config(tmp_path, "{c: [1, 5]}"), "x")
    partial = {(c["geography"], c["parts"]): c["partial_reason"] for c in document["coherence"] if c["partial"]}
    assert set(partial) == {("England", "local authority"), ("North East", "local authority")}
    assert "one part is not available, unreadable or disagreeing" in partial[("England", "local authority")]
    assert "declare symbols" not in partial[("England", "local authority")]


def test_declared_symbols_bound_cells_and_may_name_the_publishers_own() -> None:
    cells = read_cells(pd.Series(["c", "C", "*", "low", "7"]), whole=True, symbols={"c": (1, 5), "*": (0, 5)})
    assert not cells.unreadable.any()
    low, high = cell_bounds(cells, pd.Series([1] * 5), count=True, declared={"c": (1, 5), "*": (0, 5)})
    assert low.tolist()[:3] == [1, 1, 0] and high.tolist()[:3] == [5, 5, 5] and np.isnan(low[3]) and (low[4], high[4]) == (7, 7)
    assert low_contradicts(cells, pd.Series([1] * 5)).tolist() == [False, False, False, True, False]
    assert low_contradicts(cells, pd.Series([1] * 5), {"low": (1, 2)}).tolist() == [False] * 5
    assert read_cells(pd.Series(["*"]), whole=True).unreadable.all()  # undeclared, it is not a symbol
    assert read_cells(pd.Series(["-3", "-3"]), whole=False, signed=True).number.tolist() == [-3, -3]
    assert read_cells(pd.Series(["-3"]), whole=False).unreadable.all()


@pytest.mark.parametrize(
    ("symbols", "message"),
    [
        ("{c: [5, 1]}", "sources.dfe.symbols.c: low (5) must not be above high (1)"),
        ("{c: [1]}", "sources.dfe.symbols.c"),
        ("{c: [1, 5, 9]}", "sources.dfe.symbols.c"),
        ("{c: [-1, 5]}", "sources.dfe.symbols.c"),
        ("{c: [1, 5.5]}", "sources.dfe.symbols.c"),
        ("{c: '1-5'}", "sources.dfe.symbols.c"),
        ("{c: [1, true]}", "sources.dfe.symbols.c"),
        ("{5: [1, 5]}", "sources.dfe.symbols: '5' is not a symbol"),  # a key is read as its text, as the schema reads it
        ("{'': [1, 5]}", "sources.dfe.symbols: '' is not a symbol"),
        ("{c: [1, 5], C: [1, 5]}", "sources.dfe.symbols: 'C' is declared twice"),
        ("[c]", "sources.dfe.symbols"),
        ("{}", "sources.dfe.symbols"),
    ],
)
def test_bad_symbols_are_a_one_line_config_error(tmp_path: Path, symbols: str, message: str) -> None:
    _table(tmp_path)
    result = run_cli("reconcile", "--config", str(_config(tmp_path, symbols)))
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# 7. A published check reads the whole table.


def test_a_corrupt_cell_in_a_row_no_measure_selects_fails_unreadable(tmp_path: Path) -> None:
    _table(tmp_path, ADOPTED, ADOPTED.replace(",2960,", ",5380x,"))
    result = run_cli("check", "--source", "published", str(tmp_path / "dfe.csv"), "--config", str(_config(tmp_path)),
                     "--json", str(tmp_path / "c.json"))  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    unreadable = {c["id"]: c for c in json.loads((tmp_path / "c.json").read_text())["checks"]}["published.unreadable"]
    assert unreadable["status"] == "failed"
    assert unreadable["locations"] == ["dfe.csv:2"] and unreadable["record_ids"] == ["number: '5380x'"]
    assert "dfe.csv:2: number: '5380x'" in result.stdout and "FAIL" in result.stdout


def test_every_column_of_figures_is_read_not_only_the_one_compared(tmp_path: Path) -> None:
    """`percentage` is named by no measure, yet it is a column of figures: a corrupt cell in it is found."""
    camden = next(line for line in TABLE.read_text().splitlines() if ",Camden," in line)
    _table(tmp_path, camden, camden[: camden.rindex(",")] + ",0.4%")
    result = run_cli("check", "--source", "published", str(tmp_path / "dfe.csv"), "--config", str(_config(tmp_path)),
                     "--json", str(tmp_path / "c.json"))  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    unreadable = {c["id"]: c for c in json.loads((tmp_path / "c.json").read_text())["checks"]}["published.unreadable"]
    line = next(n for n, text in enumerate((tmp_path / "dfe.csv").read_text().splitlines(), start=1) if ",Camden," in text)
    assert unreadable["locations"] == [f"dfe.csv:{line}"] and unreadable["record_ids"] == ["percentage: '0.4%'"]


def test_many_corrupt_figures_in_a_column_no_measure_names_are_each_found(tmp_path: Path) -> None:
    """Eleven `5380x` in `percentage` (more than a stray 1%) still leave it a column of figures: each cell fails."""
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    las = [n for n, line in enumerate(lines) if ",Local authority," in line][:11]
    for n in las:
        lines[n] = lines[n][: lines[n].rindex(",")] + ",5380x"
    (tmp_path / "dfe.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("check", "--source", "published", str(tmp_path / "dfe.csv"), "--config", str(_config(tmp_path)),
                     "--json", str(tmp_path / "c.json"))  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    unreadable = {c["id"]: c for c in json.loads((tmp_path / "c.json").read_text())["checks"]}["published.unreadable"]
    assert unreadable["locations"] == [f"dfe.csv:{n + 1}" for n in las]


def test_the_real_dfe_national_file_still_passes_though_its_number_column_holds_averages(tmp_path: Path) -> None:
    """Rows no measure selects may hold other figures (DfE's "Average duration ... (days)", 864): read, not rounded."""
    shutil.copy(DATA / "dfe_cla_national_ceased_2020_2024.csv", tmp_path / "dfe.csv")
    result = run_cli("check", "--source", "published", str(tmp_path / "dfe.csv"), "--config", str(_config(tmp_path)),
                     "--json", str(tmp_path / "c.json"))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["id"]: c for c in json.loads((tmp_path / "c.json").read_text())["checks"]}
    assert checks["published.unreadable"]["status"] == checks["published.rounding"]["status"] == "passed"
    assert checks["published.unreadable"]["detail"] == "read every row's number, percentage"


def test_check_config_uses_the_configs_reference_date(tmp_path: Path) -> None:
    _table(tmp_path)

    def reference(top: str, *extra: str) -> str | None:
        config = _config(tmp_path, top=top)
        result = run_cli("check", "--source", "published", str(tmp_path / "dfe.csv"), "--config", str(config),
                         "--json", str(tmp_path / "c.json"), *extra)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return json.loads((tmp_path / "c.json").read_text())["reference_date"]

    assert reference("") is None
    assert reference("reference_date: 2024-03-31\n") == "2024-03-31"
    assert reference("reference_date: 2025-03-31\n") == "2025-03-31"
    assert reference("reference_date: 2025-03-31\n", "--reference-date", "2023-03-31") == "2023-03-31"  # the flag wins


def test_check_config_runs_the_reference_date_check_its_not_run_message_asks_for(tmp_path: Path) -> None:
    (tmp_path / "sins.csv").write_text(
        "sin_id,la_code,incident_date,notification_date,date_of_birth,sex,nature,looked_after,abuse_neglect\n"
        "S1,E09000001,2023-01-05,2023-01-09,2010-02-01,F,death,current,known\n",
        encoding="utf-8",
    )
    (tmp_path / "run.yaml").write_text("reference_date: 2022-12-31\nsources:\n  p: {kind: csprp, path: sins.csv}\n")
    result = run_cli("check", "--source", "csprp", str(tmp_path / "sins.csv"), "--json", str(tmp_path / "a.json"))
    late = {c["id"]: c for c in json.loads((tmp_path / "a.json").read_text())["checks"]}["death.after_reference_date"]
    assert late["status"] == "not_run" and "reference_date in the run config" in late["reason"]
    result = run_cli("check", "--source", "csprp", str(tmp_path / "sins.csv"), "--config", str(tmp_path / "run.yaml"),
                     "--json", str(tmp_path / "b.json"))  # fmt: skip
    late = {c["id"]: c for c in json.loads((tmp_path / "b.json").read_text())["checks"]}["death.after_reference_date"]
    assert late["status"] == "failed" and late["record_ids"] == ["S1"]
    assert "reference date 2022-12-31" in result.stdout
