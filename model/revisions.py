"""What a new release revised in an EES table already published: the typed result of `triangulate revisions`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .checks import InputFile

KINDS = ("revised", "suppressed", "unsuppressed", "symbol_changed")


@dataclass(frozen=True)
class Vintage:
    file: InputFile
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.file.path, "sha256": self.file.sha256, "rows": self.rows}


@dataclass(frozen=True)
class CellRevision:
    key: Mapping[str, str]  # key column (new vintage's name) -> value
    indicator: str
    old: str  # the cell as written
    new: str
    old_interval: tuple[float, float] | None
    new_interval: tuple[float, float] | None
    change: float | None
    rel_change: float | None
    kind: str  # one of KINDS
    beyond_tolerance: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": dict(self.key),
            "indicator": self.indicator,
            "old": self.old,
            "new": self.new,
            "old_interval": _interval(self.old_interval),
            "new_interval": _interval(self.new_interval),
            "change": _number(self.change),
            "rel_change": None if self.rel_change is None else round(self.rel_change, 6),
            "kind": self.kind,
            "beyond_tolerance": self.beyond_tolerance,
        }


@dataclass(frozen=True)
class RevisionStats:
    """The Office for Statistics Regulation's revisions measures, per indicator and geographic level."""

    indicator: str
    geographic_level: str
    compared: int  # cells that are numbers in both vintages
    revised: int
    mean_revision: float | None
    mean_absolute_revision: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "geographic_level": self.geographic_level,
            "compared": self.compared,
            "revised": self.revised,
            "mean_revision": None if self.mean_revision is None else round(self.mean_revision, 4),
            "mean_absolute_revision": None if self.mean_absolute_revision is None else round(self.mean_absolute_revision, 4),
        }


@dataclass(frozen=True)
class Revisions:
    old: Vintage
    new: Vintage
    periods: tuple[str, ...]
    keys: tuple[str, ...]
    indicators: tuple[str, ...]
    cells: tuple[CellRevision, ...]
    rows_added: tuple[Mapping[str, str], ...]
    rows_removed: tuple[Mapping[str, str], ...]
    renamed_columns: Mapping[str, str | None] = field(default_factory=dict)
    renamed_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    stats: tuple[RevisionStats, ...] = ()
    tolerance: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def beyond_tolerance(self) -> tuple[CellRevision, ...]:
        return tuple(c for c in self.cells if c.beyond_tolerance)

    @property
    def passed(self) -> bool:
        """The gate: no revision beyond tolerance, and no row of a common period removed."""
        return not self.beyond_tolerance and not self.rows_removed

    def largest(self, count: int = 20) -> tuple[CellRevision, ...]:
        numeric = [c for c in self.cells if c.change is not None]
        return tuple(sorted(numeric, key=lambda c: -abs(c.change or 0))[:count])

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "periods": list(self.periods),
            "keys": list(self.keys),
            "indicators": list(self.indicators),
            "cells": [c.to_dict() for c in self.cells],
            "rows_added": [dict(k) for k in self.rows_added],
            "rows_removed": [dict(k) for k in self.rows_removed],
            "renamed": {"columns": dict(self.renamed_columns), "values": {k: dict(v) for k, v in self.renamed_values.items()}},
            "stats": [s.to_dict() for s in self.stats],
            "tolerance": dict(self.tolerance),
            "notes": list(self.notes),
            "passed": self.passed,
        }


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)


def _interval(value: tuple[float, float] | None) -> list[float | int | None] | None:
    if value is None:
        return None
    low, high = value
    return [_number(low), None if high == float("inf") else _number(high)]
