"""Series bands as findings of the release (issue 25): an unusual point (above or below the band its own past
predicts) is a keyed finding, `anomaly/MEASURE/PERIOD/PLACE/SOURCE_ID`: a warning that informs by default, an error
that blocks with `anomaly: {gate: true}`, acknowledged like a comparison, and in every output (JSON `blocking`, SARIF,
JUnit, Markdown, the console); `--publish` withholds a small flagged figure from all of them, and which side of its
band it falls. On DfE-shaped published tables (tests/test_anomalies.py writes them)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import yaml
from triangulate.domain.acknowledgements import Acknowledgement
from triangulate.domain.identity import is_finding_key, key_parts
from triangulate.domain.intervals import Interval
from triangulate.model.anomalies import Anomaly
from triangulate.model.reconciliation import ReconcileResult
from triangulate.model.release import Provenance, Release
from triangulate.pipeline.acknowledge import acknowledged

from .conftest import run_cli
from .test_anomalies import _rows
from .test_sarif import FINGERPRINT, _valid

KEY = "anomaly/deaths/2023-24/E09000007/dfe"  # Camden's 2024 reporting year (2023-24) in dfe
PAST = ["10", "12", "9", "11", "10", "11"]  # Camden's six past years: about 10 a year
REASON, OWNER = "Known: a new children's hospice opened in the borough in 2023.", "LA statistics team"


def _release(folder: Path, latest: str = "34", anomaly: str = "{gate: true}", past: list[str] = PAST) -> None:
    """England 50 a year throughout; Camden's past then `latest`; `anomaly:` as given."""
    (folder / "deaths.csv").write_text(_rows(["50"] * 7, [*past, latest], [""] * 7))
    (folder / "run.yaml").write_text(
        "sources:\n  dfe: {kind: published, path: deaths.csv, rounding: none}\n"
        "geographies: [england, local_authority]\n"
        f"measures:\n  - id: deaths\n    select:\n      dfe: {{filter: {{measure: \"Deaths\"}}}}\n    anomaly: {anomaly}\n"
    )


def _reconcile(folder: Path, *extra: str) -> dict[str, Any]:
    """`reconcile` writing every output but the HTML (run from the folder: SARIF's locations are relative to it)."""
    for name in ("r.json", "r.sarif", "r.xml", "r.md"):
        (folder / name).unlink(missing_ok=True)
    result = run_cli("reconcile", "--config", "run.yaml", "--json", "r.json", "--sarif", "r.sarif", "--junit", "r.xml",
                     "--summary-md", "r.md", "--jobs", "1", *extra, cwd=folder)  # fmt: skip
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stdout[-2000:] + result.stderr
    return {
        "code": result.returncode,
        "console": result.stdout,
        "json": json.loads((folder / "r.json").read_text()),
        "sarif": _valid((folder / "r.sarif").read_text()),
        "sarif_text": (folder / "r.sarif").read_text(),
        "junit": (folder / "r.xml").read_text(),
        "md": (folder / "r.md").read_text(),
    }


def _entry(out: dict[str, Any], place: str = "E09000007") -> dict[str, Any]:
    return next(a for a in out["json"]["anomalies"] if a["geography"] == place)


def _sarif_result(out: dict[str, Any]) -> dict[str, Any]:
    (run,) = out["sarif"]["runs"]
    (found,) = [r for r in run["results"] if r["partialFingerprints"][FINGERPRINT] == KEY]
    assert run["tool"]["driver"]["rules"][found["ruleIndex"]]["id"] == found["ruleId"]
    return found


def _case(out: dict[str, Any]) -> ET.Element:
    (case,) = [c for c in ET.fromstring(out["junit"]).iter("testcase") if c.find(f"properties/property[@value='{KEY}']") is not None]
    return case


# --- the model: which anomalies are findings, and what blocks ------------------------------------------------------


def _anomaly(status: str, gate: bool, geography: str = "E09000007", value: float = 34) -> Anomaly:
    band = (0.0, 22.0) if status != "not_enough_history" else None
    return Anomaly("deaths/all", "dfe", geography, "2023-04-01/2024-03-31", "2023-24", Interval.exact(value), status,
                   0.998, 6 if band else 2, "quasi-poisson", 10.5 if band else None, band, gate=gate, source_id="dfe_id")  # fmt: skip


def _with(*anomalies: Anomaly) -> Release:
    provenance = Provenance(dt.datetime(2024, 6, 1, tzinfo=dt.UTC), None, "run.yaml", "", (), ())
    return Release("reconcile", (), ReconcileResult(anomalies=anomalies), provenance)


