"""Issue 27 trial fixes, on the suite's PostgreSQL server: an instant's date is England's whatever the server's time
zone, a locked table fails in seconds, a role granted only some columns reads what it may, a JSON column can be
ordered by, and a Parquet column of bytes no check reads never refuses the file."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from triangulate.errors import InputError
from triangulate.readers import database
from triangulate.readers.parquet import frame_of_strings
from triangulate.schemas.ncmd import SPEC as NCMD_SPEC

from .conftest import run_cli
from .postgres import new_database, postgres_url  # noqa: F401  (postgres_url: the fixture)
from .test_database_sources import NCMD, NCMD_ROWS, ncmd_source, ncmd_table, plain, read

REQUIRED_NCMD = NCMD_SPEC.required_columns


def test_a_timestamptz_death_at_midnight_in_england_is_that_date_whatever_the_servers_zone(postgres_url: str) -> None:  # noqa: F811
    import psycopg

    url = new_database(postgres_url)
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute(f"ALTER DATABASE {url.rsplit('/', 1)[1]} SET timezone TO 'America/New_York'")
        columns = ", ".join(f"{c} timestamptz" if c == "date_of_death" else f"{c} text" for c in NCMD)
        connection.execute(f"CREATE TABLE deaths ({columns})")
        connection.execute("INSERT INTO deaths VALUES ('N1', 'P1', 'E06000001', 'F', '2011-02-02', '2024-06-01 00:00:00+01', 'CIN'),"
                           " ('N2', 'P2', 'E06000001', 'M', '2011-02-02', '2024-01-15 00:00:00+00', 'CIN'),"
                           " ('N3', 'P3', 'E06000001', 'M', '2011-02-02', '2024-06-01 10:15:00+01', 'CIN')")
    frame, _ = read(ncmd_source(url))
    assert frame.set_index("ncmd_case_id")["date_of_death"].to_dict() == {
        "N1": "2024-06-01", "N2": "2024-01-15", "N3": "2024-06-01"}  # fmt: skip


def test_a_parquet_timestamp_in_utc_is_dated_in_england() -> None:
    instants = pa.array([datetime(2024, 5, 31, 23, 0, tzinfo=UTC), datetime(2024, 12, 31, 0, 0, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    frame = frame_of_strings(pa.table({"date_of_death": instants}), "t.parquet")
    assert frame["date_of_death"].tolist() == ["2024-06-01", "2024-12-31"]


def test_a_table_locked_by_another_session_fails_in_seconds(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    import psycopg

    url = new_database(postgres_url)
    ncmd_table(url, NCMD_ROWS)
    monkeypatch.setattr(database, "LOCK_TIMEOUT_S", 1)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with psycopg.connect(plain(url)) as other:
            other.execute("LOCK TABLE deaths IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        with pytest.raises(InputError, match="lock timeout"):
            read(ncmd_source(url))
        assert time.monotonic() - started < 8
    finally:
        release.set()
        holder.join(30)


def _role_granted(url: str, role: str, columns: tuple[str, ...]) -> str:
    import psycopg

    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN")
        connection.execute(f"GRANT SELECT ({', '.join(columns)}) ON deaths TO {role}")
    return url.replace("//postgres@", f"//{role}@")


def test_a_role_granted_only_the_required_columns_reads_them(postgres_url: str) -> None:  # noqa: F811
    url = new_database(postgres_url)
    ncmd_table(url, NCMD_ROWS)
    frame, (provenance,) = read(ncmd_source(_role_granted(url, "required_only", REQUIRED_NCMD)))
    assert sorted(frame["ncmd_case_id"].dropna()) == ["N1", "N2", "N3"] and "child_id" not in frame
    assert provenance.to_dict()["columns_not_readable"] == ["child_id"]  # left out, and said so


def test_a_role_refused_a_required_column_is_told_which(postgres_url: str) -> None:  # noqa: F811
    url = new_database(postgres_url)
    ncmd_table(url, NCMD_ROWS)
    reader = _role_granted(url, "no_dates", tuple(c for c in REQUIRED_NCMD if c != "date_of_death"))
    with pytest.raises(InputError, match="may not read column 'date_of_death'"):
        read(ncmd_source(reader))


@pytest.mark.parametrize("kind", ["json", "xml"])
def test_a_column_of_a_type_with_no_ordering_is_ordered_by_its_text(postgres_url: str, kind: str) -> None:  # noqa: F811
    import psycopg

    url = new_database(postgres_url)
    value = {"json": ('{"nhs": 2}', '{"nhs": 10}'), "xml": ("<nhs>2</nhs>", "<nhs>10</nhs>")}[kind]
    with psycopg.connect(plain(url), autocommit=True) as connection:
        columns = ", ".join(f"{c} {kind}" if c == "child_id" else f"{c} text" for c in NCMD)
        connection.execute(f"CREATE TABLE deaths ({columns})")
        connection.execute("INSERT INTO deaths VALUES ('N1', %s, 'E06000001', 'F', '2011-02-02', '2024-06-01', 'CIN'),"
                           " ('N1', %s, 'E06000001', 'F', '2011-02-02', '2024-06-01', 'CIN')", value)
    by_text = sorted(value)  # "10" before "2": the text's order, not the order they were inserted in
    for source in (ncmd_source(url), ncmd_source(url, tables={}, queries={"deaths": "SELECT * FROM deaths"})):
        frame, _ = read(source)
        assert frame["child_id"].tolist() == by_text


def test_a_parquet_binary_column_that_is_not_text_never_refuses_the_file(tmp_path: Path) -> None:
    rows = {c: [value] for c, value in zip(NCMD, NCMD_ROWS[0], strict=True)}
    pq.write_table(pa.table({**rows, "scan": pa.array([b"\xff\xd8\xff"], pa.binary())}), tmp_path / "ncmd.parquet")
    frame = frame_of_strings(pq.read_table(tmp_path / "ncmd.parquet"), "ncmd.parquet")
    assert frame["scan"].tolist() == ["\\xff\\xd8\\xff"]
    result = run_cli("check", "--source", "ncmd", str(tmp_path / "ncmd.parquet"))
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr


def test_an_instant_falls_on_its_day_in_england_whatever_its_zone() -> None:
    """pandas' `to_datetime(utc=True)` and Spark keep a date as midnight UTC (01:00 in England in summer); a time of
    day is dropped (every date the tool reads is a day); Berlin's midnight on 1 April is 31 March in England."""
    instants = pa.array([datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 6, 1, 9, 30, tzinfo=UTC), datetime(2024, 5, 31, 23, 30, tzinfo=UTC)],
                        pa.timestamp("us", tz="UTC"))  # fmt: skip
    frame = frame_of_strings(pa.table({"date_of_death": instants}), "t.parquet")
    assert frame["date_of_death"].tolist() == ["2024-06-01", "2024-06-01", "2024-06-01"]
    for zone, expected in (("America/New_York", "2024-06-01"), ("Europe/Berlin", "2022-03-31"), ("Asia/Tokyo", "2022-03-31")):
        instant = datetime(2024, 6, 1, tzinfo=UTC) if zone == "America/New_York" else datetime(2022, 3, 31, 22, 0, tzinfo=UTC)
        shown = pa.array([instant], pa.timestamp("us", tz=zone))
        assert frame_of_strings(pa.table({"d": shown}), "t.parquet")["d"].tolist() == [expected], zone


def test_a_table_named_in_double_quotes_as_sql_writes_it(postgres_url: str) -> None:  # noqa: F811
    import psycopg

    url = new_database(postgres_url)
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute('CREATE SCHEMA "Mixed Schema"')
        connection.execute(f'CREATE TABLE "Mixed Schema"."my table" ({", ".join(f"{c} text" for c in NCMD)})')
        connection.execute('''INSERT INTO "Mixed Schema"."my table" VALUES ('N1', 'P1', 'E06000001', 'F', '2011-02-02', '2024-06-01', 'CIN')''')
    for name in ('"Mixed Schema"."my table"', "Mixed Schema.my table"):
        frame, _ = read(ncmd_source(url, tables={"deaths": name}))
        assert frame["ncmd_case_id"].tolist() == ["N1"], name
    for name in (".", "public..deaths", "deaths."):
        with pytest.raises(InputError, match="is not a table's name"):
            read(ncmd_source(url, tables={"deaths": name}))
