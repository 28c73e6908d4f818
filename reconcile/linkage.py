"""Record linkage between two sources' harmonised death records.

Pass 1 links on the shared pseudonymised child_id where both records carry one. Pass 2 links the
rest on date of birth and sex (the blocking key) and the nearest date of death within ± N days,
with a sorted as-of merge: O(n log n), never a cross join. LA must agree where both know it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

LEFT, RIGHT = "left_row", "right_row"


@dataclass(frozen=True)
class Links:
    pairs: pd.DataFrame  # left_row, right_row, linked_on
    only_left: pd.Index
    only_right: pd.Index


def link(left: pd.DataFrame, right: pd.DataFrame, *, death_date_days: int = 7) -> Links:
    left = left.assign(**{LEFT: left.index})
    right = right.assign(**{RIGHT: right.index})
    by_id = _link_on_child_id(left, right)
    rest_left = left.loc[~left[LEFT].isin(by_id[LEFT])]
    rest_right = right.loc[~right[RIGHT].isin(by_id[RIGHT])]
    by_person = _link_on_demographics(rest_left, rest_right, death_date_days)
    pairs = pd.concat([by_id, by_person], ignore_index=True)
    return Links(
        pairs=pairs,
        only_left=left.index[~left[LEFT].isin(pairs[LEFT])],
        only_right=right.index[~right[RIGHT].isin(pairs[RIGHT])],
    )


def _link_on_child_id(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    keyed_left = left.loc[left["child_id"].notna(), [LEFT, "child_id"]].drop_duplicates("child_id")
    keyed_right = right.loc[right["child_id"].notna(), [RIGHT, "child_id"]].drop_duplicates("child_id")
    merged = keyed_left.merge(keyed_right, on="child_id", how="inner")
    return merged.assign(linked_on="child_id")[[LEFT, RIGHT, "linked_on"]]


def _link_on_demographics(left: pd.DataFrame, right: pd.DataFrame, days: int) -> pd.DataFrame:
    """Nearest death date within ± days inside ever-looser blocks; each pass links only what is left."""
    passes = (
        ["date_of_birth", "sex", "la_code"],
        ["date_of_birth", "sex"],
        ["age_at_death", "sex", "la_code"],  # a source that records age but not birth date (CSPRP)
    )
    found = []
    for block in passes:
        pairs = _nearest_death(left, right, block, days)
        found.append(pairs)
        left = left.loc[~left[LEFT].isin(pairs[LEFT])]
        right = right.loc[~right[RIGHT].isin(pairs[RIGHT])]
    return pd.concat(found, ignore_index=True)


def _nearest_death(left: pd.DataFrame, right: pd.DataFrame, block: list[str], days: int) -> pd.DataFrame:
    usable_left = left.dropna(subset=[*block, "date_of_death"])[[LEFT, "date_of_death", "la_code", *block]]
    usable_right = right.dropna(subset=[*block, "date_of_death"])[[RIGHT, "date_of_death", "la_code", *block]]
    empty = pd.DataFrame({LEFT: pd.Series(dtype=left.index.dtype), RIGHT: pd.Series(dtype=right.index.dtype), "linked_on": []})
    if usable_left.empty or usable_right.empty:
        return empty
    usable_left = usable_left.loc[:, ~usable_left.columns.duplicated()]
    usable_right = usable_right.loc[:, ~usable_right.columns.duplicated()]
    usable_right = usable_right.rename(columns={"la_code": "right_la"}).assign(right_death=usable_right["date_of_death"])
    if "la_code" in block:
        usable_right["la_code"] = usable_right["right_la"]
    for frame in (usable_left, usable_right):
        if "age_at_death" in block:
            frame["age_at_death"] = frame["age_at_death"].astype("int64")
    candidates = pd.merge_asof(
        usable_left.sort_values("date_of_death"),
        usable_right.sort_values("date_of_death"),
        on="date_of_death",
        by=block,
        tolerance=pd.Timedelta(days=days),
        direction="nearest",
    ).dropna(subset=[RIGHT])
    if candidates.empty:
        return empty
    la_known = candidates["la_code"].notna() & candidates["right_la"].notna()
    candidates = candidates.loc[~la_known | (candidates["la_code"] == candidates["right_la"])]
    candidates = candidates.assign(gap=(candidates["date_of_death"] - candidates["right_death"]).abs())
    # Two left records may pick the same right record: the closer one keeps it.
    candidates = candidates.sort_values(["gap", LEFT], kind="stable").drop_duplicates(RIGHT, keep="first")
    candidates[RIGHT] = candidates[RIGHT].astype(right.index.dtype)
    return candidates.assign(linked_on="demographics")[[LEFT, RIGHT, "linked_on"]]
