"""Properties that must hold for any input, checked with hypothesis."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from triangulate.canonical.records import death_records
from triangulate.domain.cells import from_published
from triangulate.domain.intervals import Interval, from_rounded
from triangulate.domain.periods import financial_year
from triangulate.reconcile.bridge import build_bridge, harmonised
from triangulate.reconcile.linkage import link
from triangulate.synth.writers import CinChild, CinEpisode, write_cin_file, write_csv, write_xlsx

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAYS = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2024, 12, 31))
# Printable text with commas, quotes and non-ASCII, as a hand-made extract might hold; no
# surrounding space (readers strip it) and not blank (readers read blank as missing).
CELL = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12).filter(
    lambda text: text == text.strip() and text != ""
)


@SETTINGS
@given(rows=st.lists(st.tuples(CELL, DAYS, st.sampled_from(["M", "F", "U"])), min_size=1, max_size=20), as_xlsx=st.booleans())
def test_table_readers_round_trip_what_synth_writes(rows, as_xlsx) -> None:
    from triangulate.readers.tables import read_table

    header = ["ncmd_case_id", "date_of_death", "sex"]
    body = [[ident, day.isoformat(), sex] for ident, day, sex in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("x.xlsx" if as_xlsx else "x.csv")
        (write_xlsx if as_xlsx else write_csv)(path, header, body)
        frame = read_table(path, expected_columns=header)
    assert frame[header].values.tolist() == body


@SETTINGS
@given(
    children=st.lists(
        st.tuples(st.from_regex(r"[A-Za-z0-9<>&'\"-]{1,10}", fullmatch=True), DAYS, st.one_of(st.none(), DAYS)),
        min_size=1,
        max_size=15,
    )
)
def test_cin_reader_round_trips_what_synth_writes(children) -> None:
    from triangulate.readers.cin import read_cin

    written = [
        CinChild(
            ident,
            "GenderCurrent",
            "1",
            birth.isoformat(),
            death=death.isoformat() if death else None,
            episodes=[CinEpisode(birth.isoformat())],
        )
        for ident, birth, death in children
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cin_201.xml"
        write_cin_file(path, "201", "2024-03-31", written)
        frame = read_cin([path])
    got = frame[["LAchildID", "PersonBirthDate", "PersonDeathDate"]].astype(object).where(frame.notna(), None)
    assert got.values.tolist() == [[c.la_child_id, c.birth, c.death] for c in written]


@given(values=st.lists(st.integers(0, 10_000), min_size=1, max_size=30), base=st.sampled_from([1, 5, 10, 100]))
def test_rounded_figures_become_intervals_that_hold_the_truth(values, base) -> None:
    def dfe_round(value: int) -> int:  # to the nearest base, halves up
        return (value + base // 2) // base * base if base > 1 else value

    intervals = [from_rounded(dfe_round(v), base) for v in values]
    assert all(i.contains(v) for i, v in zip(intervals, values, strict=True))
    total = sum(intervals[1:], intervals[0])
    assert total.contains(sum(values))
    published = [from_published(str(dfe_round(v)), base) for v in values]
    assert published == intervals


@given(low=st.integers(0, 100), width=st.integers(0, 50), other=st.integers(0, 150))
def test_interval_difference_holds_every_difference(low, width, other) -> None:
    a, b = Interval(low, low + width), Interval.exact(other)
    for value in range(low, low + width + 1):
        assert (a - b).contains(value - other)


def _records(source: str, rows: list[tuple], with_child_id: bool = False) -> pd.DataFrame:
    ids = pd.Series([f"{source}{n}" for n in range(len(rows))])
    column = lambda n: pd.Series([row[n] for row in rows], dtype=object)  # noqa: E731
    return death_records(
        source=source,
        record_id=ids,
        child_key=column(4).where(column(4).notna(), ids) if rows else ids,
        location=ids,
        birth_date=column(0),
        death_date=column(1),
        sex=column(2),
        la_code=column(3),
        status=pd.Series(["LAC"] * len(rows), dtype=object),
        reference_date=pd.Timestamp("2024-03-31"),
        child_id=column(4) if with_child_id else None,
        expected_birth_date=column(5),
    )


RECORD = st.tuples(
    st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2023, 12, 31)).map(dt.date.isoformat)),  # birth (None: unborn)
    st.one_of(st.none(), st.dates(dt.date(2021, 1, 1), dt.date(2024, 3, 31)).map(dt.date.isoformat)),  # death
    st.sampled_from(["M", "F"]),
    st.sampled_from(["E08000025", "E09000001", None]),
    st.one_of(st.none(), st.sampled_from(["P1", "P2", "P3", "P4"])),  # child id: repeats are duplicates
    st.just("2024-01-01"),  # expected birth date, used when there is no birth date
)


@SETTINGS
@given(rows=st.lists(RECORD, max_size=40), end_year=st.sampled_from([2022, 2023, 2024]))
def test_every_bridge_adds_up_to_the_harmonised_definition(rows, end_year) -> None:
    deaths = _records("S", rows)
    period = financial_year(end_year)
    bridge = build_bridge("S", "m", deaths, period)
    assert bridge.headline - sum(step.count for step in bridge.steps) == bridge.harmonised
    in_period = harmonised(deaths)
    assert bridge.harmonised == int(period.contains(in_period["date_of_death"]).sum())
    assert all(abs(step.count) == len(step.record_ids) for step in bridge.steps)


LINKABLE = st.tuples(
    st.one_of(st.none(), st.sampled_from(["2010-01-01", "2012-06-30"])),  # few birth dates: many candidates
    st.sampled_from(["2023-03-28", "2023-03-31", "2023-04-01", "2023-04-03", "2023-05-20"]),
    st.sampled_from(["M", "F"]),
    st.sampled_from(["E08000025", None]),
    st.one_of(st.none(), st.sampled_from(["P1", "P2", "P3"])),
    st.just(None),
)


@SETTINGS
@given(a=st.lists(LINKABLE, max_size=25), b=st.lists(LINKABLE, max_size=25), days=st.sampled_from([0, 3, 7]))
def test_linkage_is_symmetric(a, b, days) -> None:
    left, right = _records("A", a, with_child_id=True), _records("B", b, with_child_id=True)
    forwards, backwards = link(left, right, death_date_days=days), link(right, left, death_date_days=days)
    assert set(forwards.only_left) == set(backwards.only_right)
    assert set(forwards.only_right) == set(backwards.only_left)
    assert sorted(map(tuple, forwards.pairs[["left_row", "right_row"]].values.tolist())) == sorted(
        (r, left_row) for left_row, r in backwards.pairs[["left_row", "right_row"]].values.tolist()
    )
