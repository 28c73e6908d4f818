"""Issue 20, item 4: a census knows its LA.

A CIN census file is its header's LEA's return, as if `la_code:` were declared: counted, compared and linked for that
LA only, and for its region and England only when every LA's census is there; several LAs' files are a source of
those LAs. An SSDA903 return whose children all name one LA (HEADER/LA in the XML return) likewise. A census whose
LEA is no LA on the shipped list is exit 2 naming the file. The report's counts are headed by the place compared.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml
from triangulate.canonical.registry import SourceOptions, files_las
from triangulate.domain.geography import la_field, la_lookup, ons_code
from triangulate.pipeline.check import check_piece, pending_las
from triangulate.pipeline.parallel import check_sources

from .conftest import copy_of, one_error_line, run_cli

RC2 = "<ReasonForClosure>RC2</ReasonForClosure>"


# --- the sample and its edits ------------------------------------------------------------------------------------------


def _sample(clean_sample: Path, folder: Path) -> Path:
    """A copy of the clean sample without its published table (national, and no part of what is tested here)."""
    copy_of(clean_sample, folder)
    config = _config(folder)
    config["sources"] = {name: source for name, source in config["sources"].items() if source["kind"] != "published"}
    _write_config(folder, config)
    return folder


def _config(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "release.yaml").read_text(encoding="utf-8"))


def _write_config(folder: Path, config: dict[str, Any]) -> None:
    (folder / "release.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _census_files(folder: Path) -> dict[str, list[Path]]:
    """The census files by their header's LEA (synth names them cin_<year>_<LEA>.xml)."""
    files: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("cin/*/*.xml")):
        lea = re.search(r"<LEA>([^<]*)</LEA>", path.read_text(encoding="utf-8"))
        assert lea is not None
        files.setdefault(lea[1], []).append(path)
    return files


def _busiest(folder: Path, count: int) -> list[str]:
    """The LEAs of `count` LAs with the most RC2 closures, each in a region of its own."""
    deaths = Counter({lea: sum(p.read_text(encoding="utf-8").count(RC2) for p in paths) for lea, paths in _census_files(folder).items()})
    regions = la_field("region_name")
    chosen: list[str] = []
    for lea, _ in deaths.most_common():
        if regions[ons_code(lea)] not in {regions[ons_code(c)] for c in chosen}:
            chosen.append(lea)
        if len(chosen) == count:
            return chosen
    raise AssertionError("the sample has too few LAs with deaths")


def _keep_census_of(folder: Path, *leas: str) -> None:
    for lea, paths in _census_files(folder).items():
        if lea not in leas:
            for path in paths:
                path.unlink()


def _reconciled(folder: Path, *options: str) -> dict[str, Any]:
    result = run_cli("reconcile", "--config", str(folder / "release.yaml"), "--json", str(folder / "r.json"), *options)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads((folder / "r.json").read_text(encoding="utf-8"))


def _source(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in document["sources"] if s["name"] == name)


def _with(document: dict[str, Any], name: str, measure: str | None = None) -> list[dict[str, Any]]:
    return [c for c in document["comparisons"] if name in (c["left"], c["right"]) and measure in (None, c["measure"])]


