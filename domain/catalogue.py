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

    def severity_for(self, kind: str) -> str:
        return self.by_source.get(kind, self.default)


_SPECS = (
    CheckSpec(
        "age.over_17",
        "death at age 18 or over: out of scope for child-death counts",
        # Care leavers up to 25 are legitimately in the CIN census.
        by_source={"cin": "warning"},
    ),
    CheckSpec("age.negative", "date of death is before date of birth"),
    CheckSpec(
        "unborn.death",
        "death recorded for an unborn child (expected birth date, no birth date)",
        # DfE guidance tells LAs to close an unborn child's case with RC2.
        by_source={"cin": "warning"},
    ),
    CheckSpec("death.missing_date", "death recorded with no date of death"),
    CheckSpec("death.date_without_reason", "PersonDeathDate recorded without an RC2 (died) closure"),
    CheckSpec("death.after_reference_date", "date of death is after the collection's reference date"),
    CheckSpec("duplicate.record", "record id repeated, or the same child has two death records"),
    CheckSpec("date.unparseable", "a date that is not a real YYYY-MM-DD or dd/mm/yyyy date"),
    CheckSpec("published.unreadable", "a published cell that is neither a number, an EES symbol nor blank"),
    CheckSpec("published.rounding", "a published count that is not a multiple of the rounding declared for its level"),
    CheckSpec("published.rate_inconsistent", "a published rate that no count in the count's interval can produce"),
    CheckSpec("published.incoherent", "published parts that cannot add up to their published whole"),
)
CATALOGUE: dict[str, CheckSpec] = {spec.check_id: spec for spec in _SPECS}
FAMILIES = {
    "missing": "required field left blank",
    "invalid": "value not in the field's code list",
}


def spec_for(check_id: str) -> CheckSpec:
    if check_id in CATALOGUE:
        return CATALOGUE[check_id]
    family, _, field_name = check_id.partition(".")
    if family in FAMILIES and field_name:
        return CheckSpec(check_id, f"{FAMILIES[family]}: {field_name}")
    raise KeyError(check_id)


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
