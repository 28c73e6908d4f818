"""Published aggregate counts in the EES open-data format (extract-formats.md section 5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..schemas.published import SPEC
from .tables import read_table

REQUIRED = SPEC.required_columns


def read_published(paths: Iterable[str | Path], column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = read_table(path, expected_columns=REQUIRED, column_map=column_map)
        absent = [c for c in REQUIRED if c not in frame.columns]
        if absent:
            raise InputError(f"not an EES open-data file: no {', '.join(absent)} column", path=path, where="line 1")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
