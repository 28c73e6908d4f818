"""`write_synthetic`: the whole sample, year by year, then its defects and discrepancies, then the files."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ..domain.geography import la_lookup
from ..domain.periods import financial_year
from .defects import inject_defects
from .discrepancies import add_discrepancies, shift_to_year_start
from .manifest import Manifest
from .population import LookedAfterDeath, add_deaths, add_living_children, add_out_of_scope_deaths, add_serious_harm
from .records import Tables
from .release import write_release
from .spec import SynthSpec
from .world import build_deaths


def write_synthetic(out_dir: Path, spec: SynthSpec) -> dict[str, Any]:
    """Write the sample into out_dir and return its manifest.

    One seeded generator drives everything, so the calls below must keep their order.
    """
    rng = random.Random(spec.seed)
    lookup = la_lookup()
    las = list(zip(lookup["old_la_code"], lookup["new_la_code"], strict=True))  # (DfE code, ONS code)
    tables, manifest = Tables(), Manifest()
    last_year_looked_after = _add_years(rng, spec, las, tables, manifest)
    discrepancies: list[dict[str, str]] = []
    if spec.defects:
        discrepancies = add_discrepancies(rng, spec.last_year, last_year_looked_after, tables)
        inject_defects(rng, las, spec.last_year, spec.reference_date, tables, manifest)
    return write_release(Path(out_dir), spec, tables, manifest, discrepancies)


def _add_years(
    rng: random.Random, spec: SynthSpec, las: list[tuple[str, str]], tables: Tables, manifest: Manifest
) -> list[LookedAfterDeath]:
    """Every year's records, oldest first; returns the last year's looked-after deaths."""
    serial = [0]  # numbers people across years
    looked_after: list[LookedAfterDeath] = []
    for end_year in spec.end_years:
        deaths = build_deaths(rng, end_year, las, serial)
        last = end_year == spec.last_year
        shifted = shift_to_year_start(deaths, financial_year(end_year)) if spec.defects and last else None
        looked_after = add_deaths(rng, tables, end_year, deaths, shifted)
        add_out_of_scope_deaths(rng, tables, manifest, end_year, las)
        add_living_children(rng, tables, spec, end_year, las)
        add_serious_harm(rng, tables, end_year, las)
    return looked_after
