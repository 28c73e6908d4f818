"""Rates per population, with exact confidence intervals, and contrasts between two rates.

- A rate's 95% interval is Garwood's exact Poisson interval for the count (Garwood F., "Fiducial
  limits for the Poisson distribution", Biometrika 28, 1936: lower chi2(0.025; 2k)/2, upper
  chi2(0.975; 2k+2)/2), divided by the population and multiplied by `per`. A rounded or suppressed
  count is an interval: the lower limit is taken at its lowest value, the upper at its highest.
- A contrast is the ratio of two rates with the exact conditional interval: given both counts, the
  first is binomial with n = k1 + k2, so a Clopper-Pearson interval (p_L, p_U) for its share gives
  the ratio's limits p/(1-p) x D2/D1 (Breslow N.E. and Day N.E., Statistical Methods in Cancer
  Research II, IARC 1987, section 2.3). Contrasts inform; they never gate.
- The population for a count's period is either the population of that very period (a denominator
  published for periods, e.g. children in need during 2021-22: used only for counts of that period; a
  count of any other period is an error naming both), or, from mid-year estimates (`mid_year: true`),
  the estimate inside the period (for a DfE year ending 31 March Y, mid-(Y-1)); if several, the one
  nearest the period's middle; if none, the nearest one, and the label says which mid-year it is.
- Rounding intervals belong to counts: a rate's interval comes from its count's, never from rounding the
  rate. A rate is rounded once, for display (`model.rates.shown`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..canonical.published import DENOMINATOR, GEOGRAPHY, MID_YEAR, PERIOD, POPULATION, WHAT
from ..domain.intervals import Interval
from ..domain.periods import Period
from ..errors import ConfigError
from ..model.rates import Contrast, Rate
from .measures import Measure, Values

CONFIDENCE = 0.95
_ALPHA = 1 - CONFIDENCE


def garwood(low_count: float, high_count: float) -> tuple[float, float | None]:
    """Exact Poisson limits for a count known to lie in [low_count, high_count].

    chi2.ppf(q, 2k) / 2 is the inverse regularised gamma function gammaincinv(k, q); scipy.special is imported
    here, when a rate is asked for, because scipy.stats costs most of a second on every `check` that has none.
    """
    from scipy.special import gammaincinv

    lower = 0.0 if low_count <= 0 else float(gammaincinv(math.floor(low_count), _ALPHA / 2))
    upper = None if math.isinf(high_count) else float(gammaincinv(math.ceil(high_count) + 1, 1 - _ALPHA / 2))
    return lower, upper


def _clopper_pearson(successes: float, trials: float) -> tuple[float, float]:
    from scipy.special import betaincinv  # beta.ppf(q, a, b) is betaincinv(a, b, q); imported when needed (garwood)

    lower = 0.0 if successes <= 0 else float(betaincinv(successes, trials - successes + 1, _ALPHA / 2))
    upper = 1.0 if successes >= trials else float(betaincinv(successes + 1, trials - successes, 1 - _ALPHA / 2))
    return lower, upper


def rate_ratio_interval(left: Interval, left_population: float, right: Interval, right_population: float
                        ) -> tuple[float, float | None]:  # fmt: skip
    """The exact conditional interval for (k1/D1) / (k2/D2), widest over the counts' intervals."""
    scale = right_population / left_population
    k1, k2 = math.floor(left.low), math.ceil(right.high) if not math.isinf(right.high) else math.inf
    lower = 0.0
    if k1 > 0 and not math.isinf(k2):
        p_low, _ = _clopper_pearson(k1, k1 + k2)
        lower = p_low / (1 - p_low) * scale
    k1_high, k2_low = left.high, math.floor(right.low)
    if math.isinf(k1_high) or k2_low <= 0:
        return lower, None
    k1_high = math.ceil(k1_high)
    _, p_high = _clopper_pearson(k1_high, k1_high + k2_low)
    return lower, (p_high / (1 - p_high) * scale if p_high < 1 else None)


