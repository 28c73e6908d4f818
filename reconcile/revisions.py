"""What a new vintage revised: every indicator cell of every key both vintages hold, for the periods both cover, each
changed cell with its kind (model/revisions.py REVISION_KINDS), so that the gate rests on substantive revisions only.

Vectorised: one merge on the keys, one strict read of each indicator column per vintage, and each kind decided on
whole columns; objects are built for the changed cells only. An LA under a new code (a reorganisation) is matched
through its DfE code or its name (`_boundary_pairs`) and compared as one row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..domain.cells import Cells, cell_bounds, column_kind, read_cells, readings
from ..domain.columns import CONFIG_NAMES, COUNT, DENOMINATOR, RATE
from ..domain.geography import la_field
from ..domain.intervals import ROUNDS_TO_ZERO, SUPPRESSED
from ..domain.tolerance import Tolerance
from ..model.revisions import BoundaryChange, CellRevision, RevisionStats
from .vintages import Lineup

_OLD, _NEW = "_old", "_new"
_LA_CODES = ("new_la_code", "old_la_code")  # the geography codes a reorganisation changes
_BOUNDARY = "_boundary"


@dataclass(frozen=True)
class Compared:
    cells: list[CellRevision]
    added: list[dict[str, str]]
    removed: list[dict[str, str]]
    stats: list[RevisionStats]
    boundary: list[BoundaryChange]
    column_kinds: dict[str, str]
    notes: list[str]


def _keyed(frame: pd.DataFrame, keys: Sequence[str], periods: Sequence[str]) -> pd.DataFrame:
    keyed = frame.loc[frame["time_period"].astype("string").str.strip().isin(periods)].copy()
    for key in keys:  # object, not pyarrow strings: pandas 3 cannot merge on an empty pyarrow column
        keyed[key] = keyed[key].astype("string").str.strip().fillna("").astype(object)
    return keyed.drop_duplicates(subset=list(keys), keep="first")


def tolerances(configured: Mapping[str, Any], kinds: Mapping[str, str]) -> dict[str, Tolerance]:
    """Each indicator's tolerance: the flat `{abs, rel}` for all (a config's, or --tolerance-abs/--tolerance-rel's, which
    then override any per-indicator entries), else its own entry, else its kind's (`counts`...), else exact."""
    if "abs" in configured or "rel" in configured:
        flat = Tolerance.of({k: configured[k] for k in ("abs", "rel") if k in configured})
        return dict.fromkeys(kinds, flat)
    by_kind = {kind: Tolerance.of(configured[name]) for name, kind in CONFIG_NAMES.items() if name in configured}
    return {i: Tolerance.of(configured[i]) if i in configured else by_kind.get(kind, Tolerance()) for i, kind in kinds.items()}


def compare_vintages(lineup: Lineup, periods: Sequence[str], rounding: Mapping[str, int], tolerance: Mapping[str, Any]
                     ) -> tuple[list[CellRevision], list[dict[str, str]], list[dict[str, str]], list[RevisionStats]]:  # fmt: skip
    """`revise`'s cells, rows added and removed (boundary pairs in neither), and statistics."""
    found = revise(lineup, periods, rounding, tolerance)
    return found.cells, found.added, found.removed, found.stats


