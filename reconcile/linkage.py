"""Record linkage between two sources' harmonised death records.

Pass 1 links on the shared pseudonymised child_id where both records carry one. Later passes link
the rest on the nearest date of death within ± N days inside blocks: date of birth, sex and LA;
then date of birth and sex; then, only for a record with no date of birth (the CSPRP records age),
age at death, sex and LA. Each is a sorted as-of merge: O(n log n), never a cross join. LA must
agree where both records know it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEFT, RIGHT = "left_row", "right_row"


@dataclass(frozen=True)
class Links:
    pairs: pd.DataFrame  # left_row, right_row, linked_on
    only_left: pd.Index
    only_right: pd.Index


KEYS = ["child_id", "date_of_birth", "sex", "la_code", "age_at_death"]
BY_BIRTH = ("date_of_birth", "sex", "la_code"), ("date_of_birth", "sex")
BY_AGE = ("age_at_death", "sex", "la_code")
MISSING = -1


def link(left: pd.DataFrame, right: pd.DataFrame, *, death_date_days: int = 7) -> Links:
    coded_left, coded_right = _encode(left, right)
    by_id = _link_on_child_id(coded_left, coded_right)
    rest_left = coded_left.loc[~coded_left[LEFT].isin(by_id[LEFT])]
    rest_right = coded_right.loc[~coded_right[RIGHT].isin(by_id[RIGHT])]
    by_person = _link_on_demographics(rest_left, rest_right, death_date_days)
    pairs = pd.concat([by_id, by_person], ignore_index=True)
    pairs[LEFT] = left.index[pairs[LEFT].to_numpy()]
    pairs[RIGHT] = right.index[pairs[RIGHT].to_numpy()]
    return Links(
        pairs=pairs,
        only_left=left.index[~np.isin(np.arange(len(left)), by_id[LEFT].to_numpy()) & ~_positions_in(by_person, LEFT, len(left))],
        only_right=right.index[
            ~np.isin(np.arange(len(right)), by_id[RIGHT].to_numpy()) & ~_positions_in(by_person, RIGHT, len(right))
        ],
    )


def _positions_in(pairs: pd.DataFrame, side: str, size: int) -> np.ndarray:
    found = np.zeros(size, dtype=bool)
    found[pairs[side].to_numpy(dtype="int64")] = True
    return found


def _encode(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every key as an integer code shared by both sides (MISSING for none), rows by position.

    Linkage then sorts, groups and merges integers only; on strings the same work is several times slower.
    """
    coded: tuple[dict[str, object], dict[str, object]] = ({LEFT: np.arange(len(left))}, {RIGHT: np.arange(len(right))})
    for key in KEYS:
        both = pd.concat([left[key], right[key]], ignore_index=True)
        if key == "date_of_birth":
            days = both.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
            known = ~np.isnat(days)
            number = days.astype("int64")
            codes = np.where(known, number - (number[known].min(initial=0) if known.any() else 0), MISSING)
        else:
            codes, _ = pd.factorize(both, use_na_sentinel=True)
        coded[0][key], coded[1][key] = codes[: len(left)], codes[len(left) :]
    coded[0]["date_of_death"] = left["date_of_death"].to_numpy()
    coded[1]["date_of_death"] = right["date_of_death"].to_numpy()
    return pd.DataFrame(coded[0], copy=False), pd.DataFrame(coded[1], copy=False)


def _link_on_child_id(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    keyed_left = left.loc[left["child_id"] != MISSING, [LEFT, "child_id"]].drop_duplicates("child_id")
    keyed_right = right.loc[right["child_id"] != MISSING, [RIGHT, "child_id"]].drop_duplicates("child_id")
    merged = keyed_left.merge(keyed_right, on="child_id", how="inner")
    return merged.assign(linked_on="child_id")[[LEFT, RIGHT, "linked_on"]]


def _link_on_demographics(left: pd.DataFrame, right: pd.DataFrame, days: int) -> pd.DataFrame:
    """Nearest death date within ± days inside ever-looser blocks; each pass links only what is left."""
    found = []
    for block in BY_BIRTH:
        pairs = _nearest_death(left, right, list(block), days)
        found.append(pairs)
        left = left.loc[~left[LEFT].isin(pairs[LEFT])]
        right = right.loc[~right[RIGHT].isin(pairs[RIGHT])]
    # Two known, different birth dates are two children; age links only where a birth date is absent.
    for undated_left in (True, False):
        chosen_left = left.loc[left["date_of_birth"] == MISSING] if undated_left else left
        chosen_right = right if undated_left else right.loc[right["date_of_birth"] == MISSING]
        pairs = _nearest_death(chosen_left, chosen_right, list(BY_AGE), days)
        found.append(pairs)
        left = left.loc[~left[LEFT].isin(pairs[LEFT])]
        right = right.loc[~right[RIGHT].isin(pairs[RIGHT])]
    return pd.concat(found, ignore_index=True)


def _block_key(frame: pd.DataFrame, block: list[str], sizes: dict[str, int]) -> np.ndarray:
    """The block's codes folded into one int64, MISSING where any part is missing."""
    key = np.zeros(len(frame), dtype="int64")
    missing = np.zeros(len(frame), dtype=bool)
    for column in block:
        codes = frame[column].to_numpy(dtype="int64")
        missing |= codes == MISSING
        key = key * (sizes[column] + 1) + codes
    return np.where(missing, MISSING, key)


def _nearest_death(left: pd.DataFrame, right: pd.DataFrame, block: list[str], days: int) -> pd.DataFrame:
    empty = pd.DataFrame({LEFT: pd.Series(dtype="int64"), RIGHT: pd.Series(dtype="int64"), "linked_on": []})
    sizes = {
        column: int(max(left[column].to_numpy().max(initial=0), right[column].to_numpy().max(initial=0))) + 1 for column in block
    }
    sides = []
    for frame, row in ((left, LEFT), (right, RIGHT)):
        key = _block_key(frame, block, sizes)
        death = frame["date_of_death"].to_numpy()
        usable = np.flatnonzero((key != MISSING) & ~np.isnat(death))
        order = usable[np.argsort(death[usable], kind="stable")]  # merge_asof needs rows sorted by death
        columns = {
            row: frame[row].to_numpy()[order],
            "block": key[order],
            "death": death[order],
            "la": frame["la_code"].to_numpy()[order],
        }
        sides.append(pd.DataFrame(columns, copy=False))
    if sides[0].empty or sides[1].empty:
        return empty
    right_side = sides[1].rename(columns={"la": "right_la"}).assign(right_death=sides[1]["death"])
    candidates = pd.merge_asof(
        sides[0], right_side, on="death", by="block", tolerance=pd.Timedelta(days=days), direction="nearest"
    ).dropna(subset=[RIGHT])
    if candidates.empty:
        return empty
    la_known = (candidates["la"] != MISSING) & (candidates["right_la"] != MISSING)
    candidates = candidates.loc[~la_known | (candidates["la"] == candidates["right_la"])]
    candidates = candidates.assign(gap=(candidates["death"] - candidates["right_death"]).abs())
    # Two left records may pick the same right record: the closer one keeps it.
    candidates = candidates.sort_values(["gap", LEFT], kind="stable").drop_duplicates(RIGHT, keep="first")
    return pd.DataFrame(
        {LEFT: candidates[LEFT].to_numpy(), RIGHT: candidates[RIGHT].to_numpy("int64"), "linked_on": "demographics"}
    )