@dataclass(frozen=True)
class Population:
    """The population a count is divided by, and which one it is (`Rate.denominator_period`, `denominator_label`)."""

    value: float
    period: str  # 'mid-2021' or '2021-22'
    label: str  # 'mid-2021 estimate' or 'children in need during 2021-22'


def population_for(populations: pd.DataFrame, period: Period, geography: str, counted: str = "") -> Population | None:
    """The population a count of `period` in `geography` is divided by: the row of that very period, or the
    mid-year estimate inside it. None when the denominator has no row for the place. `counted` names the count
    (source and measure) for the error when the denominator's periods do not fit the count's."""
    here = populations.loc[populations[GEOGRAPHY] == geography]
    if here.empty:
        return None
    estimates = here.loc[here[MID_YEAR].notna()]
    if estimates.empty:
        return _period_population(here, period, counted)
    middle = period.start + (period.end - period.start) / 2
    mid_years = estimates[MID_YEAR]
    inside = estimates.loc[(mid_years >= period.start) & (mid_years <= period.end)]
    candidates = inside if not inside.empty else estimates
    distance = candidates[MID_YEAR].map(lambda day: abs((day - middle).days))
    chosen = candidates.loc[distance.idxmin()]
    year = chosen[MID_YEAR].year
    return Population(float(chosen[POPULATION]), f"mid-{year}", f"mid-{year} estimate")


def _period_population(here: pd.DataFrame, period: Period, counted: str) -> Population:
    matched = here.loc[here[PERIOD].map(period.__eq__).astype(bool)]
    what = str(here[WHAT].iloc[0])
    if matched.empty:
        given = ", ".join(p.label for p in sorted(set(here[PERIOD])))
        raise ConfigError(
            f"denominator {here[DENOMINATOR].iloc[0]} gives {what} during {given}, which does not fit {counted or 'the count'} "
            f"of {period.label}: give its {what} during {period.label}, or, if its figures are mid-year estimates, "
            "say `mid_year: true`"
        )
    return Population(float(matched[POPULATION].iloc[0]), period.label, f"{what} during {period.label}")


def rates_for(measure: Measure, source: str, values: Values, populations: pd.DataFrame, per: float) -> list[Rate]:
    """Each count's rate per `per` with its exact interval. The rate is computed from the count's interval and kept
    unrounded: a rounded count's interval carries into the rate; nothing rounds the rate itself here."""
    out = []
    for (period, geography), count in sorted(values.items(), key=lambda item: (item[0][0], item[0][1])):
        if count is None:
            continue
        found = population_for(populations, period, geography, f"{source}'s count for {measure.id}")
        if found is None or found.value <= 0:
            continue
        low, high = garwood(count.low, count.high)
        ci = (low / found.value * per, None if high is None else high / found.value * per)
        out.append(Rate(measure.id, source, period.iso, period.label, geography, count, found.value, per,
                        count.scale(per / found.value), ci, found.period, found.label))  # fmt: skip
    return out


def contrasts_for(measure: Measure, rates: Sequence[Rate], kinds: Mapping[str, str]) -> list[Contrast]:
    """For each contrast pair, every period and geography both sides have a rate for."""
    out = []
    for wanted_left, wanted_right in measure.contrast:
        lefts = [r for r in rates if wanted_left in (r.source, kinds.get(r.source))]
        rights = {(r.period, r.geography): r for r in rates if wanted_right in (r.source, kinds.get(r.source))}
        for left in lefts:
            right = rights.get((left.period, left.geography))
            if right is None or right.source == left.source:
                continue
            ratio = Interval(left.rate.low / right.rate.high if right.rate.high else math.inf,
                             left.rate.high / right.rate.low if right.rate.low else math.inf)  # fmt: skip
            ci = rate_ratio_interval(left.count, left.denominator, right.count, right.denominator)
            out.append(Contrast(measure.id, left.source, right.source, left.period, left.period_label, left.geography, ratio, ci))
    return out
