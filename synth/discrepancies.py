"""Cross-source discrepancies in the looked-after deaths of the last year, which reconciliation
must find and explain: a death dated across the year end, one missing from NCMD, one extra in CSPRP.
"""

from __future__ import annotations

import datetime as dt
import random

from ..domain.periods import Period, financial_year
from ..schemas import csprp
from .population import LookedAfterDeath
from .records import ETHNICITY, Tables, iso, la_child_id
from .world import Death

EXTRA_CSPRP_LA = "E09000001"  # City of London: any LA will do


def shift_to_year_start(deaths: list[Death], year: Period) -> str:
    """NCMD dates one looked-after death 1 April, the DfE return 31 March; returns its child_id.

    The child must be over a month old, so the day earlier is still after birth.
    """
    shifted = next(d for d in deaths if d.status == "LAC" and d.date_of_birth < year.start - dt.timedelta(days=30))
    shifted.date_of_death = year.start
    return shifted.child_id


def add_discrepancies(
    rng: random.Random, end_year: int, looked_after: list[LookedAfterDeath], tables: Tables, extra_la: str = EXTRA_CSPRP_LA
) -> list[dict[str, str]]:
    """Drop one looked-after death from NCMD and add a CSPRP death no DfE return has (in extra_la); list all three."""
    start = financial_year(end_year).start
    missing = rng.choice([lac for lac in looked_after if lac.death.date_of_death != start])
    shifted = next(lac for lac in looked_after if lac.death.date_of_death == start)
    tables.ncmd.remove(missing.ncmd_row)
    extra = tables.next_sin_id()
    tables.csprp.append(_unmatched_csprp_death(extra, start + dt.timedelta(days=40), extra_la))
    return [
        {"measure": "lac_deaths", "kind": "missing_from_ncmd", "source": "ssda903", "record_id": la_child_id(missing.death)},
        {"measure": "lac_deaths", "kind": "period_shift", "source": "ssda903", "record_id": la_child_id(shifted.death)},
        {"measure": "lac_deaths", "kind": "extra_csprp", "source": "csprp", "record_id": extra},
    ]


def _unmatched_csprp_death(sin_id: str, incident: dt.date, la_code: str) -> dict[str, str]:
    """A looked-after child's death notified to the CSPRP, with no child_id to link it by."""
    return {
        "sin_id": sin_id,
        "la_code": la_code,
        "incident_date": iso(incident),
        "notification_date": iso(incident + dt.timedelta(days=2)),
        "date_of_birth": iso(incident - dt.timedelta(days=3000)),
        "sex": "F",
        "ethnicity": ETHNICITY,
        "nature": csprp.DEATH,
        "review_nature": csprp.DEATH,
        "looked_after": "current",
        "cpp": "never",
        "cin": "never",
        "abuse_neglect": "not_suspected",
        "likely_cause": "medical_cause",
    }
