"""Run one harness under atheris (libFuzzer) for a while and say what it found.

    .venv/bin/python fuzz/run.py NAME [--seconds N] [--timeout N] [-- more libFuzzer flags]

NAME is a harness, fuzz/fuzz_NAME.py. The fuzzer starts from the seeds in fuzz/corpus/NAME/ and
keeps what it learns in out/fuzz/NAME/corpus/ (reused by the next run); its log is out/fuzz/NAME/fuzz.log.

A crash is any exception the harness lets through (anything but a TriangulateError). The first input
that raises each distinct exception (type and innermost frames) is saved as
tests/fuzz_regressions/NAME/crash-<signature>-<input hash>, its traceback appended to
out/fuzz/NAME/crashes.txt, and fuzzing goes on. A signature already saved there is not saved again.
Inputs that kill the process (a native crash, a timeout, out of memory) are written by libFuzzer to
out/fuzz/NAME/artifacts/; a native crash is copied to tests/fuzz_regressions/NAME/ as well.

Exit status: 0 if nothing new was found, 1 if a crash, timeout or out-of-memory input was.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import pkgutil
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
REGRESSIONS = ROOT / "tests" / "fuzz_regressions"
WORK = ROOT / "out" / "fuzz"
# Pure-Python libraries worth coverage feedback for one harness, besides triangulate itself.
ALSO_INSTRUMENT = {"config": ("yaml",)}
# Imported (so instrumented) up front: a module the code imports lazily, inside a function, would
# otherwise load after instrumentation ends and give the fuzzer no coverage to steer by.
STAGES = ("domain", "readers", "schemas", "canonical", "expectations", "model", "reconcile", "pipeline", "config")


def harnesses() -> list[str]:
    return sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py"))


def signature(error: BaseException) -> str:
    """What makes two crashes the same: the exception's type, the innermost frame, the innermost project frame."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if str(ROOT) in f.filename and f"{FUZZ}" not in f.filename and ".venv" not in f.filename]
    kind = type(error)
    parts = [kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"]
    for frame in (frames[-1:] + ours[-1:]) if frames else []:
        parts.append(f"{Path(frame.filename).name}:{frame.name}:{frame.lineno}")
    return " ".join(parts)


def _short_hash(text: str | bytes) -> str:
    return hashlib.sha1(text.encode() if isinstance(text, str) else text, usedforsecurity=False).hexdigest()[:12]


def child(name: str, libfuzzer_argv: list[str]) -> None:
    """The fuzzing process itself: instrument, import the harness, hand it to libFuzzer (never returns)."""
    import atheris

    sys.path.insert(0, str(FUZZ))
    with atheris.instrument_imports(include=["triangulate", "fuzzlib", f"fuzz_{name}", *ALSO_INSTRUMENT.get(name, ())]):
        for extra in ALSO_INSTRUMENT.get(name, ()):
            importlib.import_module(extra)
        for stage in STAGES:
            package = importlib.import_module(f"triangulate.{stage}")
            for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
                importlib.import_module(module.name)
        harness = importlib.import_module(f"fuzz_{name}")
    saved_in = REGRESSIONS / name
    log = WORK / name / "crashes.txt"
    known = {p.name.split("-")[1] for p in saved_in.glob("crash-*-*")}

    def one_input(data: bytes) -> None:
        try:
            harness.test_one_input(data)
        except Exception as error:  # noqa: BLE001 - the harness already let every TriangulateError pass
            found = signature(error)
            key = _short_hash(found)
            if key in known:
                return
            known.add(key)
            saved_in.mkdir(parents=True, exist_ok=True)
            target = saved_in / f"crash-{key}-{_short_hash(data)}"
            target.write_bytes(data)
            text = "".join(traceback.format_exception(error))
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"=== {target.relative_to(ROOT)}\n{found}\n{text}\n")
            print(f"\n=== NEW CRASH saved as {target.relative_to(ROOT)}\n{found}\n{text}", file=sys.stderr, flush=True)

    atheris.Setup([sys.argv[0], *libfuzzer_argv], one_input)
    atheris.Fuzz()


