"""A revisions triangle over three or more vintages of one EES table (oldest first): each headline figure in every
release that held it, and per indicator the mean revision, the mean absolute revision and a bias test.

Keys and indicators are decided as for a pair (`vintages.line_up`) from the newest two vintages, unless given. A
column an older vintage lacks is a note, and that vintage holds no value for it. Vectorised: each vintage's headline
rows are melted to one cell per row, the vintages stacked, read once (`read_cells`) and pivoted to a column per
vintage; only the headline rows become Python objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..domain.cells import read_cells
from ..domain.geography import ENGLAND, la_name, place_of, to_ons_code
from ..errors import InputError, UsageError
from ..model.triangle import NOT_RUN, SIGN_TEST, T_TEST, Triangle, TriangleRow, TriangleStats
from ..schemas.base import LINE_COLUMN
from .vintages import TIME, data_columns, line_up

_SIGN_TEST_BELOW = 10  # revisions: fewer use the exact sign test, the t test's normality cannot be trusted on them
_FEWEST = 3  # non-zero revisions below which no test is run
_BIAS_P = 0.05
_LEVEL_ORDER = {"national": 0, "regional": 1, "local authority": 2}
_V, _IND, _TEXT, _GEO, _NAME = "_vintage", "_indicator", "_text", "_geography", "_geography_name"


def build_triangle(vintages: Sequence[tuple[str, pd.DataFrame]], keys: Sequence[str] | None = None,
                   indicators: Sequence[str] | None = None, headline_levels: Sequence[str] = ("National",), *,
                   columns: Mapping[str, str | None] | None = None,
                   values: Mapping[str, Mapping[str, str]] | None = None) -> Triangle:  # fmt: skip
    """`vintages`: (label, raw EES frame) oldest first. Headline = the rows at `headline_levels` (EES
    `geographic_level` values, any case), every filter combination and every indicator. `columns` and `values` are
    the revisions config's renames (old name -> the newest's, None: dropped on purpose; old filter value -> new),
    applied to every vintage but the newest, whose names are the ones shown."""
    if len(vintages) < 2:
        raise UsageError("a revisions triangle needs at least two vintages of the table (three or more to show revisions)")
    labels = _unique([label for label, _ in vintages])
    frames = _renamed([frame for _, frame in vintages], columns or {}, values or {})
    notes: list[str] = []
    keys, indicators = _columns(frames, labels, keys, indicators, notes)
    for needed in ("time_period", "geographic_level"):
        if needed not in keys:
            raise UsageError(f"a revisions triangle needs {needed!r} among the keys")
    filters = [k for k in keys if k not in TIME and not k.endswith("_code")]
    wanted = _headline_levels(frames, headline_levels, notes)
    headline = [_headline(frame, label, keys, indicators, wanted, notes) for label, frame in zip(labels, frames, strict=True)]
    notes += _values_apart(headline, labels, filters)
    long = pd.concat([_melt(frame, keys, indicators, number) for number, frame in enumerate(headline)], ignore_index=True)
    cells = read_cells(long[_TEXT], whole=False, signed=True)
    long[_TEXT] = cells.text.fillna("")
    long["_number"] = cells.number
    odd = long.loc[cells.unreadable.to_numpy()]
    long = long.loc[~cells.blank.to_numpy()]  # a blank cell: that release did not hold the figure
    if len(odd):
        first = odd.iloc[0]
        notes.append(f"{len(odd)} headline cell(s) are neither a number nor an EES symbol (e.g. {labels[int(first[_V])]}, "
                     f"{first[_IND]}, {first['time_period']}: {first[_TEXT]!r}): shown as written, left out of the revisions")  # fmt: skip
    names = _names(headline)
    rows = _rows(long, keys, filters, indicators, labels, names)
    stats = _all_stats(rows, indicators)
    for indicator in indicators:
        if not any(r.indicator == indicator for r in rows):
            notes.append(f"{indicator!r} has no headline figure (levels: {', '.join(headline_levels)}) in any vintage")
    return Triangle(tuple(labels), tuple(rows), stats, tuple(notes))


def _headline_levels(frames: list[pd.DataFrame], headline_levels: Sequence[str], notes: list[str]) -> set[str]:
    """The levels asked for; where no vintage has any (an LA-only file), the highest geographic level present."""
    wanted = {str(level).strip().lower() for level in headline_levels}
    present = set().union(*(set(f["geographic_level"].astype("string").str.strip().str.lower().dropna()) for f in frames
                            if "geographic_level" in f))  # fmt: skip
    if not present or wanted & present:
        return wanted
    top = min(present, key=lambda level: (_LEVEL_ORDER.get(level, len(_LEVEL_ORDER)), level))
    notes.append(f"no vintage has {' or '.join(headline_levels)} rows: the triangle shows the highest level present, {top}")
    return {top}


def _all_stats(rows: Sequence[TriangleRow], indicators: Sequence[str]) -> tuple[TriangleStats, ...]:
    """Per indicator and geography (England apart from each region: their revisions are not one population), in
    the rows' order; an indicator with no headline figure still has its (empty) entry."""
    found: dict[tuple[str, str], list[float | None]] = {}
    names: dict[str, str] = {}
    for row in rows:
        found.setdefault((row.indicator, row.geography), []).append(row.revision)
        names[row.geography] = row.geography_name
    stats = [_stats(indicator, revisions, geography, names[geography]) for (indicator, geography), revisions in found.items()]
    stats += [_stats(indicator, []) for indicator in indicators if not any(r.indicator == indicator for r in rows)]
    order = {name: i for i, name in enumerate(indicators)}
    return tuple(sorted(stats, key=lambda s: order.get(s.indicator, len(order))))


