"""One LA's release (`triangulate synth --la CODE`): what an LA's data steward holds.

The world is made as for England, with each death placed in an LA by its share of England's children (the
ONS mid-year estimates the package ships), so an LA has as many deaths as its size gives: a few of children
in need a year, and most years none or one looked-after death. Then only the LA's own records are kept:
its CIN census, its SSDA903 return, its CSPRP notifications, and the NCMD's deaths for the area, which like
a real area extract also holds a couple of deaths a year in neighbouring LAs (the same region).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..domain.definitions import KNOWN_TO_SOCIAL_CARE_AT_DEATH
from ..domain.geography import la_field, la_lookup, ons_code
from ..domain.periods import financial_year
from ..errors import UsageError
from ..schemas import ssda903
from .defects import is_defect_record
from .manifest import Manifest
from .records import Tables, cin_file_name, iso, la_child_id
from .world import Death

POPULATION_FILE = "data/ons_population_0_17_2012_2024.csv"
# Children in need at some time in a year, per child aged 0 to 17: about 700,000 of England's 12.2 million.
CHILDREN_IN_NEED_PER_CHILD = 700_000 / 12_200_000
NEIGHBOUR_DEATHS_PER_YEAR = 2  # other LAs' deaths an area extract holds: one known to social care, one not


@dataclass(frozen=True)
class Area:
    """The LA a release is for, by both its codes."""

    old: str  # DfE old_la_code, as the CIN census header's LEA and the SSDA903 LA column write it
    ons: str  # ONS code, as NCMD and CSPRP write it
    name: str
    region: str

    @property
    def codes(self) -> tuple[str, str]:
        return self.old, self.ons

    def holds(self, death: Death) -> bool:
        return death.la_code == self.ons

    def to_dict(self) -> dict[str, str]:
        return {"old_la_code": self.old, "new_la_code": self.ons, "la_name": self.name, "region_name": self.region}


def area_of(code: str) -> Area:
    """The LA of a 3-digit DfE code or an ONS code on the shipped list; anything else is bad usage (exit 2)."""
    ons = ons_code(str(code).strip())
    if ons is None:
        raise UsageError(f"--la {code!r} is not an LA code on the shipped list (a 3-digit DfE old_la_code or an ONS code)")
    return Area(la_field("old_la_code")[ons], ons, la_field("la_name")[ons], la_field("region_name")[ons])


@cache
def _children_by_la() -> dict[str, int]:
    """Each LA's latest ONS estimate of children aged 0 to 17 (an LA the file lacks gets none here)."""
    latest: dict[str, tuple[int, int]] = {}
    with resources.files("triangulate").joinpath(POPULATION_FILE).open("r", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["geographic_level"] == "Local authority" and row["new_la_code"] and row["population_estimate"].isdigit():
                year, count = int(row["time_period"]), int(row["population_estimate"])
                if row["new_la_code"] not in latest or year > latest[row["new_la_code"]][0]:
                    latest[row["new_la_code"]] = (year, count)
    return {code: count for code, (_, count) in latest.items()}


def children_in_need(code: str) -> int:
    """The living children in need a year an LA's release has by default: its children times England's share in need."""
    area = area_of(code)
    children = _children_by_la()
    return max(100, round(children.get(area.ons, sum(children.values()) / len(children)) * CHILDREN_IN_NEED_PER_CHILD))


def death_weights(las: Sequence[tuple[str, str]]) -> list[float]:
    """Each LA's share of deaths: its children (the average LA's where the estimates have none)."""
    children = _children_by_la()
    average = sum(children.values()) / len(children)
    return [float(children.get(ons, average)) for _, ons in las]


def ensure_looked_after_deaths(deaths: list[Death], area: Area, year_start: dt.date, wanted: int = 2) -> None:
    """Give the area at least `wanted` looked-after deaths in a year, moving other LAs' there (defects need them).

    One must be of a child over a month old at the year start, whose death a discrepancy can date a day earlier.
    """

    def can_shift(death: Death) -> bool:
        return death.date_of_birth < year_start - dt.timedelta(days=30)

    mine = [d for d in deaths if d.status == "LAC" and area.holds(d)]
    others = [d for d in deaths if d.status == "LAC" and not area.holds(d)]
    others.sort(key=lambda d: not can_shift(d))  # those that can be shifted first
    while others and (len(mine) < wanted or not any(can_shift(d) for d in mine)):
        moved = others.pop(0)
        moved.la_code, moved.old_la_code = area.ons, area.old
        mine.append(moved)


def neighbour_deaths(rng: random.Random, deaths: Sequence[Death], area: Area) -> list[Death]:
    """A couple of deaths in the area's region but another LA: one known to social care at death, one not."""
    region = la_field("region_name")
    nearby = [d for d in deaths if not area.holds(d) and region.get(d.la_code) == area.region]
    known = [d for d in nearby if d.status in KNOWN_TO_SOCIAL_CARE_AT_DEATH]
    unknown = [d for d in nearby if d.status not in KNOWN_TO_SOCIAL_CARE_AT_DEATH]
    chosen = [rng.choice(group) for group in (known, unknown) if group]
    return chosen[:NEIGHBOUR_DEATHS_PER_YEAR]


def ncmd_case_id(death: Death) -> str:
    return f"N{death.child_id[1:]}"


def keep_area(tables: Tables, manifest: Manifest, area: Area, neighbours: Iterable[Death]) -> None:
    """Drop every record that is not the area's (the neighbours' NCMD rows and the defect records excepted)."""
    kept_neighbours = {ncmd_case_id(d) for d in neighbours}
    tables.cin = defaultdict(list, {key: children for key, children in tables.cin.items() if key[1] == area.old})
    tables.header = [row for row in tables.header if row[ssda903.LA_COLUMN] == area.old]
    children = {row["CHILD"] for row in tables.header}
    tables.episodes = [row for row in tables.episodes if row["CHILD"] in children]
    tables.ncmd = [
        row
        for row in tables.ncmd
        if row["la_code"] == area.ons or row["ncmd_case_id"] in kept_neighbours or is_defect_record(row["ncmd_case_id"])
    ]
    tables.csprp = [row for row in tables.csprp if row["la_code"] == area.ons or is_defect_record(row["sin_id"])]
    kept = {
        "cin": {child.la_child_id for bucket in tables.cin.values() for child in bucket if child.la_child_id},
        "ssda903": children,
        "ncmd": {row["ncmd_case_id"] for row in tables.ncmd},
        "csprp": {row["sin_id"] for row in tables.csprp},
    }
    files = {cin_file_name(year, lea) for year, lea in tables.cin}
    manifest.entries = [
        entry
        for entry in manifest.entries
        if entry["record_id"] in kept[entry["source"]]
        or (entry["record_id"].startswith("@") and entry["record_id"][1:].rsplit(":", 1)[0] in files)
    ]


def truth(deaths: Iterable[Death], area: Area, ncmd_removed: set[str]) -> list[dict[str, Any]]:
    """Every death of the area as each source holds it: the ids to remove a death by, and where it is counted.

    `ncmd_removed`: the DfE child ids of the deaths a discrepancy took out of the NCMD extract.
    """
    out = []
    for death in deaths:
        if not area.holds(death):
            continue
        known = death.status in KNOWN_TO_SOCIAL_CARE_AT_DEATH
        case = ncmd_case_id(death)
        out.append(
            {
                "financial_year": financial_year_label(death.date_of_death),
                "date_of_death": iso(death.date_of_death),
                "status": death.status,
                "ncmd_case_id": None if la_child_id(death) in ncmd_removed else case,
                "dfe_child_id": la_child_id(death) if known else None,  # LAchildID in the census, CHILD in SSDA903
                "in_cin_census": known,
                "in_ssda903": death.status == "LAC",
                "cpp_at_death": death.status == "CPP",
                "sin_id": death.sin_id or None,
            }
        )
    return out


def financial_year_label(day: dt.date) -> str:
    return financial_year(day.year + (1 if day.month >= 4 else 0)).label


def area_counts(deaths: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per financial year: the area's deaths, those in the census, looked after, on a plan (the truth, in counts)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"deaths": 0, "children_in_need": 0, "looked_after": 0, "cpp": 0})
    for death in deaths:
        year = counts[death["financial_year"]]
        year["deaths"] += 1
        year["children_in_need"] += death["in_cin_census"]
        year["looked_after"] += death["in_ssda903"]
        year["cpp"] += death["cpp_at_death"]
    return dict(sorted(counts.items()))


def all_las() -> list[tuple[str, str]]:
    lookup = la_lookup()
    return list(zip(lookup["old_la_code"], lookup["new_la_code"], strict=True))
