"""Every output says what was acknowledged (issue 24, point 3): JSON, the console, the Markdown, the HTML report and
JUnit, for an acknowledged, a changed, an expired finding and a stale entry; and --publish shows no evidence."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import lxml.html
from triangulate.domain.acknowledgements import Acknowledgement
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.release import Release
from triangulate.pipeline.acknowledge import acknowledged, with_evidence
from triangulate.reports.console import render_check_summary, render_reconciliation
from triangulate.reports.disclosure import Disclosure, disclose
from triangulate.reports.html import render_html
from triangulate.reports.json_report import render_json
from triangulate.reports.junit import render_junit
from triangulate.reports.markdown import render_markdown
from triangulate.reports.suppression import for_release
from triangulate.reports.view import build_report_view

from .conftest import DATA, SCRIPT, run_cli
from .test_briefing import release

DAY = dt.date(2026, 12, 6)
CHECK_KEY = "check/dfe_cla/age.negative"
COMPARISON_KEY = "comparison/lac_deaths/2022-23/E92000001/csprp/dfe_cla"
STALE_KEY = "comparison/lac_deaths/2019-20/E92000001/csprp/dfe_cla"
SECRET = b"evidence secret for the tests"


def _acked(*, comparison: dict[str, Any] | None = None, check_expires: dt.date | None = dt.date(2027, 3, 31),
           stale: bool = False, reason: str = "two duplicates the LA has confirmed") -> Release:  # fmt: skip
    """test_briefing's release (dfe_cla's age.negative fails twice; csprp 48 against dfe_cla 49 in 2022-23) with an
    entry for each: the check's with `check_expires`, the comparison's with the evidence `comparison`."""
    rel = with_evidence(release(), SECRET)
    (digest,) = {f.evidence["records"] for f in rel.findings if f.key == CHECK_KEY}
    entries = [
        Acknowledgement(CHECK_KEY, {"failed": 2, "records": digest}, reason, "CLA team", DAY, check_expires),
        Acknowledgement(COMPARISON_KEY, comparison or {"left": 48, "right": 49}, "one death notified late", "CSPRP team", DAY),
    ]
    if stale:
        entries.append(Acknowledgement(STALE_KEY, {"left": 40, "right": 41}, "an old lag", "CSPRP team", DAY))
    return acknowledged(rel, entries, Path("acks.yaml"), DAY)


def _outputs(rel: Release, publish: bool = False) -> dict[str, str]:
    """Every output of the release, disclosed as pipeline/outputs.py discloses it."""
    disclosure = Disclosure(publish=publish)
    shown = disclose(rel, disclosure)
    disclosure = for_release(disclosure, shown)
    console = [render_check_summary(s, disclosure) for s in shown.sources] + [render_reconciliation(shown, disclosure)]
    return {
        "console": "\n".join(console),
        "markdown": render_markdown(shown, disclosure),
        "junit": render_junit(shown, disclosure),
        "json": render_json(shown, disclosure),
        "html": render_html(build_report_view(shown, disclosure), Path("report.html")),
    }


def _case(junit: str, key: str) -> ET.Element:
    (case,) = [c for c in ET.fromstring(junit).iter("testcase") if c.find("properties/property[@name='key']") is not None
               and c.find("properties/property[@name='key']").get("value") == key]  # fmt: skip
    return case


def _section(html: str, anchor: str = "acknowledged") -> Any:
    return lxml.html.fromstring(html).xpath(f"//section[@aria-labelledby='{anchor}']")[0]


def _rows(html: str) -> dict[str, list[str]]:
    """The Acknowledged findings table: key -> its cells' text."""
    out = {}
    for tr in _section(html).xpath(".//table[contains(@class, 'acknowledgements')]/tbody/tr"):
        key = tr.xpath("./th//code")[0].text_content()
        out[key] = [cell.text_content() for cell in tr.xpath("./td")]
    return out


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


# --- acknowledged: passes, and says by what -------------------------------------------------------------------------


