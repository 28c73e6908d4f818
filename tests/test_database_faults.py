"""A database source that cannot be read (issue 27, item 5): an unreachable server (connection refused, an unknown
host, a wrong password) fails within seconds, in one line, exit 2, never showing the password and writing no output;
a table or a column that is not there is named; a query that fails while it is read leaves no output behind."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from triangulate.canonical.registry import SourceOptions, source_kind
from triangulate.errors import InputError
from triangulate.readers import database
from triangulate.readers.database import database_source
from triangulate.readers.files import inputs_recorded

from .conftest import one_error_line, run_cli
from .postgres import _as_server_user, _bin_dir, _free_port, new_database, postgres_disabled, postgres_url  # noqa: F401

RIGHT, WRONG = "R1ght-Pass/word", "Wr0ng-Pass:word"
COLUMNS = ("ncmd_case_id", "child_id", "la_code", "sex", "date_of_birth", "date_of_death", "social_care_status")
SECONDS = 15  # "within seconds": PostgreSQL's connect timeout is 10 s; a refusal or an unknown name is at once


def ncmd_rows(count: int) -> list[tuple[str, ...]]:
    return [(f"N{n:05d}", f"P{n}", "E06000001", "F", "2010-01-01", "2022-06-01", "NEVER") for n in range(count)]


def ncmd_table(url: str, count: int = 3) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute(f"CREATE TABLE deaths ({', '.join(f'{c} text' for c in COLUMNS)})")
        with connection.cursor().copy("COPY deaths FROM STDIN") as copy:
            for row in ncmd_rows(count):
                copy.write_row(row)


def refused(tmp_path: Path, source: str, *secrets: str, env: dict[str, str] | None = None) -> str:
    """`triangulate run` on a config with the one source: its one line (exit 2, no traceback), after checking that it
    came within seconds, names no secret and wrote nothing."""
    (tmp_path / "run.yaml").write_text(f"reference_date: 2023-03-31\nsources:\n  ncmd: {source}\n", encoding="utf-8")
    started = time.monotonic()
    result = run_cli("run", str(tmp_path / "run.yaml"), "--out", str(tmp_path / "out"), env=env)
    assert time.monotonic() - started < SECONDS, result.stderr
    line = one_error_line(result)
    for secret in secrets:
        assert secret not in result.stdout + result.stderr and quote(secret, safe="") not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    return line


@pytest.fixture(scope="module")
def password_server() -> Iterator[str]:
    """A server that asks for a password (SCRAM), unlike the suite's: its URL with the right one."""
    if postgres_disabled():
        pytest.skip("TRIANGULATE_NO_POSTGRES=1: PostgreSQL tests not run")
    binaries = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="triangulate-pg-auth-"))
    prefix = _as_server_user(root)
    password_file = root / "password"
    password_file.write_text(RIGHT + "\n", encoding="utf-8")
    if prefix:  # initdb runs as the server's user, who must read the file
        shutil.chown(password_file, user="postgres")
    data, port = root / "data", _free_port()

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=120)

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "scram-sha-256", f"--pwfile={password_file}",
            "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        run("mkdir", str(root / "sockets"))
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "-o",
            f"-p {port} -k {root / 'sockets'} -c listen_addresses=127.0.0.1 -c fsync=off", "start")  # fmt: skip
    except subprocess.CalledProcessError as error:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {error.stderr or error.stdout}")
    try:
        yield f"postgresql+psycopg://postgres:{quote(RIGHT, safe='')}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True,
                       timeout=120)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def test_a_wrong_password_is_one_line_that_shows_neither_password(tmp_path: Path, password_server: str) -> None:
    wrong = password_server.replace(quote(RIGHT, safe=""), quote(WRONG, safe=""))
    line = refused(tmp_path, "{kind: ncmd, url: {env: NCMD_URL}, table: deaths}", RIGHT, WRONG, env={"NCMD_URL": wrong})
    assert "cannot connect" in line and "password authentication failed" in line
    assert "postgresql+psycopg://postgres:***@127.0.0.1:" in line
    # The right one reaches the table, which is not there: named, again without the password.
    line = refused(tmp_path, "{kind: ncmd, url: {env: NCMD_URL}, table: deaths}", RIGHT, env={"NCMD_URL": password_server})
    assert line.endswith("table 'deaths' does not exist (or is not visible to this user)")


def test_a_refused_connection_is_one_line_at_once(tmp_path: Path) -> None:
    url = f"postgresql://reader:{quote(RIGHT, safe='')}@127.0.0.1:{_free_port()}/release"
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", table: deaths}}', RIGHT)
    assert "cannot connect" in line and "refused" in line.lower() and "reader:***@127.0.0.1" in line


def test_an_unknown_host_is_one_line_at_once(tmp_path: Path) -> None:
    url = f"postgresql://reader:{quote(RIGHT, safe='')}@no-such-host.invalid/release"
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", table: deaths}}', RIGHT)
    assert "cannot connect" in line and "no-such-host.invalid" in line


