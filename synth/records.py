"""How a record looks in each source: date formats, sex codes, ids and the rows of each extract.

Rows are held by column name and written in the schemas' column order, so the schemas stay the
one place that says which columns each extract has.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from ..domain.definitions import SEX_NUMBERS
from ..schemas import csprp, ncmd, ssda903
from .world import Death
from .writers import CinChild

Row = dict[str, str]  # one extract row by column name; a column left out is written blank

NCMD_COLUMNS = ncmd.SPEC.columns
CSPRP_COLUMNS = csprp.SPEC.columns
HEADER_COLUMNS = (*ssda903.HEADER.columns, ssda903.LA_COLUMN)  # a multi-LA extract names each child's LA
EPISODE_COLUMNS = ssda903.EPISODES.columns
ETHNICITY = "WBRI"  # every synthetic child has the same ethnicity: no check looks at it


def iso(day: dt.date) -> str:
    return day.isoformat()


def uk(day: dt.date) -> str:
    """DD/MM/YYYY, as SSDA903 returns (and some CSPRP rows) write dates."""
    return day.strftime("%d/%m/%Y")


def cin_sex_element(end_year: int) -> str:
    """The CIN census recorded GenderCurrent (numeric codes) until 2023-24 and Sex (letters) after."""
    return "GenderCurrent" if end_year <= 2024 else "Sex"


def cin_sex(sex: str, element: str) -> str:
    """A sex (M, F or U) in the code the census year's element uses."""
    return SEX_NUMBERS[sex] if element == "GenderCurrent" else sex


def la_child_id(death: Death) -> str:
    """The LA's own id for a child, as the DfE returns carry it: not the id NCMD and CSPRP share."""
    return "C" + death.child_id[1:]


def cin_file_name(end_year: int, lea: str) -> str:
    """One LA's census return for one year."""
    return f"cin_{end_year}_{lea}.xml"


def completed_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass
class Tables:
    """Every record synth writes, file by file, in the order written."""

    cin: defaultdict[tuple[int, str], list[CinChild]] = field(default_factory=lambda: defaultdict(list))  # (year, LEA)
    header: list[Row] = field(default_factory=list)
    episodes: list[Row] = field(default_factory=list)
    ncmd: list[Row] = field(default_factory=list)
    csprp: list[Row] = field(default_factory=list)

    def next_sin_id(self) -> str:
        """CSPRP notifications are numbered in the order they are added."""
        return f"SIN{len(self.csprp) + 1:06d}"

    def add_looked_after(self, child: str, sex: str, dob: str, lea: str, decom: str, dec: str = "", rec: str = "") -> None:
        """One SSDA903 child: a header row and a single episode in the same placement."""
        self.header.append({"CHILD": child, "SEX": sex, "DOB": dob, "ETHNIC": ETHNICITY, ssda903.LA_COLUMN: lea})
        self.episodes.append(
            {
                "CHILD": child,
                "DECOM": decom,
                "RNE": "S",
                "LS": "C2",
                "CIN": "N1",
                "PLACE": "U1",
                "PLACE_PROVIDER": "PR1",
                "DEC": dec,
                "REC": rec,
            }
        )


def ncmd_death_row(rng: random.Random, death: Death) -> Row:
    """A death as NCMD records it; an open review has no category, completion date or factors yet."""
    reviewed = iso(death.date_of_death + dt.timedelta(days=rng.randint(60, 300))) if death.primary_category else ""
    return {
        "ncmd_case_id": f"N{death.child_id[1:]}",
        "child_id": death.child_id if death.shares_child_id else "",
        "la_code": death.la_code,
        "sex": death.sex,
        "ethnicity": ETHNICITY,
        "date_of_birth": iso(death.date_of_birth),
        "date_of_death": iso(death.date_of_death),
        "death_notified_date": iso(death.date_of_death + dt.timedelta(days=rng.randint(0, 5))),
        "review_completed_date": reviewed,
        "primary_category": death.primary_category,
        "social_care_status": death.status,
        "modifiable_factors": rng.choice("YNU") if death.primary_category else "",
    }


def csprp_death_row(rng: random.Random, death: Death, sin_id: str) -> Row:
    """A death notified to the CSPRP: some rows write UK dates, some give an age instead of a birth date."""
    fmt = uk if rng.random() < 0.3 else iso
    by_age = rng.random() < 0.1
    age = completed_years(death.date_of_birth, death.date_of_death)
    notified = death.date_of_death + dt.timedelta(days=rng.randint(1, 5))
    return {
        "sin_id": sin_id,
        "child_id": death.child_id if death.shares_child_id else "",
        "la_code": death.la_code,
        "incident_date": fmt(death.date_of_death),
        "notification_date": fmt(notified),
        "date_of_birth": "" if by_age else fmt(death.date_of_birth),
        "age_years": str(age) if by_age else "",
        "sex": death.sex,
        "ethnicity": ETHNICITY,
        "nature": csprp.DEATH,
        "review_nature": csprp.DEATH,
        "looked_after": "current" if death.status == "LAC" else "never",
        "cpp": "current" if death.status == "CPP" else "never",
        "cin": "current" if death.status == "CIN" else "never",
        "abuse_neglect": death.abuse_neglect,
        "likely_cause": "medical_cause"
        if death.abuse_neglect == "not_suspected"
        else rng.choice(("child_homicide_intrafamilial", "unexplained_sudi_sudc", "death_from_extreme_neglect")),
    }
