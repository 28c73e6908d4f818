"""The SSDA903 return as XML: the same checks and record ids as the CSV pair; hostile or broken XML is refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from triangulate.errors import InputError
from triangulate.readers.ssda903 import read_ssda903
from triangulate.schemas.ssda903 import EPISODES, HEADER

from .conftest import DATA, run_cli

SAMPLE = DATA / "ssda903_xml" / "fake_903_excerpt.xml"
REFERENCE = "2024-03-31"

# One return, written below both as header.csv + episodes.csv and as one XML file.
CHILDREN = [
    {"CHILD": "C1", "SEX": "1", "DOB": "12/05/2012", "ETHNIC": "WBRI", "UPN": "A123456789012"},  # died, in scope
    {"CHILD": "C2", "SEX": "2", "DOB": "03/03/2008", "ETHNIC": "BAFR"},  # still looked after
    {"CHILD": "C3", "SEX": "", "DOB": "01/01/2015", "ETHNIC": "MOTH"},  # missing.SEX
    {"CHILD": "C4", "SEX": "1", "DOB": "31/02/2011", "ETHNIC": "WBRI"},  # date.unparseable
    {"CHILD": "C5", "SEX": "2", "DOB": "01/01/2001", "ETHNIC": "AIND"},  # died aged 20: age.over_17
    {"CHILD": "C6", "SEX": "1", "DOB": "05/05/2016", "ETHNIC": "WBRI"},  # E2 without DEC: death.missing_date
    {"CHILD": "C7", "SEX": "1", "DOB": "02/02/2014", "ETHNIC": "WIRI"},  # invalid.REC
]
EPISODE_ROWS = [
    {"CHILD": "C1", "DECOM": "01/02/2020", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U1", "PLACE_PROVIDER": "PR1",
     "DEC": "15/06/2022", "REC": "E2"},
    {"CHILD": "C2", "DECOM": "10/10/2019", "RNE": "S", "LS": "C2", "CIN": "N2", "PLACE": "U1", "PLACE_PROVIDER": "PR1",
     "DEC": "04/04/2021", "REC": "X1", "REASON_PLACE_CHANGE": "CARPL"},
    {"CHILD": "C2", "DECOM": "04/04/2021", "RNE": "P", "LS": "C2", "CIN": "N2", "PLACE": "K2", "PLACE_PROVIDER": "PR2"},
    {"CHILD": "C3", "DECOM": "01/06/2021", "RNE": "S", "LS": "V2", "CIN": "N1", "PLACE": "U1", "DEC": "01/09/2021",
     "REC": "E13"},
    {"CHILD": "C4", "DECOM": "01/06/2021", "RNE": "S", "LS": "V2", "CIN": "N1", "PLACE": "U1"},
    {"CHILD": "C5", "DECOM": "01/06/2019", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "R1", "DEC": "10/10/2021",
     "REC": "E2"},
    {"CHILD": "C6", "DECOM": "01/06/2022", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U1", "REC": "E2"},
    {"CHILD": "C7", "DECOM": "01/06/2022", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U1", "DEC": "01/07/2022",
     "REC": "ZZ"},
]  # fmt: skip
XML_NAMES = {"CHILD": "CHILDID", "PLACE": "PL"}
NESTED_TABLES = (
    "<AREVIEW><REVIEW>01/01/2022</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>"
    "<OC2><SDQ_SCORE>12</SDQ_SCORE><CONVICTED>0</CONVICTED></OC2>"
    "<PERMANENCE><PREV_PERM>Z1</PREV_PERM></PERMANENCE>"
)


def write_csv_pair(folder: Path) -> list[Path]:
    paths = []
    for name, spec, rows in (("header.csv", HEADER, CHILDREN), ("episodes.csv", EPISODES, EPISODE_ROWS)):
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=spec.columns)
            writer.writeheader()
            writer.writerows(rows)
        paths.append(folder / name)
    return paths


def _element(column: str, value: str) -> str:
    tag = XML_NAMES.get(column, column)
    return f"<{tag}>{value}</{tag}>" if value else f"<{tag} />"


def xml_return(prolog: str = "<?xml version='1.0' encoding='us-ascii'?>\n", before_root: str = "") -> str:
    lines = [prolog.rstrip("\n"), before_root, "<EXPSSDA903>"] if before_root else [prolog.rstrip("\n"), "<EXPSSDA903>"]
    for child in CHILDREN:
        # MC_DOB is left out altogether (an absent element is a blank too); the rest are written, empty or not.
        fields = "".join(_element(c, child.get(c, "")) for c in HEADER.columns if c != "MC_DOB")
        lines += ["  <CHILD>", f"    <HEADER>{fields}<UASC />{NESTED_TABLES}<IN_TOUCH>YES</IN_TOUCH></HEADER>"]
        for episode in (e for e in EPISODE_ROWS if e["CHILD"] == child["CHILD"]):
            lines.append(
                "    <EPISODE>"
                + "".join(_element(c, episode.get(c, "")) for c in EPISODES.columns if c != "CHILD")
                + "</EPISODE>"
            )
        lines.append("  </CHILD>")
    lines.append("</EXPSSDA903>")
    return "\n".join(lines) + "\n"


def check(*paths: Path, out: Path):
    return run_cli("check", "--source", "ssda903", *map(str, paths), "--reference-date", REFERENCE, "--json", str(out))


def results(out: Path) -> tuple[dict, dict[str, tuple]]:
    report = json.loads(out.read_text(encoding="utf-8"))
    checks = {c["id"]: (c["status"], c["failed"], tuple(c["record_ids"])) for c in report["checks"]}
    return report, checks


def locations(out: Path, check_id: str) -> list[str]:
    report = json.loads(out.read_text(encoding="utf-8"))
    return next(c["locations"] for c in report["checks"] if c["id"] == check_id)


def assert_bad_input(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_xml_gives_the_same_checks_and_record_ids_as_the_csv_pair(tmp_path: Path) -> None:
    csv_paths = write_csv_pair(tmp_path)
    xml_path = tmp_path / "return.xml"
    xml_path.write_text(xml_return(), encoding="ascii")
    from_csv, from_xml = check(*csv_paths, out=tmp_path / "csv.json"), check(xml_path, out=tmp_path / "xml.json")
    assert from_csv.returncode == from_xml.returncode == 1, from_csv.stderr + from_xml.stderr
    assert "Traceback" not in from_csv.stderr + from_xml.stderr
    csv_report, csv_checks = results(tmp_path / "csv.json")
    xml_report, xml_checks = results(tmp_path / "xml.json")
    assert xml_checks == csv_checks
    assert (xml_report["records"], xml_report["deaths"]) == (csv_report["records"], csv_report["deaths"]) == (7, 3)
    failed = {check_id: ids for check_id, (status, _, ids) in xml_checks.items() if status == "failed"}
    assert failed == {
        "missing.SEX": ("C3",),
        "date.unparseable": ("C4",),
        "invalid.REC": ("C7",),
        "age.over_17": ("C5",),
        "death.missing_date": ("C6",),
    }
    # Failures point at the XML's own lines: C3's HEADER, C6's E2 EPISODE.
    text = xml_path.read_text(encoding="ascii").splitlines()
    header_line = next(n for n, line in enumerate(text, 1) if "<CHILDID>C3<" in line)
    assert locations(tmp_path / "xml.json", "missing.SEX") == [f"return.xml:{header_line}"]
    episode_line = next(
        n for n, line in enumerate(text, 1) if "<EPISODE>" in line and "<REC>E2</REC>" in line and "<DEC />" in line
    )
    assert locations(tmp_path / "xml.json", "death.missing_date") == [f"return.xml:{episode_line}"]


def test_the_xml_frames_match_the_csv_frames(tmp_path: Path) -> None:
    csv_tables = read_ssda903(write_csv_pair(tmp_path))
    (tmp_path / "return.xml").write_text(xml_return(), encoding="ascii")
    xml_tables = read_ssda903([tmp_path / "return.xml"])
    for csv_frame, xml_frame in ((csv_tables.header, xml_tables.header), (csv_tables.episodes, xml_tables.episodes)):
        data = [c for c in csv_frame.columns if not c.startswith("_")]
        assert list(xml_frame.columns) == list(csv_frame.columns)
        assert xml_frame[data].astype("string").equals(csv_frame[data].astype("string"))
        assert (xml_frame["_file"] == "return.xml").all()
        assert xml_frame["_line"].is_monotonic_increasing and xml_frame["_line"].min() > 2


def test_the_data_to_insight_fake_sample(tmp_path: Path) -> None:
    """Real element names, as written by the data-to-insight 903 validator's fake data (one line per CHILD)."""
    tables = read_ssda903([SAMPLE])
    assert len(tables.header) == 9 and len(tables.episodes) == 21
    assert tables.episodes["PLACE"].notna().all()  # <PL> read as PLACE
    assert tables.header.loc[0, ["CHILD", "SEX", "DOB", "ETHNIC"]].tolist() == ["907440", "2", "28/07/2010", "BAFR"]
    result = check(SAMPLE, out=tmp_path / "out.json")
    assert result.returncode == 1, result.stdout + result.stderr  # one E2 episode has no DEC
    report, checks = results(tmp_path / "out.json")
    assert (report["records"], report["deaths"]) == (9, 2)
    assert checks["death.missing_date"] == ("failed", 1, ("228005",))
    # One line per CHILD: its episodes share the line, so the element path tells which (issue 21, item 6).
    assert locations(tmp_path / "out.json", "death.missing_date") == ["fake_903_excerpt.xml:3 /EXPSSDA903/CHILD[2]/EPISODE[4]"]
    assert all(status != "crashed" for status, _, _ in checks.values())


