"""A table-driven corpus of hostile inputs across every reader, the run config and the outputs.

Each case asserts: the exit code; for bad input (exit 2) exactly one stderr line naming the file
(and the line or element where one exists); no traceback; nothing written under HOME; and no file
left behind (no output for exit 2, and no temporary `.part` file in any case). The cases run
in-process through the CLI's single exit-code site (`triangulate.cli.main`), which keeps the corpus fast.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import DATA

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status"
NCMD_ROW = "N1,,E06000001,M,2010-01-01,2020-06-01,LAC"
CSPRP = ("sin_id,child_id,la_code,incident_date,notification_date,date_of_birth,age_years,sex,nature,"
         "looked_after,cpp,cin,abuse_neglect,likely_cause")  # fmt: skip
CSPRP_ROW = "S1,,E06000001,2020-06-01,2020-06-03,2010-01-01,,M,death,current,never,never,known,"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
EES = "time_period,time_identifier,geographic_level,country_code,country_name,measure,number"
CIN = (DATA / "CIN_Census_2024.xml").read_text(encoding="utf-8")
RETURN_903 = (DATA / "ssda903_xml" / "fake_903_excerpt.xml").read_text(encoding="ascii")
ROUNDING = "{national: 10, regional: 10, local authority: 1}"


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, bytes | str]
    argv: tuple[str, ...]  # {d} is the folder the files are in, {o} the output folder
    code: int = 2
    fragments: tuple[str, ...] = ()  # in the one stderr line (exit 2) or in stdout (exit 0/1)
    outputs: tuple[str, ...] = field(default_factory=tuple)  # files that must exist afterwards


def ncmd(name: str, text: str | bytes, code: int = 2, *fragments: str) -> Case:
    return Case(name, {"x.csv": text}, ("check", "--source", "ncmd", "{d}/x.csv", "--reference-date", "2024-03-31",
                                         "--json", "{o}/r.json"), code, fragments)  # fmt: skip


def csprp(name: str, text: str, code: int = 2, *fragments: str) -> Case:
    return Case(name, {"x.csv": text}, ("check", "--source", "csprp", "{d}/x.csv", "--reference-date", "2024-03-31",
                                         "--json", "{o}/r.json"), code, fragments)  # fmt: skip


def cin(name: str, text: str | bytes, code: int = 2, *fragments: str) -> Case:
    return Case(name, {"c.xml": text}, ("check", "--source", "cin", "{d}/c.xml", "--json", "{o}/r.json"), code, fragments)


def ssda(name: str, files: dict[str, bytes | str], code: int = 2, *fragments: str, extra: tuple[str, ...] = ()) -> Case:
    paths = tuple(f"{{d}}/{n}" for n in files)
    return Case(name, files, ("check", "--source", "ssda903", *paths, "--reference-date", "2024-03-31", *extra,
                              "--json", "{o}/r.json"), code, fragments)  # fmt: skip


def config(name: str, yaml: str, code: int = 2, *fragments: str, files: dict[str, bytes | str] | None = None) -> Case:
    data = {"n.csv": f"{NCMD}\n{NCMD_ROW}\n", "p.csv": f"{EES}\n2020,Reporting year,National,E92000001,England,Deaths,50\n"}
    return Case(name, {**data, "run.yaml": yaml, **(files or {})}, ("run", "{d}/run.yaml", "--out", "{o}"), code, fragments)


def published(name: str, rows: str, code: int, *fragments: str, filter_: str = '{measure: "Deaths"}') -> Case:
    yaml = (f"sources:\n  pub: {{kind: published, path: p.csv, rounding: {ROUNDING}}}\n"
            f"measures:\n  - id: m\n    select:\n      pub: {{filter: {filter_}, value: number}}\n")  # fmt: skip
    return config(name, yaml, code, *fragments, files={"p.csv": f"{EES}\n{rows}"})


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_not_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


ROWS = "\n".join(f"N{n},,E06000001,M,2010-01-01,2020-06-01,LAC" for n in range(2, 6))
DTD = '<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY e "x">]>\n'
CIN_BODY = CIN[CIN.index("<Message"):]

CASES = [
    # --- NCMD CSV: structure ---
    Case("missing file", {}, ("check", "--source", "ncmd", "{d}/nope.csv"), 2, ("nope.csv", "not found")),
    ncmd("ncmd: empty file", "", 2, "x.csv", "empty"),
    ncmd("ncmd: header only", f"{NCMD}\n", 0, "0 records"),
    ncmd("ncmd: blank header line", f"\n{NCMD_ROW}\n", 2, "x.csv:line 1", "no header line"),
    ncmd("ncmd: missing required column", "ncmd_case_id,la_code\nN1,E06000001\n", 2, "x.csv:line 1", "date_of_birth"),
    ncmd("ncmd: column twice", f"{NCMD},sex\n{NCMD_ROW},M\n", 2, "x.csv:line 1", "appears twice"),
    ncmd("ncmd: ragged row", f"{NCMD}\n{NCMD_ROW}\n{NCMD_ROW},extra,more\n", 2, "x.csv:line 3", "more than the header"),
    ncmd("ncmd: quote never closed", f'{NCMD}\n{NCMD_ROW}\n"N2,,E06000001,M,2010-01-01,2020-06-01,LAC\n{ROWS}\n', 2, "x.csv:line 3", "never closed"),
    ncmd("ncmd: quote never closed after a multi-line field", f'{NCMD}\n"N\n1",,E06000001,M,2010-01-01,2020-06-01,LAC\n"N9,,E06000001\n', 2, "x.csv:line 4"),
    ncmd("ncmd: Excel trailing empty columns", f"{NCMD},,,\n{NCMD_ROW},,,\n", 0, "1 record,"),
    ncmd("ncmd: unnamed column with values", f"{NCMD},\n{NCMD_ROW},oops\n", 2, "x.csv:line 2", "no name"),
    ncmd("ncmd: zero-width space in a header name", NCMD.replace("date_of_death", "date_of\u200b_death") + f"\n{NCMD_ROW}\n", 0, "1 record,"),
    ncmd("ncmd: BOM in the middle of the header", NCMD.replace("sex", "\ufeffsex") + f"\n{NCMD_ROW}\n", 0, "1 record,"),
    ncmd("ncmd: NUL bytes", f"{NCMD}\n{NCMD_ROW}\n".encode() + b"\x00\x00\x00", 2, "x.csv:line 3", "binary"),
    ncmd("ncmd: UTF-8 then one cp1252 byte far below", (f"{NCMD}\n" + "N\u00e9,,E06000001,M,2010-01-01,2020-06-01,LAC\n" * 2000).encode()
         + b"N\xe9X,,E06000001,M,2010-01-01,2020-06-01,LAC\n", 2, "x.csv:line 2002", "mixes UTF-8"),
    ncmd("ncmd: cp1252 byte then UTF-8 later", f"{NCMD}\n".encode() + b"N\xe91,,E06000001,M,2010-01-01,2020-06-01,LAC\n"
         + "N\u00e92,,E06000001,M,2010-01-01,2020-06-01,LAC\n".encode(), 2, "x.csv:line 2", "mixes UTF-8"),
    ncmd("ncmd: Windows-1252 as Excel saves", f"{NCMD}\n".encode() + b"N\xe91,,E06000001,M,2010-01-01,2020-06-01,LAC\n", 0, "1 record,"),
    ncmd("ncmd: UTF-8 BOM", f"\ufeff{NCMD}\n{NCMD_ROW}\n".encode(), 0, "1 record,"),
    ncmd("ncmd: UTF-16 with BOM", f"{NCMD}\n{NCMD_ROW}\n".encode("utf-16"), 0, "1 record,"),
    ncmd("ncmd: byte undefined in Windows-1252", f"{NCMD}\n".encode() + b"N\x811,,E06000001,M,2010-01-01,2020-06-01,LAC\n", 2, "x.csv:line 2"),
    ncmd("ncmd: semicolons", f"{NCMD.replace(',', ';')}\n{NCMD_ROW.replace(',', ';')}\n", 0, "1 record,"),
    ncmd("ncmd: tabs", f"{NCMD.replace(',', chr(9))}\n{NCMD_ROW.replace(',', chr(9))}\n", 0, "1 record,"),
    ncmd("ncmd: corrupt workbook", b"PK\x03\x04 this is not really a zip", 2, "x.csv"),
    ncmd("ncmd: zip that is not a workbook", _zip_not_xlsx(), 2, "x.csv"),
    ncmd("ncmd: workbook renamed .csv", _xlsx_bytes([NCMD.split(","), NCMD_ROW.split(",")]), 0, "1 record,"),
    ncmd("ncmd: workbook with no data", _xlsx_bytes([]), 2, "x.csv"),
    ncmd("ncmd: workbook with a blank header cell", _xlsx_bytes([[*NCMD.split(","), None], NCMD_ROW.split(",")]), 0, "1 record,"),
    # --- NCMD CSV: values (correct handling: checks fail, exit 1) ---
    ncmd("ncmd: impossible date", f"{NCMD}\nN1,,E06000001,M,2010-02-30,2020-06-01,LAC\n", 1, "date.unparseable"),
    ncmd("ncmd: two-digit year", f"{NCMD}\nN1,,E06000001,M,01/02/10,2020-06-01,LAC\n", 1, "date.unparseable"),
    ncmd("ncmd: unknown sex code", f"{NCMD}\nN1,,E06000001,Male,2010-01-01,2020-06-01,LAC\n", 1, "invalid.sex", "codes seen: 'Male'"),
    ncmd("ncmd: unknown LA code", f"{NCMD}\nN1,,ZZ999,M,2010-01-01,2020-06-01,LAC\n", 1, "invalid.la_code"),
    ncmd("ncmd: ONS-shaped code not on the LA list", f"{NCMD}\nN1,,E06999999,M,2010-01-01,2020-06-01,LAC\n", 1, "invalid.la_code"),
    ncmd("ncmd: HTML in the LA column", f"{NCMD}\nN1,,<script>alert(1)</script>,M,2010-01-01,2020-06-01,LAC\n", 1, "invalid.la_code"),
    ncmd("ncmd: control characters in a record id", f"{NCMD}\nN\x1b[31m1,,E06000001,X,2010-01-01,2020-06-01,LAC\n", 1, "N\\x1b[31m1"),
    ncmd("ncmd: death before birth", f"{NCMD}\nN1,,E06000001,M,2020-01-01,2010-06-01,LAC\n", 1, "age.negative"),
    ncmd("ncmd: adult", f"{NCMD}\nN1,,E06000001,M,1990-01-01,2020-06-01,LAC\n", 1, "age.over_17"),
    ncmd("ncmd: same case twice", f"{NCMD}\n{NCMD_ROW}\n{NCMD_ROW}\n", 1, "duplicate.record"),
    ncmd("ncmd: every field blank but the id", f"{NCMD}\nN1,,,,,,\n", 1, "missing.la_code", "missing.sex"),
    ncmd("ncmd: only blank rows", f"{NCMD}\n,,,,,,\n,,,,,,\n", 0, "0 records"),
    # --- CSPRP ---
    csprp("csprp: valid notification", f"{CSPRP}\n{CSPRP_ROW}\n", 0, "1 record,"),
    csprp("csprp: missing nature column", CSPRP.replace(",nature", "") + "\n", 2, "x.csv:line 1", "nature"),
    csprp("csprp: age as text", f"{CSPRP}\n" + CSPRP_ROW.replace("2010-01-01,,", ",twelve,") + "\n", 1, "invalid.age_years"),
    csprp("csprp: age 99", f"{CSPRP}\n" + CSPRP_ROW.replace("2010-01-01,,", ",99,") + "\n", 1, "invalid.age_years"),
    csprp("csprp: neither birth date nor age", f"{CSPRP}\n" + CSPRP_ROW.replace("2010-01-01,,", ",,") + "\n", 1, "missing.date_of_birth"),
    csprp("csprp: unknown nature", f"{CSPRP}\n" + CSPRP_ROW.replace(",death,", ",dead,") + "\n", 1, "invalid.nature"),
    csprp("csprp: US-style date", f"{CSPRP}\n" + CSPRP_ROW.replace("2020-06-01", "6/30/2020") + "\n", 1, "date.unparseable"),
    csprp("csprp: ragged", f"{CSPRP}\n{CSPRP_ROW},x,y\n", 2, "x.csv:line 2"),
    # --- CIN census XML ---
    cin("cin: valid census", CIN, 0, "2 records"),
    cin("cin: truncated", CIN[: len(CIN) // 2], 2, "c.xml:line", "malformed XML"),
    cin("cin: not XML at all", "hello, world\n", 2, "c.xml"),
    cin("cin: empty file", "", 2, "c.xml", "empty"),
    cin("cin: binary", b"\x00\x01\x02\x03" * 100, 2, "c.xml"),
    cin("cin: DTD with an entity", DTD + CIN_BODY.replace("DfEX0000001", "&e;", 1), 2, "c.xml", "DTD"),
    cin("cin: DTD after a 9 KB comment", '<?xml version="1.0"?>\n<!--' + "x" * 9500 + '-->\n<!DOCTYPE Message [<!ENTITY e "x">]>\n'
        + CIN_BODY.replace("DfEX0000001", "&e;", 1), 2, "c.xml", "DTD"),
    cin("cin: external entity", '<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        + CIN_BODY.replace("DfEX0000001", "&e;", 1), 2, "c.xml"),
    cin("cin: Child elements misnamed", CIN.replace("<Child>", "<Kid>").replace("</Child>", "</Kid>"), 2, "c.xml", "Children/Child"),
    cin("cin: no Header", CIN[: CIN.index("<Header>")] + CIN[CIN.index("</Header>") + len("</Header>"):], 2, "c.xml", "Header"),
    cin("cin: no LEA", CIN.replace("<LEA>", "<LEAX>").replace("</LEA>", "</LEAX>"), 2, "c.xml", "LEA"),
    cin("cin: impossible reference date", CIN.replace("<ReferenceDate>2024-03-31", "<ReferenceDate>2024-02-30"), 1, "date.unparseable"),
    cin("cin: unknown closure reason", CIN.replace("<ReasonForClosure>RC", "<ReasonForClosure>ZZ", 1), 1, "invalid.ReasonForClosure"),
    cin("cin: unclosed tag", CIN.replace("</Children>", ""), 2, "c.xml:line"),
    cin("cin: wrong root, same children", CIN.replace("<Message", "<Msg").replace("</Message>", "</Msg>"), 0, "2 records"),
    cin("cin: processing instruction and comments", CIN.replace("<Children>", "<Children><?pi x?><!-- c -->"), 0, "2 records"),
    # --- SSDA903 ---
    ssda("ssda: header only", {"h.csv": f"{HEADER}\nC1,1,01/01/2010,,,,\n"}, 2, "no episodes table"),
    ssda("ssda: episodes only", {"e.csv": f"{EPISODES}\nC1,01/01/2020,,,,,,01/06/2020,E2,,,,\n"}, 2, "no header table"),
    ssda("ssda: neither table", {"h.csv": "a,b\n1,2\n"}, 2, "h.csv:line 1"),
    ssda("ssda: E2 with no header row", {"h.csv": f"{HEADER}\nC1,1,01/01/2010,,,,\n", "e.csv": f"{EPISODES}\nC9,01/01/2020,,,,,,01/06/2020,E2,,,,\n"},
         1, "missing.header"),
    ssda("ssda: HTML in the LA column", {"h.csv": f"{HEADER},LA\nC1,1,01/01/2010,,,,,<b>x</b>\n", "e.csv": f"{EPISODES}\nC1,01/01/2020,,,,,,01/06/2020,E2,,,,\n"},
         1, "invalid.LA"),
    ssda("ssda: unknown LA code", {"h.csv": f"{HEADER}\nC1,1,01/01/2010,,,,\n", "e.csv": f"{EPISODES}\nC1,01/01/2020,,,,,,01/06/2020,E2,,,,\n"},
         2, "--la-code", extra=("--la-code", "ZZ999")),
    ssda("ssda: unknown REC", {"h.csv": f"{HEADER}\nC1,1,01/01/2010,,,,\n", "e.csv": f"{EPISODES}\nC1,01/01/2020,,,,,,01/06/2020,E99,,,,\n"},
         1, "invalid.REC"),
    ssda("ssda: child twice in the header", {"h.csv": f"{HEADER}\nC1,1,01/01/2010,,,,\nC1,2,01/01/2011,,,,\n",
                                       "e.csv": f"{EPISODES}\nC1,01/01/2020,,,,,,01/06/2020,E2,,,,\n"}, 1, "duplicate.record"),
    ssda("SSDA903 XML return", {"r.xml": RETURN_903}, 1, "ssda903"),
    ssda("SSDA903 XML with a DTD after a long comment", {"r.xml": RETURN_903.replace("<EXPSSDA903>", "<!--" + "x" * 9500
         + '-->\n<!DOCTYPE EXPSSDA903 [<!ENTITY e "x">]>\n<EXPSSDA903>', 1)}, 2, "r.xml", "DTD"),
    ssda("SSDA903 XML with the wrong root", {"r.xml": RETURN_903.replace("EXPSSDA903", "EXPORT")}, 2, "r.xml"),
    ssda("SSDA903 XML truncated", {"r.xml": RETURN_903[: len(RETURN_903) // 2]}, 2, "r.xml:line"),
    ssda("SSDA903 OC3 table beside the return", {"r.xml": RETURN_903, "oc3.csv": "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nC1,01/01/2003,DIED,,\n"},
         1, "ssda903"),
    # --- Published tables ---
    published("published: 12a in a compared cell", "2020,Reporting year,National,E92000001,England,Deaths,12a\n", 1, "published.unreadable", "p.csv:2"),
    published("published: negative count", "2020,Reporting year,National,E92000001,England,Deaths,-50\n", 1, "published.unreadable"),
    published("published: fractional count", "2020,Reporting year,National,E92000001,England,Deaths,12.5\n", 1, "published.unreadable"),
    published("published: exponent", "2020,Reporting year,National,E92000001,England,Deaths,1e3\n", 1, "published.unreadable"),
    published("published: decimal comma", "2020,Reporting year,National,E92000001,England,Deaths,\"1.234,5\"\n", 1, "published.unreadable"),
    published("published: n/a", "2020,Reporting year,National,E92000001,England,Deaths,n/a\n", 1, "published.unreadable"),
    published("published: not a multiple of its base", "2020,Reporting year,National,E92000001,England,Deaths,25\n", 1, "published.rounding"),
    published("published: thousands separator", "2020,Reporting year,National,E92000001,England,Deaths,\"1,230\"\n", 0, "3 other checks passed"),
    published("published: EES symbols", "2020,Reporting year,National,E92000001,England,Deaths,c\n2021,Reporting year,National,E92000001,England,Deaths,z\n",
              0, "3 other checks passed"),
    published("published: bad time_period", "20x0,Reporting year,National,E92000001,England,Deaths,50\n", 2, "p.csv:line 2", "time_period"),
    published("published: unsupported time_identifier", "2020,Week 12,National,E92000001,England,Deaths,50\n", 2, "p.csv:line 2", "time_identifier"),
    published("published: filter value absent", "2020,Reporting year,National,E92000001,England,Deaths,50\n", 2, "'Deceased'", "'Deaths'",
              filter_='{measure: "Deceased"}'),
    published("published: filter column absent", "2020,Reporting year,National,E92000001,England,Deaths,50\n", 2, "no column 'measures'",
              filter_='{measures: "Deaths"}'),
    config("config: published file with no number column", f"sources:\n  pub: {{kind: published, path: q.csv, rounding: {ROUNDING}}}\n"
           "measures:\n  - id: m\n    select:\n      pub: {filter: {measure: Deaths}, value: number}\n", 2, "no column 'number'",
           files={"q.csv": "time_period,time_identifier,geographic_level,measure,count\n2020,Reporting year,National,Deaths,50\n"}),
    config("config: published file that is not EES", "sources:\n  pub: {kind: published, path: q.csv, rounding: none}\n", 2, "q.csv:line 1",
           "not an EES open-data file", files={"q.csv": "a,b\n1,2\n"}),
    config("config: bad period_start", "sources:\n  pub: {kind: published, path: q.csv, rounding: none}\n"
           "measures:\n  - id: m\n    select:\n      pub: {filter: {}, value: number}\n", 2, "q.csv:line 2", "period_start",
           files={"q.csv": "time_period,time_identifier,geographic_level,period_start,period_end,number\n2020,Custom,National,2020-13-01,2021-01-01,5\n"}),
    # --- Run config ---
    config("config: not YAML", "sources: [unclosed\n", 2, "run.yaml:line", "YAML error"),
    config("config: a list, not a mapping", "- a\n- b\n", 2, "run.yaml", "mapping"),
    config("config: unknown key", "sources:\n  n: {kind: ncmd, path: n.csv}\nsourcse: 1\n", 2, "unknown key 'sourcse'"),
    config("config: key twice", "sources:\n  n: {kind: ncmd, path: n.csv}\n  n: {kind: ncmd, path: n.csv}\n", 2, "run.yaml:line 3", "twice"),
    config("config: list as a key", "sources:\n  ? [a, b]\n  : {kind: ncmd, path: n.csv}\n", 2, "run.yaml:line 2", "plain name"),
    config("config: alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
           "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
           "sources: {n: {kind: ncmd, path: n.csv, columns: *f}}\n", 2, "run.yaml", "alias bomb"),
    config("config: too many aliases", "x: &x 1\n" + "".join(f"k{n}: *x\n" for n in range(150)), 2, "run.yaml", "aliases"),
    config("config: huge config", "sources: {}\n" + "# padding\n" * 200_000, 2, "run.yaml", "over"),
    config("config: impossible date", "reference_date: 2023-02-30\nsources:\n  n: {kind: ncmd, path: n.csv}\n", 2, "run.yaml:line 1", "not a real date"),
    config("config: no sources", "reference_date: 2023-03-31\n", 2, "run.yaml", "'sources' is a required property"),
    config("config: unknown kind", "sources:\n  n: {kind: nmcd, path: n.csv}\n", 2, "kind must be one of"),
    config("config: source without path", "sources:\n  n: {kind: ncmd}\n", 2, "sources.n: 'path' is a required property"),
    config("config: glob matching nothing", "sources:\n  n: {kind: ncmd, path: 'nothing/*.csv'}\n", 2, "matches no file"),
    config("config: file not found", "sources:\n  n: {kind: ncmd, path: missing.csv}\n", 2, "missing.csv", "not found"),
    config("config: source not a mapping", "sources:\n  n: ncmd\n", 2, "sources.n: 'ncmd' is not of type 'object'"),
    config("config: columns not a mapping", "sources:\n  n: {kind: ncmd, path: n.csv, columns: [a, b]}\n", 2, "sources.n.columns: ['a', 'b'] is not of type"),
    config("config: values badly shaped", "sources:\n  n: {kind: ncmd, path: n.csv, values: {sex: M}}\n", 2, "sources.n.values.sex: 'M' is not of type 'object'"),
    config("config: la_code unknown", "sources:\n  n: {kind: ssda903, path: n.csv, la_code: ZZ999}\n", 2, "la_code 'ZZ999'"),
    config("config: la_code a boolean", "sources:\n  n: {kind: ssda903, path: n.csv, la_code: true}\n", 2, "la_code"),
    config("config: tolerance NaN", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, compare: [{left: n, right: n, tolerance: {abs: .nan}}]}\n",
           2, "measures[1].compare[1].tolerance.abs: 'nan' is not of type 'number'"),
    config("config: negative tolerance", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, compare: [{left: n, right: n, tolerance: {rel: -0.1}}]}\n",
           2, "measures[1].compare[1].tolerance.rel: -0.1 is less than the minimum of 0"),
    config("config: boolean tolerance", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, compare: [{left: n, right: n, tolerance: {abs: true}}]}\n",
           2, "measures[1].compare[1].tolerance.abs: True is not of type 'number'"),
    config("config: rounding true", "sources:\n  p: {kind: published, path: p.csv, rounding: {national: true}}\n", 2, "rounding.national"),
    config("config: rounding zero", "sources:\n  p: {kind: published, path: p.csv, rounding: {national: 0}}\n", 2, "rounding.national"),
    config("config: rounding level unknown", "sources:\n  p: {kind: published, path: p.csv, rounding: {country: 10}}\n", 2, "not a geographic level"),
    config("config: rounding missing", "sources:\n  p: {kind: published, path: p.csv}\n", 2, "must declare its rounding"),
    config("config: rounding on a record source", "sources:\n  n: {kind: ncmd, path: n.csv, rounding: none}\n", 2, "unknown key 'rounding'"),
    config("config: select is a list", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: [n]}\n", 2, "measures[1].select: ['n'] is not of type"),
    config("config: compare is a number", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, compare: 3}\n", 2, "measures[1].compare: 3 is not of type"),
    config("config: unknown relation", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, compare: [{left: n, right: n, relation: '~'}]}\n",
           2, "measures[1].compare[1].relation: '~' is not one of"),
    config("config: measure names a stranger", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, compare: [{left: n, right: dfe}]}\n",
           2, "'dfe'"),
    config("config: measure id a list", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: [m], select: {n: {}}}\n", 2, "measures[1].id: ['m'] is not of type"),
    config("config: allow_empty not a boolean", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, compare: [{left: n, right: n, allow_empty: maybe}]}\n",
           2, "allow_empty"),
    config("config: rate without a denominator source", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {rate: {per: 100000, denominator: pop}}}}\n",
           2, "kind: denominator"),
    config("config: rate per zero", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {rate: {per: 0, denominator: pop}}}}\n", 2, "rate.per"),
    config("config: denominator without value", "sources:\n  pop: {kind: denominator, path: p.csv}\n", 2, "value:"),
    config("config: published rates badly shaped", "sources:\n  p: {kind: published, path: p.csv, rounding: none, rates: [{rate: r}]}\n", 2, "rates[1]"),
    config("config: contrast badly shaped", "sources:\n  n: {kind: ncmd, path: n.csv}\nmeasures:\n  - {id: m, select: {n: {}}, contrast: [{left: n}]}\n", 2, "contrast"),
    config("config: geographies unknown", "sources:\n  n: {kind: ncmd, path: n.csv}\ngeographies: [england, ward]\n", 2, "geographies"),
    config("config: linkage negative", "sources:\n  n: {kind: ncmd, path: n.csv}\nlinkage: {death_date_days: -3}\n", 2, "death_date_days"),
    config("config: unknown check id in severity", "sources:\n  n: {kind: ncmd, path: n.csv}\nseverity: {age.over_18: warning}\n", 2, "unknown check id"),
    config("config: severity level unknown", "sources:\n  n: {kind: ncmd, path: n.csv}\nseverity: {age.over_17: fatal}\n", 2, "severity.age.over_17: 'fatal' is not one of"),
    config("config: config not UTF-8", "", 2, "run.yaml", "UTF-8", files={"run.yaml": b"sources:\n  n: {kind: ncmd, path: n.csv}\n# caf\xe9\n"}),
    config("config: release label with a line break", 'release: "2024\\nPASS all checks"\nsources:\n  n: {kind: ncmd, path: n.csv}\n',
           2, "release: a release label is one line of printable text; this one holds \\n at character 5"),
    config("config: release label of 201 characters", f"release: {'r' * 201}\nsources:\n  n: {{kind: ncmd, path: n.csv}}\n",
           2, "release: a release label is at most 200 characters; this one has 201"),
    Case("config: a folder", {}, ("run", "{d}", "--out", "{o}"), 2, ("not a regular file (a folder)",)),
    Case("--release with ESC", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"}, ("check", "--source", "ncmd", "{d}/x.csv", "--release", "2024\x1b[31m"),
         2, ("--release: a release label is one line of printable text; this one holds \\x1b",)),
    # --- Outputs ---
    Case("--json into a folder", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"}, ("check", "--source", "ncmd", "{d}/x.csv", "--json", "{d}"), 2, ("is a folder",)),
    Case("--json and --html on one path", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"},
         ("check", "--source", "ncmd", "{d}/x.csv", "--json", "{o}/a", "--html", "{o}/a"), 2, ("same file",)),
    Case("--json on the report's side file", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"},
         ("check", "--source", "ncmd", "{d}/x.csv", "--json", "{o}/r.check-failures.csv", "--html", "{o}/r.html"), 2, ("same file",)),
    Case("--out is a file", {"run.yaml": "sources:\n  n: {kind: ncmd, path: n.csv}\n", "n.csv": f"{NCMD}\n{NCMD_ROW}\n"},
         ("run", "{d}/run.yaml", "--out", "{d}/n.csv"), 2, ("is a file, not a folder",)),
    Case("run --json onto the report", {"run.yaml": "sources:\n  n: {kind: ncmd, path: n.csv}\n", "n.csv": f"{NCMD}\n{NCMD_ROW}\n"},
         ("run", "{d}/run.yaml", "--out", "{o}", "--json", "{o}/report.html"), 2, ("same file",)),
    Case("--json under a file", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"},
         ("check", "--source", "ncmd", "{d}/x.csv", "--json", "{d}/x.csv/r.json"), 2, ("is a file, not a folder",)),
    # --- Command line ---
    Case("unknown source kind", {}, ("check", "--source", "dfe", "{d}/x.csv"), 2, ("'dfe' is not one of",)),
    Case("bad reference date", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"}, ("check", "--source", "ncmd", "{d}/x.csv", "--reference-date", "31/02/2024"),
         2, ("--reference-date",)),
    Case("published without a config", {"p.csv": f"{EES}\n"}, ("check", "--source", "published", "{d}/p.csv"), 2, ("needs --config",)),
    Case("redact without a key", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"}, ("check", "--source", "ncmd", "{d}/x.csv", "--redact", "--json", "{o}/r.json"),
         2, ("TRIANGULATE_REDACT_KEY",)),
    Case("a path that is a folder", {}, ("check", "--source", "ncmd", "{d}"), 2, ("not a regular file",)),
    # --- What the operating system refuses (tests/test_os_errors.py walks the rest as subprocesses) ---
    Case("a name too long for the system", {}, ("check", "--source", "ncmd", "{d}/" + "n" * 300 + ".csv"), 2, ("nnn.csv: file name too long",)),
    Case("a path through a file", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"}, ("check", "--source", "ncmd", "{d}/x.csv/y.csv"), 2,
         ("x.csv/y.csv: a part of the path is a file, not a folder",)),
    Case("an output name too long", {"x.csv": f"{NCMD}\n{NCMD_ROW}\n"},
         ("check", "--source", "ncmd", "{d}/x.csv", "--json", "{o}/" + "r" * 300 + ".json"), 2, ("rrr.json: file name too long",)),
]  # fmt: skip


def test_the_corpus_has_over_a_hundred_cases() -> None:
    assert len(CASES) >= 100
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from triangulate.cli import main

    data, out, home = tmp_path / "in", tmp_path / "out", tmp_path / "home"
    for folder in (data, out, home):
        folder.mkdir()
    for name, content in case.files.items():
        (data / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("TRIANGULATE_REDACT_KEY", raising=False)
    argv = [part.replace("{d}", str(data)).replace("{o}", str(out)) for part in case.argv]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    assert exit_info.value.code == case.code, captured.out + captured.err
    assert "Traceback" not in captured.err and "internal error" not in captured.err
    if case.code == 2:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("triangulate: error: "), captured.err
        for fragment in case.fragments:
            assert fragment in lines[0], lines[0]
        assert not any(out.iterdir()), "bad input wrote an output"
    else:
        for fragment in case.fragments:
            assert fragment in captured.out, captured.out
    assert not any(home.iterdir()), "something was written under HOME"
    assert not [p for p in tmp_path.rglob("*.part")], "a temporary file was left behind"
