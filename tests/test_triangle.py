"""The revisions triangle (issue 26, item 5): three or more vintages of one EES table, each headline figure in every
release, and per indicator the mean revision, the mean absolute revision and a bias test, all checked by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import lxml.html
import pandas as pd
import pytest
from scipy.stats import t as student_t
from triangulate.errors import InputError, UsageError
from triangulate.model.triangle import NOT_RUN, SIGN_TEST, T_TEST, Triangle
from triangulate.readers.published import read_published
from triangulate.reconcile.triangle import build_triangle
from triangulate.reports.triangle import PERIODS_SHOWN, render_triangle_html, triangle_html_context, triangle_markdown

HEAD = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "old_la_code,new_la_code,la_name,social_care_group,number,rate_per_10000")  # fmt: skip
PLACES = {
    "England": "National,E92000001,England,,,,,",
    "E06000001": "Local authority,E92000001,England,E12000001,North East,805,E06000001,Hartlepool",
    "E06000002": "Local authority,E92000001,England,E12000001,North East,806,E06000002,Middlesbrough",
}
# Each period's figure in each release that holds it, oldest first: release 1 holds 2021, each later release adds a
# year and revises the earlier ones. (number, rate_per_10000) per place and period.
FIGURES = {
    "England": {2021: (["1000", "1010", "1015", "1020"], ["50.1", "50.3", "50.4", "50.6"]),
                2022: (["2000", "2030", "2025"], ["60.0", "60.2", "60.2"]),
                2023: (["3000", "3040"], ["70.0", "70.1"]),
                2024: (["4000"], ["80.0"])},
    "E06000001": {2021: (["100", "101", "101", "103"], ["40.0", "40.1", "40.2", "40.3"]),
                  2022: (["200", "199", "198"], ["41.0", "41.2", "41.4"]),
                  2023: (["300", "300"], ["42.0", "42.0"]),
                  2024: (["400"], ["43.0"])},
    "E06000002": {2021: (["c", "c", "7", "7"], ["x", "x", "x", "x"]),  # first published as c: no revision
                  2022: (["50", "52", "55"], ["x", "x", "x"]),
                  2023: (["60", "z"], ["x", "x"]),  # latest is z: no revision
                  2024: (["z"], ["x"])},
}  # fmt: skip


def _write(folder: Path, name: str, head: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text(head + "\n" + "\n".join(lines) + "\n")
    return path


def _release(release: int, drop: str | None = None) -> tuple[str, list[str]]:
    """Release `release` (0 = oldest) as CSV lines; `drop` leaves a column out."""
    lines = []
    for place, periods in FIGURES.items():
        for period, (numbers, rates) in periods.items():
            at = release - (period - 2021)
            if at >= 0:
                lines.append(f"{period},Reporting year,{PLACES[place]},Children in need,{numbers[at]},{rates[at]}")
    if drop is None:
        return HEAD, lines
    position = HEAD.split(",").index(drop)
    cut = lambda line: ",".join(part for i, part in enumerate(line.split(",")) if i != position)  # noqa: E731
    return cut(HEAD), [cut(line) for line in lines]


def _vintages(folder: Path, drop: dict[int, str] | None = None) -> list[tuple[str, pd.DataFrame]]:
    found = []
    for release in range(4):
        head, lines = _release(release, (drop or {}).get(release))
        path = _write(folder, f"cin_v{release + 1}.csv", head, lines)
        found.append((path.name, read_published([path])))
    return found


def _row(triangle: Triangle, indicator: str, geography: str, period: str):  # type: ignore[no-untyped-def]
    (row,) = [r for r in triangle.rows if (r.indicator, r.geography, r.period) == (indicator, geography, period)]
    return row


def _binomial_two_sided(k: int, m: int) -> float:
    """The exact two-sided sign test's p for k of m in one direction, from the binomial formula (symmetric at 0.5)."""
    tail = sum(math.comb(m, i) for i in range(max(k, m - k), m + 1)) * 0.5**m
    return min(1.0, 2 * tail)


