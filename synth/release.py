"""Writing the sample out: every source's files, DfE's published figure, the release.yaml that
runs the release gate over them, and manifest.json.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..domain.geography import ENGLAND
from ..schemas import ssda903
from .area import Area, area_counts, financial_year_label, ncmd_case_id
from .defects import is_defect_record
from .manifest import Manifest
from .records import CSPRP_COLUMNS, EPISODE_COLUMNS, HEADER_COLUMNS, NCMD_COLUMNS, Row, Tables, cin_file_name, iso
from .spec import SynthSpec
from .writers import write_cin_file, write_csv, write_xlsx

PUBLISHED_COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "cla_group",
    "characteristic",
    "number",
)
ENGLAND_CODE = "E92000001"


def write_release(
    out_dir: Path,
    spec: SynthSpec,
    tables: Tables,
    manifest: Manifest,
    discrepancies: list[dict[str, str]],
    known: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write every file and return the manifest document (also written as manifest.json).

    `known`, for one LA's release: its `area`, every one of its `deaths` as each source holds them, and the
    `neighbours` (other LAs' deaths its NCMD extract holds). Such a release has no published table (DfE's is national).
    """
    files = _write_sources(out_dir, spec, tables, manifest)
    if known is None:
        files["published"] = [_write_published(out_dir, tables.episodes)]
        _write_release_config(out_dir, spec)
    else:
        _write_la_release_config(out_dir, spec, known["area"])
    document = {
        "seed": spec.seed,
        "years": spec.end_years,
        "reference_date": iso(spec.reference_date),
        "counts": {
            "cin_children": sum(len(children) for children in tables.cin.values()),
            "ssda903_children": len(tables.header),
            "ncmd_deaths": len(tables.ncmd),
            "csprp_notifications": len(tables.csprp),
            "defects": manifest.count("defect"),
            "scope": manifest.count("scope"),
        },
        "files": files,
        "defects": manifest.entries,
        "discrepancies": discrepancies,
    }
    if known is not None:
        document["la"] = _la_section(known)
    (out_dir / "manifest.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def _write_sources(out_dir: Path, spec: SynthSpec, tables: Tables, manifest: Manifest) -> dict[str, list[str]]:
    """The four sources in their real formats; returns each source's files, relative to out_dir."""
    cin_files: list[str] = []
    for (end_year, lea), children in sorted(tables.cin.items()):
        name = cin_file_name(end_year, lea)
        relative = f"cin/{end_year}/{name}"
        write_cin_file(out_dir / relative, lea, f"{end_year}-03-31", children)
        cin_files.append(relative)
        manifest.name_by_line(name, children)
    _write_rows(out_dir / "ssda903/header.csv", HEADER_COLUMNS, tables.header)
    _write_rows(out_dir / "ssda903/episodes.csv", EPISODE_COLUMNS, tables.episodes)
    _write_rows(out_dir / "ncmd/ncmd_deaths.csv", NCMD_COLUMNS, tables.ncmd)
    _write_rows(out_dir / "csprp/sins.csv", CSPRP_COLUMNS, tables.csprp)
    files = {
        "cin": cin_files,
        "ssda903": ["ssda903/header.csv", "ssda903/episodes.csv"],
        "ncmd": ["ncmd/ncmd_deaths.csv"],
        "csprp": ["csprp/sins.csv"],
    }
    if spec.xlsx:
        write_xlsx(out_dir / "ncmd/ncmd_deaths.xlsx", NCMD_COLUMNS, _in_order(NCMD_COLUMNS, tables.ncmd))
        files["ncmd_xlsx"] = ["ncmd/ncmd_deaths.xlsx"]
    return files


def _in_order(columns: Sequence[str], rows: list[Row]) -> Iterator[list[str]]:
    """Rows as the schema orders its columns; a column a row does not set is blank.

    Made one at a time as the writer takes them, so no copy of a whole table is held.
    """
    return ([row.get(column, "") for column in columns] for row in rows)


def _write_rows(path: Path, columns: Sequence[str], rows: list[Row]) -> None:
    write_csv(path, columns, _in_order(columns, rows))


def _write_published(out_dir: Path, episodes: list[Row]) -> str:
    """DfE's national 'ceased to be looked after: died' figure, rounded to the nearest 10, in EES format.

    It counts the returns' deaths without the defect records, as DfE publishes after cleaning.
    """
    deaths_by_year: dict[int, int] = defaultdict(int)
    for episode in episodes:
        if episode["REC"] == ssda903.DIED and episode["DEC"] and not is_defect_record(episode["CHILD"]):
            day = dt.datetime.strptime(episode["DEC"], "%d/%m/%Y").date()
            deaths_by_year[day.year + (1 if day.month >= 4 else 0)] += 1  # the financial year it ends
    rows = [
        [str(year), "Reporting year", "National", ENGLAND_CODE, ENGLAND, "Reason episode ceased", "Died", str(round(count, -1))]
        for year, count in sorted(deaths_by_year.items())
    ]
    relative = "published/cla_ceased.csv"
    write_csv(out_dir / relative, PUBLISHED_COLUMNS, rows)
    return relative


def _write_release_config(out_dir: Path, spec: SynthSpec) -> None:
    """The run config of the release gate over this sample (`triangulate run release.yaml`)."""
    text = f"""# Written by `triangulate synth --seed {spec.seed}`: the release gate for the synthetic sample.
reference_date: {spec.last_year}-03-31
sources:
  dfe_cin: {{kind: cin, path: "cin/*/*.xml"}}
  dfe_cla: {{kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv]}}
  ncmd: {{kind: ncmd, path: ncmd/ncmd_deaths.csv}}
  csprp: {{kind: csprp, path: csprp/sins.csv}}
  dfe_pub: {{kind: published, path: published/cla_ceased.csv, rounding: {{national: 10, regional: 10, local authority: 1}}}}
measures: default
linkage: {{death_date_days: 7}}
"""
    (out_dir / "release.yaml").write_text(text, encoding="utf-8")


def _la_section(known: Mapping[str, Any]) -> dict[str, Any]:
    """The truth of one LA's release: the LA, its deaths per year by source, and the other LAs' deaths NCMD holds.

    `deaths` lists each of the LA's deaths with its id in every source that holds it (`dfe_child_id` is the
    census's LAchildID and the SSDA903 CHILD; `ncmd_case_id` is null where a discrepancy removed it from NCMD).
    """
    area: Area = known["area"]
    return {
        **area.to_dict(),
        "counts": area_counts(known["deaths"]),
        "deaths": list(known["deaths"]),
        "neighbour_deaths": [
            {
                "ncmd_case_id": ncmd_case_id(death),
                "la_code": death.la_code,
                "financial_year": financial_year_label(death.date_of_death),
                "status": death.status,
            }
            for death in known["neighbours"]
        ],
    }


def _write_la_release_config(out_dir: Path, spec: SynthSpec, area: Area) -> None:
    """One LA's run config: the census says whose it is; the SSDA903 return and the CSPRP extract are declared the LA's.

    Every record source but the census (whose headers say which year it is) declares the years it covers, so a year
    in which it has no death is a true zero, compared as 0.
    """
    first, last = spec.end_years[0], spec.last_year
    covers = f"coverage: {{from: {first - 1}-04-01, to: {last}-03-31}}"
    text = f"""# Written by `triangulate synth --la {area.old} --seed {spec.seed}`: the release gate for {area.name}'s synthetic data.
# The census header's LEA says whose census it is. The SSDA903 return and the CSPRP notifications are the LA's own
# (la_code), so they are compared for the LA only; the NCMD extract is the area's and also holds a few deaths in
# neighbouring LAs, which are compared with nothing of this LA's. Each extract covers the years generated.
reference_date: {last}-03-31
sources:
  dfe_cin: {{kind: cin, path: "cin/*/*.xml"}}
  dfe_cla: {{kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv], la_code: {area.ons}, {covers}}}
  ncmd: {{kind: ncmd, path: ncmd/ncmd_deaths.csv, {covers}}}
  csprp: {{kind: csprp, path: csprp/sins.csv, la_code: {area.ons}, {covers}}}
measures: default
linkage: {{death_date_days: 7}}
"""
    (out_dir / "release.yaml").write_text(text, encoding="utf-8")
