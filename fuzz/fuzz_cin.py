"""CIN census XML: readers/cin.py `read_cin`, then the check stage (see fuzzlib for the depth)."""

from __future__ import annotations

from fuzzlib import check_record_source, expected_errors_only, written


def test_one_input(data: bytes) -> None:
    with written([("cin_census.xml", data)]) as paths:
        expected_errors_only(lambda: check_record_source("cin", paths))