def test_each_period_in_each_release_national_by_default(tmp_path: Path) -> None:
    triangle = build_triangle(_vintages(tmp_path), None, None)
    assert triangle.vintages == ("cin_v1.csv", "cin_v2.csv", "cin_v3.csv", "cin_v4.csv")
    assert {r.geography for r in triangle.rows} == {"England"}  # headline: national only unless asked
    assert [(r.indicator, r.period) for r in triangle.rows] == [
        ("number", p) for p in ("2021", "2022", "2023", "2024")] + [("rate_per_10000", p) for p in ("2021", "2022", "2023", "2024")]  # fmt: skip
    first = _row(triangle, "number", "England", "2021")
    assert first.releases == (("cin_v1.csv", "1000", 1000.0), ("cin_v2.csv", "1010", 1010.0),
                              ("cin_v3.csv", "1015", 1015.0), ("cin_v4.csv", "1020", 1020.0))  # fmt: skip
    assert first.filters == {"social_care_group": "Children in need"} and first.geography_name == "England"
    later = _row(triangle, "number", "England", "2022")
    assert [text for _, text, _ in later.releases] == ["", "2000", "2030", "2025"]  # release 1 did not hold 2022
    assert later.revision == 25  # latest (2025) minus first published (2000), not minus the release before
    assert _row(triangle, "number", "England", "2024").revision is None  # in one release only
    number = next(s for s in triangle.stats if s.indicator == "number")
    # 20, 25, 40: three up, none down; p = 2 x 0.5^3
    assert (number.n, number.positive, number.negative, number.zero) == (3, 3, 0, 0)
    assert number.mean_revision == pytest.approx(85 / 3) and number.mean_absolute_revision == pytest.approx(85 / 3)
    assert number.test == SIGN_TEST and number.p_value == pytest.approx(2 * 0.5**3) and number.statistic == 3
    assert number.biased is False


def test_stats_by_hand_with_las_and_symbols_left_out(tmp_path: Path) -> None:
    triangle = build_triangle(_vintages(tmp_path), None, None, headline_levels=("National", "local authority"))
    assert [r.geography for r in triangle.rows if r.indicator == "number" and r.period == "2021"] == [
        "England",
        "E06000001",
        "E06000002",
    ]
    assert _row(triangle, "number", "E06000001", "2021").geography_name == "Hartlepool"
    suppressed = _row(triangle, "number", "E06000002", "2021")
    assert suppressed.releases == (
        ("cin_v1.csv", "c", None),
        ("cin_v2.csv", "c", None),
        ("cin_v3.csv", "7", 7.0),
        ("cin_v4.csv", "7", 7.0),
    )
    assert suppressed.revision is None  # first published as c: no first number to revise
    assert _row(triangle, "number", "E06000002", "2023").revision is None  # 60 -> z
    assert [text for _, text, _ in _row(triangle, "rate_per_10000", "E06000002", "2021").releases] == ["x"] * 4
    # Issue 26 fix: stats per indicator AND geography (England apart from each LA), each checked by hand.
    stats = {(s.indicator, s.geography): s for s in triangle.stats}
    # number: England +20 +25 +40, Hartlepool +3 -2 0, Middlesbrough 2022 +5 (c -> 7 and 60 -> z left out)
    england = stats[("number", "England")]
    assert (england.n, england.positive, england.negative, england.zero) == (3, 3, 0, 0)
    assert england.mean_revision == pytest.approx(85 / 3) and england.mean_absolute_revision == pytest.approx(85 / 3)
    assert england.test == SIGN_TEST and england.p_value == pytest.approx(_binomial_two_sided(3, 3)) == pytest.approx(0.25)
    hartlepool = stats[("number", "E06000001")]
    assert (hartlepool.n, hartlepool.positive, hartlepool.negative, hartlepool.zero) == (3, 1, 1, 1)
    assert hartlepool.mean_revision == pytest.approx(1 / 3) and hartlepool.mean_absolute_revision == pytest.approx(5 / 3)
    assert hartlepool.test == NOT_RUN and hartlepool.biased is None and hartlepool.geography_name == "Hartlepool"
    middlesbrough = stats[("number", "E06000002")]
    assert (middlesbrough.n, middlesbrough.mean_revision, middlesbrough.test) == (1, 5, NOT_RUN)
    # rate: England +0.5 +0.2 +0.1 (3 up: p = 2 x 0.5^3), Hartlepool +0.3 +0.4 0; Middlesbrough all x.
    rate = stats[("rate_per_10000", "England")]
    assert (rate.n, rate.positive, rate.negative, rate.zero) == (3, 3, 0, 0)
    assert rate.mean_revision == pytest.approx(0.8 / 3) and rate.p_value == pytest.approx(0.25) and rate.biased is False
    assert (stats[("rate_per_10000", "E06000001")].n, stats[("rate_per_10000", "E06000001")].test) == (3, NOT_RUN)
    assert stats[("rate_per_10000", "E06000002")].n == 0
    assert triangle.to_dict()["stats"][0]["geography"] == "England"


