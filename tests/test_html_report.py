import csv
import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import unquote

import lxml.html
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.release import Provenance, Release
from triangulate.reports.disclosure import Disclosure
from triangulate.reports.html import neutralise, render_report_files
from triangulate.reports.view import build_report_view

from .conftest import ATTRIBUTE, SCRIPT, run_cli

URL_ATTRIBUTES = ("href", "src", "xlink:href", "action", "formaction", "poster", "data")


def _document(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def test_report_has_every_section_a_steward_needs(demo_report: Path) -> None:
    page = _document(demo_report / "report.html")
    headings = [h.text_content().strip() for h in page.iter("h2")]
    for section in ("Summary", "Verdict in full", "Discrepancies explained", "Each measure: definition, counts, bridges, trend",
                    "Checks on each source", "Unmatched records", "Glossary of checks", "Provenance"):  # fmt: skip
        assert section in headings
    verdict = page.get_element_by_id("verdict").getparent().text_content()
    assert "FAIL" in verdict and "disagree on deaths of looked-after children" in verdict
    first = page.get_element_by_id("first-page").text_content()
    assert "Do not release yet" in first and "What matters most" in first
    assert len(page.findall(".//figure//svg")) == 4  # a trend chart per measure
    assert all(th.get("scope") in ("col", "row", "rowgroup") for th in page.iter("th"))
    # Every check id the report links to has its glossary entry, saying what it catches and why it matters.
    anchors = {a.get("href")[1:] for a in page.iter("a") if (a.get("href") or "").startswith("#g-")}
    entries = [page.get_element_by_id(anchor).xpath("ancestor-or-self::tr")[0] for anchor in anchors]
    assert anchors and all(len(entry.findall("td")) == 2 and entry.xpath("ancestor::section[@aria-labelledby='glossary']")
                           for entry in entries)  # fmt: skip
    # No empty section or table; the provenance's 470 files are folded away and written in full beside the report.
    assert all(table.xpath(".//tbody/tr") for table in page.iter("table"))
    assert all(len(section) > 1 for section in page.iter("section"))
    files = page.xpath("//table[caption='Input files']")[0]
    assert files.xpath("ancestor::details")
    with (demo_report / "report.provenance.csv").open(encoding="utf-8") as handle:
        provenance = list(csv.DictReader(handle))
    assert len(provenance) >= len(files.xpath(".//tbody/tr")) and all(re.fullmatch(r"[0-9a-f]{64}", r["sha256"]) for r in provenance)


def test_no_url_points_outside_the_file(demo_report: Path) -> None:
    html = demo_report / "report.html"
    page = _document(html)
    side_files = {"./" + p.name for p in demo_report.glob("report.*.csv")}
    assert side_files == {f"./report.{name}.csv" for name in ("check-failures", "unmatched", "provenance", "lac_deaths", "cin_deaths",
                                                              "cpp_deaths", "abuse_neglect_deaths")}  # fmt: skip
    for element in page.iter():
        for attribute in URL_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None:
                assert value.startswith("#") or unquote(value) in side_files, (element.tag, attribute, value)
    text = html.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}|url\((?!#)|@import", text, re.I)  # url(#id) is internal


def test_payloads_in_input_fields_show_as_text(payload_report: Path) -> None:
    html = payload_report / "report.html"
    page = _document(html)
    assert page.findall(".//script") == [] and page.findall(".//img") == []
    assert not any(key.startswith("on") for element in page.iter() for key in element.attrib)
    samples = " ".join(cell.text_content() for cell in page.find_class("ids"))
    assert SCRIPT in samples and ATTRIBUTE in samples  # NCMD record ids, shown as text
    assert ATTRIBUTE + SCRIPT in samples  # a CIN LAchildID from the XML
    headers = " ".join(th.text_content() for th in page.iter("th"))
    assert "ncmd" + SCRIPT in headers  # the source name, in the tables' headers
    assert ATTRIBUTE.replace("/", "") + ".csv" in page.text_content()  # the file name in the provenance table
    side = (payload_report / "report.check-failures.csv").read_text(encoding="utf-8")
    assert SCRIPT in side
    provenance = (payload_report / "report.provenance.csv").read_text(encoding="utf-8")
    assert ATTRIBUTE.replace("/", "") + ".csv" in provenance


def test_side_files_hold_every_failing_id_and_neutralise_formulas(demo_report: Path, synthetic: Path) -> None:
    import json

    with (demo_report / "report.check-failures.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    results = json.loads((demo_report / "results.json").read_text())
    expected = sum(len(c["record_ids"]) for s in results["sources"] for c in s["checks"])
    assert len(rows) == expected
    assert neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert [neutralise(v) for v in ("+1", "-1", "@a", "\tx", "\rx", "N001")] == ["'+1", "'-1", "'@a", "'\tx", "'\rx", "N001"]


def test_a_hundred_thousand_failing_records_stay_under_5_mb(tmp_path: Path) -> None:
    ids = tuple(f"C{n:07d}" for n in range(100_000))
    outcome = CheckOutcome("age.over_17", "error", "death at age 18 or over", len(ids), ids, ids)
    source = SourceResult(
        "dfe_cin", "cin", 100_000, 100_000, dt.date(2024, 3, 31), (InputFile("a.xml", 1, "0" * 64),), (outcome,)
    )
    provenance = Provenance(dt.datetime(2024, 5, 1, tzinfo=dt.UTC), None, "c.yaml", "", (), (("triangulate", "0"),))
    release = Release("check", (source,), None, provenance)
    files = render_report_files(build_report_view(release, Disclosure()), tmp_path / "report.html")
    report = files[tmp_path / "report.html"]
    assert len(report.encode("utf-8")) < 5_000_000
    assert "and 99,990 more" in report
    side = files[tmp_path / "report.check-failures.csv"]
    assert side.count("\n") == 100_001


def test_publish_suppresses_small_numbers_and_shows_no_record_ids(synthetic: Path, demo_report: Path, tmp_path: Path) -> None:
    import json
    import shutil

    for side in demo_report.glob("report.*.csv"):  # an earlier, unpublished run in the same folder
        shutil.copy(side, tmp_path / side.name)
    result = run_cli("run", str(synthetic / "release.yaml"), "--out", str(tmp_path), "--publish")
    assert result.returncode == 1, result.stderr
    # No ids beside it, and the old side files that held them are gone; the tables and the provenance stay.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report.abuse_neglect_deaths.csv", "report.cin_deaths.csv", "report.cpp_deaths.csv", "report.html", "report.lac_deaths.csv",
        "report.provenance.csv"]  # fmt: skip
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    results = json.loads((demo_report / "results.json").read_text())
    ids = {i for s in results["sources"] for c in s["checks"] for i in c["record_ids"]}
    ids |= {i for u in results["unmatched"] for i in u["only_left"] + u["only_right"]}
    assert ids and not any(i in html for i in ids if len(i) > 4)
    page = lxml.html.fromstring(html)
    cells = [td.text_content().strip() for td in page.iter("td") if "num" in (td.get("class") or "")]
    assert "c" in cells
    assert not any(re.fullmatch(r"[+-]?[1-5]", cell) for cell in cells)
    assert not re.search(r"\b[1-5] deaths? (in|is|are|that)\b", page.text_content())  # explanations too
    assert not re.search(r"\bc deaths?\b", page.text_content())  # nor a plural that gives a hidden count away
    tables = " ".join((tmp_path / f"report.{m}.csv").read_text() for m in ("lac_deaths", "cin_deaths", "cpp_deaths"))
    assert not re.search(r"(^|,)[1-5](,|$)", tables, re.M)


def test_suppression_covers_signed_changes_and_leaves_large_counts() -> None:
    from triangulate.reports.wording import signed as _signed

    publish = Disclosure(publish=True)
    assert [_signed(n, publish) for n in (-3, 3, 0, -6, 12)] == ["-c", "+c", "0", "-6", "+12"]
    assert [publish.count(n) for n in (0, 1, 5, 6)] == ["0", "c", "c", "6"]
    assert "a-key" not in repr(Disclosure(b"a-key-of-sixteen-chars", False))


def test_redact_hashes_ids_with_a_key_that_is_never_written(synthetic: Path, tmp_path: Path) -> None:
    key = "a-secret-key-for-the-test-0123456789"
    missing = run_cli("run", str(synthetic / "release.yaml"), "--out", str(tmp_path / "no-key"), "--redact",
                      env={"TRIANGULATE_REDACT_KEY": ""})  # fmt: skip
    assert missing.returncode == 2 and "TRIANGULATE_REDACT_KEY" in missing.stderr
    assert not (tmp_path / "no-key").exists()
    result = run_cli(
        "run", str(synthetic / "release.yaml"), "--out", str(tmp_path), "--redact", env={"TRIANGULATE_REDACT_KEY": key}
    )
    assert result.returncode == 1, result.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    side = (tmp_path / "report.check-failures.csv").read_text(encoding="utf-8")
    assert re.search(r"h-[0-9a-f]{16}", html) and re.search(r"h-[0-9a-f]{16}", side)
    # Disclosure is applied once for every output: JSON, JUnit, Markdown, the side files and the console too.
    outputs = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir() if p.is_file()}
    assert {"results.json", "junit.xml", "summary.md", "report.html"} <= set(outputs)
    outputs["stdout"] = result.stdout
    assert re.search(r"h-[0-9a-f]{16}", outputs["results.json"]) and re.search(r"h-[0-9a-f]{16}", result.stdout)
    for name, text in outputs.items():
        for known in ("XCIN-LATE-1", "X903-LATE-1", "XN-LATE-1", "XS-LATE-1"):  # injected defect ids from the manifest
            assert known not in text, f"{known} in {name}"
        assert key not in text


def test_publish_withholds_record_ids_from_every_output_asked_for(synthetic: Path, tmp_path: Path) -> None:
    result = run_cli("run", str(synthetic / "release.yaml"), "--out", str(tmp_path), "--publish",
                     "--json", str(tmp_path / "results.json"), "--junit", str(tmp_path / "junit.xml"))  # fmt: skip
    assert result.returncode == 1, result.stderr
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert all(not check["record_ids"] for source in document["sources"] for check in source["checks"])
    assert all(not u["only_left"] and not u["only_right"] for u in document["unmatched"])
    assert any(u["record_ids_withheld"]["only_left"] for u in document["unmatched"])  # counts survive
    for text in ((tmp_path / "junit.xml").read_text(encoding="utf-8"), result.stdout):
        for known in ("XCIN-LATE-1", "X903-LATE-1", "XN-LATE-1", "XS-LATE-1"):
            assert known not in text
