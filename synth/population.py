"""Each year's records: the deaths as every source sees them, the CIN deaths the checks must
leave out of scope, and the living children and serious-harm notifications around them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ..domain.definitions import KNOWN_TO_SOCIAL_CARE_AT_DEATH, SEX_NUMBERS
from ..domain.periods import Period, financial_year
from ..schemas import cin, ssda903
from .manifest import Manifest
from .records import (
    ETHNICITY,
    Row,
    Tables,
    cin_sex,
    cin_sex_element,
    csprp_death_row,
    iso,
    la_child_id,
    ncmd_death_row,
    uk,
)
from .spec import SynthSpec
from .world import ADULT_RC2_PER_YEAR, SERIOUS_HARM_SINS_PER_YEAR, UNBORN_RC2_PER_YEAR, Death, random_date
from .writers import CinChild, CinEpisode

LIVING_CLOSURES = (None, None, "RC7", "RC8", "RC9", "RC4")  # a third of living children's cases are closed


@dataclass(frozen=True)
class LookedAfterDeath:
    """A looked-after child's death and its NCMD row, which a discrepancy may remove."""

    death: Death
    ncmd_row: Row


def add_deaths(
    rng: random.Random, tables: Tables, end_year: int, deaths: list[Death], shifted_child: str | None
) -> list[LookedAfterDeath]:
    """Every death in NCMD, the notified ones in CSPRP, and those known to social care in the DfE returns."""
    element = cin_sex_element(end_year)
    looked_after: list[LookedAfterDeath] = []
    for death in deaths:
        if death.status in KNOWN_TO_SOCIAL_CARE_AT_DEATH:
            tables.cin[(end_year, death.old_la_code)].append(_cin_death(rng, death, element))
        ncmd_row = ncmd_death_row(rng, death)
        tables.ncmd.append(ncmd_row)
        if death.notify_csprp:
            death.sin_id = tables.next_sin_id()
            tables.csprp.append(csprp_death_row(rng, death, death.sin_id))
        if death.status == "LAC":
            _add_looked_after_death(rng, tables, death, shifted=death.child_id == shifted_child)
            looked_after.append(LookedAfterDeath(death, ncmd_row))
    return looked_after


def _cin_death(rng: random.Random, death: Death, element: str) -> CinChild:
    """The child's last CIN episode, closed RC2 on the day they died (a CPP if on a plan)."""
    referral = max(death.date_of_death - dt.timedelta(days=rng.randint(1, 400)), death.date_of_birth)
    plan = (iso(referral), None) if death.status == "CPP" else None
    return CinChild(
        la_child_id(death),
        element,
        cin_sex(death.sex, element),
        iso(death.date_of_birth),
        death=iso(death.date_of_death),
        episodes=[CinEpisode(iso(referral), iso(death.date_of_death), cin.DIED, plan)],
    )


def _add_looked_after_death(rng: random.Random, tables: Tables, death: Death, shifted: bool) -> None:
    """The SSDA903 episode that ceased E2; a shifted death is returned a day early, in the year before."""
    dfe_death = death.date_of_death - dt.timedelta(days=1 if shifted else 0)
    started = max(dfe_death - dt.timedelta(days=rng.randint(1, 900)), death.date_of_birth)
    tables.add_looked_after(
        la_child_id(death),
        SEX_NUMBERS[death.sex],
        uk(death.date_of_birth),
        death.old_la_code,
        uk(started),
        uk(dfe_death),
        ssda903.DIED,
    )


