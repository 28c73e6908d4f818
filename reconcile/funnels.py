"""Funnel limits for LAs (issue 25): each LA's rate against its size, around England's rate.

Limits are probability-based: the interval an LA whose true rate is England's would fall in, not a confidence
interval for the LA's own rate (Seaton S.E. and Manktelow B.N., "The probability of being identified as an outlier
with commonly used funnel plot control limits for the standardised mortality ratio", BMC Med Res Methodol 12:98,
2012, shows confidence intervals misstate that probability). So `rates.garwood`, an interval for an observed count,
is not what is wanted here.

- Rates (`funnel`): the count is Poisson with mean E_i = centre x n_i. A limit is the Poisson quantile at mean E_i,
  interpolated so the limits move smoothly with n_i (Spiegelhalter D.J., "Funnel plots for comparing institutional
  performance", Stat Med 24:1185-1202, 2005, appendix): with r_p the p-quantile (scipy's ppf: the smallest r with
  F(r) >= p) and a = (F(r_p) - p) / (F(r_p) - F(r_p - 1)), the lower limit is (r_q - a) / n_i at q = tail, and the
  upper the same interpolation read from the upper tail (the mirror image: the lower limit of -Y), (r_p + 1 - a) /
  n_i at p = 1 - tail; tail = 0.025 for 0.95, 0.001 for 0.998. So an LA is outside exactly when its count's exact
  one-sided tail probability is below the tail. Spiegelhalter's r_p - a used for the upper limit too would put a
  count of r_p outside: one death where 0.04 are expected (a 4% chance) would be outside 99.8%; Manktelow B.N. and
  Seaton S.E. (PLOS ONE 7:e45723, 2012) show how the interpolation chosen moves that probability.
- Overdispersion: z_i = (rate_i - centre) / s_i, s_i^2 = centre / n_i; the z are winsorised at their 10th and 90th
  percentiles (as FunnelPlotR and the NHS SHMI do); phi = mean(z^2); if I phi > I - 1 (the chi-square test),
  tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w_i = 1 / s_i^2, else 0 (Spiegelhalter D.J., "Handling
  over-dispersion of performance indicators", Qual Saf Health Care 14:347-351, 2005). When tau^2 > 0 each limit is
  the wider of the exact one and centre -/+ z_p sqrt(s_i^2 + tau^2).
- Ratios of two sources' counts (`ratio_funnel`): given both counts, the first is binomial with n = y_i + m_i and
  share pi0 = centre / (1 + centre) under a common ratio: the exact conditional model `rates.contrasts_for` uses
  for two rates (Breslow N.E. and Day N.E., Statistical Methods in Cancer Research II, IARC 1987, section 2.3).
  Both counts' noise counts, either source can be the one short, and an LA whose second source returned no deaths
  where the first has some is a point (share 1), not skipped. The same interpolated quantiles (binomial) and
  additive tau^2 on the share scale apply; limits are turned back into ratios p / (1 - p). Where the two sources
  count the same deaths their counts are positively correlated and these limits are conservative (wide).

Everything is vectorised over LAs; scipy.special is imported inside the functions (see `rates.garwood`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from ..model.anomalies import FUNNEL_LEVELS, Funnel, FunnelPoint, level_key

LEVELS = FUNNEL_LEVELS
WINSOR = 0.10
Array = npt.NDArray[np.float64]


def interpolated_limit(cdf: Callable[[Array], Array], guess: Array, p: float) -> Array:
    """A limit at probability p, as a count: below the middle r_p - a, above it r_p + 1 - a, where r_p is the
    smallest integer with F(r_p) >= p and a = (F(r_p) - p) / (F(r_p) - F(r_p - 1)). `guess` is a numerical inverse
    of F (pdtrik, bdtrik), so r_p is settled against F itself."""
    r = np.maximum(np.ceil(np.nan_to_num(guess, nan=0.0)), 0.0)
    r = np.where((r > 0) & (cdf(np.maximum(r - 1, 0)) >= p), r - 1, r)
    r = np.where(cdf(r) < p, r + 1, r)
    at = cdf(r)
    before = np.where(r > 0, cdf(np.maximum(r - 1, 0)), 0.0)
    step = at - before
    a = np.where(step > 0, (at - p) / np.where(step > 0, step, 1.0), 0.0)
    return r + 1 - a if p > 0.5 else r - a


def poisson_limit(expected: Array, p: float) -> Array:
    """The funnel limit at probability p of Poisson(expected), as a count."""
    from scipy.special import pdtr, pdtrik  # Poisson cdf and its inverse in k, without scipy.stats' import cost

    return interpolated_limit(lambda k: pdtr(k, expected), pdtrik(p, expected), p)


def binomial_limit(trials: Array, share: float, p: float) -> Array:
    """The funnel limit at probability p of Binomial(trials, share), as a count."""
    if share <= 0 or share >= 1:  # a degenerate share: every count is trials x share
        return trials * share
    from scipy.special import bdtr, bdtrik

    whole = trials.astype(np.int64)  # bdtr refuses a non-integer n; ratio_funnel only takes whole counts
    return interpolated_limit(lambda k: bdtr(k, whole, share), bdtrik(p, trials, share), p)


def overdispersion(z: Array, weights: Array, winsor: float = WINSOR) -> float:
    """Spiegelhalter's additive random-effects tau^2 from z-scores winsorised at their `winsor` and 1 - `winsor`
    percentiles; 0 unless I phi > I - 1."""
    units = z.size
    if units < 2:
        return 0.0
    low, high = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    if units * phi <= units - 1:
        return 0.0
    total = float(weights.sum())
    return (units * phi - (units - 1)) / (total - float((weights**2).sum()) / total)


def _normal_quantile(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(p))


def _kept(geographies: Sequence[str], first: Sequence[float], second: Sequence[float], sizes: Callable[[Array, Array], Array]
          ) -> tuple[list[str], Array, Array]:  # fmt: skip
    """The LAs with both figures present and a size above 0, in the order given."""
    y, m = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if not len(geographies) == y.size == m.size:
        raise ValueError(f"{len(geographies)} geographies, {y.size} counts and {m.size} denominators: they must be as many")
    if np.any(y < 0) or np.any(m < 0):
        raise ValueError("a funnel's counts and denominators cannot be negative")
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(y) & np.isfinite(m) & (sizes(y, m) > 0)
    return [g for g, k in zip(geographies, keep, strict=True) if k], y[keep], m[keep]


def _bands(levels: Sequence[float], scale: Array, centre: float, var: Array, tau2: float,
           exact: Callable[[Array, float], Array]) -> dict[float, tuple[Array, Array]]:  # fmt: skip
    """Per level, (low, high) on the share or rate scale: the exact limits, widened where tau^2 > 0."""
    out = {}
    for level in sorted(levels):
        tail = (1 - level) / 2
        low, high = exact(scale, tail) / scale, exact(scale, 1 - tail) / scale
        if tau2 > 0:
            half = _normal_quantile(1 - tail) * np.sqrt(var + tau2)
            low, high = np.minimum(low, centre - half), np.maximum(high, centre + half)
        out[level] = (np.maximum(low, 0.0), high)
    return out


def _outside(value: Array, bands: Mapping[float, tuple[Array, Array]]) -> list[str | None]:
    """For each LA, the widest level whose limits `value` is outside."""
    widest = np.full(value.size, None, dtype=object)
    for level, (low, high) in sorted(bands.items()):  # narrowest first, so a wider level overwrites it
        widest[(value < low) | (value > high)] = level_key(level)
    return widest.tolist()


def _points(geographies: list[str], counts: Array, denominators: Array, rates: Array,
            bands: Mapping[float, tuple[Array, Array]], outside: list[str | None]) -> tuple[FunnelPoint, ...]:  # fmt: skip
    keys = [(level_key(level), low.tolist(), high.tolist()) for level, (low, high) in bands.items()]
    return tuple(
        FunnelPoint(geo, float(y), float(n), float(r), {key: (lows[i], highs[i]) for key, lows, highs in keys}, outside[i])
        for i, (geo, y, n, r) in enumerate(zip(geographies, counts.tolist(), denominators.tolist(), rates.tolist(), strict=True))
    )


def _method(what: str, levels: Sequence[float], tau2: float, units: int, winsor: float, scale: str) -> str:
    shown_levels = " and ".join(f"{level * 100:g}%" for level in sorted(levels))
    base = f"{what} at {shown_levels} (Spiegelhalter, Stat Med 2005)"
    test = f"chi-square test on {winsor * 100:g}%-winsorised z-scores"
    if tau2 > 0:
        return (f"{base}; overdispersed across {units} LAs ({test}), so widened by Spiegelhalter's additive "
                f"random-effects tau^2 = {tau2:.3g} ({scale}; Qual Saf Health Care 2005)")  # fmt: skip
    return f"{base}; no overdispersion across {units} LAs ({test}): not widened"


def funnel(geographies: Sequence[str], counts: Sequence[float], denominators: Sequence[float], *,
           levels: Sequence[float] = LEVELS, centre: float | None = None, winsor: float = WINSOR, per: float = 1.0
           ) -> Funnel:  # fmt: skip
    """Each LA's count / denominator (x `per`) in a funnel around `centre`, given per `per` (default: sum of counts
    / sum of denominators, England's rate when the LAs are England's). Rates, limits and the centre are per `per`.
    LAs with a missing count or a denominator missing or 0 are not points."""
    geos, y, n = _kept(geographies, counts, denominators, lambda _, size: size)
    theta = (float(y.sum() / n.sum()) if n.size else math.nan) if centre is None else centre / per
    tau2 = 0.0
    var = theta / n if n.size else n
    if theta > 0 and n.size:
        tau2 = overdispersion((y / n - theta) / np.sqrt(var), 1 / var, winsor)
    bands = _bands(levels, n, theta, var, tau2, lambda size, p: poisson_limit(theta * size, p))
    rates = y / n
    scaled = {level: (low * per, high * per) for level, (low, high) in bands.items()}
    points = _points(geos, y, n, rates * per, scaled, _outside(rates, bands))
    what = "exact Poisson limits (interpolated quantiles of the count expected at England's rate)"
    return Funnel(
        theta * per,
        tuple(sorted(levels)),
        tau2 * per**2,
        tau2 > 0,
        points,
        _method(what, levels, tau2 * per**2, n.size, winsor, f"on rates per {per:,g}"),
    )


def ratio_funnel(geographies: Sequence[str], numerators: Sequence[float], denominators_counts: Sequence[float], *,
                 levels: Sequence[float] = LEVELS, centre: float | None = None, winsor: float = WINSOR) -> Funnel:  # fmt: skip
    """Each LA's ratio of one source's count to another's (e.g. NCMD over SSDA903 deaths) in a funnel around
    `centre` (default: the ratio of the totals; 1 where the sources should agree). The size is both counts' sum:
    an LA where both are 0 or either is missing is not a point. A point's `denominator` is the second count; its
    rate is inf when that is 0."""
    geos, y, m = _kept(geographies, numerators, denominators_counts, lambda first, second: first + second)
    if np.any(y % 1) or np.any(m % 1):
        raise ValueError("a ratio funnel's counts must be whole numbers: the first is binomial given both")
    t = y + m
    if centre is None:
        share = float(y.sum() / t.sum()) if t.size else math.nan
    else:
        share = 1.0 if math.isinf(centre) else centre / (1 + centre)
    tau2 = 0.0
    var = share * (1 - share) / t
    if 0 < share < 1 and t.size:
        tau2 = overdispersion((y / t - share) / np.sqrt(var), 1 / var, winsor)
    bands = _bands(levels, t, share, var, tau2, lambda size, p: binomial_limit(size, share, p))
    shares = y / t
    ratios = {level: (_odds(np.minimum(low, 1.0)), _odds(np.minimum(high, 1.0))) for level, (low, high) in bands.items()}
    points = _points(geos, y, m, _odds(shares), ratios, _outside(shares, bands))
    what = "exact conditional binomial limits on the first count's share of both (Breslow and Day 1987), as ratios"
    ratio = math.inf if share >= 1 else share / (1 - share)  # nan stays nan: no LA to centre on
    return Funnel(
        ratio,
        tuple(sorted(levels)),
        tau2,
        tau2 > 0,
        points,
        _method(what, levels, tau2, t.size, winsor, "on the first count's share"),
    )


def _odds(share: Array) -> Array:
    """A share p of both counts as the ratio p / (1 - p): inf at 1."""
    with np.errstate(divide="ignore"):
        return np.where(share >= 1, np.inf, share / np.where(share >= 1, 1.0, 1 - share))
