"""What kind of figure an EES indicator column holds: a count, a rate (or percentage), or a denominator.

One definition, read by the revisions (which revision matters, which tolerance applies) and by the rename suggestions
(a rate is never mapped to a count). By name here; by the cells too in domain/cells.py `column_kind` (a column with
decimals is a rate).
"""

from __future__ import annotations

import re

COUNT, RATE, DENOMINATOR = "count", "rate", "denominator"
COLUMN_KINDS = (COUNT, RATE, DENOMINATOR)
CONFIG_NAMES = {"counts": COUNT, "rates": RATE, "denominators": DENOMINATOR}  # `tolerance: {counts: ..., rates: ...}`

# THE definition of a rate's name (domain/cells.py reads it too): a rate, ratio, percentage or average, as a word of
# the name: `rate_per_10000`, `per10k`, DfE's `pt_` and `pc_` percentages, `average_age`.
RATE_NAME = re.compile(
    r"(?:^|[_\s-])(?:rates?|percent(?:age)?s?|pct|pt|pc|proportion|ratio|average|mean|median|per)(?=[_\s-]|\d|$)", re.I
)
_DENOMINATOR_NAME = re.compile(r"(?:^|_)(?:population|denominator|pop)(?:_|$)", re.I)


def kind_by_name(name: str) -> str | None:
    """A column's kind as its name says it (`rate_per_10000`, `population_estimate`), else None."""
    if _DENOMINATOR_NAME.search(name):
        return DENOMINATOR
    if RATE_NAME.search(name):
        return RATE
    return None
