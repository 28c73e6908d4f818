"""`run --publish`: every number in every output, enumerated, on a sample built to tempt each leak.

No output (console, JSON, JUnit, Markdown, HTML) may hold a count of 1 to 5, a difference that
reveals one, a figure recoverable by differencing a shown total (LA, region, England, bridges),
or a record id. The sample is the synthetic release plus a financial year, 2020-21, written by
hand (`_inject`): counts of 1 to 5 at England, region and LA level; national differences of 1
(csprp 37, dfe_cla 38, ncmd 39); an LA `c` (Newcastle, 2 against 3) inside a region whose
sources differ by one (North East, 11 against 12); published LA figures that agree exactly with
dfe_cla's (so a withheld dfe_cla figure could be read off them); a period shift of 1; bridge
steps of 1; and checks failing on 1 to 5 records (the synthetic defects).

How numbers are enumerated. Structured: every number under a JSON key, every figure in a
Markdown table and on a console count column. Broad: every number in all text (HTML text nodes
and attributes, JUnit text and attributes, JSON strings, Markdown, console), after removing only
what `ALLOWED` lists: dates and periods (2023-03-31, 2021-22, 1 April), versions (3.11.2), tallies
of checks, tests and comparisons (not of people), tolerances and percentages, ONS codes and
check ids (a number inside a word is not a number). Percentages are allowed: each is a share of
a base that is itself shown (and checked) as a count. Inside the HTML, `<svg>` drawing
coordinates and axis tick labels are skipped, the svg's text otherwise is not, and neither is
anything else; the config text in the provenance section is skipped (settings, not counts).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_cli

SMALL = range(1, 6)
# LAs of the hand-written year: (ONS code, old code, region).
LAS = {
    "A": ("E06000047", "840", "North East"),  # County Durham
    "B": ("E08000021", "391", "North East"),  # Newcastle upon Tyne
    "C": ("E06000023", "801", "South West"),  # Bristol
    "D": ("E09000007", "202", "Inner London"),  # Camden
}
ALLOWED = [
    r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.+Z-]+)?",  # ISO dates and times
    r"\b(?:19|20)\d{2}(?:-\d{2})?\b",  # years and period labels (2021-22)
    r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b",  # 1 April, 01 Jul
    r"\b\d+\.\d+(?:\.\d+)+\b",  # versions
    # tallies of checks, comparisons, sources and files (never of children)
    r"\b\d[\d,]* (?:other |national |regional or local authority )?(?:checks?|comparisons?|tests?|testcases?|discrepanc(?:y|ies))\b",
    r"\b\d[\d,]* (?:agree|within tolerance|not comparable)\b",
    r"\b\d+ of the \d+ sources\b|\b\d+ sources\b|\b\d[\d,]* (?:input )?files?\b|\([\d.,]+ [KMG]?B\)",
    r"\b(?:and|or) \d+ more (?:discrepancies|comparisons)\b",
    r"\bwithin (?:a tolerance of )?[\d.,]+(?: or [\d.,]+%)?",  # tolerance settings
    r"[\d.,]+%",  # percentages (of shown bases)
    r"\bcategory \d+\b",  # the NCMD's primary category 1 (a code, in measure definitions)
    r"\bper [\d,]+\b",  # per 100,000
    r"\b\d+ (?:days?|months?)\b",  # linkage window, period lengths
    r"\bunder 18\b|\b18 or over\b|\baged 18\b",
    r"\b\d+-digit\b",  # a 3-digit LA code (check messages)
]
ALLOWED_RE = re.compile("|".join(f"(?:{a})" for a in ALLOWED))
NUMBER = re.compile(r"(?<![\w.])[-+\u2212]?\d[\d,]*(?:\.\d+)?(?![\w])")
LOCATION = re.compile(r"\.(?:csv|xml|xlsx):\d+")
SINGULAR_C = re.compile(r"\bc (?:death|record|cell|row|child)\b(?!s)|\bc [a-z]+s? (?:is|has|was)\b")


# --- the sample --------------------------------------------------------------------------------------------------


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        columns = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _inject(sample: Path) -> None:
    """FY 2020-21 (no synthetic death falls in it), child by child; see the module docstring."""
    start = dt.date(2020, 5, 4)
    children = []  # la, in 903, csprp (incident, notified) or None, ncmd status or None, cpp
    plan = [("A", 9), ("B", 2), ("C", 20), ("D", 7)]
    for la, number in plan:
        children += [{"la": la, "903": True, "ncmd": "LAC", "csprp": "same"} for _ in range(number)]
    children[0]["csprp"] = "notified later"  # A: incident 29 Mar 2021, notified 2 Apr: a bridge step of 1 either side
    children.append({"la": "B", "903": False, "ncmd": None, "csprp": "same"})  # B: one CSPRP death only
    c_children = [c for c in children if c["la"] == "C"]
    c_children[0]["csprp"] = "next year"  # C: dated 30 Mar 2021 by 903 and NCMD, 3 Apr 2021 by CSPRP: a shift
    c_children[1]["csprp"] = None  # C: not notified
    children.append({"la": "D", "903": False, "ncmd": "LAC", "csprp": None})  # D: one NCMD death only
    children.append({"la": "C", "903": "adult", "ncmd": None, "csprp": None})  # aged 18: a bridge step of 1
    children += [{"la": "A", "903": False, "ncmd": "CPP", "csprp": "cpp" if i < 2 else None} for i in range(3)]
    header, episodes, ncmd, csprp = [], [], [], []
    for number, child in enumerate(children, start=1):
        ons, old, _ = LAS[child["la"]]
        died = start + dt.timedelta(days=7 * number)
        if child["csprp"] in ("notified later", "next year"):
            died = dt.date(2021, 3, 29 if child["csprp"] == "notified later" else 30)
        born = dt.date(2008, 1, 1) + dt.timedelta(days=41 * number)
        if child["903"] == "adult":
            born = dt.date(2002, 1, 1)
        sex = "F" if number % 2 else "M"
        if child["903"]:
            header.append(
                {"CHILD": f"CX{number:04d}", "SEX": "2" if sex == "F" else "1", "DOB": _uk(born), "ETHNIC": "WBRI", "LA": old}
            )
            episodes.append({"CHILD": f"CX{number:04d}", "DECOM": _uk(died - dt.timedelta(days=400)), "RNE": "S", "LS": "C2",
                             "CIN": "N1", "PLACE": "U1", "PLACE_PROVIDER": "PR1", "DEC": _uk(died), "REC": "E2"})  # fmt: skip
        if child["ncmd"]:
            ncmd.append({"ncmd_case_id": f"NX{number:04d}", "child_id": f"PX{number:04d}", "la_code": ons, "sex": sex,
                         "ethnicity": "WBRI", "date_of_birth": born.isoformat(), "date_of_death": died.isoformat(),
                         "death_notified_date": died.isoformat(), "primary_category": "1" if child["ncmd"] == "CPP" else "3",
                         "social_care_status": child["ncmd"], "modifiable_factors": "N"})  # fmt: skip
        if child["csprp"]:
            incident = dt.date(2021, 4, 3) if child["csprp"] == "next year" else died
            notified = dt.date(2021, 4, 2) if child["csprp"] == "notified later" else incident + dt.timedelta(days=3)
            cpp = child["csprp"] == "cpp"
            csprp.append({"sin_id": f"SINX{number:04d}", "child_id": f"PX{number:04d}", "la_code": ons,
                          "incident_date": incident.isoformat(), "notification_date": notified.isoformat(),
                          "date_of_birth": born.isoformat(), "sex": sex, "ethnicity": "WBRI", "nature": "death",
                          "review_nature": "death", "looked_after": "never" if cpp else "current",
                          "cpp": "current" if cpp else "never", "cin": "never",
                          "abuse_neglect": "suspected" if cpp else "not_suspected", "likely_cause": ""})  # fmt: skip
    _append(sample / "ssda903" / "header.csv", header)
    _append(sample / "ssda903" / "episodes.csv", episodes)
    _append(sample / "ncmd" / "ncmd_deaths.csv", ncmd)
    _append(sample / "csprp" / "sins.csv", csprp)
    _publish_regions(sample / "published" / "cla_ceased.csv")


def _publish_regions(path: Path) -> None:
    """DfE's table gains 2020-21, nationally (rounded), by region (rounded) and by LA (exact, `c` for 1 to 5)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = [*rows[0], "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
    base = {"time_period": "2021", "time_identifier": "Reporting year", "country_code": "E92000001", "country_name": "England",
            "cla_group": "Reason episode ceased", "characteristic": "Died"}  # fmt: skip
    rows.append({**base, "geographic_level": "National", "number": "40"})
    for code, name, number in (
        ("E12000001", "North East", "10"),
        ("E12000009", "South West", "20"),
        ("E13000001", "Inner London", "10"),
    ):
        rows.append({**base, "geographic_level": "Regional", "region_code": code, "region_name": name, "number": number})
    for la, number in (("A", "9"), ("B", "c"), ("C", "20"), ("D", "7")):
        ons, old, region = LAS[la]
        rows.append({**base, "geographic_level": "Local authority", "region_name": region, "old_la_code": old, "new_la_code": ons,
                     "la_name": la, "number": number})  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])


