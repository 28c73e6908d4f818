"""Injected defects: each on a record made for it, so the manifest lists exactly what the checks must
report. Every defect record's id starts with "X", which keeps it out of the published counts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ..domain.definitions import SEX_NUMBERS
from ..domain.periods import Period, financial_year
from ..schemas import cin, csprp, ssda903
from .manifest import Manifest
from .records import ETHNICITY, Tables, cin_file_name, cin_sex, cin_sex_element, iso, uk
from .writers import CinChild, CinEpisode

DEFECTS_PER_CHECK = 2
DEFECT_ID_PREFIX = "X"


def is_defect_record(record_id: str) -> bool:
    return record_id.startswith(DEFECT_ID_PREFIX)


@dataclass(frozen=True)
class _Round:
    """What one round of defect records shares: a year, an LA and ordinary dates each defect changes."""

    year: int
    tag: str  # tells the rounds' record ids apart
    old: str  # the LA's DfE code
    ons: str  # the same LA's ONS code
    reference_date: dt.date

    @property
    def period(self) -> Period:
        return financial_year(self.year)

    @property
    def born(self) -> dt.date:
        return dt.date(self.year - 5, 6, 1)

    @property
    def died(self) -> dt.date:
        return self.period.start + dt.timedelta(days=100)

    @property
    def after(self) -> dt.date:
        """A death date past the reference date: reported before it happened."""
        return self.reference_date + dt.timedelta(days=20)


def inject_defects(
    rng: random.Random, las: list[tuple[str, str]], year: int, reference_date: dt.date, tables: Tables, manifest: Manifest
) -> None:
    """DEFECTS_PER_CHECK records for every check, in each source, for the last year."""
    for n in range(DEFECTS_PER_CHECK):
        old, ons = rng.choice(las)
        defects = _Round(year, f"{n + 1}", old, ons, reference_date)
        _cin_defects(defects, tables.cin[(year, old)], manifest)
        _ssda903_defects(defects, tables, manifest)
        _ncmd_defects(defects, tables, manifest)
        _csprp_defects(defects, tables, manifest)


def _cin_defects(defects: _Round, bucket: list[CinChild], manifest: Manifest) -> None:
    element = cin_sex_element(defects.year)
    start, died, after, tag = iso(defects.period.start), iso(defects.died), iso(defects.after), defects.tag
    male = cin_sex("M", element)

    def add(
        check: str,
        child_id: str,
        *,
        sex: str | None = male,
        birth: str | None = iso(defects.born),
        death: str | None = None,
        episode: CinEpisode | None = None,
    ) -> None:
        """A child with one episode, open since the year started unless another is given."""
        bucket.append(CinChild(child_id, element, sex, birth, None, death, [episode or CinEpisode(start)]))
        manifest.add("cin", check, child_id)

    month_old = iso(defects.period.start + dt.timedelta(days=30))
    born_after_death = iso(dt.date(defects.year, 2, 1))
    add(
        "age.negative", f"XCIN-NEG-{tag}", birth=born_after_death, death=month_old, episode=CinEpisode(start, month_old, cin.DIED)
    )
    add("death.missing_date", f"XCIN-NODATE-{tag}", episode=CinEpisode(start, died, cin.DIED))
    add("death.date_without_reason", f"XCIN-NOREASON-{tag}", death=died, episode=CinEpisode(start, died, "RC7"))
    add("death.after_reference_date", f"XCIN-LATE-{tag}", death=after, episode=CinEpisode(start, after, cin.DIED))
    bucket.append(CinChild(None, element, male, iso(defects.born), None, None, [CinEpisode(start)]))
    manifest.add_unnamed_cin("missing.LAchildID", cin_file_name(defects.year, defects.old), len(bucket) - 1)
    add("missing.sex", f"XCIN-NOSEX-{tag}", sex=None)
    add("missing.birth_date", f"XCIN-NODOB-{tag}", birth=None)
    add("missing.CINreferralDate", f"XCIN-NOREF-{tag}", episode=CinEpisode(None))
    bucket.append(CinChild(f"XCIN-DUP-{tag}", element, male, iso(defects.born), None, None, [CinEpisode(start)]))  # and again:
    add("duplicate.record", f"XCIN-DUP-{tag}")
    add("date.unparseable", f"XCIN-BADDATE-{tag}", birth=f"{defects.year - 3}-02-30")


def _ssda903_defects(defects: _Round, tables: Tables, manifest: Manifest) -> None:
    start, died, tag = uk(defects.period.start), uk(defects.died), defects.tag
    male, female = SEX_NUMBERS["M"], SEX_NUMBERS["F"]

    def add(
        check: str, child: str, *, sex: str = male, dob: str = uk(defects.born), decom: str = start, dec: str = "", rec: str = ""
    ) -> None:
        """A looked-after child in one episode, still open unless it ceased (DEC, REC)."""
        tables.add_looked_after(child, sex, dob, defects.old, decom, dec, rec)
        manifest.add("ssda903", check, child)

    add("missing.SEX", f"X903-NOSEX-{tag}", sex="")
    add("missing.DOB", f"X903-NODOB-{tag}", dob="")
    add("missing.DECOM", f"X903-NODECOM-{tag}", decom="")
    add("death.missing_date", f"X903-NODEC-{tag}", sex=female, rec=ssda903.DIED)
    add("age.negative", f"X903-NEG-{tag}", sex=female, dob=uk(defects.period.end), dec=died, rec=ssda903.DIED)
    add("age.over_17", f"X903-ADULT-{tag}", sex=female, dob=uk(dt.date(defects.year - 19, 1, 1)), dec=died, rec=ssda903.DIED)
    late = uk(defects.reference_date + dt.timedelta(days=9))
    add("death.after_reference_date", f"X903-LATE-{tag}", dec=late, rec=ssda903.DIED)
    add("date.unparseable", f"X903-BADDATE-{tag}", decom=f"31/02/{defects.year - 1}")
    add("duplicate.record", f"X903-DUP-{tag}")
    tables.header.append(dict(tables.header[-1]))  # the same child's header row twice


def _ncmd_defects(defects: _Round, tables: Tables, manifest: Manifest) -> None:
    born, died, tag = iso(defects.born), iso(defects.died), defects.tag

    def add(case: str, *checks: str, **changes: str) -> None:
        """An ordinary open-review death with the changes, reported by each check given."""
        row = {
            "ncmd_case_id": case,
            "child_id": f"XP-{case}",
            "la_code": defects.ons,
            "sex": "F",
            "ethnicity": ETHNICITY,
            "date_of_birth": born,
            "date_of_death": died,
            "death_notified_date": died,
            "social_care_status": "NEVER",
        }
        tables.ncmd.append(row | changes)
        for check in checks:
            manifest.add("ncmd", check, case)

    for column in ("la_code", "sex", "date_of_birth"):
        add(f"XN-NO{column}-{tag}", f"missing.{column}", **{column: ""})
    add(f"XN-NODOD-{tag}", "missing.date_of_death", "death.missing_date", date_of_death="")
    add(f"XN-ADULT-{tag}", "age.over_17", date_of_birth=iso(dt.date(defects.year - 20, 1, 1)))
    add(f"XN-NEG-{tag}", "age.negative", date_of_birth=iso(defects.period.end))
    add(f"XN-LATE-{tag}", "death.after_reference_date", date_of_death=iso(defects.after))
    add(f"XN-BADDATE-{tag}", "date.unparseable", date_of_birth=f"{defects.year - 2}-13-01")
    add(f"XN-DUP-{tag}")
    add(f"XN-DUP-{tag}", "duplicate.record", child_id=f"XP-XN-DUP-{tag}-twin")
    add(f"XN-TWICE-A-{tag}", child_id=f"XP-TWICE-{tag}")  # one child, two case ids: both are reported
    add(f"XN-TWICE-B-{tag}", child_id=f"XP-TWICE-{tag}")
    manifest.add("ncmd", "duplicate.record", f"XN-TWICE-A-{tag}")
    manifest.add("ncmd", "duplicate.record", f"XN-TWICE-B-{tag}")


def _csprp_defects(defects: _Round, tables: Tables, manifest: Manifest) -> None:
    born, died, after, tag = iso(defects.born), iso(defects.died), iso(defects.after), defects.tag

    def add(sin_id: str, *checks: str, **changes: str) -> None:
        """An ordinary death notification with the changes, reported by each check given."""
        row = {
            "sin_id": sin_id,
            "child_id": f"XS-{sin_id}",
            "la_code": defects.ons,
            "incident_date": died,
            "notification_date": died,
            "date_of_birth": born,
            "sex": "M",
            "ethnicity": ETHNICITY,
            "nature": csprp.DEATH,
            "review_nature": csprp.DEATH,
            "looked_after": "never",
            "cpp": "never",
            "cin": "never",
            "abuse_neglect": "suspected",
            "likely_cause": "unclear",
        }
        tables.csprp.append(row | changes)
        for check in checks:
            manifest.add("csprp", check, sin_id)

    for column in ("la_code", "sex"):
        add(f"XS-NO{column}-{tag}", f"missing.{column}", **{column: ""})
    add(f"XS-NODOB-{tag}", "missing.date_of_birth", date_of_birth="")
    add(f"XS-NODATE-{tag}", "missing.incident_date", "death.missing_date", incident_date="")
    add(f"XS-ADULT-{tag}", "age.over_17", date_of_birth=uk(dt.date(defects.year - 19, 1, 1)))
    add(f"XS-NEG-{tag}", "age.negative", date_of_birth=iso(defects.period.end))
    add(f"XS-LATE-{tag}", "death.after_reference_date", incident_date=after, notification_date=after)
    add(f"XS-BADDATE-{tag}", "date.unparseable", notification_date="2/30/2022")
    harm = {"nature": "serious_harm", "review_nature": "serious_harm"}
    add(f"XS-DUP-{tag}", **harm)
    add(f"XS-DUP-{tag}", "duplicate.record", **harm, child_id=f"XS-other-{tag}")
