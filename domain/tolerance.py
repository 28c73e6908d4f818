"""THE tolerance rule (issue 23): how far apart two figures may be and still be taken for the same.

A gap is within a tolerance when it is at most the larger of its absolute part and its relative part times a scale;
a gap equal to that is within, anything more is beyond. What the gap and the scale are is each caller's:

- two sources compared (model/reconciliation.py `status_of`): the gap is how far the difference of the two (per
  12 months) intervals is from meeting the relation, the scale the larger of their midpoints;
- a published table revised between two vintages (reconcile/revisions.py): |new - old| against |old|;
- a published figure between two runs (history/diff.py): how far either end of its interval moved, an end that
  appears or disappears being infinitely far (`Tolerance.ends_moved_beyond`).

The relative part is tested both as gap <= rel x scale and as gap / scale <= rel, so that a gap exactly at a tolerance
written in decimals is within whichever way the floating point rounds (0.29 x 100 is 28.999999999999996, while 29 / 100
is 0.29).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ends = tuple[float | None, float | None]  # an interval's low and high as stored; None: no such bound


@dataclass(frozen=True)
class Tolerance:
    abs: float = 0.0
    rel: float = 0.0

    @classmethod
    def of(cls, mapping: Mapping[str, float] | None) -> Tolerance:
        """From the config's `{abs, rel}` (config/measures.py `tolerance_of`); a part not given is 0."""
        mapping = mapping or {}
        return cls(float(mapping.get("abs", 0.0)), float(mapping.get("rel", 0.0)))

    def allowed(self, scale: float) -> float:
        """The largest gap within the tolerance at this scale (max ignores a NaN product: an unbounded scale with no
        relative part allows abs)."""
        return max(self.abs, self.rel * abs(scale))

    def exceeded_by(self, gap: float, scale: float = 0.0) -> bool:
        """Whether a gap is beyond the tolerance at this scale (both magnitudes): beyond abs, beyond rel x scale, and
        beyond rel as a share of the scale (a scale of 0 or unbounded has none). A gap equal to `allowed` is within; a
        NaN gap is never beyond. In plain floats, as status_of calls it once per comparison."""
        gap, scale = abs(gap), abs(scale)
        return gap > self.abs and not gap <= self.rel * scale and not (0 < scale < math.inf and gap / scale <= self.rel)

    def exceeded(self, gaps: npt.ArrayLike, scales: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """`exceeded_by` of each gap at its scale: the same three clauses, on arrays."""
        gap, scale = np.abs(np.asarray(gaps, dtype=float)), np.abs(np.asarray(scales, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(np.isfinite(scale), gap / scale, np.nan)  # a scale of 0 or unbounded: no share is within
        return (gap > self.abs) & ~(gap <= self.rel * scale) & ~(share <= self.rel)

    def ends_moved_beyond(self, old: Ends, new: Ends) -> bool:
        """Whether an interval's ends moved by more than the tolerance between two runs: `ends_moved`, at the scale of
        the old interval's larger finite end (the relative part is measured against the old figure, as a revision's)."""
        scale = max((x for x in old if x is not None and math.isfinite(x)), default=0.0)
        return self.exceeded_by(ends_moved(old, new), scale)


def ends_moved(old: Ends, new: Ends) -> float:
    """How far an interval's ends moved, the farther of the two; an end that appears or disappears (no bound, not
    available) moved infinitely far."""
    moved = 0.0
    for x, y in zip(old, new, strict=True):
        if (x is None) != (y is None):
            return math.inf
        if x is not None and y is not None:
            moved = max(moved, abs(x - y))
    return moved