@pytest.fixture(scope="module")
def tempting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from triangulate.synth import SynthSpec, write_synthetic

    sample = tmp_path_factory.mktemp("tempting")
    write_synthetic(sample, SynthSpec(seed=1, years=2, children_per_year=1500, xlsx=False))
    _inject(sample)
    return sample


@pytest.fixture(scope="module")
def truth(tempting: Path) -> Any:
    """The release as recorded (no disclosure): what the outputs must not let anyone work out."""
    from triangulate.config import load_config
    from triangulate.pipeline.release import run_release

    return run_release(load_config(tempting / "release.yaml"))


@pytest.fixture(scope="module")
def published(tempting: Path) -> dict[str, Any]:
    out = tempting / "out"
    names = {"json": "r.json", "junit": "j.xml", "summary-md": "s.md", "html": "report.html"}
    args = [f"--{flag}={out / name}" for flag, name in names.items()]
    result = run_cli("run", str(tempting / "release.yaml"), "--publish", "--out", str(out), *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    files = {key: (out / name).read_text(encoding="utf-8") for key, name in names.items()}
    side = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.name not in names.values()}
    return {"console": result.stdout + result.stderr, **files, "side": side}


# --- the temptations are there -----------------------------------------------------------------------------------


def test_the_sample_tempts_every_leak(truth: Any) -> None:
    from triangulate.domain.geography import ENGLAND

    result = truth.reconciliation
    exact = [c for c in result.comparisons if c.left_value and c.right_value and c.left_value.is_exact and c.right_value.is_exact]
    year = "2020-04-01/2021-03-31"
    assert any(c.geography == ENGLAND and abs(c.left_value.low - c.right_value.low) == 1 for c in exact if c.period == year)
    small = {(c.left, c.geography) for c in exact if c.period == year and c.left_value.low in SMALL}
    small |= {(c.right, c.geography) for c in exact if c.period == year and c.right_value.low in SMALL}
    assert {g for _, g in small} >= {ENGLAND, "North East", LAS["B"][0]}  # 1 to 5 at England, region and LA level
    north_east = {c.left_value.low - c.right_value.low for c in exact if c.geography == "North East" and c.period == year}
    assert {1, -1} & north_east  # 11 against 12 around Newcastle's `c`
    assert any(u.period == year and 0 < u.counts[2] < 6 for u in result.unmatched)  # a period shift of 1
    assert any(0 < abs(s.count) < 6 for b in result.bridges if b.period == year for s in b.steps)  # bridge steps of 1
    assert any(0 < o.failed < 6 for s in truth.sources for o in s.outcomes)  # checks failing on 1 to 5 records


