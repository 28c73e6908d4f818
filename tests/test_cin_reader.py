"""readers/cin.py: the CIN census reader against a plain ElementTree reading, and the rules it must keep."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from triangulate.domain.dates import order_key
from triangulate.errors import InputError
from triangulate.readers.cin import CHILD_FIELDS, EPISODE_FIELDS, HEADER_FIELDS, RAW_COLUMNS, read_cin

from .conftest import PEERS

NS = "http://www.govtalk.gov.uk/CM/envelope"
HEAD = """<?xml version="1.0" encoding="utf-8"?>
<Message>
<Header><CollectionDetails><ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails><Source><LEA>201</LEA></Source></Header>
<Children>
"""
TAIL = "</Children>\n</Message>\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def census(tmp_path: Path, children: str, name: str = "c.xml") -> Path:
    return write(tmp_path / name, HEAD + children + TAIL)


def plan(start: str, end: str = "") -> str:
    return f"<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate><CPPendDate>{end}</CPPendDate></ChildProtectionPlans>"


def cells(frame: pd.DataFrame, columns: tuple[str, ...] = RAW_COLUMNS) -> list[tuple[object, ...]]:
    """Rows as tuples, None for every missing value whatever the dtype."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame[list(columns)].astype(object).itertuples(index=False)]


def reference(paths: list[Path]) -> list[tuple[object, ...]]:
    """The same rows from a plain ElementTree reading, one Child at a time (no line numbers: ET has none)."""

    def name(element: ET.Element) -> str:
        return element.tag.rsplit("}", 1)[-1]

    def clean(text: str | None) -> str | None:
        return (text or "").strip() or None

    rows = []
    for path in paths:
        root = ET.parse(path).getroot()
        header = {n: next((clean(e.text) for e in root.iter() if name(e) == n and clean(e.text)), None) for n in HEADER_FIELDS}
        for child in (e for e in root.iter() if name(e) == "Child"):
            fields = {name(f): clean(f.text) for part in child if name(part) == "ChildIdentifiers" for f in part}
            episodes = []
            for details in (part for part in child if name(part) == "CINdetails"):
                episode = {name(f): clean(f.text) for f in details if name(f) in EPISODE_FIELDS}
                plans = [(clean(p.findtext("{*}CPPstartDate")), clean(p.findtext("{*}CPPendDate")))
                         for p in details if name(p) == "ChildProtectionPlans"]  # fmt: skip
                plans = [p for p in plans if p[0]]
                if plans:  # max() keeps the first of equal keys: the first of two plans starting the same day
                    episode["CPPstartDate"], episode["CPPendDate"] = max(plans, key=lambda p: order_key(p[0]))
                episodes.append(episode)
            for episode in episodes or [{}]:
                values = {**header, **{k: v for k, v in fields.items() if k in CHILD_FIELDS}, **episode}
                rows.append((*(values.get(c) for c in RAW_COLUMNS), path.name))
    return rows


def expected_lines(path: Path) -> list[int]:
    """Each CINdetails start tag's line, or its Child's when a child has none: from the text, one element a line."""
    lines: list[int] = []
    child, details = 0, []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if "<Child>" in text:
            child, details = number, []
        elif "<CINdetails>" in text:
            details.append(number)
        elif "</Child>" in text:
            lines += details or [child]
    return lines


def test_matches_an_elementtree_reading_of_the_synthetic_sample(synthetic: Path) -> None:
    files = sorted(synthetic.glob("cin/*/*.xml"))[:60]
    frame = read_cin(files)
    assert cells(frame, (*RAW_COLUMNS, "_file")) == reference(files)
    assert frame["_line"].tolist() == [line for path in files for line in expected_lines(path)]
    assert frame["_child"].is_monotonic_increasing and frame["_child"].iloc[-1] == frame["_child"].nunique()
    assert {c: str(frame[c].dtype) for c in ("LEA", "ReferenceDate", "_file", "_line", "_child")} == {
        "LEA": "category", "ReferenceDate": "category", "_file": "category", "_line": "int64", "_child": "int64"
    }  # fmt: skip


def test_the_latest_plan_by_start_date_decides_the_episode(tmp_path: Path) -> None:
    path = census(tmp_path, "<Child><ChildIdentifiers><LAchildID>A</LAchildID></ChildIdentifiers>"
        "<CINdetails>" + plan("2021-06-01", "first") + plan("05/07/2021", "uk, later") + plan("2020-01-01", "earlier")
        + plan("not a date", "unreadable") + plan("  ", "no start") + "</CINdetails>"
        "<CINdetails>" + plan("2022-01-01", "tie, first") + plan(" 2022-01-01 ", "tie, second") + "</CINdetails>"
        "<CINdetails>" + plan("garbage", "only unreadable") + plan("", "blank") + "</CINdetails>"
        "<CINdetails><ChildProtectionPlans><CPPendDate>no start</CPPendDate></ChildProtectionPlans></CINdetails>"
        "</Child>\n")  # fmt: skip
    frame = read_cin([path])
    assert cells(frame, ("CPPstartDate", "CPPendDate")) == [
        ("05/07/2021", "uk, later"),
        ("2022-01-01", "tie, first"),
        ("garbage", "only unreadable"),
        (None, None),
    ]


