"""All or nothing (issue 22): an output set that cannot be placed whole, or whose run the history cannot commit,
leaves the earlier set as it was, with no temporary file or backup beside it, and exits 2 with one line."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from triangulate.errors import SystemFault
from triangulate.pipeline import atomic, swap

from .conftest import TRIANGULATE, copy_of
from .postgres import new_database, postgres_url  # noqa: F401  (postgres_url: the fixture)

NAMES = ("a.txt", "b.txt", "c.txt")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


def test_a_swap_that_fails_half_way_puts_the_earlier_set_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.txt", "b.txt"):  # c.txt is new in this set: taking the set back removes it
        (tmp_path / name).write_text(f"old {name}")
    exchange = swap.exchange

    def refuse_the_second(folder: int, first: str, second: str) -> bool:
        if second == "b.txt":
            raise PermissionError(errno.EPERM, "Operation not permitted", second)
        return exchange(folder, first, second)

    monkeypatch.setattr(swap, "exchange", refuse_the_second)
    with pytest.raises(SystemFault) as raised:
        atomic.write_all_atomic({tmp_path / name: f"new {name}" for name in NAMES})
    assert str(tmp_path / "b.txt") in raised.value.one_line() and "not permitted" in raised.value.one_line()
    assert _contents(tmp_path) == {"a.txt": "old a.txt", "b.txt": "old b.txt"}  # a.txt swapped, then put back


def test_a_previous_output_that_cannot_be_put_back_is_kept_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        (tmp_path / name).write_text(f"old {name}")
    placed = atomic.place_all_atomic({tmp_path / name: f"new {name}" for name in NAMES})
    replace = os.replace

    def refuse_a(source: object, target: object) -> None:
        if Path(str(target)).name == "a.txt":
            raise OSError(errno.EIO, "Input/output error")
        replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", refuse_a)
    with pytest.raises(SystemFault) as raised:
        placed.restore()
    assert "a.txt is kept as" in raised.value.one_line()
    kept = {n: t for n, t in _contents(tmp_path).items() if n.startswith(".a.txt.")}
    assert list(kept.values()) == ["old a.txt"]  # never deleted
    assert {n: t for n, t in _contents(tmp_path).items() if not n.startswith(".")} == {
        "a.txt": "new a.txt", "b.txt": "old b.txt", "c.txt": "old c.txt"}  # fmt: skip


def test_a_placed_set_restored_is_the_earlier_set_and_settled_is_the_new(tmp_path: Path) -> None:
    for name in NAMES[:2]:
        (tmp_path / name).write_text(f"old {name}")
    placed = atomic.place_all_atomic({tmp_path / name: f"new {name}" for name in NAMES})
    # Placed: the new set is there, the previous outputs wait under their backups' names.
    assert {n: t for n, t in _contents(tmp_path).items() if not n.startswith(".")} == {n: f"new {n}" for n in NAMES}
    assert sorted(t for n, t in _contents(tmp_path).items() if n.startswith(".")) == ["old a.txt", "old b.txt"]
    placed.restore()
    assert _contents(tmp_path) == {"a.txt": "old a.txt", "b.txt": "old b.txt"}

    (tmp_path / "stale.csv").write_text("an earlier run's side file")
    again = atomic.place_all_atomic({tmp_path / name: f"new {name}" for name in NAMES}, [tmp_path / "stale.csv"])
    assert not (tmp_path / "stale.csv").exists()  # moved aside, and back if the set is restored
    again.restore()
    assert _contents(tmp_path) == {"a.txt": "old a.txt", "b.txt": "old b.txt", "stale.csv": "an earlier run's side file"}
    again = atomic.place_all_atomic({tmp_path / name: f"new {name}" for name in NAMES}, [tmp_path / "stale.csv"])
    again.settle()
    assert _contents(tmp_path) == {n: f"new {n}" for n in NAMES}


@pytest.fixture
def sticky_folder() -> Iterator[Path]:
    """A folder like /tmp (mode 1777, owned by root) that an unprivileged user writes into."""
    folder = Path(tempfile.mkdtemp(prefix="triangulate-sticky-", dir="/tmp"))
    folder.chmod(0o1777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


WRITE_SET = """
import sys
from pathlib import Path
from triangulate.errors import TriangulateError
from triangulate.pipeline.atomic import write_all_atomic
folder = Path(sys.argv[1])
try:
    write_all_atomic({folder / n: "new " + n for n in ("a.txt", "b.txt", "c.txt")})
