"""SARIF 2.1.0 (issue 24, point 4): one result per failing finding of the gate, keyed by the finding's key, each record
at its file and line, acknowledged findings suppressed (changed or expired ones not), and `--redact`/`--publish`
applied. Every document is validated against the vendored OASIS schema (tests/data/sarif), offline."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import json
import re
from pathlib import Path, PurePath
from typing import Any

import pytest
import yaml
from jsonschema.validators import validator_for
from referencing import Registry
from triangulate.domain.acknowledgements import Acknowledged, Acknowledgement, AckStatus
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.missing import EmptyComparison, MissingDeaths
from triangulate.model.reconciliation import ReconcileResult
from triangulate.model.release import Provenance, Release
from triangulate.reports.disclosure import Disclosure, disclose
from triangulate.reports.sarif import FINGERPRINT, MAX_LOCATIONS, render_sarif

from .conftest import run_cli

SCHEMA_DIR = Path(__file__).parent / "data" / "sarif"
REDACT_KEY = "sarif-test-key-" + "k" * 17
REASON, OWNER = "Known: CSPRP notifications lag the DfE return.", "LAC statistics team"
FAILING = {"failed", "crashed", "discrepancy", "empty"}


@functools.cache
def _validator() -> Any:
    schema = json.loads((SCHEMA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = validator_for(schema)  # draft-04, as the file's $schema says
    cls.check_schema(schema)
    return cls(schema, registry=Registry())  # retrieves nothing: a $ref out of the file would fail, never be fetched


def _valid(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(doc)]
    assert not errors, errors[:5]
    return doc


def _results(doc: dict[str, Any]) -> list[dict[str, Any]]:
    (run,) = doc["runs"]
    return run["results"]


def _by_key(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["partialFingerprints"][FINGERPRINT]: r for r in _results(doc)}


def _ran(*args: str, code: int = 1, cwd: Path, env: dict[str, str] | None = None) -> None:
    result = run_cli(*args, *(("--jobs", "1") if args[0] != "acknowledge" else ()), cwd=cwd, env=env)
    assert result.returncode == code, result.stdout[-2000:] + result.stderr


# --- runs of the synthetic sample (the session's; read only, run from its folder so paths are relative) ---------


@pytest.fixture(scope="module")
def plain(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """A failing `reconcile`: (results.json, SARIF, the folder written to)."""
    out = tmp_path_factory.mktemp("sarif-plain")
    _ran("reconcile", "--config", "release.yaml", "--json", str(out / "r.json"), "--sarif", str(out / "r.sarif"), cwd=synthetic)
    return json.loads((out / "r.json").read_text()), _valid((out / "r.sarif").read_text()), out


@pytest.fixture(scope="module")
def redacted_check(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A failing `check --source ncmd --redact`: (results.json, SARIF, its text)."""
    out = tmp_path_factory.mktemp("sarif-check")
    _ran("check", "--source", "ncmd", "ncmd/ncmd_deaths.csv", "--reference-date", "2023-03-31", "--redact",
         "--json", str(out / "c.json"), "--sarif", str(out / "c.sarif"), cwd=synthetic, env={"TRIANGULATE_REDACT_KEY": REDACT_KEY})  # fmt: skip
    text = (out / "c.sarif").read_text()
    return json.loads((out / "c.json").read_text()), _valid(text), text


@pytest.fixture(scope="module")
def acknowledged(synthetic: Path, plain) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """`plain` acknowledged, then the first entry's evidence edited (changed) and the second's expiry passed
    (expired): (results.json, SARIF, the entries as edited)."""
    _, _, out = plain
    acks = out / "acks.yaml"
    _ran("acknowledge", str(out / "r.json"), "--reason", REASON, "--owner", OWNER, "--expires", "2099-12-31",
         "--file", str(acks), code=0, cwd=synthetic)  # fmt: skip
    entries = yaml.safe_load(acks.read_text())
    entries[0]["evidence"]["left"] += 7
    entries[1]["expires"] = dt.date(2020, 1, 1)
    acks.write_text(yaml.safe_dump(entries, sort_keys=False))
    _ran("reconcile", "--config", "release.yaml", "--acknowledgements", str(acks), "--json", str(out / "a.json"),
         "--sarif", str(out / "a.sarif"), cwd=synthetic)  # fmt: skip
    return json.loads((out / "a.json").read_text()), _valid((out / "a.sarif").read_text()), entries