def _unique(labels: list[str]) -> list[str]:
    """Vintage labels as given; one repeated gets its release number, so that every release stays apart in the JSON."""
    return [f"{label} (release {i + 1})" if labels.count(label) > 1 else label for i, label in enumerate(labels)]


def _renamed(frames: list[pd.DataFrame], columns: Mapping[str, str | None], values: Mapping[str, Mapping[str, str]]
             ) -> list[pd.DataFrame]:  # fmt: skip
    """The config's renames, as `vintages.line_up` applies them to its old vintage: columns first, then filter values."""
    for column in columns:
        if not any(column in frame for frame in frames):
            raise UsageError(f"--config columns: {column!r} is a column of no vintage")
    dropped = [k for k, v in columns.items() if v is None]
    older = []
    for frame in frames[:-1]:
        frame = frame.rename(columns={k: v for k, v in columns.items() if v is not None}).drop(columns=dropped, errors="ignore")
        for column, mapping in values.items():
            if column in frame:
                text = frame[column].astype("string").str.strip()
                frame[column] = text.map(mapping).fillna(text).astype(object).where(text.notna(), None)
        older.append(frame)
    return [*older, frames[-1].drop(columns=dropped, errors="ignore")]


def _values_apart(headline: list[pd.DataFrame], labels: list[str], filters: list[str]) -> list[str]:
    """A filter value an older vintage has and the newest has not (reworded, or dropped) makes series of its own."""
    notes = []
    for column in filters:
        newest = set(headline[-1][column])
        for label, head in zip(labels[:-1], headline[:-1], strict=True):
            apart = sorted(set(head[column]) - newest)
            if apart:
                shown = ", ".join(map(repr, apart[:3])) + (f" and {len(apart) - 3} more" if len(apart) > 3 else "")
                notes.append(f"{label}: {column} {shown} not in the newest vintage: those figures stand apart (if reworded, "
                             f"map them in --config with `values: {{{column}: {{OLD: NEW}}}}`)")  # fmt: skip
    return notes


