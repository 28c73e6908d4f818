"""CSPRP notifications as CSV: readers/extracts.py `read_extract(paths, schemas.csprp.SPEC)`
(the registry's reader for kind csprp), then the check stage (see fuzzlib for the depth)."""

from __future__ import annotations

from fuzzlib import check_record_source, expected_errors_only, written


def test_one_input(data: bytes) -> None:
    with written([("csprp_sins.csv", data)]) as paths:
        expected_errors_only(lambda: check_record_source("csprp", paths))
