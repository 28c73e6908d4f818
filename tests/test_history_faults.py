"""Issue 22, the history's part: what is not a history is refused and left byte for byte as it was; a locked history
is waited for once, saying so; a read-only one fails before any checking; readers never write nor wait; a diff
compares like with like, and a run id is ASCII digits in the database's range."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from triangulate import connections
from triangulate.history import HistoryError, open_history
from triangulate.history import engine as engines
from triangulate.history.engine import WAITING
from triangulate.history.migrate import VERSION_TABLE, upgrade
from triangulate.history.opening import CREATION_LOCK
from triangulate.model.checks import InputFile
from triangulate.model.revisions import Revisions, Vintage

from .conftest import TRIANGULATE, copy_of, one_error_line, run_cli
from .history_engines import create_engine, sqlite_lock_held
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)
from .test_history import release

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\nN1,C1,E06000001,Male,2010-01-01,2020-06-01,LAC\n"
NOT_OURS = "not a triangulate history"
needs_postgres = pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1")


def _state(folder: Path) -> dict[str, str]:
    """Every file in a folder with its sha256: what a refusal must leave exactly as it was."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _another_application(path: Path) -> None:
    """A real SQLite file of another application, in rollback-journal (DELETE) mode, with a table named as ours."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("CREATE TABLE series (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        db.executemany("INSERT INTO series (name) VALUES (?)", [("a",), ("b",)])
        db.executemany("INSERT INTO customers (email) VALUES (?)", [("x@example.org",), ("y@example.org",)])
    db.close()


def _ncmd(folder: Path) -> Path:
    (folder / "n.csv").write_text(NCMD)
    return folder / "n.csv"


def _check(folder: Path, history: str, *options: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--source", "ncmd", str(folder / "n.csv"), "--history", history, *options, env=env)


@pytest.mark.parametrize("command", ["run", "list", "diff"])
def test_another_applications_sqlite_file_is_refused_and_left_as_it_was(command: str, clean_sample: Path, tmp_path: Path) -> None:
    home = tmp_path / "app"
    home.mkdir()
    _another_application(home / "app.db")
    before = _state(home)
    if command == "run":
        result = run_cli("run", str(clean_sample / "release.yaml"), "--out", str(tmp_path / "out"), "--history", str(home / "app.db"))
        assert not (tmp_path / "out").exists()  # refused before any work
    else:
        result = run_cli("history", command, str(home / "app.db"))
    line = one_error_line(result)
    assert NOT_OURS in line and "customers, series" in line, line
    assert _state(home) == before  # byte for byte, and no -wal, -shm or -journal beside it
    with sqlite3.connect(f"file:{home / 'app.db'}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()


@pytest.mark.parametrize("damage", ["header then garbage", "random bytes", "a short header"])
def test_a_damaged_file_is_refused_and_left_as_it_was(damage: str, tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    garbage = random_bytes = os.urandom(8192)
    content = {"header then garbage": b"SQLite format 3\x00\x10\x00\x01\x01" + garbage, "random bytes": random_bytes,
               "a short header": b"SQLite format 3\x00"}[damage]  # fmt: skip
    (home / "h.db").write_bytes(content)
    with pytest.raises(HistoryError, match=f"is not a readable SQLite database .*: {NOT_OURS}"):
        open_history(str(home / "h.db"))  # as a run opens it
    line = one_error_line(run_cli("history", "list", str(home / "h.db")))
    assert "is not a readable SQLite database" in line and NOT_OURS in line, line
    assert (home / "h.db").read_bytes() == content and [p.name for p in home.iterdir()] == ["h.db"]


def test_an_empty_file_is_read_as_no_history_and_made_one_by_a_run(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "h.db").write_bytes(b"")
    assert one_error_line(run_cli("history", "list", str(home / "h.db"))).endswith("no history at " + str(home / "h.db"))
    assert (home / "h.db").read_bytes() == b"" and [p.name for p in home.iterdir()] == ["h.db"]
    with open_history(str(home / "h.db")) as history:  # as a run opens it
        history.record(release(), dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC))
    assert (home / "h.db").read_bytes()[18:20] == b"\x02\x02"  # made in WAL mode, as the README promises
    listed = run_cli("history", "list", str(home / "h.db"), "--json")
    assert listed.returncode == 0 and '"release": "2024-03-31"' in listed.stdout, listed.stderr


def _at_0001(url: str) -> None:
    """A history as the first schema left it, with one run."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            upgrade(connection, "0001")
        with engine.begin() as connection:
            now = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
            for name in ("2023", "2024"):
                run = {"started_at": now, "finished_at": now, "command": "run", "release": name, "tool_version": "0.0.1",
                       "passed": True, "gate": "release"}  # fmt: skip
                connection.execute(sa.table("runs", *map(sa.column, run)).insert(), [run])
    finally:
        engine.dispose()


