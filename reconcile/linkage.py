"""Record linkage between two sources' harmonised death records.

Pass 1 links on the shared pseudonymised child_id where both records carry one. Later passes link
the rest on date of death within ± N days inside blocks: date of birth, sex and LA; then date of
birth and sex; then, only where a record has no date of birth (the CSPRP records age), age at
death, sex and LA. LA must agree where both records know it.

Candidates come from an equi-join on (block, death-date bucket of N+1 days) and its neighbouring
buckets, so every pair within N days is found without a cross join: the cost grows with the
records in a block and window, not with n². Pairs are then accepted closest first, each record
used once, with ties broken by a hash of both record ids: the result does not depend on which
source is called left.
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
    ids = (left["record_id"].to_numpy(dtype=object), right["record_id"].to_numpy(dtype=object))
    by_person = _link_on_demographics(rest_left, rest_right, death_date_days, ids)
    pairs = pd.concat([by_id, by_person], ignore_index=True)
    linked_left = _positions_in(pairs, LEFT, len(left))
    linked_right = _positions_in(pairs, RIGHT, len(right))
    pairs[LEFT] = left.index[pairs[LEFT].to_numpy(dtype="int64")]
    pairs[RIGHT] = right.index[pairs[RIGHT].to_numpy(dtype="int64")]
    return Links(pairs=pairs, only_left=left.index[~linked_left], only_right=right.index[~linked_right])


def _positions_in(pairs: pd.DataFrame, side: str, size: int) -> np.ndarray:
    found = np.zeros(size, dtype=bool)
    found[pairs[side].to_numpy(dtype="int64")] = True
    return found


def _days(values: pd.Series) -> np.ndarray:
    days = values.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
    return np.where(np.isnat(days), MISSING, days.astype("int64") - np.datetime64("1800-01-01", "D").astype("int64"))


def _encode(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every key as a non-negative integer code shared by both sides (MISSING for none), rows by position.

    Linkage then sorts, groups and joins integers only; on strings the same work is several times slower.
    """
    coded: tuple[dict[str, object], dict[str, object]] = ({LEFT: np.arange(len(left))}, {RIGHT: np.arange(len(right))})
    for key in KEYS:
        both = pd.concat([left[key], right[key]], ignore_index=True)
        codes = _days(both) if key == "date_of_birth" else pd.factorize(both, use_na_sentinel=True)[0]
        coded[0][key], coded[1][key] = codes[: len(left)], codes[len(left) :]
    for frame, side in ((left, 0), (right, 1)):
        coded[side]["death"] = _days(frame["date_of_death"])
    return pd.DataFrame(coded[0], copy=False), pd.DataFrame(coded[1], copy=False)


