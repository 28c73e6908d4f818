"""Write the seed corpus, fuzz/corpus/<harness>/: small valid inputs of every format, so each fuzzer
starts inside the reader instead of at its first refusal.

    .venv/bin/python fuzz/make_corpus.py

The seeds come from tests/data (real CIN census samples, DfE EES files) and from `triangulate synth`
(seed 1, one year, 200 children), cut to a few rows each; the run configs are written here. Every
seed is replayed by tests/test_fuzz_regressions.py, so each must pass its harness.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import tempfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(FUZZ))

from fuzzlib import FILE_SEPARATOR  # noqa: E402

CONFIGS = {
    "release.yaml": """\
# Written by `triangulate synth`, with plain paths (load_config refuses a glob that matches nothing).
reference_date: 2023-03-31
sources:
  dfe_cin: {kind: cin, path: cin/cin_2023_201.xml}
  dfe_cla: {kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv]}
  ncmd: {kind: ncmd, path: ncmd/ncmd_deaths.csv}
  csprp: {kind: csprp, path: csprp/sins.csv}
  dfe_pub: {kind: published, path: published/cla_ceased.csv, rounding: {national: 10, regional: 10, local authority: 1}}
measures: default
linkage: {death_date_days: 7}
""",
    "every_key.yaml": """\
reference_date: 2024-03-31
severity: {missing.*: warning, age.over_17: error}
sources:
  dfe_cin: {kind: cin, path: data/cin_201.xml, reference_date: 2024-03-31}
  dfe_cla: {kind: ssda903, path: [data/header.csv, data/episodes.csv], la_code: E08000032}
  ncmd:    {kind: ncmd, path: data/ncmd.xlsx, columns: {their_name: ncmd_case_id}}
  csprp:   {kind: csprp, path: data/sins.csv, severity: {missing.*: warning}}
  dfe_pub: {kind: published, path: data/cla_ceased.csv, rounding: {national: 10, regional: 10, local authority: 1},
            rates: [{rate: rate_per_10000, count: number, denominator: population_estimate, per: 10000}]}
  ncmd_pub: {kind: published, path: data/ncmd_published.csv, rounding: none}
  ons: {kind: denominator, path: "triangulate:ons_population_0_17_2012_2024.csv", value: population_estimate,
        filter: {geographic_level: National}}
measures:
  - id: lac_deaths
    title: Deaths of looked-after children
    period: financial_year
    select:
      dfe_cla: {where: {status: [LAC]}}
      ncmd: {where: {status: [LAC]}}
      csprp: {where: {status: [LAC]}}
      dfe_pub: {filter: {cla_group: "Reason episode ceased", characteristic: "Died"}, value: number}
    compare:
      - {left: csprp, right: dfe_cla, relation: ">="}
      - {left: ncmd, right: dfe_cla, relation: "==", tolerance: {abs: 2, rel: 0.1}}
      - {left: dfe_pub, right: dfe_cla, relation: "==", allow_empty: true}
  - id: cpp_deaths
    title: Deaths of children on a child protection plan
    period: financial_year
    select:
      dfe_cin: {where: {cpp_at_death: [true]}}
      ncmd: {where: {status: [CPP]}}
    compare:
      - {left: ncmd, right: dfe_cin, relation: "==", tolerance: {abs: 2, rel: 0.1}}
  - id: abuse_neglect_deaths
    title: Deaths from abuse or neglect
    select:
      ncmd: {where: {abuse_neglect: [true]}}
      csprp: {where: {abuse_neglect: [true]}}
    trend: [ncmd, csprp]
  - id: mortality_rate
    title: Deaths per 100,000 children
    select:
      ncmd_pub: {filter: {measure: "Deaths of all children"}, value: number, rate: {per: 100000, denominator: ons}}
      dfe_pub: {filter: {measure: "Deaths of all children"}, value: number, rate: {per: 100000, denominator: ons}}
    contrast: [{left: ncmd_pub, right: dfe_pub}]
