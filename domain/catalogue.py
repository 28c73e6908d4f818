"""Every check id the project can raise, with its message and default severity per source.

Ids are a contract: users grep CI logs for them. `missing.<field>` and `invalid.<field>` are
families whose field part is the column's name in the source's own format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class CheckSpec:
    check_id: str
    message: str
    default: str = "error"
    by_source: Mapping[str, str] = field(default_factory=dict)
    why: str = ""  # why it matters, for the report's glossary

    def severity_for(self, kind: str) -> str:
        return self.by_source.get(kind, self.default)


_SPECS = (
    CheckSpec(
        "age.over_17",
        "death at age 18 or over: out of scope for child-death counts",
        # Care leavers up to 25 are legitimately in the CIN census.
        by_source={"cin": "warning"},
        why="Child-death statistics count children under 18; DfE's children in need figures include care leavers "
        "up to 25, so its headline is larger than a count of children.",
    ),
    CheckSpec("age.negative", "date of death is before date of birth",
              why="One of the two dates is wrong, so the child's age and the period the death falls in cannot be trusted."),
    CheckSpec(
        "unborn.death",
        "death recorded for an unborn child (expected birth date, no birth date)",
        # DfE guidance tells LAs to close an unborn child's case with RC2.
        by_source={"cin": "warning"},
        why="An unborn child's case closed as 'died' is a pregnancy loss, not a child death: DfE's count of deaths of "
        "children in need includes them, the NCMD's does not.",
    ),
    CheckSpec("death.missing_date", "death recorded with no date of death",
              why="A death with no date cannot be placed in a year, so it drops out of every period's count."),
    CheckSpec("death.date_without_reason", "PersonDeathDate recorded without an RC2 (died) closure",
              why="DfE counts a CIN death only from an RC2 closure; a death date without one is a death the census "
              "does not count, or a date recorded in error."),
    CheckSpec("death.after_reference_date", "date of death is after the collection's reference date",
              why="A collection cannot record a death after its own reference date: the date or the collection year is wrong."),
    CheckSpec("duplicate.record", "record id repeated, or the same child has two death records",
              why="A child counted twice inflates the count; the harmonised count keeps one record per child."),
    CheckSpec("date.unparseable", "a date that is not a real YYYY-MM-DD or dd/mm/yyyy date",
              why="A date that cannot be read is treated as missing, so the record may fall out of the count or the linkage."),
    CheckSpec("published.unreadable", "a published cell that is neither a number, an EES symbol nor blank",
              why="A cell that is not a number or a documented symbol cannot be compared, and would otherwise vanish silently."),
    CheckSpec("published.rounding", "a published count that is not a multiple of the rounding declared for its level",
              why="The figure does not follow the rounding the release declares, so either the declaration or the figure is wrong."),
    CheckSpec("published.duplicate", "several rows of a published table give different figures for one place and period",
              why="The release states two figures for the same children (or the measure's filter matches several rows per "
              "place and period); nothing says which is right, so neither is compared."),
    CheckSpec("published.rate_inconsistent", "a published rate that no count in the count's interval can produce",
              why="The rate and its count disagree, so at least one of them is wrong in the release."),
    CheckSpec("published.incoherent", "published parts that cannot add up to their published whole",
              why="A total its own parts contradict tells readers two different numbers for the same children."),
)
CATALOGUE: dict[str, CheckSpec] = {spec.check_id: spec for spec in _SPECS}
FAMILIES = {
    "missing": "required field left blank",
    "invalid": "value not in the field's code list",
}
FAMILY_WHY = {
    "missing": "A blank required field leaves the record unusable for a count, a breakdown or the linkage between sources.",
    "invalid": "A value outside the field's code list cannot be mapped to the harmonised definition, so the record "
    "may be counted in the wrong group.",
}


def spec_for(check_id: str) -> CheckSpec:
    if check_id in CATALOGUE:
        return CATALOGUE[check_id]
    family, _, field_name = check_id.partition(".")
    if family in FAMILIES and field_name:
        return CheckSpec(check_id, f"{FAMILIES[family]}: {field_name}", why=FAMILY_WHY[family])
    raise KeyError(check_id)


def why_it_matters(check_id: str) -> str:
    """The glossary's sentence for a check id ('' for an id the catalogue lacks)."""
    try:
        return spec_for(check_id).why
    except KeyError:
        return ""


def is_known_check(check_id: str) -> bool:
    try:
        spec_for(check_id)
    except KeyError:
        return False
    return True


def severity_for(check_id: str, kind: str, overrides: Mapping[str, str] | None = None) -> str:
    if overrides and check_id in overrides:
        return overrides[check_id]
    family = check_id.split(".", 1)[0] + ".*"
    if overrides and family in overrides:
        return overrides[family]
    try:
        return spec_for(check_id).severity_for(kind)
    except KeyError:  # a rule registered under an id the catalogue lacks is still reported, as an error
        return "error"