def _series(folder: Path, revisions: dict[str, list[int]], periods: int = 12) -> list[tuple[str, pd.DataFrame]]:
    """Three releases of a national series of `periods` years; release 2 moves every figure by 7 (which a latest-minus-
    first revision must ignore), release 3 by each indicator's revision."""
    head = "time_period,time_identifier,geographic_level,country_code,country_name," + ",".join(revisions)
    found = []
    for release in range(3):
        lines = []
        for i in range(periods):
            values = [1000 + 10 * i + (7 if release == 1 else moved[i] if release == 2 else 0) for moved in revisions.values()]
            lines.append(f"{2010 + i},Reporting year,National,E92000001,England," + ",".join(map(str, values)))
        path = _write(folder, f"series_v{release + 1}.csv", head, lines)
        found.append((path.name, read_published([path])))
    return found


def test_twelve_revisions_use_the_t_test_with_n_minus_1_degrees_of_freedom(tmp_path: Path) -> None:
    moved = [1, 2, 3, -1, 4, 2, 0, 5, 1, 3, 2, -2]
    upward = [5, 6, 7, 5, 6, 7, 5, 6, 7, 5, 6, 8]
    barely = [0, 0, 0, 0, 3, 0, 0, 0, 0, -1, 0, 0]
    triangle = build_triangle(_series(tmp_path, {"moved": moved, "upward": upward, "barely": barely}), None, None)
    stats = {s.indicator: s for s in triangle.stats}
    n = 12
    mean = sum(moved) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in moved) / (n - 1))
    t = mean / (sd / math.sqrt(n))
    assert stats["moved"].test == T_TEST and stats["moved"].n == 12
    assert stats["moved"].mean_revision == pytest.approx(20 / 12)
    assert stats["moved"].mean_absolute_revision == pytest.approx(26 / 12)
    assert stats["moved"].statistic == pytest.approx(t)
    assert stats["moved"].p_value == pytest.approx(2 * student_t.sf(abs(t), n - 1))  # 11 degrees of freedom, not 12
    assert stats["moved"].biased is (stats["moved"].p_value < 0.05)
    assert stats["upward"].biased is True and stats["upward"].p_value < 0.001
    assert stats["barely"].test == NOT_RUN and stats["barely"].p_value is None and stats["barely"].biased is None
    assert (stats["barely"].n, stats["barely"].zero) == (12, 10)
    words = "\n".join(triangle_markdown(triangle))
    assert "t test (11 degrees of freedom)" in words and "evidence of bias: revisions lean upward" in words
    assert "bias test not run" in words


def test_a_vintage_missing_a_column_is_a_note_not_a_crash(tmp_path: Path) -> None:
    triangle = build_triangle(_vintages(tmp_path, drop={0: "rate_per_10000"}), None, None)
    assert any("cin_v1.csv" in note and "rate_per_10000" in note for note in triangle.notes)
    rate = _row(triangle, "rate_per_10000", "England", "2021")
    assert [text for _, text, _ in rate.releases] == ["", "50.3", "50.4", "50.6"]
    assert rate.revision == pytest.approx(0.3)  # first published in release 2 now
    # A column only an older vintage has is left out, with a note; one only the newest has is an indicator.
    vintages = _vintages(tmp_path)
    vintages[1] = (vintages[1][0], vintages[1][1].assign(old_measure="5"))
    triangle = build_triangle(vintages, None, None)
    assert any("old_measure" in note and "left out" in note for note in triangle.notes)
    assert "old_measure" not in {r.indicator for r in triangle.rows}