def _key(c: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return c["measure"], c["period"], c["geography"], c["left"], c["right"]


def _count(value: int | list[str]) -> int:
    return len(value) if isinstance(value, list) else value


# --- a census knows its LA ---------------------------------------------------------------------------------------------


def test_one_las_census_is_that_las_return(clean_sample: Path, tmp_path: Path) -> None:
    """The issue's case: one LA's census beside an NCMD extract of every LA's deaths. Compared at its LEA only, with
    the figures that LA had in the national run, and linked against that LA's NCMD deaths only."""
    national = _reconciled(_sample(clean_sample, tmp_path / "national"))
    folder = _sample(clean_sample, tmp_path / "one")
    (lea,) = _busiest(folder, 1)
    la = ons_code(lea)
    _keep_census_of(folder, lea)
    document = _reconciled(folder)

    assert _source(document, "dfe_cin")["las"] == [la]
    compared = _with(document, "dfe_cin")
    assert compared and {c["geography"] for c in compared} == {la}  # never England, a region or another LA
    assert {c["measure"] for c in compared} >= {"cin_deaths"}
    was = {_key(c): (c["left_value"], c["right_value"]) for c in national["comparisons"]}
    for c in compared:  # the LA's figures are those it had as part of every LA's census
        assert (c["left_value"], c["right_value"]) == was[_key(c)], c
        assert c["status"] == "agree", c
    assert any(c["right_value"][0] > 0 for c in compared if c["measure"] == "cin_deaths")
    assert any(n.startswith("dfe_cin: one LA's return") for n in document["notes"]), document["notes"]

    # Linked against the LA's deaths only: NCMD's deaths elsewhere (there are many) are not "missing from dfe_cin".
    at_england = {c["period"]: c["left_value"][0] for c in national["comparisons"]
                  if (c["measure"], c["geography"], c["left"], c["right"]) == ("cin_deaths", "England", "ncmd", "dfe_cin")}  # fmt: skip
    linked = [u for u in document["unmatched"] if (u["measure"], u["left"], u["right"]) == ("cin_deaths", "ncmd", "dfe_cin")]
    assert linked
    for u in linked:
        at_la = next(c for c in compared if (c["measure"], c["period"], c["left"]) == ("cin_deaths", u["period"], "ncmd"))
        assert _count(u["only_left"]) == _count(u["only_right"]) == 0, u
        assert u["matched"] == at_la["left_value"][0] < at_england[u["period"]]
    assert not [m for m in document.get("missing", []) if "dfe_cin" in (m.get("source"), m.get("absent_from"))]


def test_two_las_censuses_are_a_source_of_those_two(clean_sample: Path, tmp_path: Path) -> None:
    folder = _sample(clean_sample, tmp_path)
    leas = _busiest(folder, 2)
    las = sorted(ons_code(lea) for lea in leas)
    _keep_census_of(folder, *leas)
    document = _reconciled(folder)
    assert _source(document, "dfe_cin")["las"] == las
    compared = _with(document, "dfe_cin", "cin_deaths")
    assert {c["geography"] for c in compared} == set(las)  # each LA, never England or their regions (not whole)
    assert not [c for c in _with(document, "dfe_cin") if c["geography"] not in las]
    assert all(c["status"] == "agree" for c in compared), compared


def test_every_las_census_is_englands(clean_sample: Path, tmp_path: Path) -> None:
    folder = _sample(clean_sample, tmp_path)
    assert len(_census_files(folder)) == len(la_lookup())  # the sample has every LA's census
    document = _reconciled(folder)
    assert "las" not in _source(document, "dfe_cin")
    geographies = {c["geography"] for c in _with(document, "dfe_cin", "cin_deaths")}
    assert "England" in geographies and len(geographies) > 10  # England, its regions and its LAs
    assert not any(n.startswith("dfe_cin: one LA's return") for n in document["notes"])


def test_a_source_knows_its_las_piece_by_piece(clean_sample: Path) -> None:
    """Checked file by file (as --jobs does), the pieces give the source the LAs of their files together."""
    files = _census_files(clean_sample)
    leas = sorted(files)[:3]
    paths = tuple(path for lea in leas for path in files[lea])
    options = SourceOptions("dfe_cin", "cin", paths)
    pieces = [check_piece(SourceOptions("dfe_cin", "cin", (path,))) for path in paths]
    expected = tuple(sorted(ons_code(lea) for lea in leas))
    assert pending_las(options, pieces) == pending_las(options, [check_piece(options)]) == expected
    assert pieces[0].file_las == {paths[0].name: (ons_code(leas[0]),)}
    declared = SourceOptions("dfe_cin", "cin", paths, la_code=leas[0])  # a declared la_code: still gives that LA
    assert pending_las(declared, pieces) == (ons_code(leas[0]),)
    (pending,) = check_sources([options], 2, None, bytes_per_worker=1)  # on worker processes
    assert len(pending.pieces) > 1 and pending.las == expected


def test_every_la_of_a_year_is_england_whichever_side_of_a_reorganisation() -> None:
    """The shipped list holds Cumbria and Northamptonshire beside the LAs that replaced them: a year's census of every
    LA names one side only, and is England's all the same."""
    every = list(la_lookup()["new_la_code"])
    old, new = {"E10000006", "E10000021"}, {"E06000063", "E06000064", "E06000061", "E06000062"}
    for names in (every, [c for c in every if c not in old], [c for c in every if c not in new]):
        assert files_las([(code,) for code in names]) == ()
    fewer = [c for c in every if c not in old | {"E06000063"}]  # Cumberland's census is not there
    assert files_las([(code,) for code in fewer]) == tuple(sorted(fewer))
    assert files_las([("E08000032",), ()]) == ()  # a file that does not say whose it is (a multi-LA extract)
    assert files_las([("E08000032",), ("E08000032",)]) == ("E08000032",)


def test_a_census_of_an_unknown_lea_is_exit_2_naming_the_file(clean_sample: Path, tmp_path: Path) -> None:
    folder = _sample(clean_sample, tmp_path)
    census = sorted(folder.glob("cin/*/*.xml"))[3]
    text = census.read_text(encoding="utf-8")
    census.write_text(re.sub(r"<LEA>[^<]*</LEA>", "<LEA>999</LEA>", text), encoding="utf-8")
    result = run_cli("reconcile", "--config", str(folder / "release.yaml"), "--json", str(folder / "r.json"))
    line = one_error_line(result)
    assert census.name in line and "Header/Source/LEA '999'" in line and "not an English LA" in line, line
    assert not (folder / "r.json").exists()
    line = one_error_line(run_cli("check", "--source", "cin", str(census)))
    assert census.name in line and "Header/Source/LEA" in line, line


# --- an SSDA903 XML return ---------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _element(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>" if value else f"<{name} />"


def _xml_return(folder: Path, lea: str, *, name_la: bool) -> Path:
    """One LA's children from the sample's SSDA903 CSVs as the XML return (EXPSSDA903), with HEADER/LA or without."""
    header = [row for row in _rows(folder / "ssda903" / "header.csv") if row["LA"] == lea]
    episodes = [row for row in _rows(folder / "ssda903" / "episodes.csv")]
    children = []
    for child in header:
        fields = "".join(_element(c, child[c]) for c in ("SEX", "DOB", "ETHNIC"))
        la = _element("LA", lea) if name_la else ""
        spells = "".join(
            "<EPISODE>" + "".join(_element("PL" if c == "PLACE" else c, e[c]) for c in e if c != "CHILD") + "</EPISODE>"
            for e in episodes if e["CHILD"] == child["CHILD"]
        )  # fmt: skip
        children.append(f"<CHILD><HEADER>{_element('CHILDID', child['CHILD'])}{fields}{la}<UASC /></HEADER>{spells}</CHILD>")
    path = folder / "ssda903" / f"return_{lea}.xml"
    path.write_text("<?xml version='1.0' encoding='us-ascii'?>\n<EXPSSDA903>" + "\n".join(children) + "</EXPSSDA903>\n",
                    encoding="us-ascii")  # fmt: skip
    return path


def _looked_after_la(folder: Path) -> str:
    """The LEA with the most looked-after deaths (E2) in the sample's SSDA903 extract."""
    died = {row["CHILD"] for row in _rows(folder / "ssda903" / "episodes.csv") if row["REC"] == "E2"}
    counts = Counter(row["LA"] for row in _rows(folder / "ssda903" / "header.csv") if row["CHILD"] in died)
    return counts.most_common(1)[0][0]


def test_an_ssda903_xml_return_knows_its_la(clean_sample: Path, tmp_path: Path) -> None:
    national = _reconciled(_sample(clean_sample, tmp_path / "national"))
    folder = _sample(clean_sample, tmp_path / "xml")
    lea = _looked_after_la(folder)
    la = ons_code(lea)
    path = _xml_return(folder, lea, name_la=True)
    config = _config(folder)
    config["sources"]["dfe_cla"]["path"] = str(path.relative_to(folder))
    _write_config(folder, config)
    document = _reconciled(folder)
    assert _source(document, "dfe_cla")["las"] == [la]
    compared = _with(document, "dfe_cla")
    assert compared and {c["geography"] for c in compared} == {la}
    was = {_key(c): (c["left_value"], c["right_value"]) for c in national["comparisons"]}
    for c in compared:
        assert (c["left_value"], c["right_value"]) == was[_key(c)], c
    assert any(c["right_value"][0] > 0 for c in compared)
    linked = [u for u in document["unmatched"] if "dfe_cla" in (u["left"], u["right"])]
    assert linked and not any(_count(u["only_left"]) or _count(u["only_right"]) for u in linked), linked


def test_an_ssda903_xml_return_naming_no_la_is_englands_unless_declared(clean_sample: Path, tmp_path: Path) -> None:
    folder = _sample(clean_sample, tmp_path)
    lea = _looked_after_la(folder)
    path = _xml_return(folder, lea, name_la=False)  # DfE's shape: the return names no LA
    config = _config(folder)
    config["sources"]["dfe_cla"]["path"] = str(path.relative_to(folder))
    _write_config(folder, config)
    document = _reconciled(folder)
    assert "las" not in _source(document, "dfe_cla")
    assert "England" in {c["geography"] for c in _with(document, "dfe_cla")}
    config["sources"]["dfe_cla"]["la_code"] = lea  # the steward says whose it is
    _write_config(folder, config)
    document = _reconciled(folder)
    assert _source(document, "dfe_cla")["las"] == [ons_code(lea)]
    assert {c["geography"] for c in _with(document, "dfe_cla")} == {ons_code(lea)}


# --- the report names the place compared -------------------------------------------------------------------------------


def _measure(measure_id: str) -> dict[str, Any]:
    text = resources.files("triangulate.reconcile").joinpath("measures.yaml").read_text(encoding="utf-8")
    return next(m for m in yaml.safe_load(text) if m["id"] == measure_id)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_heads_its_counts_with_the_la_compared(clean_sample: Path, tmp_path: Path) -> None:
    folder = _sample(clean_sample, tmp_path)
    (lea,) = _busiest(folder, 1)
    name = la_field("la_name")[ons_code(lea)]
    _keep_census_of(folder, lea)
    config = _config(folder)
    config["sources"] = {k: v for k, v in config["sources"].items() if k in ("dfe_cin", "ncmd")}
    config["measures"] = [_measure("cin_deaths")]
    _write_config(folder, config)
    document = _reconciled(folder, "--html", str(folder / "r.html"))
    assert {c["geography"] for c in document["comparisons"]} == {ons_code(lea)}
    html = (folder / "r.html").read_text(encoding="utf-8")
    assert f"<h3>Counts by measure, {name}</h3>" in html
    assert "Counts by measure, England" not in html
    text = _text(html)
    assert f"Deaths of children in need, {name}: count by period and source" in text
    # The grid's figures are the LA's: NCMD's count there, not England's.
    at_la = [c for c in document["comparisons"] if c["measure"] == "cin_deaths"]
    first = min(at_la, key=lambda c: c["period"])
    grid = (folder / "r.cin_deaths.csv").read_text(encoding="utf-8").splitlines()
    assert grid[0].startswith("period,dfe_cin,ncmd")
    assert grid[1].split(",")[2] == str(first["left_value"][0])


def test_a_national_report_heads_its_counts_with_england(clean_sample: Path, tmp_path: Path) -> None:
    folder = _sample(clean_sample, tmp_path)
    _reconciled(folder, "--html", str(folder / "r.html"))
    html = (folder / "r.html").read_text(encoding="utf-8")
    assert "<h3>Counts by measure, England</h3>" in html
    assert "Deaths of children in need, England: count by period and source" in _text(html)