# --- enumeration --------------------------------------------------------------------------------------------------


def _numbers(text: str) -> list[tuple[float, str]]:
    """Every number left in the text once the allowed contexts are removed, with a little context."""
    cleaned = ALLOWED_RE.sub(" ", text)
    found = []
    for match in NUMBER.finditer(cleaned):
        value = float(match.group().replace(",", "").replace("\u2212", "-"))
        found.append((value, cleaned[max(0, match.start() - 60) : match.end() + 30].replace("\n", " ")))
    return found


def _small(text: str) -> list[str]:
    return [context for value, context in _numbers(text) if abs(value) in SMALL]


def _record_ids(sample: Path) -> set[str]:
    ids: set[str] = set()
    for path, columns in ((sample / "ncmd" / "ncmd_deaths.csv", ("ncmd_case_id", "child_id")),
                          (sample / "csprp" / "sins.csv", ("sin_id", "child_id")),
                          (sample / "ssda903" / "header.csv", ("CHILD",)), (sample / "ssda903" / "episodes.csv", ("CHILD",))):  # fmt: skip
        with path.open(encoding="utf-8") as handle:
            ids |= {row[c] for row in csv.DictReader(handle) for c in columns if row.get(c)}
    for xml in sample.glob("cin/*/*.xml"):
        ids |= set(re.findall(r"<LAchildID>([^<]+)<", xml.read_text(encoding="utf-8")))
    return {i for i in ids if len(i) >= 4}


