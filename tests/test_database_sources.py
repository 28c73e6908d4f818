"""Sources read from database tables (issue 27, items 2 and 4): `url:` with `table:` or `query:` reads as the CSV
form does (the same checks, comparisons and record ids), against a real PostgreSQL server and DuckDB files; rows
come in a stable order and are located `TABLE:N`; only the columns the kind reads are selected; the provenance
names the table and digests its rows; no password is ever shown."""

from __future__ import annotations

import json
import pickle
import random
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import duckdb
import pandas as pd
import pytest
import yaml
from triangulate.canonical.registry import SourceOptions, source_kind
from triangulate.config.run import load_config
from triangulate.errors import ConfigError, InputError
from triangulate.pipeline.check import check_source
from triangulate.readers import database
from triangulate.readers.database import TableRead, database_source
from triangulate.readers.files import inputs_recorded

from .conftest import run_cli
from .postgres import new_database, postgres_url  # noqa: F401  (postgres_url: the fixture)

CSVS = {"ncmd": "ncmd/ncmd_deaths.csv", "csprp": "csprp/sins.csv", "header": "ssda903/header.csv", "episodes": "ssda903/episodes.csv"}
TABLES = {"ncmd": "ncmd_deaths", "csprp": "csprp_sins", "header": "cla_header", "episodes": "cla_episodes"}
SECRET = "N0t-the-P4ssword!"  # the test server trusts every local connection: a password is accepted, and never shown
NCMD = ("ncmd_case_id", "child_id", "la_code", "sex", "date_of_birth", "date_of_death", "social_care_status")
NCMD_ROWS = [
    ("N3", "P3", "E06000001", "M", "2010-01-01", "2022-06-01", "LAC"),
    ("N1", "P1", "E06000001", "F", "2011-02-02", "2022-07-01", "CIN"),
    (None, "P9", "E06000001", "F", "2012-03-03", "2022-08-01", "NEVER"),
    ("N2", "P2", "E06000001", "X", "2013-04-04", "2022-09-01", "NEVER"),
]


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_postgres(url: str, sample: Path) -> None:
    """The sample's CSVs as tables of text, as a database export of them would hold them."""
    import psycopg

    with psycopg.connect(plain(url), autocommit=True) as connection:
        for key, name in CSVS.items():
            header = (sample / name).read_text(encoding="utf-8").splitlines()[0].split(",")
            typed = ", ".join('"' + column + '" text' for column in header)
            connection.execute(f'CREATE TABLE "{TABLES[key]}" ({typed})')
            with connection.cursor().copy(f'COPY "{TABLES[key]}" FROM STDIN (FORMAT csv, HEADER true)') as copy:
                copy.write((sample / name).read_bytes())


def load_duckdb(path: Path, sample: Path) -> set[str]:
    """The sample's CSVs in a DuckDB file, typed as DuckDB's CSV reader sees them; the types it gave."""
    connection = duckdb.connect(str(path))
    try:
        for key, name in CSVS.items():
            connection.execute(f"CREATE TABLE {TABLES[key]} AS SELECT * FROM read_csv(?)", [str(sample / name)])
        return {row[0] for row in connection.execute("SELECT DISTINCT data_type FROM information_schema.columns").fetchall()}
    finally:
        connection.close()


def database_config(sample: Path, url: object) -> Path:
    """The sample's release config with its record-level CSV sources read from the database (the CSPRP one by a query)."""
    config = yaml.safe_load((sample / "release.yaml").read_text(encoding="utf-8"))
    sources = config["sources"]
    sources["dfe_cla"] = {"kind": "ssda903", "url": url, "table": {"header": TABLES["header"], "episodes": TABLES["episodes"]}}
    sources["ncmd"] = {"kind": "ncmd", "url": url, "table": TABLES["ncmd"]}
    sources["csprp"] = {"kind": "csprp", "url": url, "query": f"SELECT * FROM {TABLES['csprp']}  -- every notification;"}
    target = sample / "database.yaml"
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for name in CSVS.values():
        (sample / name).unlink()  # the run must read the tables, not the files
    return target


def comparable(results: dict) -> dict:
    """What must not depend on where the data lives: everything but when, which config, the inputs' names and digests
    and where each failing row is; failing record ids as sets (the rows come in another order)."""
    out = {k: v for k, v in results.items() if k not in ("run_at", "config", "published_files")}
    out["sources"] = [
        {**{k: v for k, v in source.items() if k != "files"},
         "checks": [{**{k: v for k, v in check.items() if k != "locations"}, "record_ids": sorted(check["record_ids"])}
                    for check in source["checks"]]}
        for source in results["sources"]
    ]  # fmt: skip
    return out