def test_an_acknowledged_run_passes_and_every_output_says_what_was_acknowledged() -> None:
    rel = _acked(check_expires=None)
    assert rel.passed and rel.blocking == ()
    out = _outputs(rel)
    # JUnit: skipped, never failed, with the reason, the owner and the expiry ("no expiry" when none)
    check = _case(out["junit"], CHECK_KEY).find("skipped")
    assert check is not None and check.get("message") == "acknowledged: two duplicates the LA has confirmed (CLA team, no expiry)"
    comparison = _case(out["junit"], COMPARISON_KEY)
    assert comparison.find("failure") is None
    assert comparison.find("skipped").get("message") == "acknowledged: one death notified late (CSPRP team, no expiry)"
    assert not list(ET.fromstring(out["junit"]).iter("failure"))
    reconcile = ET.fromstring(out["junit"]).find("testsuite[@name='reconcile']")
    assert reconcile.get("failures") == "0" and reconcile.get("skipped") == "1"
    # JSON: each finding's standing, and the top level's lists
    document = json.loads(out["json"])
    assert document["acknowledgements"]["acknowledged"] == [CHECK_KEY, COMPARISON_KEY]
    (shown,) = [c for c in document["comparisons"] if c["key"] == COMPARISON_KEY]
    assert shown["acknowledgement"]["status"] == "acknowledged" and shown["evidence"] == {"left": 48, "right": 49}
    # the console: counted in the verdict, one line for the group, never listed as a failure
    assert "PASS (1 acknowledged)  dfe_cla" in out["console"]
    assert "PASS (1 acknowledged)  reconciliation" in out["console"]
    assert "ACKNOWLEDGED 2 findings (acks.yaml)" in out["console"]
    assert "DISCREPANCY" not in out["console"] and "ERROR" not in out["console"]
    assert "1 discrepancy (1 acknowledged)" in out["console"] and "1 discrepancy (1 acknowledged)" in out["markdown"]
    # the Markdown: its verdict counts them, its section lists them
    assert out["markdown"].startswith("## Triangulate: PASS (2 acknowledged)")
    assert "### Acknowledged findings" in out["markdown"] and f"| `{COMPARISON_KEY}` | acknowledged | one death notified late |" in out["markdown"]
    assert "**What fails:**" not in out["markdown"]


def test_the_html_first_page_passes_with_the_acknowledged_findings_counted(tmp_path: Path) -> None:
    html = _outputs(_acked())["html"]
    page = lxml.html.fromstring(html)
    first = page.xpath("//section[@id='first-page']")[0].text_content()
    assert "passes with 2 acknowledged findings" in first
    # An acknowledged discrepancy is not among what must be corrected, but stays where comparisons are listed.
    assert "do not reconcile" not in first
    rows = _rows(html)
    assert rows[COMPARISON_KEY][:2] == ["Acknowledged", "one death notified late"]
    *cells, evidence, now = rows[CHECK_KEY]
    assert cells == ["Acknowledged", "two duplicates the LA has confirmed", "CLA team", "2026-12-06", "2027-03-31"]
    assert re.fullmatch(r"\{failed: 2, records: sha256:[0-9a-f]{12}…\}", evidence) and now == "unchanged"
    assert "Acknowledged findings" in page.xpath("//nav")[0].text_content()
    checks = _section(html, "checks").text_content()
    assert "2 (acknowledged)" in checks and "Failed (acknowledged)" in checks


def test_an_acknowledged_discrepancy_is_marked_where_the_report_lists_comparisons() -> None:
    matrix = _section(_outputs(_acked())["html"], "matrix")
    (item,) = [li for li in matrix.xpath(".//ul[@class='outcomes']/li") if "csprp 48" in li.text_content()]
    assert [b.text_content() for b in item.xpath(".//span[contains(@class, 'badge')]")] == ["Discrepancy", "Acknowledged"]


def test_the_html_section_escapes_what_the_file_says() -> None:
    html = _outputs(_acked(reason=SCRIPT))["html"]
    assert SCRIPT not in html and "&lt;script&gt;" in html
    assert _rows(html)[CHECK_KEY][1] == SCRIPT  # shown as text


def test_a_check_run_report_has_the_section(tmp_path: Path) -> None:
    outcome = CheckOutcome("age.negative", "error", "date of death is before date of birth", 1, ("X1",), (), level="death")
    source = SourceResult("cin", "cin", 10, 5, dt.date(2023, 3, 31), (InputFile("cin.xml", 10, "0" * 64),), (outcome,))
    rel = with_evidence(Release("check", (source,), None, release().provenance), SECRET)
    (finding,) = rel.findings
    rel = acknowledged(rel, [Acknowledgement("check/cin/age.negative", finding.evidence, "known", "CIN team", DAY)], Path("a.yaml"), DAY)
    html = render_html(build_report_view(rel, Disclosure()), tmp_path / "report.html")
    assert _rows(html)["check/cin/age.negative"][:3] == ["Acknowledged", "known", "CIN team"]
    assert "passes with 1 acknowledged finding (see" in html
    # `check` prints its source alone: given the file it used, the summary ends with what the file did
    summary = render_check_summary(rel.sources[0], Disclosure(), rel.acknowledgements).splitlines()
    assert summary[0].startswith("PASS (1 acknowledged)  cin (cin)")
    assert summary[1:] == ["  ACKNOWLEDGED 1 check: age.negative", "  0 other checks passed", "ACKNOWLEDGED 1 finding (a.yaml)"]


