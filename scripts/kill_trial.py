"""kill -9 trial: SIGKILL `triangulate run` inside its write window, again and again, in one folder.

Each trial starts `triangulate run RELEASE.yaml --out DIR`, polls until the run holds its first
temporary file in DIR open (the write window has begun): an unnamed one (O_TMPFILE, seen in
/proc/PID/fd as `DIR/#INODE (deleted)`) or a named `.part` one; it then waits a random moment and
sends SIGKILL. SIGKILL cannot be caught, so a kill inside the window may leave temporary files
behind where the file system has no O_TMPFILE; what must hold is:

* every visible output in DIR is absent or whole after every kill (results.json parses as
  JSON, junit.xml as XML, report.html ends with </html>, the Markdown and CSV files end with a
  newline), and
* the NEXT run in the same folder removes the temporary files a killed run left: each trial's
  run is the next run of the trial before it (its leftovers must be gone once it has begun to
  write), and one last run, not killed, must leave no temporary file at all; and
* with --no-debris (a folder on a file system with O_TMPFILE), a kill leaves no temporary file at
  all, not even one for the next run to remove.

Usage: python scripts/kill_trial.py [--trials N] [--seed S] [--release RELEASE.yaml] [--work DIR] [--no-debris]
                                   [--max-delay SECONDS] [--slow-writes SECONDS]
Without --release a small sample is made first (`triangulate synth --children 3000 --years 1`).
Exit 0 when every check holds, 1 on debris left after a next run (or any, with --no-debris) or a
partial output.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

POLL_SECONDS = 0.0002
# --slow-writes: the run's own code, with a pause after each output file is written (before the renames), so
# that kills at random moments within --max-delay land while the outputs are being written.
SLOW_WRITES = """
import sys, time
from triangulate.pipeline import atomic
from triangulate.cli import main
write, pause = atomic._write_through, float(sys.argv.pop(1))

def slow(handle, text):
    write(handle, text)
    time.sleep(pause)

atomic._write_through = slow
main(sys.argv[1:])
"""
RUN_TIMEOUT = 600
SHOWN = 10  # temporary files listed by name in the summary


def triangulate_command() -> list[str]:
    """The console script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("triangulate")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "triangulate.cli"]


def is_temporary(name: str) -> bool:
    """Anything a writer leaves half-way: a hidden name or a .part file (visible outputs are neither)."""
    return name.startswith(".") or name.endswith(".part")