def assert_same_as_files(out: Path, demo_report: Path) -> dict:
    from_files = json.loads((demo_report / "results.json").read_text(encoding="utf-8"))
    from_tables = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert comparable(from_tables) == comparable(from_files)
    assert len(from_tables["comparisons"]) > 100
    return from_tables


def failing_locations(results: dict, source: str) -> list[str]:
    return [where for s in results["sources"] if s["name"] == source for c in s["checks"] for where in c["locations"]]


def test_the_synthetic_release_from_postgresql_tables_gives_what_its_files_give(
    synthetic: Path, demo_report: Path, tmp_path: Path, postgres_url: str  # noqa: F811
) -> None:
    url = new_database(postgres_url)
    sample = shutil.copytree(synthetic, tmp_path / "sample")
    load_postgres(url, sample)
    config = database_config(sample, {"env": "TRIANGULATE_TEST_DATABASE"})
    with_password = url.replace("postgres@", f"postgres:{quote(SECRET, safe='')}@")
    out = tmp_path / "out"
    result = run_cli("run", str(config), "--out", str(out), env={"TRIANGULATE_TEST_DATABASE": with_password})
    assert result.returncode == 1, result.stderr  # the sample's injected defects, as from its files
    results = assert_same_as_files(out, demo_report)
    # Each failing row of a table is `TABLE:N`, N its place in the stable order; a query's rows `query-DIGEST:N`.
    assert failing_locations(results, "ncmd") and all(re.fullmatch(r"ncmd_deaths:[1-9]\d*", w) for w in failing_locations(results, "ncmd"))
    assert all(re.fullmatch(r"cla_(header|episodes):[1-9]\d*", w) for w in failing_locations(results, "dfe_cla"))
    assert all(re.fullmatch(r"query-[0-9a-f]{12}:[1-9]\d*", w) for w in failing_locations(results, "csprp"))
    # The password: in no output, no line on the console.
    shown = [result.stdout, result.stderr, *(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file())]
    assert not [text for text in shown if SECRET in text or quote(SECRET, safe="") in text]


def test_the_synthetic_release_from_a_duckdb_file_gives_what_its_files_give(synthetic: Path, demo_report: Path, tmp_path: Path) -> None:
    sample = shutil.copytree(synthetic, tmp_path / "sample")
    types = load_duckdb(sample / "release.duckdb", sample)
    assert {"BIGINT", "DATE", "VARCHAR"} <= types  # typed columns, not only text, are read
    config = database_config(sample, f"duckdb:///{sample / 'release.duckdb'}")
    out = tmp_path / "out"
    result = run_cli("run", str(config), "--out", str(out))
    assert result.returncode == 1, result.stderr
    results = assert_same_as_files(out, demo_report)
    assert all(re.fullmatch(r"cla_(header|episodes):[1-9]\d*", w) for w in failing_locations(results, "dfe_cla"))


def test_provenance_names_each_table_without_its_password_and_digests_its_rows(
    synthetic: Path, tmp_path: Path, postgres_url: str  # noqa: F811
) -> None:
    """Needs readers/files.py `files_as_read` to give the inputs that are no file (see the issue 27 report)."""
    url = new_database(postgres_url)
    sample = shutil.copytree(synthetic, tmp_path / "sample")
    load_postgres(url, sample)
    with_password = url.replace("postgres@", f"postgres:{quote(SECRET, safe='')}@")
    config = database_config(sample, with_password)
    runs = []
    for name in ("first", "second"):
        result = run_cli("run", str(config), "--out", str(tmp_path / name))
        assert result.returncode == 1, result.stderr
        results = json.loads((tmp_path / name / "results.json").read_text(encoding="utf-8"))
        runs.append({s["name"]: s["files"] for s in results["sources"]})
    assert runs[0] == runs[1]  # unchanged data: the same digests
    shown = url.replace("postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:***@")
    cla = runs[0]["dfe_cla"]
    assert [f["path"] for f in cla] == [f"{shown}/cla_header", f"{shown}/cla_episodes"]
    assert [f["rows"] for f in cla] == [426, 424] and [f["table"] for f in cla] == ["cla_header", "cla_episodes"]
    (csprp,) = runs[0]["csprp"]
    assert csprp["path"].startswith(f"{shown}/query-") and len(csprp["query_sha256"]) == 64 and "table" not in csprp
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) and f["size"] > 0 for files in runs[0].values() for f in files)