def test_renamed_columns_and_reworded_values_of_older_vintages(tmp_path: Path) -> None:
    vintages = _vintages(tmp_path)
    reference = build_triangle(vintages, None, None)
    older = [(label, frame.rename(columns={"number": "children"}).replace({"social_care_group": {"Children in need": "CIN"}}))
             for label, frame in vintages[:2]]  # fmt: skip
    renamed = build_triangle([*older, *vintages[2:]], None, None, columns={"children": "number"},
                             values={"social_care_group": {"CIN": "Children in need"}})  # fmt: skip
    assert renamed.rows == reference.rows and renamed.stats == reference.stats
    apart = build_triangle([*older, *vintages[2:]], None, None, columns={"children": "number"})
    assert any(note.startswith("cin_v1.csv: social_care_group 'CIN' not in the newest vintage") for note in apart.notes)
    by_value = {r.filters["social_care_group"]: [text for _, text, _ in r.releases]
                for r in apart.rows if (r.indicator, r.period) == ("number", "2022")}  # fmt: skip
    assert by_value == {"CIN": ["", "2000", "", ""], "Children in need": ["", "", "2030", "2025"]}
    with pytest.raises(UsageError, match="'kids' is a column of no vintage"):
        build_triangle(vintages, None, None, columns={"kids": "number"})


def test_a_key_shared_by_two_rows_with_different_figures_is_refused_naming_the_lines(tmp_path: Path) -> None:
    vintages = _vintages(tmp_path)
    for release, position in ((0, 0), (3, 3)):  # the oldest vintage (checked here), the newest (by vintages.line_up)
        head, lines = _release(release)
        twin = lines[0].replace(",1000,", ",1001,").replace(",1020,", ",1021,")
        path = _write(tmp_path, "twin.csv", head, [*lines, twin])
        given = list(vintages)
        given[position] = (path.name, read_published([path]))
        with pytest.raises(InputError) as refused:
            build_triangle(given, None, None)
        said = refused.value.one_line()
        assert said.startswith("twin.csv:line 2: the keys (") and f"twin.csv:2, twin.csv:{len(lines) + 2}" in said, said
    head, lines = _release(0)
    path = _write(tmp_path, "same.csv", head, [*lines, lines[0]])
    triangle = build_triangle([(path.name, read_published([path])), *vintages[1:]], None, None)
    assert any(note.startswith("same.csv: 1 headline row(s) repeat an earlier row exactly") for note in triangle.notes)
    assert _row(triangle, "number", "England", "2021").revision == 20


def test_an_unreadable_headline_cell_is_shown_as_written_and_named(tmp_path: Path) -> None:
    vintages = _vintages(tmp_path)
    label, frame = vintages[1]
    frame = frame.copy()
    frame.loc[frame["geographic_level"] == "National", "number"] = frame.loc[
        frame["geographic_level"] == "National", "number"
    ].replace("1010", "1O10")
    triangle = build_triangle([vintages[0], (label, frame), *vintages[2:]], None, None)
    assert _row(triangle, "number", "England", "2021").releases[1] == ("cin_v2.csv", "1O10", None)
    assert _row(triangle, "number", "England", "2021").revision == 20  # latest minus first: the middle one is not read
    assert any("1 headline cell(s) are neither a number nor an EES symbol (e.g. cin_v2.csv, number, 2021: '1O10')" in note
               for note in triangle.notes)  # fmt: skip


def test_json_contract(tmp_path: Path) -> None:
    document = build_triangle(_vintages(tmp_path), None, None).to_dict()
    assert list(document) == ["vintages", "triangle", "stats", "notes"]
    entry = document["triangle"][0]
    assert {"indicator", "geography", "period", "releases"} <= set(entry)
    assert entry["releases"][0] == {"vintage": "cin_v1.csv", "value": 1000}
    later = next(e for e in document["triangle"] if e["period"] == "2022" and e["indicator"] == "number")
    assert later["releases"][0] == {"vintage": "cin_v1.csv", "value": None}
    json.dumps(document, allow_nan=False)  # no NaN or infinity reaches the JSON
    symbols = build_triangle(_vintages(tmp_path), None, None, ("Local authority",)).to_dict()
    assert {"vintage": "cin_v1.csv", "value": "c"} in next(e for e in symbols["triangle"] if e["geography"] == "E06000002")[
        "releases"
    ]


def test_markdown_tables_and_stats_in_words(tmp_path: Path) -> None:
    lines = triangle_markdown(build_triangle(_vintages(tmp_path), None, None))
    assert "| period | cin\\_v1.csv | cin\\_v2.csv | cin\\_v3.csv | cin\\_v4.csv | revision |" in lines
    assert "| 2021 | 1,000 | 1,010 | 1,015 | 1,020 | +20 |" in lines
    assert "| 2022 | – | 2,000 | 2,030 | 2,025 | +25 |" in lines
    assert "| 2024 | – | – | – | 4,000 |  |" in lines
    assert "| 2022 | – | 60.0 | 60.2 | 60.2 | +0.2 |" in lines  # a rate as published, its revision without float noise
    stats = next(line for line in lines if line.startswith("**number:**"))
    assert "mean revision +28.33, mean absolute revision 28.33" in stats and "p = 0.25: no evidence of bias" in stats
    assert "cannot reach p < 0.05" in stats  # three revisions: honest about what the sign test can show


