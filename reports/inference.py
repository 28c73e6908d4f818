"""What a reader can work out from what an output shows: the values a comparison's status leaves possible for a
withheld side, and which withheld figures a set of equations fixes. reports/suppression.py decides what to withhold
from these."""

from __future__ import annotations

import numpy as np

from ..domain.intervals import Interval
from ..domain.periods import Period
from ..domain.status import Status
from ..model.reconciliation import Comparison, compared_pair, status_of
from .disclosure import Cell, is_small


def status_narrows(c: Comparison, hidden: int) -> bool:
    """Whether the comparison's status tells a reader more of its hidden side than `c` does: fewer of 1 to 5 stay
    possible, or (for a figure withheld to protect others, whatever its value) the status bounds it on both sides."""
    values = (c.left_value, c.right_value)
    if is_small(values[hidden].low):
        possible = [v for v in range(1, 6) if _status_if(c, hidden, v) == c.status]
        return len(possible) < 5
    return c.status == Status.WITHIN_TOLERANCE or (c.status == Status.AGREE and c.relation == "==")


def _status_if(c: Comparison, hidden: int, value: int) -> str:
    """The comparison's status had its hidden side been `value` (per 12 months where the periods differ in length)."""
    shown = (Interval.exact(value), c.right_value) if hidden == 0 else (c.left_value, Interval.exact(value))
    left, right = compared_pair(*shown, Period.from_iso(c.left_period).months, Period.from_iso(c.right_period).months)  # type: ignore[arg-type]
    return status_of(left - right, left, right, c.relation, c.tolerance)


def determined(matrix: np.ndarray, cells: list[Cell]) -> list[Cell]:
    """The unknowns whose value the equations fix: e_j in the row space, i.e. its projection onto it is 1."""
    _, singular, basis = np.linalg.svd(matrix, full_matrices=False)
    rank = int((singular > 1e-9 * max(float(singular.max(initial=0.0)), 1.0)).sum())
    weight = (basis[:rank] ** 2).sum(axis=0)
    return [cells[j] for j in np.flatnonzero(weight > 1 - 1e-9)]
