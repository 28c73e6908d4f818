"""Deaths one source has and the other lacks, sorted by what linkage finds in the other source's whole extract.

A death the measure's count in the other source lacks is one of three things:
- recorded there under another status or measure (the relation's count tolerance covers these);
- recorded there in another period (a period shift);
- absent from it altogether: a discrepancy whatever the count tolerance says (the measure's `missing:`).
Only the side the relation expects to be contained is sorted: for `a == b` both, for `a >= b` b's deaths.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..domain.geography import ENGLAND
from ..domain.periods import Period, period_key
from ..model.reconciliation import MissingDeaths, Unmatched
from .linkage import LEFT, RIGHT, link
from .measures import CompareSpec, Measure

NOTE = "note"


def contained_sides(spec: CompareSpec, left: str, right: str) -> list[tuple[str, str, str]]:
    """(side of the Unmatched, source, the source that should also have its deaths) for each side sorted."""
    sides = {"==": [("only_left", left, right), ("only_right", right, left)],
             ">=": [("only_right", right, left)],
             "<=": [("only_left", left, right)]}  # fmt: skip
    return sides[spec.relation]


def missing_deaths(measure: Measure, spec: CompareSpec, left: str, right: str, compared: dict[str, pd.DataFrame],
                   whole: dict[str, pd.DataFrame], anywhere: dict[str, pd.DataFrame], links: Sequence[Unmatched],
                   days: int) -> list[MissingDeaths]:  # fmt: skip
    """`compared`: each side's harmonised records of the measure, as linked; `whole`: each side's every death record,
    in the geography both cover (where a death counted under another status or period would be); `anywhere`: each
    side's every death record (where a death recorded under another LA would be)."""
    out: list[MissingDeaths] = []
    for side, source, other in contained_sides(spec, left, right):
        placeless = anywhere[other].assign(la_code=None)  # once per side, not per period
        for found in links:
            ids = getattr(found, side)
            if not ids:
                continue
            records = compared[source]
            unmatched = records.loc[records["record_id"].astype(str).isin(ids)]
            out += _sorted(measure, Period.from_iso(found.period), source, other, unmatched, whole[other], placeless, days)
    return out


def _sorted(measure: Measure, period: Period, source: str, other: str, unmatched: pd.DataFrame, elsewhere: pd.DataFrame,
            placeless: pd.DataFrame, days: int) -> list[MissingDeaths]:  # fmt: skip
    links = link(unmatched, elsewhere, death_date_days=days)
    kind = pd.Series("absent", index=unmatched.index, dtype=object)
    if len(links.pairs):
        found_at = pd.Series(elsewhere.loc[links.pairs[RIGHT], "date_of_death"].to_numpy(), dtype="datetime64[s]")
        if measure.period_kind == "explicit":
            same_period = period.contains(found_at).to_numpy()
        else:
            own = pd.Series(unmatched.loc[links.pairs[LEFT], "date_of_death"].to_numpy(), dtype="datetime64[s]")
            same_period = (period_key(measure.period_kind, own) == period_key(measure.period_kind, found_at)).to_numpy()
        kind.loc[links.pairs[LEFT].to_numpy()] = np.where(same_period, "other_status", "other_period")
    absent = kind == "absent"
    if absent.any():  # linked once more with no LA: the other source may place the child elsewhere (out of area)
        elsewhere_la = link(unmatched.loc[absent].assign(la_code=None), placeless, death_date_days=days)
        kind.loc[elsewhere_la.pairs[LEFT].to_numpy()] = "other_la"
    places = unmatched["la_code"].astype(object).where(unmatched["la_code"].notna(), ENGLAND)
    out = []
    for (geography, what), group in unmatched.groupby([places, kind], sort=True):
        severity = measure.missing if what == "absent" else NOTE
        ids = tuple(sorted(group["record_id"].astype(str)))
        out.append(MissingDeaths(measure.id, period.iso, period.label, str(geography), source, other, str(what), ids, severity))
    return out
