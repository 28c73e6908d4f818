"""NCMD extract as .xlsx: the same reader as fuzz_ncmd_csv (a workbook is recognised by its zip
magic, whatever its name), seeded with small workbooks so the fuzzer starts inside the zip path."""

from __future__ import annotations

from fuzzlib import check_record_source, expected_errors_only, written


def test_one_input(data: bytes) -> None:
    with written([("ncmd_deaths.xlsx", data)]) as paths:
        expected_errors_only(lambda: check_record_source("ncmd", paths))
