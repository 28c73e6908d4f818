"""Learned expectations, part 1: is the latest point of a series inside a band predicted from its own past?

The point is left out; the band comes from the past points only, with a quasi-Poisson count model in the manner of
Farrington C.P., Andrews N.J., Beale A.D. and Catchpole M.A. (1996), "A statistical algorithm for the early detection
of outbreaks of infectious disease", JRSS A 159:547-563, and Noufaily A. et al. (2013), "An improved algorithm for
outbreak detection in multiple surveillance systems", Stat Med 32:1206-1222.

- Model: log-linear Poisson GLM (intercept, optional linear trend in the period index, log population as an offset
  when the measure is a rate), fitted by Newton-Raphson (= IRLS for the canonical link). Dispersion phi is the
  (weighted) Pearson chi2 / (n - p), floored at 1: a few points cannot show that counts vary less than Poisson.
- Trend: fitted when there are 3+ points and kept only if its Wald t-test (scaled by the floored phi, n - 2 df) gives p < 0.05.
  Farrington also drops a trend whose prediction exceeds the past maximum; we do not. For a one-step-ahead band that
  rule drops every rising trend (the next point of a rising line is always above the past) while keeping every
  falling one, which a two-sided check must not do (an R implementation credited to Noufaily et al.'s group drops
  it too; not verified against the paper).
- Outliers: one reweighting pass. Anscombe residuals, standardised, above 2.58 in absolute value (Noufaily; Farrington
  used 1 and only upward) get weight gamma/s^2, the rest gamma, with the weights summing to n; the model is refitted.
  Two-sided because a past dip (a year of under-recording) distorts the band as much as a spike. Each residual is
  scaled by the dispersion without its own point (the usual one-step deletion formula, floored at 1): with the
  full-data dispersion no single point among n can score more than sqrt(n - 1), so with the 5-8 yearly points these
  series have, an outlier would hide itself behind the dispersion it inflates.
- Band: the normal scale, mu +- z * sqrt(phi * mu + Var(mu_hat)), Var(mu_hat) by the delta method (Farrington's
  variance; we do not use his 2/3-power scale). This reproduces the worked example of issue 25 exactly (DfE
  looked-after deaths 2019-2023: 50, 50, 60, 40, 60 -> 34.0 to 70.0 at level 0.95; the 2/3-power scale gives 35.1
  to 71.0). The normal scale is too narrow for small counts (skewed), so each limit is widened, never narrowed, to
  the count quantile of the plug-in distribution Noufaily et al. use: Poisson(mu) when phi = 1, else negative
  binomial with mean mu and variance phi * mu. The low limit is floored at 0.
- All-zero past: the fitted mean is 0 and the band would have no width. The high limit is then the exact Poisson
  prediction limit (Nelson W., "Confidence intervals for the ratio of two Poisson means and Poisson predictor
  intervals", IEEE Trans. Reliability R-19:42-49, 1970): given the total, the new count is binomial with share
  p = next exposure / all exposure, so after zeros the largest count not flagged is the largest y with p^y >= alpha/2
  (5 zero years at 0.998: 3; a 4 is flagged). The upper Garwood limit of the past rate (1.4 a year) is not a
  prediction limit and would flag a 2, which is not unusual at that level (p = 1/36).
- Intervals: a tested point that is rounded or suppressed is [value_low, value_high] (value_high may be inf, a lower
  bound only) and is flagged only when the whole interval is outside the band. A past point given as an interval
  counts at its midpoint (the fit needs one number; the rounding error then enters the dispersion like any other
  noise); one with no upper bound says too little and is dropped like a missing one.
- Known limit: the normal quantile ignores that phi is estimated from few points, so overdispersed series are flagged
  more often than the level says. Measured on simulated series with nothing planted, at 0.998 (nominal 0.2%):
  Poisson 0.1-0.3%; phi = 1.5 about 1%; phi = 3 about 2.6% with 11 past points and 5% with 5. A t quantile would
  roughly halve the excess but cannot reproduce the worked example, which uses 1.96 with phi from 4 df.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from ..domain.intervals import Interval
from ..model.anomalies import ABOVE, BAND_LEVEL, BELOW, INSIDE, MIN_POINTS, NOT_ENOUGH_HISTORY

LEVEL = BAND_LEVEL
TREND_P = 0.05
WEIGHTS_THRESHOLD = 2.58  # Noufaily et al. (2013); Farrington (1996) used 1

NORMAL, COUNT_QUANTILES, ZERO_HISTORY = "quasi-poisson", "quasi-poisson, count quantiles", "zero history (exact)"

_MAX_ITERATIONS = 50
_MAX_SLOPE = 10.0  # a log-slope past this is separation (counts in one year only), not a trend: e^10 a period

PastPoint = float | tuple[float, float] | Interval | None


@dataclass(frozen=True)
class Band:
    """A prediction band for the next point of a series; `expected` is a count (for `next_offset` if given)."""

    expected: float
    low: float
    high: float
    level: float
    points: int
    method: str
    trend: bool
    dispersion: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class BandResult:
    """A tested point (an interval; low == high for an exact count) and where it falls against its band."""

    status: str
    value_low: float
    value_high: float
    band: Band | None

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "value_low": self.value_low,
            "value_high": None if math.isinf(self.value_high) else self.value_high,
            "band": None if self.band is None else self.band.to_dict(),
        }


@dataclass(frozen=True)
class _Fit:
    intercept: float
    slope: float
    trend: bool
    cov: tuple[float, float, float]  # unscaled inverse information: (b0 b0, b0 b1, b1 b1)
    mu: tuple[float, ...]
    hat: tuple[float, ...]
    pearson: float  # weighted Pearson chi2
    df: int  # n - p


def predict_band(
    past: Sequence[PastPoint],
    *,
    offsets: Sequence[float | None] | None = None,
    next_offset: float | None = None,
    level: float = LEVEL,
    reweight: bool = True,
) -> Band:
    """The band for the point after `past` (past[i] is period i; the tested point is period len(past)).

    None/NaN past points are dropped; their periods stay, so a gap does not bend the trend. `offsets` are the
    populations of the past periods and `next_offset` that of the tested one; the band is then for a count at
    `next_offset`. `reweight=False` skips the Farrington down-weighting of outliers.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    times, ys, offs, next_off = _clean(past, offsets, next_offset)
    if not ys:
        raise ValueError("a band needs at least one past point")
    alpha = 1 - level
    if all(y == 0 for y in ys):
        return _zero_history(ys, offs, next_off, level)
    centre = sum(times) / len(times)  # centred times keep the 2x2 system well conditioned
    xs = [t - centre for t in times]
    fit = _reweighted(xs, ys, offs, True, reweight) if len(ys) >= 3 else None
    trend = fit is not None and _significant(fit)
    if fit is None or not trend:
        fit = _reweighted(xs, ys, offs, False, reweight)
        assert fit is not None  # the flat fit is closed-form and cannot fail with a positive total
    phi = _dispersion(fit)
    x0 = len(past) - centre
    mu0 = math.exp(math.log(next_off) + fit.intercept + fit.slope * x0)
    var_mean = mu0 * mu0 * phi * (fit.cov[0] + 2 * fit.cov[1] * x0 + fit.cov[2] * x0 * x0)
    from scipy.special import ndtri  # lazily: see reconcile/rates.py

    half = float(ndtri(1 - alpha / 2)) * math.sqrt(phi * mu0 + var_mean)
    q_low, q_high = _count_quantile(alpha / 2, mu0, phi), _count_quantile(1 - alpha / 2, mu0, phi)
    low, high = float(max(0.0, min(mu0 - half, q_low))), float(max(mu0 + half, q_high))
    widened = q_high > mu0 + half or q_low < max(0.0, mu0 - half)
    return Band(mu0, low, high, level, len(ys), COUNT_QUANTILES if widened else NORMAL, trend, phi)


