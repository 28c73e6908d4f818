"""NCMD extract as CSV: readers/extracts.py `read_extract(paths, schemas.ncmd.SPEC)` (the
registry's reader for kind ncmd), then the check stage (see fuzzlib for the depth)."""

from __future__ import annotations

from fuzzlib import check_record_source, expected_errors_only, written


def test_one_input(data: bytes) -> None:
    with written([("ncmd_deaths.csv", data)]) as paths:
        expected_errors_only(lambda: check_record_source("ncmd", paths))
