"""Two vintages of one EES table lined up: renames applied, columns classified, and nothing lost silently.

Keys are `time_period`, `time_identifier`, `geographic_level`, the geography code columns and every filter column;
indicators are the columns of figures (every cell a number, an EES symbol or blank, but for a few odd cells, which
are cells that fail: `Lineup.unreadable`); geography names (`la_name`, ...) are neither: a changed name is a note.
Given `indicators:`, the other columns of figures are left out; given `keys:`, so are the other columns that are
not figures. What cannot be lined up without the user's word (a column or a filter value in one vintage only) is
one refusal naming it all, with the whole mapping to write (reconcile/renames.py); so are keys that do not
identify rows (two rows of one key with different figures, in either vintage).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..domain.cells import readings
from ..errors import InputError, UsageError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN
from .renames import TIME, RenamesNeeded, Unpaired, counted, figure_cells, pair_columns, pair_values, profile, reads_as_figures

_SHOWN = 3  # keys (and rows of each) named in a refusal

Unreadable = tuple[str, int, str, str]  # file, line, column (as that file names it), the cell as written
Roles = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], list[str]]  # names, keys, indicators, columns left out


@dataclass(frozen=True)
class Lineup:
    old: pd.DataFrame  # renamed to the new vintage's names
    new: pd.DataFrame
    keys: tuple[str, ...]
    indicators: tuple[str, ...]
    names: tuple[str, ...]  # geography name columns: compared for notes only
    unreadable: tuple[Unreadable, ...] = ()  # indicator cells of the common periods that are neither figure nor symbol
    notes: tuple[str, ...] = ()  # columns left out, and why


def data_columns(frame: pd.DataFrame) -> list[str]:
    """A table's own columns, not the reader's (`_file`, `_line`)."""
    return [str(c) for c in frame.columns if not str(c).startswith("_")]


def _stripped(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _distinct(values: pd.Series) -> set[str]:
    """A column's values as stripped text, each once (read distinct first: a column repeats a few values)."""
    return {str(v).strip() for v in values.dropna().unique()} - {""}


