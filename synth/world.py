"""The synthetic 'truth': children who died, with the social-care facts each source would see.

Magnitudes follow ../shared/domain/README.md: ~3,500 child deaths a year (NCMD), ~550 of them
known to social care at death (CIN RC2 in scope), 40-60 looked-after deaths, ~60 abuse or
neglect deaths (NCMD category 1), ~170 deaths notified to the CSPRP.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..domain.periods import financial_year

STATUS_WEIGHTS = {
    "LAC": 48,
    "CPP": 55,
    "CIN": 350,
    "OTHER_KNOWN": 97,
    "PREVIOUS": 400,
    "UNKNOWN": 20,
    "NEVER": 2530,
}
DEATHS_PER_YEAR = sum(STATUS_WEIGHTS.values())
ABUSE_NEGLECT_PER_YEAR = 60
SUSPECTED_NOT_CATEGORY_1_PER_YEAR = 65
UNBORN_RC2_PER_YEAR = 250
ADULT_RC2_PER_YEAR = 200
SERIOUS_HARM_SINS_PER_YEAR = 230


@dataclass
class Death:
    child_id: str
    la_code: str  # ONS
    old_la_code: str
    sex: str  # M/F
    date_of_birth: dt.date
    date_of_death: dt.date
    status: str
    primary_category: str  # "" while the review is open
    abuse_neglect: str  # known / suspected / not_suspected (CSPRP wording)
    notify_csprp: bool
    shares_child_id: bool
    sin_id: str = ""  # the CSPRP notification's id, once notified


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day from start to end, both included."""
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def age_days(rng: random.Random) -> int:
    """62% of child deaths are infants; the rest spread over 1-17."""
    if rng.random() < 0.62:
        return rng.randint(0, 364)
    return rng.randint(365, 18 * 365 - 10)


def build_deaths(
    rng: random.Random, end_year: int, las: list[tuple[str, str]], serial: list[int], weights: Sequence[float] | None = None
) -> list[Death]:
    """One year's child deaths in national proportions; serial[0] numbers people across years.

    Each death is in an LA chosen uniformly, or by `weights` (each LA's share of England's children) when given.
    """
    year = financial_year(end_year)
    cumulative = list(itertools.accumulate(weights)) if weights is not None else None
    statuses = [s for s, weight in STATUS_WEIGHTS.items() for _ in range(weight)]
    rng.shuffle(statuses)
    deaths: list[Death] = []
    for status in statuses:
        serial[0] += 1
        old, ons = rng.choice(las) if cumulative is None else rng.choices(las, cum_weights=cumulative)[0]
        died = random_date(rng, year.start, year.end)
        days = age_days(rng)
        if status == "LAC":
            days = rng.randint(30, 18 * 365 - 10)  # looked-after deaths skew older
        born = died - dt.timedelta(days=days)
        # Never born after death; a birthday on the death date stays under 18.
        deaths.append(
            Death(
                child_id=f"P{serial[0]:07d}",
                la_code=ons,
                old_la_code=old,
                sex=rng.choice("MF"),
                date_of_birth=born,
                date_of_death=died,
                status=status,
                primary_category=str(rng.choice((3, 4, 5, 6, 7, 8, 9, 10, 2))),
                abuse_neglect="not_suspected",
                notify_csprp=status == "LAC",
                shares_child_id=rng.random() < 0.9,
            )
        )
    for death in rng.sample(deaths, ABUSE_NEGLECT_PER_YEAR):
        death.primary_category = "1"
        death.abuse_neglect = rng.choice(("known", "suspected"))
        death.notify_csprp = True
    others = [d for d in deaths if d.primary_category != "1"]
    for death in rng.sample(others, SUSPECTED_NOT_CATEGORY_1_PER_YEAR):
        death.abuse_neglect = "suspected"
        death.notify_csprp = True
    for death in rng.sample([d for d in others if not d.notify_csprp], len(deaths) // 10):
        death.primary_category = ""  # review still open
    return deaths