def temporaries(folder: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in os.listdir(folder):
        if is_temporary(name):
            try:
                found[name] = (folder / name).stat().st_size
            except FileNotFoundError:  # renamed or removed while we looked
                continue
    return found


def holds_temporary(pid: int, folder: Path) -> bool:
    """Whether process `pid` has a temporary file in `folder` open: unnamed (O_TMPFILE) or named."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        entries = os.listdir(fds)
    except OSError:  # ended
        return False
    for entry in entries:
        try:
            target = os.readlink(fds / entry)
        except OSError:
            continue
        file = Path(target.removesuffix(" (deleted)"))
        if file.parent == folder and (file.name.startswith("#") or is_temporary(file.name)):
            return True
    return False


def partial_outputs(folder: Path) -> list[str]:
    """Visible outputs that are not whole, each with the reason."""
    problems = []
    for path in sorted(folder.iterdir()):
        if is_temporary(path.name) or not path.is_file():
            continue
        data = path.read_bytes()
        try:
            if path.suffix == ".json":
                json.loads(data)
            elif path.suffix == ".xml":
                ET.fromstring(data)  # noqa: S314
            elif path.suffix == ".html":
                if not data.rstrip().endswith(b"</html>"):
                    raise ValueError("does not end with </html>")
            elif not data.endswith(b"\n"):
                raise ValueError("does not end with a newline")
        except (ValueError, ET.ParseError) as error:
            problems.append(f"{path.name} ({len(data)} bytes): {type(error).__name__}: {str(error)[:80]}")
    return problems


@dataclass
class Tally:
    trials: int = 0
    window: float | None = None  # seconds temporary files were seen in a run not killed
    inside: int = 0  # killed holding a temporary file (named or unnamed): inside the write window
    after_window: int = 0  # killed holding none: before the first or once every one was renamed
    missed: int = 0  # the run ended before a temporary file was seen
    debris_trials: int = 0
    debris_files: int = 0
    debris_bytes: int = 0
    debris_empty: int = 0
    left_after_next_run: dict[str, str] = field(default_factory=dict)  # temporary file -> the run that left it
    partial: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def kill_in_window(command: list[str], out: Path, delay: float | None, log: Path) -> tuple[str, dict[str, int], float]:
    """Start a run and SIGKILL it `delay` seconds after it first holds a temporary file (None: let it end).

    Returns how it went ("inside": killed holding a temporary file, named or not; "after": killed
    once it held none; "ended" before a temporary file was seen), the named temporary files present
    when the first temporary was seen (by name and size), and how long temporary files were seen for
    (the write window).
    """
    before = set(temporaries(out))
    folder = out.resolve()  # as /proc shows it
    with log.open("ab") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    seen: dict[str, int] | None = None
    first = last = 0.0
    try:
        while process.poll() is None:
            current = temporaries(out)
            if set(current) - before or holds_temporary(process.pid, folder):
                last = time.monotonic()
                if seen is None:
                    seen, first = current, last
                if delay is not None:
                    time.sleep(delay)
                    inside = bool(set(temporaries(out)) - before) or holds_temporary(process.pid, folder)
                    process.send_signal(signal.SIGKILL)
                    process.wait(timeout=RUN_TIMEOUT)
                    return "inside" if inside else "after", seen, 0.0
            time.sleep(POLL_SECONDS)
        return "ended", seen or {}, last - first
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def run_trials(
    release: Path, work: Path, trials: int, seed: int, max_delay: float | None, slow_writes: float | None = None
) -> Tally:
    rng = random.Random(seed)
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    runner = triangulate_command() if slow_writes is None else [sys.executable, "-c", SLOW_WRITES, str(slow_writes)]
    command = [*runner, "run", str(release), "--out", str(out)]
    tally = Tally()
    if max_delay is None:
        # A first run, not killed, gives the previous outputs and the length of the write window.
        _, _, window = kill_in_window(command, out, None, log)
        tally.window = window
        max_delay = window
    left_by_last: dict[str, int] = {}
    for trial in range(1, trials + 1):
        tally.trials += 1
        outcome, _, _ = kill_in_window(command, out, rng.uniform(0, max_delay), log)
        debris = temporaries(out)
        # This run was the next run of the trial before: whatever that one left must be gone.
        stayed = sorted(set(left_by_last) & set(debris))
        for name in stayed:
            tally.left_after_next_run.setdefault(name, f"left by trial {trial - 1}, still there after trial {trial}")
        new = {name: size for name, size in debris.items() if name not in left_by_last}
        if outcome == "ended":
            tally.missed += 1
        elif outcome == "inside":
            tally.inside += 1
        else:
            tally.after_window += 1
        if new:
            tally.debris_trials += 1
            tally.debris_files += len(new)
            tally.debris_bytes += sum(new.values())
            tally.debris_empty += sum(1 for size in new.values() if size == 0)
        tally.partial += [f"trial {trial}: {problem}" for problem in partial_outputs(out)]
        left_by_last = debris
        print(
            f"trial {trial:3d}: {outcome:6s} {len(new)} temporary file(s) left"
            + (f", {len(stayed)} of the previous run's still there" if stayed else ""),
            flush=True,
        )
    # The last next run, not killed: it must remove every leftover and leave none of its own.
    with log.open("ab") as stderr:
        final = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=stderr, timeout=RUN_TIMEOUT, check=False)
    if final.returncode not in (0, 1):
        tally.failures.append(f"the last run exited {final.returncode} (see {log})")
    for name in sorted(temporaries(out)):
        tally.left_after_next_run.setdefault(
            name, "still there after the last run" if name in left_by_last else "left by the last run"
        )
    tally.partial += [f"last run: {problem}" for problem in partial_outputs(out)]
    return tally


def summary(tally: Tally, no_debris: bool = False) -> str:
    lines = [
        f"trials: {tally.trials}"
        + (f" (write window of a run not killed: {tally.window * 1000:.1f} ms; kills spread over it)" if tally.window else ""),
        f"kills inside the write window: {tally.inside} (a temporary file held when killed);"
        f" after it: {tally.after_window}; runs that ended before their first temporary file was seen: {tally.missed}",
        f"debris found before the next run: {tally.debris_files} temporary file(s) in {tally.debris_trials} trial(s),"
        f" {tally.debris_bytes} bytes, {tally.debris_empty} empty",
        f"debris found after the next run: {len(tally.left_after_next_run)} temporary file(s)",
        f"partial visible outputs: {len(tally.partial)}",
    ]
    lines += [f"  {name}: {where}" for name, where in list(tally.left_after_next_run.items())[:SHOWN]]
    if len(tally.left_after_next_run) > SHOWN:
        lines.append(f"  ... and {len(tally.left_after_next_run) - SHOWN} more")
    lines += [f"  partial: {item}" for item in tally.partial]
    lines += [f"  failed: {item}" for item in tally.failures]
    lines.append("result: " + ("OK" if passed(tally, no_debris) else "FAILED"))
    return "\n".join(lines)


def passed(tally: Tally, no_debris: bool = False) -> bool:
    return not (tally.left_after_next_run or tally.partial or tally.failures or (no_debris and tally.debris_files))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=30, help="runs to kill (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments (default 1)")
    parser.add_argument("--release", type=Path, help="release config to run (default: a small synthetic sample)")
    parser.add_argument("--work", type=Path, help="folder for the sample, outputs and run log (default: a temporary one)")
    parser.add_argument(
        "--max-delay",
        type=float,
        help="longest wait, in seconds, after the first temporary file appears before the kill"
        " (default: the write window, measured by a first run that is not killed)",
    )
    parser.add_argument(
        "--no-debris",
        action="store_true",
        help="fail if a kill leaves any temporary file at all (for a folder on a file system with O_TMPFILE)",
    )
    parser.add_argument(
        "--slow-writes",
        type=float,
        help="pause this many seconds after writing each output file (a longer write window to aim the kills at)",
    )
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="kill-trial-"))
    work.mkdir(parents=True, exist_ok=True)
    release = args.release
    if release is None:
        sample = work / "sample"
        subprocess.run(
            [*triangulate_command(), "synth", "--out", str(sample), "--seed", "1", "--children", "3000", "--years", "1"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        release = sample / "release.yaml"
    print(f"kill trial: {args.trials} trials, seed {args.seed}, {release} -> {work / 'out'}", flush=True)
    tally = run_trials(release.resolve(), work, args.trials, args.seed, args.max_delay, args.slow_writes)
    print(summary(tally, args.no_debris))
    ok = passed(tally, args.no_debris)
    if ok and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
