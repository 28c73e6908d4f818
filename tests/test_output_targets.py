"""Outputs that cannot hurt the host (issue 21): a device, a FIFO or standard output is written in place, a named
symbolic link's target is written and the link stays, a side file never follows a planted link, and a kill -9
while writing leaves no temporary file at all where the file system has O_TMPFILE."""

from __future__ import annotations

import errno
import json
import os
import select
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from triangulate.errors import UsageError
from triangulate.pipeline import atomic

from .conftest import run_cli

KILL_TRIAL = Path(__file__).resolve().parents[1] / "scripts" / "kill_trial.py"
HEADER = "sin_id,la_code,incident_date,notification_date,date_of_birth,sex,nature,looked_after,abuse_neglect\n"
ROWS = (
    "S1,E09000001,2023-01-05,2023-01-09,2010-02-01,F,death,current,known\n"
    "S2,,2023-01-06,2023-01-10,2011-03-01,M,death,current,known\n"  # no LA: a failing record, so a side file
)


def _check(tmp_path: Path, *outputs: str) -> subprocess.CompletedProcess[str]:
    sins = tmp_path / "sins.csv"
    sins.write_text(HEADER + ROWS, encoding="utf-8")
    return run_cli("check", "--source", "csprp", str(sins), "--reference-date", "2023-03-31", *outputs, cwd=tmp_path)


def _results(text: str) -> dict[str, object]:
    document = json.loads(text)
    assert document["source"] == "csprp" and document["records"] == 2
    return document


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_character_device_stays_a_device(tmp_path: Path) -> None:
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    before = os.stat(device)
    result = _check(tmp_path, "--json", str(device))
    assert result.returncode == 1, result.stderr
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode), "the device was replaced"
    assert (after.st_mode, after.st_rdev, after.st_ino) == (before.st_mode, before.st_rdev, before.st_ino)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "sins.csv"]  # no temporary file, no side file


def test_a_fifo_gets_the_json_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo, 0o600)
    received: list[bytes] = []
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open now: the run's writer finds a reader

    def read_until_closed() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            ready, _, _ = select.select([reader], [], [], 0.1)  # not ready until a writer has come
            if ready:
                chunk = os.read(reader, 65536)
                if not chunk:
                    return  # the writer closed it
                received.append(chunk)

    thread = threading.Thread(target=read_until_closed, daemon=True)
    thread.start()
    try:
        result = _check(tmp_path, "--json", str(fifo))
        thread.join(timeout=60)
    finally:
        os.close(reader)
    assert result.returncode == 1, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced"
    _results(b"".join(received).decode("utf-8"))


def test_a_named_link_is_followed_and_stays_and_a_planted_side_file_link_is_not(tmp_path: Path) -> None:
    target = tmp_path / "kept" / "results.json"
    target.parent.mkdir()
    target.write_text("previous\n")
    link = tmp_path / "results.json"
    link.symlink_to(target)
    victim = tmp_path / "victim.txt"
    victim.write_text("not an output\n")
    planted = tmp_path / "report.check-failures.csv"  # a side file of --html report.html, planted as a link
    planted.symlink_to(victim)
    result = _check(tmp_path, "--json", str(link), "--html", str(tmp_path / "report.html"))
    assert result.returncode == 1, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    _results(target.read_text())
    assert not planted.is_symlink() and "S2" in planted.read_text()  # the side file replaced the link
    assert victim.read_text() == "not an output\n"
    assert not [p for p in (*tmp_path.iterdir(), *target.parent.iterdir()) if p.name.endswith(".part")]


def test_a_link_the_tool_chose_is_replaced_and_one_the_user_named_is_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("not an output\n")
    (tmp_path / "chosen.json").symlink_to(victim)
    (tmp_path / "named.json").symlink_to(tmp_path / "target.json")  # a dangling link: its target is made
    atomic.write_all_atomic(
        {tmp_path / "chosen.json": "chosen\n", tmp_path / "named.json": "named\n"}, named=[tmp_path / "named.json"]
    )
    assert victim.read_text() == "not an output\n" and (tmp_path / "chosen.json").read_text() == "chosen\n"
    assert not (tmp_path / "chosen.json").is_symlink() and (tmp_path / "named.json").is_symlink()
    assert (tmp_path / "target.json").read_text() == "named\n"
    # `run --out`: an output's default name there is the tool's choice, one given by name is the user's.
    from triangulate.pipeline.outputs import ToolChosenPath, chosen_by_tool

    marked = chosen_by_tool(
        {"json": tmp_path / "named.json", "html": tmp_path / "report.html"}, {"json": tmp_path / "named.json"}
    )
    assert not isinstance(marked["json"], ToolChosenPath) and isinstance(marked["html"], ToolChosenPath)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_block_device_is_refused_before_any_work(tmp_path: Path) -> None:
    from triangulate.pipeline.outputs import validate_targets

    disk = tmp_path / "disk"
    os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(7, 0))  # never opened: refused by its type
    with pytest.raises(UsageError, match="block device"):
        validate_targets({"json": disk})
    assert stat.S_ISBLK(os.stat(disk).st_mode)


def test_dash_writes_the_json_to_standard_output_alone(tmp_path: Path) -> None:
    result = _check(tmp_path, "--json", "-")
    assert result.returncode == 1, result.stderr
    _results(result.stdout)  # the JSON alone: the console's summary went to standard error
    assert "FAIL" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sins.csv"]  # no file called "-"


def _has_o_tmpfile(folder: Path) -> bool:
    try:
        handle = os.open(folder, getattr(os, "O_TMPFILE", 0) | os.O_WRONLY, 0o600)
    except OSError as error:
        if error.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return False
        raise
    os.close(handle)
    return hasattr(os, "O_TMPFILE")


def test_a_kill_while_writing_leaves_no_temporary_file_at_all(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if not _has_o_tmpfile(out):
        pytest.skip(f"{out} is on a file system without O_TMPFILE: temporary files are named there")
    # Each kill lands at a random moment in the first 0.5 s after the run holds its first temporary file; each
    # output file is followed by a 0.2 s pause, so the kills land while the outputs (at least four) are being written.
    result = subprocess.run(
        [sys.executable, str(KILL_TRIAL), "--trials", "3", "--seed", "7", "--max-delay", "0.5", "--slow-writes", "0.2",
         "--no-debris", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "debris found before the next run: 0 temporary file(s)" in result.stdout
    inside = int(result.stdout.split("kills inside the write window: ")[1].split()[0])
    assert inside == 3, result.stdout  # every kill landed while writing
    assert "partial visible outputs: 0" in result.stdout


def test_links_planted_at_names_the_tool_chooses_never_stop_the_run(clean_sample: Path, tmp_path: Path) -> None:
    """Two links in --out at default names, both to one victim: replaced by the outputs, not 'the same file' (exit 2)."""
    from .conftest import copy_of

    copy_of(clean_sample, tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("not an output\n")
    for name in ("results.json", "junit.xml", "report.check-failures.csv"):
        (out / name).symlink_to(victim)
    result = run_cli("run", str(tmp_path / "in" / "release.yaml"), "--out", str(out))
    assert result.returncode in (0, 1), result.stderr
    assert victim.read_text() == "not an output\n"
    assert not (out / "results.json").is_symlink() and json.loads((out / "results.json").read_text())["gate"] == "release"


def test_any_number_of_outputs_may_be_thrown_away(tmp_path: Path) -> None:
    result = _check(tmp_path, "--json", "/dev/null", "--junit", "/dev/null", "--html", "/dev/null")
    assert result.returncode in (0, 1), result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