# --- changed: blocks, and shows both evidences everywhere -----------------------------------------------------------


def test_changed_evidence_blocks_and_every_output_shows_the_old_and_the_new() -> None:
    rel = _acked(comparison={"left": 48, "right": 50})
    assert not rel.passed and rel.blocking == (COMPARISON_KEY,)
    out = _outputs(rel)
    old, new = "{left: 48, right: 50}", "{left: 48, right: 49}"
    document = json.loads(out["json"])
    (shown,) = [c for c in document["comparisons"] if c["key"] == COMPARISON_KEY]
    assert shown["acknowledgement"]["status"] == "changed"
    assert shown["acknowledgement"]["evidence"] == {"left": 48, "right": 50}
    assert shown["acknowledgement"]["evidence_now"] == {"left": 48, "right": 49}
    assert document["acknowledgements"]["changed"] == [COMPARISON_KEY] and document["blocking"] == [COMPARISON_KEY]
    assert f"CHANGED {COMPARISON_KEY}: acknowledged {old}, now {new} (CSPRP team)" in out["console"]
    assert "FAIL (1 changed)  reconciliation" in out["console"]
    assert out["markdown"].startswith("## Triangulate: FAIL (1 acknowledged, 1 changed)")
    assert f"| `{COMPARISON_KEY}` | evidence changed | one death notified late | CSPRP team | 2026-12-06 | no expiry | {old}; now {new} |" in out["markdown"]
    assert _rows(out["html"])[COMPARISON_KEY] == ["Evidence changed", "one death notified late", "CSPRP team", "2026-12-06", "no expiry", old, new]
    first = lxml.html.fromstring(out["html"]).xpath("//section[@id='first-page']")[0].text_content()
    assert "Do not release yet" in first and "1 acknowledgement changed; 1 other finding is acknowledged" in first
    failure = _case(out["junit"], COMPARISON_KEY).find("failure")
    assert failure is not None and failure.get("message").startswith(f"acknowledgement changed: acknowledged {old}, now {new} (CSPRP team); discrepancy:")


# --- expired: blocks, and says on which day -------------------------------------------------------------------------


def test_an_expired_acknowledgement_blocks_and_every_output_says_so() -> None:
    rel = _acked(check_expires=dt.date(2020, 1, 1))
    assert not rel.passed and rel.blocking == (CHECK_KEY,)
    out = _outputs(rel)
    assert json.loads(out["json"])["acknowledgements"]["expired"] == [CHECK_KEY]
    assert f"EXPIRED {CHECK_KEY}: expired on 2020-01-01 (CLA team)" in out["console"]
    assert "FAIL (1 expired)  dfe_cla" in out["console"] and "ERROR    age.negative" in out["console"]
    assert "| evidence expired |" not in out["markdown"] and f"| `{CHECK_KEY}` | expired |" in out["markdown"]
    assert "2020-01-01 (expired)" in out["markdown"]
    assert _rows(out["html"])[CHECK_KEY][:5] == ["Expired", "two duplicates the LA has confirmed", "CLA team", "2026-12-06", "2020-01-01 (expired)"]
    failure = _case(out["junit"], CHECK_KEY).find("failure")
    assert failure is not None and failure.get("message").startswith("acknowledgement expired on 2020-01-01 (CLA team); 2 deaths: date of death")
    assert "1 acknowledgement expired, so its finding blocks the release again" in out["markdown"]


# --- stale: listed everywhere, never blocking -----------------------------------------------------------------------


def test_a_stale_entry_is_listed_in_every_output_and_blocks_nothing() -> None:
    rel = _acked(stale=True)
    assert rel.passed
    out = _outputs(rel)
    assert json.loads(out["json"])["acknowledgements"]["stale"] == [STALE_KEY]
    assert f"STALE {STALE_KEY}: matches no finding of this run" in out["console"]
    assert f"- `{STALE_KEY}`: an old lag (CSPRP team, acknowledged on 2026-12-06)" in out["markdown"]
    stale = _section(out["html"]).xpath(".//table[contains(@class, 'stale')]//code")
    assert [code.text_content() for code in stale] == [STALE_KEY]
    suite = ET.fromstring(out["junit"]).find("testsuite[@name='acknowledgements']")
    assert suite is not None and suite.get("failures") == "0"
    case = _case(out["junit"], STALE_KEY)
    assert case.get("classname") == "acknowledgements" and case.find("failure") is None and case.find("skipped") is None
    assert "stale: matches no finding of this run" in case.findtext("system-out")