def test_point(
    past: Sequence[PastPoint],
    value_low: float,
    value_high: float,
    *,
    level: float = LEVEL,
    min_points: int = MIN_POINTS,
    offsets: Sequence[float | None] | None = None,
    next_offset: float | None = None,
) -> BandResult:
    """Test the value [value_low, value_high] against the band from `past`; flagged only when wholly outside."""
    if not (math.isfinite(value_low) and value_low >= 0) or math.isnan(value_high) or value_high < value_low:
        raise ValueError(f"a tested value must be 0 <= low <= high with a finite low, not [{value_low}, {value_high}]")
    _, ys, _, _ = _clean(past, offsets, next_offset)
    if len(ys) < min_points:
        return BandResult(NOT_ENOUGH_HISTORY, value_low, value_high, None)
    band = predict_band(past, offsets=offsets, next_offset=next_offset, level=level)
    status = ABOVE if value_low > band.high else BELOW if value_high < band.low else INSIDE
    return BandResult(status, value_low, value_high, band)


test_point.__test__ = False  # type: ignore[attr-defined]  # a library function, not a test for pytest to collect


def _clean(
    past: Sequence[PastPoint], offsets: Sequence[float | None] | None, next_offset: float | None
) -> tuple[list[int], list[float], list[float], float]:
    """The usable past as (period index, count, offset), and the next offset; bad numbers are errors."""
    if (offsets is None) != (next_offset is None):
        raise ValueError("offsets and next_offset go together: give both or neither")
    if offsets is not None and len(offsets) != len(past):
        raise ValueError(f"{len(offsets)} offsets for {len(past)} past points")
    next_off = 1.0 if next_offset is None else _positive(next_offset, "next_offset")
    times, ys, offs = [], [], []
    for i, point in enumerate(past):
        y = _point(point)
        if y is None:
            continue
        times.append(i)
        ys.append(y)
        offs.append(1.0 if offsets is None else _positive(offsets[i], f"offset {i}"))
    return times, ys, offs, next_off