def common_periods(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    return sorted(_distinct(old["time_period"]) & _distinct(new["time_period"]))


def line_up(old: pd.DataFrame, new: pd.DataFrame, columns: Mapping[str, str | None], values: Mapping[str, Mapping[str, str]],
            keys: Sequence[str] | None, indicators: Sequence[str] | None, old_name: str, new_name: str) -> Lineup:  # fmt: skip
    """`columns` maps an old vintage's column to its new name (None: dropped on purpose); `values` rewords old filter values."""
    for frame, name in ((old, old_name), (new, new_name)):
        if frame.empty:
            raise InputError("no rows: the file holds a header only, nothing to compare", path=name, where="line 2")
    _check_mapped_names(old, new, columns, values)
    old = _renamed(old, columns)
    new = new.drop(columns=[k for k, v in columns.items() if v is None and k not in old and k in new], errors="ignore")
    for column, mapping in values.items():
        if column in old:
            text = _stripped(old[column])
            old[column] = text.map(mapping).fillna(text).astype(object).where(text.notna(), None)
    unpaired, (names, chosen_keys, chosen_indicators, left_out) = _unpaired(old, new, keys, indicators, values)
    if unpaired.needs_mapping:
        raise RenamesNeeded(unpaired, old_name, new_name)
    notes = [f"column {c!r} is in the new vintage only: a new column, left out of the comparison" for c in unpaired.only_new]
    if left_out:
        notes.append(f"left out of the comparison (neither a key nor an indicator): {', '.join(left_out)}")
    old = _unique_rows(old, chosen_keys, chosen_indicators, old_name)
    new = _unique_rows(new, chosen_keys, chosen_indicators, new_name)
    periods = common_periods(old, new)
    renamed_back = {v: k for k, v in columns.items() if v is not None}
    unreadable = [
        *_unreadable(old, chosen_indicators, periods, old_name, renamed_back),
        *_unreadable(new, chosen_indicators, periods, new_name, {}),
    ]
    return Lineup(old, new, chosen_keys, chosen_indicators, names, tuple(unreadable), tuple(notes))


def _check_mapped_names(old: pd.DataFrame, new: pd.DataFrame, columns: Mapping[str, str | None],
                        values: Mapping[str, Mapping[str, str]]) -> None:  # fmt: skip
    """A mapping that names a column neither vintage has is a typo, not a rename (it would hide one)."""
    for column in columns:
        if column not in old and column not in new:
            raise UsageError(f"--config columns: {column!r} is a column of neither vintage")
    renamed = {v for v in columns.values() if v is not None}
    for column in values:
        if column not in old and column not in new and column not in renamed:
            raise UsageError(f"--config values: {column!r} is a column of neither vintage")


def _renamed(old: pd.DataFrame, columns: Mapping[str, str | None]) -> pd.DataFrame:
    dropped = [k for k, v in columns.items() if v is None and k in old]
    return old.rename(columns={k: v for k, v in columns.items() if v is not None}).drop(columns=dropped)


def _unpaired(old: pd.DataFrame, new: pd.DataFrame, keys: Sequence[str] | None, indicators: Sequence[str] | None,
              values: Mapping[str, Mapping[str, str]]) -> tuple[Unpaired, Roles]:  # fmt: skip
    """Everything that does not line up, with the whole suggested mapping: the columns first, then, with them mapped,
    the filter values of the common periods (a value mapped to itself in `values:` was not reworded). With every
    column paired, the roles too (`_roles`); otherwise the refusal is certain and the roles only a trial's."""
    only_old = [c for c in data_columns(old) if c not in new.columns and not c.endswith("_name")]
    only_new = [c for c in data_columns(new) if c not in old.columns and not c.endswith("_name")]
    pairs = pair_columns({c: profile(c, old[c]) for c in only_old}, {c: profile(c, new[c]) for c in only_new})
    mapping = {c: pairs.get(c) for c in only_old}
    trial = _renamed(old, mapping)
    shared = [c for c in data_columns(new) if c in trial.columns]

    def given(names: Sequence[str] | None) -> Sequence[str] | None:  # a trial's: checked strictly once every column pairs
        return [c for c in names if c in shared] if names is not None and only_old else names

    roles = _roles(trial, new, shared, given(keys), given(indicators))
    periods = common_periods(trial, new)
    before = trial.loc[_stripped(trial["time_period"]).isin(periods)]
    after = new.loc[_stripped(new["time_period"]).isin(periods)]
    reworded: dict[str, dict[str, str]] = {}
    counts: dict[str, tuple[int, int]] = {}
    for column in (k for k in roles[1] if k not in TIME and not k.endswith("_code")):
        said = set(values.get(column, {}))
        was, now = _distinct(before[column]), _distinct(after[column])
        gone, came = sorted(was - now - said), sorted(now - was)
        found = pair_values(gone, came) if gone and came else {}
        if found:
            reworded[column], counts[column] = found, (len(gone), len(came))
    return Unpaired(tuple(only_old), tuple(only_new), mapping, reworded, counts), roles


def _roles(old: pd.DataFrame, new: pd.DataFrame, shared: list[str], keys: Sequence[str] | None,
           indicators: Sequence[str] | None) -> Roles:  # fmt: skip
    """(names, keys, indicators, columns left out). Columns of figures are read on both vintages together."""
    for key, given in (("keys", keys), ("indicators", indicators)):
        missing = [c for c in given or () if c not in shared]
        if missing:
            raise UsageError(f"--config {key}: column {missing[0]!r} is not in both vintages")
    names = tuple(c for c in shared if c.endswith("_name"))
    codes = [c for c in shared if c.endswith("_code")]
    both = pd.concat([old[shared], new[shared]], ignore_index=True)
    free = [c for c in shared if c not in TIME and c not in names and c not in codes and c not in (keys or ())]
    figures = [c for c in free if reads_as_figures(figure_cells(both[c]))]
    for column in indicators or ():
        cells = figure_cells(both[column])
        if not reads_as_figures(cells):
            odd = int(cells.unreadable.sum())
            raise UsageError(f"--config indicators: column {column!r} is not a column of figures "
                             f"({counted(odd, 'cell is', 'cells are')} neither a number nor an EES symbol)")  # fmt: skip
    chosen = list(indicators) if indicators is not None else figures
    if keys is None:
        keys = [*[c for c in TIME if c in shared], *codes, *[c for c in free if c not in figures]]
    left_out = [c for c in free if c not in chosen and c not in keys]
    return names, tuple(keys), tuple(chosen), left_out


def _line(frame: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
    files = frame[FILE_COLUMN].astype(str) if FILE_COLUMN in frame else pd.Series(name, index=frame.index)
    lines = frame[LINE_COLUMN].astype("int64") if LINE_COLUMN in frame else pd.Series(frame.index + 2, index=frame.index)
    return files, lines


def _unique_rows(frame: pd.DataFrame, keys: Sequence[str], indicators: Sequence[str], name: str) -> pd.DataFrame:
    """Rows of one key: exact copies (the same figures) are dropped; different figures are a refusal naming the rows."""
    key = pd.DataFrame({k: _stripped(frame[k]).fillna("") for k in keys}, index=frame.index)
    if not bool(key.duplicated().any()):
        return frame
    said = pd.DataFrame({c: readings(figure_cells(frame[c])) for c in indicators}, index=frame.index)
    copies = pd.concat([key, said], axis=1).duplicated()
    kept, key = frame.loc[~copies], key.loc[~copies]
    clash = key.duplicated(keep=False)
    if not bool(clash.any()):
        return kept
    files, lines = _line(kept, name)
    shown = []
    for _, rows in key.loc[clash].groupby(list(keys), sort=False, dropna=False):
        if len(shown) == _SHOWN:
            break
        first = rows.iloc[0]
        label = ", ".join(f"{k} {first[k]}" for k in keys if first[k]) or "every key blank"
        places = ", ".join(f"{files[i]}:{lines[i]}" for i in rows.index[:_SHOWN])
        more = f" and {len(rows) - _SHOWN:,} more" if len(rows) > _SHOWN else ""
        shown.append(f"{places}{more} share ({label})")
    first = key.loc[clash].index[0]
    raise InputError(
        f"the keys ({', '.join(keys)}) do not identify rows: {counted(int(clash.sum()), 'row shares its key', 'rows share their key')} "
        f"with another row of different figures: {'; '.join(shown)}; give `keys:` in --config that tell them apart",
        path=str(files[first]),
        where=f"line {int(lines[first])}",
    )


def _unreadable(frame: pd.DataFrame, indicators: Sequence[str], periods: Sequence[str], name: str,
                renamed_back: Mapping[str, str]) -> list[Unreadable]:  # fmt: skip
    """Indicator cells of the periods compared that read as neither figure nor symbol, as (file, line, column, text)."""
    rows = frame.loc[_stripped(frame["time_period"]).isin(periods)]
    files, lines = _line(rows, name)
    found = []
    for column in indicators:
        cells = figure_cells(rows[column])
        for i in cells.unreadable.index[cells.unreadable.to_numpy(dtype=bool)]:
            found.append((str(files[i]), int(lines[i]), renamed_back.get(column, column), str(cells.text[i])))
    return sorted(found, key=lambda f: (f[0], f[1], f[2]))


__all__ = ["TIME", "Lineup", "RenamesNeeded", "common_periods", "data_columns", "line_up"]