def _json_leaks(node: Any, path: str = "") -> list[str]:
    """Numbers under count keys (structured), and small numbers in every string (broad)."""
    settings = ("tolerance", "summary", "size", "sha256", "per", "denominator", "rate_ci", "rate", "rate_ratio", "rate_ratio_ci",
                "points", "level")  # an anomaly band's past periods and level: not counts of people
    leaks = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in settings or key in ("run_at", "reference_date", "period", "left_period", "right_period", "config"):
                continue
            leaks += _json_leaks(value, f"{path}.{key}")
    elif isinstance(node, list):
        for number, value in enumerate(node):
            leaks += _json_leaks(value, f"{path}[{number}]")
    elif isinstance(node, bool) or node is None:
        pass
    elif isinstance(node, int | float):
        if abs(node) in SMALL:
            leaks.append(f"{path} = {node}")
    elif isinstance(node, str):
        leaks += [f"{path}: ...{context}..." for context in _small(node)]
    return leaks


def test_json_written_by_name_holds_no_small_count(published: dict[str, Any]) -> None:
    document = json.loads(published["json"])
    leaks = _json_leaks(document)
    assert not leaks, "\n".join(leaks[:40])
    assert not SINGULAR_C.search(published["json"])


def test_console_holds_no_small_count(published: dict[str, Any]) -> None:
    console = published["console"]
    leaks = _small(console)
    assert not leaks, "\n".join(leaks[:40])
    assert not SINGULAR_C.search(console), SINGULAR_C.search(console)
    # The count column of every failing check: `c` or a number of at least 6.
    for line in console.splitlines():
        column = re.match(r"\s+(?:ERROR|WARNING|CRASHED)\s+\S+\s+(\S+)\s", line)
        if column:
            assert column.group(1) == "c" or int(column.group(1).replace(",", "")) >= 6, line


def test_markdown_holds_no_small_count(published: dict[str, Any]) -> None:
    markdown = published["summary-md"]
    leaks = _small(markdown)
    assert not leaks, "\n".join(leaks[:40])
    assert not SINGULAR_C.search(markdown), SINGULAR_C.search(markdown)