def test_a_server_that_never_answers_gives_up_at_the_urls_own_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:  # the kernel completes the handshake; nothing ever speaks PostgreSQL
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://reader:{quote(RIGHT, safe='')}@127.0.0.1:{silent.getsockname()[1]}/release?connect_timeout=2"
        started = time.monotonic()
        line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", table: deaths}}', RIGHT)
    assert "did not answer within 2 s" in line and time.monotonic() - started < 10


def test_a_table_or_column_that_is_not_there_is_named(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    url = new_database(postgres_url)
    ncmd_table(url)
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", table: ncmd_deaths}}')
    assert line.endswith("table 'ncmd_deaths' does not exist (or is not visible to this user)")
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute("ALTER TABLE deaths RENAME COLUMN sex TO gender")
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", table: deaths}}')
    assert "table 'deaths' has no column 'sex' (its columns: ncmd_case_id, child_id, la_code, gender," in line
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", query: "SELECT ncmd_case_id, sex FROM deaths"}}')
    assert "the deaths query cannot be read" in line and 'column "sex" does not exist' in line
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", query: "SELEC everything"}}')
    assert "the deaths query cannot be read" in line and "syntax error" in line


def test_a_query_that_fails_in_a_late_row_leaves_no_output(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    url = new_database(postgres_url)
    ncmd_table(url, count=5_000)
    # Not a constant 1 / 0, which the planner would fold before any row: a division by zero in one late row.
    failing = ("SELECT ncmd_case_id, child_id, la_code, date_of_birth, date_of_death, social_care_status, "
               "CASE WHEN 1 / (CASE WHEN ncmd_case_id = 'N04990' THEN 0 ELSE 1 END) = 1 THEN sex END AS sex FROM deaths")  # fmt: skip
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", query: "{failing}"}}')
    assert "the deaths query failed while it was read: division by zero" in line
    (tmp_path / "out").mkdir()  # an output folder that exists keeps what it held: nothing is replaced
    (tmp_path / "out" / "results.json").write_text("{}", encoding="utf-8")
    (tmp_path / "run.yaml").write_text(f'sources:\n  ncmd: {{kind: ncmd, url: "{url}", query: "{failing}"}}\n', encoding="utf-8")
    assert run_cli("run", str(tmp_path / "run.yaml"), "--out", str(tmp_path / "out")).returncode == 2
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["results.json"]
    assert (tmp_path / "out" / "results.json").read_text(encoding="utf-8") == "{}"


def test_a_server_that_ends_the_session_mid_read_is_one_line_not_an_internal_error(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    url = new_database(postgres_url)
    ncmd_table(url, count=2_000)
    ending = ("SELECT ncmd_case_id, child_id, la_code, sex, date_of_birth, date_of_death, CASE WHEN ncmd_case_id = 'N01990' "
              "THEN CAST(pg_terminate_backend(pg_backend_pid()) AS text) ELSE social_care_status END AS social_care_status FROM deaths")  # fmt: skip
    line = refused(tmp_path, f'{{kind: ncmd, url: "{url}", query: "{ending}"}}')
    assert "the deaths query failed while it was read" in line and "terminat" in line.lower()


def test_a_read_that_fails_after_some_chunks_keeps_nothing_of_them(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The driver fails on the third fetch, after two chunks were turned into text: the error, and nothing recorded."""
    import psycopg

    url = new_database(postgres_url)
    ncmd_table(url, count=50)
    monkeypatch.setattr(database, "CHUNK_ROWS", 10)
    real = database._streaming_cursor

    class Failing:
        def __init__(self, cursor: object) -> None:
            self.cursor, self.fetches = cursor, 0

        def execute(self, sql: str) -> None:
            self.cursor.execute(sql)  # type: ignore[attr-defined]

        def fetchmany(self, size: int) -> list:
            self.fetches += 1
            if self.fetches == 3:
                raise psycopg.errors.AdminShutdown("terminating connection due to administrator command")
            return self.cursor.fetchmany(size)  # type: ignore[attr-defined]

        def close(self) -> None:
            self.cursor.close()  # type: ignore[attr-defined]

    monkeypatch.setattr(database, "_streaming_cursor", lambda connection: Failing(real(connection)))
    options = SourceOptions("ncmd", "ncmd", (), database=database_source(url, "x", {"deaths": "deaths"}, {}))
    with inputs_recorded() as recorded, pytest.raises(InputError, match="table 'deaths' failed while it was read: terminating"):
        source_kind("ncmd").read(options)
    assert recorded == []
    monkeypatch.setattr(database, "_streaming_cursor", real)
    with inputs_recorded() as recorded:
        frame = source_kind("ncmd").read(options)["deaths"]
    assert len(frame) == 50 and len(recorded) == 1 and isinstance(frame, pd.DataFrame)
