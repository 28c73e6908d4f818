"""Issue 26, items 2 and 7: every output of `triangulate revisions` leads with what must be explained, in words:
substantive revisions to counts (national and regional first, then LAs; a death count from none to some at the top),
then rows added and removed with their reason, then the other kinds in one line, then rates and denominators; the
verdict says what a FAIL rests on. Small DfE-shaped vintages (tests/test_revision_kinds.py, tests/test_triangle.py)."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from triangulate.config.revisions import RevisionsConfig, load_revisions_config
from triangulate.domain.geography import la_lookup
from triangulate.model.revisions import Revisions
from triangulate.pipeline.revisions import run_revisions
from triangulate.reports.revision_words import SHOWN
from triangulate.reports.revisions import render_revisions_html, render_revisions_markdown

from .conftest import run_cli
from .test_revision_kinds import BUCKS_NEW, PLACES, ROUNDED, _vintage
from .test_triangle import _release, _write


def _items(markdown: str) -> list[str]:
    return [line[2:] for line in markdown.splitlines() if line.startswith("- ")]


def _run(tmp_path: Path, new: dict | None = None, config: str = ROUNDED, **options: object) -> Revisions:  # type: ignore[type-arg]
    (tmp_path / "rev.yaml").write_text(config)
    old = _vintage(tmp_path / "old.csv", places=options.get("old_places"))  # type: ignore[arg-type]
    new_path = _vintage(tmp_path / "new.csv", new, codes=options.get("codes"), places=options.get("places"))  # type: ignore[arg-type]
    return run_revisions([old, new_path], load_revisions_config(tmp_path / "rev.yaml"))


# A ceased-like file: a filter (`characteristic`, Total left out of the words) and a count per reason.
CEASED_HEAD = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,"
               "new_la_code,la_name,cla_group,characteristic,number")  # fmt: skip
CEASED_PLACES = {
    "England": "National,E92000001,England,,,,,",
    "Hartlepool": "Local authority,E92000001,England,E12000001,North East,805,E06000001,Hartlepool",
    "Middlesbrough": "Local authority,E92000001,England,E12000001,North East,806,E06000002,Middlesbrough",
}
CEASED = {"England": {"Total": "31000", "Died": "40", "Adopted": "2950"}, "Hartlepool": {"Total": "120", "Died": "1", "Adopted": "10"},
          "Middlesbrough": {"Total": "150", "Died": "0", "Adopted": "12"}}  # fmt: skip


def _ceased(path: Path, changes: dict[tuple[str, str], str] | None = None) -> Path:
    lines = []
    for period in ("2022", "2023"):
        for place, figures in CEASED.items():
            for reason, number in figures.items():
                number = (changes or {}).get((place, reason), number) if period == "2023" else number
                lines.append(f"{period},Reporting year,{CEASED_PLACES[place]},Reason episode ceased,{reason},{number}")
    return _write(path.parent, path.name, CEASED_HEAD, lines)


FIRST = {
    ("Hartlepool", "2023"): {"number": "900", "rate_per_10000": "450.0"},  # +600: larger, but an LA's
    ("England", "2023"): {"number": "83760"},
    ("North East", "2023"): {"number": "5100"},
    ("Buckinghamshire", "2023"): {"population_estimate": "120000", "rate_per_10000": "41.7"},  # a rate by its denominator
}


def test_the_first_item_is_the_national_count_revision_in_words_then_regional_then_las(tmp_path: Path) -> None:
    found = _run(tmp_path, new=FIRST)
    markdown = render_revisions_markdown(found)
    items = _items(markdown)
    assert items[:3] == ["England, number, 2023: 83,840 → 83,760 (−80, −0.1%)",
                         "North East, number, 2023: 5,000 → 5,100 (+100, +2.0%)",
                         "Hartlepool, number, 2023: 300 → 900 (+600, +200.0%)"]  # fmt: skip
    assert markdown.index("### Counts revised") < markdown.index("### Rates and denominators revised")
    # The rate moved by Buckinghamshire's population is in one summary line, never listed.
    assert "And 1 rate moved only by its denominator (a population revision)." in markdown.splitlines()
    assert not any("Buckinghamshire, rate per 10000" in item for item in items)
    # The rate of Hartlepool's count fails; Buckinghamshire's, moved by its population, does not (E10000002 is named
    # through its DfE code 825: the LA list holds only its new code).
    assert markdown.splitlines()[4] == ("**FAIL: it rests on 3 counts (in England, North East, Hartlepool), 1 rate (in Hartlepool) "
                                        "and 1 denominator (in Buckinghamshire) revised beyond tolerance.**")  # fmt: skip


def test_a_count_within_its_tolerance_is_listed_and_said_so_and_rates_come_before_their_denominators(tmp_path: Path) -> None:
    found = _run(tmp_path, new=FIRST, config=ROUNDED + "tolerance: {counts: {abs: 100}}\n")
    markdown = render_revisions_markdown(found)
    assert _items(markdown) == [
        "England, number, 2023: 83,840 → 83,760 (−80, −0.1%), within tolerance",
        "North East, number, 2023: 5,000 → 5,100 (+100, +2.0%), within tolerance",
        "Hartlepool, number, 2023: 300 → 900 (+600, +200.0%)",
        "Hartlepool, rate per 10000, 2023: 150.0 → 450.0 (+300.0, +200.0%, +300.00 from the count, 0 from the denominator)",
        "Buckinghamshire, population estimate, 2023: 110,000 → 120,000 (+10,000, +9.1%)",
    ]
    assert ("**FAIL: it rests on 1 count (in Hartlepool), 1 rate (in Hartlepool) and 1 denominator (in Buckinghamshire) revised "
            "beyond tolerance.**") in markdown.splitlines()  # fmt: skip


def test_filter_values_are_words_and_a_death_count_from_none_to_some_is_at_the_top(tmp_path: Path) -> None:
    old = _ceased(tmp_path / "old.csv")
    new = _ceased(tmp_path / "new.csv", {("Middlesbrough", "Died"): "c", ("Hartlepool", "Adopted"): "60",
                                         ("Hartlepool", "Total"): "170"})  # fmt: skip
    found = run_revisions([old, new], RevisionsConfig())
    markdown = render_revisions_markdown(found)
    items = _items(markdown)
    assert (
        items[0] == "Middlesbrough, number (Reason episode ceased, Died), 2023: 0 → c (none became some: c stands for at least 1)"
    )
    assert items[1:3] == ["Hartlepool, number (Reason episode ceased), 2023: 120 → 170 (+50, +41.7%)",  # Total: the whole
                          "Hartlepool, number (Reason episode ceased, Adopted), 2023: 10 → 60 (+50, +500.0%)"]  # fmt: skip
    assert "characteristic" not in "\n".join(items) and "E06000002" not in "\n".join(items)  # words, not key columns
    assert "Middlesbrough" in markdown.splitlines()[4] and markdown.splitlines()[4].startswith("**FAIL")
    # The HTML's first item says the same.
    tree = lxml.html.fromstring(render_revisions_html(found))
    assert tree.xpath("string(//main/section[1]//li[1])").startswith(
        "Middlesbrough, number (Reason episode ceased, Died), 2023: 0 → c"
    )


def test_only_a_denominator_and_the_rates_it_moved_say_no_count_changed_in_one_line(tmp_path: Path) -> None:
    moved = {("Hartlepool", "2023"): {"population_estimate": "20100", "rate_per_10000": "149.3"},
             ("Buckinghamshire", "2023"): {"population_estimate": "110500", "rate_per_10000": "45.2"},
             ("Buckinghamshire", "2022"): {"population_estimate": "110500", "rate_per_10000": "45.2"}}  # fmt: skip
    found = _run(tmp_path, new=moved, config=ROUNDED + "tolerance: {denominators: {rel: 0.01}}\n")
    assert found.passed and found.kind_counts()["denominator_only"] == 3
    markdown = render_revisions_markdown(found)
    lines = markdown.splitlines()
    assert ("No count changed: all 6 revisions are a denominator revision (3 cells, listed below) and the 3 rates it "
            "moved.") in lines  # fmt: skip
    assert [line for line in lines if re.search(r"\bmoved\b", line)] == [
        "No count changed: all 6 revisions are a denominator revision (3 cells, listed below) and the 3 rates it moved."
    ]
    assert not any(item.split(",")[1].strip().startswith("rate") for item in _items(markdown))  # no rate is listed
    # The population revised within its 1%: one line, not one per cell.
    assert _items(markdown) == ["population estimate: 3 revisions within tolerance, the largest +0.5% (Hartlepool, 2023)"]
    assert (
        lines[4]
        == "**PASS: no substantive revision beyond tolerance, no row removed, no unreadable cell; 3 substantive revisions are within tolerance.**"
    )


def test_nothing_changed_and_a_suppression_alone_are_said_in_one_line(tmp_path: Path) -> None:
    markdown = render_revisions_markdown(_run(tmp_path))
    assert "No cell changed: the new release repeats every figure of the periods both cover." in markdown.splitlines()
    assert _items(markdown) == []
    markdown = render_revisions_markdown(_run(tmp_path, new={("Hartlepool", "2023"): {"rate_per_10000": "c"}}))
    assert "No count changed." in markdown.splitlines() and "Changed otherwise: 1 suppression." in markdown.splitlines()


def test_an_la_under_a_new_code_is_one_line_naming_it_and_a_split_gives_its_reason(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("Buckinghamshire", "2023"): {"number": "502"}}, codes=BUCKS_NEW)
    items = _items(render_revisions_markdown(found))
    # Issue 26 fix: 500 -> 502 in an unrounded count keeps its own kind (substantive) under the new code.
    assert [i for i in items if "Buckinghamshire" in i or "E10000002" in i] == [
        "Buckinghamshire, number, 2023: 500 → 502 (+2, +0.4%)",
        "Buckinghamshire: E10000002 → E06000060 (same DfE code 825), 2 rows (2022, 2023), 1 cell changed",
    ]
    assert "No row added or removed; an LA under a new code is one row" in render_revisions_markdown(found)
    assert "<td><code>E10000002</code></td><td><code>E06000060</code></td><td>825</td>" in render_revisions_html(found)
    found = _run(tmp_path, codes=BUCKS_NEW)
    assert "Buckinghamshire: E10000002 → E06000060 (same DfE code 825), 2 rows (2022, 2023), figures unchanged" in _items(
        render_revisions_markdown(found))  # fmt: skip
    old_places = {
        **PLACES,
        "Northamptonshire": ("Local authority", "E12000004", "East Midlands", "928", "E10000021", "Northamptonshire"),
    }
    new_places = {**PLACES, "North Northamptonshire": ("Local authority", "E12000004", "East Midlands", "940", "E06000061", "North Northamptonshire"),
                  "West Northamptonshire": ("Local authority", "E12000004", "East Midlands", "941", "E06000062", "West Northamptonshire")}  # fmt: skip
    found = _run(tmp_path, old_places=old_places, places=new_places)
    markdown = render_revisions_markdown(found)
    assert _items(markdown)[:3] == [
        "Northamptonshire (E10000021): 2 rows removed (2022, 2023); its code is in the old release only (a boundary change, "
        "replaced by North Northamptonshire and West Northamptonshire)",
        "North Northamptonshire (E06000061): 2 rows added (2022, 2023); its code is in the new release only (a boundary "
        "change, replacing Northamptonshire)",
        "West Northamptonshire (E06000062): 2 rows added (2022, 2023); its code is in the new release only (a boundary "
        "change, replacing Northamptonshire)",
    ]  # fmt: skip
    assert "**FAIL: it rests on 2 rows removed (Northamptonshire).**" in markdown.splitlines()


def test_one_row_removed_is_1_row(tmp_path: Path) -> None:
    places = {k: v for k, v in PLACES.items() if k != "Middlesbrough"}
    (tmp_path / "rev.yaml").write_text(ROUNDED)
    old = _vintage(tmp_path / "old.csv")
    new = _vintage(tmp_path / "new.csv", places=places)
    lines = (tmp_path / "new.csv").read_text().splitlines()
    (tmp_path / "new.csv").write_text("\n".join([*lines, lines[-1].replace("2023", "2022", 1).replace("E10000002", "E06000002")
                                                 .replace("Buckinghamshire", "Middlesbrough").replace(",825,", ",806,")
                                                 .replace("E12000008", "E12000001").replace("South East", "North East")
                                                 .replace(",500,45.5,110000", ",0,0.0,35000")]) + "\n")  # fmt: skip
    found = run_revisions([old, new], load_revisions_config(tmp_path / "rev.yaml"))
    assert len(found.rows_removed) == 1
    markdown = render_revisions_markdown(found)
    assert "Middlesbrough (E06000002): 1 row removed (2023)" in _items(markdown)
    assert "In the periods both cover, 1 row removed (a removal fails the gate) and 0 added (never a failure):" in markdown


def test_unreadable_cells_are_named_file_and_line(tmp_path: Path) -> None:
    found = _run(tmp_path, new={("Hartlepool", "2023"): {"number": "3O0"}})  # a letter O, not a zero
    assert found.unreadable == (("new.csv", 9, "number", "3O0"),)
    markdown = render_revisions_markdown(found)
    assert "- new.csv:9: number is “3O0”, neither a number nor an EES symbol" in markdown.splitlines()
    assert "**FAIL: it rests on 1 unreadable cell (new.csv:9 number).**" in markdown.splitlines()
    html = render_revisions_html(found)
    assert "new.csv:9: number is “3O0”" in lxml.html.fromstring(html).xpath(
        "string(//section[@aria-labelledby='unreadable-cells'])"
    )


def test_a_list_shows_20_and_says_how_many_more(tmp_path: Path) -> None:
    lookup = la_lookup().head(SHOWN + 5)
    places = {row.la_name: ("Local authority", row.region_code, row.region_name, row.old_la_code, row.new_la_code, row.la_name)
              for row in lookup.itertuples()}  # fmt: skip
    found = _run(tmp_path, new={(name, "2023"): {"number": "101"} for name in places}, old_places=places, places=places)
    items = _items(render_revisions_markdown(found))
    assert len(items) == SHOWN + 1 and items[-1] == "and 5 more (see the JSON)"
    assert all(item.endswith(": 100 → 101 (+1, +1.0%)") for item in items[:SHOWN])


def test_three_vintages_give_the_triangle_in_the_markdown_and_the_html(tmp_path: Path) -> None:
    paths = [_write(tmp_path, f"cin_v{n + 1}.csv", *_release(n)) for n in range(3)]
    found = run_revisions(paths, RevisionsConfig())
    assert found.triangle is not None
    markdown = render_revisions_markdown(found)
    assert "Earlier releases (in the triangle): `cin_v1.csv` (3 rows)." in markdown
    assert "### Revisions triangle" in markdown and "| 2021 | 1,000 | 1,010 | 1,015 | +15 |" in markdown
    # In words: the place, the indicator, the filter value, the period; the national figure first.
    assert _items(markdown)[0] == "England, number (Children in need), 2022: 2,000 → 2,030 (+30, +1.5%)"
    tree = lxml.html.fromstring(render_revisions_html(found))
    sections = tree.xpath("//main/section")
    assert sections[0].get("aria-labelledby") == "explain" and sections[-1].get("aria-labelledby") == "triangle"
    assert tree.xpath("string(//section[@aria-labelledby='triangle']//table[1]/caption)").startswith(
        "number, England (social_care_group: Children in need)"
    )
    # Two vintages: no triangle anywhere.
    two = run_revisions(paths[1:], RevisionsConfig())
    assert "Revisions triangle" not in render_revisions_markdown(two) and 'id="triangle"' not in render_revisions_html(two)


def test_the_html_parses_and_leads_with_what_must_be_explained(tmp_path: Path) -> None:
    found = _run(
        tmp_path, new={("England", "2023"): {"number": "83760"}, ("Middlesbrough", "2022"): {"number": "c"}}, codes=BUCKS_NEW
    )
    html = render_revisions_html(found)
    tree = lxml.html.fromstring(html)
    first = tree.xpath("//main/section")[0]
    assert first.xpath("string(h2)") == "What must be explained"
    # Issue 26 fix: a count from none to some leads the verdict and the list, at every level.
    assert first.xpath("string(.//p[@class='big'])").startswith(
        "FAIL: it rests on 1 count from none to some or back (in Middlesbrough) and 1 count (in England)")
    assert [h.text_content() for h in first.xpath("h3")] == ["Counts revised", "Rows added, removed or under a new code"]
    assert [li.text_content() for li in first.xpath(".//ul[1]/li")] == [
        "Middlesbrough, number, 2022: 0 → c (none became some: c stands for at least 1) (fails the gate)",
        "England, number, 2023: 83,840 → 83,760 (−80, −0.1%) (fails the gate)"]  # fmt: skip
    headings = [h.text_content() for h in tree.xpath("//main/section/h2")]
    assert headings.index("What must be explained") < headings.index("Largest revisions") < headings.index(
        "Local authorities under a new code") < headings.index("Revision statistics")  # fmt: skip
    assert "<script" not in html


def test_the_console_prints_the_markdown_summary(tmp_path: Path) -> None:
    old = _ceased(tmp_path / "old.csv")
    new = _ceased(tmp_path / "new.csv", {("Middlesbrough", "Died"): "c"})
    result = run_cli("revisions", str(old), str(new), "--summary-md", str(tmp_path / "r.md"))
    assert result.returncode == 1, result.stderr
    assert result.stdout == (tmp_path / "r.md").read_text()
    assert _items(result.stdout)[0].startswith("Middlesbrough, number (Reason episode ceased, Died), 2023: 0 → c")