def test_only_an_unusual_point_is_a_finding_and_only_a_gated_one_blocks() -> None:
    warned, gated = _anomaly("above", False), _anomaly("below", True, "England", 0)
    release = _with(warned, gated, _anomaly("inside", True, "E09000012"), _anomaly("not_enough_history", True, "E09000001"))
    assert [(f.kind, f.severity, f.blocks) for f in release.findings] == [("anomaly", "warning", False), ("anomaly", "error", True)]
    assert release.blocking == ("anomaly/deaths%2Fall/2023-24/E92000001/dfe_id",) and not release.passed
    assert key_parts(warned.identity) == ("anomaly", "deaths/all", "2023-24", "E09000007", "dfe_id") and is_finding_key(warned.identity)
    assert (warned.check_id, gated.check_id) == ("anomaly.above", "anomaly.below")
    assert warned.evidence == {"value": 34, "band": [0.0, 22.0], "expected": 10.5}
    hand_made = Anomaly("deaths", "dfe", "England", "2023-04-01/2024-03-31", "2023-24", Interval(5, 14), "above", 0.998, 6)
    assert hand_made.identity == "anomaly/deaths/2023-24/E92000001/dfe" and hand_made.evidence["value"] == [5, 14]


def test_an_entry_meets_a_gated_anomaly_by_its_evidence_and_never_an_ungated_one() -> None:
    gated, warned = _anomaly("above", True), _anomaly("above", False, "E09000012")
    day = dt.date(2024, 6, 1)

    def entry(found: Anomaly, **evidence: Any) -> Acknowledgement:
        return Acknowledgement(found.identity, {**found.evidence, **evidence}, REASON, OWNER, day)

    same = acknowledged(_with(gated, warned), [entry(gated), entry(warned)], None, day)
    assert same.passed and [a.acknowledgement.status if a.acknowledgement else None for a in same.reconciliation.anomalies] == ["acknowledged", None]
    assert [e.key for e in same.acknowledgements.stale] == [warned.identity]  # a warning never blocks: nothing to meet
    moved = acknowledged(_with(gated), [entry(gated, value=30)], None, day)
    assert not moved.passed and moved.reconciliation.anomalies[0].acknowledgement.status == "changed"