def _point(point: PastPoint) -> float | None:
    if point is None:
        return None
    if isinstance(point, Interval):
        point = (point.low, point.high)
    if isinstance(point, tuple | list):
        low, high = float(point[0]), float(point[1])
        if math.isnan(low) or math.isnan(high):
            return None
        if not (math.isfinite(low) and low >= 0 and high >= low):
            raise ValueError(f"a past interval must be 0 <= low <= high with a finite low, not {point}")
        return None if math.isinf(high) else (low + high) / 2
    value = float(point)
    if math.isnan(value):
        return None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"a past count must be finite and not negative, not {value}")
    return value


def _positive(value: float | None, what: str) -> float:
    if value is None or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a finite positive population, not {value}")
    return float(value)


def _reweighted(xs: list[float], ys: list[float], offs: list[float], trend: bool, reweight: bool) -> _Fit | None:
    """Fit, then (once) refit with Farrington's weights if any point is an outlier; None if the fit fails."""
    first = _fit(xs, ys, offs, [1.0] * len(ys), trend)
    if first is None or not reweight:
        return first
    weights = _weights(first, ys)
    return first if weights is None else _fit(xs, ys, offs, weights, trend)


def _fit(xs: list[float], ys: list[float], offs: list[float], weights: list[float], trend: bool) -> _Fit | None:
    if trend:
        coefficients = _newton(xs, ys, offs, weights)
        if coefficients is None:
            return None
        b0, b1 = coefficients
    else:  # the intercept-only MLE is the weighted rate
        b0, b1 = math.log(_dot(weights, ys) / _dot(weights, offs)), 0.0
    mu = [o * math.exp(b0 + b1 * x) for o, x in zip(offs, xs, strict=True)]
    if min(mu) <= 0:
        return None
    big_w = [w * m for w, m in zip(weights, mu, strict=True)]
    a = sum(big_w)
    if trend:
        b, c = _dot(big_w, xs), sum(w * x * x for w, x in zip(big_w, xs, strict=True))
        det = a * c - b * b
        cov = (c / det, -b / det, a / det)
    else:
        cov = (1 / a, 0.0, 0.0)
    hat = tuple(w * (cov[0] + 2 * cov[1] * x + cov[2] * x * x) for w, x in zip(big_w, xs, strict=True))
    pearson = sum(w * (y - m) ** 2 / m for w, y, m in zip(weights, ys, mu, strict=True))
    return _Fit(b0, b1, trend, cov, tuple(mu), hat, pearson, len(ys) - (2 if trend else 1))


