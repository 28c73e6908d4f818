"""What each source kind counts as a death, in words for the report: the rule its mapper applies."""

from __future__ import annotations

from ..schemas.cin import DIED as CIN_DIED
from ..schemas.csprp import DEATH as CSPRP_DEATH
from ..schemas.ssda903 import DIED as SSDA903_DIED
from .registry import DENOMINATOR, PUBLISHED

_RULES = {
    "cin": (
        f"a CIN episode closed with reason {CIN_DIED} (died). A PersonDeathDate without an {CIN_DIED} closure is "
        "flagged (death.date_without_reason), not counted. DfE's headline counts deaths by census year; "
        "the harmonised count uses the date of death."
    ),
    "ssda903": (
        f"an episode of care that ceased with reason {SSDA903_DIED} (died), joined to the child's header row "
        "for date of birth and sex."
    ),
    "ncmd": "each row of the NCMD extract: a death reviewed by a child death overview panel, with the child's "
    "social care status at death.",
    "csprp": f"a serious incident notification whose nature is {CSPRP_DEATH}, with the social care involvement "
    "current at the incident; dated by the incident date.",
    PUBLISHED: "a figure as published; a rounded or suppressed figure stands for the interval it could be.",
    DENOMINATOR: "a population estimate, not a count of deaths.",
}


def counts_as_death(kind: str) -> str:
    """The rule for a kind; a kind registered without one says so rather than guessing."""
    return _RULES.get(kind, "as the source kind's mapper defines it (no description registered).")
