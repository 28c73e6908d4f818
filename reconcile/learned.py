"""Learned tolerances (issue 25): a compare with `tolerance: learned` allows, for each series key, the difference its
earlier releases in the run history have shown, instead of a hand-set number.

The allowed difference is a robust band of the past differences (left - right, the latest period of each earlier
release): |median| + z x sigma, where sigma is 1.4826 x the median absolute deviation (the normal-consistent MAD), or
1.2533 x the mean absolute deviation where the MAD is 0 (Iglewicz and Hoaglin's fallback: most past differences
equal, a few not), and z the normal quantile of the band's two-sided level (3.09 at 0.998). Its floor is the
rounding: half the widest past difference's interval (two figures rounded to 10 differ by up to about 10 whatever
the truth). For `==` the band is symmetric about 0, as every tolerance is (domain/tolerance.py): a series that always
differs by 3 allows 3, and 4 only if the past has varied. For `>=` and `<=` it is the shortfall the past allows: a
series always 10 above its partner allows no shortfall at all.

While the history holds fewer than `min_points` earlier releases of the series, the declared tolerance applies (the
compare's or measure's `{abs, rel}`, else exact), and the comparison says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import norm

from ..domain.geography import level_of, place_code
from ..domain.identity import SeriesKey
from ..domain.intervals import Interval
from ..model.memory import Memory
from .measures import CompareSpec, Measure

ToleranceAt = Callable[[str], dict[str, Any]]  # a place -> the tolerance its comparison applies

DECLARED, LEARNED = "declared", "learned"  # where a comparison's tolerance came from (its JSON `origin`)
MAD_TO_SIGMA, MEAN_AD_TO_SIGMA = 1.4826, 1.2533  # consistency constants for a normal distribution


def learned_abs(differences: Sequence[Interval], level: float, relation: str = "==") -> float:
    """The allowed gap learned from past differences (left - right, each an interval; finite ones only): for `==`
    |centre| + z x sigma; for a one-sided relation the shortfall the past allows (`>=`: how far left has fallen
    below right, z x sigma - centre; `<=`: centre + z x sigma), never below 0. Then the rounding floor."""
    mids = np.array([d.midpoint for d in differences], dtype=float)
    half_widths = np.array([(d.high - d.low) / 2 for d in differences], dtype=float)
    centre = float(np.median(mids))
    spread = np.abs(mids - centre)
    mad = float(np.median(spread))
    sigma = MAD_TO_SIGMA * mad if mad > 0 else MEAN_AD_TO_SIGMA * float(np.mean(spread))
    z = float(norm.ppf(0.5 + level / 2))
    spread_allowed = z * sigma
    allowed = {">=": spread_allowed - centre, "<=": centre + spread_allowed}.get(relation, abs(centre) + spread_allowed)
    return max(allowed, 0.0, float(half_widths.max(initial=0.0)))


def tolerance_used(declared: Mapping[str, float], *, origin: str = DECLARED, points: int | None = None,
                   note: str = "") -> dict[str, Any]:  # fmt: skip
    """A comparison's `tolerance` in results.json: `{abs, rel, origin, points}` (and `note` when learning fell back)."""
    return {"abs": float(declared.get("abs", 0.0)), "rel": float(declared.get("rel", 0.0)), "origin": origin,
            "points": points, **({"note": note} if note else {})}  # fmt: skip


def tolerance_for(spec: CompareSpec, level: str, series: SeriesKey, memory: Memory | None) -> dict[str, Any]:
    """The tolerance a comparison of this series applies at this geographic level: the declared one, or the learned one
    where the compare says `learned` and the history holds enough earlier releases (else the declared one, with a note)."""
    declared = spec.tolerances[level]
    if spec.learned is None:
        return tolerance_used(declared)
    past = [d for _, d in (memory.past_differences(series) if memory is not None else ()) if _finite(d)]
    if len(past) < spec.learned.min_points:
        held = f"{len(past)} earlier release" + ("" if len(past) == 1 else "s")
        note = (f"learned tolerance: the run history holds {held} of this series that passed or were acknowledged, "
                f"fewer than {spec.learned.min_points}; the declared tolerance applies")  # fmt: skip
        return tolerance_used(declared, points=len(past), note=note)
    return tolerance_used({"abs": round(learned_abs(past, spec.learned.level, spec.relation), 2)}, origin=LEARNED, points=len(past))


def _finite(difference: Interval) -> bool:
    return math.isfinite(difference.low) and math.isfinite(difference.high)


def pair_tolerances(measure: Measure, spec: CompareSpec, source_ids: Mapping[str, str],
                memory: Memory | None) -> Callable[[str, str], ToleranceAt]:  # fmt: skip
    """(left, right) -> each place's tolerance: declared, or learned from the series' earlier releases."""

    def pair(left: str, right: str) -> ToleranceAt:
        def at(geography: str) -> dict[str, Any]:
            series = SeriesKey(measure.id, place_code(geography), source_ids.get(left, left), source_ids.get(right, right))
            return tolerance_for(spec, level_of(geography), series, memory)

        return at

    return pair
