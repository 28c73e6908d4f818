"""SSDA903 as its XML return: readers/ssda903_xml.py `read_ssda903_xml` (which readers/ssda903.py
`read_ssda903` hands a file whose first character is `<`), then the check stage (see fuzzlib for the
depth), as kind ssda903 with the one XML file as its path."""

from __future__ import annotations

from fuzzlib import check_record_source, expected_errors_only, written


def test_one_input(data: bytes) -> None:
    with written([("ssda903.xml", data)]) as paths:
        expected_errors_only(lambda: check_record_source("ssda903", paths))