def add_out_of_scope_deaths(
    rng: random.Random, tables: Tables, manifest: Manifest, end_year: int, las: list[tuple[str, str]]
) -> None:
    """RC2 closures that are not child deaths: unborn children lost, and adults still open to CIN."""
    year = financial_year(end_year)
    element = cin_sex_element(end_year)
    for index in range(UNBORN_RC2_PER_YEAR):
        old, _ = rng.choice(las)
        expected = random_date(rng, year.start, year.end)
        lost = max(expected - dt.timedelta(days=rng.randint(1, 150)), year.start)
        referral = lost - dt.timedelta(days=rng.randint(1, 120))
        child_id = f"U{end_year}{index:05d}"
        episode = CinEpisode(iso(referral), iso(lost), cin.DIED)
        tables.cin[(end_year, old)].append(
            CinChild(child_id, element, cin_sex("U", element), None, iso(expected), iso(lost), [episode])
        )
        manifest.add("cin", "unborn.death", child_id, "scope")
    for index in range(ADULT_RC2_PER_YEAR):
        old, _ = rng.choice(las)
        died = random_date(rng, year.start, year.end)
        born = died - dt.timedelta(days=rng.randint(18 * 366, 24 * 365))
        child_id = f"A{end_year}{index:05d}"
        sex = cin_sex(rng.choice("MF"), element)
        episode = CinEpisode(iso(died - dt.timedelta(days=200)), iso(died), cin.DIED)
        tables.cin[(end_year, old)].append(CinChild(child_id, element, sex, iso(born), None, iso(died), [episode]))
        manifest.add("cin", "age.over_17", child_id, "scope")


def add_living_children(rng: random.Random, tables: Tables, spec: SynthSpec, end_year: int, las: list[tuple[str, str]]) -> None:
    """The children in need and looked after who did not die: the bulk of every return."""
    year = financial_year(end_year)
    element = cin_sex_element(end_year)
    in_need = max(1, spec.children_per_year // len(las))
    looked_after = max(1, spec.living_looked_after // len(las))
    for old, _ in las:
        bucket = tables.cin[(end_year, old)]
        for index in range(in_need):
            bucket.append(_living_child_in_need(rng, year, element, f"L{end_year}{old}{index:06d}"))
        for index in range(looked_after):
            born = year.start - dt.timedelta(days=rng.randint(1, 17 * 365))
            sex = SEX_NUMBERS[rng.choice("MF")]
            started = random_date(rng, year.start, year.end)
            tables.add_looked_after(f"K{end_year}{old}{index:05d}", sex, uk(born), old, uk(started))


def _living_child_in_need(rng: random.Random, year: Period, element: str, child_id: str) -> CinChild:
    """One CIN episode referred this year, perhaps closed for a reason other than death, perhaps with a plan."""
    born = year.start - dt.timedelta(days=rng.randint(1, 17 * 365))
    referral = random_date(rng, max(year.start, born), year.end)
    reason = rng.choice(LIVING_CLOSURES)
    closure = iso(random_date(rng, referral, year.end)) if reason else None
    plan = (iso(referral), None) if rng.random() < 0.1 and reason is None else None
    sex = cin_sex(rng.choice("MF"), element)
    return CinChild(child_id, element, sex, iso(born), None, None, [CinEpisode(iso(referral), closure, reason, plan)])


def add_serious_harm(rng: random.Random, tables: Tables, end_year: int, las: list[tuple[str, str]]) -> None:
    """CSPRP notifications of serious harm, not death: the death measures must not count them."""
    year = financial_year(end_year)
    for index in range(SERIOUS_HARM_SINS_PER_YEAR):
        _, ons = rng.choice(las)
        incident = random_date(rng, year.start, year.end)
        born = incident - dt.timedelta(days=rng.randint(30, 17 * 365))
        tables.csprp.append(
            {
                "sin_id": tables.next_sin_id(),
                "child_id": f"H{end_year}{index:05d}",
                "la_code": ons,
                "incident_date": iso(incident),
                "notification_date": iso(incident + dt.timedelta(days=3)),
                "date_of_birth": iso(born),
                "sex": rng.choice("MF"),
                "ethnicity": ETHNICITY,
                "nature": "serious_harm",
                "review_nature": "serious_harm",
                "looked_after": "never",
                "cpp": "current",
                "cin": "current",
                "abuse_neglect": "suspected",
            }
        )