# --- The reader --------------------------------------------------------------------------------------------------------


def ncmd_table(url: str, rows: list[tuple], *, table: str = "deaths", extra: str = "") -> None:
    import psycopg

    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute(f"CREATE TABLE {table} ({', '.join(f'{c} text' for c in NCMD)}{extra})")
        with connection.cursor().copy(f"COPY {table} ({', '.join(NCMD)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def ncmd_source(url: str, **given: object) -> SourceOptions:
    tables = given.pop("tables", {"deaths": "deaths"})
    queries = given.pop("queries", {})
    return SourceOptions("ncmd", "ncmd", (), database=database_source(url, "sources.ncmd.url", tables, queries), **given)  # type: ignore[arg-type]


def read(options: SourceOptions) -> tuple[pd.DataFrame, list]:
    with inputs_recorded() as recorded:
        frames = source_kind(options.kind).read(options)
    return frames["deaths"], list(recorded)


def test_rows_come_in_a_stable_order_whatever_the_database_holds_them_in(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    url = new_database(postgres_url)
    rows = [(f"N{n:05d}", f"P{n}", "E06000001", random.Random(n).choice("MF"), "2010-01-01", "2022-06-01", "NEVER")
            for n in range(2_000)]  # fmt: skip
    random.Random(1).shuffle(rows)
    ncmd_table(url, rows)
    frame, (provenance,) = read(ncmd_source(url))
    assert frame["ncmd_case_id"].tolist() == sorted(r[0] for r in rows)  # ordered by the record id
    assert frame["_line"].tolist() == list(range(1, 2_001)) and set(frame["_file"]) == {"deaths"}
    # Rewritten in another physical order, read in chunks of 7: the same rows in the same places, the same digest.
    import psycopg

    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute("CREATE TABLE copy AS SELECT * FROM deaths ORDER BY sex DESC, ncmd_case_id DESC")
        connection.execute("DROP TABLE deaths")
        connection.execute("ALTER TABLE copy RENAME TO deaths")
    monkeypatch.setattr(database, "CHUNK_ROWS", 7)
    again, (provenance_again,) = read(ncmd_source(url))
    pd.testing.assert_frame_equal(again, frame)
    assert provenance_again == provenance and isinstance(provenance, TableRead) and provenance.rows == 2_000
    assert pickle.loads(pickle.dumps(provenance)) == provenance  # it comes back from a worker process
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute("UPDATE deaths SET sex = 'X' WHERE ncmd_case_id = 'N01000'")
    _, (changed,) = read(ncmd_source(url))
    assert changed.sha256 != provenance.sha256 and changed.rows == provenance.rows


def test_a_row_without_an_id_is_named_by_its_table_and_place(postgres_url: str) -> None:  # noqa: F811
    url = new_database(postgres_url)
    ncmd_table(url, NCMD_ROWS)
    result = check_source(ncmd_source(url)).result
    missing = result.outcome("missing.ncmd_case_id")
    assert missing is not None and missing.record_ids == ("deaths:4",) and missing.locations == ("deaths:4",)  # NULLs last
    invalid = result.outcome("invalid.sex")
    assert invalid is not None and invalid.record_ids == ("N2",) and invalid.locations == ("deaths:2",)
    assert result.records == 4 and result.deaths == 4


def test_only_the_columns_the_kind_reads_are_selected(postgres_url: str) -> None:  # noqa: F811
    """A role granted only the columns the tool reads can run it: the other columns are never selected."""
    import psycopg

    url = new_database(postgres_url)
    ncmd_table(url, NCMD_ROWS, extra=", case_notes text, ethnicity text")
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute("UPDATE deaths SET case_notes = 'not for the validator'")
        connection.execute("CREATE ROLE validator LOGIN")
        connection.execute(f"GRANT SELECT ({', '.join(NCMD)}, ethnicity) ON deaths TO validator")
    as_validator = url.replace("//postgres@", "//validator@")
    frame, _ = read(ncmd_source(as_validator))
    assert "case_notes" not in frame and frame["ethnicity"].isna().all() and len(frame) == 4
    with pytest.raises(InputError, match="the deaths query cannot be read: permission denied"):  # the grant is real
        read(ncmd_source(as_validator, tables={}, queries={"deaths": "SELECT * FROM deaths"}))


def test_names_in_another_case_columns_and_values_are_read_as_the_csv_forms_are(postgres_url: str) -> None:  # noqa: F811
    import psycopg

    url = new_database(postgres_url)
    with psycopg.connect(plain(url), autocommit=True) as connection:  # unquoted: PostgreSQL folds the names to lower case
        connection.execute("CREATE TABLE Header (CHILD text, SEX text, DOB text)")
        connection.execute("CREATE TABLE Episodes (CHILD text, DECOM text, DEC text, Reason text)")
        connection.execute("INSERT INTO Header VALUES ('C1', 'boy', '01/01/2010'), ('C2', 'girl', '01/01/2011')")
        connection.execute("INSERT INTO Episodes VALUES ('C1', '01/01/2020', '02/02/2022', 'died'), ('C2', '01/01/2021', NULL, NULL)")
    database_ = database_source(url, "x", {"header": "HEADER", "episodes": "episodes"}, {})
    options = SourceOptions("cla", "ssda903", (), columns={"reason": "REC"}, values={"SEX": {"boy": "1", "girl": "2"}, "REC": {"died": "E2"}},
                            database=database_)  # fmt: skip
    checked = check_source(options)
    assert checked.result.records == 2 and checked.result.deaths == 1
    assert checked.deaths["record_id"].tolist() == ["C1"] and checked.deaths["sex"].tolist() == ["M"]
    assert all(o.failed == 0 for o in checked.result.outcomes if o.check_id.startswith(("invalid.", "missing.")))


def test_reading_is_read_only(postgres_url: str) -> None:  # noqa: F811
    import psycopg

    url = new_database(postgres_url)
    ncmd_table(url, NCMD_ROWS)
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute("CREATE SEQUENCE counter")
    query = f"SELECT {', '.join(NCMD[:-1])}, social_care_status || nextval('counter') AS social_care_status FROM deaths"
    with pytest.raises(InputError, match="read-only transaction"):
        read(ncmd_source(url, tables={}, queries={"deaths": query}))


def test_a_duckdb_file_that_is_not_there_is_not_made(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="database file not found"):
        read(ncmd_source(f"duckdb:///{tmp_path / 'nowhere.duckdb'}"))
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_a_duckdb_file_serves_parquet_through_a_query(tmp_path: Path) -> None:
    """DuckDB reads local Parquet and CSV well: a query over a Parquet file reads as the table would."""
    frame = pd.DataFrame(NCMD_ROWS, columns=list(NCMD))
    frame.to_parquet(tmp_path / "deaths.parquet")
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    query = f"SELECT * FROM read_parquet('{tmp_path / 'deaths.parquet'}')"
    got, (provenance,) = read(ncmd_source(f"duckdb:///{tmp_path / 'empty.duckdb'}", tables={}, queries={"deaths": query}))
    assert got["ncmd_case_id"].iloc[:3].tolist() == ["N1", "N2", "N3"] and pd.isna(got["ncmd_case_id"].iloc[3]) and provenance.rows == 4
    assert provenance.to_dict()["query_sha256"] == database.query_digest(query) and got["_file"].iloc[0].startswith("query-")


# --- The run config ----------------------------------------------------------------------------------------------------


def write_config(tmp_path: Path, source: str) -> Path:
    (tmp_path / "run.yaml").write_text(f"sources:\n  s: {source}\n", encoding="utf-8")
    return tmp_path / "run.yaml"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('{kind: ncmd, path: n.csv, url: "postgresql://u:PW@h/db", table: t}', "sources.s: give path (files) or url (a database), not both"),
        ('{kind: ncmd, url: "postgresql://u:PW@h/db"}', "sources.s: a url source says what to read, with table: or query:"),
        ('{kind: ncmd, url: "postgresql://u:PW@h/db", table: t, query: "SELECT 1"}', "sources.s: give table or query, not both"),
        ("{kind: ncmd, table: t}", "sources.s: 'url' is a required property"),
        ('{kind: ssda903, url: "postgresql://u:PW@h/db", table: t}',
         "sources.s.table: for kind ssda903, give table as {header: NAME, episodes: NAME}"),
        ('{kind: ncmd, url: "postgresql://u:PW@h/db", table: {deaths: t, other: u}}',
         "sources.s.table: for kind ncmd, give table as text, or {deaths: NAME}"),
        ('{kind: cin, url: "postgresql://u:PW@h/db", table: {census: t, other: u}}',
         "sources.s.table: for kind cin, give table as text, or {census: NAME}"),
        ('{kind: published, url: "postgresql://u:PW@h/db", table: t, rounding: none}', "sources.s: unknown key 'table'"),
        ('{kind: ncmd, url: "nonsense:PW", table: t}', "sources.s.url: it is not a SQLAlchemy URL"),
        ('{kind: ncmd, url: "oracle+nodriverhere://u:PW@h/db", table: t}', "sources.s.url: no SQLAlchemy dialect for 'oracle+nodriverhere'"),
        ("{kind: ncmd, url: {env: 5}, table: t}", "sources.s.url.env: 5 is not of type 'string'"),
        ("{kind: ncmd, url: 5, table: t}", "sources.s.url: url must be a SQLAlchemy URL, or {env: NAME}"),
        ("{kind: ncmd, url: {env: TRIANGULATE_UNSET_VARIABLE}, table: t}",
         "sources.s.url: the environment variable TRIANGULATE_UNSET_VARIABLE is not set"),
    ],
)
def test_a_database_source_is_refused_in_one_line_that_never_holds_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, message: str
) -> None:
    monkeypatch.delenv("TRIANGULATE_UNSET_VARIABLE", raising=False)
    (tmp_path / "n.csv").write_text("ncmd_case_id\nN1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(write_config(tmp_path, source))
    line = str(refused.value)
    assert refused.value.message.startswith(message), line
    assert "\n" not in line and "PW" not in line and line.startswith(f"{tmp_path / 'run.yaml'}: ")


def test_an_unset_variable_is_exit_2_naming_it(tmp_path: Path) -> None:
    from .conftest import one_error_line

    config = write_config(tmp_path, "{kind: ncmd, url: {env: TRIANGULATE_TEST_NO_SUCH_URL}, table: deaths}")
    line = one_error_line(run_cli("run", str(config), "--out", str(tmp_path / "out")))
    assert line.endswith("sources.s.url: the environment variable TRIANGULATE_TEST_NO_SUCH_URL is not set")
    assert not (tmp_path / "out").exists()


def test_a_config_reads_its_url_from_the_environment_and_keeps_no_password_in_its_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIANGULATE_TEST_URL", "postgresql://reader:S3cret%2F@db.example:5432/release")
    config = load_config(write_config(tmp_path, "{kind: ssda903, url: {env: TRIANGULATE_TEST_URL}, table: {header: h, episodes: e}}"))
    (source,) = config.sources
    assert source.paths == () and source.database is not None
    assert source.database.shown == "postgresql+psycopg://reader:***@db.example:5432/release"
    assert dict(source.database.tables) == {"header": "h", "episodes": "e"}
    assert "S3cret" not in repr(source) and "S3cret" not in str(config.raw)
    assert source.database.scrub("auth failed for S3cret/ (S3cret%2F)") == "auth failed for *** (***)"


def test_a_database_source_is_checked_alike_in_a_worker_process(tmp_path: Path) -> None:
    """With `--jobs 2` a source's piece may be read in a spawned worker: the source (its URL) goes there and the
    provenance comes back, the results as in this process."""
    from triangulate.pipeline.parallel import check_sources

    from .conftest import PEERS

    connection = duckdb.connect(str(tmp_path / "deaths.duckdb"))
    connection.execute(f"CREATE TABLE deaths ({', '.join(f'{c} VARCHAR' for c in NCMD)})")
    connection.executemany(f"INSERT INTO deaths VALUES ({', '.join('?' for _ in NCMD)})", NCMD_ROWS)
    connection.close()
    ncmd = ncmd_source(f"duckdb:///{tmp_path / 'deaths.duckdb'}")
    assert pickle.loads(pickle.dumps(ncmd)) == ncmd
    cin = SourceOptions("cin", "cin", tuple(PEERS))
    apart = check_sources([cin, ncmd], 2, None, bytes_per_worker=1)
    here = check_sources([cin, ncmd], 1, None)
    worker, local = apart[1].result().result, here[1].result().result
    assert worker == local and worker.records == 4 and worker.outcome("missing.ncmd_case_id").record_ids == ("deaths:4",)  # type: ignore[union-attr]