def test_a_dtd_after_a_long_comment_is_refused(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.xml"
    comment = "<!-- " + "x" * 9 * 1024 + " -->"
    doctype = '<!DOCTYPE EXPSSDA903 [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    hostile.write_text(xml_return(before_root=comment + "\n" + doctype).replace("<ETHNIC>WBRI<", "<ETHNIC>&b;<"))
    result = check(hostile, out=tmp_path / "out.json")
    assert_bad_input(result, "hostile.xml", "DTD")
    assert not (tmp_path / "out.json").exists()


def test_an_external_dtd_is_refused_without_fetching(tmp_path: Path) -> None:
    hostile = tmp_path / "external.xml"
    hostile.write_text(xml_return(before_root='<!DOCTYPE EXPSSDA903 SYSTEM "http://127.0.0.1:9/x.dtd">'))
    assert_bad_input(check(hostile, out=tmp_path / "out.json"), "external.xml", "DTD")


def test_malformed_xml_names_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    lines = xml_return().splitlines()
    bad = next(n for n, line in enumerate(lines) if "<CHILDID>C4<" in line)
    lines[bad] = lines[bad].replace("</SEX>", "</SEXX>")
    broken.write_text("\n".join(lines) + "\n")
    assert_bad_input(check(broken, out=tmp_path / "out.json"), f"broken.xml:line {bad + 1}:", "malformed XML")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("<?xml version='1.0'?>\n<Message><Header/></Message>\n", "root element is Message"),
        ("<?xml version='1.0'?>\n<EXPSSDA903>\n</EXPSSDA903>\n", "no CHILD"),
        ("<?xml version='1.0'?>\n", "malformed XML"),
    ],
)
def test_not_an_ssda903_return(tmp_path: Path, content: str, fragment: str) -> None:
    (tmp_path / "other.xml").write_text(content)
    assert_bad_input(check(tmp_path / "other.xml", out=tmp_path / "out.json"), "other.xml", fragment)