def revise(lineup: Lineup, periods: Sequence[str], rounding: Mapping[str, int], tolerance: Mapping[str, Any]) -> Compared:
    keys = list(lineup.keys)
    if not periods:  # nothing in common: nothing compared (the pipeline says so in a note)
        kinds = {i: column_kind(i, pd.concat([lineup.old[i], lineup.new[i]], ignore_index=True)) for i in lineup.indicators}
        return Compared([], [], [], [], [], kinds, [])
    extra = ["la_name"] if "la_name" in lineup.names and "la_name" not in keys else []
    old = _keyed(lineup.old, keys, periods)
    new = _keyed(lineup.new, keys, periods)
    merged = old[[*keys, *lineup.indicators, *extra]].merge(
        new[[*keys, *lineup.indicators, *extra]], on=keys, how="outer", suffixes=(_OLD, _NEW), indicator=True
    )
    removed_rows = merged.index[merged["_merge"] == "left_only"]
    added_rows = merged.index[merged["_merge"] == "right_only"]
    pairs, notes = _boundary_pairs(merged, removed_rows, added_rows, keys, old, new)
    paired_old, paired_new = {r for r, _ in pairs}, {a for _, a in pairs}
    removed = merged.loc[[r for r in removed_rows if r not in paired_old], keys].to_dict("records")
    added = merged.loc[[a for a in added_rows if a not in paired_new], keys].to_dict("records")
    old_columns = [i + _OLD for i in lineup.indicators]
    new_columns = [i + _NEW for i in lineup.indicators]
    matched = merged.loc[merged["_merge"] == "both", [*keys, *old_columns, *new_columns]].assign(**{_BOUNDARY: False})
    across = merged.loc[[a for _, a in pairs], [*keys, *new_columns]].reset_index(drop=True)
    across[old_columns] = merged.loc[[r for r, _ in pairs], old_columns].reset_index(drop=True)
    both = pd.concat([matched, across.assign(**{_BOUNDARY: True})], ignore_index=True) if pairs else matched.reset_index(drop=True)
    boundary = [_boundary_change(merged, r, a, keys) for r, a in pairs]

    levels = both["geographic_level"].astype("string").str.strip().str.lower() if "geographic_level" in both else pd.Series("", index=both.index)
    bases = levels.map(lambda level: rounding.get(level, 1)).fillna(1).astype("int64")
    kinds = {i: column_kind(i, pd.concat([lineup.old[i], lineup.new[i]], ignore_index=True)) for i in lineup.indicators}
    read = {i: (read_cells(both[i + _OLD], whole=False), read_cells(both[i + _NEW], whole=False)) for i in lineup.indicators}
    moved = {i: (readings(o) != readings(n)).to_numpy(dtype=bool) for i, (o, n) in read.items()}
    # A count moved only within its rounding may not have moved at all: a rate of it then moved by its denominator.
    moved_beyond = {i: m & ~_within_rounding(*read[i], bases, kinds[i]) if kinds[i] == COUNT else m for i, m in moved.items()}
    allowed = tolerances(tolerance, kinds)
    cells: list[CellRevision] = []
    stats: list[RevisionStats] = []
    for indicator in lineup.indicators:
        context = _RateContext.of(indicator, kinds, read, moved_beyond, both) if kinds[indicator] == RATE else None
        found, indicator_stats = _indicator(both, keys, indicator, kinds[indicator], read[indicator], bases, levels,
                                            allowed[indicator], context)  # fmt: skip
        cells += found
        stats += indicator_stats
    return Compared(cells, added, removed, stats, boundary, kinds, notes)


# --- the kind of each changed cell ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RateContext:
    """What a rate's row says of its count and denominator: whether they moved, and the split of the rate's change."""

    count_moved: np.ndarray  # bool per row: its count (or, not knowing which, any count) moved beyond its rounding
    denominator_moved: np.ndarray  # bool per row: a denominator moved (False where the file has none)
    count: tuple[Cells, Cells] | None  # the rate's own count, old and new, where one can be told
    denominator: tuple[Cells, Cells] | None  # the denominator, where the file has exactly one
    per: float | None  # rate = count / denominator * per, from the name (`rate_per_10000`), else inferred per row

    @classmethod
    def of(cls, rate: str, kinds: Mapping[str, str], read: Mapping[str, tuple[Cells, Cells]],
           moved: Mapping[str, np.ndarray], both: pd.DataFrame) -> _RateContext:  # fmt: skip
        counts = [i for i, k in kinds.items() if k == COUNT]
        denominators = [i for i, k in kinds.items() if k == DENOMINATOR]
        own = _own_count(rate, counts)
        none = np.zeros(len(both), dtype=bool)
        count_moved = moved[own] if own else np.logical_or.reduce([moved[c] for c in counts]) if counts else none
        denominator_moved = np.logical_or.reduce([moved[d] for d in denominators]) if denominators else none
        return cls(count_moved, denominator_moved, read[own] if own else None,
                   read[denominators[0]] if len(denominators) == 1 else None, _per_by_name(rate))  # fmt: skip


_RATE_WORDS = re.compile(r"(?:^|_)(?:rate|rates|percent|percentage|pct|proportion|ratio|per_?\d+k?)(?=_|$)", re.I)


