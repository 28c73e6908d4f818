"""Replay what the fuzzers found (tests/fuzz_regressions/<harness>/) and what they start from
(fuzz/corpus/<harness>/) through the harness's own `test_one_input`, without atheris.

A harness lets a TriangulateError pass (the expected answer to bad input) and nothing else, so a
replay that raises is a reader crash. `make fuzz` saves each new crash here; until the fix lands,
list it in KNOWN_CRASHES, which marks it xfail(strict=True): the suite stays green, and the test
fails again the moment the crash is fixed, to have the entry removed.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
REGRESSIONS = Path(__file__).resolve().parent / "fuzz_regressions"
SEEDS = FUZZ / "corpus"

# Saved crashes not fixed yet, by file-name prefix "crash-<signature>" (fuzz/run.py names each file by
# a hash of its exception type and innermost frames, so one crash has one prefix in every harness's
# folder) -> what goes wrong. Remove an entry when its fix lands (strict: a fixed crash fails as XPASS).
_LONE_CR = (
    "readers/tables.py _record_lines: _csv.Error 'new-line character seen in unquoted field' from csv.reader "
    "on a lone carriage return in an unquoted field, when the line count differs from pandas' record count"
)
KNOWN_CRASHES: dict[str, str] = {}  # every crash found so far is fixed; its input stays as a regression test


def _harness(name: str) -> ModuleType:
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    return importlib.import_module(f"fuzz_{name}")


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            yield folder.name, path


def _known(path: Path) -> str | None:
    return next((why for prefix, why in KNOWN_CRASHES.items() if path.name.startswith(prefix)), None)


def _crash_cases() -> list[object]:
    cases = []
    for harness, path in _files(REGRESSIONS):
        reason = _known(path)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(harness, path, id=f"{harness}/{path.name}", marks=marks))
    return cases


def _seed_cases() -> list[object]:
    return [pytest.param(harness, path, id=f"{harness}/{path.name}") for harness, path in _files(SEEDS)]


@pytest.mark.parametrize(("harness", "path"), _crash_cases())
def test_saved_fuzz_crash_is_refused_cleanly(harness: str, path: Path) -> None:
    _harness(harness).test_one_input(path.read_bytes())


@pytest.mark.parametrize(("harness", "path"), _seed_cases())
def test_fuzz_seed_passes_its_harness(harness: str, path: Path) -> None:
    _harness(harness).test_one_input(path.read_bytes())


def test_every_harness_has_seeds_and_every_saved_input_a_harness() -> None:
    harnesses = {p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py")}
    assert harnesses, "no fuzz/fuzz_*.py harness"
    assert {h for h in harnesses if not any((SEEDS / h).glob("*"))} == set()
    saved = {p.name for p in REGRESSIONS.iterdir() if p.is_dir()} if REGRESSIONS.is_dir() else set()
    assert saved <= harnesses, f"tests/fuzz_regressions/ has inputs for no harness: {sorted(saved - harnesses)}"


def test_known_crashes_name_saved_inputs() -> None:
    saved = [path.name for _, path in _files(REGRESSIONS)]
    stale = [key for key in KNOWN_CRASHES if not any(name.startswith(key) for name in saved)]
    assert stale == [], "KNOWN_CRASHES entries whose input is gone (remove them)"


def test_harnesses_need_no_atheris() -> None:
    """Only fuzz/run.py imports atheris, so `make test` replays without it installed."""
    for path in [FUZZ / "fuzzlib.py", *FUZZ.glob("fuzz_*.py")]:
        assert "import atheris" not in path.read_text(encoding="utf-8"), path.name
