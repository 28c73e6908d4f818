"""Bridges: from a source's headline count to the harmonised count, step by step.

Every step reuses the project's single definitions (domain/definitions.py) and the per-source check ids.
"""

from __future__ import annotations

import pandas as pd

from ..domain.definitions import is_adult_at_death, is_dated_before_birth, is_in_scope_death
from ..domain.periods import Period
from ..errors import ConfigError
from ..model.reconciliation import Bridge, BridgeStep


def select_records(deaths: pd.DataFrame, where: dict[str, tuple[object, ...]]) -> pd.DataFrame:
    mask = pd.Series(True, index=deaths.index)
    for column, allowed in where.items():
        if column not in deaths:
            raise ConfigError(f"measure selects on unknown column {column!r}; canonical columns are {', '.join(deaths.columns)}")
        values = deaths[column]
        mask &= values.isin(list(allowed)).fillna(False).astype(bool)
    return deaths.loc[mask]


def first_of_each_child(deaths: pd.DataFrame) -> pd.Series:
    """True for the record kept when one child has several death records (duplicate.record)."""
    ordered = deaths.sort_values(["headline_date", "record_id"], kind="stable")
    return ~ordered["child_key"].duplicated(keep="first").reindex(deaths.index)


def harmonised(deaths: pd.DataFrame) -> pd.DataFrame:
    """In-scope deaths (live-born, under 18, dated), one per child: the harmonised definition."""
    in_scope = deaths.loc[is_in_scope_death(deaths)]
    return in_scope.loc[first_of_each_child(in_scope)]


def _ids(frame: pd.DataFrame) -> tuple[str, ...]:
    return tuple(frame["record_id"].astype(str))


def build_bridge(source: str, measure: str, deaths: pd.DataFrame, period: Period) -> Bridge:
    headline = deaths.loc[period.contains(deaths["headline_date"])]
    steps: list[BridgeStep] = []
    remaining = headline

    def remove(step: str, description: str, mask: pd.Series) -> None:
        nonlocal remaining
        removed = remaining.loc[mask]
        steps.append(BridgeStep(step, description, len(removed), _ids(removed)))
        remaining = remaining.loc[~mask]

    everything = harmonised(deaths)  # one record per child across all periods
    remove("unborn.death", "minus unborn children", remaining["unborn"].astype(bool))
    remove("age.over_17", "minus young people aged 18 or over", is_adult_at_death(remaining["age_at_death"]))
    remove("death.missing_date", "minus deaths with no date of death", remaining["date_of_death"].isna())
    remove("age.negative", "minus deaths dated before the birth", is_dated_before_birth(remaining["age_at_death"]))
    # A child's other records are duplicates wherever the kept one falls, in this period or another.
    remove("duplicate.record", "minus duplicate records of the same child", ~remaining.index.isin(everything.index))
    remove("period.outside", "minus deaths dated outside the period", ~period.contains(remaining["date_of_death"]))
    counted_elsewhere = everything.loc[period.contains(everything["date_of_death"]) & ~everything.index.isin(headline.index)]
    steps.append(
        BridgeStep(
            "period.inside",
            "plus deaths in the period that the headline counts in another period",
            -len(counted_elsewhere),
            _ids(counted_elsewhere),
        )
    )
    return Bridge(
        source=source,
        measure=measure,
        period=period.iso,
        period_label=period.label,
        headline=len(headline),
        steps=tuple(steps),
        harmonised=len(remaining) + len(counted_elsewhere),
    )