except TriangulateError as error:
    print(error.one_line(), file=sys.stderr)
    sys.exit(2)
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to make a file another user cannot replace")
def test_a_side_file_owned_by_root_in_a_sticky_folder_leaves_the_whole_earlier_set(sticky_folder: Path) -> None:
    for name in NAMES:
        (sticky_folder / name).write_text(f"old {name}")
        os.chown(sticky_folder / name, 65534, 65534)
    os.chown(sticky_folder / "b.txt", 0, 0)  # the run's user may not rename over it (sticky folder)
    found = subprocess.run([*NOBODY, sys.executable, "-c", WRITE_SET, str(sticky_folder)],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert found.returncode == 2, found.stderr
    lines = found.stderr.strip().splitlines()
    assert len(lines) == 1 and "b.txt" in lines[0] and "Traceback" not in found.stderr
    assert _contents(sticky_folder) == {n: f"old {n}" for n in NAMES}  # not one new output, no temporary file


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to make another user's file")
def test_another_users_output_in_the_runs_own_folder_is_replaced_as_before(sticky_folder: Path) -> None:
    """A folder the run's user owns (not sticky) lets it replace a file another user owns: no hard link to that file
    is made (Linux's protected_hardlinks would refuse one), so this works as it always did."""
    folder = sticky_folder / "mine"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    for name in NAMES:
        (folder / name).write_text(f"old {name}")  # root's, 0644
    found = subprocess.run([*NOBODY, sys.executable, "-c", WRITE_SET, str(folder)], capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert _contents(folder) == {n: f"new {n}" for n in NAMES}  # and no backup left


# A history whose COMMIT fails: a deferred foreign key, checked only when the transaction commits, which a row
# inserted into the runs table breaks. The database is real; only its last step is refused.
SABOTAGE_SQLITE = """
CREATE TABLE sabotage_parent (id INTEGER PRIMARY KEY);
CREATE TABLE sabotage (run_id INTEGER REFERENCES sabotage_parent (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TRIGGER sabotage_commit AFTER INSERT ON runs BEGIN INSERT INTO sabotage VALUES (NEW.id); END;
"""


def _first_run(config: Path, out: Path, history: str) -> None:
    done = subprocess.run([*TRIANGULATE, "run", str(config), "--out", str(out), "--history", history],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr


def _assert_commit_failure_leaves_the_earlier_outputs(config: Path, out: Path, history: str) -> None:
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "results.json" in before
    found = subprocess.run([*TRIANGULATE, "run", str(config), "--out", str(out), "--history", history, "--release", "again"],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert found.returncode == 2, found.stderr
    lines = found.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot record the run" in lines[0] and "Traceback" not in found.stderr, found.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the earlier set, byte for byte, and nothing else


def test_a_history_commit_that_fails_puts_the_earlier_outputs_back_sqlite(clean_sample: Path, tmp_path: Path) -> None:
    sample = copy_of(clean_sample, tmp_path / "sample")
    out, history = tmp_path / "out", tmp_path / "h.db"
    _first_run(sample / "release.yaml", out, str(history))
    with sqlite3.connect(history) as connection:
        connection.executescript(SABOTAGE_SQLITE)
    _assert_commit_failure_leaves_the_earlier_outputs(sample / "release.yaml", out, str(history))
    with sqlite3.connect(history) as connection:
        assert connection.execute("SELECT count(*) FROM runs").fetchone() == (1,)  # the failed run is not in it


SABOTAGE_POSTGRES = """
CREATE FUNCTION sabotage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
CREATE CONSTRAINT TRIGGER sabotage_commit AFTER INSERT ON runs DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION sabotage();
"""


def test_a_history_commit_that_fails_puts_the_earlier_outputs_back_postgres(clean_sample: Path, tmp_path: Path,
                                                                           postgres_url: str) -> None:  # noqa: F811  # fmt: skip
    import sqlalchemy as sa

    postgres_database = new_database(postgres_url)
    sample = copy_of(clean_sample, tmp_path / "sample")
    out = tmp_path / "out"
    _first_run(sample / "release.yaml", out, postgres_database)
    engine = sa.create_engine(postgres_database)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(SABOTAGE_POSTGRES)
        _assert_commit_failure_leaves_the_earlier_outputs(sample / "release.yaml", out, postgres_database)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM runs").scalar() == 1
    finally:
        engine.dispose()
