"""Reading a source from PostgreSQL and from Parquet, against a bare read of the same columns (issue 27), side by side
in one run.

A national year of SSDA903 (about 80,000 looked-after children from the synthetic generator, with an earlier episode
added for seven in eight of them: about 150,000 episodes, as a national return has) and of NCMD (about 3,500 deaths),
with typed columns (dates as dates), loaded into PostgreSQL (a throwaway server from Debian's binaries, as
tests/postgres.py starts one; skipped with a message where there are none) and written as Parquet. Best of REPEATS:

* tool: the kind's reader (canonical/registry.py), i.e. readers/database.py for tables and readers/parquet.py for
  Parquet files: the frames of stripped strings every check reads, located row by row, with their provenance digest;
* bare: the same columns, no order, into Arrow, by the fastest reader installed: ADBC (adbc-driver-postgresql) or
  connectorx, whichever is faster here, for PostgreSQL; pyarrow.parquet.read_table for Parquet;
* bare+order (PostgreSQL): the bare read with the tool's ORDER BY, which makes `TABLE:N` reproducible.

And a national CIN census in the flat layout (docs/formats.md): CENSUS_CHILDREN children (700,000 by default, as
a national year has), made by tiling the synthetic census's flat table (`triangulate convert`'s own `flat_census`)
with a new LAchildID per copy, a death kept only in the first copy, and an earlier closed episode for one child in
EARLIER_CIN (so a child has one or two rows); dates as dates. Best of CENSUS_REPEATS (a read takes seconds).

The ratio is tool over bare; the issue's target is 1.3. The readers: `pip install -e '.[bench]'`.

    python benchmarks/bench_sources.py [LOOKED_AFTER_CHILDREN [CENSUS_CHILDREN]]    (default 80000 700000)
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPEATS = 5
EARLIER_EPISODES = 7 / 8  # of the children, who get an episode before their last one
DATES = {"header": ("DOB", "MC_DOB"), "episodes": ("DECOM", "DEC"),
         "deaths": ("date_of_birth", "date_of_death", "death_notified_date", "review_completed_date")}  # fmt: skip
DAY_FIRST = {"header": True, "episodes": True, "deaths": False}  # SSDA903 CSVs write dd/mm/yyyy
TABLES = {"header": "ssda903_header", "episodes": "ssda903_episodes", "deaths": "ncmd_deaths", "census": "cin_census"}
CENSUS_REPEATS = 3
EARLIER_CIN = 6  # one child in this many has an earlier, closed episode in the year
CENSUS_DATES = ("ReferenceDate", "PersonBirthDate", "ExpectedPersonBirthDate", "PersonDeathDate", "CINreferralDate",
                "CINclosureDate", "DateOfInitialCPC")  # fmt: skip


def synthesise(folder: Path, children: int) -> dict[str, pd.DataFrame]:
    """The synthetic national year's SSDA903 and NCMD tables, dates as dates (no injected defects: a DATE holds none)."""
    from triangulate.synth import SynthSpec, write_synthetic

    write_synthetic(folder, SynthSpec(seed=1, years=1, children_per_year=2_000, looked_after_per_year=children,
                                      xlsx=False, defects=False))  # fmt: skip
    read = {"header": folder / "ssda903" / "header.csv", "episodes": folder / "ssda903" / "episodes.csv",
            "deaths": folder / "ncmd" / "ncmd_deaths.csv"}  # fmt: skip
    tables = {name: pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None) for name, path in read.items()}
    last = tables["episodes"]
    earlier = last.sample(frac=EARLIER_EPISODES, random_state=1).copy()
    started = pd.to_datetime(earlier["DECOM"], format="%d/%m/%Y")
    earlier["DEC"] = earlier["DECOM"]
    earlier["DECOM"] = (started - pd.to_timedelta(90 + earlier.index.to_series() % 400, unit="D")).dt.strftime("%d/%m/%Y")
    earlier["REC"] = "X1"  # the episode ended and another began
    tables["episodes"] = pd.concat([earlier, last], ignore_index=True)
    for name, columns in DATES.items():
        frame = tables[name]
        for column in columns:
            parsed = pd.to_datetime(frame[column], dayfirst=DAY_FIRST[name], format="mixed")
            frame[column] = parsed.dt.date.astype(object).where(parsed.notna(), None)
    return tables


