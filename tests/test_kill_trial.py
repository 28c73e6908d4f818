"""kill -9 inside the write window leaves no output half-written, and the next run removes what it left.

The full trial is `python scripts/kill_trial.py --trials 30`; CI runs a short one.
"""

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from triangulate.pipeline import atomic

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "kill_trial.py"


def test_a_short_kill_trial_passes(tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--trials", "2", "--seed", "3", "--max-delay", "0.005", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "trials: 2" in result.stdout
    assert "debris found after the next run: 0 temporary file(s)" in result.stdout
    assert "partial visible outputs: 0" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")) == []
    print(f"kill trial took {time.monotonic() - started:.0f} s")


def test_a_run_removes_only_its_own_left_behind_temporary_files(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("old")
    left = tmp_path / ".results.json.triangulate-0123456789abcdef.part"  # a killed run's
    left.write_text('{"half": ')
    kept = [
        ".results.json.triangulate-0123456789abcdeg.part",  # not hex
        ".results.json.triangulate-0123456789abcdef.partial",
        ".summary.md.triangulate-0123456789abcdef.part",  # an output this run does not write
        ".results.json.k3j2h1g0.part",  # someone else's pattern
        "results.json.triangulate-0123456789abcdef.part",
    ]
    for name in kept:
        (tmp_path / name).write_text("not ours to remove")
    atomic.write_all_atomic({tmp_path / "results.json": "{}"})
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "results.json"])
    assert (tmp_path / "results.json").read_text() == "{}"


def test_a_run_keeps_the_temporary_file_a_live_run_is_writing(tmp_path: Path) -> None:
    live = tmp_path / ".results.json.triangulate-fedcba9876543210.part"
    handle = os.open(live, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a writer holds it until its rename
        atomic.write_all_atomic({tmp_path / "results.json": "{}"})
        assert live.exists()
    finally:
        os.close(handle)
    atomic.write_all_atomic({tmp_path / "results.json": "{}"})  # its writer has gone: now it is a leftover
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_outputs_and_temporary_files_are_private(tmp_path: Path) -> None:
    atomic.write_all_atomic({tmp_path / "sub" / "results.json": "{}"})
    assert (tmp_path / "sub" / "results.json").stat().st_mode & 0o777 == 0o600
