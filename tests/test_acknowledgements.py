"""Acknowledged findings (issue 24): `triangulate acknowledge` writes an entry per blocking finding with the evidence
seen; the next run lets each pass while its evidence is the same and it has not expired; one more failing record is
`changed` and blocks; a past expiry is `expired` and blocks; an entry meeting nothing is `stale`; a bad file is exit 2
with one line naming the file and the line."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from triangulate.config.acknowledgements import acknowledgements_text, load_acknowledgements, merged
from triangulate.domain.acknowledgements import Acknowledgement, AckStatus, match, records_digest
from triangulate.errors import ConfigError

from .conftest import copy_of, one_error_line, run_cli

TODAY = dt.date.today()


def _ncmd(folder: Path, sample: Path) -> Path:
    target = folder / "ncmd_deaths.csv"
    shutil.copy(sample / "ncmd" / "ncmd_deaths.csv", target)
    return target


def _check(csv_path: Path, *more: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = csv_path.with_name(f"results-{len(list(csv_path.parent.glob('results-*')))}.json")
    result = run_cli("check", "--source", "ncmd", str(csv_path), "--json", str(out), "--jobs", "1", *more)
    assert result.returncode in (0, 1), result.stderr
    return result, json.loads(out.read_text())


def _acknowledge(results: dict, folder: Path, *more: str) -> subprocess.CompletedProcess[str]:
    path = folder / "results-given.json"
    path.write_text(json.dumps(results))
    return run_cli("acknowledge", str(path), "--reason", "Known: the NCMD extract is corrected next quarter.",
                   "--owner", "NCMD data team", "--file", str(folder / "acks.yaml"), *more)  # fmt: skip


def _blank_sex_of_one_more(csv_path: Path) -> None:
    rows = list(csv.DictReader(csv_path.open(newline="")))
    target = next(r for r in rows if r["sex"] and not r["ncmd_case_id"].startswith("XN-"))
    target["sex"] = ""
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def acknowledged_check(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """A failing `check`, acknowledged, then run again on the same file: (folder, first results, second results)."""
    folder = tmp_path_factory.mktemp("ack-check")
    csv_path = _ncmd(folder, synthetic)
    first_run, first = _check(csv_path)
    assert first_run.returncode == 1 and first["blocking"]
    written = _acknowledge(first, folder)
    assert written.returncode == 0, written.stderr
    second_run, second = _check(csv_path, "--acknowledgements", str(folder / "acks.yaml"))
    assert second_run.returncode == 0, second_run.stdout + second_run.stderr
    return folder, first, second


def test_acknowledge_writes_one_entry_per_blocking_finding_with_its_evidence(acknowledged_check) -> None:
    folder, first, _ = acknowledged_check
    entries = load_acknowledgements(folder / "acks.yaml")
    assert [e.key for e in entries] == first["blocking"]
    checks = {c["key"]: c for c in first["checks"]}
    for entry in entries:
        assert entry.evidence == {"failed": checks[entry.key]["failed"], "records": checks[entry.key]["evidence"]["records"]}
        assert entry.evidence["records"].startswith("sha256:")
        assert entry.owner == "NCMD data team" and entry.acknowledged_on == TODAY and entry.expires is None
    text = (folder / "acks.yaml").read_text()
    assert all(r not in text for c in first["checks"] for r in c["record_ids"])  # no record id in the file


def test_the_next_run_passes_with_every_finding_acknowledged(acknowledged_check) -> None:
    _, first, second = acknowledged_check
    assert second["blocking"] == []
    assert second["acknowledgements"] == {"acknowledged": first["blocking"], "changed": [], "expired": [], "stale": []}
    by_key = {c["key"]: c for c in second["checks"]}
    for key in first["blocking"]:
        standing = by_key[key]["acknowledgement"]
        assert standing["status"] == "acknowledged" and standing["owner"] == "NCMD data team"
        assert standing["reason"].startswith("Known:") and standing["acknowledged_on"] == TODAY.isoformat()
        assert by_key[key]["status"] == "failed"  # still a failure, shown as one; it no longer blocks


def test_one_more_failing_record_makes_that_check_changed_and_the_run_fail(acknowledged_check) -> None:
    folder, _, _ = acknowledged_check
    csv_path = folder / "more.csv"
    shutil.copy(folder / "ncmd_deaths.csv", csv_path)
    _blank_sex_of_one_more(csv_path)
    result, now = _check(csv_path, "--acknowledgements", str(folder / "acks.yaml"))
    assert result.returncode == 1
    sex = next(c for c in now["checks"] if c["id"] == "missing.sex")
    assert now["blocking"] == [sex["key"]]
    assert sex["acknowledgement"]["status"] == "changed"
    assert sex["acknowledgement"]["evidence"]["failed"] == 2 and sex["acknowledgement"]["evidence_now"]["failed"] == 3
    assert now["acknowledgements"]["changed"] == [sex["key"]]
    assert "missing.sex" in result.stdout and "changed" in result.stdout.lower()


def test_a_different_record_failing_is_changed_though_the_count_is_the_same(acknowledged_check) -> None:
    """The digest, not the count: two other children with no sex recorded are not the two acknowledged."""
    folder, _, _ = acknowledged_check
    rows = list(csv.DictReader((folder / "ncmd_deaths.csv").open(newline="")))
    blank = [r for r in rows if not r["sex"]]
    assert len(blank) == 2
    blank[0]["sex"] = "F"
    next(r for r in rows if r["sex"] and not r["ncmd_case_id"].startswith("XN-"))["sex"] = ""
    swapped = folder / "swapped.csv"
    with swapped.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result, now = _check(swapped, "--acknowledgements", str(folder / "acks.yaml"))
    sex = next(c for c in now["checks"] if c["id"] == "missing.sex")
    assert result.returncode == 1 and sex["failed"] == 2 and sex["acknowledgement"]["status"] == "changed"


def test_an_expiry_in_the_past_makes_it_expired_and_it_blocks(acknowledged_check, tmp_path: Path) -> None:
    folder, _, _ = acknowledged_check
    entries = load_acknowledgements(folder / "acks.yaml")
    lapsed = [Acknowledgement(e.key, e.evidence, e.reason, e.owner, e.acknowledged_on,
                              TODAY - dt.timedelta(days=1) if n == 0 else TODAY) for n, e in enumerate(entries)]  # fmt: skip
    (tmp_path / "acks.yaml").write_text(acknowledgements_text(lapsed))
    result, now = _check(folder / "ncmd_deaths.csv", "--acknowledgements", str(tmp_path / "acks.yaml"))
    assert result.returncode == 1
    assert now["acknowledgements"]["expired"] == [entries[0].key]  # the others expire today: still good today
    assert now["blocking"] == [entries[0].key]
    assert len(now["acknowledgements"]["acknowledged"]) == len(entries) - 1


def test_an_entry_matching_no_finding_is_stale_and_does_not_block(acknowledged_check, tmp_path: Path) -> None:
    folder, first, _ = acknowledged_check
    text = (folder / "acks.yaml").read_text()
    passing = next(c for c in first["checks"] if c["status"] == "passed")
    extra = Acknowledgement(passing["key"], {"failed": 1, "records": "sha256:0"}, "Was failing once.", "Someone", TODAY)
    (tmp_path / "acks.yaml").write_text(text + acknowledgements_text([extra]).split("\n", 2)[2])
    result, now = _check(folder / "ncmd_deaths.csv", "--acknowledgements", str(tmp_path / "acks.yaml"))
    assert result.returncode == 0
    assert now["acknowledgements"]["stale"] == [passing["key"]]
    assert "acknowledgement" not in next(c for c in now["checks"] if c["key"] == passing["key"])


def test_an_entry_without_a_reason_is_exit_2_naming_the_file_and_line(acknowledged_check, tmp_path: Path) -> None:
    folder, _, _ = acknowledged_check
    lines = (folder / "acks.yaml").read_text().splitlines(keepends=True)
    second_reason = [n for n, line in enumerate(lines) if line.startswith("  reason:")][1]
    entry_line = max(n for n in range(second_reason) if lines[n].startswith("- key:")) + 1
    (tmp_path / "acks.yaml").write_text("".join(lines[:second_reason] + lines[second_reason + 1:]))
    result = run_cli("check", "--source", "ncmd", str(folder / "ncmd_deaths.csv"), "--acknowledgements",
                     str(tmp_path / "acks.yaml"), "--json", str(tmp_path / "r.json"))  # fmt: skip
    assert result.returncode == 2
    line = one_error_line(result)
    assert f"acks.yaml:line {entry_line}:" in line and "'reason'" in line
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("- key: check/ncmd/missing.sex\n  evidence: {failed: 2}\n  reason: r\n  owner: o\n  acknowledged_on: 2026-13-01\n",
         "line 5", "not a real date"),
        ("- key: check/ncmd/missing.sex\n  evidence: {failed: 2}\n  reason: r\n  owner: o\n  acknowledged_on: 2026-12-01\n"
         "  expires: 31/03/2027\n", "line 6", "not a date"),
        ("- key: check/ncmd/missing.sex\n  evidence: {failed: 2}\n  reason: r\n  owner: o\n  acknowledged_on: 2026-12-01\n"
         "  expiry: 2027-03-31\n", "line 6", "unknown field 'expiry'"),
        ("- key: check/ncmd/missing.sex\n  evidence: {failed: 2\n", "line 3", "YAML error"),
        ("- key: check/a/b\n  evidence: {failed: 1}\n  reason: r\n  owner: o\n  acknowledged_on: 2026-12-01\n"
         "- key: check/a/b\n  evidence: {failed: 2}\n  reason: r\n  owner: o\n  acknowledged_on: 2026-12-01\n",
         "line 6", "acknowledged twice (first at line 1)"),
        ("- key: check/a/b\n  evidence: {failed: 1}\n  reason: r\n  acknowledged_on: 2026-12-01\n", "line 1", "no 'owner'"),
        ("- key: check/a/b\n  reason: r\n  owner: o\n  acknowledged_on: 2026-12-01\n", "line 1", "no 'evidence'"),
        ("- key: nonsense\n  evidence: {failed: 1}\n  reason: r\n  owner: o\n  acknowledged_on: 2026-12-01\n", "line 1", "not a finding key"),
        ("- key: check/a/b\n  evidence: {failed: 1}\n  reason: ''\n  owner: o\n  acknowledged_on: 2026-12-01\n", "line 3", "must be text"),
        ("key: check/a/b\n", "line 1", "a YAML list"),
        ("- key: check/a/b\n  evidence: {failed: 1}\n  reason: r\n  reason: s\n  owner: o\n  acknowledged_on: 2026-12-01\n",
         "line 4", "given twice"),
    ],
)  # fmt: skip
def test_bad_files_are_one_line_naming_file_and_line(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = tmp_path / "acks.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_acknowledgements(path)
    line = raised.value.one_line()
    assert line.startswith(f"{path}:{where}: ") and words in line, line


def test_a_bad_file_stops_a_run_before_any_output(synthetic: Path, tmp_path: Path) -> None:
    (tmp_path / "acks.yaml").write_text("- key: check/a/b\n  evidence: {failed: 1}\n  reason: r\n  owner: o\n  acknowledged_on: soon\n")
    result = run_cli("reconcile", "--config", str(synthetic / "release.yaml"), "--json", str(tmp_path / "r.json"),
                     "--acknowledgements", str(tmp_path / "acks.yaml"))  # fmt: skip
    assert result.returncode == 2 and "acks.yaml:line 5:" in one_error_line(result)
    assert not (tmp_path / "r.json").exists()


def test_acknowledging_again_updates_an_entry_and_never_duplicates_it(acknowledged_check, tmp_path: Path) -> None:
    folder, first, _ = acknowledged_check
    shutil.copy(folder / "acks.yaml", tmp_path / "acks.yaml")
    key = first["blocking"][1]
    result = _acknowledge(first, tmp_path, "--only", key, "--expires", "2999-01-31")
    assert result.returncode == 0, result.stderr
    assert "0 new, 1 updated" in result.stdout
    entries = load_acknowledgements(tmp_path / "acks.yaml")
    assert [e.key for e in entries] == first["blocking"]  # same entries, same order
    assert [e.expires for e in entries if e.key == key] == [dt.date(2999, 1, 31)]


def test_only_names_a_failing_finding(acknowledged_check, tmp_path: Path) -> None:
    _, first, _ = acknowledged_check
    passing = next(c["key"] for c in first["checks"] if c["status"] == "passed")
    result = _acknowledge(first, tmp_path, "--only", passing)
    assert result.returncode == 2 and "no failing finding" in one_error_line(result)
    assert not (tmp_path / "acks.yaml").exists()


def test_a_reason_naming_a_record_id_is_refused(acknowledged_check, tmp_path: Path) -> None:
    _, first, _ = acknowledged_check
    sex = next(c for c in first["checks"] if c["id"] == "missing.sex")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(first))
    result = run_cli("acknowledge", str(path), "--reason", f"{sex['record_ids'][0]} is fixed next quarter", "--owner", "o",
                     "--file", str(tmp_path / "acks.yaml"))  # fmt: skip
    assert result.returncode == 2 and "record id" in one_error_line(result)
    assert sex["record_ids"][0] not in one_error_line(result).split("names record id")[0]


def test_an_expiry_before_today_is_refused(acknowledged_check, tmp_path: Path) -> None:
    _, first, _ = acknowledged_check
    result = _acknowledge(first, tmp_path, "--expires", "2001-01-01")
    assert result.returncode == 2 and "--expires 2001-01-01" in one_error_line(result)


def test_results_that_are_not_triangulates_are_exit_2(tmp_path: Path) -> None:
    for name, text in (("bad.json", "{\n  \"passed\": tru\n}"), ("other.json", "[1, 2]")):
        (tmp_path / name).write_text(text)
        result = run_cli("acknowledge", str(tmp_path / name), "--reason", "r", "--owner", "o", "--file", str(tmp_path / "a.yaml"))
        assert result.returncode == 2 and name in one_error_line(result), result.stderr
    assert "line 2" in one_error_line(run_cli("acknowledge", str(tmp_path / "bad.json"), "--reason", "r", "--owner", "o",
                                              "--file", str(tmp_path / "a.yaml")))  # fmt: skip
    assert not (tmp_path / "a.yaml").exists()


@pytest.fixture(scope="module")
def acknowledged_release(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """`reconcile` on the synthetic release (discrepancies, missing deaths), acknowledged, then rerun with the file
    named in the run config."""
    folder = copy_of(synthetic, tmp_path_factory.mktemp("ack-release"))
    first_run = run_cli("reconcile", "--config", str(folder / "release.yaml"), "--json", str(folder / "first.json"))
    assert first_run.returncode == 1, first_run.stderr
    first = json.loads((folder / "first.json").read_text())
    written = run_cli("acknowledge", str(folder / "first.json"), "--reason", "Late notifications, checked with each LA.",
                      "--owner", "CLA statistics team", "--expires", "2999-03-31", "--file", str(folder / "known.yaml"))  # fmt: skip
    assert written.returncode == 0, written.stderr
    config = yaml.safe_load((folder / "release.yaml").read_text())
    config["acknowledgements"] = "known.yaml"  # relative to the config
    (folder / "release.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    second_run = run_cli("reconcile", "--config", str(folder / "release.yaml"), "--json", str(folder / "second.json"))
    assert second_run.returncode == 0, second_run.stdout + second_run.stderr
    return folder, first, json.loads((folder / "second.json").read_text())


def test_a_release_acknowledged_through_its_config_passes(acknowledged_release) -> None:
    _, first, second = acknowledged_release
    kinds = {key.split("/")[0] for key in first["blocking"]}
    assert {"comparison", "missing"} <= kinds
    assert second["passed"] is True and second["blocking"] == []
    assert second["acknowledgements"]["acknowledged"] == first["blocking"]
    discrepancy = next(c for c in second["comparisons"] if c["key"] == first["blocking"][0])
    assert discrepancy["status"] == "discrepancy" and discrepancy["acknowledgement"]["status"] == "acknowledged"
    assert discrepancy["acknowledgement"]["evidence"] == discrepancy["evidence"]
    assert discrepancy["acknowledgement"]["expires"] == "2999-03-31"


def test_evidence_is_the_same_with_redact_given_an_evidence_key(acknowledged_release) -> None:
    folder, _, _ = acknowledged_release
    keys = {"TRIANGULATE_EVIDENCE_KEY": "e" * 32, "TRIANGULATE_REDACT_KEY": "k" * 32}
    evidence = []
    for name, more in (("keyed.json", ()), ("keyed-redacted.json", ("--redact",))):
        result = run_cli("reconcile", "--config", str(folder / "release.yaml"), "--json", str(folder / name), *more, env=keys)
        assert result.returncode == 1, result.stderr  # another key, other digests: the missing deaths' entries changed
        document = json.loads((folder / name).read_text())
        evidence.append({m["key"]: m["evidence"] for m in document["missing"] if "evidence" in m})
        assert all(m["acknowledgement"]["status"] == "changed" for m in document["missing"] if "evidence" in m)
    assert evidence[0] and evidence[0] == evidence[1]
    assert all(e["records"].startswith("sha256:") for e in evidence[0].values())


def test_redact_without_an_evidence_key_withholds_digests_and_acknowledge_refuses(acknowledged_release) -> None:
    """Without TRIANGULATE_EVIDENCE_KEY a digest is a hash of ids anyone with a list of candidates can test: a --redact
    output withholds it (the run still matches it: the release passes as acknowledged)."""
    folder, first, _ = acknowledged_release
    result = run_cli("reconcile", "--config", str(folder / "release.yaml"), "--json", str(folder / "redacted.json"), "--redact",
                     env={"TRIANGULATE_REDACT_KEY": "k" * 32})  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads((folder / "redacted.json").read_text())
    digests = [m["evidence"]["records"] for m in first["missing"] if "evidence" in m]
    shown = [m["evidence"]["records"] for m in document["missing"] if "evidence" in m]
    assert digests and shown == ["withheld"] * len(digests)
    assert not any(d in (folder / "redacted.json").read_text() for d in digests)
    refused = run_cli("acknowledge", str(folder / "redacted.json"), "--reason", "r", "--owner", "o", "--only",
                      next(m["key"] for m in document["missing"] if "evidence" in m), "--file", str(folder / "other.yaml"))  # fmt: skip
    assert refused.returncode == 2 and "TRIANGULATE_EVIDENCE_KEY" in one_error_line(refused)
    assert not (folder / "other.yaml").exists()


def test_a_short_evidence_key_is_refused_before_any_work(tmp_path: Path, synthetic: Path) -> None:
    result = run_cli("check", "--source", "ncmd", str(synthetic / "ncmd" / "ncmd_deaths.csv"), "--json", str(tmp_path / "r.json"),
                     env={"TRIANGULATE_EVIDENCE_KEY": "short"})  # fmt: skip
    assert result.returncode == 2 and "TRIANGULATE_EVIDENCE_KEY must be at least 16" in one_error_line(result)
    assert not (tmp_path / "r.json").exists()


def test_an_old_entry_never_acknowledges_a_new_finding() -> None:
    """Same key, other evidence: changed, whatever the expiry; the same evidence past its expiry: expired."""
    entry = Acknowledgement("comparison/m/2021-22/E92000001/a/b", {"left": 48, "right": 49}, "r", "o", TODAY, TODAY)
    assert match(entry, {"left": 48.0, "right": 49}, TODAY).status == AckStatus.ACKNOWLEDGED
    assert match(entry, {"left": 48, "right": 50}, TODAY).status == AckStatus.CHANGED
    assert match(entry, {"left": 48, "right": 49}, TODAY + dt.timedelta(days=1)).status == AckStatus.EXPIRED
    assert match(entry, {"left": [45, 54], "right": 49}, TODAY).status == AckStatus.CHANGED


def test_records_digest_holds_no_id_and_ignores_order() -> None:
    one = records_digest("ncmd", ["N1", "N2"], b"s")
    assert one == records_digest("ncmd", ["N2", "N1"], b"s") and "N1" not in one
    assert one != records_digest("ncmd", ["N1", "N3"], b"s") != records_digest("dfe", ["N1", "N2"], b"s")
    assert one != records_digest("ncmd", ["N1", "N2"], b"other key")


def test_merged_replaces_in_place_and_appends() -> None:
    a, b, c = (Acknowledgement(f"check/s/{n}", {"failed": 1}, "r", "o", TODAY) for n in "abc")
    b2 = Acknowledgement("check/s/b", {"failed": 2}, "r2", "o", TODAY)
    entries, added, updated = merged([a, b], [b2, c])
    assert entries == [a, b2, c] and (added, updated) == (1, 1)


def test_the_written_file_reads_back_as_written(tmp_path: Path) -> None:
    entry = Acknowledgement("comparison/lac_deaths/2021-22/E92000001/csprp/dfe_cla", {"left": 48, "right": [45, None]},
                            "One death notified in April: 'after' the return closed #late", "CLA statistics: team", TODAY,
                            dt.date(2027, 3, 31))  # fmt: skip
    (tmp_path / "a.yaml").write_text(acknowledgements_text([entry]))
    (read,) = load_acknowledgements(tmp_path / "a.yaml")
    assert (read.key, dict(read.evidence), read.reason, read.owner, read.acknowledged_on, read.expires) == (
        entry.key, entry.evidence, entry.reason, entry.owner, entry.acknowledged_on, entry.expires)  # fmt: skip
    assert "&id" not in (tmp_path / "a.yaml").read_text()  # no anchors and aliases to review


# --- from the review: what an entry can meet, and what acknowledge may write ---------------------------------------


def _briefing_release():  # type: ignore[no-untyped-def]
    from triangulate.pipeline.acknowledge import with_evidence

    from .test_briefing import release

    return with_evidence(release(), b"evidence secret for the tests")


def test_a_crash_with_an_entry_is_changed_and_blocks() -> None:
    from dataclasses import replace

    from triangulate.pipeline.acknowledge import acknowledged
    from triangulate.reports.sarif import render_sarif

    rel = _briefing_release()
    source = next(s for s in rel.sources if any(o.check_id == "age.negative" for o in s.outcomes))
    crashed = replace(source, outcomes=tuple(replace(o, crashed=True, detail="boom") if o.check_id == "age.negative" else o
                                             for o in source.outcomes))  # fmt: skip
    rel = replace(rel, sources=tuple(crashed if s is source else s for s in rel.sources))
    key = source.key(source.outcome("age.negative"))
    done = acknowledged(rel, [Acknowledgement(key, {"failed": 2, "records": "sha256:x"}, "r", "o", TODAY)], Path("a.yaml"), TODAY)
    (finding,) = [f for f in done.findings if f.key == key]
    assert finding.acknowledgement.status == AckStatus.CHANGED and finding.blocks and not done.passed
    result = next(r for r in json.loads(render_sarif(done))["runs"][0]["results"] if r["partialFingerprints"]["triangulateKey/v1"] == key)
    assert "suppressions" not in result


def test_reconcile_meets_no_record_source_check_and_lists_none_as_stale() -> None:
    """`reconcile` is not gated on record sources' checks: a shared file's entries for them are neither met nor stale."""
    from dataclasses import replace

    from triangulate.pipeline.acknowledge import acknowledged

    rel = replace(_briefing_release(), command="reconcile")
    record_check = next(f for f in rel.findings if f.kind == "check" and f.failing)
    comparison = next(f for f in rel.findings if f.kind == "comparison" and f.blocks)
    entries = [Acknowledgement(record_check.key, dict(record_check.evidence), "r", "o", TODAY),
               Acknowledgement(comparison.key, dict(comparison.evidence), "r", "o", TODAY)]  # fmt: skip
    done = acknowledged(rel, entries, Path("a.yaml"), TODAY)
    standings = {f.key: f.acknowledgement for f in done.findings if f.acknowledgement is not None}
    assert list(standings) == [comparison.key] and done.acknowledgements.stale == ()


def test_acknowledge_refuses_results_it_could_not_write_back(acknowledged_check, tmp_path: Path) -> None:
    _, first, _ = acknowledged_check
    broken = json.loads(json.dumps(first))
    broken["checks"][0]["key"] = "x"
    broken["blocking"][0] = "x"
    broken["checks"][0]["status"] = "failed"
    broken["checks"][0]["evidence"] = {"failed": {"nested": 1}}
    result = _acknowledge(broken, tmp_path)
    assert result.returncode == 2 and "not a finding key" in one_error_line(result)
    for text in ('{"blocking": ["check/ncmd/missing.sex"]}', '{"blocking": [5]}', "[" * 100_000 + "]" * 100_000):
        (tmp_path / "r.json").write_text(text)
        refused = run_cli("acknowledge", str(tmp_path / "r.json"), "--reason", "r", "--owner", "o", "--file", str(tmp_path / "a.yaml"))
        assert refused.returncode == 2 and "r.json" in one_error_line(refused), refused.stderr
    assert not (tmp_path / "acks.yaml").exists() and not (tmp_path / "a.yaml").exists()


def test_bad_evidence_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "acks.yaml"
    path.write_text("- key: check/a/b\n  reason: r\n  owner: o\n  evidence: {failed: {x: 1}}\n  acknowledged_on: 2026-12-01\n")
    with pytest.raises(ConfigError) as raised:
        load_acknowledgements(path)
    assert raised.value.one_line().startswith(f"{path}:line 4: evidence failed")


def test_acknowledging_again_keeps_an_expiry_and_the_files_mode(acknowledged_check, tmp_path: Path) -> None:
    _, first, _ = acknowledged_check
    assert _acknowledge(first, tmp_path, "--expires", "2999-01-31").returncode == 0
    (tmp_path / "acks.yaml").chmod(0o644)
    assert _acknowledge(first, tmp_path).returncode == 0  # no --expires: the entries keep theirs
    assert {e.expires for e in load_acknowledgements(tmp_path / "acks.yaml")} == {dt.date(2999, 1, 31)}
    assert (tmp_path / "acks.yaml").stat().st_mode & 0o777 == 0o644