def test_xml_is_sniffed_not_named(tmp_path: Path) -> None:
    """A BOM and leading whitespace before `<` (allowed when there is no XML declaration), and a .csv name."""
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbf  \n" + xml_return(prolog="").encode())
    tables = read_ssda903([path])
    assert tables.header["CHILD"].tolist() == [c["CHILD"] for c in CHILDREN]
    assert len(tables.episodes) == len(EPISODE_ROWS)


def write_oc3(folder: Path) -> Path:
    path = folder / "oc3.csv"
    path.write_text("CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nL1,30/03/2003,DIED,F1,01\nL2,01/04/2003,YES,G4,S1\n")
    return path


def test_an_oc3_csv_beside_the_pair_is_skipped_not_refused(tmp_path: Path) -> None:
    pair = write_csv_pair(tmp_path)
    oc3 = write_oc3(tmp_path)
    alone, beside = check(*pair, out=tmp_path / "pair.json"), check(*pair, oc3, out=tmp_path / "with_oc3.json")
    assert alone.returncode == beside.returncode == 1, beside.stdout + beside.stderr
    assert "Traceback" not in beside.stderr
    assert results(tmp_path / "with_oc3.json")[1] == results(tmp_path / "pair.json")[1]
    tables = read_ssda903([*pair, oc3])
    assert tables.skipped == (f"{oc3}: an OC3 (care leavers) table, not needed for deaths; skipped",)
    assert "L1" not in set(tables.header["CHILD"])


