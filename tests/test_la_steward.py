"""Issue 20: an LA data steward's release, with known truth.

One LA (Bradford) from `triangulate synth --la 380 --clean`: its CIN census (one file a year), its SSDA903 return, its
CSPRP notifications, and the NCMD's deaths for the area (which also holds a couple of neighbouring LAs' deaths a
year). Every source agrees; each test removes named records, so it knows exactly which deaths are missing where.
The manifest's `la` section is the truth: every one of the LA's deaths with its id in each source.

Contracts: tolerances are per geographic level (a single `{abs, rel}` applies to England and regions only; an LA
compares exactly unless the config gives `local authority:`); a death one record-level source has and the other
has no record of at all is a MISSING finding (`missing: error` by default, so exit 1; `warning` reports it); a
census is its LEA's figure, never England's; a year with no death is a true zero, not an empty comparison.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from .conftest import copy_of, one_error_line, run_cli

LA_OLD, LA_ONS, LA_NAME = "380", "E08000032", "Bradford"
# Seed 10 with 100 children gives Bradford, in 2020-21 to 2022-23: 4, 6 and 9 deaths of children in need; 0, 2 and 1
# looked-after deaths; 0, 1 and 0 on a protection plan (the fixtures check what each test needs of this).
SYNTH = ("--la", LA_OLD, "--seed", "10", "--years", "3", "--last-year", "2023", "--children", "100", "--clean", "--no-xlsx")
SOCIAL_CARE = ("LAC", "CPP", "CIN", "OTHER_KNOWN")  # the NCMD statuses cin_deaths counts


# --- the release, built once -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def la_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("la_steward")
    result = run_cli("synth", "--out", str(out), *SYNTH)
    assert result.returncode == 0, result.stderr
    assert f"{LA_NAME}'s synthetic data" in result.stdout
    return out


@pytest.fixture(scope="module")
def truth(la_release: Path) -> dict[str, Any]:
    return json.loads((la_release / "manifest.json").read_text(encoding="utf-8"))["la"]


@pytest.fixture(scope="module")
def clean_run(la_release: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    """`run` on the release as synth wrote it (every source agrees)."""
    folder = copy_of(la_release, tmp_path_factory.mktemp("clean_run"))
    return _run(folder, command="run")


def _run(folder: Path, *options: str, command: str = "reconcile") -> tuple[Any, dict[str, Any]]:
    """`reconcile` (or `run`, which also writes the HTML report) with JSON, JUnit and Markdown; returns the result and
    results.json (empty when none was written). Both gate on missing deaths; reconcile is the quicker."""
    out = folder / "out"
    if command == "run":
        args = ["run", str(folder / "release.yaml"), "--out", str(out)]
    else:
        args = ["reconcile", "--config", str(folder / "release.yaml")]
    args += ["--json", str(out / "results.json"), "--junit", str(out / "junit.xml"), "--summary-md", str(out / "summary.md")]
    result = run_cli(*args, "--jobs", "1", *options)
    assert "Traceback" not in result.stderr, result.stderr
    document = json.loads((out / "results.json").read_text(encoding="utf-8")) if (out / "results.json").exists() else {}
    return result, document


# --- editing the release -------------------------------------------------------------------------------------------------


def _drop_rows(path: Path, column: str, ids: Iterable[str]) -> int:
    """Remove the rows whose `column` is one of ids from a CSV extract; returns how many went."""
    ids = set(ids)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    kept = [row for row in rows if row[column] not in ids]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    return len(rows) - len(kept)


def _drop_from_ncmd(folder: Path, deaths: list[dict[str, Any]]) -> None:
    ids = [d["ncmd_case_id"] for d in deaths]
    assert _drop_rows(folder / "ncmd" / "ncmd_deaths.csv", "ncmd_case_id", ids) == len(ids)


def _drop_from_csprp(folder: Path, deaths: list[dict[str, Any]]) -> None:
    ids = [d["sin_id"] for d in deaths if d["sin_id"]]
    assert _drop_rows(folder / "csprp" / "sins.csv", "sin_id", ids) == len(ids)


def _drop_from_census(folder: Path, deaths: list[dict[str, Any]]) -> None:
    """Remove each death's Child element (by LAchildID) from the census files."""
    ids = {d["dfe_child_id"] for d in deaths}
    removed = 0
    for path in sorted(folder.glob("cin/*/*.xml")):
        tree = etree.parse(str(path))
        for child in tree.getroot().iter("Child"):
            if child.findtext("ChildIdentifiers/LAchildID") in ids:
                child.getparent().remove(child)
                removed += 1
        tree.write(str(path), xml_declaration=True, encoding="utf-8")
    assert removed == len(ids)