def test_more_than_twelve_periods_show_the_latest_twelve_and_say_so(tmp_path: Path) -> None:
    triangle = build_triangle(_series(tmp_path, {"number": [1] * 15}, periods=15), None, None)
    lines = triangle_markdown(triangle)
    periods = [line.split(" | ")[0][2:] for line in lines if line.startswith("| 20")]
    assert periods == [str(year) for year in range(2013, 2025)] and len(periods) == PERIODS_SHOWN
    assert any("the latest 12 of 15 periods shown" in line for line in lines)
    assert len(triangle.rows) == 15  # every period stays in the JSON


def test_html_partial_tables_chart_and_escaping(tmp_path: Path) -> None:
    vintages = _vintages(tmp_path)
    _, frame = vintages[-1]
    vintages[-1] = ("<script>alert(1)</script>.csv", frame)
    triangle = build_triangle(vintages, None, None)
    html = render_triangle_html(triangle)
    page = lxml.html.fragment_fromstring(html)
    assert page.tag == "section" and not page.xpath("//script")
    tables = page.xpath("//table[@class='triangle']")
    assert len(tables) == 2  # number and rate, England, one filter value
    assert tables[0].xpath("string(caption)").startswith("number, England (social_care_group: Children in need)")
    headers = [th.text_content() for th in tables[0].xpath("thead/tr/th")]
    assert headers[0] == "Period" and headers[-1] == "Revision" and headers[4] == "4: <script>alert(1)</script>.csv"
    body = [[cell.text_content() for cell in tr] for tr in tables[0].xpath("tbody/tr")]
    assert body[0] == ["2021", "1,000", "1,010", "1,015", "1,020", "+20"] and body[3][1:4] == ["–", "–", "–"]
    assert len(page.xpath("//figure/svg")) == 2
    words = page.xpath("string(//p[contains(@class, 'triangle-stats')])")
    assert words.startswith("Mean revision +28.33") and "sign test" in words
    assert render_triangle_html(triangle) == html  # the charts are deterministic bytes
    context = triangle_html_context(triangle)
    assert [v["number"] for v in context["vintages"]] == [1, 2, 3, 4]


def test_all_revisions_down_under_ten_is_a_sign_test_that_finds_bias(tmp_path: Path) -> None:
    triangle = build_triangle(_series(tmp_path, {"number": [-1, -3, -2, -5, -1, -4, -2, 0]}, periods=8), None, None)
    (stats,) = triangle.stats
    assert (stats.test, stats.positive, stats.negative, stats.zero) == (SIGN_TEST, 0, 7, 1)
    assert stats.p_value == pytest.approx(2 * 0.5**7) and stats.biased is True
    words = next(line for line in triangle_markdown(triangle) if line.startswith("**number:**"))
    assert "0 up and 7 down: p = 0.0156: evidence of bias: revisions lean downward" in words


def test_regional_headline_rows_by_region_code_and_name(tmp_path: Path) -> None:
    head = "time_period,time_identifier,geographic_level,country_code,region_code,region_name,number"
    found = []
    for release, figures in enumerate((["10", "20"], ["11", "21", "30"], ["12", "22", "31"])):
        lines = [f"{2021 + i},Reporting year,Regional,E92000001,E12000001,North East,{f}" for i, f in enumerate(figures)]
        lines += [f"{2021 + i},Reporting year,National,E92000001,,,{f}0" for i, f in enumerate(figures)]
        path = _write(tmp_path, f"r{release + 1}.csv", head, lines)
        found.append((path.name, read_published([path])))
    triangle = build_triangle(found, None, None, headline_levels=("Regional",))
    assert {(r.geography, r.geography_name) for r in triangle.rows} == {("E12000001", "North East")}
    assert [r.revision for r in triangle.rows] == [2, 2, 1]
    both = build_triangle(found, None, None, headline_levels=("National", "Regional"))
    assert [r.geography for r in both.rows] == ["England"] * 3 + ["E12000001"] * 3  # national first