def test_other_903_tables_are_recognised(tmp_path: Path) -> None:
    others = {
        "uasc.csv": ("CHILD,SEX,DOB,DUC\nC2,2,03/03/2008,03/03/2026\n", "UASC"),
        "oc2.csv": ("CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK\nC2,03/03/2008,12,,0,1,1,1\n", "OC2"),
        "ad1.csv": ("CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\nC2,03/03/2008,01/01/2020,01/02/2020,0,1,MM,L0\n", "AD1"),
        "reviews.csv": ("CHILD,DOB,REVIEW,REVIEW_CODE\nC2,03/03/2008,01/01/2022,PN1\n", "reviews"),
        "missing.csv": ("CHILD,DOB,MISSING,MIS_START,MIS_END\nC2,03/03/2008,M,01/01/2022,02/01/2022\n", "missing"),
        "prev_perm.csv": ("CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\nC2,03/03/2008,Z1,,\n", "permanence"),
        "placed.csv": ("CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\nC2,03/03/2008,01/01/2020,,\n", "adoption"),
        "sw.csv": ("CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON\nC2,03/03/2008,SW1,01/01/2020,,\n", "social worker"),
    }  # fmt: skip
    paths = []
    for name, (content, _) in others.items():
        (tmp_path / name).write_text(content)
        paths.append(tmp_path / name)
    xml_path = tmp_path / "return.xml"
    xml_path.write_text(xml_return(), encoding="ascii")
    tables = read_ssda903([xml_path, *paths])  # XML and CSVs mixed
    assert len(tables.header) == len(CHILDREN)  # the UASC table (CHILD, SEX, DOB, DUC) is not taken for a header
    assert len(tables.skipped) == len(others)
    for note, (name, (_, what)) in zip(tables.skipped, others.items(), strict=True):
        assert note.startswith(f"{tmp_path / name}: ") and what in note and note.endswith("skipped")


def test_an_unknown_csv_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "mystery.csv").write_text("A,B\n1,2\n")
    with pytest.raises(InputError, match="neither an SSDA903 header"):
        read_ssda903([*write_csv_pair(tmp_path), tmp_path / "mystery.csv"])
    result = check(*write_csv_pair(tmp_path), tmp_path / "mystery.csv", out=tmp_path / "out.json")
    assert_bad_input(result, "mystery.csv:line 1:", "neither an SSDA903 header")
