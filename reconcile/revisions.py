"""What a new vintage revised: every indicator cell of every key both vintages hold, for the periods both cover.

Vectorised: one merge on the keys and one strict read of each indicator column per vintage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..domain.cells import cell_bounds, read_cells
from ..domain.tolerance import Tolerance
from ..model.revisions import CellRevision, RevisionStats
from .vintages import Lineup

_OLD, _NEW = "_old", "_new"


def common_periods(lineup: Lineup) -> list[str]:
    old = set(lineup.old["time_period"].astype("string").str.strip().dropna())
    new = set(lineup.new["time_period"].astype("string").str.strip().dropna())
    return sorted(old & new)


def _keyed(frame: pd.DataFrame, keys: Sequence[str], periods: Sequence[str]) -> pd.DataFrame:
    keyed = frame.loc[frame["time_period"].astype("string").str.strip().isin(periods)].copy()
    for key in keys:
        keyed[key] = keyed[key].astype("string").str.strip().fillna("")
    return keyed.drop_duplicates(subset=list(keys), keep="first")


def compare_vintages(lineup: Lineup, periods: Sequence[str], rounding: Mapping[str, int], tolerance: Mapping[str, float]
                     ) -> tuple[list[CellRevision], list[dict[str, str]], list[dict[str, str]], list[RevisionStats]]:  # fmt: skip
    keys = list(lineup.keys)
    old = _keyed(lineup.old, keys, periods)
    new = _keyed(lineup.new, keys, periods)
    merged = old[[*keys, *lineup.indicators]].merge(
        new[[*keys, *lineup.indicators]], on=keys, how="outer", suffixes=(_OLD, _NEW), indicator=True
    )
    added = merged.loc[merged["_merge"] == "right_only", keys].to_dict("records")
    removed = merged.loc[merged["_merge"] == "left_only", keys].to_dict("records")
    both = merged.loc[merged["_merge"] == "both"].reset_index(drop=True)
    levels = both["geographic_level"].astype("string").str.strip().str.lower() if "geographic_level" in both else pd.Series("", index=both.index)
    bases = levels.map(lambda level: rounding.get(level, 1)).fillna(1).astype("int64")
    cells: list[CellRevision] = []
    stats: list[RevisionStats] = []
    for indicator in lineup.indicators:
        found, indicator_stats = _indicator(both, keys, indicator, bases, levels, tolerance)
        cells += found
        stats += indicator_stats
    return cells, added, removed, stats


def _indicator(both: pd.DataFrame, keys: list[str], indicator: str, bases: pd.Series, levels: pd.Series,
               tolerance: Mapping[str, float]) -> tuple[list[CellRevision], list[RevisionStats]]:  # fmt: skip
    old_cells = read_cells(both[indicator + _OLD], whole=False)
    new_cells = read_cells(both[indicator + _NEW], whole=False)
    old_text, new_text = old_cells.text.fillna(""), new_cells.text.fillna("")
    old_number, new_number = old_cells.number.to_numpy(), new_cells.number.to_numpy()
    old_numeric, new_numeric = ~np.isnan(old_number), ~np.isnan(new_number)
    old_symbol = old_cells.symbol.notna().to_numpy() | old_cells.blank.to_numpy()
    new_symbol = new_cells.symbol.notna().to_numpy() | new_cells.blank.to_numpy()
    kind = np.select(
        [old_numeric & new_numeric & (old_number != new_number), old_numeric & new_symbol, old_symbol & new_numeric,
         old_symbol & new_symbol & (old_text.str.lower() != new_text.str.lower()).to_numpy()],
        ["revised", "suppressed", "unsuppressed", "symbol_changed"], default="",
    )  # fmt: skip
    change = new_number - old_number
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(old_number != 0, change / old_number, np.nan)
    # The one tolerance formula: a revision's relative tolerance is measured against the old value (0: abs only).
    exceeds = Tolerance.of(tolerance).exceeded(change, old_number)
    beyond = (kind != "") & ((kind != "revised") | exceeds)
    old_low, old_high = cell_bounds(old_cells, bases)
    new_low, new_high = cell_bounds(new_cells, bases)
    changed = np.flatnonzero(kind != "")
    key_records = dict(zip(changed, both.loc[changed, keys].to_dict("records"), strict=True))
    cells = [
        CellRevision(
            key=key_records[i], indicator=indicator, old=str(old_text.iloc[i]), new=str(new_text.iloc[i]),
            old_interval=None if np.isnan(old_low[i]) else (float(old_low[i]), float(old_high[i])),
            new_interval=None if np.isnan(new_low[i]) else (float(new_low[i]), float(new_high[i])),
            change=None if np.isnan(change[i]) else float(change[i]),
            rel_change=None if np.isnan(relative[i]) else float(relative[i]),
            kind=str(kind[i]), beyond_tolerance=bool(beyond[i]),
        )
        for i in changed
    ]  # fmt: skip
    compared = old_numeric & new_numeric
    stats = []
    for level in sorted(set(levels.dropna())):
        here = compared & (levels == level).to_numpy()
        changes = change[here]
        stats.append(RevisionStats(
            indicator, str(level), int(here.sum()), int((changes != 0).sum()),
            float(changes.mean()) if here.any() else None, float(np.abs(changes).mean()) if here.any() else None,
        ))  # fmt: skip
    return cells, stats
