"""The report's glossary: for every check id and bridge step it shows, what it catches and why it matters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..domain.catalogue import CATALOGUE, FAMILIES, spec_for, why_it_matters
from .view_model import GlossaryEntry

# Bridge steps that are not checks: the catalogue does not hold them, so their words live here.
STEPS = {
    "period.outside": (
        "a death the source's headline counts in this period although its date of death is in another",
        "A headline counted by another date (a census year, an incident date) puts a death in a different year from "
        "the one it happened in, so two sources can disagree on a year while agreeing on the child.",
    ),
    "period.inside": (
        "a death in this period by its date of death that the source's headline counts in another period",
        "The harmonised count dates every death by the date of death, so it gains the deaths the headline put elsewhere.",
    ),
}


def glossary_anchor(check_id: str) -> str:
    """The id of the glossary entry: `g-` and the check id, anything but letters, digits, `.`, `_`, `-` made `_`."""
    return "g-" + re.sub(r"[^A-Za-z0-9_.-]", "_", check_id)


def entry(check_id: str) -> GlossaryEntry | None:
    if check_id in STEPS:
        catches, matters = STEPS[check_id]
        return GlossaryEntry(check_id, glossary_anchor(check_id), catches, matters)
    try:
        spec = spec_for(check_id)
    except KeyError:
        return None
    return GlossaryEntry(check_id, glossary_anchor(check_id), spec.message, why_it_matters(check_id))


def has_entry(check_id: str) -> bool:
    return entry(check_id) is not None


def glossary(check_ids: Iterable[str], messages: Mapping[str, str] | None = None) -> tuple[GlossaryEntry, ...]:
    """One entry per id the report shows, in alphabetical order, a family's members (`missing.<field>`) in one
    entry that every member's link reaches; an id the catalogue lacks (a rule registered without an entry) is
    described by its own message."""
    out: list[GlossaryEntry] = []
    families: dict[str, list[str]] = {}
    for check_id in sorted(set(check_ids)):
        family, _, field_name = check_id.partition(".")
        if family in FAMILIES and field_name and check_id not in CATALOGUE:
            families.setdefault(family, []).append(check_id)
            continue
        found = entry(check_id)
        if found is None and messages and check_id in messages:
            found = GlossaryEntry(check_id, glossary_anchor(check_id), messages[check_id], "")
        if found is not None:
            out.append(found)
    for family, members in families.items():
        fields = ", ".join(member.partition(".")[2] for member in members)
        out.append(GlossaryEntry(f"{family}.<field>", glossary_anchor(members[0]), f"{FAMILIES[family]}: {fields}",
                                 why_it_matters(members[0]), tuple(glossary_anchor(m) for m in members[1:])))  # fmt: skip
    return tuple(sorted(out, key=lambda e: e.check_id))
