"""Every injected defect is found, and no clean record is flagged, at several seeds."""

import json
from collections import defaultdict
from pathlib import Path

import pytest
from triangulate.canonical.registry import SourceOptions
from triangulate.pipeline.check import check_source
from triangulate.synth import SynthSpec, write_synthetic

REFERENCE = __import__("datetime").date(2023, 3, 31)


def expected_by_source(manifest: dict) -> dict[str, set[tuple[str, str]]]:
    expected: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for entry in manifest["defects"]:
        expected[entry["source"]].add((entry["check"], entry["record_id"]))
    return expected


def found(out: Path, kind: str, files: list[str]) -> set[tuple[str, str]]:
    checked = check_source(SourceOptions(kind, kind, tuple(out / f for f in files), reference_date=REFERENCE))
    assert not any(o.crashed for o in checked.result.outcomes)
    return {(o.check_id, rid) for o in checked.result.outcomes for rid in o.record_ids}


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_every_defect_found_and_nothing_else(tmp_path: Path, seed: int) -> None:
    manifest = write_synthetic(tmp_path, SynthSpec(seed=seed, years=2, children_per_year=1500, xlsx=(seed == 1)))
    expected = expected_by_source(manifest)
    for kind in ("cin", "ssda903", "ncmd", "csprp"):
        assert found(tmp_path, kind, manifest["files"][kind]) == expected[kind], kind
    if seed == 1:
        assert found(tmp_path, "ncmd", manifest["files"]["ncmd_xlsx"]) == expected["ncmd"]


def test_clean_synthetic_data_passes(tmp_path: Path) -> None:
    manifest = write_synthetic(tmp_path, SynthSpec(seed=3, years=1, children_per_year=1000, defects=False, xlsx=False))
    for kind in ("ssda903", "ncmd", "csprp"):
        assert found(tmp_path, kind, manifest["files"][kind]) == set(), kind
    cin = found(tmp_path, "cin", manifest["files"]["cin"])
    # Only the realistic scope findings: unborn children and 18+ care leavers closed with RC2.
    assert {check for check, _ in cin} == {"unborn.death", "age.over_17"}


def test_magnitudes_follow_the_domain_reference(tmp_path: Path) -> None:
    manifest = write_synthetic(tmp_path, SynthSpec(seed=5, years=1, children_per_year=500, defects=False, xlsx=False))
    assert 3300 <= manifest["counts"]["ncmd_deaths"] <= 3700
    cin = check_source(SourceOptions("cin", "cin", tuple(tmp_path / f for f in manifest["files"]["cin"])))
    assert 900 <= cin.result.deaths <= 1100  # RC2 closures a year
    unborn_or_adult = cin.result.outcome("unborn.death").failed + cin.result.outcome("age.over_17").failed
    assert 0.35 <= unborn_or_adult / cin.result.deaths <= 0.55
    lac = check_source(SourceOptions("lac", "ssda903", tuple(tmp_path / f for f in manifest["files"]["ssda903"])))
    assert 40 <= lac.result.deaths <= 60
    sins = json.loads((tmp_path / "manifest.json").read_text())["counts"]["csprp_notifications"]
    assert 350 <= sins <= 450
