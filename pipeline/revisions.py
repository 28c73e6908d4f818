"""`triangulate revisions OLD NEW`: read two vintages of one EES table, line them up, list what the new one revised."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..canonical.published import published_rows
from ..config.revisions import RevisionsConfig
from ..model.revisions import Revisions, Vintage
from ..readers.published import read_published
from ..reconcile.revisions import common_periods, compare_vintages
from ..reconcile.vintages import line_up, refuse_reworded_values
from .check import read_with_files


def run_revisions(old_path: Path, new_path: Path, config: RevisionsConfig) -> Revisions:
    # Each vintage read once: the bytes compared are the bytes hashed (pipeline/check.py read_with_files).
    old_raw, (old_file,) = read_with_files(lambda: read_published([old_path]), [old_path])
    new_raw, (new_file,) = read_with_files(lambda: read_published([new_path]), [new_path])
    # Reading the rows as published rows checks every period and geography is one the tool understands.
    published_rows(old_raw), published_rows(new_raw)
    lineup = line_up(old_raw, new_raw, config.columns, config.values, config.keys, config.indicators, str(old_path), str(new_path))
    periods = common_periods(lineup)
    filters = [k for k in lineup.keys if k not in ("time_period", "time_identifier", "geographic_level") and not k.endswith("_code")]
    refuse_reworded_values(lineup, periods, filters, str(old_path))
    cells, added, removed, stats = compare_vintages(lineup, periods, config.rounding, config.tolerance)
    notes = []
    if not periods:
        notes.append("the two vintages share no period: nothing was compared")
    if added or removed:
        notes.append("rows added or removed in a common period include LA code changes (reorganisations), listed as both")
    notes += _renamed_places(lineup, periods)
    return Revisions(
        old=Vintage(old_file, len(old_raw)),
        new=Vintage(new_file, len(new_raw)),
        periods=tuple(periods),
        keys=lineup.keys,
        indicators=lineup.indicators,
        cells=tuple(cells),
        rows_added=tuple(added),
        rows_removed=tuple(removed),
        renamed_columns=dict(config.columns),
        renamed_values={k: dict(v) for k, v in config.values.items()},
        stats=tuple(stats),
        tolerance=dict(config.tolerance),
        notes=tuple(notes),
    )


def _renamed_places(lineup, periods) -> list[str]:  # type: ignore[no-untyped-def]
    """A geography name that changed between vintages for the same code is a note, not a revision."""
    notes = []
    for name, code in (("la_name", "new_la_code"), ("region_name", "region_code")):
        if name not in lineup.names or code not in lineup.keys:
            continue
        old = lineup.old.drop_duplicates(code).set_index(code)[name].astype("string")
        new = lineup.new.drop_duplicates(code).set_index(code)[name].astype("string")
        joined = pd.concat([old.rename("old"), new.rename("new")], axis=1, join="inner").dropna()
        for place, row in joined.loc[joined["old"].str.strip() != joined["new"].str.strip()].iterrows():
            notes.append(f"{code} {place}: {name} {row['old']!r} is now {row['new']!r}")
    return notes
