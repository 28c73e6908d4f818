"""The data-to-insight project's fake CIN census files: real format, messy on purpose."""

from triangulate.canonical.registry import SourceOptions
from triangulate.pipeline.check import check_source
from triangulate.readers.cin import read_cin

from .conftest import PEERS


def test_peer_files_load_with_both_sex_elements():
    raw = read_cin(PEERS)
    assert set(raw["LAchildID"]) == {"DfEX0000001", "child_fails_assessments"}
    assert raw["GenderCurrent"].notna().any() and raw["Sex"].notna().any()
    assert raw["_line"].gt(0).all()


def test_peer_deliberate_errors_are_reported():
    result = check_source(SourceOptions("peers", "cin", tuple(PEERS))).result
    # 2021 file: a PersonDeathDate on a child closed RC1 (adopted), not RC2 (died).
    without_reason = result.outcome("death.date_without_reason")
    assert without_reason.record_ids == ("DfEX0000001",)
    assert without_reason.locations == ("CIN_Census_2021.xml:36",)
    # 2024 and 2026 files both carry the 2024-03-31 census for LA 201: the same children twice.
    assert set(result.outcome("duplicate.record").record_ids) == {"DfEX0000001", "child_fails_assessments"}
    assert result.blocks_release
