"""`triangulate synth`: realistic synthetic data for all four sources plus a manifest of defects.

Every defect is injected on a record made for it, so the manifest says exactly which
(check id, record id) pairs the checks must report, and that no other record is flagged.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.geography import la_lookup
from .world import (
    ADULT_RC2_PER_YEAR,
    SERIOUS_HARM_SINS_PER_YEAR,
    UNBORN_RC2_PER_YEAR,
    Death,
    build_deaths,
    financial_year,
    random_date,
)
from .writers import CinChild, CinEpisode, write_cin_file, write_csv, write_xlsx

NCMD_COLUMNS = (
    "ncmd_case_id", "child_id", "la_code", "sex", "ethnicity", "date_of_birth", "date_of_death",
    "death_notified_date", "review_completed_date", "primary_category", "social_care_status", "modifiable_factors",
)  # fmt: skip
CSPRP_COLUMNS = (
    "sin_id", "child_id", "la_code", "incident_date", "notification_date", "date_of_birth", "age_years", "sex",
    "ethnicity", "nature", "review_nature", "looked_after", "cpp", "cin", "abuse_neglect", "likely_cause",
)  # fmt: skip
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB", "LA")
EPISODE_COLUMNS = (
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
)  # fmt: skip
IN_NEED_AT_DEATH = ("LAC", "CPP", "CIN", "OTHER_KNOWN")
DEFECTS_PER_CHECK = 2


@dataclass(frozen=True)
class SynthSpec:
    seed: int = 1
    years: int = 3
    last_year: int = 2023
    children_per_year: int = 20_000
    xlsx: bool = True
    defects: bool = True
    looked_after_per_year: int | None = None  # living looked-after children; default a tenth of CIN (national ~110,000)


def iso(day: dt.date) -> str:
    return day.isoformat()


def uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


class _Manifest:
    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []

    def add(self, source: str, check: str, record_id: str, kind: str = "defect") -> None:
        self.entries.append({"source": source, "check": check, "record_id": record_id, "kind": kind})


def write_synthetic(out_dir: Path, spec: SynthSpec) -> dict[str, Any]:
    rng = random.Random(spec.seed)
    out_dir = Path(out_dir)
    lookup = la_lookup()
    las = list(zip(lookup["old_la_code"], lookup["new_la_code"], strict=True))
    manifest = _Manifest()
    serial = [0]
    end_years = list(range(spec.last_year - spec.years + 1, spec.last_year + 1))
    reference_date = dt.date(spec.last_year, 3, 31)

    cin_by_file: dict[tuple[int, str], list[CinChild]] = defaultdict(list)
    header_rows: list[list[str]] = []
    episode_rows: list[list[str]] = []
    ncmd_rows: list[list[str]] = []
    csprp_rows: list[list[str]] = []
    deaths_all: list[Death] = []
    looked_after_rows: list[tuple[Death, list[str], list[str], list[str] | None]] = []  # death, episode, ncmd, sin

    for end_year in end_years:
        start, end = financial_year(end_year)
        sex_element = "GenderCurrent" if end_year <= 2024 else "Sex"

        def sex_code(sex: str, *, element: str = sex_element) -> str:
            if element == "GenderCurrent":
                return {"M": "1", "F": "2", "U": "0"}[sex]
            return sex

        deaths = build_deaths(rng, end_year, las, serial)
        shifted_child = None
        if spec.defects and end_year == spec.last_year:
            # Cross-source discrepancy: NCMD dates this death 1 April, the DfE return 31 March.
            shifted = next(d for d in deaths if d.status == "LAC" and d.date_of_birth < start - dt.timedelta(days=30))
            shifted.date_of_death, shifted_child = start, shifted.child_id
        deaths_all += deaths
        for death in deaths:
            la_child_id = "C" + death.child_id[1:]
            if death.status in IN_NEED_AT_DEATH:
                referral = max(death.date_of_death - dt.timedelta(days=rng.randint(1, 400)), death.date_of_birth)
                plan = (iso(referral), None) if death.status == "CPP" else None
                cin_by_file[(end_year, death.old_la_code)].append(
                    CinChild(
                        la_child_id,
                        sex_element,
                        sex_code(death.sex),
                        iso(death.date_of_birth),
                        death=iso(death.date_of_death),
                        episodes=[CinEpisode(iso(referral), iso(death.date_of_death), "RC2", plan)],
                    )
                )
            ncmd_rows.append(_ncmd_row(rng, death))
            if death.notify_csprp:
                csprp_rows.append(_csprp_death_row(rng, death, len(csprp_rows)))
            if death.status == "LAC":
                dfe_death = death.date_of_death - dt.timedelta(days=1 if death.child_id == shifted_child else 0)
                started = max(dfe_death - dt.timedelta(days=rng.randint(1, 900)), death.date_of_birth)
                header_rows.append(
                    [la_child_id, {"M": "1", "F": "2"}[death.sex], uk(death.date_of_birth), "WBRI", "", "", "", death.old_la_code]
                )
                episode_rows.append([la_child_id, uk(started), "S", "C2", "N1", "U1", "PR1", uk(dfe_death), "E2", "", "", "", ""])
                if end_year == spec.last_year:
                    sin_row = csprp_rows[-1] if death.notify_csprp else None
                    looked_after_rows.append((death, episode_rows[-1], ncmd_rows[-1], sin_row))

        for index in range(UNBORN_RC2_PER_YEAR):
            old, _ = rng.choice(las)
            expected = random_date(rng, start, end)
            lost = expected - dt.timedelta(days=rng.randint(1, 150))
            lost = max(lost, start)
            child_id = f"U{end_year}{index:05d}"
            referral = lost - dt.timedelta(days=rng.randint(1, 120))
            cin_by_file[(end_year, old)].append(
                CinChild(
                    child_id,
                    sex_element,
                    sex_code("U"),
                    None,
                    iso(expected),
                    iso(lost),
                    [CinEpisode(iso(referral), iso(lost), "RC2")],
                )
            )
            manifest.add("cin", "unborn.death", child_id, "scope")
        for index in range(ADULT_RC2_PER_YEAR):
            old, _ = rng.choice(las)
            died = random_date(rng, start, end)
            born = died - dt.timedelta(days=rng.randint(18 * 366, 24 * 365))
            child_id = f"A{end_year}{index:05d}"
            sex = rng.choice("MF")
            cin_by_file[(end_year, old)].append(
                CinChild(
                    child_id,
                    sex_element,
                    sex_code(sex),
                    iso(born),
                    None,
                    iso(died),
                    [CinEpisode(iso(died - dt.timedelta(days=200)), iso(died), "RC2")],
                )
            )
            manifest.add("cin", "age.over_17", child_id, "scope")

        per_la = max(1, spec.children_per_year // len(las))
        for old, _ in las:
            bucket = cin_by_file[(end_year, old)]
            for index in range(per_la):
                born = start - dt.timedelta(days=rng.randint(1, 17 * 365))
                referral = random_date(rng, max(start, born), end)
                reason = rng.choice((None, None, "RC7", "RC8", "RC9", "RC4"))
                closure = iso(random_date(rng, referral, end)) if reason else None
                plan = (iso(referral), None) if rng.random() < 0.1 and reason is None else None
                bucket.append(
                    CinChild(
                        f"L{end_year}{old}{index:06d}",
                        sex_element,
                        sex_code(rng.choice("MF")),
                        iso(born),
                        None,
                        None,
                        [CinEpisode(iso(referral), closure, reason, plan)],
                    )
                )
            looked_after = spec.looked_after_per_year if spec.looked_after_per_year is not None else spec.children_per_year // 10
            for index in range(max(1, looked_after // len(las))):
                child = f"K{end_year}{old}{index:05d}"
                born = start - dt.timedelta(days=rng.randint(1, 17 * 365))
                header_rows.append([child, rng.choice("12"), uk(born), "WBRI", "", "", "", old])
                episode_rows.append(
                    [child, uk(random_date(rng, start, end)), "S", "C2", "N1", "U1", "PR1", "", "", "", "", "", ""]
                )

        for index in range(SERIOUS_HARM_SINS_PER_YEAR):
            _, ons = rng.choice(las)
            incident = random_date(rng, start, end)
            born = incident - dt.timedelta(days=rng.randint(30, 17 * 365))
            csprp_rows.append(
                [f"SIN{len(csprp_rows) + 1:06d}", f"H{end_year}{index:05d}", ons, iso(incident), iso(incident + dt.timedelta(days=3)),
                 iso(born), "", rng.choice("MF"), "WBRI", "serious_harm", "serious_harm", "never", "current", "current", "suspected", ""]
            )  # fmt: skip

    discrepancies: list[dict[str, str]] = []
    if spec.defects:
        discrepancies = _inject_discrepancies(rng, spec.last_year, looked_after_rows, ncmd_rows, csprp_rows)
        _inject_defects(
            rng, las, spec.last_year, reference_date, cin_by_file, header_rows, episode_rows, ncmd_rows, csprp_rows, manifest
        )

    files = _write_all(out_dir, spec, cin_by_file, header_rows, episode_rows, ncmd_rows, csprp_rows, manifest)
    document = {
        "seed": spec.seed,
        "years": end_years,
        "reference_date": iso(reference_date),
        "counts": {
            "cin_children": sum(len(children) for children in cin_by_file.values()),
            "ssda903_children": len(header_rows),
            "ncmd_deaths": len(ncmd_rows),
            "csprp_notifications": len(csprp_rows),
            "defects": sum(1 for e in manifest.entries if e["kind"] == "defect"),
            "scope": sum(1 for e in manifest.entries if e["kind"] == "scope"),
        },
        "files": files,
        "defects": manifest.entries,
        "discrepancies": discrepancies,
    }
    (out_dir / "manifest.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def _inject_discrepancies(
    rng: random.Random,
    year: int,
    looked_after: list[tuple[Death, list[str], list[str], list[str] | None]],
    ncmd_rows: list[list[str]],
    csprp_rows: list[list[str]],
) -> list[dict[str, str]]:
    """Cross-source discrepancies that reconciliation must find and explain."""
    start, _ = financial_year(year)
    missing = rng.choice([row for row in looked_after if row[0].date_of_death != start])
    shifted = next(row for row in looked_after if row[0].date_of_death == start)
    ncmd_rows.remove(missing[2])
    born = start + dt.timedelta(days=40) - dt.timedelta(days=3000)
    incident = start + dt.timedelta(days=40)
    extra = f"SIN{len(csprp_rows) + 1:06d}"
    csprp_rows.append(
        [extra, "", "E09000001", iso(incident), iso(incident + dt.timedelta(days=2)), iso(born), "", "F", "WBRI",
         "death", "death", "current", "never", "never", "not_suspected", "medical_cause"]
    )  # fmt: skip
    return [
        {"measure": "lac_deaths", "kind": "missing_from_ncmd", "source": "ssda903", "record_id": "C" + missing[0].child_id[1:]},
        {"measure": "lac_deaths", "kind": "period_shift", "source": "ssda903", "record_id": "C" + shifted[0].child_id[1:]},
        {"measure": "lac_deaths", "kind": "extra_csprp", "source": "csprp", "record_id": extra},
    ]


def _ncmd_row(rng: random.Random, death: Death) -> list[str]:
    reviewed = iso(death.date_of_death + dt.timedelta(days=rng.randint(60, 300))) if death.primary_category else ""
    return [
        f"N{death.child_id[1:]}",
        death.child_id if death.shares_child_id else "",
        death.la_code,
        death.sex,
        "WBRI",
        iso(death.date_of_birth),
        iso(death.date_of_death),
        iso(death.date_of_death + dt.timedelta(days=rng.randint(0, 5))),
        reviewed,
        death.primary_category,
        death.status,
        rng.choice("YNU") if death.primary_category else "",
    ]


def _csprp_death_row(rng: random.Random, death: Death, count: int) -> list[str]:
    fmt = uk if rng.random() < 0.3 else iso
    by_age = rng.random() < 0.1
    age = (
        death.date_of_death.year
        - death.date_of_birth.year
        - ((death.date_of_death.month, death.date_of_death.day) < (death.date_of_birth.month, death.date_of_birth.day))
    )
    return [
        f"SIN{count + 1:06d}",
        death.child_id if death.shares_child_id else "",
        death.la_code,
        fmt(death.date_of_death),
        fmt(death.date_of_death + dt.timedelta(days=rng.randint(1, 5))),
        "" if by_age else fmt(death.date_of_birth),
        str(age) if by_age else "",
        death.sex,
        "WBRI",
        "death",
        "death",
        "current" if death.status == "LAC" else "never",
        "current" if death.status == "CPP" else "never",
        "current" if death.status == "CIN" else "never",
        death.abuse_neglect,
        "medical_cause"
        if death.abuse_neglect == "not_suspected"
        else rng.choice(("child_homicide_intrafamilial", "unexplained_sudi_sudc", "death_from_extreme_neglect")),
    ]


def _inject_defects(
    rng: random.Random,
    las: list[tuple[str, str]],
    year: int,
    reference_date: dt.date,
    cin_by_file: dict[tuple[int, str], list[CinChild]],
    header_rows: list[list[str]],
    episode_rows: list[list[str]],
    ncmd_rows: list[list[str]],
    csprp_rows: list[list[str]],
    manifest: _Manifest,
) -> None:
    """Each defect on a record made for it: the manifest lists exactly what must be found."""
    start, end = financial_year(year)
    sex_element = "GenderCurrent" if year <= 2024 else "Sex"
    sex = "1" if sex_element == "GenderCurrent" else "M"
    born, died = iso(dt.date(year - 5, 6, 1)), iso(start + dt.timedelta(days=100))
    after = iso(reference_date + dt.timedelta(days=20))
    for n in range(DEFECTS_PER_CHECK):
        old, ons = rng.choice(las)
        bucket = cin_by_file[(year, old)]
        tag = f"{n + 1}"
        ep = CinEpisode(iso(start), died, "RC2")
        bucket.append(
            CinChild(
                f"XCIN-NEG-{tag}",
                sex_element,
                sex,
                iso(dt.date(year, 2, 1)),
                None,
                iso(start + dt.timedelta(days=30)),
                [CinEpisode(iso(start), iso(start + dt.timedelta(days=30)), "RC2")],
            )
        )
        manifest.add("cin", "age.negative", f"XCIN-NEG-{tag}")
        bucket.append(CinChild(f"XCIN-NODATE-{tag}", sex_element, sex, born, None, None, [ep]))
        manifest.add("cin", "death.missing_date", f"XCIN-NODATE-{tag}")
        bucket.append(CinChild(f"XCIN-NOREASON-{tag}", sex_element, sex, born, None, died, [CinEpisode(iso(start), died, "RC7")]))
        manifest.add("cin", "death.date_without_reason", f"XCIN-NOREASON-{tag}")
        bucket.append(CinChild(f"XCIN-LATE-{tag}", sex_element, sex, born, None, after, [CinEpisode(iso(start), after, "RC2")]))
        manifest.add("cin", "death.after_reference_date", f"XCIN-LATE-{tag}")
        bucket.append(CinChild(None, sex_element, sex, born, None, None, [CinEpisode(iso(start))]))
        manifest.add("cin", "missing.LAchildID", f"@cin_{year}_{old}.xml:{len(bucket) - 1}")
        bucket.append(CinChild(f"XCIN-NOSEX-{tag}", sex_element, None, born, None, None, [CinEpisode(iso(start))]))
        manifest.add("cin", "missing.sex", f"XCIN-NOSEX-{tag}")
        bucket.append(CinChild(f"XCIN-NODOB-{tag}", sex_element, sex, None, None, None, [CinEpisode(iso(start))]))
        manifest.add("cin", "missing.birth_date", f"XCIN-NODOB-{tag}")
        bucket.append(CinChild(f"XCIN-NOREF-{tag}", sex_element, sex, born, None, None, [CinEpisode(None)]))
        manifest.add("cin", "missing.CINreferralDate", f"XCIN-NOREF-{tag}")
        for _ in range(2):
            bucket.append(CinChild(f"XCIN-DUP-{tag}", sex_element, sex, born, None, None, [CinEpisode(iso(start))]))
        manifest.add("cin", "duplicate.record", f"XCIN-DUP-{tag}")
        bucket.append(
            CinChild(f"XCIN-BADDATE-{tag}", sex_element, sex, f"{year - 3}-02-30", None, None, [CinEpisode(iso(start))])
        )
        manifest.add("cin", "date.unparseable", f"XCIN-BADDATE-{tag}")

        def lac(child: str, sex_code: str, dob: str, decom: str, dec: str, rec: str, old: str = old) -> None:
            header_rows.append([child, sex_code, dob, "WBRI", "", "", "", old])
            episode_rows.append([child, decom, "S", "C2", "N1", "U1", "PR1", dec, rec, "", "", "", ""])

        d_start, d_died, d_born = uk(start), uk(start + dt.timedelta(days=100)), uk(dt.date(year - 5, 6, 1))
        lac(f"X903-NOSEX-{tag}", "", d_born, d_start, "", "")
        manifest.add("ssda903", "missing.SEX", f"X903-NOSEX-{tag}")
        lac(f"X903-NODOB-{tag}", "1", "", d_start, "", "")
        manifest.add("ssda903", "missing.DOB", f"X903-NODOB-{tag}")
        lac(f"X903-NODECOM-{tag}", "1", d_born, "", "", "")
        manifest.add("ssda903", "missing.DECOM", f"X903-NODECOM-{tag}")
        lac(f"X903-NODEC-{tag}", "2", d_born, d_start, "", "E2")
        manifest.add("ssda903", "death.missing_date", f"X903-NODEC-{tag}")
        lac(f"X903-NEG-{tag}", "2", uk(end), d_start, d_died, "E2")
        manifest.add("ssda903", "age.negative", f"X903-NEG-{tag}")
        lac(f"X903-ADULT-{tag}", "2", uk(dt.date(year - 19, 1, 1)), d_start, d_died, "E2")
        manifest.add("ssda903", "age.over_17", f"X903-ADULT-{tag}")
        lac(f"X903-LATE-{tag}", "1", d_born, d_start, uk(reference_date + dt.timedelta(days=9)), "E2")
        manifest.add("ssda903", "death.after_reference_date", f"X903-LATE-{tag}")
        lac(f"X903-BADDATE-{tag}", "1", d_born, f"31/02/{year - 1}", "", "")
        manifest.add("ssda903", "date.unparseable", f"X903-BADDATE-{tag}")
        lac(f"X903-DUP-{tag}", "1", d_born, d_start, "", "")
        header_rows.append([f"X903-DUP-{tag}", "1", d_born, "WBRI", "", "", "", old])
        manifest.add("ssda903", "duplicate.record", f"X903-DUP-{tag}")

        def ncmd(case: str, ons: str = ons, **changes: str) -> None:
            row = dict(
                zip(NCMD_COLUMNS, [case, f"XP-{case}", ons, "F", "WBRI", born, died, died, "", "", "NEVER", ""], strict=True)
            )
            row.update(changes)
            ncmd_rows.append([row[c] for c in NCMD_COLUMNS])

        for column in ("la_code", "sex", "date_of_birth"):
            ncmd(f"XN-NO{column}-{tag}", **{column: ""})
            manifest.add("ncmd", f"missing.{column}", f"XN-NO{column}-{tag}")
        ncmd(f"XN-NODOD-{tag}", date_of_death="")
        manifest.add("ncmd", "missing.date_of_death", f"XN-NODOD-{tag}")
        manifest.add("ncmd", "death.missing_date", f"XN-NODOD-{tag}")
        ncmd(f"XN-ADULT-{tag}", date_of_birth=iso(dt.date(year - 20, 1, 1)))
        manifest.add("ncmd", "age.over_17", f"XN-ADULT-{tag}")
        ncmd(f"XN-NEG-{tag}", date_of_birth=iso(end))
        manifest.add("ncmd", "age.negative", f"XN-NEG-{tag}")
        ncmd(f"XN-LATE-{tag}", date_of_death=after)
        manifest.add("ncmd", "death.after_reference_date", f"XN-LATE-{tag}")
        ncmd(f"XN-BADDATE-{tag}", date_of_birth=f"{year - 2}-13-01")
        manifest.add("ncmd", "date.unparseable", f"XN-BADDATE-{tag}")
        ncmd(f"XN-DUP-{tag}")
        ncmd(f"XN-DUP-{tag}", child_id=f"XP-XN-DUP-{tag}-twin")
        manifest.add("ncmd", "duplicate.record", f"XN-DUP-{tag}")
        ncmd(f"XN-TWICE-A-{tag}", child_id=f"XP-TWICE-{tag}")
        ncmd(f"XN-TWICE-B-{tag}", child_id=f"XP-TWICE-{tag}")
        manifest.add("ncmd", "duplicate.record", f"XN-TWICE-A-{tag}")
        manifest.add("ncmd", "duplicate.record", f"XN-TWICE-B-{tag}")

        def sin(sin_id: str, ons: str = ons, **changes: str) -> None:
            row = dict(
                zip(
                    CSPRP_COLUMNS,
                    [
                        sin_id,
                        f"XS-{sin_id}",
                        ons,
                        died,
                        died,
                        born,
                        "",
                        "M",
                        "WBRI",
                        "death",
                        "death",
                        "never",
                        "never",
                        "never",
                        "suspected",
                        "unclear",
                    ],
                    strict=True,
                )
            )
            row.update(changes)
            csprp_rows.append([row[c] for c in CSPRP_COLUMNS])

        for column in ("la_code", "sex"):
            sin(f"XS-NO{column}-{tag}", **{column: ""})
            manifest.add("csprp", f"missing.{column}", f"XS-NO{column}-{tag}")
        sin(f"XS-NODOB-{tag}", date_of_birth="")
        manifest.add("csprp", "missing.date_of_birth", f"XS-NODOB-{tag}")
        sin(f"XS-NODATE-{tag}", incident_date="")
        manifest.add("csprp", "missing.incident_date", f"XS-NODATE-{tag}")
        manifest.add("csprp", "death.missing_date", f"XS-NODATE-{tag}")
        sin(f"XS-ADULT-{tag}", date_of_birth=uk(dt.date(year - 19, 1, 1)))
        manifest.add("csprp", "age.over_17", f"XS-ADULT-{tag}")
        sin(f"XS-NEG-{tag}", date_of_birth=iso(end))
        manifest.add("csprp", "age.negative", f"XS-NEG-{tag}")
        sin(f"XS-LATE-{tag}", incident_date=after, notification_date=after)
        manifest.add("csprp", "death.after_reference_date", f"XS-LATE-{tag}")
        sin(f"XS-BADDATE-{tag}", notification_date="2/30/2022")
        manifest.add("csprp", "date.unparseable", f"XS-BADDATE-{tag}")
        sin(f"XS-DUP-{tag}", nature="serious_harm", review_nature="serious_harm")
        sin(f"XS-DUP-{tag}", nature="serious_harm", review_nature="serious_harm", child_id=f"XS-other-{tag}")
        manifest.add("csprp", "duplicate.record", f"XS-DUP-{tag}")


def _write_all(
    out_dir: Path,
    spec: SynthSpec,
    cin_by_file: dict[tuple[int, str], list[CinChild]],
    header_rows: list[list[str]],
    episode_rows: list[list[str]],
    ncmd_rows: list[list[str]],
    csprp_rows: list[list[str]],
    manifest: _Manifest,
) -> dict[str, list[str]]:
    cin_files: list[str] = []
    for (end_year, lea), children in sorted(cin_by_file.items()):
        name = f"cin_{end_year}_{lea}.xml"
        relative = f"cin/{end_year}/{name}"
        write_cin_file(out_dir / relative, lea, f"{end_year}-03-31", children)
        cin_files.append(relative)
        # Children without an id are named by file and line: resolve the placeholders now.
        for entry in manifest.entries:
            if entry["record_id"].startswith(f"@{name}:"):
                position = int(entry["record_id"].rsplit(":", 1)[1])
                entry["record_id"] = f"{name}:{children[position].detail_lines[0]}"
    write_csv(out_dir / "ssda903/header.csv", HEADER_COLUMNS, header_rows)
    write_csv(out_dir / "ssda903/episodes.csv", EPISODE_COLUMNS, episode_rows)
    write_csv(out_dir / "ncmd/ncmd_deaths.csv", NCMD_COLUMNS, ncmd_rows)
    write_csv(out_dir / "csprp/sins.csv", CSPRP_COLUMNS, csprp_rows)
    files = {
        "cin": cin_files,
        "ssda903": ["ssda903/header.csv", "ssda903/episodes.csv"],
        "ncmd": ["ncmd/ncmd_deaths.csv"],
        "csprp": ["csprp/sins.csv"],
    }
    if spec.xlsx:
        write_xlsx(out_dir / "ncmd/ncmd_deaths.xlsx", NCMD_COLUMNS, ncmd_rows)
        files["ncmd_xlsx"] = ["ncmd/ncmd_deaths.xlsx"]
    files["published"] = [_write_published(out_dir, episode_rows)]
    _write_release_config(out_dir, spec)
    return files


def _write_published(out_dir: Path, episode_rows: list[list[str]]) -> str:
    """DfE's national 'ceased to be looked after: died' figure, rounded to the nearest 10, in EES format."""
    deaths_by_year: dict[int, int] = defaultdict(int)
    for row in episode_rows:
        if row[8] == "E2" and row[7] and not row[0].startswith("X"):
            day = dt.datetime.strptime(row[7], "%d/%m/%Y").date()
            deaths_by_year[day.year + (1 if day.month >= 4 else 0)] += 1
    rows = [
        [
            str(year),
            "Reporting year",
            "National",
            "E92000001",
            "England",
            "Reason episode ceased",
            "Died",
            str(int(round(count, -1))),
        ]
        for year, count in sorted(deaths_by_year.items())
    ]
    relative = "published/cla_ceased.csv"
    write_csv(
        out_dir / relative,
        (
            "time_period",
            "time_identifier",
            "geographic_level",
            "country_code",
            "country_name",
            "cla_group",
            "characteristic",
            "number",
        ),
        rows,
    )
    return relative


def _write_release_config(out_dir: Path, spec: SynthSpec) -> None:
    text = f"""# Written by `triangulate synth --seed {spec.seed}`: the release gate for the synthetic sample.
reference_date: {spec.last_year}-03-31
sources:
  dfe_cin: {{kind: cin, path: "cin/*/*.xml"}}
  dfe_cla: {{kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv]}}
  ncmd: {{kind: ncmd, path: ncmd/ncmd_deaths.csv}}
  csprp: {{kind: csprp, path: csprp/sins.csv}}
  dfe_pub: {{kind: published, path: published/cla_ceased.csv}}
measures: default
linkage: {{death_date_days: 7}}
"""
    (out_dir / "release.yaml").write_text(text, encoding="utf-8")