def _own_count(rate: str, counts: Sequence[str]) -> str | None:
    """The count a rate is of: the one whose name is the rate's without its rate words (`Anypoint_episodes_rate` ->
    `Anypoint_episodes`, case aside), else the file's only count; None when it cannot be told."""
    stem = _RATE_WORDS.sub("", rate).strip("_").lower()
    named = [c for c in counts if c.lower() == stem]
    return named[0] if len(named) == 1 else counts[0] if len(counts) == 1 else None


def _per_by_name(rate: str) -> float | None:
    found = re.search(r"per_?(\d+)(k?)(?:_|$)", rate, re.I)
    return None if found is None else float(found.group(1)) * (1000 if found.group(2) else 1)


def _effects(change: np.ndarray, rate_old: np.ndarray, context: _RateContext) -> tuple[np.ndarray, np.ndarray] | None:
    """A rate's change as numerator effect (new_count - old_count) / old_denominator x per, and denominator effect, the
    rest (so the two sum to the change); NaN where not computable. None where the file has no count or denominator."""
    if context.count is None or context.denominator is None:
        return None
    count_old, count_new = (c.number.to_numpy(dtype="float64") for c in context.count)
    denominator_old = context.denominator[0].number.to_numpy(dtype="float64")
    per = np.full(len(change), np.nan if context.per is None else context.per)
    if context.per is None:  # inferred from the old figures, to the nearest power of ten (a rate per 10,000)
        with np.errstate(divide="ignore", invalid="ignore"):
            guess = rate_old * denominator_old / count_old
            sound = (guess > 0) & np.isfinite(guess)
            per = np.where(sound, 10.0 ** np.round(np.log10(np.where(sound, guess, 1.0))), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        numerator = np.where(~context.count_moved, 0.0, (count_new - count_old) / denominator_old * per)
    numerator = np.where(np.isfinite(numerator) & ~np.isnan(change), numerator, np.nan)
    return numerator, change - numerator


def _indicator(both: pd.DataFrame, keys: list[str], indicator: str, kind_of_column: str, cells: tuple[Cells, Cells],
               bases: pd.Series, levels: pd.Series, tolerance: Tolerance, context: _RateContext | None,
               ) -> tuple[list[CellRevision], list[RevisionStats]]:  # fmt: skip
    old_cells, new_cells = cells
    old_text, new_text = old_cells.text.fillna(""), new_cells.text.fillna("")
    old_number, new_number = old_cells.number.to_numpy(), new_cells.number.to_numpy()
    old_numeric, new_numeric = ~np.isnan(old_number), ~np.isnan(new_number)
    old_symbol = old_cells.symbol.notna().to_numpy() | old_cells.blank.to_numpy()
    new_symbol = new_cells.symbol.notna().to_numpy() | new_cells.blank.to_numpy()
    revised = old_numeric & new_numeric & (old_number != new_number)
    transition = np.select(
        [revised, old_numeric & new_symbol, old_symbol & new_numeric,
         old_symbol & new_symbol & (old_text.str.lower() != new_text.str.lower()).to_numpy()],
        ["revised", "suppressed", "unsuppressed", "symbol_changed"], default="",
    )  # fmt: skip
    change = new_number - old_number
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(old_number != 0, change / old_number, np.nan)
    # The one tolerance formula: a revision's relative tolerance is measured against the old value (0: abs only).
    beyond = (transition != "") & ((transition != "revised") | tolerance.exceeded(change, old_number))
    old_low, old_high = _bounds(old_cells, bases, kind_of_column)
    new_low, new_high = _bounds(new_cells, bases, kind_of_column)
    overlap = _overlap(old_low, old_high, new_low, new_high)
    # 0 <-> c (or low) in a count: a figure that was none is now some, or the reverse (c and low are at least 1),
    # never mere suppression.
    some = list(_SOME)
    none_some = ((old_number == 0) & new_cells.symbol.isin(some).to_numpy()) | (
        old_cells.symbol.isin(some).to_numpy() & (new_number == 0)
    )
    count = kind_of_column == COUNT
    # Under a new code, a count that went from none to some or moved beyond its rounding keeps its own kind.
    boundary = both[_BOUNDARY].to_numpy(dtype=bool) & ~(count & (none_some | (revised & ~overlap)))
    effects = None
    denominator_only = np.zeros(len(both), dtype=bool)
    if context is not None:
        effects = _effects(change, old_number, context)
        denominator_only = revised & ~context.count_moved & context.denominator_moved
    kind = np.select(
        [transition == "", boundary, revised & overlap, (transition != "revised") & ~(none_some & count), denominator_only],
        ["", "boundary", "within_rounding", "suppression", "denominator_only"], default="substantive",
    )  # fmt: skip
    changed = np.flatnonzero(transition != "")
    key_records = dict(zip(changed, both.loc[changed, keys].to_dict("records"), strict=True))

    def split(i: int) -> dict[str, float | None] | None:
        if effects is None or not revised[i]:
            return None
        numerator, denominator = effects[0][i], effects[1][i]
        return {"numerator": None if np.isnan(numerator) else float(numerator),
                "denominator": None if np.isnan(denominator) else float(denominator)}  # fmt: skip

    found = [
        CellRevision(
            key=key_records[i], indicator=indicator, old=str(old_text.iloc[i]), new=str(new_text.iloc[i]),
            old_interval=None if np.isnan(old_low[i]) else (float(old_low[i]), float(old_high[i])),
            new_interval=None if np.isnan(new_low[i]) else (float(new_low[i]), float(new_high[i])),
            change=None if np.isnan(change[i]) else float(change[i]),
            rel_change=None if np.isnan(relative[i]) else float(relative[i]),
            kind=str(kind[i]), beyond_tolerance=bool(beyond[i]), transition=str(transition[i]),
            column_kind=kind_of_column, effects=split(i),
        )
        for i in changed
    ]  # fmt: skip
    return found, _stats(indicator, old_numeric & new_numeric, change, levels)


_SOME = frozenset({SUPPRESSED, *ROUNDS_TO_ZERO})  # symbols that say a count is at least 1


def _bounds(cells: Cells, bases: pd.Series, kind_of_column: str) -> tuple[np.ndarray, np.ndarray]:
    """A cell's interval: a rounded count's at its base; a rate or a denominator (an ONS estimate) exactly as written."""
    return cell_bounds(cells, bases, rate=True if kind_of_column in (RATE, DENOMINATOR) else None)


def _overlap(old_low: np.ndarray, old_high: np.ndarray, new_low: np.ndarray, new_high: np.ndarray) -> np.ndarray:
    """A rounded count stands for every figure that rounds to it, ties either way (83,840 at base 10 is 83,835 to
    83,845): two such intervals that touch overlap, so 83,840 -> 83,850 may be a revision of 1, within rounding."""
    old_half = np.where(old_high > old_low, 0.5, 0.0)
    new_half = np.where(new_high > new_low, 0.5, 0.0)
    with np.errstate(invalid="ignore"):
        return np.maximum(old_low - old_half, new_low - new_half) <= np.minimum(old_high + old_half, new_high + new_half)


def _within_rounding(old: Cells, new: Cells, bases: pd.Series, kind_of_column: str) -> np.ndarray:
    """Both cells numbers whose intervals overlap: the figure may not have moved."""
    numbers = (old.number.notna() & new.number.notna()).to_numpy(dtype=bool)
    return numbers & _overlap(*_bounds(old, bases, kind_of_column), *_bounds(new, bases, kind_of_column))


def _stats(indicator: str, compared: np.ndarray, change: np.ndarray, levels: pd.Series) -> list[RevisionStats]:
    stats = []
    for level in sorted(set(levels.dropna())):
        here = compared & (levels == level).to_numpy()
        changes = change[here]
        stats.append(RevisionStats(
            indicator, str(level), int(here.sum()), int((changes != 0).sum()),
            float(changes.mean()) if here.any() else None, float(np.abs(changes).mean()) if here.any() else None,
        ))  # fmt: skip
    return stats


# --- LAs under a new code -------------------------------------------------------------------------------------------


def _identities(merged: pd.DataFrame, rows: pd.Index, keys: Sequence[str], suffix: str) -> pd.DataFrame:
    """Who each row's LA is: its DfE code (the file's old_la_code, else the LA lookup's for its ONS code) and its name
    (the file's la_name, else the lookup's), beside the keys other than the LA codes."""
    frame = merged.loc[rows]
    ons = frame["new_la_code"] if "new_la_code" in keys else pd.Series("", index=rows, dtype="string")
    dfe = frame["old_la_code"] if "old_la_code" in keys else pd.Series("", index=rows, dtype="string")
    dfe = dfe.where(dfe != "", ons.map(la_field("old_la_code"))).fillna("").astype(str)
    name = frame["la_name" + suffix] if "la_name" + suffix in frame else pd.Series(None, index=rows, dtype="string")
    name = name.astype("string").str.strip()
    name = name.where(name.fillna("") != "", ons.map(la_field("la_name"))).fillna("").astype(str)
    others = [k for k in keys if k not in _LA_CODES]
    code = ons.where(ons != "", dfe).fillna("").astype(str)  # the code that changed: the ONS one, else the DfE one
    return frame[others].assign(_row=rows, _dfe=dfe.to_numpy(), _name=name.str.casefold().to_numpy(), _code=code.to_numpy())


def _boundary_pairs(merged: pd.DataFrame, removed: pd.Index, added: pd.Index, keys: Sequence[str], old: pd.DataFrame,
                    new: pd.DataFrame) -> tuple[list[tuple[Any, Any]], list[str]]:  # fmt: skip
    """(removed row, added row) pairs that are one LA under a new code in a common period: keys equal but for the LA
    codes, and the same DfE code (Buckinghamshire E10000002 -> E06000060 is 825 in both), or the same name where a DfE
    code is absent. One-to-one only: a split or a merger (Northamptonshire) stays removed and added, with a note."""
    if not any(k in keys for k in _LA_CODES) or not len(removed) or not len(added):
        return [], []
    others = [k for k in keys if k not in _LA_CODES]
    gone = _identities(merged, removed, keys, _OLD).query("_code != ''")
    came = _identities(merged, added, keys, _NEW).query("_code != ''")
    by_code = gone.loc[gone["_dfe"] != ""].merge(came.loc[came["_dfe"] != ""], on=[*others, "_dfe"], suffixes=("_r", "_a"))
    candidates = [by_code[["_row_r", "_row_a"]]]
    rest_gone = gone.loc[~gone["_row"].isin(by_code["_row_r"])]
    rest_came = came.loc[~came["_row"].isin(by_code["_row_a"])]
    by_name = rest_gone.loc[rest_gone["_name"] != ""].merge(rest_came, on=[*others, "_name"], suffixes=("_r", "_a"))
    candidates.append(by_name.loc[(by_name["_dfe_r"] == "") | (by_name["_dfe_a"] == ""), ["_row_r", "_row_a"]])
    found = pd.concat(candidates, ignore_index=True)
    one_to_one = ~found["_row_r"].duplicated(keep=False) & ~found["_row_a"].duplicated(keep=False)
    pairs = list(found.loc[one_to_one].itertuples(index=False, name=None))
    paired_old, paired_new = {r for r, _ in pairs}, {a for _, a in pairs}
    only_old = sorted(set(gone.loc[~gone["_row"].isin(paired_old), "_code"]) - _codes(new))
    only_new = sorted(set(came.loc[~came["_row"].isin(paired_new), "_code"]) - _codes(old))
    notes = []
    if only_old or only_new:
        notes.append("boundary change: an LA code in one vintage only (" + "; ".join(
            f"{', '.join(codes)} in the {which}" for which, codes in (("old", only_old), ("new", only_new)) if codes
        ) + "): its rows are listed as removed or added")  # fmt: skip
    return pairs, notes


def _codes(frame: pd.DataFrame) -> set[str]:
    column = "new_la_code" if "new_la_code" in frame else "old_la_code"
    return set(frame[column].astype("string").fillna("")) if column in frame else set()


def _boundary_change(merged: pd.DataFrame, removed: Any, added: Any, keys: Sequence[str]) -> BoundaryChange:
    code = "new_la_code" if "new_la_code" in keys else "old_la_code"
    old_code, new_code = str(merged.at[removed, code]), str(merged.at[added, code])
    names = [merged.at[added, "la_name" + _NEW] if "la_name" + _NEW in merged else None, la_field("la_name").get(new_code),
             merged.at[removed, "la_name" + _OLD] if "la_name" + _OLD in merged else None]  # fmt: skip
    name = next((str(n).strip() for n in names if isinstance(n, str) and n.strip()), "")
    key = {k: str(merged.at[added, k]) for k in keys}
    return BoundaryChange(old_code, new_code, name, key.get("time_period", ""), key)