# --- what each disclosure shows -------------------------------------------------------------------------------------


def test_publish_shows_no_evidence_in_json_html_console_or_junit() -> None:
    out = _outputs(_acked(comparison={"left": 48, "right": 50}, stale=True), publish=True)
    document = json.loads(out["json"])
    assert not [key for key, _ in _walk(document) if key in ("evidence", "evidence_now")]
    (shown,) = [c for c in document["comparisons"] if c["key"] == COMPARISON_KEY]
    assert shown["acknowledgement"] == {"status": "changed", "reason": "one death notified late", "owner": "CSPRP team",
                                        "acknowledged_on": "2026-12-06", "expires": None}  # fmt: skip
    for name, text in out.items():
        assert "sha256:" not in text, name
        assert "{left:" not in text and "{failed:" not in text, name
    header = [th.text_content() for th in _section(out["html"]).xpath(".//table[1]/thead//th")]
    assert header == ["Finding", "Status", "Reason", "Owner", "Acknowledged on", "Expires"]
    assert f"CHANGED {COMPARISON_KEY}: the evidence is not what was acknowledged, figures withheld (CSPRP team)" in out["console"]


def test_redact_keeps_the_evidence_as_it_is_when_the_evidence_key_keys_it() -> None:
    rel = _acked()
    plain = json.loads(render_json(rel))
    keyed = Disclosure(redact_key=b"k" * 16, evidence_keyed=True)
    redacted = json.loads(render_json(disclose(rel, keyed), keyed))
    evidence = [value for key, value in _walk(plain) if key == "evidence"]
    assert evidence and evidence == [value for key, value in _walk(redacted) if key == "evidence"]
    unkeyed = Disclosure(redact_key=b"k" * 16)  # a public key: digests are hashes of ids, withheld from a --redact output
    withheld = json.loads(render_json(disclose(rel, unkeyed), unkeyed))
    digests = [v["records"] for k, v in _walk(plain) if k == "evidence" and "records" in v]
    assert digests and {v["records"] for k, v in _walk(withheld) if k == "evidence" and "records" in v} == {"withheld"}


# --- the commands ---------------------------------------------------------------------------------------------------


CENSUS = DATA / "CIN_Census_2021.xml"  # one death date with no RC2: an error by default


def test_check_with_an_acknowledged_check_passes_and_its_junit_skips_it(tmp_path: Path) -> None:
    first = run_cli("check", "--source", "cin", str(CENSUS), "--json", str(tmp_path / "r.json"), "--jobs", "1")
    assert first.returncode == 1, first.stderr
    acks = tmp_path / "acks.yaml"
    done = run_cli("acknowledge", str(tmp_path / "r.json"), "--reason", "a closure the LA is adding", "--owner", "CIN team",
                   "--expires", "2099-03-31", "--file", str(acks))  # fmt: skip
    assert done.returncode == 0, done.stderr
    outputs = ("--junit", str(tmp_path / "j.xml"), "--html", str(tmp_path / "r.html"), "--jobs", "1")
    passed = run_cli("check", "--source", "cin", str(CENSUS), "--acknowledgements", str(acks), *outputs)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.startswith("PASS (1 acknowledged)  cin (cin)")
    skipped = _case((tmp_path / "j.xml").read_text(encoding="utf-8"), "check/cin/death.date_without_reason").find("skipped")
    assert skipped is not None and skipped.get("message") == "acknowledged: a closure the LA is adding (CIN team, until 2099-03-31)"
    assert "passes with 1 acknowledged finding" in (tmp_path / "r.html").read_text(encoding="utf-8")
    acks.write_text(acks.read_text(encoding="utf-8").replace("expires: 2099-03-31", "expires: 2020-01-01"), encoding="utf-8")
    expired = run_cli("check", "--source", "cin", str(CENSUS), "--acknowledgements", str(acks), *outputs)
    assert expired.returncode == 1, expired.stderr
    assert expired.stdout.startswith("FAIL (1 expired)  cin (cin)")
    failure = _case((tmp_path / "j.xml").read_text(encoding="utf-8"), "check/cin/death.date_without_reason").find("failure")
    assert failure is not None and failure.get("message").startswith("acknowledgement expired on 2020-01-01 (CIN team)")


