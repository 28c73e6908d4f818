"""Published aggregate tables in the EES open-data format (extract-formats.md section 5)."""

from __future__ import annotations

from .base import FieldSpec, RuleRegistry, TableSpec

rules = RuleRegistry("published")

SPEC = TableSpec(
    "EES open-data",
    (
        FieldSpec("time_period", must_exist=True),
        FieldSpec("time_identifier", must_exist=True),
        FieldSpec("geographic_level", must_exist=True),
        FieldSpec("period_start", is_date=True),
        FieldSpec("period_end", is_date=True),
    ),
    rules,
)
