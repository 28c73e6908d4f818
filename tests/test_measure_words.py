"""Words for every number: measure definitions, expected-relation reasons, death rules and the check glossary."""

from __future__ import annotations

import pytest
from triangulate.canonical.counted import counts_as_death
from triangulate.canonical.registry import config_kinds
from triangulate.config.measures import default_measures, parse_measures
from triangulate.domain.catalogue import CATALOGUE, why_it_matters
from triangulate.errors import ConfigError


def test_every_shipped_measure_is_defined_and_every_expected_relation_has_its_reason() -> None:
    for measure in default_measures():
        assert len(measure.definition.split()) >= 10, measure.id
        for compare in measure.compare:
            assert compare.reason, f"{measure.id}: {compare.left} {compare.relation} {compare.right}"


def test_definition_and_reason_are_read_from_a_run_config_and_folded_to_one_line() -> None:
    (measure,) = parse_measures([{
        "id": "m", "definition": "Deaths of children\n  on a plan.", "select": {"ncmd": {}, "cin": {}},
        "compare": [{"left": "ncmd", "right": "cin", "relation": ">=", "reason": "NCMD  sees\nevery death."}],
    }])  # fmt: skip
    assert measure.definition == "Deaths of children on a plan."
    assert measure.compare[0].reason == "NCMD sees every death."


@pytest.mark.parametrize("node", [
    {"id": "m", "definition": ["not", "text"]},
    {"id": "m", "compare": [{"left": "a", "right": "b", "reason": 3}]},
])  # fmt: skip
def test_words_that_are_not_text_are_refused(node: dict) -> None:
    with pytest.raises(ConfigError, match=r"measures\[1\]\.(definition|compare\[1\]\.reason): .* is not of type 'string'"):
        parse_measures([node])


def test_every_kind_says_what_it_counts_as_a_death_and_cin_states_the_rc2_rule() -> None:
    for kind in config_kinds():
        assert "no description registered" not in counts_as_death(kind), kind
    assert "RC2" in counts_as_death("cin")
    assert "no description registered" in counts_as_death("a-kind-nobody-registered")


def test_every_check_in_the_catalogue_and_both_families_say_why_they_matter() -> None:
    for check_id in CATALOGUE:
        assert why_it_matters(check_id), check_id
    assert why_it_matters("missing.date_of_death") and why_it_matters("invalid.sex")
    assert why_it_matters("no.such_check") == ""