@pytest.fixture(scope="module")
def published(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """`run --publish` with a SARIF asked for by name: every source's checks and the comparisons, for publication."""
    out = tmp_path_factory.mktemp("sarif-publish")
    _ran("run", "release.yaml", "--out", str(out / "out"), "--publish", "--sarif", str(out / "p.sarif"), cwd=synthetic)
    text = (out / "p.sarif").read_text()
    return _valid(text), text


def _failing_keys(results: dict[str, Any], sources: list[dict[str, Any]]) -> list[str]:
    """The keys SARIF must have, read from results.json: checks of `sources`, then discrepancies, deaths with no
    record, empty comparisons (the order every output lists them)."""
    keys = [c["key"] for s in sources for c in s["checks"] if c["status"] in FAILING]
    keys += [c["key"] for c in results.get("comparisons", []) if c["status"] == "discrepancy"]
    keys += [m["key"] for m in results.get("missing", []) if m["status"] == "failed"]
    return keys + [e["key"] for e in results.get("empty_comparisons", [])]


# --- reconcile and check -----------------------------------------------------------------------------------------


def test_reconcile_sarif_has_one_result_per_failing_finding_of_its_gate(plain) -> None:
    results, doc, _ = plain
    (run,) = doc["runs"]
    published = [s for s in results["sources"] if s["source"] == "published"]  # `reconcile` gates on these alone
    expected = _failing_keys(results, published)
    assert [r["partialFingerprints"][FINGERPRINT] for r in run["results"]] == expected
    assert len(expected) == len(results["blocking"]) and set(expected) == set(results["blocking"])
    record_failures = {c["id"] for s in results["sources"] if s["source"] != "published" for c in s["checks"] if c["status"] == "failed"}
    assert record_failures and not record_failures & {r["ruleId"] for r in run["results"]}  # not this command's findings
    measures = {c["key"]: c["measure"] for c in [*results["comparisons"], *results["missing"]]}
    for result in run["results"]:
        key = result["partialFingerprints"][FINGERPRINT]
        assert result["ruleId"] == f"{key.split('/')[0]}/{measures[key]}"
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error" and result["properties"] == {"key": key, "status": result["properties"]["status"], "blocks": True}
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "release.yaml"  # located at the run config, relative to where the run was started
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(dict.fromkeys(r["ruleId"] for r in run["results"]))
    assert run["tool"]["driver"]["version"] == results["tool"]["version"] and run["properties"]["passed"] is False
    assert run["invocations"] == [{"executionSuccessful": True, "startTimeUtc": results["run_at"].replace("+00:00", "Z")}]


def test_reconcile_sarif_says_both_values_and_names_the_missing_deaths(plain) -> None:
    results, doc, _ = plain
    found = _by_key(doc)
    for comparison in (c for c in results["comparisons"] if c["status"] == "discrepancy"):
        text = found[comparison["key"]]["message"]["text"]
        left, right = comparison["evidence"]["left"], comparison["evidence"]["right"]
        assert f"{comparison['left']} {left:,}, {comparison['right']} {right:,}" in text, text
    gaps = [m for m in results["missing"] if m["status"] == "failed"]
    assert gaps
    for gap in gaps:
        names = [n["name"] for loc in found[gap["key"]]["locations"] for n in loc.get("logicalLocations", [])]
        assert names == gap["record_ids"]


def test_check_sarif_places_each_failing_record_at_its_file_and_line(redacted_check) -> None:
    results, doc, _ = redacted_check
    checks = {c["key"]: c for c in results["checks"]}
    assert [r["partialFingerprints"][FINGERPRINT] for r in _results(doc)] == _failing_keys(results, [results])
    assert len(_results(doc)) >= 5
    for result in _results(doc):
        check = checks[result["partialFingerprints"][FINGERPRINT]]
        placed = [loc["physicalLocation"] for loc in result["locations"] if "physicalLocation" in loc]
        assert {p["artifactLocation"]["uri"] for p in placed} == {"ncmd/ncmd_deaths.csv"}
        assert [f"{PurePath(p['artifactLocation']['uri']).name}:{p['region']['startLine']}" for p in placed] == check["locations"]
        assert all(p["region"]["startLine"] > 1 for p in placed)  # a record's own line, not the file as a whole
        if len(check["locations"]) == len(check["record_ids"]):  # one record a row: each named, as disclosed
            assert [loc["logicalLocations"][0]["name"] for loc in result["locations"]] == check["record_ids"]
        assert result["ruleId"] == check["id"] and result["level"] == check["severity"]
        assert f"ncmd: {check['failed']:,} " in result["message"]["text"]


def test_redact_leaves_no_clear_record_id_anywhere(synthetic: Path, redacted_check) -> None:
    _, doc, text = redacted_check
    with (synthetic / "ncmd" / "ncmd_deaths.csv").open(newline="", encoding="utf-8") as handle:
        clear = {row[name] for row in csv.DictReader(handle) for name in ("ncmd_case_id", "child_id") if row[name]}
    assert "XN-NOsex-1" in clear  # a failing record's id: the set holds what would leak
    assert not [record_id for record_id in clear if record_id in text]
    names = [n["name"] for r in _results(doc) for loc in r["locations"] for n in loc.get("logicalLocations", []) if n["kind"] == "record"]
    assert names and all(re.fullmatch(r"h-[0-9a-f]{16}", name) for name in names)
    assert Disclosure(REDACT_KEY.encode()).record_id("XN-NOsex-1") in names


# --- acknowledgements ------------------------------------------------------------------------------------------


def test_acknowledged_findings_are_suppressed_and_changed_or_expired_ones_are_not(plain, acknowledged) -> None:
    _, first, _ = plain
    results, doc, entries = acknowledged
    found = _by_key(doc)
    assert list(found) == list(_by_key(first))  # an acknowledged finding is still a result
    status = results["acknowledgements"]
    assert status["changed"] == [entries[0]["key"]] and status["expired"] == [entries[1]["key"]] and len(status["acknowledged"]) >= 5
    for key in status["acknowledged"]:
        (suppression,) = found[key]["suppressions"]
        assert {k: suppression[k] for k in ("kind", "status", "justification")} == {"kind": "external", "status": "accepted", "justification": REASON}
        assert suppression["properties"] == {"owner": OWNER, "acknowledged_on": dt.date.today().isoformat(), "expires": "2099-12-31"}
        assert found[key]["properties"]["blocks"] is False and "Acknowledged, until 2099-12-31" in found[key]["message"]["text"]
    changed, expired = found[entries[0]["key"]], found[entries[1]["key"]]
    assert "suppressions" not in changed and "suppressions" not in expired
    assert changed["properties"]["blocks"] is True and expired["properties"]["blocks"] is True
    was, now = entries[0]["evidence"], changed["properties"]["acknowledgement"]["evidence_now"]
    assert f"from {{left: {was['left']}, right: {was['right']}}} to {{left: {now['left']}, right: {now['right']}}}" in changed["message"]["text"]
    assert "expired on 2020-01-01" in expired["message"]["text"]
    assert doc["runs"][0]["properties"]["passed"] is False


# --- publication -----------------------------------------------------------------------------------------------


def test_publish_shows_no_record_id_no_file_line_and_no_small_count(plain, published) -> None:
    results, _, _ = plain
    doc, text = published
    ids = {i for s in results["sources"] for c in s["checks"] for i in c["record_ids"]} | {i for m in results["missing"] for i in m["record_ids"]}
    assert "XN-NOsex-1" in ids and not [i for i in ids if i in text]
    assert not re.search(r"\.(csv|xml|xlsx)(![^:\"]*)?:[0-9]", text)  # no file:line, as the plain run has
    every = [loc for r in _results(doc) for loc in r["locations"]]
    assert every and all(set(loc) == {"physicalLocation"} and loc["physicalLocation"]["region"] == {"startLine": 1} for loc in every)
    assert not re.search(r"\b[1-5] (record|death)s?\b", text) and '"evidence' not in text
    checks = {c["key"]: c for s in results["sources"] for c in s["checks"]}
    found = _by_key(doc)
    small = [k for k, c in checks.items() if k in found and 0 < c["failed"] < 6 and c.get("level", "record") != "cell"]
    assert small and all(": c records" in found[k]["message"]["text"] or ": c deaths" in found[k]["message"]["text"] for k in small)
    shown = 0
    for comparison in (c for c in results["comparisons"] if c["status"] == "discrepancy"):
        for side in ("left", "right"):
            if 0 < comparison["evidence"][side] < 6:
                assert f"{comparison[side]} c" in found[comparison["key"]]["message"]["text"]
                shown += 1
    assert shown  # the sample's discrepancies include small counts, each withheld


def test_publish_locates_a_check_at_its_source_files(plain, published) -> None:
    results, _, _ = plain
    doc, _ = published
    files = {s["name"]: {f["path"] for f in s["files"]} for s in results["sources"]}
    checks = {c["key"]: s["name"] for s in results["sources"] for c in s["checks"]}
    located = [r for r in _results(doc) if r["partialFingerprints"][FINGERPRINT] in checks]
    assert {checks[r["partialFingerprints"][FINGERPRINT]] for r in located} >= {"ncmd", "csprp", "dfe_cla", "dfe_cin"}
    for result in located:
        uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]}
        assert uris == files[checks[result["partialFingerprints"][FINGERPRINT]]]