def _stamp(url: str) -> tuple[str, ...]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    finally:
        engine.dispose()


def test_an_older_history_is_read_as_it_is_and_upgraded_only_by_a_run(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    url = str(home / "h.db")
    _at_0001(url)
    before = _state(home)
    # Since 0003 the reads need keys and person keys, which only an upgrade makes (with the history's secret): a
    # reader refuses in one line and changes nothing.
    for command in (("history", "list", url, "--json"), ("history", "diff", url)):
        refused = run_cli(*command)
        assert refused.returncode == 2 and "record a run in it with --history to upgrade it" in refused.stderr, refused.stderr
    assert _state(home) == before and _stamp(url) == ("0001",)  # not upgraded: no byte changed, nothing beside
    open_history(url).close()  # a run's opening upgrades it
    assert _stamp(url) == ("0004",)
    assert run_cli("history", "diff", url).returncode == 0


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A history whose write lock another process holds (BEGIN IMMEDIATE) until the test ends."""
    path = tmp_path / "h.db"
    with open_history(str(path)) as history:
        history.record(release(), dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC))
    with sqlite_lock_held(path, "BEGIN IMMEDIATE; UPDATE runs SET gate = gate"):
        yield path


def test_a_locked_history_fails_after_one_timeout_saying_it_waits(held: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv(engines.TIMEOUT_VARIABLE, "1")
    started = time.monotonic()
    with pytest.raises(HistoryError, match=r"locked by another run: gave up after waiting 1\.\d s") as refused:
        open_history(str(held))
    took = time.monotonic() - started
    assert 0.9 < took < 2.9, took  # one timeout of 1 s, not three
    assert "\n" not in str(refused.value) and capsys.readouterr().err == WAITING + "\n"
    # Readers never wait for the writer: list and diff answer at once, with what was committed.
    started = time.monotonic()
    with open_history(str(held), create=False) as history:
        assert len(history.runs()) == 1
    assert time.monotonic() - started < 0.9  # a reader that waited would wait the 1 s
    listed = run_cli("history", "list", str(held), env={engines.TIMEOUT_VARIABLE: "20"})
    assert listed.returncode == 0 and "2024-03-31" in listed.stdout and listed.stderr == "", listed.stderr
    # The CLI: the waiting line once, then one error line, exit 2, before any checking.
    _ncmd(tmp_path)
    result = _check(tmp_path, str(held), "--json", str(tmp_path / "o.json"), env={engines.TIMEOUT_VARIABLE: "1"})
    assert result.returncode == 2 and not (tmp_path / "o.json").exists()
    waiting, error = result.stderr.strip().splitlines()
    assert waiting == WAITING and error.startswith("triangulate: error: history ") and "locked by another run" in error


def test_a_bad_timeout_is_one_line_before_any_checking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _ncmd(tmp_path)
    result = _check(tmp_path, str(tmp_path / "h.db"), "--json", str(tmp_path / "o.json"), env={engines.TIMEOUT_VARIABLE: "abc"})
    assert engines.TIMEOUT_VARIABLE in one_error_line(result)
    for value in ("-1", "nan", "1e9", "inf", "30s"):
        monkeypatch.setenv(engines.TIMEOUT_VARIABLE, value)
        with pytest.raises(HistoryError, match=f"{engines.TIMEOUT_VARIABLE}=.*a number from 0 to 86400"):
            open_history(str(tmp_path / "h.db"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.csv"]  # no history made, no output written
    monkeypatch.setenv(engines.TIMEOUT_VARIABLE, "0.5")
    assert engines.lock_timeout() == 0.5


def _read_only(how: str, folder: Path) -> list[str]:
    """Make a history read-only to the CLI, as root can: chattr +i (the folder or the file), or a read-only bind mount
    in a user and mount namespace. Returns the prefix the CLI runs under; skips, saying why, where it cannot."""
    if how == "read-only mount":
        prefix = ["unshare", "-rm", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder)]
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
        if shutil.which("unshare") is None or probe.returncode != 0:
            pytest.skip(f"no read-only bind mount here (unshare -rm: {probe.stderr.strip()[:80]})")
        return prefix
    target = folder if how == "immutable folder" else folder / "h.db"
    made = subprocess.run(["chattr", "+i", str(target)], capture_output=True, text=True) if shutil.which("chattr") else None
    if made is None or made.returncode != 0:
        pytest.skip(f"chattr +i is not available on this file system: {made.stderr.strip()[:80] if made else 'no chattr'}")
    return []


@pytest.mark.parametrize("how", ["immutable folder", "immutable file", "read-only mount"])
def test_a_read_only_history_fails_before_any_checking(how: str, clean_sample: Path, tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    with open_history(str(home / "h.db")) as history:
        history.record(release(), dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC))
    before = _state(home)
    # An input the checking would stop at ("file not found"): the history's error, not that, shows it never began.
    sample = copy_of(clean_sample, tmp_path / "sample")
    (sample / "ncmd" / "ncmd_deaths.csv").unlink()
    prefix = _read_only(how, home)
    try:
        started = time.monotonic()
        result = subprocess.run([*prefix, *TRIANGULATE, "run", str(sample / "release.yaml"), "--out", str(tmp_path / "out"),
                                 "--history", str(home / "h.db")], capture_output=True, text=True, timeout=120)  # fmt: skip
        took = time.monotonic() - started
        assert "cannot be written" in one_error_line(result) and result.stdout == ""
        assert not (tmp_path / "out").exists() and took < 30, took  # no waiting, no retrying
        listed = subprocess.run([*prefix, *TRIANGULATE, "history", "list", str(home / "h.db")], capture_output=True, text=True)
        assert listed.returncode == 0 and "2024-03-31" in listed.stdout, listed.stderr  # still readable
        assert _state(home) == before  # no -wal or -shm left behind, not a byte changed
    finally:
        subprocess.run(["chattr", "-i", str(home), str(home / "h.db")], capture_output=True)


def _two_kinds_of_run(url: str) -> None:
    """Run 1 a `run`, run 2 a `revisions` run."""
    old, new = Vintage(InputFile("old.csv", 10, "c" * 64), 7), Vintage(InputFile("new.csv", 11, "d" * 64), 6)
    with open_history(url) as history:
        now = dt.datetime.now(dt.UTC)
        assert history.record(release(), now, now) == 1
        with history.recording_revisions(Revisions(old, new, ("2023",), ("k",), ("v",), (), (), ()), now, now) as run_id:
            assert run_id == 2
            with open_history(url, create=False) as reader:
                assert [r.id for r in reader.runs()] == [1]  # not committed until the block ends
        assert [(r.id, r.command) for r in history.runs()] == [(2, "revisions"), (1, "run")]


def test_a_diff_compares_like_with_like(tmp_path: Path) -> None:
    url = str(tmp_path / "h.db")
    _two_kinds_of_run(url)
    refused = {
        ("--from", "1", "--to", "2"): "cannot diff run 1 (`run`, release 2024-03-31) with run 2 (`revisions`, release new.csv)",
        ("--from", "new.csv", "--to", "2024-03-31"): "cannot diff run 2 (`revisions`, release new.csv) with run 1 (`run`",
        ("--to", "2"): "run 2 (release new.csv) is a `revisions` run: history diff compares runs of check, reconcile, run",
    }
    for refs, expected in refused.items():
        line = one_error_line(run_cli("history", "diff", url, *refs))
        assert expected in line, line


def test_a_failed_block_records_nothing(tmp_path: Path) -> None:
    url = str(tmp_path / "h.db")
    old, new = Vintage(InputFile("old.csv", 10, "c" * 64), 7), Vintage(InputFile("new.csv", 11, "d" * 64), 6)
    with open_history(url) as history:
        now = dt.datetime.now(dt.UTC)
        with pytest.raises(OSError), history.recording_revisions(Revisions(old, new, (), (), (), (), (), ()), now, now):
            raise OSError("the outputs could not be written")
        assert history.runs() == []
    with open_history(url, create=False) as reader, pytest.raises(HistoryError, match="opened for reading"):
        reader.record(release(), now, now)


def test_run_ids_are_ascii_digits_in_range_and_anything_else_a_label(tmp_path: Path) -> None:
    url = str(tmp_path / "h.db")
    with open_history(url) as history:
        history.record(release(), dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC))
        for ref in (str(2**64), str(2**63), "²", "١", "-1", " 1", "1.0", "0"):
            with pytest.raises(HistoryError, match=f"no run or release {ref.strip()}"):
                history.diff(ref, 1)
        with pytest.raises(HistoryError, match=f"no run {2**64} in"):
            history.diff(2**64, 1)
    for ref in (str(2**64), "²"):  # the trial's two: an internal error, each
        line = one_error_line(run_cli("history", "diff", url, "--from", ref))
        assert line == f"triangulate: error: no run or release {ref} in the history", line


def test_a_label_of_digits_out_of_range_still_names_its_release(tmp_path: Path) -> None:
    url = str(tmp_path / "h.db")
    with open_history(url) as history:
        now = dt.datetime.now(dt.UTC)
        history.record(release(), now, now, label=str(2**64))
        history.record(release(second=True), now, now, label="²")
        found = history.diff(str(2**64), "²")
    assert (found.older.run_id, found.newer.run_id) == (1, 2)


# --- PostgreSQL ------------------------------------------------------------------------------------------------------


def _snapshot(url: str) -> list[tuple[str, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(sa.text("SELECT table_schema, table_name FROM information_schema.tables "
                                                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")).all()  # fmt: skip
            rows = connection.execute(sa.text("SELECT id::text, email FROM customers ORDER BY id")).all()
    finally:
        engine.dispose()
    return [tuple(map(str, t)) for t in (*tables, *rows)]


@needs_postgres
def test_a_postgresql_database_of_another_application_is_refused_and_untouched(request: pytest.FixtureRequest) -> None:
    url = new_database(request.getfixturevalue("postgres_url"))
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE customers (id serial PRIMARY KEY, email text)"))
            connection.execute(sa.text("INSERT INTO customers (email) VALUES ('x@example.org'), ('y@example.org')"))
    finally:
        engine.dispose()
    before = _snapshot(url)
    for create in (True, False):  # as a run opens it, and as list and diff do
        with pytest.raises(HistoryError, match=f"holds another application's data \\(customers\\).*{NOT_OURS}"):
            open_history(url, create=create)
    line = one_error_line(run_cli("history", "list", url))
    assert NOT_OURS in line and "customers" in line, line
    assert _snapshot(url) == before


@needs_postgres
def test_a_postgresql_history_being_created_is_waited_for_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    url = new_database(request.getfixturevalue("postgres_url"))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": CREATION_LOCK})  # as another run creating it
            monkeypatch.setenv(engines.TIMEOUT_VARIABLE, "1")
            started = time.monotonic()
            with pytest.raises(HistoryError, match="locked by another run: gave up after waiting 1"):
                open_history(url)
            assert time.monotonic() - started < 2.9 and capsys.readouterr().err == WAITING + "\n"
            holder.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": CREATION_LOCK})
        open_history(url).close()
        assert capsys.readouterr().err == ""  # nothing to wait for
    finally:
        engine.dispose()


@needs_postgres
def test_a_postgresql_role_that_may_only_read_can_list_but_not_record(request: pytest.FixtureRequest) -> None:
    url = new_database(request.getfixturevalue("postgres_url"))
    with open_history(url) as history:
        history.record(release(), dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC))
    role = "reader_" + uuid.uuid4().hex[:8]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
            connection.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    finally:
        engine.dispose()
    as_reader = url.replace("postgres@", f"{role}@")
    with open_history(as_reader, create=False) as history:
        assert len(history.runs()) == 1
    with pytest.raises(HistoryError, match="cannot be written: no permission to insert into runs"):
        open_history(as_reader)


def test_an_unreachable_server_fails_within_the_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    assert connections.CONNECT_TIMEOUT_S == 10  # the default; a test waits 2 s (libpq's least) of it
    monkeypatch.setattr(connections, "CONNECT_TIMEOUT_S", 2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nothing ever answers
        url = f"postgresql+psycopg://someone:s3cret@127.0.0.1:{silent.getsockname()[1]}/history"
        started = time.monotonic()
        with pytest.raises(HistoryError, match="did not answer within the connect timeout") as refused:
            open_history(url)
        took = time.monotonic() - started
    assert 1.5 < took < 4.5, took  # one connect timeout, not three
    assert "s3cret" not in str(refused.value) and "\n" not in str(refused.value)


def test_a_commit_that_fails_is_one_line_from_the_blocks_end(tmp_path: Path) -> None:
    """The contract pipeline/memory.py builds on: the outputs are written inside the block; a COMMIT that then fails
    (here a real one: SQLite refuses a deferred foreign key at COMMIT) raises HistoryError as the block ends."""
    url = str(tmp_path / "h.db")
    with open_history(url) as history:
        now = dt.datetime.now(dt.UTC)
        history.record(release(), now, now)

        def orphan(connection: sa.Connection) -> None:
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            connection.exec_driver_sql("INSERT INTO inputs (run_id, source, path, size, sha256) VALUES (999, 's', 'p', 1, 'x')")

        sa.event.listen(history._engine, "begin", orphan)  # after the store's own BEGIN IMMEDIATE
        written = []
        with pytest.raises(HistoryError, match=r"cannot record the run in history .*FOREIGN KEY constraint failed") as failed:
            with history.recording(release(second=True), now, now) as remembered:
                assert remembered.run.run_id == 2
                written.append("outputs")
        assert written == ["outputs"] and "\n" not in str(failed.value)
        sa.event.remove(history._engine, "begin", orphan)
        assert [r.id for r in history.runs()] == [1]  # the failed run is absent
        assert history.record(release(second=True), now, now) == 2  # and the history still takes runs