def _columns(frames: list[pd.DataFrame], labels: list[str], keys: Sequence[str] | None, indicators: Sequence[str] | None,
             notes: list[str]) -> tuple[list[str], list[str]]:  # fmt: skip
    """Keys and indicators as `line_up` decides them for the newest two vintages: the older one padded with what it
    lacks and stripped of what the newest lacks, so that a column not in both is a note here, not a refusal."""
    newest = data_columns(frames[-1])
    for label, frame in zip(labels[:-1], frames[:-1], strict=True):
        extra = [c for c in data_columns(frame) if c not in newest and not c.endswith("_name")]
        if extra:
            notes.append(f"{label} has column(s) {', '.join(map(repr, extra))} that the newest vintage does not: left out")
    previous = frames[-2].loc[:, [c for c in frames[-2].columns if str(c) in newest or str(c).startswith("_")]]
    previous = previous.reindex(columns=[*previous.columns, *[c for c in newest if c not in previous.columns]])
    lineup = line_up(previous, frames[-1], {}, {}, keys, indicators, labels[-2], labels[-1])
    chosen_keys, chosen_indicators = list(lineup.keys), list(lineup.indicators)
    notes += lineup.notes
    for label, frame in zip(labels, frames, strict=True):
        for column in chosen_indicators:
            if column not in frame.columns:
                notes.append(f"{label} has no column {column!r}: it gives no value for it")
        for column in chosen_keys:
            if column not in frame.columns:
                notes.append(f"{label} has no key column {column!r}: its rows are matched as if it were blank")
    return chosen_keys, chosen_indicators


def _headline(frame: pd.DataFrame, label: str, keys: list[str], indicators: list[str], levels: set[str],
              notes: list[str]) -> pd.DataFrame:  # fmt: skip
    """A vintage's rows at the headline levels: keys as stripped text, its geography's code and name, one row per key.
    Exact copies count once (a note); two rows of one key with different figures are refused, naming their lines."""
    level = frame["geographic_level"].astype("string").str.strip().str.lower()
    rows = frame.loc[level.isin(levels).fillna(False).to_numpy()]
    head = pd.DataFrame(index=rows.index)
    for key in keys:
        head[key] = rows[key].astype("string").str.strip().fillna("") if key in rows else ""
    for indicator in indicators:
        head[indicator] = (
            rows[indicator].astype("string").str.strip()
            if indicator in rows
            else pd.Series(pd.NA, index=rows.index, dtype="string")
        )
    head[_GEO], head[_NAME] = _geography(rows, head["geographic_level"].str.lower())
    repeated = head.duplicated(subset=keys, keep=False)
    if repeated.any():
        exact = head.duplicated(subset=[*keys, *indicators], keep=False)
        conflicting = (repeated & ~exact).to_numpy()
        if conflicting.any():
            # As `vintages.line_up` refuses them in the newest two vintages: which figure to show is not ours to choose.
            lines = rows.loc[conflicting, LINE_COLUMN].head(2).tolist() if LINE_COLUMN in rows else []
            raise InputError(f"the keys ({', '.join(keys)}) do not identify rows: headline rows share a key with different "
                             f"figures at {', '.join(f'{label}:{int(n)}' for n in lines)}; give `keys:` in --config that "
                             "tell them apart", path=label, where=f"line {int(lines[0])}" if lines else None)  # fmt: skip
        dropped = int(head.duplicated(subset=keys).sum())
        notes.append(f"{label}: {dropped} headline row(s) repeat an earlier row exactly: each counted once")
    return head.drop_duplicates(subset=keys, keep="first")