# --- the renderer on releases made by hand -----------------------------------------------------------------------

RUN_AT = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)


def _release(*sources: SourceResult, command: str = "check") -> Release:
    files = tuple((s.name, f) for s in sources for f in s.files)
    return Release(command, sources, None, Provenance(RUN_AT, dt.date(2023, 3, 31), "release.yaml", "", files, (("triangulate", "9.9"),)))


def _source(name: str, *outcomes: CheckOutcome, files: tuple[str, ...] = ("data/deaths.csv",), published: bool = False) -> SourceResult:
    return SourceResult(name, "published" if published else "ncmd", 5000, 900, dt.date(2023, 3, 31),
                        tuple(InputFile(p, 1, "0" * 64) for p in files), outcomes, published=published)  # fmt: skip


def test_locations_are_bounded_and_the_message_says_how_many_more() -> None:
    many = 1_234
    outcome = CheckOutcome("missing.sex", "error", "required field left blank: sex", many,
                           tuple(f"N{i}" for i in range(many)), tuple(f"deaths.csv:{i + 2}" for i in range(many)))  # fmt: skip
    (result,) = _results(_valid(render_sarif(_release(_source("ncmd", outcome)))))
    assert len(result["locations"]) == MAX_LOCATIONS
    assert result["locations"][-1]["physicalLocation"]["region"]["startLine"] == MAX_LOCATIONS + 1
    assert f"{many - MAX_LOCATIONS} more locations" in result["message"]["text"]


