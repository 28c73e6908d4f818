"""Writing the sample out: every source's files, DfE's published figure, the release.yaml that
runs the release gate over them, and manifest.json.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..domain.geography import ENGLAND
from ..schemas import ssda903
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
    out_dir: Path, spec: SynthSpec, tables: Tables, manifest: Manifest, discrepancies: list[dict[str, str]]
) -> dict[str, Any]:
    """Write every file and return the manifest document (also written as manifest.json)."""
    files = _write_sources(out_dir, spec, tables, manifest)
    files["published"] = [_write_published(out_dir, tables.episodes)]
    _write_release_config(out_dir, spec)
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