@pytest.mark.parametrize("namespaced", ["default", "prefixed"])
def test_namespaced_files_read_as_plain_ones(tmp_path: Path, namespaced: str) -> None:
    text = PEERS[1].read_text(encoding="utf-8")
    if namespaced == "default":
        text = text.replace("<Message>", f'<Message xmlns="{NS}">', 1)
    else:
        text = text.replace("</", "</c:").replace("<", "<c:").replace("<c:/c:", "</c:").replace("<c:?", "<?")
        text = text.replace("<c:Message>", f'<c:Message xmlns:c="{NS}">', 1)
    (tmp_path / "ns").mkdir()
    path = tmp_path / "ns" / PEERS[1].name
    path.write_text(text, encoding="utf-8")
    plain, spaced = read_cin([PEERS[1]]), read_cin([path])
    pd.testing.assert_frame_equal(plain, spaced)
    assert plain["CPPstartDate"].notna().any() and plain["LAchildID"].notna().all()


def test_a_child_without_episodes_gets_one_row_on_its_own_line(tmp_path: Path) -> None:
    path = census(tmp_path, "<Child>\n<ChildIdentifiers><LAchildID> A </LAchildID><Sex/></ChildIdentifiers>\n</Child>\n"
                  "<Child>\n<CINdetails>\n<CINreferralDate>2023-01-01</CINreferralDate></CINdetails>\n"
                  "<CINdetails><ReasonForClosure>RC1</ReasonForClosure></CINdetails>\n</Child>\n")  # fmt: skip
    frame = read_cin([path])
    assert frame["_line"].tolist() == [5, 9, 11]
    assert frame["_child"].tolist() == [1, 2, 2]
    assert cells(frame, ("LAchildID", "Sex", "CINreferralDate", "ReasonForClosure")) == [
        ("A", None, None, None),
        (None, None, "2023-01-01", None),
        (None, None, None, "RC1"),
    ]


def test_only_direct_fields_count_and_the_last_repeat_wins(tmp_path: Path) -> None:
    path = census(tmp_path, "<Child><LAchildID>not here</LAchildID><ChildIdentifiers><LAchildID>A</LAchildID>"
                  "<X><Sex>not here</Sex></X><LAchildID>B</LAchildID></ChildIdentifiers>"
                  "<CINdetails><X><CINdetails><CINreferralDate>nested</CINreferralDate></CINdetails></X>"
                  "<CINreferralDate>2020-01-01</CINreferralDate><CINreferralDate> </CINreferralDate></CINdetails></Child>\n")  # fmt: skip
    assert cells(read_cin([path]), ("LAchildID", "Sex", "CINreferralDate")) == [("B", None, None)]


def test_fields_are_found_after_many_distinct_element_names(tmp_path: Path) -> None:
    noise = "".join(f"<X{n}>x</X{n}>" for n in range(12_000))  # more names than TagCodes remembers
    path = census(tmp_path, f"<Child><ChildIdentifiers>{noise}<LAchildID>A</LAchildID></ChildIdentifiers></Child>\n"
                  "<Child><ChildIdentifiers><LAchildID>B</LAchildID></ChildIdentifiers></Child>\n")  # fmt: skip
    assert read_cin([path])["LAchildID"].tolist() == ["A", "B"]


def test_children_are_numbered_on_across_files(tmp_path: Path) -> None:
    first = census(tmp_path, "<Child/>\n<Child><CINdetails/><CINdetails/></Child>\n", "a.xml")
    second = census(tmp_path, "<Child/>\n<Child/>\n", "b.xml")
    frame = read_cin([first, second])
    assert frame["_child"].tolist() == [1, 2, 2, 3, 4]
    assert frame["_file"].tolist() == ["a.xml", "a.xml", "a.xml", "b.xml", "b.xml"]
    assert read_cin([second])["_child"].tolist() == [1, 2]


def test_errors_name_the_file_and_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"x\.xml: not a CIN census file: no Header/Source/LEA, "
                       r"Header/CollectionDetails/ReferenceDate, Children/Child element"):  # fmt: skip
        read_cin([write(tmp_path / "x.xml", "<r/>")])
    with pytest.raises(InputError, match=r"t\.xml:line \d+: malformed XML"):
        read_cin([write(tmp_path / "t.xml", (HEAD + "<Child><CINdetails></Child>" + TAIL))])
    with pytest.raises(InputError, match="DTD"):
        read_cin([write(tmp_path / "d.xml", '<?xml version="1.0"?>\n<!DOCTYPE Message>\n' + (HEAD + TAIL).split("\n", 1)[1])])


def test_no_python_call_per_child(tmp_path: Path) -> None:
    """The parse loop and the assembly stay flat: Python-level calls do not grow with the number of children."""
    one = "<Child><ChildIdentifiers><LAchildID>{}</LAchildID><Sex>F</Sex></ChildIdentifiers><CINdetails>" \
          "<CINreferralDate>2023-01-01</CINreferralDate>" + plan("2023-01-02") + "</CINdetails></Child>\n"  # fmt: skip

    def calls(children: int) -> int:
        path = census(tmp_path, "".join(one.format(f"C{n}") for n in range(children)), f"n{children}.xml")
        count = 0

        def profile(frame: object, event: str, arg: object) -> None:
            nonlocal count
            count += event == "call"

        sys.setprofile(profile)
        try:
            read_cin([path])
        finally:
            sys.setprofile(None)
        return count

    calls(10)  # warm caches (imports, regexes)
    assert calls(2000) - calls(20) < 50