def test_sheets_element_paths_repeated_records_and_shared_file_names() -> None:
    outcome = CheckOutcome("duplicate.record", "warning", "record id repeated", 2, ("A1", "B2"),
                           ("book.xlsx!Deaths:5", "cin.xml:7 /Message/Children/Child[2]", "same.csv:9"))  # fmt: skip
    source = _source("src", outcome, files=("in/book.xlsx", "in/cin.xml", "a/same.csv", "b/same.csv"))
    (result,) = _results(_valid(render_sarif(_release(source))))
    assert result["level"] == "warning"
    placed = [loc for loc in result["locations"] if "physicalLocation" in loc]
    assert [(p["physicalLocation"]["artifactLocation"]["uri"], p["physicalLocation"]["region"]["startLine"]) for p in placed] == [
        ("in/book.xlsx", 5), ("in/cin.xml", 7), ("same.csv", 9)]  # fmt: skip  (two files are same.csv: not guessed)
    assert placed[0]["logicalLocations"] == [{"name": "Deaths", "kind": "sheet"}]
    assert placed[1]["logicalLocations"] == [{"fullyQualifiedName": "/Message/Children/Child[2]", "kind": "element"}]
    # Three rows, two records: no row is named by a record, and each record is named once.
    named = [loc["logicalLocations"] for loc in result["locations"] if "physicalLocation" not in loc]
    assert named == [[{"name": "A1", "kind": "record"}], [{"name": "B2", "kind": "record"}]]


def test_paths_become_relative_uris_where_they_can_and_names_stay_printable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path / "..")
    inside, outside = tmp_path / "in put" / "deaths.csv", Path("/elsewhere/deaths 2.csv")
    outcome = CheckOutcome("missing.sex", "error", "blank", 2, ("N\u202e1", "N2"), ("deaths.csv:2", "deaths 2.csv:3"))
    source = _source("nc\x1bmd", outcome, files=(str(inside), str(outside)))
    text = render_sarif(_release(source))
    (result,) = _results(_valid(text))
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]]
    assert uris == [f"{tmp_path.name}/in%20put/deaths.csv", "file:///elsewhere/deaths%202.csv"]
    assert result["locations"][0]["logicalLocations"][0]["name"] == "N\\u202e1"  # a bidi override shown, not obeyed
    assert result["message"]["text"].startswith("nc\\x1bmd: ") and "\\u001b" not in text


def test_reconcile_gates_on_published_tables_and_a_crash_is_an_error() -> None:
    record = _source("ncmd", CheckOutcome("missing.sex", "error", "blank", 2, ("N1", "N2"), ("deaths.csv:2", "deaths.csv:3")))
    table = _source("dfe_pub", CheckOutcome("published.rounding", "warning", "not rounded", 0, crashed=True, detail="ValueError"),
                    CheckOutcome("published.incoherent", "error", "parts", 0, not_run="no whole"), published=True)  # fmt: skip
    (crash,) = _results(_valid(render_sarif(_release(record, table, command="reconcile"))))
    assert crash["ruleId"] == "published.rounding" and crash["level"] == "error"  # a crash proves nothing: it blocks
    assert "crashed (ValueError)" in crash["message"]["text"] and crash["properties"]["blocks"] is True
    assert [r["ruleId"] for r in _results(_valid(render_sarif(_release(record, table, command="run"))))] == ["missing.sex", "published.rounding"]


