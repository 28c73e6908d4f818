"""Two vintages of one EES table lined up: renames applied, columns classified, and what cannot be lined up
without the user's word (a column or a filter value in one vintage only) refused with the mapping to write.

Keys are `time_period`, `time_identifier`, `geographic_level`, the geography code columns and every
filter column; indicators are the columns whose cells are all numbers or EES symbols; geography
names (`la_name`, ...) are neither: a changed name is a note.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..domain.cells import read_cells
from ..errors import InputError, UsageError

TIME = ("time_period", "time_identifier", "geographic_level")
_SAMPLE = 20_000


@dataclass(frozen=True)
class Lineup:
    old: pd.DataFrame  # renamed to the new vintage's names
    new: pd.DataFrame
    keys: tuple[str, ...]
    indicators: tuple[str, ...]
    names: tuple[str, ...]  # geography name columns: compared for notes only


def _data_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not str(c).startswith("_")]


def _is_indicator(values: pd.Series) -> bool:
    cells = read_cells(values, whole=False)
    return not bool(cells.unreadable.any()) and bool(cells.number.notna().any())


def line_up(old: pd.DataFrame, new: pd.DataFrame, columns: Mapping[str, str | None], values: Mapping[str, Mapping[str, str]],
            keys: Sequence[str] | None, indicators: Sequence[str] | None, old_name: str, new_name: str) -> Lineup:  # fmt: skip
    """`columns` maps an old vintage's column to its new name (None: dropped on purpose); `values` rewords old filter values."""
    old = old.rename(columns={k: v for k, v in columns.items() if v is not None}).drop(
        columns=[k for k, v in columns.items() if v is None and k in old], errors="ignore"
    )
    new = new.drop(columns=[v for k, v in columns.items() if v is None and k not in old and k in new], errors="ignore")
    for column, mapping in values.items():
        if column in old:
            text = old[column].astype("string").str.strip()
            old[column] = text.map(mapping).fillna(text).astype(object).where(text.notna(), None)
    _refuse_unpaired_columns(old, new, old_name, new_name)
    shared = [c for c in _data_columns(new) if c in old.columns]
    names = tuple(c for c in shared if c.endswith("_name"))
    codes = [c for c in shared if c.endswith("_code")]
    if indicators is None:
        both = pd.concat([old[shared], new[shared]], ignore_index=True)
        indicators = [c for c in shared if c not in TIME and c not in names and c not in codes and _is_indicator(both[c])]
    if keys is None:
        keys = [*[c for c in TIME if c in shared], *codes, *[c for c in shared if c not in (*TIME, *names, *codes, *indicators)]]
    missing = [c for c in (*keys, *indicators) if c not in shared]
    if missing:
        raise UsageError(f"--config names column {missing[0]!r}, which is not in both vintages")
    return Lineup(old, new, tuple(keys), tuple(indicators), names)


def _refuse_unpaired_columns(old: pd.DataFrame, new: pd.DataFrame, old_name: str, new_name: str) -> None:
    only_old = [c for c in _data_columns(old) if c not in new.columns and not c.endswith("_name")]
    only_new = [c for c in _data_columns(new) if c not in old.columns and not c.endswith("_name")]
    if not only_old and not only_new:
        return
    if only_old:
        column, frame, others, other_frame = only_old[0], old, only_new, new
        pair = lambda best: f"{column}: {best}"  # noqa: E731 - old name on the left
        where = old_name
    else:
        column, frame, others, other_frame = only_new[0], new, only_old, old
        pair = lambda best: f"{best}: {column}"  # noqa: E731
        where = new_name
    best = _best_match(frame[column], {c: other_frame[c] for c in others})
    suggestion = f"columns: {{{pair(best)}}}" if best else f"columns: {{{column}: null}}" if only_old else f"columns: {{OLD_NAME: {column}}}"
    raise InputError(
        f"column {column!r} is in one vintage only"
        + (f"; its values match {best!r} in the other best" if best else "")
        + f": map it in --config with `{suggestion}`" + ("" if best else " (null drops it on purpose)"),
        path=where,
        where="line 1",
    )


def _best_match(values: pd.Series, candidates: Mapping[str, pd.Series]) -> str | None:
    """The candidate column whose distinct values overlap these most (Jaccard), if any overlap at all."""
    mine = set(values.astype("string").str.strip().dropna().head(_SAMPLE))
    scored = []
    for name, other in candidates.items():
        theirs = set(other.astype("string").str.strip().dropna().head(_SAMPLE))
        union = mine | theirs
        scored.append((len(mine & theirs) / len(union) if union else 0.0, name))
    scored.sort(reverse=True)
    return scored[0][1] if scored and scored[0][0] > 0 else None


def refuse_reworded_values(lineup: Lineup, periods: Sequence[str], filters: Sequence[str], old_name: str) -> None:
    """A filter value in one vintage only, for the common periods, is most likely reworded: ask for a `values:` mapping."""
    old = lineup.old.loc[lineup.old["time_period"].astype("string").str.strip().isin(periods)]
    new = lineup.new.loc[lineup.new["time_period"].astype("string").str.strip().isin(periods)]
    for column in filters:
        before = set(old[column].astype("string").str.strip().dropna())
        after = set(new[column].astype("string").str.strip().dropna())
        gone, came = sorted(before - after), sorted(after - before)
        if gone and came:
            pairs = {value: (difflib.get_close_matches(value, came, n=1, cutoff=0.0) or [came[0]])[0] for value in gone[:3]}
            mapping = ", ".join(f"{_yaml(k)}: {_yaml(v)}" for k, v in pairs.items())
            raise InputError(
                f"filter {column!r} has {len(gone)} value(s) in the old vintage only and {len(came)} in the new only, "
                f"for the same periods (e.g. {gone[0]!r}); if reworded, map them in --config with "
                f"`values: {{{column}: {{{mapping}}}}}`",
                path=old_name,
                where="line 1",
            )


def _yaml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
