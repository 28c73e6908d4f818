"""`triangulate revisions V1 V2 [V3...]`: read vintages of one EES table, line up the newest two, list what the newest
revised; with three or more, the revisions triangle over all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..canonical.published import published_rows
from ..config.revisions import RevisionsConfig, check_tolerance_names
from ..model.revisions import Revisions, Vintage
from ..model.triangle import Triangle
from ..readers.published import read_published
from ..reconcile.revisions import revise
from ..reconcile.triangle import build_triangle
from ..reconcile.vintages import common_periods, line_up
from .check import read_with_files


def run_revisions(paths: Sequence[Path], config: RevisionsConfig) -> Revisions:
    """What the newest vintage revised in the one before it; with three or more vintages (oldest first), also the
    revisions triangle over all of them (reconcile/triangle.py)."""
    # Each vintage read once: the bytes compared are the bytes hashed (pipeline/check.py read_with_files).
    read = [read_with_files(lambda path=path: read_published([path]), [path]) for path in paths]
    for raw, _ in read:
        published_rows(raw)  # every period and geography is one the tool understands
    (old_raw, (old_file,)), (new_raw, (new_file,)) = read[-2], read[-1]
    old_path, new_path = paths[-2], paths[-1]
    lineup = line_up(old_raw, new_raw, config.columns, config.values, config.keys, config.indicators, str(old_path), str(new_path))
    periods = common_periods(lineup.old, lineup.new)
    check_tolerance_names(config, lineup.indicators)
    tolerance = _configured(config.tolerance)
    found = revise(lineup, periods, config.rounding, tolerance)
    notes = list(lineup.notes)
    if not periods:
        notes.append("the two vintages share no period: nothing was compared")
    notes += found.notes
    notes += _renamed_places(lineup, periods)
    return Revisions(
        old=Vintage(old_file, len(old_raw)),
        new=Vintage(new_file, len(new_raw)),
        periods=tuple(periods),
        keys=lineup.keys,
        indicators=lineup.indicators,
        cells=tuple(found.cells),
        rows_added=tuple(found.added),
        rows_removed=tuple(found.removed),
        renamed_columns=dict(config.columns),
        renamed_values={k: dict(v) for k, v in config.values.items()},
        stats=tuple(found.stats),
        tolerance=tolerance,
        notes=tuple(notes),
        boundary=tuple(found.boundary),
        column_kinds=found.column_kinds,
        unreadable=tuple(lineup.unreadable),
        earlier=tuple(Vintage(file, len(raw)) for raw, (file,) in read[:-2]),
        triangle=_triangle(paths, [raw for raw, _ in read], config) if len(paths) >= 3 else None,
    )


def _triangle(paths: Sequence[Path], frames: Sequence[pd.DataFrame], config: RevisionsConfig) -> Triangle:
    """Every vintage's headline figures (national and regional), under the newest vintage's names."""
    return build_triangle([(str(path), frame) for path, frame in zip(paths, frames, strict=True)], config.keys,
                          config.indicators, ("National", "Regional"), columns=config.columns, values=config.values)  # fmt: skip


def _configured(tolerance: Mapping[str, Any]) -> dict[str, Any]:
    """The tolerance that applies, as configured: --tolerance-abs/--tolerance-rel (merged over the config's by the
    command) set the flat tolerance for all, replacing any per-indicator entries."""
    if "abs" in tolerance or "rel" in tolerance:
        return {"abs": float(tolerance.get("abs", 0.0)), "rel": float(tolerance.get("rel", 0.0))}
    return {name: dict(entry) for name, entry in tolerance.items()}


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