def test_without_the_gate_an_unusual_point_is_a_warning_finding_that_does_not_block(tmp_path: Path) -> None:
    _release(tmp_path, anomaly="{level: 0.998}")
    out = _reconcile(tmp_path)
    camden = _entry(out)
    assert out["code"] == 0 and out["json"]["passed"] is True and out["json"]["blocking"] == []
    assert camden["key"] == KEY and camden["status"] == "above" and camden["severity"] == "warning"
    assert camden["evidence"]["value"] == 34 and camden["evidence"]["band"] == camden["band"]
    assert camden["evidence"]["expected"] == camden["expected"]
    assert "key" in _entry(out, "England") and "evidence" not in _entry(out, "England")  # inside: no finding
    sarif = _sarif_result(out)
    assert sarif["ruleId"] == "anomaly.above" and sarif["level"] == "warning" and sarif["properties"]["blocks"] is False
    assert sarif["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "run.yaml"
    assert "Camden (E09000007), deaths 2023-24 in dfe: 34, above" in sarif["message"]["text"]
    assert [r["partialFingerprints"][FINGERPRINT] for r in out["sarif"]["runs"][0]["results"]] == [KEY]  # England is inside
    case = _case(out)
    assert case.find("failure") is None and case.find("skipped") is None
    assert "34, above" in case.find("properties/property[@name='warning']").get("value", "")
    assert "FAIL" not in out["console"] and "  UNUSUAL Camden (E09000007)" in out["console"]
    assert "Blocks the release" not in out["md"] and "**What fails:**" not in out["md"]


def test_with_the_gate_an_unusual_point_blocks_every_output_saying_so(tmp_path: Path) -> None:
    _release(tmp_path)
    out = _reconcile(tmp_path)
    assert out["code"] == 1 and out["json"]["passed"] is False and out["json"]["blocking"] == [KEY]
    assert out["json"]["summary"]["comparisons"] == 0  # nothing else could fail this release
    assert _entry(out)["severity"] == "error"
    sarif = _sarif_result(out)
    assert sarif["ruleId"] == "anomaly.above" and sarif["level"] == "error" and sarif["properties"]["blocks"] is True
    assert "suppressions" not in sarif
    failure = _case(out).find("failure")
    assert failure is not None and "34, above" in failure.get("message", "")
    assert out["console"].count("FAIL  reconciliation") == 1 and "1 series unusual against its own past blocks" in out["console"]
    assert "  UNUSUAL, BLOCKS Camden (E09000007)" in out["console"]
    assert out["md"].startswith("## Triangulate: FAIL") and "makes that block" in out["md"]
    assert "- **Blocks the release** (`gate: true`): Camden (E09000007)" in out["md"]


def test_a_falling_series_is_below_and_its_rule_says_so(tmp_path: Path) -> None:
    _release(tmp_path, latest="0", past=["30", "32", "29", "31", "30", "31"])
    out = _reconcile(tmp_path)
    assert out["code"] == 1 and _entry(out)["status"] == "below" and out["json"]["blocking"] == [KEY]
    assert _sarif_result(out)["ruleId"] == "anomaly.below"


def test_an_acknowledged_anomaly_passes_until_its_figure_changes(tmp_path: Path) -> None:
    _release(tmp_path)
    assert _reconcile(tmp_path)["code"] == 1
    signed = run_cli("acknowledge", "r.json", "--reason", REASON, "--owner", OWNER, "--file", "acks.yaml", cwd=tmp_path)
    assert signed.returncode == 0, signed.stdout + signed.stderr
    (entry,) = yaml.safe_load((tmp_path / "acks.yaml").read_text())
    assert entry["key"] == KEY and entry["evidence"]["value"] == 34 and len(entry["evidence"]["band"]) == 2

    out = _reconcile(tmp_path, "--acknowledgements", "acks.yaml")
    assert out["code"] == 0 and out["json"]["passed"] is True and out["json"]["blocking"] == []
    assert _entry(out)["acknowledgement"]["status"] == "acknowledged"
    assert out["json"]["acknowledgements"]["acknowledged"] == [KEY]
    sarif = _sarif_result(out)
    assert sarif["level"] == "error" and sarif["suppressions"][0]["status"] == "accepted"
    assert sarif["suppressions"][0]["justification"] == REASON
    skipped = _case(out).find("skipped")
    assert skipped is not None and REASON in skipped.get("message", "")
    assert "UNUSUAL, ACKNOWLEDGED Camden" in out["console"] and out["console"].startswith("PASS")
    assert f"`{KEY}` | acknowledged" in out["md"]

    _release(tmp_path, latest="40")  # the figure changed: the entry no longer lets it pass
    out = _reconcile(tmp_path, "--acknowledgements", "acks.yaml")
    standing = _entry(out)["acknowledgement"]
    assert out["code"] == 1 and out["json"]["blocking"] == [KEY] and standing["status"] == "changed"
    assert standing["evidence"]["value"] == 34 and standing["evidence_now"]["value"] == 40
    assert out["json"]["acknowledgements"]["changed"] == [KEY]
    assert "suppressions" not in _sarif_result(out)
    failure = _case(out).find("failure")
    assert failure is not None and failure.get("message", "").startswith("acknowledgement changed")
    assert f"CHANGED {KEY}" in out["console"]


def test_an_entry_for_an_anomaly_that_only_informs_meets_nothing(tmp_path: Path) -> None:
    """Only a gated anomaly can be acknowledged (a warning never blocks): an entry for one without the gate is stale."""
    _release(tmp_path)
    _reconcile(tmp_path)
    assert run_cli("acknowledge", "r.json", "--reason", REASON, "--owner", OWNER, "--file", "acks.yaml", cwd=tmp_path).returncode == 0
    _release(tmp_path, anomaly="{gate: false}")
    out = _reconcile(tmp_path, "--acknowledgements", "acks.yaml")
    assert out["code"] == 0 and "acknowledgement" not in _entry(out)
    assert out["json"]["acknowledgements"]["stale"] == [KEY] and f"STALE {KEY}" in out["console"]


def test_publish_withholds_a_small_flagged_figure_and_its_side_everywhere(tmp_path: Path) -> None:
    """Camden 1, 0, 1, 0, 1, 0 then 5: above its band, and 5 is a count --publish shows as `c`."""
    _release(tmp_path, latest="5", past=["1", "0", "1", "0", "1", "0"])
    plain = _reconcile(tmp_path)  # the same run for the data team: the figure and its side are there to withhold
    assert plain["code"] == 1 and _entry(plain)["status"] == "above" and "dfe: 5, above" in plain["console"]
    assert _sarif_result(plain)["ruleId"] == "anomaly.above" and "dfe: 5, above" in plain["md"]

    out = _reconcile(tmp_path, "--publish")
    camden = _entry(out)
    assert out["code"] == 1 and out["json"]["blocking"] == [KEY]  # the gate is the same whatever is shown
    assert camden["key"] == KEY and camden["severity"] == "error"
    assert camden["value"] == ["c", "c"] and camden["status"] == "c" and camden["band"] == ["c", "c"]
    assert "evidence" not in camden
    sarif = _sarif_result(out)
    assert sarif["ruleId"] == "anomaly.unusual" and sarif["level"] == "error"
    failure = _case(out).find("failure")
    assert failure is not None
    shown = [sarif["message"]["text"], failure.get("message", ""), out["console"], out["md"]]
    for text in shown:
        assert "dfe: c, outside the band" in text
        assert "dfe: 5" not in text and "above" not in text and "below" not in text
    rules = json.dumps(out["sarif"]["runs"][0]["tool"]["driver"]["rules"])
    assert "anomaly.above" not in rules and "anomaly.above" not in out["junit"]
    assert '"evidence"' not in out["sarif_text"] and "evidence" not in json.dumps(camden)