def _newton(xs: list[float], ys: list[float], offs: list[float], weights: list[float]) -> tuple[float, float] | None:
    """Poisson log-linear MLE with a slope, by Newton-Raphson with step halving; None if it does not converge."""
    logs = [math.log(o) for o in offs]

    def loglik(b0: float, b1: float) -> float:
        return sum(
            w * (y * (lo + b0 + b1 * x) - math.exp(lo + b0 + b1 * x)) for w, y, lo, x in zip(weights, ys, logs, xs, strict=True)
        )

    b0, b1 = math.log(_dot(weights, ys) / _dot(weights, offs)), 0.0
    try:
        ll = loglik(b0, b1)
        for _ in range(_MAX_ITERATIONS):
            mu = [math.exp(lo + b0 + b1 * x) for lo, x in zip(logs, xs, strict=True)]
            resid = [w * (y - m) for w, y, m in zip(weights, ys, mu, strict=True)]
            big_w = [w * m for w, m in zip(weights, mu, strict=True)]
            u0, u1 = sum(resid), _dot(resid, xs)
            a, b, c = sum(big_w), _dot(big_w, xs), sum(w * x * x for w, x in zip(big_w, xs, strict=True))
            det = a * c - b * b
            if not det > 0:
                return None
            d0, d1 = (c * u0 - b * u1) / det, (a * u1 - b * u0) / det
            step = 1.0
            while (new := loglik(b0 + step * d0, b1 + step * d1)) < ll - 1e-12 * abs(ll) and step > 1e-4:
                step /= 2
            b0, b1, ll = b0 + step * d0, b1 + step * d1, new
            if abs(b1) > _MAX_SLOPE:
                return None
            if max(abs(step * d0), abs(step * d1)) < 1e-10:
                return b0, b1
    except OverflowError:
        return None
    return None


def _weights(fit: _Fit, ys: list[float]) -> list[float] | None:
    """Farrington's weights from deletion-standardised Anscombe residuals; None when no point is an outlier."""
    n = len(ys)
    if fit.df - 1 < 1:  # no dispersion is left once a point is deleted
        return None
    scores = []
    for y, m, h in zip(ys, fit.mu, fit.hat, strict=True):
        if h >= 1:
            scores.append(0.0)
            continue
        deleted = max(1.0, (fit.pearson - (y - m) ** 2 / m / (1 - h)) / (fit.df - 1))
        anscombe = 1.5 * (y ** (2 / 3) * m ** (-1 / 6) - math.sqrt(m))
        scores.append(anscombe / math.sqrt(deleted * (1 - h)))
    if all(abs(s) <= WEIGHTS_THRESHOLD for s in scores):
        return None
    raw = [s**-2 if abs(s) > WEIGHTS_THRESHOLD else 1.0 for s in scores]
    gamma = n / sum(raw)
    return [gamma * w for w in raw]


def _dispersion(fit: _Fit) -> float:
    return max(1.0, fit.pearson / fit.df) if fit.df > 0 else 1.0


def _significant(fit: _Fit) -> bool:
    from scipy.special import stdtr

    se = math.sqrt(_dispersion(fit) * fit.cov[2])
    return se > 0 and 2 * float(stdtr(fit.df, -abs(fit.slope) / se)) < TREND_P


def _count_quantile(q: float, mean: float, phi: float) -> int:
    """The q-quantile of Poisson(mean) (phi == 1) or of the negative binomial with variance phi * mean."""
    from scipy.special import betainc, gammaincc, ndtri

    if phi <= 1:

        def cdf(k: int) -> float:
            return float(gammaincc(k + 1, mean))
    else:
        size, prob = mean / (phi - 1), 1 / phi

        def cdf(k: int) -> float:
            return float(betainc(size, k + 1, prob))

    return _smallest_at_least(cdf, q, max(0, math.floor(mean + float(ndtri(q)) * math.sqrt(phi * mean))))


def _smallest_at_least(cdf: Callable[[int], float], q: float, start: int) -> int:
    k = start
    while cdf(k) < q:
        k += 1
    while k > 0 and cdf(k - 1) >= q:
        k -= 1
    return k


def _zero_history(ys: list[float], offs: list[float], next_off: float, level: float) -> Band:
    share = next_off / (sum(offs) + next_off)
    high = math.floor(math.log((1 - level) / 2) / math.log(share))
    return Band(0.0, 0.0, float(high), level, len(ys), ZERO_HISTORY, False, 1.0)


def _dot(left: Sequence[float], right: Sequence[float]) -> float:
    return sum(a * b for a, b in zip(left, right, strict=True))