def synthesise_census(folder: Path, children: int) -> pd.DataFrame:
    """A national census in the flat layout: the synthetic census's flat table tiled to `children` children."""
    import numpy as np
    from triangulate.readers.cin_flat import flat_census

    base = flat_census(sorted((folder / "cin").rglob("*.xml")))
    copies = -(-children // len(base))
    tiled = pd.concat([base] * copies, ignore_index=True).iloc[:children].copy()
    copy = np.arange(len(tiled)) // len(base)
    tiled["LAchildID"] = tiled["LAchildID"] + "-" + pd.Series(copy).astype(str)
    tiled.loc[copy > 0, "PersonDeathDate"] = None  # deaths are rare: the synthetic census is mostly deaths
    tiled["ChildNumber"] = np.arange(1, len(tiled) + 1)
    earlier = tiled.iloc[::EARLIER_CIN].copy()
    referred = pd.to_datetime(earlier["CINreferralDate"], format="%Y-%m-%d")
    earlier["CINclosureDate"] = (referred - pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d")
    earlier["CINreferralDate"] = (referred - pd.Timedelta(days=200)).dt.strftime("%Y-%m-%d")
    earlier["ReasonForClosure"], earlier["CPPstartDate"], earlier["CPPendDate"] = "RC1", None, None
    census = pd.concat([tiled, earlier], ignore_index=True).sort_values("ChildNumber", kind="stable", ignore_index=True)
    for column in CENSUS_DATES:
        parsed = pd.to_datetime(census[column], format="%Y-%m-%d")
        census[column] = parsed.dt.date.astype(object).where(parsed.notna(), None)
    return census


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway server's postgresql URL (tests/postgres.py's way), or None with a message where none can start."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        print("PostgreSQL: skipped (no server binaries at /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)")
        yield None
        return
    binaries = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="triangulate-bench-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, user="postgres", group="postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = root / "data"

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=120)

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
        run("mkdir", str(root / "sockets"))
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "-o",
            f"-p {port} -k {root / 'sockets'} -c listen_addresses=127.0.0.1 -c fsync=off", "start")  # fmt: skip
        run(str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench")
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"PostgreSQL: skipped (the server did not start: {error})")
        shutil.rmtree(root, ignore_errors=True)
        yield None
        return
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True,
                       timeout=120)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def load_postgres(url: str, tables: dict[str, pd.DataFrame]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for name, frame in tables.items():
            table = TABLES[name]
            dates = CENSUS_DATES if name == "census" else DATES[name]
            types = ", ".join(f'"{c}" {"date" if c in dates else "bigint" if c == "ChildNumber" else "text"}' for c in frame.columns)
            connection.execute(f'DROP TABLE IF EXISTS "{table}"')
            connection.execute(f'CREATE TABLE "{table}" ({types})')
            with connection.cursor().copy(f'COPY "{table}" FROM STDIN (FORMAT csv)') as copy:  # as CSV: a million rows
                copy.write(frame.to_csv(header=False, index=False, date_format="%Y-%m-%d").encode("utf-8"))
            connection.execute(f'ANALYZE "{table}"')


def write_parquet(folder: Path, tables: dict[str, pd.DataFrame]) -> dict[str, Path]:
    paths = {}
    for name, frame in tables.items():
        paths[name] = folder / f"{TABLES[name]}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), paths[name])
    return paths


def best(read: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return min(times)


def bare_postgres(url: str, queries: list[str], repeats: int = REPEATS) -> tuple[str, Callable[[], object]] | None:
    """The fastest of the Arrow readers installed, as (name, read every query)."""
    readers: list[tuple[str, Callable[[], object]]] = []
    try:
        import adbc_driver_postgresql.dbapi as adbc

        def by_adbc() -> object:
            with adbc.connect(url) as connection, connection.cursor() as cursor:
                out = []
                for query in queries:
                    cursor.execute(query)
                    out.append(cursor.fetch_arrow_table())
                return out

        readers.append(("ADBC", by_adbc))
    except ImportError:
        pass
    try:
        import connectorx as cx

        readers.append(("connectorx", lambda: [cx.read_sql(url, query, return_type="arrow") for query in queries]))
    except ImportError:
        pass
    if not readers:
        return None
    timed = [(best(read, repeats), name, read) for name, read in readers]
    _, name, read = min(timed, key=lambda item: item[0])
    return name, read


def measure(children: int, census_children: int) -> None:
    from triangulate.canonical.registry import SourceOptions, source_kind
    from triangulate.readers.cin_flat import READ as CENSUS_READ
    from triangulate.readers.database import database_source

    sources = {"ssda903": ("header", "episodes"), "ncmd": ("deaths",), "cin": ("census",)}
    with tempfile.TemporaryDirectory() as tmp, postgres() as url:
        folder = Path(tmp)
        tables = synthesise(folder / "synth", children)
        tables["census"] = synthesise_census(folder / "synth", census_children)
        parquet = write_parquet(folder, tables)
        print(f"SSDA903: {len(tables['header']):,} children, {len(tables['episodes']):,} episodes; "
              f"NCMD: {len(tables['deaths']):,} deaths; best of {REPEATS}. CIN census: {census_children:,} children, "
              f"{len(tables['census']):,} rows; best of {CENSUS_REPEATS}")  # fmt: skip
        print(f"{'source':<14} {'read by':<11} {'tool s':>7} {'bare s':>7} {'ratio':>6} {'bare+order s':>12}")
        if url is not None:
            load_postgres(url, tables)
        for kind, names in sources.items():
            repeats = CENSUS_REPEATS if kind == "cin" else REPEATS
            if kind == "cin":  # what the tool reads of a census table (readers/cin_flat.py READ)
                wanted = {"census": list(CENSUS_READ)}
            else:
                wanted = {t.name: [c for c in t.spec.columns if c in tables[t.name].columns] for t in source_kind(kind).tables}
            if "header" in wanted and "LA" in tables["header"].columns:
                wanted["header"].append("LA")  # the death records read it (canonical/registry.py _MAPPER_COLUMNS)
            options = SourceOptions(kind, kind, tuple(parquet[name] for name in names))
            tool = best(lambda options=options, kind=kind: source_kind(kind).read(options), repeats)
            bare = best(lambda names=names, wanted=wanted: [pq.read_table(parquet[n], columns=wanted[n]) for n in names], repeats)
            print(f"{kind + ' Parquet':<14} {'pyarrow':<11} {tool:>7.3f} {bare:>7.3f} {tool / bare:>6.2f}")
            if url is None:
                continue
            database = database_source(url, "bench", {name: TABLES[name] for name in names}, {})
            options = SourceOptions(kind, kind, (), database=database)
            tool = best(lambda options=options, kind=kind: source_kind(kind).read(options), repeats)
            quoted = {n: ", ".join(f'"{c}"' for c in wanted[n]) for n in names}
            plain = bare_postgres(url, [f'SELECT {quoted[n]} FROM "{TABLES[n]}"' for n in names], repeats)
            if plain is None:
                print(f"{kind + ' Postgres':<14} {'(none)':<11} {tool:>7.3f}   (no bare reader: pip install -e '.[bench]')")
                continue
            reader, read = plain
            ordered = bare_postgres(url, [f'SELECT {quoted[n]} FROM "{TABLES[n]}" ORDER BY {quoted[n]}' for n in names], repeats)
            bare, bare_ordered = best(read, repeats), best(ordered[1], repeats) if ordered else float("nan")
            print(f"{kind + ' Postgres':<14} {reader:<11} {tool:>7.3f} {bare:>7.3f} {tool / bare:>6.2f} {bare_ordered:>12.3f}")


if __name__ == "__main__":
    measure(int(sys.argv[1]) if len(sys.argv) > 1 else 80_000, int(sys.argv[2]) if len(sys.argv) > 2 else 700_000)
