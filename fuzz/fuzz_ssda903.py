"""SSDA903 CSV: readers/ssda903.py `read_ssda903`, then the check stage (see fuzzlib for the depth).

SSDA903 needs a header and an episodes table, so the input is split into files at
fuzzlib.FILE_SEPARATOR (the seeds are `header.csv`, the separator, `episodes.csv`).
"""

from __future__ import annotations

from fuzzlib import check_record_source, expected_errors_only, split_files, written


def test_one_input(data: bytes) -> None:
    with written(split_files(data, "ssda903_", ".csv")) as paths:
        expected_errors_only(lambda: check_record_source("ssda903", paths))
