"""The registry of source kinds is the only place a new kind is declared; the layout's defects stay fixed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest
from triangulate.canonical.records import death_records, locations
from triangulate.canonical.registry import RawTable, SourceKind, SourceOptions, register, source_kinds, unregister
from triangulate.domain.definitions import SEX_LETTERS, normalise_sex
from triangulate.readers.extracts import read_extract
from triangulate.schemas.base import FILE_COLUMN, LINE_COLUMN, FieldSpec, RuleRegistry, TableSpec

from .conftest import run_cli

TOY_RULES = RuleRegistry("toy")


@TOY_RULES.register("toy.not_in_catalogue", "a rule whose id the check catalogue does not know")
def _never_q(frame: pd.DataFrame) -> pd.Series:
    return frame["toy_id"].astype("string").str.startswith("Q").fillna(False) == False  # noqa: E712

TOY_SPEC = TableSpec(
    "toy register",
    (
        FieldSpec("toy_id", required=True, must_exist=True),
        FieldSpec("born", required=True, must_exist=True, is_date=True),
        FieldSpec("died", must_exist=True, is_date=True),
        FieldSpec("sex", codes=SEX_LETTERS),
    ),
    TOY_RULES,
)


def _toy_deaths(frames: Mapping[str, pd.DataFrame], la_code: str | None, reference_date: pd.Timestamp | None) -> pd.DataFrame:
    raw = frames["rows"]
    died = raw.loc[raw["died"].notna()]
    return death_records(
        source="toy",
        record_id=died["toy_id"],
        child_key=died["toy_id"].astype(str),
        location=locations(died[FILE_COLUMN], died[LINE_COLUMN]),
        birth_date=died["born"],
        death_date=died["died"],
        sex=normalise_sex(died["sex"]),
        la_code=pd.Series(la_code, index=died.index, dtype=object),
        status=pd.Series("UNKNOWN", index=died.index),
        reference_date=reference_date,
    )


@pytest.fixture
def toy_kind():
    kind = register(
        SourceKind(
            "toy",
            "a source kind that exists only in this test",
            lambda options: {"rows": read_extract(options.paths, TOY_SPEC, options.columns)},
            (RawTable("rows", TOY_SPEC, "toy_id"),),
            _toy_deaths,
            lambda frames: len(frames["rows"]),
        )
    )
    yield kind
    unregister("toy")


def _toy_file(tmp_path: Path) -> Path:
    path = tmp_path / "toy.csv"
    path.write_text(
        "toy_id,born,died,sex\n"
        "T1,2010-01-01,2020-06-01,M\n"
        "T2,2000-01-01,2020-06-01,F\n"  # 20 at death: age.over_17
        "T3,2012-01-01,,X\n"  # alive; sex X: invalid.sex
        "Q4,2013-01-01,2021-02-30,U\n",  # 30 February: date.unparseable; id Q: the uncatalogued rule
        encoding="utf-8",
    )
    return path


def test_a_toy_kind_registered_in_a_test_needs_nothing_else(toy_kind, tmp_path: Path, capsys) -> None:
    from triangulate.cli import main

    assert "toy" in source_kinds()
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--source", "toy", str(_toy_file(tmp_path)), "--reference-date", "2024-03-31",
              "--json", str(tmp_path / "toy.json")])  # fmt: skip
    assert exit_info.value.code == 1, capsys.readouterr()
    report = json.loads((tmp_path / "toy.json").read_text())
    checks = {c["id"]: c for c in report["checks"]}
    assert report["source"] == "toy" and report["records"] == 4 and report["deaths"] == 3
    assert checks["age.over_17"]["record_ids"] == ["T2"]
    assert checks["invalid.sex"]["record_ids"] == ["T3"]
    assert checks["date.unparseable"]["locations"] == ["toy.csv:5"]
    # A rule registered under an id the catalogue lacks is reported, not a crash of the run.
    assert checks["toy.not_in_catalogue"]["status"] == "failed"
    assert checks["toy.not_in_catalogue"]["severity"] == "error"
    assert checks["toy.not_in_catalogue"]["message"] == "a rule whose id the check catalogue does not know"


def test_the_toy_kind_is_accepted_by_a_run_config_and_unknown_kinds_are_not(toy_kind, tmp_path: Path) -> None:
    from triangulate.config import load_config
    from triangulate.errors import ConfigError

    _toy_file(tmp_path)
    (tmp_path / "run.yaml").write_text("sources:\n  mine: {kind: toy, path: toy.csv}\n")
    config = load_config(tmp_path / "run.yaml")
    assert config.sources == (SourceOptions("mine", "toy", (tmp_path / "toy.csv",)),)
    unregister("toy")
    with pytest.raises(ConfigError, match=r"kind must be one of cin, ssda903, ncmd, csprp, published, denominator, not .toy."):
        load_config(tmp_path / "run.yaml")


def test_check_with_a_config_validates_the_whole_config(synthetic: Path, tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        f"sources:\n  ncmd: {{kind: ncmd, path: {synthetic / 'ncmd' / 'ncmd_deaths.csv'}}}\n"
        "measures:\n  - {id: m, select: {ncmd: {}}, compare: [{left: ncmd, right: nobody}]}\n"
    )
    result = run_cli("check", "--source", "ncmd", str(synthetic / "ncmd" / "ncmd_deaths.csv"), "--config", str(config))
    assert result.returncode == 2
    assert "measures[1] (m) names 'nobody'" in result.stderr and "Traceback" not in result.stderr
    config.write_text(f"sources:\n  ncmd: {{kind: ncmd, path: {synthetic / 'ncmd' / 'ncmd_deaths.csv'}}}\nlinkage: {{death_date_days: -1}}\n")
    result = run_cli("check", "--source", "ncmd", str(synthetic / "ncmd" / "ncmd_deaths.csv"), "--config", str(config))
    assert result.returncode == 2 and "linkage.death_date_days" in result.stderr


def test_cin_reports_the_reference_dates_its_checks_used(tmp_path: Path) -> None:
    """Each CIN file's header gives the reference date its checks use; a CLI date does not override it."""
    from .conftest import DATA

    result = run_cli("check", "--source", "cin", str(DATA / "CIN_Census_2021.xml"), str(DATA / "CIN_Census_2024.xml"),
                     "--reference-date", "2030-01-01", "--json", str(tmp_path / "cin.json"))  # fmt: skip
    assert result.returncode == 1, result.stderr
    report = json.loads((tmp_path / "cin.json").read_text())
    assert report["reference_date"] == "2024-03-31"
    assert report["reference_dates"] == {"CIN_Census_2021.xml": "2023-03-31"}
    assert "reference date 2024-03-31" in result.stdout
