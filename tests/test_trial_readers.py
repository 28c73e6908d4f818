"""A new user's trial of the readers: workbooks read from the wrong sheet or row, and an unknown CIN LA code."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import one_error_line as _one_error_line
from .conftest import run_cli

NCMD = ["ncmd_case_id", "child_id", "la_code", "sex", "date_of_birth", "date_of_death", "social_care_status"]


def _row(number: int) -> list[str]:
    return [f"N{number}", "", "E06000001", "M", "2010-01-01", "2020-06-01", "LAC"]


def _workbook(path: Path, sheets: dict[str, list[list[str | None]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path




def test_two_sheets_with_the_expected_columns_are_refused_naming_both(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "x.xlsx", {
        "2022 extract": [NCMD, *(_row(n) for n in range(10))],
        "2024 extract": [NCMD, *(_row(n) for n in range(26))],
    })  # fmt: skip
    line = _one_error_line(run_cli("check", "--source", "ncmd", str(book), "--json", str(tmp_path / "r.json")))
    assert "x.xlsx" in line and "'2022 extract'" in line and "'2024 extract'" in line
    assert "keep one sheet or save it as CSV" in line
    assert not (tmp_path / "r.json").exists()


def test_a_notes_sheet_beside_the_data_is_not_ambiguous(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "x.xlsx", {"notes": [["Extract of 2024"]], "data": [NCMD, *(_row(n) for n in range(3))]})
    result = run_cli("check", "--source", "ncmd", str(book))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 records" in result.stdout


def test_title_rows_above_the_header_are_named_as_the_cause(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "x.xlsx", {"Sheet1": [["NCMD deaths extract, 2024"], [None], NCMD, _row(1)]})
    line = _one_error_line(run_cli("check", "--source", "ncmd", str(book)))
    assert "x.xlsx" in line and "sheet 'Sheet1'" in line
    assert "the header is not on the first row (row 3 has the expected columns)" in line
    assert "remove the title rows above it" in line and "no name in the header" not in line


def test_a_header_on_the_first_row_is_read_as_before(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "x.xlsx", {"Sheet1": [NCMD, _row(1), [None], _row(2)]})
    result = run_cli("check", "--source", "ncmd", str(book))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 records" in result.stdout


CIN_CHILD = """
    <Child>
      <ChildIdentifiers>
        <LAchildID>{child}</LAchildID>
        <PersonBirthDate>2015-03-27</PersonBirthDate>
        <PersonDeathDate>{death}</PersonDeathDate>
        <Sex>1</Sex>
      </ChildIdentifiers>
      <CINdetails>
        <CINreferralDate>2023-06-01</CINreferralDate>
        <CINclosureDate>2023-09-01</CINclosureDate>
        <ReasonForClosure>{reason}</ReasonForClosure>
      </CINdetails>
    </Child>"""


def _census(path: Path, lea: str) -> Path:
    children = CIN_CHILD.format(child="C1", death="2023-09-01", reason="RC2") + CIN_CHILD.format(child="C2", death="", reason="RC1")
    path.write_text(
        "<Message>\n  <Header>\n    <CollectionDetails><Collection>CIN</Collection><Year>2024</Year>"
        "<ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails>\n"
        f"    <Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA></Source>\n  </Header>\n"
        f"  <Children>{children}\n  </Children>\n</Message>\n",
        encoding="utf-8",
    )
    return path


def test_an_unknown_cin_la_code_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    # Issue 20: a census is its header LEA's return, so a file whose LEA is no LA has no place to be counted in:
    # exit 2 naming the file and the element (it was `invalid.LEA` on every row, and the run went on).
    census = _census(tmp_path / "c.xml", "999")
    result = run_cli("check", "--source", "cin", str(census), "--json", str(tmp_path / "r.json"))
    line = _one_error_line(result)
    assert "c.xml:line 4: Header/Source/LEA '999' is not an English LA" in line, line
    assert not (tmp_path / "r.json").exists()


def test_a_known_cin_la_code_passes_the_check(tmp_path: Path) -> None:
    for lea in ("201", "E09000001"):  # DfE's 3-digit code, or the ONS code
        census = _census(tmp_path / f"c{lea}.xml", lea)
        result = run_cli("check", "--source", "cin", str(census), "--json", str(tmp_path / "r.json"))
        checks = {c["id"]: c for c in json.loads((tmp_path / "r.json").read_text())["checks"]}
        assert checks["invalid.LEA"]["status"] == "passed", result.stdout
