"""A revisions triangle: how each headline figure of an EES table moved release by release, over three or more
vintages, with the Office for Statistics Regulation's measures per indicator (mean revision, mean absolute revision)
and a bias test honest about how few revisions it rests on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SIGN_TEST = "sign test (exact binomial, two-sided)"
T_TEST = "t test, n-1 degrees of freedom"
NOT_RUN = "not run: fewer than 3 revisions that are not 0"


@dataclass(frozen=True)
class TriangleRow:
    """One headline figure (an indicator, a place, a combination of filter values, a period) in every release."""

    indicator: str
    geography: str  # an ONS code, or "England"
    geography_name: str
    period: str
    filters: Mapping[str, str]
    releases: tuple[tuple[str, str, float | None], ...]  # (vintage label, the cell as written, its number); "" not held

    @property
    def revision(self) -> float | None:
        """Latest minus first (ONS/OSR): the figure in the latest release holding it minus the first release's, where
        both are numbers and they are two different releases."""
        held = [(text, number) for _, text, number in self.releases if text != ""]
        if len(held) < 2 or held[0][1] is None or held[-1][1] is None:
            return None
        return held[-1][1] - held[0][1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "geography": self.geography,
            "geography_name": self.geography_name,
            "period": self.period,
            "filters": dict(self.filters),
            "releases": [{"vintage": label, "value": _value(text, number)} for label, text, number in self.releases],
            "revision": json_number(self.revision),
        }


@dataclass(frozen=True)
class TriangleStats:
    """Per indicator and geography (England apart from each region), over its headline revisions. `statistic`: the t statistic for the t test, the number of positive
    revisions for the sign test, None when the test was not run."""

    indicator: str
    n: int  # revisions: headline figures that are numbers in two different releases
    mean_revision: float | None
    mean_absolute_revision: float | None
    test: str  # SIGN_TEST, T_TEST or NOT_RUN
    statistic: float | None
    p_value: float | None
    positive: int
    negative: int
    zero: int
    biased: bool | None  # p < 0.05; None when the test was not run (never a pass)
    geography: str = ""  # an ONS code, or "England"; "" for an indicator with no headline figure
    geography_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "geography": self.geography,
            "geography_name": self.geography_name,
            "n": self.n,
            "mean_revision": _rounded(self.mean_revision),
            "mean_absolute_revision": _rounded(self.mean_absolute_revision),
            "test": self.test,
            "statistic": _rounded(self.statistic),
            "p_value": _rounded(self.p_value, 6),
            "positive": self.positive,
            "negative": self.negative,
            "zero": self.zero,
            "biased": self.biased,
        }


@dataclass(frozen=True)
class Triangle:
    vintages: tuple[str, ...]  # oldest first
    rows: tuple[TriangleRow, ...]
    stats: tuple[TriangleStats, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vintages": list(self.vintages),
            "triangle": [row.to_dict() for row in self.rows],
            "stats": [s.to_dict() for s in self.stats],
            "notes": list(self.notes),
        }


def json_number(value: float | None) -> float | int | None:
    """A figure as JSON carries it: a whole number as an integer, else to six places."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)


def _rounded(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def _value(text: str, number: float | None) -> float | int | str | None:
    """A release's figure in JSON: its number, else its symbol as written (`c`, `z`), else null (not held)."""
    if number is not None:
        return json_number(number)
    return text or None