def _link_on_child_id(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    keyed_left = left.loc[left["child_id"] != MISSING, [LEFT, "child_id"]].drop_duplicates("child_id")
    keyed_right = right.loc[right["child_id"] != MISSING, [RIGHT, "child_id"]].drop_duplicates("child_id")
    merged = keyed_left.merge(keyed_right, on="child_id", how="inner")
    return merged.assign(linked_on="child_id")[[LEFT, RIGHT, "linked_on"]]


def _link_on_demographics(left: pd.DataFrame, right: pd.DataFrame, days: int, ids: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """Each pass links only what the passes before it left."""
    found = []
    for block, undated_only in ((BY_BIRTH[0], False), (BY_BIRTH[1], False), (BY_AGE, True)):
        pairs = _closest_pairs(left, right, list(block), days, undated_only, ids)
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


def _candidates(left: pd.DataFrame, right: pd.DataFrame, block: list[str], days: int) -> pd.DataFrame:
    """Every pair in the same block whose deaths are at most `days` apart.

    Each record becomes one int64 position, block * span + death; a left record's candidates are
    the right positions within ± days of its own, found by binary search in the sorted right
    positions (O(n log n)) and expanded without a Python loop.
    """
    sizes = {
        column: int(max(left[column].to_numpy().max(initial=0), right[column].to_numpy().max(initial=0))) + 1 for column in block
    }
    keys, deaths, usable = [], [], []
    for frame in (left, right):
        key = _block_key(frame, block, sizes)
        death = frame["death"].to_numpy()
        keys.append(key)
        deaths.append(death)
        usable.append(np.flatnonzero((key != MISSING) & (death != MISSING)))
    if not len(usable[0]) or not len(usable[1]):
        return pd.DataFrame()
    # Shifting deaths by days + 1 keeps every window inside its own block.
    span = int(max(deaths[0].max(), deaths[1].max())) + 2 * days + 2
    left_at = keys[0][usable[0]] * span + deaths[0][usable[0]] + days + 1
    right_at = keys[1][usable[1]] * span + deaths[1][usable[1]] + days + 1
    # Sorted queries make the binary searches walk memory in order: several times faster.
    left_order = np.argsort(left_at, kind="stable")
    usable[0], left_at = usable[0][left_order], left_at[left_order]
    order = np.argsort(right_at, kind="stable")
    sorted_right = right_at[order]
    first = np.searchsorted(sorted_right, left_at - days, side="left")
    after = np.searchsorted(sorted_right, left_at + days, side="right")
    counts = after - first
    total = int(counts.sum())
    left_pick = np.repeat(np.arange(len(left_at)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    right_pick = order[np.repeat(first, counts) + offsets]
    left_rows, right_rows = usable[0][left_pick], usable[1][right_pick]
    return pd.DataFrame(
        {
            LEFT: left[LEFT].to_numpy()[left_rows],
            RIGHT: right[RIGHT].to_numpy()[right_rows],
            "gap": np.abs(left_at[left_pick] - right_at[right_pick]),
            "la": left["la_code"].to_numpy()[left_rows],
            "la_right": right["la_code"].to_numpy()[right_rows],
            "born": left["date_of_birth"].to_numpy()[left_rows],
            "born_right": right["date_of_birth"].to_numpy()[right_rows],
        },
        copy=False,
    )


def _closest_pairs(
    left: pd.DataFrame, right: pd.DataFrame, block: list[str], days: int, undated_only: bool, ids: tuple[np.ndarray, np.ndarray]
) -> pd.DataFrame:
    empty = pd.DataFrame({LEFT: pd.Series(dtype="int64"), RIGHT: pd.Series(dtype="int64"), "linked_on": pd.Series(dtype=object)})
    candidates = _candidates(left, right, block, days)
    if candidates.empty:
        return empty
    la_known = (candidates["la"] != MISSING) & (candidates["la_right"] != MISSING)
    keep = ~la_known | (candidates["la"] == candidates["la_right"])
    if undated_only:
        # Two known, different birth dates are two children; age links only where a birth date is absent.
        keep &= (candidates["born"] == MISSING) | (candidates["born_right"] == MISSING)
    candidates = candidates.loc[keep]
    if candidates.empty:
        return empty
    candidates = _with_symmetric_ties(candidates[[LEFT, RIGHT, "gap"]], ids).sort_values(["gap", "low", "high"], kind="stable")
    candidates = candidates[[LEFT, RIGHT]]
    accepted = []
    # Closest first, each record once: every round accepts the pairs that are each other's best
    # remaining choice (the closest pair overall always is), then drops what they used.
    while not candidates.empty:
        best_for_left = candidates.drop_duplicates(LEFT)
        best_for_right = candidates.drop_duplicates(RIGHT)
        mutual = best_for_left.merge(best_for_right, on=[LEFT, RIGHT])
        accepted.append(mutual)
        candidates = candidates.loc[~candidates[LEFT].isin(mutual[LEFT]) & ~candidates[RIGHT].isin(mutual[RIGHT])]
    pairs = pd.concat(accepted, ignore_index=True)
    return pd.DataFrame({LEFT: pairs[LEFT].to_numpy("int64"), RIGHT: pairs[RIGHT].to_numpy("int64"), "linked_on": "demographics"})


def _with_symmetric_ties(candidates: pd.DataFrame, ids: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """Order equally close candidates by a hash of both record ids, the same whichever side is left.

    Only a record with more than one candidate can meet a tie, so only those are hashed.
    """
    low = np.zeros(len(candidates), dtype="uint64")
    high = np.zeros(len(candidates), dtype="uint64")
    contested = (candidates[LEFT].duplicated(keep=False) | candidates[RIGHT].duplicated(keep=False)).to_numpy()
    if contested.any():
        left_hash = pd.util.hash_array(ids[0][candidates[LEFT].to_numpy("int64")[contested]].astype(str).astype(object))
        right_hash = pd.util.hash_array(ids[1][candidates[RIGHT].to_numpy("int64")[contested]].astype(str).astype(object))
        low[contested] = np.minimum(left_hash, right_hash)
        high[contested] = np.maximum(left_hash, right_hash)
    return candidates.assign(low=low, high=high)