def _geography(rows: pd.DataFrame, level: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each row's place: England for a national row, the region's code for a regional one, the LA's ONS code for an
    LA (an old 3-digit code mapped); another level by its first code. Its name as the file writes it, else blank."""
    blank = pd.Series("", index=rows.index, dtype="string")

    def text(column: str) -> pd.Series:
        return rows[column].astype("string").str.strip().fillna("") if column in rows else blank

    def first(*columns: str) -> pd.Series:
        found = blank
        for column in columns:
            found = found.where(found != "", text(column))
        return found

    written_la = first("new_la_code", "old_la_code")
    la = to_ons_code(written_la).astype("string").fillna(written_la)
    other = first("new_la_code", "region_code", "country_code", "geographic_level")
    code = pd.Series(np.select([level == "national", level == "regional", level == "local authority"],
                               [ENGLAND, text("region_code"), la], default=other), index=rows.index, dtype="string")  # fmt: skip
    name = text("la_name").where(level == "local authority", text("region_name")).where(level != "national", ENGLAND)
    return code, name


def _melt(head: pd.DataFrame, keys: list[str], indicators: list[str], number: int) -> pd.DataFrame:
    long = head[[*keys, _GEO, *indicators]].melt(id_vars=[*keys, _GEO], value_vars=indicators, var_name=_IND, value_name=_TEXT)
    long[_V] = number
    return long


def _names(headline: list[pd.DataFrame]) -> dict[str, str]:
    """Each place's name as the newest vintage holding it writes it; else as the LA lookup or the hierarchy names it."""
    names: dict[str, str] = {}
    for head in headline:
        pairs = head.loc[head[_NAME] != "", [_GEO, _NAME]].drop_duplicates(subset=[_GEO], keep="last")
        names.update(zip(pairs[_GEO].astype(str), pairs[_NAME].astype(str), strict=True))
    return names


def _rows(long: pd.DataFrame, keys: list[str], filters: list[str], indicators: list[str], labels: list[str],
          names: dict[str, str]) -> list[TriangleRow]:  # fmt: skip
    if long.empty:
        return []
    index = [_IND, *keys]
    texts = long.pivot(index=index, columns=_V, values=_TEXT).reindex(columns=range(len(labels)))
    numbers = long.pivot(index=index, columns=_V, values="_number").reindex(columns=range(len(labels)))
    geography = long.drop_duplicates(subset=index).set_index(index)[_GEO].reindex(texts.index).astype(str).tolist()
    identifiers = long["time_identifier"].nunique() if "time_identifier" in long else 1
    order = {name: i for i, name in enumerate(indicators)}
    rows: list[tuple[tuple[object, ...], TriangleRow]] = []
    for key, place, text_row, number_row in zip(texts.index, geography, texts.to_numpy(dtype=object),
                                                numbers.to_numpy(dtype="float64"), strict=True):  # fmt: skip
        values = dict(zip(index, key, strict=True))
        period = values["time_period"] + (
            f" {values['time_identifier']}" if identifiers > 1 and values.get("time_identifier") else ""
        )
        releases = tuple(
            (label, "" if pd.isna(text) else str(text),
             None if math.isnan(figure) else float(figure))
            for label, text, figure in zip(labels, text_row, number_row, strict=True)
        )  # fmt: skip
        name = names.get(place) or (la_name(place) if place != ENGLAND else ENGLAND)
        row = TriangleRow(values[_IND], place, name if name != place else place_of(place), period,
                          {f: values[f] for f in filters}, releases)  # fmt: skip
        level = _LEVEL_ORDER.get(values["geographic_level"].lower(), len(_LEVEL_ORDER))
        rows.append(((order.get(row.indicator, len(order)), level, place, tuple(row.filters.values()), period), row))
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


def _stats(indicator: str, found: list[float | None], geography: str = "", name: str = "") -> TriangleStats:
    """Mean revision, mean absolute revision and a bias test over an indicator's headline revisions. Under ten
    revisions the exact sign test (zeros dropped), which assumes nothing of their distribution; from ten, the t test
    with n-1 degrees of freedom. Fewer than three non-zero revisions: no test, and no pass either."""
    revisions = np.array([r for r in found if r is not None], dtype="float64")
    n = len(revisions)
    positive, negative = int((revisions > 0).sum()), int((revisions < 0).sum())
    zero = n - positive - negative
    mean = float(revisions.mean()) if n else None
    absolute = float(np.abs(revisions).mean()) if n else None
    if positive + negative < _FEWEST:
        return TriangleStats(indicator, n, mean, absolute, NOT_RUN, None, None, positive, negative, zero, None, geography, name)
    # Identical revisions have no spread for a t statistic: the sign test still says how unlikely they are unbiased.
    if n < _SIGN_TEST_BELOW or float(revisions.std(ddof=1)) == 0.0:
        from scipy.stats import binomtest

        p = float(binomtest(positive, positive + negative, 0.5, alternative="two-sided").pvalue)
        return TriangleStats(indicator, n, mean, absolute, SIGN_TEST, float(positive), p, positive, negative, zero, p < _BIAS_P,
                             geography, name)  # fmt: skip
    from scipy.stats import ttest_1samp

    result = ttest_1samp(revisions, 0.0)
    t, p = float(result.statistic), float(result.pvalue)
    return TriangleStats(indicator, n, mean, absolute, T_TEST, t, p, positive, negative, zero, p < _BIAS_P, geography, name)