def test_junit_holds_no_small_count(published: dict[str, Any]) -> None:
    from xml.etree import ElementTree as ET

    leaks = []
    for element in ET.fromstring(published["junit"].encode("utf-8")).iter():
        for name, value in element.attrib.items():
            if element.tag == "testsuite" and name in ("tests", "failures", "skipped", "errors"):
                continue  # tallies of testcases
            leaks += [f"<{element.tag} {name}>: {context}" for context in _small(value)]
        leaks += [f"<{element.tag}> text: {context}" for context in _small(element.text or "")]
    assert not leaks, "\n".join(leaks[:40])
    assert not SINGULAR_C.search(published["junit"])


def test_no_record_id_or_location_anywhere(published: dict[str, Any], tempting: Path) -> None:
    ids = _record_ids(tempting)
    assert len(ids) > 1000
    assert not [name for name in published["side"] if name.endswith((".check-failures.csv", ".unmatched.csv"))]
    texts = {name: published[name] for name in ("console", "json", "junit", "summary-md", "html")} | published["side"]
    for name, text in texts.items():
        tokens = set(re.findall(r"[\w-]+", text))
        assert not tokens & ids, f"{name} carries record ids such as {sorted(tokens & ids)[:5]}"
        assert not LOCATION.search(text), f"{name} carries a file:line location {LOCATION.search(text)}"


# --- differencing -------------------------------------------------------------------------------------------------


def _shown(document: dict[str, Any]) -> dict[tuple[str, str, str, str], Any]:
    """Each source's figure per measure, period and place as the JSON shows it: a number, or None (`c`, an interval)."""
    shown: dict[tuple[str, str, str, str], Any] = {}
    for c in document["comparisons"]:
        for side, period in (("left", "left_period"), ("right", "right_period")):
            value = c[f"{side}_value"]
            if value is not None:
                exact = value[0] == value[1] and value[0] != "c"
                shown[(c[side], c["measure"], c[period], c["geography"])] = value[0] if exact else None
    return shown


def test_no_two_shown_figures_differ_by_one_to_five(published: dict[str, Any]) -> None:
    groups: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for (source, measure, period, place), value in _shown(json.loads(published["json"])).items():
        if isinstance(value, int | float):
            groups[(measure, period, place)][source] = value
    leaks = [f"{key}: {a} {values[a]} against {b} {values[b]}" for key, values in groups.items()
             for a in values for b in values if a < b and abs(values[a] - values[b]) in SMALL]  # fmt: skip
    assert not leaks, "\n".join(leaks[:20])
    for c in json.loads(published["json"])["comparisons"]:
        difference = c["difference"]
        assert difference is None or all(d == "c" or d is None or abs(d) not in SMALL for d in difference), c


