"""A configuration that selects nothing never passes (issue 20, item 6): a `where:` value no death can have, a source
compared with itself, or one file read under two names is exit 2 at load time, for `check --config`, `run` and
`reconcile` alike, with one line naming the element."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from triangulate.canonical.records import COLUMNS
from triangulate.canonical.registry import source_kind, source_kinds
from triangulate.config import load_config, selection
from triangulate.config.selection import BOOLEANS, CLASSIFIED, CODES, DATES, where_values
from triangulate.domain.geography import la_lookup
from triangulate.errors import ConfigError
from triangulate.reconcile.bridge import select_records

from .conftest import copy_of, one_error_line, run_cli

# The clean sample's record sources only: these tests are about death records, not published tables.
SOURCES = """reference_date: 2023-03-31
sources:
  dfe_cin: {kind: cin, path: "cin/*/*.xml"}
  dfe_cla: {kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv]}
  ncmd: {kind: ncmd, path: ncmd/ncmd_deaths.csv}
  csprp: {kind: csprp, path: csprp/sins.csv}
"""
STATUSES = "LAC, CPP, CIN, OTHER_KNOWN, PREVIOUS, NEVER, UNKNOWN"


def _measure(where: str, compare: str = "{left: ncmd, right: dfe_cla}") -> str:
    return f"measures:\n  - {{id: m, select: {{ncmd: {{where: {where}}}, dfe_cla: {{}}}}, compare: [{compare}]}}\n"


def _config(folder: Path, text: str) -> Path:
    (folder / "release.yaml").write_text(text)
    return folder / "release.yaml"


def _refused(config: Path, command: str = "run") -> str:
    """The one line `command` wrote refusing the config; it wrote no output."""
    out = config.parent / "out"
    if command == "run":
        result = run_cli("run", str(config), "--out", str(out))
    elif command == "reconcile":
        result = run_cli("reconcile", "--config", str(config), "--json", str(out / "r.json"))
    else:
        result = run_cli("check", "--source", "ncmd", str(config.parent / "ncmd" / "ncmd_deaths.csv"), "--config", str(config),
                         "--json", str(out / "r.json"))  # fmt: skip
    line = one_error_line(result)
    assert f"{config}: " in line, line
    assert not out.exists() or not any(out.iterdir())
    return line


@pytest.mark.parametrize(
    ("where", "fragments"),
    [
        ("{status: [LCA]}", ["measures[1]: select.ncmd.where.status: 'LCA' is not a code of status", f"status takes {STATUSES}"]),
        (
            "{status: [lac]}",
            ["select.ncmd.where.status: 'lac' is not a code of status", "'lac' is not 'LAC'", f"takes {STATUSES}"],
        ),
        ("{status: []}", ["measures[1]: select.ncmd.where.status is an empty list, which selects no death", f"takes {STATUSES}"]),
        ("{la_code: [E99999999]}", ["select.ncmd.where.la_code: 'E99999999' is not a code of la_code", "ONS code of an LA"]),
        ("{la_code: [330]}", ["where.la_code: 330", "Birmingham's DfE code", "its ONS code E08000025"]),
        ("{cpp_at_death: ['true']}", ["where.cpp_at_death: 'true' is not a value", "takes true or false"]),
        ("{status: [LAC], abuse_neglect: [known]}", ["where.abuse_neglect: 'known' is not a value of abuse_neglect"]),
        ("{date_of_death: [31/03/2023]}", ["where.date_of_death: '31/03/2023'", "takes dates (YYYY-MM-DD)"]),
        ("{child_id: [' X1']}", ["where.child_id: ' X1'", "stripped"]),
    ],
)
def test_a_where_value_no_death_can_have_is_exit_2(clean_sample: Path, tmp_path: Path, where: str, fragments: list[str]) -> None:
    copy_of(clean_sample, tmp_path)
    line = _refused(_config(tmp_path, SOURCES + _measure(where)))
    for fragment in fragments:
        assert fragment in line, line


@pytest.mark.parametrize("command", ["check", "reconcile"])
def test_check_with_a_config_and_reconcile_refuse_it_too(clean_sample: Path, tmp_path: Path, command: str) -> None:
    copy_of(clean_sample, tmp_path)
    line = _refused(_config(tmp_path, SOURCES + _measure("{status: [lac]}")), command)
    assert "select.ncmd.where.status: 'lac'" in line and "'LAC'" in line


@pytest.mark.parametrize(
    ("compare", "fragment"),
    [
        ("{left: ncmd, right: ncmd}", "measures[1] (m): compare[1] names 'ncmd' twice, which can only agree with itself"),
        # dfe_cla is the only source of kind ssda903: the name and the kind are one source
        ("{left: dfe_cla, right: ssda903}", "compare[1]: 'dfe_cla' and 'ssda903' are both the source 'dfe_cla'"),
    ],
)
def test_a_source_compared_with_itself_is_exit_2(clean_sample: Path, tmp_path: Path, compare: str, fragment: str) -> None:
    copy_of(clean_sample, tmp_path)
    line = _refused(_config(tmp_path, SOURCES + _measure("{status: [LAC]}", compare)))
    assert fragment in line, line


def test_one_file_under_two_source_names_is_exit_2(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    shutil.copy(tmp_path / "ncmd" / "ncmd_deaths.csv", tmp_path / "ncmd" / "again.csv")  # another name, the same content
    config = _config(tmp_path, SOURCES + "  ncmd_again: {kind: ncmd, path: ncmd/again.csv}\nmeasures: default\n")
    line = _refused(config)
    assert "sources.ncmd_again reads" in line and "same content (SHA-256)" in line and "of sources.ncmd" in line, line
    assert "declare same_file_as: ncmd on sources.ncmd_again" in line
    config = _config(tmp_path, SOURCES + "  ncmd_again: {kind: ncmd, path: ncmd/ncmd_deaths.csv}\nmeasures: default\n")
    assert "sources.ncmd_again reads" in _refused(config, "reconcile")


def test_one_file_under_two_names_runs_when_same_file_as_says_it_is_meant(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    shutil.copy(tmp_path / "ncmd" / "ncmd_deaths.csv", tmp_path / "ncmd" / "again.csv")
    config = _config(
        tmp_path, SOURCES + "  ncmd_again: {kind: ncmd, path: ncmd/again.csv, same_file_as: ncmd}\nmeasures: default\n"
    )
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / "r.json"))
    assert result.returncode in (0, 1), result.stderr
    assert {s["name"] for s in json.loads((tmp_path / "r.json").read_text())["sources"]} >= {"ncmd", "ncmd_again"}


@pytest.mark.parametrize(
    ("declared", "fragment"),
    [("ncmdx", "sources.ncmd_again.same_file_as must name another source of records"), ("ncmd_again", "not 'ncmd_again'")],
)
def test_same_file_as_names_another_source_of_records(clean_sample: Path, tmp_path: Path, declared: str, fragment: str) -> None:
    copy_of(clean_sample, tmp_path)
    config = _config(tmp_path, SOURCES + f"  ncmd_again: {{kind: ncmd, path: ncmd/ncmd_deaths.csv, same_file_as: {declared}}}\n")
    with pytest.raises(ConfigError, match=fragment):
        load_config(config)


def test_only_files_of_equal_size_are_hashed_and_a_missing_file_is_left_to_its_reader(
    clean_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_of(clean_sample, tmp_path)
    hashed: list[Path] = []
    real = selection.file_digest
    monkeypatch.setattr(selection, "file_digest", lambda path: hashed.append(path) or real(path))
    load_config(_config(tmp_path, SOURCES + "  gone: {kind: ncmd, path: ncmd/not_there.csv}\n"))  # the reader says "not found"
    assert hashed == []  # every file differs in size from the others
    shutil.copy(tmp_path / "ncmd" / "ncmd_deaths.csv", tmp_path / "ncmd" / "again.csv")
    load_config(_config(tmp_path, SOURCES + "  again: {kind: ncmd, path: ncmd/again.csv, same_file_as: ncmd}\n"))
    assert hashed == []  # declared: nothing to prove
    with pytest.raises(ConfigError, match="same content"):
        load_config(_config(tmp_path, SOURCES + "  again: {kind: ncmd, path: ncmd/again.csv}\n"))
    assert sorted(p.name for p in hashed) == ["again.csv", "ncmd_deaths.csv"]


def test_valid_codes_still_select_deaths(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    config = _config(tmp_path, SOURCES + _measure("{status: [LAC], cpp_at_death: [false], sex: [M, F, U]}"))
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    england = [c for c in json.loads((tmp_path / "r.json").read_text())["comparisons"] if c["geography"] == "England"]
    assert england and all(c["left_value"][0] > 0 for c in england)


def test_every_canonical_column_has_its_rule_and_the_mappers_write_only_those_codes(clean_sample: Path) -> None:
    assert sorted(CLASSIFIED) == sorted(COLUMNS)
    ons = set(la_lookup()["new_la_code"])
    for options in load_config(clean_sample / "release.yaml").sources:
        kind = source_kind(options.kind)
        deaths = kind.to_deaths(kind.read(options), options.la_code, pd.Timestamp("2023-03-31"))
        assert not deaths.empty, options.name
        for column, codes in CODES.items():
            assert set(deaths[column].dropna()) <= set(codes), (options.name, column)
        assert set(deaths["source"]) <= set(source_kinds())
        assert set(deaths["la_code"].dropna()) <= ons
        for column in BOOLEANS:
            assert set(deaths[column].dropna()) <= {True, False}, (options.name, column)


def test_dates_and_numbers_select_as_the_death_records_hold_them() -> None:
    deaths = pd.DataFrame({
        "date_of_death": pd.Series(pd.to_datetime(["2022-05-01", "2022-06-01", None])).astype("datetime64[s]"),
        "age_at_death": pd.Series([0, 17, None], dtype="Int64"),
        "category": pd.Series(["1", "2", None], dtype=object),
    })  # fmt: skip
    assert (
        len(select_records(deaths, {"date_of_death": where_values("date_of_death", [dt.date(2022, 5, 1), "2022-06-01"], "w")}))
        == 2
    )
    assert len(select_records(deaths, {"age_at_death": where_values("age_at_death", [17], "w")})) == 1
    assert len(select_records(deaths, {"category": where_values("category", [1], "w")})) == 1  # YAML's 1 is the code "1"
    for column, value in [
        ("age_at_death", "17"),
        ("unborn", 1),
        ("date_of_death", dt.datetime(2022, 5, 1, 12)),
        ("status", None),
    ]:
        with pytest.raises(ConfigError, match=f"w: .* is not a (code|value) of {column}"):
            where_values(column, [value], "w")
    assert DATES and all(where_values(column, ["2022-05-01"], "w") for column in DATES)