linkage: {death_date_days: 7}
geographies: [england, region, local_authority]
""",
    "minimal.yaml": "sources:\n  ncmd: {kind: ncmd, path: ncmd.csv}\n",
}

# England, its regions and their LAs, so the default measure's selection and coherence have work to do.
PUBLISHED_LEVELS = """\
time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,new_la_code,la_name,cla_group,characteristic,number
2023,Reporting year,National,E92000001,England,,,,,Reason episode ceased,Died,50
2023,Reporting year,Regional,E92000001,England,E12000001,North East,,,Reason episode ceased,Died,10
2023,Reporting year,Regional,E92000001,England,E12000007,London,,,Reason episode ceased,Died,40
2023,Reporting year,Local authority,E92000001,England,E12000001,North East,E06000047,County Durham,Reason episode ceased,Died,6
2023,Reporting year,Local authority,E92000001,England,E12000001,North East,E06000005,Darlington,Reason episode ceased,Died,c
2023,Reporting year,Local authority,E92000001,England,E12000007,London,E09000001,City of London,Reason episode ceased,Died,0
2023,Reporting year,Local authority,E92000001,England,E12000007,London,E09000033,Westminster,Reason episode ceased,Died,38
2022,Financial year,National,E92000001,England,,,,,Reason episode ceased,Died,z
"""


def head(path: Path, rows: int, keep: object = None) -> bytes:
    """The header line and the first `rows` data lines (those `keep` accepts, if given)."""
    lines = path.read_bytes().splitlines(keepends=True)
    body = [line for line in lines[1:] if keep is None or keep(line)]
    return b"".join([lines[0], *body[:rows]])


def _write(harness: str, name: str, content: bytes) -> None:
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def _variants(harness: str, stem: str, table: bytes) -> None:
    """The table as written, and as other encodings and delimiters the reader accepts."""
    _write(harness, f"{stem}.csv", table)
    rows = list(csv.reader(io.StringIO(table.decode("utf-8"))))
    for label, delimiter in (("semicolon", ";"), ("tab", "\t")):
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        _write(harness, f"{stem}_{label}.csv", out.getvalue().encode("utf-8"))
    _write(harness, f"{stem}_bom.csv", b"\xef\xbb\xbf" + table)
    _write(harness, f"{stem}_utf16.csv", table.decode("utf-8").encode("utf-16"))


def _workbook(rows: list[list[str]], *, notes_first: bool) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if notes_first:
        sheet.title = "Notes"
        sheet.append(["Synthetic NCMD extract for fuzzing"])
        sheet = book.create_sheet("Deaths")
    else:
        sheet.title = "Deaths"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    from triangulate.synth import SynthSpec, write_synthetic

    shutil.rmtree(CORPUS, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="triangulate-corpus-") as folder:
        synth = Path(folder)
        write_synthetic(synth, SynthSpec(seed=1, years=1, children_per_year=200))

        for sample in sorted(DATA.glob("CIN_Census_*.xml")):
            _write("cin", sample.name, sample.read_bytes())
        with_death = [p for p in sorted((synth / "cin").rglob("*.xml")) if b"PersonDeathDate" in p.read_bytes()]
        for sample in sorted(with_death, key=lambda p: p.stat().st_size)[:2]:
            _write("cin", f"synth_{sample.name}", sample.read_bytes())

        header = head(synth / "ssda903" / "header.csv", 5)
        children = {line.split(b",")[0] for line in header.splitlines()[1:]}
        episodes = head(synth / "ssda903" / "episodes.csv", 12, lambda line: line.split(b",")[0] in children)
        _write("ssda903", "header_then_episodes.csv", header + FILE_SEPARATOR + episodes)
        _write("ssda903", "episodes_then_header.csv", episodes + FILE_SEPARATOR + header)

        ncmd = head(synth / "ncmd" / "ncmd_deaths.csv", 6)
        _variants("ncmd_csv", "ncmd_deaths", ncmd)
        rows = list(csv.reader(io.StringIO(ncmd.decode("utf-8"))))
        _write("ncmd_xlsx", "ncmd_deaths.xlsx", _workbook(rows, notes_first=False))
        _write("ncmd_xlsx", "ncmd_deaths_second_sheet.xlsx", _workbook(rows, notes_first=True))

        _variants("csprp", "sins", head(synth / "csprp" / "sins.csv", 6))

        _write("published", "synth_cla_ceased.csv", (synth / "published" / "cla_ceased.csv").read_bytes())
    ceased = DATA / "dfe_cla_national_ceased_2020_2024.csv"
    _write("published", "dfe_cla_ceased_reasons.csv", head(ceased, 8, lambda line: b"Reason episode ceased" in line))
    rates = DATA / "dfe_cla_number_and_rate_per_10k_2021_2025.csv"
    _write("published", "dfe_cla_rates.csv", head(rates, 8))
    _write(
        "published", "dfe_cla_rates_regional.csv", head(rates, 6, lambda line: b"Regional" in line or b"Local authority" in line)
    )

    _write("published", "levels.csv", PUBLISHED_LEVELS.encode("utf-8"))
    if (FUZZ / "fuzz_ssda903_xml.py").exists():
        excerpt = DATA / "ssda903_xml" / "fake_903_excerpt.xml"
        _write("ssda903_xml", excerpt.name, excerpt.read_bytes())
        lines = excerpt.read_bytes().splitlines(keepends=True)  # the prolog, then one CHILD a line
        _write("ssda903_xml", "three_children.xml", b"".join(lines[:4]) + b"</EXPSSDA903>\n")
    for name, text in CONFIGS.items():
        _write("config", name, text.encode("utf-8"))
    for harness in sorted(p.name for p in CORPUS.iterdir()):
        files = sorted((CORPUS / harness).iterdir())
        print(f"{harness}: {len(files)} seeds, {sum(f.stat().st_size for f in files):,} bytes")


if __name__ == "__main__":
    main()