def test_reconcile_says_what_was_acknowledged_changed_expired_and_stale(synthetic: Path, tmp_path: Path) -> None:
    config = str(synthetic / "release.yaml")
    first = run_cli("reconcile", "--config", config, "--json", str(tmp_path / "r.json"), "--jobs", "1")
    assert first.returncode == 1, first.stderr
    acks = tmp_path / "acks.yaml"
    done = run_cli("acknowledge", str(tmp_path / "r.json"), "--reason", "known lag", "--owner", "Data team", "--file", str(acks))
    assert done.returncode == 0, done.stderr
    outputs = ("--json", str(tmp_path / "a.json"), "--junit", str(tmp_path / "j.xml"), "--summary-md", str(tmp_path / "s.md"),
               "--html", str(tmp_path / "a.html"), "--jobs", "1")  # fmt: skip
    passed = run_cli("reconcile", "--config", config, "--acknowledgements", str(acks), *outputs)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    count = len(json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["acknowledgements"]["acknowledged"])
    assert count > 2
    assert f"ACKNOWLEDGED {count} findings ({acks})" in passed.stdout
    assert f"passes with {count} acknowledged findings" in (tmp_path / "a.html").read_text(encoding="utf-8")
    assert (tmp_path / "s.md").read_text(encoding="utf-8").startswith(f"## Triangulate: PASS ({count} acknowledged)")

    # The national entry's evidence edited (changed), the next one expired, and an entry for nothing (stale).
    text = acks.read_text(encoding="utf-8")
    national = "- key: comparison/lac_deaths/2021-22/E92000001/csprp/dfe_cla\n  evidence: {left: 48, right: 49}"
    assert national in text
    text = text.replace(national, national.replace("right: 49", "right: 47"))
    entries = text.split("- key: ")
    entries[2] = re.sub(r"acknowledged_on: \S+", "acknowledged_on: 2019-12-01\n  expires: 2020-01-01", entries[2])
    expired_key = entries[2].split("\n")[0]
    text = "- key: ".join(entries) + (f"- key: {STALE_KEY}\n  evidence: {{left: 1, right: 2}}\n  reason: gone\n"
                                      "  owner: Data team\n  acknowledged_on: 2026-01-01\n")  # fmt: skip
    acks.write_text(text, encoding="utf-8")
    failed = run_cli("reconcile", "--config", config, "--acknowledgements", str(acks), *outputs)
    assert failed.returncode == 1, failed.stderr
    national_key = "comparison/lac_deaths/2021-22/E92000001/csprp/dfe_cla"
    assert f"CHANGED {national_key}: acknowledged {{left: 48, right: 47}}, now {{left: 48, right: 49}} (Data team)" in failed.stdout
    assert f"EXPIRED {expired_key}: expired on 2020-01-01 (Data team)" in failed.stdout
    assert f"STALE {STALE_KEY}: matches no finding of this run" in failed.stdout
    document = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert document["acknowledgements"]["changed"] == [national_key] and document["acknowledgements"]["expired"] == [expired_key]
    assert document["acknowledgements"]["stale"] == [STALE_KEY] and set(document["blocking"]) == {national_key, expired_key}
    markdown = (tmp_path / "s.md").read_text(encoding="utf-8")
    assert "{left: 48, right: 47}; now {left: 48, right: 49}" in markdown and "2020-01-01 (expired)" in markdown
    assert f"`{STALE_KEY}`" in markdown
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    rows = _rows(html)
    assert rows[national_key][0] == "Evidence changed" and rows[national_key][-2:] == ["{left: 48, right: 47}", "{left: 48, right: 49}"]
    assert rows[expired_key][0] == "Expired" and STALE_KEY in _section(html).text_content()
    assert "1 acknowledgement changed and 1 expired" in lxml.html.fromstring(html).xpath("//section[@id='first-page']")[0].text_content()
    junit = (tmp_path / "j.xml").read_text(encoding="utf-8")
    assert "now {left: 48, right: 49}" in _case(junit, national_key).find("failure").get("message")
    assert _case(junit, expired_key).find("failure").get("message").startswith("acknowledgement expired on 2020-01-01")
    assert _case(junit, STALE_KEY).get("classname") == "acknowledgements"
