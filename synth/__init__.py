"""`triangulate synth`: realistic synthetic data for all four sources plus a manifest of defects.

Every defect is injected on a record made for it, so the manifest says exactly which
(check id, record id) pairs the checks must report, and that no other record is flagged.

Modules, in the order the sample is made: spec (the knobs), world (who died), records (how a
record looks in each source), population (each year's records), defects and discrepancies (what the
checks and reconciliation must find), manifest (the list of them), release (the files), writers
(the file formats), generate (all of it, in order). `--la CODE` makes one LA's release instead (area: the LA's
share of the deaths, and only its records kept, with a couple of neighbours' deaths in its NCMD extract).
"""

from __future__ import annotations

from .area import children_in_need
from .generate import write_synthetic
from .spec import NATIONAL_CHILDREN_PER_YEAR, SynthSpec

__all__ = ["NATIONAL_CHILDREN_PER_YEAR", "SynthSpec", "children_in_need", "write_synthetic"]
