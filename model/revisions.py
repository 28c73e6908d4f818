"""What a new release revised in an EES table already published: the typed result of `triangulate revisions`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .checks import InputFile
from .triangle import Triangle, json_number

# What a changed cell is, for the statistician who must explain it (issue 26): only `substantive` can fail the gate.
# within_rounding: two numbers whose rounding intervals overlap; suppression: a symbol came or went (but 0 <-> c in a
# count is substantive: none became some); boundary: a row whose LA code changed; denominator_only: a rate moved by its
# denominator while its count did not; substantive: everything else.
REVISION_KINDS = ("substantive", "suppression", "boundary", "denominator_only", "within_rounding")
SUBSTANTIVE = "substantive"
# How the cell's text changed, whatever its kind: a number revised, suppressed, unsuppressed, or one symbol for another.
TRANSITIONS = ("revised", "suppressed", "unsuppressed", "symbol_changed")


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
    kind: str  # one of REVISION_KINDS
    beyond_tolerance: bool  # beyond the indicator's tolerance (any symbol change is); the gate counts substantive ones
    transition: str = ""  # one of TRANSITIONS
    column_kind: str = ""  # domain/columns.py COLUMN_KINDS: count, rate or denominator
    effects: Mapping[str, float | None] | None = None  # a rate's change split: {numerator, denominator}

    @property
    def substantive(self) -> bool:
        return self.kind == SUBSTANTIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": dict(self.key),
            "indicator": self.indicator,
            "old": self.old,
            "new": self.new,
            "old_interval": _interval(self.old_interval),
            "new_interval": _interval(self.new_interval),
            "change": json_number(self.change),
            "rel_change": None if self.rel_change is None else round(self.rel_change, 6),
            "kind": self.kind,
            "transition": self.transition,
            "column_kind": self.column_kind,
            "effects": None if self.effects is None else {k: json_number(v) for k, v in self.effects.items()},
            "beyond_tolerance": self.beyond_tolerance,
        }


@dataclass(frozen=True)
class BoundaryChange:
    """One LA's row under a new code (a reorganisation: Buckinghamshire E10000002 -> E06000060, DfE code 825 in both):
    one row compared across the two codes, neither added nor removed."""

    old_code: str
    new_code: str
    la_name: str
    period: str
    key: Mapping[str, str]  # the new vintage's row

    def to_dict(self) -> dict[str, Any]:
        return {"old_code": self.old_code, "new_code": self.new_code, "la_name": self.la_name, "period": self.period,
                "key": dict(self.key)}  # fmt: skip


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
    tolerance: Mapping[str, Any] = field(default_factory=dict)  # as configured: {abs, rel}, or per indicator or kind
    notes: tuple[str, ...] = ()
    boundary: tuple[BoundaryChange, ...] = ()
    column_kinds: Mapping[str, str] = field(default_factory=dict)  # indicator -> count, rate or denominator
    unreadable: tuple[tuple[str, int, str, str], ...] = ()  # (file, line, column, text): a cell of figures that is none
    earlier: tuple[Vintage, ...] = ()  # the vintages before `old`, oldest first (three or more given)
    triangle: Triangle | None = None  # with three or more vintages: each headline figure release by release

    @property
    def beyond_tolerance(self) -> tuple[CellRevision, ...]:
        return tuple(c for c in self.cells if c.beyond_tolerance)

    @property
    def failing(self) -> tuple[CellRevision, ...]:
        """What the gate rests on among the cells: substantive revisions beyond their indicator's tolerance."""
        return tuple(c for c in self.cells if c.substantive and c.beyond_tolerance)

    @property
    def passed(self) -> bool:
        """The gate: no substantive revision beyond tolerance, and no row of a common period removed (an LA under a
        new code is a boundary pair, not a removal), and no cell of figures unreadable. A row added never fails. Two
        vintages that share no period compared nothing: that has not passed."""
        return bool(self.periods) and not self.failing and not self.rows_removed and not self.unreadable

    def kind_counts(self) -> dict[str, int]:
        """Cells changed, per kind, every kind in REVISION_KINDS order (0 where none)."""
        counts = dict.fromkeys(REVISION_KINDS, 0)
        for cell in self.cells:
            counts[cell.kind] = counts.get(cell.kind, 0) + 1
        return counts

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
            "boundary": [b.to_dict() for b in self.boundary],
            "kind_counts": self.kind_counts(),
            "column_kinds": dict(self.column_kinds),
            "renamed": {"columns": dict(self.renamed_columns), "values": {k: dict(v) for k, v in self.renamed_values.items()}},
            "stats": [s.to_dict() for s in self.stats],
            "tolerance": _plain(self.tolerance),
            "notes": list(self.notes),
            "unreadable": [{"file": f, "line": n, "column": c, "text": t} for f, n, c, t in self.unreadable],
            **({"earlier": [v.to_dict() for v in self.earlier]} if self.earlier else {}),
            **({"triangle": self.triangle.to_dict()["triangle"], "triangle_stats": self.triangle.to_dict()["stats"],
                "triangle_notes": self.triangle.to_dict()["notes"]} if self.triangle is not None else {}),
            "passed": self.passed,
        }


def _interval(value: tuple[float, float] | None) -> list[float | int | None] | None:
    if value is None:
        return None
    low, high = value
    return [json_number(low), None if high == float("inf") else json_number(high)]


def _plain(node: Any) -> Any:
    return {str(k): _plain(v) for k, v in node.items()} if isinstance(node, Mapping) else node
