"""What every harness shares: the fuzzer's bytes become temporary files (the readers take paths),
the call runs, and only `TriangulateError` (InputError, ConfigError, UsageError) counts as the
expected answer to bad input. Anything else escapes, and that is a crash.

No atheris here, nor in any `fuzz_<name>.py`: tests/test_fuzz_regressions.py imports the harnesses
to replay saved inputs without it. Only `fuzz/run.py` imports atheris.

How deep a record source goes is `TRIANGULATE_FUZZ_DEPTH`:

- `read`: the reader only;
- `check` (the default): `pipeline.check.check_source` with the Great Expectations suite left out
  (its runner is swapped for one that finds nothing, for the duration of the call): the reader, every
  raw table through its Pandera schema, the canonical mapper, and the SourceResult built from them;
- `full`: `check_source` as the CLI runs it, GX included (about 4x slower a run, 3 s to start).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from unittest import mock

from triangulate.canonical.registry import SourceOptions, source_kind
from triangulate.errors import TriangulateError
from triangulate.expectations import SuiteFindings
from triangulate.pipeline import check

REFERENCE_DATE = dt.date(2023, 3, 31)
DEPTHS = ("read", "check", "full")
# Harnesses that take several files (SSDA903: a header and an episodes table) split the input here.
FILE_SEPARATOR = b"\n#--next-file--#\n"
MAX_FILES = 4


def depth() -> str:
    value = os.environ.get("TRIANGULATE_FUZZ_DEPTH", "check")
    if value not in DEPTHS:
        raise SystemExit(f"TRIANGULATE_FUZZ_DEPTH must be one of {', '.join(DEPTHS)}, not {value!r}")
    return value


@contextlib.contextmanager
def written(files: Sequence[tuple[str, bytes]]) -> Iterator[tuple[Path, ...]]:
    """Each (name, bytes) as a file in a fresh temporary folder, removed afterwards whatever happens."""
    with tempfile.TemporaryDirectory(prefix="triangulate-fuzz-") as folder:
        paths = []
        for name, content in files:
            path = Path(folder) / name
            path.write_bytes(content)
            paths.append(path)
        yield tuple(paths)


def split_files(data: bytes, stem: str, suffix: str) -> list[tuple[str, bytes]]:
    """One file per part of the input between FILE_SEPARATORs (at most MAX_FILES)."""
    parts = data.split(FILE_SEPARATOR, MAX_FILES - 1)
    return [(f"{stem}{position}{suffix}", part) for position, part in enumerate(parts, start=1)]


def expected_errors_only(call: Callable[[], object]) -> None:
    """Bad input may only be refused with a TriangulateError; any other exception propagates."""
    try:
        call()
    except TriangulateError:
        pass


def _no_suite(frame: object, name: str, parameters: object = None) -> SuiteFindings:
    return SuiteFindings({}, {})


def check_record_source(kind: str, paths: Sequence[Path], la_code: str | None = None) -> None:
    """One record-level source through the check stage, as deep as TRIANGULATE_FUZZ_DEPTH says."""
    options = SourceOptions(name=kind, kind=kind, paths=tuple(paths), la_code=la_code, reference_date=REFERENCE_DATE)
    how = depth()
    if how == "read":
        source_kind(kind).read(options)
    elif how == "full":
        check.check_source(options)
    else:
        with mock.patch.object(check, "run_suite", _no_suite):
            check.check_source(options)