def test_no_withheld_figure_is_recoverable_by_differencing(published: dict[str, Any], truth: Any) -> None:
    """For each record-level source, measure and period: England = regions, each region = its LAs (where no death
    lacks one), headline = bridge steps + harmonised. An equation with exactly one hidden term gives it away. A
    comparison `==` that agrees with both sides exact says they are equal: a hidden side of it is known when the
    other is shown (or known), so it counts as shown; it is a leak unless the other side is a published figure."""
    from triangulate.domain.geography import ENGLAND, la_field

    document = json.loads(published["json"])
    known = {key for key, value in _shown(document).items() if value is not None}
    known |= {
        key
        for key, value in _shown(document).items()
        if value is None and key[0] in {s.name for s in truth.sources if s.published}
    }
    public = {s.name for s in truth.sources if s.published}
    leaks = []
    equal = []
    for c in truth.reconciliation.comparisons:
        if (
            c.relation == "=="
            and c.status == "agree"
            and all(v is not None and v.is_exact for v in (c.left_value, c.right_value))
        ):
            equal.append(((c.left, c.measure, c.left_period, c.geography), (c.right, c.measure, c.right_period, c.geography)))
    for _ in range(5):  # known through agreements, transitively
        for a, b in equal:
            for one, other in ((a, b), (b, a)):
                if other in known and one not in known:
                    known.add(one)
                    if other[0] not in public:
                        leaks.append(f"{one} is withheld but agrees exactly with {other}, which is shown")
    region_of = la_field("region_name")
    record_level = {s.name for s in truth.sources if not s.published}
    true: dict[tuple[str, str, str, str], float] = {}
    for c in truth.reconciliation.comparisons:
        for side, value, period in ((c.left, c.left_value, c.left_period), (c.right, c.right_value, c.right_period)):
            if side in record_level and value is not None:
                true[(side, c.measure, period, c.geography)] = value.low
    systems: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for (source, measure, period, place), value in true.items():
        systems[(source, measure, period)][place] = value
    for (source, measure, period), places in systems.items():
        wholes = {region: [p for p in places if region_of.get(p) == region] for region in set(region_of.values())}
        wholes[ENGLAND] = [p for p in places if p in wholes]
        for whole, parts in wholes.items():
            if whole not in places or not parts or places[whole] != sum(places[p] for p in parts):
                continue  # a rest (deaths with no region) is never shown: the equation has an unknown of its own
            hidden = [p for p in (whole, *parts) if (source, measure, period, p) not in known]
            if len(hidden) == 1:
                leaks.append(f"{source} {measure} {period} {whole}: {hidden[0]} is the one hidden figure of {len(parts) + 1}")
    for bridge, shown_bridge in zip(truth.reconciliation.bridges, document["bridges"], strict=True):
        figures = [shown_bridge["headline"], shown_bridge["harmonised"], *(s["count"] for s in shown_bridge["steps"])]
        if sum(f == "c" for f in figures) == 1:
            leaks.append(f"bridge {bridge.source} {bridge.measure} {bridge.period}: one hidden figure")
    assert not leaks, "\n".join(leaks[:20])


# --- HTML (reports/view.py and its templates: another engineer's files) ---------------------------------------------


def _html_texts(html: str) -> list[tuple[str, str]]:
    """Every text node and attribute value of the report, with where it is; svg drawing and tick labels and the
    provenance's config text are left out."""
    import lxml.html

    root = lxml.html.fromstring(html)
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("style", "script"):
            continue
        in_svg = any(a.tag == "svg" for a in element.iterancestors()) or element.tag == "svg"
        ticks = any(str(a.get("id", "")).startswith(("xtick", "ytick")) for a in element.iterancestors())
        if not in_svg:
            for name, value in element.attrib.items():
                if name not in ("href", "id", "class", "style", "src", "colspan", "rowspan", "content", "width", "height", "datetime"):
                    found.append((f"<{element.tag} {name}>", value))
        text = element.text or ""
        if in_svg and (ticks or element.tag != "text"):
            text = ""
        if element.tag in ("pre", "code") and "sources:" in text:
            text = ""  # the run config as given: settings (rounding, tolerance, days), not counts
        if element.tag == "time":
            text = ""  # when the run was made ("at 15:01 UTC"): a clock, not a count
        if element.tag == "td" and TALLY_COLUMNS.match(_column(element)):
            text = ""
        found.append((f"<{element.tag}>", text))
        found.append((f"after <{element.tag}>", element.tail or ""))
    return found


TALLY_COLUMNS = re.compile(r"^\s*(?:checks passed|did not pass|checks|passed|failed checks)\s*$", re.I)


def _column(cell: Any) -> str:
    """The header text of a table cell's column (colspans counted)."""
    row, table = cell.getparent(), next((a for a in cell.iterancestors() if a.tag == "table"), None)
    if row is None or table is None:
        return ""
    position = 0
    for sibling in row:
        if sibling is cell:
            break
        position += int(sibling.get("colspan", "1"))
    for header in table.iter("thead"):
        at = 0
        for th in next(iter(header.iter("tr")), []):
            if at <= position < at + int(th.get("colspan", "1")):
                return th.text_content()
            at += int(th.get("colspan", "1"))
    return ""