def parent(name: str, seconds: int, timeout: int, extra: list[str]) -> int:
    seeds = FUZZ / "corpus" / name
    work = WORK / name
    corpus, artifacts = work / "corpus", work / "artifacts"
    for folder in (corpus, artifacts):
        folder.mkdir(parents=True, exist_ok=True)
    crashes_log = work / "crashes.txt"
    before_log = crashes_log.read_text(encoding="utf-8").count("=== ") if crashes_log.exists() else 0
    before_artifacts = set(artifacts.iterdir())
    flags = [f"-max_total_time={seconds}", f"-timeout={timeout}", f"-artifact_prefix={artifacts}/", "-print_final_stats=1"]
    dictionary = FUZZ / "dicts" / f"{name}.dict"
    if dictionary.exists():
        flags.append(f"-dict={dictionary}")
    command = [sys.executable, __file__, "--child", name, "--", *flags, *extra, str(corpus), str(seeds)]
    print(f"fuzz {name}: {seconds} s, log in {(work / 'fuzz.log').relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    with (work / "fuzz.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", cwd=ROOT
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if "NEW CRASH" in line or line.startswith(("#", "INFO: Done", "==", "stat::", "ERROR", "Traceback")):
                sys.stdout.write(f"  {name}| {line}")
        status = process.wait()
    elapsed = time.monotonic() - started
    text = (work / "fuzz.log").read_text(encoding="utf-8")

    new_crashes = (crashes_log.read_text(encoding="utf-8").count("=== ") if crashes_log.exists() else 0) - before_log
    new_artifacts = sorted(set(artifacts.iterdir()) - before_artifacts)
    for artifact in new_artifacts:
        if artifact.name.startswith("crash-"):  # killed the process outright, e.g. a segfault in a C extension
            (REGRESSIONS / name).mkdir(parents=True, exist_ok=True)
            shutil.copy(artifact, REGRESSIONS / name / f"crash-native-{artifact.name.removeprefix('crash-')[:12]}")
    runs = _last(r"stat::number_of_executed_units:\s*(\d+)", text) or _last(r"Done (\d+) runs", text) or _last(r"#(\d+)\s", text)
    cov, features = _last(r"cov: (\d+)", text), _last(r"ft: (\d+)", text)
    units = _last(r"corp: (\d+)/", text)
    summary = (
        f"{name}\t{elapsed:.0f} s\t{runs or '?'} runs\tcov {cov or '?'}\tft {features or '?'}\tcorpus {units or '?'}"
        f"\t{new_crashes} new crash(es)\t{len(new_artifacts)} new artifact(s)\texit {status}"
    )
    print(f"fuzz {summary}", flush=True)
    for artifact in new_artifacts:
        print(f"  artifact: {artifact.relative_to(ROOT)}")
    with (WORK / "summary.tsv").open("a", encoding="utf-8") as handle:
        handle.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')}\t{summary}\n")
    # libFuzzer exits 0 when its time is up; anything else means the process died on an input.
    return 1 if new_crashes or new_artifacts or status != 0 else 0


def _last(pattern: str, text: str) -> str | None:
    found = re.findall(pattern, text)
    return found[-1] if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=harnesses())
    parser.add_argument("--seconds", type=int, default=600, help="how long to fuzz (default 600)")
    parser.add_argument("--timeout", type=int, default=60, help="seconds one input may take before it counts as a hang")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("libfuzzer", nargs="*", help="after --: flags passed to libFuzzer as they are")
    args = parser.parse_args()
    if args.child:
        child(args.name, args.libfuzzer)
        return 0
    return parent(args.name, args.seconds, args.timeout, args.libfuzzer)


if __name__ == "__main__":
    sys.exit(main())
