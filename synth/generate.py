"""`write_synthetic`: the whole sample, year by year, then its defects and discrepancies, then the files.

With `spec.la`, one LA's release: the same world with each death placed by the LA's share of England's children,
then only that LA's records kept (`area.py`), its NCMD extract with a couple of neighbours' deaths.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.periods import financial_year
from .area import Area, all_las, area_of, death_weights, ensure_looked_after_deaths, keep_area, neighbour_deaths, truth
from .defects import inject_defects
from .discrepancies import EXTRA_CSPRP_LA, add_discrepancies, shift_to_year_start
from .manifest import Manifest
from .population import LookedAfterDeath, add_deaths, add_living_children, add_out_of_scope_deaths, add_serious_harm
from .records import Tables
from .release import write_release
from .spec import SynthSpec
from .world import Death, build_deaths


@dataclass
class _Years:
    """What the years leave for the end: the last year's looked-after deaths, and (one LA) every death and the neighbours."""

    looked_after: list[LookedAfterDeath] = field(default_factory=list)
    deaths: list[Death] = field(default_factory=list)
    neighbours: list[Death] = field(default_factory=list)


def write_synthetic(out_dir: Path, spec: SynthSpec) -> dict[str, Any]:
    """Write the sample into out_dir and return its manifest.

    One seeded generator drives everything, so the calls below must keep their order.
    """
    area = area_of(spec.la) if spec.la is not None else None  # an unknown code stops here, before anything is written
    rng = random.Random(spec.seed)
    las = all_las()  # (DfE code, ONS code)
    tables, manifest = Tables(), Manifest()
    years = _add_years(rng, spec, las, area, tables, manifest)
    discrepancies: list[dict[str, str]] = []
    if spec.defects:
        extra_la = area.ons if area else EXTRA_CSPRP_LA
        discrepancies = add_discrepancies(rng, spec.last_year, years.looked_after, tables, extra_la)
        inject_defects(rng, [area.codes] if area else las, spec.last_year, spec.reference_date, tables, manifest)
    if area is None:
        return write_release(Path(out_dir), spec, tables, manifest, discrepancies)
    keep_area(tables, manifest, area, years.neighbours)
    missing_from_ncmd = {d["record_id"] for d in discrepancies if d["kind"] == "missing_from_ncmd"}  # DfE child ids
    known = {"area": area, "deaths": truth(years.deaths, area, missing_from_ncmd), "neighbours": years.neighbours}
    return write_release(Path(out_dir), spec, tables, manifest, discrepancies, known)


def _add_years(
    rng: random.Random, spec: SynthSpec, las: list[tuple[str, str]], area: Area | None, tables: Tables, manifest: Manifest
) -> _Years:
    """Every year's records, oldest first."""
    serial = [0]  # numbers people across years
    weights = death_weights(las) if area else None
    years = _Years()
    for end_year in spec.end_years:
        deaths = build_deaths(rng, end_year, las, serial, weights)
        last = end_year == spec.last_year
        shifted = None
        if spec.defects and last:
            if area:  # the discrepancies need two of the LA's looked-after deaths in the last year
                ensure_looked_after_deaths(deaths, area, financial_year(end_year).start)
            shifted = shift_to_year_start([d for d in deaths if area is None or area.holds(d)], financial_year(end_year))
        looked_after = add_deaths(rng, tables, end_year, deaths, shifted)
        years.looked_after = [lac for lac in looked_after if area is None or area.holds(lac.death)]
        add_out_of_scope_deaths(rng, tables, manifest, end_year, las)
        add_living_children(rng, tables, spec, end_year, [area.codes] if area else las)
        add_serious_harm(rng, tables, end_year, las)
        if area:
            years.deaths += deaths
            years.neighbours += neighbour_deaths(rng, deaths, area)
    return years