def test_html_holds_no_small_count(published: dict[str, Any]) -> None:
    leaks = [f"{where}: ...{context}..." for where, text in _html_texts(published["html"]) for context in _small(text)]
    assert not leaks, "\n".join(leaks[:60])
    assert not SINGULAR_C.search(published["html"]), SINGULAR_C.search(published["html"])


def test_html_side_files_hold_no_small_count(published: dict[str, Any]) -> None:
    """Every CSV beside the report (per-measure tables, provenance): file sizes and hashes are not counts."""
    leaks = []
    for name, text in published["side"].items():
        rows = list(csv.reader(text.splitlines()))
        for row in rows[1:]:
            for column, value in zip(rows[0], row, strict=False):
                if column not in ("bytes", "size", "sha256", "file"):
                    leaks += [f"{name} {column}: {context}" for context in _small(value)]
    assert not leaks, "\n".join(leaks[:40])


def test_the_check_can_fail(tmp_path: Path) -> None:
    """The enumeration finds what it looks for: a small count, a singular `c`, a location, each in plain sight."""
    assert _small("FAIL  reconciliation: 12 comparisons, 3 agree\n  csprp 48, dfe_cla 3")
    assert not _small("2021-22 2023-03-31 age.over_17 E09000031 within 2 or 10% 12 comparisons, 3 agree 1 April")
    assert SINGULAR_C.search("c death is dated in different periods")
    assert LOCATION.search("ncmd_deaths.csv:7001")
    shutil.rmtree(tmp_path)


# --- inference (issue 21): statuses, complements, and counts that are not of people ------------------------------


def _narrowed(c: dict[str, Any], hidden: str) -> bool:
    """Whether a comparison's status, with the figure shown beside a withheld one, tells more of it than `c` does."""
    from triangulate.domain.intervals import Interval
    from triangulate.domain.periods import Period
    from triangulate.model.reconciliation import status_of

    shown = "right" if hidden == "left" else "left"
    if c[f"{hidden}_value"] != ["c", "c"] or not isinstance(c[f"{shown}_value"][0], int | float):
        return False
    low, high = c[f"{shown}_value"]
    if high is None or low != high:
        return False
    months = {side: Period.from_iso(c[f"{side}_period"]).months for side in ("left", "right")}
    possible = []
    for v in range(0, 60):
        values = {hidden: Interval.exact(v), shown: Interval.exact(low)}
        if abs(months["left"] - months["right"]) >= 0.01:
            values = {side: value.scale(12 / months[side]) for side, value in values.items()}
        if status_of(values["left"] - values["right"], values["left"], values["right"], c["relation"], c["tolerance"]) == c["status"]:
            possible.append(v)
    small = [v for v in possible if v in SMALL]
    return len(small) not in (0, 5) or (max(possible, default=0) < 59 and min(possible, default=0) > 0)


def test_no_status_narrows_a_withheld_figure(published: dict[str, Any]) -> None:
    document = json.loads(published["json"])
    narrowed = [f"{c['measure']} {c['period_label']} {c['geography']}: {c['left']} {c['left_value']} vs {c['right']} "
                f"{c['right_value']}: {c['status']} ({c['tolerance']})"
                for c in document["comparisons"] for hidden in ("left", "right") if _narrowed(c, hidden)]  # fmt: skip
    assert not narrowed, "\n".join(narrowed[:20])


def test_counts_that_are_not_of_people_are_never_withheld(published: dict[str, Any], truth: Any) -> None:
    """A published table's rows are shown as they are, even 1 to 5 of them; so are its failing cells."""
    document = json.loads(published["json"])
    for shown, source in zip(document["sources"], truth.sources, strict=True):
        if source.published:
            assert shown["records"] == source.records
            assert [c["failed"] for c in shown["checks"]] == [o.failed for o in source.outcomes]