def _deaths(truth: dict[str, Any], year: str, **where: Any) -> list[dict[str, Any]]:
    return [d for d in truth["deaths"] if d["financial_year"] == year and all(d[k] == v for k, v in where.items())]


def _year_with(truth: dict[str, Any], key: str, wanted: int) -> str:
    years = [year for year, counts in truth["counts"].items() if counts[key] == wanted]
    assert years, f"the sample has no year with {wanted} {key}: {truth['counts']} (was synth changed? pick another seed)"
    return years[0]


def _shipped_measures() -> list[dict[str, Any]]:
    text = resources.files("triangulate.reconcile").joinpath("measures.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _set_config(folder: Path, **changes: Any) -> None:
    config = yaml.safe_load((folder / "release.yaml").read_text(encoding="utf-8"))
    config.update(changes)
    (folder / "release.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


# --- reading the results -----------------------------------------------------------------------------------------------


def _absent(document: dict[str, Any], **where: str) -> list[dict[str, Any]]:
    """The `missing` entries of deaths with no record at all in the other source (the gating kind)."""
    return [
        m for m in document.get("missing", []) if m.get("kind", "absent") == "absent" and all(m[k] == v for k, v in where.items())
    ]


def _missing_lines(stdout: str, measure: str, year: str) -> list[str]:
    """The console's MISSING lines of a measure and year at the LA (`MISSING (warning) ...` when a warning)."""
    lines = [line.strip() for line in stdout.splitlines()]
    return [line for line in lines if line.startswith("MISSING") and f" {measure} {year} {LA_NAME}" in line]


def _comparisons(document: dict[str, Any], measure: str, left: str, right: str) -> list[dict[str, Any]]:
    return [c for c in document["comparisons"] if c["measure"] == measure and (c["left"], c["right"]) == (left, right)]


def _exact(tolerance: dict[str, float]) -> bool:
    return tolerance.get("abs", 0) == 0 and tolerance.get("rel", 0) == 0


# --- synth --la ----------------------------------------------------------------------------------------------------------


def test_synth_la_writes_one_las_release_with_its_truth(la_release: Path, truth: dict[str, Any]) -> None:
    assert (truth["old_la_code"], truth["new_la_code"], truth["la_name"]) == (LA_OLD, LA_ONS, LA_NAME)
    census = sorted(la_release.glob("cin/*/*.xml"))
    assert len(census) == 3  # one file a year
    assert {etree.parse(str(p)).findtext("Header/Source/LEA") for p in census} == {LA_OLD}
    with (la_release / "ssda903" / "header.csv").open(encoding="utf-8") as handle:
        header = list(csv.DictReader(handle))
    assert header and {row["LA"] for row in header} == {LA_OLD}
    with (la_release / "ncmd" / "ncmd_deaths.csv").open(encoding="utf-8") as handle:
        ncmd = list(csv.DictReader(handle))
    with (la_release / "csprp" / "sins.csv").open(encoding="utf-8") as handle:
        csprp = list(csv.DictReader(handle))
    assert csprp and {row["la_code"] for row in csprp} == {LA_ONS}
    neighbours = {n["ncmd_case_id"] for n in truth["neighbour_deaths"]}
    assert {row["ncmd_case_id"] for row in ncmd if row["la_code"] != LA_ONS} == neighbours
    assert len(neighbours) <= 2 * 3 and any(n["status"] in SOCIAL_CARE for n in truth["neighbour_deaths"])
    # A few deaths a year, as an LA has; the truth is what the files hold.
    for year, counts in truth["counts"].items():
        assert 0 < counts["children_in_need"] < 30 and counts["looked_after"] <= 5, (year, counts)
    assert {row["ncmd_case_id"] for row in ncmd if row["la_code"] == LA_ONS} == {d["ncmd_case_id"] for d in truth["deaths"]}
    in_census = set()
    for path in census:
        in_census |= {c.findtext("ChildIdentifiers/LAchildID") for c in etree.parse(str(path)).getroot().iter("Child")
                      if c.findtext("ChildIdentifiers/PersonDeathDate")}  # fmt: skip
    assert {d["dfe_child_id"] for d in truth["deaths"] if d["in_cin_census"]} <= in_census
    with (la_release / "ssda903" / "episodes.csv").open(encoding="utf-8") as handle:
        died = {row["CHILD"] for row in csv.DictReader(handle) if row["REC"] == "E2"}
    assert died == {d["dfe_child_id"] for d in truth["deaths"] if d["in_ssda903"]}
    assert {d["sin_id"] for d in truth["deaths"] if d["sin_id"]} <= {row["sin_id"] for row in csprp}
    config = yaml.safe_load((la_release / "release.yaml").read_text(encoding="utf-8"))
    assert config["sources"]["dfe_cla"]["la_code"] == LA_ONS and "la_code" not in config["sources"]["ncmd"]
    assert not (la_release / "published").exists()


def test_synth_la_takes_an_ons_code_too(tmp_path: Path) -> None:
    result = run_cli(
        "synth", "--out", str(tmp_path), "--la", LA_ONS, "--seed", "3", "--years", "1", "--children", "50", "--no-xlsx"
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["la"]["old_la_code"] == LA_OLD
    assert manifest["defects"] and manifest["discrepancies"]  # without --clean: the LA's own defects and discrepancies


@pytest.mark.parametrize("code", ["999", "E08999999", "Bradford", ""])
def test_synth_la_refuses_an_unknown_code(tmp_path: Path, code: str) -> None:
    out = tmp_path / "out"
    line = one_error_line(run_cli("synth", "--out", str(out), "--la", code))
    assert "--la" in line and repr(code) in line
    assert not out.exists()


# --- (d) and the clean release -------------------------------------------------------------------------------------------


def test_clean_release_passes_with_the_las_comparisons_only(clean_run: tuple[Any, dict[str, Any]], truth: dict[str, Any]) -> None:
    """(d) The one-LA census beside an area NCMD extract holding other LAs' deaths: the census is compared at its LEA
    only (never as England's or a region's figure), and no other LA's death is missing from it."""
    result, document = clean_run
    assert result.returncode == 0, result.stdout + result.stderr
    assert document["passed"] is True and document["summary"]["missing_deaths"] == 0
    assert "EMPTY" not in result.stdout and "MISSING" not in result.stdout
    assert not document["empty_comparisons"] and not _absent(document)
    one_la = ("dfe_cin", "dfe_cla", "csprp")
    compared = [c for c in document["comparisons"] if {c["left"], c["right"]} & set(one_la)]
    assert compared and {c["geography"] for c in compared} == {LA_ONS}
    assert {"dfe_cin", "dfe_cla"} <= {name for c in compared for name in (c["left"], c["right"])}
    for c in compared:  # an LA's comparison is exact: none of the shipped measures gives `local authority:` a tolerance
        assert _exact(c["tolerance"]) and c["status"] == "agree", c
    neighbours = {n["ncmd_case_id"] for n in truth["neighbour_deaths"]}
    listed = {i for m in document.get("missing", []) for i in m["record_ids"]}
    listed |= {i for u in document["unmatched"] if {u["left"], u["right"]} & set(one_la)
               for side in ("only_left", "only_right") for i in u[side]}  # fmt: skip
    assert not listed & neighbours


# --- (a) and (b): deaths missing from NCMD -------------------------------------------------------------------------------


def _without_looked_after_deaths(la_release: Path, truth: dict[str, Any], folder: Path) -> tuple[str, list[str]]:
    """The release with both of a year's looked-after deaths removed from the NCMD extract: (year, their CHILD ids)."""
    copy_of(la_release, folder)
    year = _year_with(truth, "looked_after", 2)
    gone = _deaths(truth, year, in_ssda903=True)
    _drop_from_ncmd(folder, gone)
    return year, sorted(d["dfe_child_id"] for d in gone)


def test_a_both_looked_after_deaths_missing_from_ncmd_fail_by_name(
    la_release: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    year, ids = _without_looked_after_deaths(la_release, truth, tmp_path)
    result, document = _run(tmp_path, command="run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert document["passed"] is False
    lines = _missing_lines(result.stdout, "lac_deaths", year)
    for child in ids:
        assert any(child in line and "dfe_cla" in line and "no record in ncmd" in line for line in lines), result.stdout
    found = _absent(document, measure="lac_deaths", source="dfe_cla", absent_from="ncmd")
    assert found and {m["period_label"] for m in found} == {year}
    assert {m["geography"] for m in found} == {LA_ONS} and {m["severity"] for m in found} == {"error"}
    assert sorted(i for m in found for i in m["record_ids"]) == ids
    for m in found:
        assert {"measure", "period", "period_label", "geography", "source", "absent_from", "record_ids", "severity"} <= set(m)
    # A looked-after child is a child in need too: the census's records of them are missing from NCMD as well.
    also = _absent(document, measure="cin_deaths", source="dfe_cin", absent_from="ncmd")
    assert sorted(i for m in also for i in m["record_ids"]) == ids
    assert len(ids) <= document["summary"]["missing_deaths"] <= sum(len(m["record_ids"]) for m in _absent(document))
    # The count comparison at the LA is exact too (a national tolerance of 2 would have passed this).
    at_la = [c for c in _comparisons(document, "lac_deaths", "ncmd", "dfe_cla") if c["period_label"] == year]
    assert [(c["geography"], c["left_value"], c["right_value"], c["status"]) for c in at_la] == [
        (LA_ONS, [0, 0], [2, 2], "discrepancy")
    ]
    assert _exact(at_la[0]["tolerance"])


def test_b_one_of_several_children_in_need_deaths_missing_from_ncmd_fails_by_name(
    la_release: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    copy_of(la_release, tmp_path)
    year = max(truth["counts"], key=lambda y: truth["counts"][y]["children_in_need"])
    many = truth["counts"][year]["children_in_need"]
    assert many >= 5, truth["counts"]
    candidates = [d for d in _deaths(truth, year, in_cin_census=True) if d["status"] in ("CIN", "OTHER_KNOWN")]
    assert candidates
    gone = candidates[0]
    _drop_from_ncmd(tmp_path, [gone])
    result, document = _run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert document["passed"] is False
    lines = _missing_lines(result.stdout, "cin_deaths", year)
    assert any(gone["dfe_child_id"] in line and "1 death in dfe_cin has no record in ncmd" in line for line in lines), (
        result.stdout
    )
    found = _absent(document, measure="cin_deaths")
    assert [
        (m["source"], m["absent_from"], m["geography"], m["period_label"], m["record_ids"], m["severity"]) for m in found
    ] == [("dfe_cin", "ncmd", LA_ONS, year, [gone["dfe_child_id"]], "error")]
    assert document["summary"]["missing_deaths"] == 1
    assert not _absent(document, measure="lac_deaths") and not _absent(document, measure="cpp_deaths")
    at_la = [c for c in _comparisons(document, "cin_deaths", "ncmd", "dfe_cin") if c["period_label"] == year]
    assert [(c["left_value"], c["right_value"], c["status"]) for c in at_la] == [([many - 1] * 2, [many] * 2, "discrepancy")]


def test_counts_that_agree_still_fail_when_a_death_is_missing_from_each(
    la_release: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    """NCMD lacks one of the LA's looked-after deaths and has another child's instead: 2 against 2 agrees, and each
    death with no record in the other source still fails the run (`missing: error`, whatever the count says)."""
    copy_of(la_release, tmp_path)
    year = _year_with(truth, "looked_after", 2)
    swapped = _deaths(truth, year, in_ssda903=True)[0]
    path = tmp_path / "ncmd" / "ncmd_deaths.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["ncmd_case_id"] == swapped["ncmd_case_id"])
    _drop_from_ncmd(tmp_path, [swapped])
    born = dt.date.fromisoformat(row["date_of_birth"])  # another child: born a year earlier, no shared id
    earlier = born.replace(year=born.year - 1, day=min(born.day, 28))
    stranger = row | {"ncmd_case_id": "N9999999", "child_id": "", "date_of_birth": earlier.isoformat()}
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(row)).writerow(stranger)
    result, document = _run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    at_la = [c for c in _comparisons(document, "lac_deaths", "ncmd", "dfe_cla") if c["period_label"] == year]
    assert [(c["left_value"], c["right_value"], c["status"]) for c in at_la] == [([2, 2], [2, 2], "agree")]
    assert [m["record_ids"] for m in _absent(document, measure="lac_deaths", source="dfe_cla", absent_from="ncmd")] == [
        [swapped["dfe_child_id"]]
    ]
    assert [m["record_ids"] for m in _absent(document, measure="lac_deaths", source="ncmd", absent_from="dfe_cla")] == [
        ["N9999999"]
    ]
    lines = _missing_lines(result.stdout, "lac_deaths", year)
    assert any(swapped["dfe_child_id"] in line for line in lines) and any("N9999999" in line for line in lines), result.stdout


# --- (c) a year with no death on a protection plan -----------------------------------------------------------------------


@pytest.mark.parametrize("edit", ["as generated", "every plan death removed"])
def test_c_a_year_with_no_protection_plan_death_is_zero_against_zero(
    la_release: Path, truth: dict[str, Any], clean_run: tuple[Any, dict[str, Any]], tmp_path: Path, edit: str
) -> None:
    """No death on a plan in a year is an ordinary true zero for one LA: compared 0 against 0, never EMPTY."""
    if edit == "as generated":
        result, document = clean_run
        none = [year for year, counts in truth["counts"].items() if counts["cpp"] == 0]
        assert none and len(none) < len(truth["counts"])  # some years have none, others one
    else:  # no source has a death on a plan in any year: the measure has nothing but zeros
        copy_of(la_release, tmp_path)
        plans = [d for d in truth["deaths"] if d["cpp_at_death"]]
        assert plans
        _drop_from_ncmd(tmp_path, plans)
        _drop_from_census(tmp_path, plans)
        _drop_from_csprp(tmp_path, plans)
        result, document = _run(tmp_path)
        none = list(truth["counts"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "EMPTY" not in result.stdout and "MISSING" not in result.stdout
    assert not [e for e in document["empty_comparisons"] if e["measure"] == "cpp_deaths"]
    compared = _comparisons(document, "cpp_deaths", "ncmd", "dfe_cin")
    assert {c["period_label"] for c in compared} == set(truth["counts"])  # every census year, zero or not
    for c in compared:
        assert c["geography"] == LA_ONS and c["status"] == "agree", c
        if c["period_label"] in none:
            assert c["left_value"] == c["right_value"] == [0, 0], c


# --- (e) a census of no known LA -----------------------------------------------------------------------------------------


def test_e_a_census_whose_lea_is_unknown_is_one_line_exit_2(la_release: Path, tmp_path: Path) -> None:
    copy_of(la_release, tmp_path)
    census = sorted(tmp_path.glob("cin/*/*.xml"))[1]
    text = census.read_text(encoding="utf-8")
    assert f"<LEA>{LA_OLD}</LEA>" in text
    census.write_text(text.replace(f"<LEA>{LA_OLD}</LEA>", "<LEA>999</LEA>"), encoding="utf-8")
    result = run_cli("run", str(tmp_path / "release.yaml"), "--out", str(tmp_path / "out"))
    line = one_error_line(result)
    assert census.name in line and "999" in line, line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no output written


# --- (f) missing: warning ------------------------------------------------------------------------------------------------


def test_f_missing_warning_reports_the_deaths_and_passes(la_release: Path, truth: dict[str, Any], tmp_path: Path) -> None:
    """`missing: warning` lists the absent deaths without failing. The LA's count comparisons are exact by default, so
    this config also lets the LA's NCMD count differ by 2 (`local authority: {abs: 2}`); both are needed to pass."""
    year, ids = _without_looked_after_deaths(la_release, truth, tmp_path)
    measures = _shipped_measures()
    for measure in measures:
        if measure["id"] in ("lac_deaths", "cin_deaths"):
            measure["missing"] = "warning"
            for compare in measure["compare"]:
                if compare["left"] == "ncmd":
                    compare["tolerance"] = {"national": {"abs": 2, "rel": 0.1}, "local authority": {"abs": 2}}
    _set_config(tmp_path, measures=measures)
    result, document = _run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert document["passed"] is True
    lines = _missing_lines(result.stdout, "lac_deaths", year)
    for child in ids:
        assert any(child in line and "no record in ncmd" in line for line in lines), result.stdout
    found = _absent(document, measure="lac_deaths", source="dfe_cla", absent_from="ncmd")
    assert sorted(i for m in found for i in m["record_ids"]) == ids and {m["severity"] for m in found} == {"warning"}
    assert document["summary"]["missing_deaths"] >= len(ids)
    at_la = [c for c in _comparisons(document, "lac_deaths", "ncmd", "dfe_cla") if c["period_label"] == year]
    assert [(c["status"], c["tolerance"].get("abs")) for c in at_la] == [("within_tolerance", 2)]


# --- (g) --publish -------------------------------------------------------------------------------------------------------


def test_g_under_publish_no_record_id_is_shown_but_the_missing_deaths_still_fail(
    la_release: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    year, ids = _without_looked_after_deaths(la_release, truth, tmp_path)
    result, document = _run(tmp_path, "--publish", command="run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert document["passed"] is False
    assert _missing_lines(result.stdout, "lac_deaths", year), result.stdout  # the finding is shown, without its ids
    assert _absent(document, measure="lac_deaths", source="dfe_cla", absent_from="ncmd")
    every_id = {d["dfe_child_id"] for d in truth["deaths"] if d["dfe_child_id"]} | {d["ncmd_case_id"] for d in truth["deaths"]}
    every_id |= {n["ncmd_case_id"] for n in truth["neighbour_deaths"]}
    assert set(ids) <= every_id
    outputs = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir() if p.is_file()}
    assert {"results.json", "junit.xml", "summary.md", "report.html"} <= set(outputs)
    outputs |= {"stdout": result.stdout, "stderr": result.stderr}
    for name, text in outputs.items():
        leaked = sorted(i for i in every_id if i in text)
        assert not leaked, f"{name} shows record ids {leaked[:3]}"


# --- tolerances by level -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tolerance", "status", "exit_code"),
    [
        ({"abs": 5, "rel": 0.5}, "discrepancy", 1),  # England's tolerance: not the LA's, which compares exactly
        ({"national": {"abs": 5, "rel": 0.5}, "local authority": {"abs": 1}}, "within_tolerance", 0),
    ],
)
def test_a_single_tolerance_is_national_and_an_la_compares_exactly_unless_given_its_own(
    la_release: Path, truth: dict[str, Any], tmp_path: Path, tolerance: dict[str, Any], status: str, exit_code: int
) -> None:
    copy_of(la_release, tmp_path)
    year = _year_with(truth, "looked_after", 2)
    _drop_from_ncmd(tmp_path, _deaths(truth, year, in_ssda903=True)[:1])  # one looked-after death of two
    lac = next(m for m in _shipped_measures() if m["id"] == "lac_deaths")
    lac["missing"] = "warning"  # only the count comparison gates here
    for compare in lac["compare"]:
        if compare["left"] == "ncmd":
            compare["tolerance"] = tolerance
    _set_config(tmp_path, measures=[lac])
    result, document = _run(tmp_path)
    assert result.returncode == exit_code, result.stdout + result.stderr
    at_la = [c for c in _comparisons(document, "lac_deaths", "ncmd", "dfe_cla") if c["period_label"] == year]
    assert [(c["geography"], c["left_value"], c["right_value"], c["status"]) for c in at_la] == [(LA_ONS, [1, 1], [2, 2], status)]
    applied = at_la[0]["tolerance"]
    assert applied.get("abs", 0) == (0 if "abs" in tolerance else 1) and applied.get("rel", 0) == 0
