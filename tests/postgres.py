"""A throwaway PostgreSQL server for the history tests: Debian's own binaries, a temporary cluster, a free port.

`make test` installs Debian's `postgresql` package, so a missing server is a failure, not a skip,
unless TRIANGULATE_NO_POSTGRES=1 says this machine deliberately has none.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BINARIES = "/usr/lib/postgresql/*/bin/initdb"
SKIP_VARIABLE = "TRIANGULATE_NO_POSTGRES"
SUPERUSER = "postgres"


def postgres_disabled() -> bool:
    return os.environ.get(SKIP_VARIABLE) == "1"


def _bin_dir() -> Path:
    found = sorted(glob.glob(BINARIES), key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    if not found:
        pytest.fail(f"PostgreSQL is not installed (no {BINARIES}): `make test` installs Debian's postgresql package; "
                    f"set {SKIP_VARIABLE}=1 to run without the PostgreSQL tests")  # fmt: skip
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(root: Path) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` system user the package creates."""
    if os.geteuid() != 0:
        return []
    shutil.chown(root, user=SUPERUSER, group=SUPERUSER)
    return ["runuser", "-u", SUPERUSER, "--"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A running server with one empty database: yields its postgresql+psycopg URL, stops the server at the end."""
    if postgres_disabled():
        pytest.skip(f"{SKIP_VARIABLE}=1: PostgreSQL tests not run")
    binaries = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="triangulate-pg-"))
    prefix = _as_server_user(root)
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    port = _free_port()

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=120)

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
        run("mkdir", str(sockets))
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as error:
        detail = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {error.stderr or error.stdout}\n{detail}")
    try:
        database = "triangulate_test"
        run(str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, database)
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def new_database(url: str) -> str:
    """Another empty database on the fixture's server, so each test starts from nothing."""
    import sqlalchemy as sa

    name = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name
