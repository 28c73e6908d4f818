"""Issue 23, "one of each": the geography hierarchy, a known LA code and the tolerance formula, each defined once."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from triangulate.config.selection import where_values
from triangulate.domain.geography import (
    ENGLAND,
    LONDON,
    LONDON_PARTS,
    ancestors_of,
    is_known_la,
    is_known_la_code,
    known_la_codes,
    las_in,
    london_of,
    parent_of,
    parts_of,
    region_las,
    region_of,
    wholes_of_regions,
)
from triangulate.domain.intervals import Interval
from triangulate.domain.periods import Period
from triangulate.domain.status import Status
from triangulate.domain.tolerance import Tolerance, ends_moved
from triangulate.errors import ConfigError
from triangulate.model.reconciliation import status_of
from triangulate.reconcile.engine import _counts_at
from triangulate.reconcile.revisions import compare_vintages
from triangulate.reconcile.vintages import Lineup
from triangulate.schemas.cin import _known_lea
from triangulate.schemas.ssda903 import _known_la

LA_LIST = Path(__file__).parents[1] / "data" / "la_codes.csv"
NINE_REGIONS = ("East Midlands", "East of England", "London", "North East", "North West", "South East", "South West",
                "West Midlands", "Yorkshire and The Humber")  # fmt: skip


def _shipped() -> list[dict[str, str]]:
    with LA_LIST.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the geography hierarchy ------------------------------------------------------------------------------------


def test_england_is_its_nine_regions_and_london_is_inner_plus_outer_london() -> None:
    assert parts_of(ENGLAND) == NINE_REGIONS
    assert parts_of(LONDON) == LONDON_PARTS == ("Inner London", "Outer London")
    assert all(parent_of(region) == ENGLAND for region in NINE_REGIONS)
    assert parent_of(ENGLAND) is None and parent_of("Atlantis") is None and parts_of("Atlantis") == ()


def test_a_region_is_its_las_from_the_shipped_list() -> None:
    by_region: dict[str, list[str]] = defaultdict(list)
    for row in _shipped():
        by_region[row["region_name"]].append(row["new_la_code"])
    assert set(by_region) == (set(NINE_REGIONS) - {LONDON}) | set(LONDON_PARTS)
    for region, las in by_region.items():
        assert parts_of(region) == tuple(sorted(las))
        assert region_las()[region] == frozenset(las) == las_in(region)
        assert all(parent_of(la) == region and parts_of(la) == () for la in las)
    assert las_in(ENGLAND) == frozenset(row["new_la_code"] for row in _shipped()) and len(las_in(ENGLAND)) == 155
    assert las_in(LONDON) == las_in("Inner London") | las_in("Outer London") and len(las_in(LONDON)) == 33


def test_a_london_borough_is_in_inner_or_outer_london_which_are_in_london() -> None:
    assert ancestors_of("E09000007") == ("Inner London", LONDON, ENGLAND)  # Camden
    assert ancestors_of("E09000003") == ("Outer London", LONDON, ENGLAND)  # Barnet
    assert ancestors_of("E08000032") == ("Yorkshire and The Humber", ENGLAND)  # Bradford
    assert ancestors_of(ENGLAND) == ()
    # Every place's parts name it as their parent: one tree, read both ways.
    for whole in (ENGLAND, *NINE_REGIONS, *LONDON_PARTS):
        assert all(parent_of(part) == whole for part in parts_of(whole))


def test_the_vectorised_forms_follow_the_hierarchy() -> None:
    codes = pd.Series(["E09000007", "E09000003", "E08000032", None])
    regions = region_of(codes)
    assert regions.tolist()[:3] == ["Inner London", "Outer London", "Yorkshire and The Humber"] and pd.isna(regions.iloc[3])
    above = london_of(regions)
    assert above.tolist()[:2] == [LONDON, LONDON] and above.iloc[2:].isna().all()
    wholes = wholes_of_regions(pd.Series(["Inner London", "London", "North East", "Camden", "X", "Y"]),
                               pd.Series(["", "", "", "", "E13000009", "E92000001"]))  # fmt: skip
    # By name; an LA is no regional part; by code, an E13 code is London's part, one of another type neither's.
    assert [None if pd.isna(w) else w for w in wholes] == [LONDON, ENGLAND, ENGLAND, None, LONDON, None]


def test_a_return_of_inner_london_counts_inner_london_but_not_london() -> None:
    period = Period.from_iso("2023-04-01/2024-03-31")
    inner = las_in("Inner London")
    deaths = pd.DataFrame({"la_code": sorted(inner)[:3], "date_of_death": pd.to_datetime(["2023-06-01"] * 3)})
    values = _counts_at(deaths, period, inner, ("region", "local_authority"))
    assert values[(period, "Inner London")] == Interval.exact(3)
    assert (period, LONDON) not in values and (period, "Outer London") not in values and (period, ENGLAND) not in values
    everywhere = _counts_at(deaths, period, None, ("region", "local_authority"))
    assert everywhere[(period, LONDON)] == everywhere[(period, ENGLAND)] == Interval.exact(3)
    assert everywhere[(period, "Outer London")] == Interval.exact(0)


# --- a known LA code --------------------------------------------------------------------------------------------


def test_known_la_codes_are_the_shipped_lists_of_both_kinds() -> None:
    rows = _shipped()
    assert known_la_codes("dfe") == frozenset(row["old_la_code"] for row in rows)
    assert known_la_codes("ons") == frozenset(row["new_la_code"] for row in rows)
    assert known_la_codes() == known_la_codes("dfe") | known_la_codes("ons") and len(known_la_codes()) == 310
    assert is_known_la("201") and is_known_la("E09000001") and is_known_la(" 380 ")  # City of London; Bradford
    for made_up in ("999", "E09999999", "E92000001", "E12000007", "", "20"):
        assert not is_known_la(made_up)


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_known_la_code_vectorised(dtype: object) -> None:
    codes = pd.Series(["201", "E08000032", " 380 ", "999", "E09999999", None, "201"], index=range(10, 17), dtype=dtype)
    known = is_known_la_code(codes)
    assert known.tolist() == [True, True, True, False, False, False, True] and known.index.equals(codes.index)
    assert known.tolist() == [is_known_la(c) if c is not None and not pd.isna(c) else False for c in codes]


def test_the_schemas_and_the_config_use_the_known_la_codes() -> None:
    lea = pd.DataFrame({"LEA": pd.Series(["201", "E09000001", "999", None], dtype="category")})
    assert _known_lea(lea).tolist() == [True, True, False, True]  # a missing LEA is missing.LEA's
    header = pd.DataFrame({"LA": ["380", "E08000032", "E99999999", None]})
    assert _known_la(header).tolist() == [True, True, False, True]
    assert _known_la(pd.DataFrame({"CHILD": ["1"]})).tolist() == [True]  # no LA column: nothing to check
    assert where_values("la_code", "E08000032", "where") == ("E08000032",)
    with pytest.raises(ConfigError, match=r"Bradford's DfE code; death records carry its ONS code E08000032"):
        where_values("la_code", "380", "where")
    with pytest.raises(ConfigError, match=r"'E08000099' is not a code of la_code, so"):
        where_values("la_code", "E08000099", "where")


# --- the tolerance formula --------------------------------------------------------------------------------------


def test_a_gap_equal_to_the_tolerance_is_within_and_just_over_is_beyond() -> None:
    absolute = Tolerance(abs=3)
    assert absolute.allowed(1000) == 3
    assert not absolute.exceeded_by(3, 1000) and absolute.exceeded_by(math.nextafter(3, 4), 1000)
    assert not absolute.exceeded_by(0) and absolute.exceeded_by(math.inf)
    relative = Tolerance(rel=0.1)  # scaled: 10 of 100, 5 of 50
    assert relative.allowed(100) == 10 and not relative.exceeded_by(10, 100) and relative.exceeded_by(10.000001, 100)
    assert relative.exceeded_by(10, 50) and not relative.exceeded_by(5, 50) and relative.exceeded_by(0.5, 0)
    both = Tolerance(abs=5, rel=0.01)  # the larger of the two applies
    assert both.allowed(100) == 5 and both.allowed(1000) == 10
    assert not both.exceeded_by(5, 100) and both.exceeded_by(6, 100) and not both.exceeded_by(10, 1000)


def test_a_gap_exactly_at_a_decimal_relative_tolerance_is_within() -> None:
    # 0.29 x 100 is 28.999999999999996 in floating point, yet a revision of 29 in 100 at rel 0.29 is 29%.
    assert not Tolerance(rel=0.29).exceeded_by(29, 100) and Tolerance(rel=0.29).exceeded_by(29.000001, 100)
    assert not Tolerance(rel=0.17).exceeded_by(456.3 - 390.0, 390.0)  # 66.30000000000001 / 390 is 0.17000000000000004


def test_the_vectorised_formula_is_the_scalar_one() -> None:
    tolerance = Tolerance(abs=2, rel=0.29)
    gaps = np.array([0, 2, 2.0000001, 29, 29.01, 58, -29, math.inf, math.nan, 3, 0])
    scales = np.array([0, 0, 0, 100, 100, 200, -100, 100, 100, 0, math.inf])
    expected = [tolerance.exceeded_by(g, s) for g, s in zip(gaps, scales, strict=True)]
    assert tolerance.exceeded(gaps, scales).tolist() == expected
    assert expected == [False, False, True, False, True, False, False, True, False, True, False]


def test_ends_moved_an_end_appearing_or_disappearing_is_infinitely_far() -> None:
    assert ends_moved((10, 20), (12, 19)) == 2 and ends_moved((None, None), (None, None)) == 0
    assert ends_moved((10, None), (10, 14)) == math.inf and ends_moved((None, None), (3, 3)) == math.inf
    assert not Tolerance(abs=2).ends_moved_beyond((10, 20), (12, 19)) and Tolerance(abs=1.5).ends_moved_beyond((10, 20), (12, 19))
    assert Tolerance(abs=1e9).ends_moved_beyond((10, None), (10, 14))  # no tolerance covers a bound appearing
    assert not Tolerance(rel=0.1).ends_moved_beyond((100, 100), (110, 110))  # relative to the old figure


def test_status_of_is_the_comparison_rule_through_the_one_formula() -> None:
    def status(left: float, right: float, tolerance: dict[str, float], relation: str = "==") -> str:
        a, b = Interval.exact(left), Interval.exact(right)
        return status_of(a - b, a, b, relation, tolerance)

    assert status(10, 10, {}) is Status.AGREE
    assert status(10, 13, {"abs": 3}) is Status.WITHIN_TOLERANCE and status(10, 13, {"abs": 2.999}) is Status.DISCREPANCY
    # The scale is the larger of the two: 10% of 110 is 11.
    assert status(99, 110, {"rel": 0.1}) is Status.WITHIN_TOLERANCE and status(98, 110, {"rel": 0.1}) is Status.DISCREPANCY
    assert status(71, 100, {"rel": 0.29}) is Status.WITHIN_TOLERANCE  # exactly 29%
    assert status(12, 10, {}, ">=") is Status.AGREE and status(9, 10, {"abs": 1}, ">=") is Status.WITHIN_TOLERANCE
    c = Interval(1, math.inf)  # a `c` with no upper bound could be 10: it agrees
    assert status_of(c - Interval.exact(10), c, Interval.exact(10), "==", {}) is Status.AGREE


def test_a_revision_is_measured_against_the_old_value() -> None:
    keys = ("time_period", "geographic_level", "la")
    old = pd.DataFrame({"time_period": ["2023"] * 4, "geographic_level": ["Local authority"] * 4,
                        "la": ["a", "b", "c", "d"], "number": ["100", "100", "100", "0"]})  # fmt: skip
    new = old.assign(number=["90", "89", "129", "1"])
    lineup = Lineup(old=old, new=new, keys=keys, indicators=("number",), names=())
    cells, _, _, _ = compare_vintages(lineup, ["2023"], {}, {"abs": 0.0, "rel": 0.1})
    beyond = {cell.key["la"]: cell.beyond_tolerance for cell in cells}
    # 10 of the old 100 is within (10 of the new 90 would not be); 11 is beyond; from 0, only abs applies.
    assert beyond == {"a": False, "b": True, "c": True, "d": True}
    cells, _, _, _ = compare_vintages(lineup, ["2023"], {}, {"abs": 1.0, "rel": 0.29})
    assert {cell.key["la"]: cell.beyond_tolerance for cell in cells} == {"a": False, "b": False, "c": False, "d": False}
