"""Record linkage behind a comparison: deaths in one source only, and deaths each source dates in a different period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..domain.geography import ENGLAND
from ..domain.periods import Period, period_key
from ..domain.status import Status
from ..model.reconciliation import Comparison, MatchedPair, Unmatched
from .linkage import LEFT, RIGHT, link
from .measures import Measure


def unmatched_records(
    measure: Measure, left: str, right: str, lr: pd.DataFrame, rr: pd.DataFrame, days: int, periods: Sequence[Period]
) -> list[Unmatched]:
    links = link(lr, rr, death_date_days=days)
    pairs = links.pairs
    left_death = pd.Series(lr.loc[pairs[LEFT], "date_of_death"].to_numpy(), dtype="datetime64[s]")
    right_death = pd.Series(rr.loc[pairs[RIGHT], "date_of_death"].to_numpy(), dtype="datetime64[s]")
    left_ids = lr.loc[pairs[LEFT], "record_id"].astype(str).to_numpy()
    right_ids = rr.loc[pairs[RIGHT], "record_id"].astype(str).to_numpy()
    linked_on = pairs["linked_on"].astype(str).to_numpy()
    # A shift is a pair whose two death dates fall in different periods of the measure's kind.
    if measure.period_kind == "explicit":
        different_period = np.ones(len(pairs), dtype=bool)
    else:
        different_period = (
            period_key(measure.period_kind, left_death) != period_key(measure.period_kind, right_death)
        ).to_numpy()
    out = []
    for period in periods:
        in_left = period.contains(left_death).to_numpy()
        in_right = period.contains(right_death).to_numpy()
        shifted = (in_left != in_right) & different_period
        only_left = lr.loc[links.only_left]
        only_right = rr.loc[links.only_right]
        out.append(
            Unmatched(
                left=left,
                right=right,
                measure=measure.id,
                period=period.iso,
                period_label=period.label,
                matched=int((in_left & in_right).sum()),
                period_shifts=tuple(
                    MatchedPair(str(a), str(b), str(on), True)
                    for a, b, on in zip(left_ids[shifted], right_ids[shifted], linked_on[shifted], strict=True)
                ),
                only_left=tuple(only_left.loc[period.contains(only_left["date_of_death"]), "record_id"].astype(str)),
                only_right=tuple(only_right.loc[period.contains(only_right["date_of_death"]), "record_id"].astype(str)),
            )
        )
    return out


def explain(comparison: Comparison, links: list[Unmatched]) -> Comparison:
    if comparison.geography != ENGLAND or comparison.status in (Status.AGREE, Status.NOT_COMPARABLE):
        return comparison
    match = next((u for u in links if u.period == comparison.period), None)
    if match is None:
        return comparison
    return replace(
        comparison,
        only_left=len(match.only_left),
        only_right=len(match.only_right),
        period_shifts=len(match.period_shifts),
    )