def test_a_comparison_that_compared_nothing_and_missing_deaths_without_a_config() -> None:
    empty = EmptyComparison("lac_deaths", "csprp", "dfe_cla", "the sources share no period", allowed=True)
    absent = MissingDeaths("lac_deaths", "2022-04-01/2023-03-31", "2022-23", "E06000001", "dfe_cla", "ncmd", "absent", ("C1",), "warning")
    elsewhere = MissingDeaths("lac_deaths", "2022-04-01/2023-03-31", "2022-23", "E06000001", "dfe_cla", "ncmd", "other_period", ("C2",), "note")
    release = Release("reconcile", (_source("ncmd"),), ReconcileResult(empty=(empty,), missing=(absent, elsewhere)),
                      _release(_source("ncmd")).provenance)  # fmt: skip  (no run config: config_path is empty)
    found = _results(_valid(render_sarif(release)))
    assert [r["ruleId"] for r in found] == ["missing/lac_deaths", "empty/lac_deaths"]  # a death found elsewhere passes
    assert [r["level"] for r in found] == ["warning", "warning"] and not any(r["properties"]["blocks"] for r in found)
    gap, nothing = found
    assert gap["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "data/deaths.csv"
    assert gap["locations"][1] == {"logicalLocations": [{"name": "C1", "kind": "record"}]}
    assert "1 death in dfe_cla has no record in ncmd" in gap["message"]["text"]
    assert nothing["message"]["text"] == "lac_deaths: csprp with dfe_cla compared nothing: the sources share no period."


def _acknowledgement(status: AckStatus, failed_now: int) -> Acknowledged:
    entry = Acknowledgement("check/ncmd/missing.sex", {"failed": 2, "records": "sha256:" + "a" * 64}, REASON, OWNER,
                            dt.date(2024, 4, 1), dt.date(2024, 12, 31))  # fmt: skip
    return Acknowledged(status, entry, {"failed": failed_now, "records": "sha256:" + "b" * 64})


def test_a_changed_check_shows_both_evidences_except_for_publication() -> None:
    ids, where = ("N1", "N2", "N3"), ("deaths.csv:2", "deaths.csv:3", "deaths.csv:4")
    outcome = CheckOutcome("missing.sex", "error", "blank", 3, ids, where, acknowledgement=_acknowledgement(AckStatus.CHANGED, 3))
    release = _release(_source("ncmd", outcome))
    (shown,) = _results(_valid(render_sarif(release)))
    assert "changed from {failed: 2, records: sha256:aaaaaaaaaaaa…} to {failed: 3, records: sha256:bbbbbbbbbbbb…}" in shown["message"]["text"]
    assert "suppressions" not in shown and shown["properties"]["acknowledgement"]["evidence_now"]["failed"] == 3
    publication = Disclosure(publish=True)
    (withheld,) = _results(_valid(render_sarif(disclose(release, publication), publication)))
    assert "failed 2" not in withheld["message"]["text"] and "sha256" not in json.dumps(withheld)
    assert "c records failed missing.sex" in withheld["message"]["text"] and "N1" not in json.dumps(withheld)
    assert {"evidence", "evidence_now"}.isdisjoint(withheld["properties"]["acknowledgement"])


def test_the_schema_rejects_what_the_standard_forbids() -> None:
    outcome = CheckOutcome("missing.sex", "error", "blank", 1, ("N1",), ("deaths.csv:2",), acknowledgement=_acknowledgement(AckStatus.ACKNOWLEDGED, 1))
    doc = _valid(render_sarif(_release(_source("ncmd", outcome))))
    (result,) = _results(doc)
    assert result["suppressions"][0]["status"] == "accepted"
    result["suppressions"][0]["status"] = "approved"  # not one of accepted, underReview, rejected
    result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert len(list(_validator().iter_errors(doc))) == 2


def test_the_vendored_schema_is_the_file_its_readme_names() -> None:
    readme = (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((SCHEMA_DIR / "sarif-schema-2.1.0.json").read_bytes()).hexdigest()
    assert f"SHA-256 of the file: `{digest}`" in readme and (SCHEMA_DIR / "LICENSE.md").is_file()
    schema = json.loads((SCHEMA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    refs = re.findall(r'"\$ref":\s*"([^"]*)"', json.dumps(schema))
    assert refs and all(ref.startswith("#/") for ref in refs)  # nothing to fetch
