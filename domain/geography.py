"""LA codes (DfE returns carry the 3-digit old_la_code, other sources the ONS new_la_code) and the one geography
hierarchy: England = its regions, London = Inner + Outer London, a region = its LAs."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

ONS_LA_PATTERN = r"E(06|07|08|09|10)\d{6}"  # unitary, district, metropolitan, London borough, county
ENGLAND = "England"
GEOGRAPHY_LEVELS = ("england", "region", "local_authority")  # the levels a comparison is made at
# England's nine regions include London; the LA lookup places each London borough in Inner or Outer London
# (E13000001, E13000002), which DfE also publishes beside London itself: London = Inner + Outer London.
LONDON = "London"
LONDON_PARTS = ("Inner London", "Outer London")
# EES geographic_level values and the level each is compared at; other levels are not compared.
PUBLISHED_LEVELS = {"national": "england", "regional": "region", "local authority": "local_authority"}


def is_ons_la_code(codes: pd.Series) -> pd.Series:
    """Shaped as an ONS LA code and on the shipped LA list (la_codes.csv)."""
    text = codes.astype("string").str.strip()
    shaped = text.str.fullmatch(ONS_LA_PATTERN).fillna(False).astype(bool)
    return shaped & text.isin(known_la_codes("ons")).fillna(False).astype(bool)


@cache
def known_la_codes(kind: Literal["any", "dfe", "ons"] = "any") -> frozenset[str]:
    """THE known LA codes: those on the shipped LA list, "dfe" (3-digit old_la_code), "ons" (new_la_code) or "any"."""
    lookup = la_lookup()
    columns = {"dfe": ["old_la_code"], "ons": ["new_la_code"], "any": ["old_la_code", "new_la_code"]}[kind]
    return frozenset(code for column in columns for code in lookup[column])


def is_known_la(code: str) -> bool:
    """An LA code of either kind (DfE's 3-digit old_la_code or the ONS code) on the shipped LA list."""
    return str(code).strip() in known_la_codes()


def is_known_la_code(codes: pd.Series) -> pd.Series:
    """`is_known_la` of each code (stripped; missing is False). Each distinct code is looked at once: a national
    extract repeats some 150 codes."""
    positions, distinct = pd.factorize(codes, use_na_sentinel=True)
    known = pd.Index(distinct).astype("string").str.strip().isin(known_la_codes())
    return pd.Series(np.append(known, False)[positions], index=codes.index, dtype=bool)  # -1 (missing): the last


@lru_cache(maxsize=1)
def la_lookup() -> pd.DataFrame:
    with resources.files("triangulate").joinpath("data/la_codes.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@cache
def la_field(field: str) -> dict[str, str]:
    """ONS LA code -> one column of the lookup (la_name, region_name, old_la_code)."""
    lookup = la_lookup()
    return dict(zip(lookup["new_la_code"], lookup[field], strict=True))


# THE geography hierarchy (issue 23): derived once, here, from the shipped LA list; the reconciliation's counts,
# the published coherence checks and the suppression's differencing all read it.


@cache
def _parts() -> dict[str, tuple[str, ...]]:
    """England = its nine regions (London one of them); London = Inner + Outer London; a region (Inner and Outer London
    too, where the lookup places each London borough) = its LAs' ONS codes, sorted."""
    lookup = la_lookup()
    las = {str(region): tuple(sorted(codes)) for region, codes in lookup.groupby("region_name")["new_la_code"]}
    regions = tuple(sorted((set(las) - set(LONDON_PARTS)) | {LONDON}))
    return {ENGLAND: regions, LONDON: LONDON_PARTS, **las}


@cache
def _parents() -> dict[str, str]:
    return {part: whole for whole, parts in _parts().items() for part in parts}


def parts_of(place: str) -> tuple[str, ...]:
    """A place's parts one level down: England's nine regions, London's Inner and Outer London, a region's LAs
    (sorted ONS codes); none for an LA or a place the hierarchy does not know."""
    return _parts().get(place, ())


def parent_of(place: str) -> str | None:
    """The place one level up: an LA's region (Inner or Outer London for a London borough), London for Inner or Outer
    London, England for a region; None for England and for a place the hierarchy does not know."""
    return _parents().get(place)


def ancestors_of(place: str) -> tuple[str, ...]:
    """Every place above, nearest first: a London borough's are Inner or Outer London, London and England."""
    above: list[str] = []
    while (up := parent_of(above[-1] if above else place)) is not None:
        above.append(up)
    return tuple(above)


@cache
def las_in(place: str) -> frozenset[str]:
    """Every LA (ONS code) a place holds at any depth: England's are the whole shipped list; an LA holds itself."""
    if place in known_la_codes("ons"):
        return frozenset({place})
    return frozenset(la for part in parts_of(place) for la in las_in(part))


@cache
def region_las() -> dict[str, frozenset[str]]:
    """Each region whose parts are LAs (as `region_of` names it: Inner and Outer London apart), by name -> its LAs."""
    return {region: frozenset(las) for region, las in _parts().items() if region not in (ENGLAND, LONDON)}


# A regional figure's whole by its ONS code's type where it has one: a region (E12) is England's part, Inner or Outer
# London (E13) London's; a code of another type is no part of either.
_WHOLE_OF_CODE_TYPE = {"E12": ENGLAND, "E13": LONDON}


def wholes_of_regions(places: pd.Series, codes: pd.Series) -> pd.Series:
    """The whole each regional place is a part of (England, or London for Inner and Outer London), by its ONS code's
    type (`codes`, "" where none), else by its name; <NA> where it is neither's part."""
    by_name = {part: whole for whole in (ENGLAND, LONDON) for part in parts_of(whole)}
    return codes.str[:3].map(_WHOLE_OF_CODE_TYPE).where(codes != "", places.map(by_name))


ENGLAND_CODE = "E92000001"
LONDON_CODE = "E12000007"


@cache
def place_codes() -> dict[str, str]:
    """Each place a comparison is made for, as people name it (England, a region, Inner/Outer London), -> its ONS code."""
    lookup = la_lookup()
    regions = dict(zip(lookup["region_name"], lookup["region_code"], strict=True))
    return {ENGLAND: ENGLAND_CODE, LONDON: LONDON_CODE, **regions}


def place_code(place: str) -> str:
    """A compared place as its ONS code, the identity a key carries: England E92000001, a region E12…, Inner/Outer
    London E13…, an LA its own code (an old 3-digit code mapped); a place not known is kept as it is."""
    text = str(place).strip()
    if text in place_codes():
        return place_codes()[text]
    return ons_code(text) or text if text.isdigit() else text


def place_of(code: str) -> str:
    """An ONS place code as comparisons name the place: England or a region by name, an LA by its code."""
    names = {v: k for k, v in place_codes().items()}
    return names.get(code, code)


def la_name(place: str) -> str:
    """A place as people name it: an LA by its name ("Bradford"), England or a region as it is."""
    return la_field("la_name").get(place, place)


def la_label(code: str) -> str:
    """An LA's name beside its ONS code, for people; anything else (England, a region) as it is."""
    names = la_field("la_name")
    return f"{names[code]} ({code})" if code in names else code


def to_ons_code(codes: pd.Series) -> pd.Series:
    """Map old 3-digit codes to ONS codes; ONS codes pass through; anything else becomes <NA>."""
    lookup = la_lookup()
    old_to_new = dict(zip(lookup["old_la_code"], lookup["new_la_code"], strict=True))
    text = codes.astype("string").str.strip()
    mapped = text.map(old_to_new)
    is_ons = is_ons_la_code(text)
    return mapped.where(~is_ons, text).astype(object).where(lambda s: s.notna(), None)


def ons_code(code: str) -> str | None:
    """One LA code of either kind as its ONS code (None when not on the shipped list)."""
    return to_ons_code(pd.Series([code], dtype=object)).iloc[0]


# LAs on the shipped list that two others replaced (Cumbria in 2023, Northamptonshire in 2021): a year's returns name
# the old LA or the new ones, never both, so either side covers the place.
REPLACED_LAS = {"E10000006": frozenset({"E06000063", "E06000064"}), "E10000021": frozenset({"E06000061", "E06000062"})}


def covers_every(wanted: set[str] | frozenset[str], covered: set[str] | frozenset[str]) -> bool:
    """Whether LAs `covered` cover every LA of `wanted` (ONS codes), a reorganised LA by its old code or its new ones."""
    missing = set(wanted) - set(covered)
    missing -= {old for old, new in REPLACED_LAS.items() if new <= set(covered)}
    missing -= {code for old, new in REPLACED_LAS.items() if old in covered for code in new}
    return not missing


def level_of(geography: str) -> str:
    """The level (of GEOGRAPHY_LEVELS) a compared geography is at: England, an LA (its ONS code), else a region."""
    if geography == ENGLAND:
        return "england"
    return "local_authority" if re.fullmatch(ONS_LA_PATTERN, geography) else "region"


def region_of(ons_codes: pd.Series) -> pd.Series:
    """Each LA's region (`parent_of`, vectorised: Inner or Outer London for a London borough); <NA> for no LA."""
    return ons_codes.map(la_field("region_name"))


def london_of(regions: pd.Series) -> pd.Series:
    """The whole above a region that is not England (London for Inner or Outer London), else <NA>: a second region
    key, so a record source is counted for London as well as for its two parts."""
    return regions.map(_parents()).where(lambda above: above != ENGLAND)
