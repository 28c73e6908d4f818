"""Series bands (issue 25, part 1): the latest point against a quasi-Poisson band from its own past."""

from __future__ import annotations

import math

import numpy as np
import pytest
from triangulate.domain.intervals import Interval, from_rounded
from triangulate.reconcile import bands  # the module, so that pytest does not collect bands.test_point

LOOKED_AFTER = [50, 50, 60, 40, 60]  # DfE looked-after deaths, England, 2019-2023 (issue 25's worked example)
STABLE = [120, 131, 118, 125, 129, 122, 127, 119, 124, 130, 121]
RISING = [1000, 1056, 1097, 1152, 1196, 1251, 1304, 1349, 1398, 1455, 1497, 1553]  # about +50 a year; next 1600
UNDERDISPERSED = [400, 410, 395, 405, 398, 402, 407, 399]


def status(past: list, low: float, high: float | None = None, **options: object) -> str:
    return bands.test_point(past, low, low if high is None else high, **options).status  # type: ignore[arg-type]


def flat_band(past: list[float], z: float) -> tuple[float, float]:
    """A flat quasi-Poisson band by hand: mean +- z sqrt(phi mean (1 + 1/n)), phi = Pearson chi2 / (n - 1)."""
    y = np.asarray(past, dtype=float)
    mean = y.mean()
    phi = max(1.0, float(((y - mean) ** 2 / mean).sum() / (len(y) - 1)))
    half = z * math.sqrt(phi * mean * (1 + 1 / len(y)))
    return mean - half, mean + half


def test_the_worked_example_holds_at_level_095() -> None:
    """Issue 25: "a quasi-Poisson band from the five past years is 34 to 70, so 60 is inside. A jump to 80 would be
    flagged." That is 52 +- 1.96 sqrt(phi 52 (1 + 1/5)) with phi = 280/52/4 = 1.346: the example is at level 0.95."""
    band = bands.predict_band(LOOKED_AFTER, level=0.95)
    assert band.expected == pytest.approx(52)
    assert band.dispersion == pytest.approx(280 / 52 / 4)
    assert (band.low, band.high) == pytest.approx((34.04, 69.96), abs=0.01)
    assert (band.trend, band.method, band.points) == (False, bands.NORMAL, 5)
    assert status(LOOKED_AFTER, 60, level=0.95) == bands.INSIDE
    assert status(LOOKED_AFTER, 80, level=0.95) == bands.ABOVE


def test_at_the_default_level_the_worked_example_band_is_about_24_to_80() -> None:
    band = bands.predict_band(LOOKED_AFTER)
    assert band.level == 0.998
    assert (band.low, band.high) == pytest.approx((23.7, 80.3), abs=0.05)
    assert status(LOOKED_AFTER, 80) == bands.INSIDE
    assert status(LOOKED_AFTER, 81) == bands.ABOVE


def test_a_stable_series_is_inside_and_planted_jumps_and_falls_are_flagged() -> None:
    band = bands.predict_band(STABLE)
    assert not band.trend
    assert band.low < 110 and band.high > 140
    assert [status(STABLE, v) for v in (110, 124, 140)] == [bands.INSIDE] * 3
    assert status(STABLE, 200) == bands.ABOVE
    assert status(STABLE, 60) == bands.BELOW


def test_too_few_past_points_say_so_and_missing_points_are_not_counted() -> None:
    result = bands.test_point([50, 60], 55, 55)
    assert (result.status, result.band) == (bands.NOT_ENOUGH_HISTORY, None)
    gappy = [50, None, math.nan, 60, 55, 52]
    assert status(gappy, 55) == bands.NOT_ENOUGH_HISTORY
    result = bands.test_point(gappy, 55, 55, min_points=4)
    assert result.status == bands.INSIDE and result.band is not None and result.band.points == 4


def test_a_rounded_point_is_flagged_only_when_its_whole_interval_is_outside() -> None:
    band = bands.predict_band(LOOKED_AFTER, level=0.95)  # 34.04 to 69.96
    straddles_high, straddles_low = from_rounded(70, 10), from_rounded(35, 10)  # 65-74 and 30-39
    assert straddles_high.low < band.high < straddles_high.high
    assert status(LOOKED_AFTER, straddles_high.low, straddles_high.high, level=0.95) == bands.INSIDE
    assert status(LOOKED_AFTER, straddles_high.high, level=0.95) == bands.ABOVE  # the same number, exact
    assert status(LOOKED_AFTER, straddles_low.low, straddles_low.high, level=0.95) == bands.INSIDE
    assert status(LOOKED_AFTER, straddles_low.low, level=0.95) == bands.BELOW
    wholly_above = from_rounded(80, 10)
    assert status(LOOKED_AFTER, wholly_above.low, wholly_above.high, level=0.95) == bands.ABOVE
    assert status(LOOKED_AFTER, 10, math.inf, level=0.95) == bands.INSIDE  # a lower bound only: cannot be placed
    assert status(LOOKED_AFTER, 75, math.inf, level=0.95) == bands.ABOVE


def test_a_significant_trend_is_followed() -> None:
    """A flat fit's dispersion absorbs a straight line: the next step is sqrt(3)/z half-widths from the flat mean, so
    a flat band misses it only below z = 1.73 (level 0.917). At 0.9 the flat band flags the next step; the trend band
    does not. At 0.998 both hold the next step, but only the trend band sees a fall back to the series' average."""
    band = bands.predict_band(RISING)
    assert band.trend
    assert band.low < 1600 < band.high
    assert 1580 < band.expected < 1650
    assert flat_band(RISING, 1.645)[1] < 1600
    assert status(RISING, 1600, level=0.9) == bands.INSIDE
    average = round(float(np.mean(RISING)))
    flat_low, flat_high = flat_band(RISING, 3.09)
    assert flat_low < average < 1600 < flat_high
    assert status(RISING, average) == bands.BELOW


def test_rising_and_falling_trends_are_treated_alike() -> None:
    """Farrington's rule (drop a trend that predicts above the past maximum) is not applied: it would drop every
    rising trend and keep every falling one."""
    up, down = bands.predict_band(RISING), bands.predict_band(RISING[::-1])
    assert up.trend and down.trend
    assert up.expected > max(RISING) and down.expected < min(RISING)
    assert status(RISING[::-1], 950) == bands.INSIDE
    assert status(RISING[::-1], round(float(np.mean(RISING)))) == bands.ABOVE


def test_a_gap_keeps_its_period_so_it_does_not_bend_the_trend() -> None:
    growing = [100 * 1.1**i for i in range(10)]
    gappy: list[float | None] = [*growing]
    gappy[4] = None
    expected = 100 * 1.1**10
    assert bands.predict_band(gappy).expected == pytest.approx(expected, rel=1e-6)
    assert bands.predict_band(growing).expected == pytest.approx(expected, rel=1e-6)


def test_a_past_outlier_is_down_weighted() -> None:
    spiked = [*STABLE]
    spiked[5] = 300
    weighted, unweighted = bands.predict_band(spiked), bands.predict_band(spiked, reweight=False)
    assert weighted.high - weighted.low < (unweighted.high - unweighted.low) / 2
    assert abs(weighted.expected - np.mean(STABLE)) < 3 < abs(unweighted.expected - np.mean(STABLE))
    assert status(spiked, 200) == bands.ABOVE  # the unweighted band (to about 350) would hide this jump
    assert unweighted.high > 200


def test_a_past_dip_is_down_weighted_like_a_spike() -> None:
    """Farrington down-weights only upward residuals (outbreaks); a two-sided check also needs a year of
    under-recording not to widen the band."""
    dipped = [*STABLE]
    dipped[5] = 40
    weighted, unweighted = bands.predict_band(dipped), bands.predict_band(dipped, reweight=False)
    assert weighted.high - weighted.low < (unweighted.high - unweighted.low) / 2
    assert status(dipped, 60) == bands.BELOW  # inside the unweighted band (from about 33)
    assert unweighted.low < 60


def test_an_outlier_in_a_short_series_is_down_weighted_too() -> None:
    """With the full-data dispersion no point among 6 can score above sqrt(5) = 2.24 < 2.58; the deleted dispersion
    lets the spike show."""
    short = [120, 131, 118, 125, 300, 122]
    weighted, unweighted = bands.predict_band(short), bands.predict_band(short, reweight=False)
    assert weighted.high < 170 < unweighted.high


def test_no_outlier_means_no_reweighting() -> None:
    assert bands.predict_band(STABLE) == bands.predict_band(STABLE, reweight=False)
    assert bands.predict_band(LOOKED_AFTER) == bands.predict_band(LOOKED_AFTER, reweight=False)


def test_a_population_offset_scales_the_expected_count() -> None:
    counts = [100, 104, 97, 101, 99, 103]
    same = bands.predict_band(counts, offsets=[1e5] * 6, next_offset=1e5)
    doubled = bands.predict_band(counts, offsets=[1e5] * 6, next_offset=2e5)
    assert doubled.expected == pytest.approx(2 * same.expected, rel=1e-12)
    assert doubled.high > same.high + 50
    growing = [1e5 * 1.1**i for i in range(8)]
    in_step = [round(p / 1000) for p in growing]  # the count grows with the population: the rate is flat
    rate_band = bands.predict_band(in_step, offsets=growing, next_offset=1e5 * 1.1**8)
    assert not rate_band.trend
    assert rate_band.expected == pytest.approx(1e5 * 1.1**8 / 1000, rel=0.01)
    assert bands.predict_band(in_step).trend  # as counts alone the same series has a trend


def test_an_all_zero_past_uses_the_exact_poisson_prediction_limit() -> None:
    """Given the total, the new count is binomial with share p = 1/6 after five years: the largest count not flagged
    at 0.998 is the largest y with p^y >= 0.001, which is 3."""
    band = bands.predict_band([0] * 5)
    assert (band.expected, band.low, band.high, band.method) == (0.0, 0.0, 3.0, bands.ZERO_HISTORY)
    assert (1 / 6) ** 3 >= 0.001 > (1 / 6) ** 4
    assert [status([0] * 5, v) for v in (0, 1, 3, 4)] == [bands.INSIDE] * 3 + [bands.ABOVE]
    assert bands.predict_band([0] * 12).high == 2.0  # (1/13)^2 >= 0.001 > (1/13)^3
    assert bands.predict_band([0] * 5, offsets=[1.0] * 5, next_offset=2.0).high == 5.0  # p = 2/7


def test_a_poisson_past_matches_an_independent_prediction_interval() -> None:
    """For a past less variable than Poisson the dispersion is floored at 1 and the band is mean +- z sqrt(mean
    (1 + 1/n)). Independently, a Poisson rate with a flat prior given total T over n years predicts the next count as
    negative binomial(T, n/(n+1)), the same mean and variance. The normal approximation differs from its quantiles by
    skewness, about (z^2 - 1)/6 (n + 2)/n counts at each end, plus one for discreteness."""
    from scipy.stats import nbinom

    y = np.asarray(UNDERDISPERSED, dtype=float)
    n, total = len(y), y.sum()
    assert ((y - y.mean()) ** 2 / y.mean()).sum() / (n - 1) < 1
    band = bands.predict_band(UNDERDISPERSED)
    assert (band.dispersion, band.trend, band.method) == (1.0, False, bands.NORMAL)
    z = 3.090232
    tolerance = 1 + (z * z - 1) / 6 * (n + 2) / n
    predictive = nbinom(total, n / (n + 1))
    assert band.low == pytest.approx(predictive.ppf(0.001), abs=tolerance)
    assert band.high == pytest.approx(predictive.ppf(0.999), abs=tolerance)


def test_the_fit_and_dispersion_match_an_independent_fit() -> None:
    """A noisy rising series: scipy.optimize's Poisson MLE and numpy's Pearson chi2 / (n - 2) give the same
    prediction and dispersion."""
    from scipy.optimize import minimize

    noisy = [200, 262, 215, 290, 251, 330, 288, 362, 331, 401]
    y, t = np.asarray(noisy, dtype=float), np.arange(len(noisy), dtype=float)

    def minus_loglik(beta: np.ndarray) -> float:
        eta = beta[0] + beta[1] * t
        return float((np.exp(eta) - y * eta).sum())

    beta = minimize(minus_loglik, np.array([np.log(y.mean()), 0.0]), method="BFGS", options={"gtol": 1e-8}).x
    mu = np.exp(beta[0] + beta[1] * t)
    band = bands.predict_band(noisy)
    assert band.trend
    assert band.dispersion == pytest.approx(((y - mu) ** 2 / mu).sum() / (len(y) - 2), rel=1e-4)
    assert band.dispersion > 1
    assert band.expected == pytest.approx(math.exp(beta[0] + beta[1] * len(noisy)), rel=1e-4)


def test_small_counts_are_widened_to_count_quantiles() -> None:
    """Around a mean of 2 the normal band ends at 6.6, but a 7 or an 8 is not unusual for Poisson(2) at 0.998."""
    from scipy.stats import poisson

    past = [2, 1, 3, 2, 2, 1, 3, 2]
    band = bands.predict_band(past)
    assert band.method == bands.COUNT_QUANTILES
    assert band.high == 8.0
    assert poisson.sf(8, 2) <= 0.001 < poisson.sf(7, 2)
    assert status(past, 8) == bands.INSIDE and status(past, 9) == bands.ABOVE


def test_constant_huge_and_degenerate_pasts() -> None:
    constant = bands.predict_band([7] * 6)
    assert (constant.expected, constant.dispersion, constant.trend) == (pytest.approx(7), 1.0, False)
    assert 0 <= constant.low < 7 < constant.high
    huge = [40000, 40210, 39850, 40120, 39990, 40300, 40050]
    assert [status(huge, v) for v in (40100, 41500, 38500)] == [bands.INSIDE, bands.ABOVE, bands.BELOW]
    first_year_only = bands.predict_band([5, 0, 0, 0, 0, 0])  # the trend MLE runs away: it is not a trend
    assert not first_year_only.trend and math.isfinite(first_year_only.high)


def test_past_intervals_count_at_their_midpoints() -> None:
    as_intervals = bands.predict_band([Interval(45, 54), (45, 54), 60, 40, 60])
    assert as_intervals == bands.predict_band([49.5, 49.5, 60, 40, 60])
    lower_bound_only = bands.predict_band([(10, math.inf), 50, 60, 40, 60])
    assert lower_bound_only.points == 4


@pytest.mark.parametrize(
    "call",
    [
        lambda: bands.predict_band([50, -1, 60]),
        lambda: bands.predict_band([50, math.inf, 60]),
        lambda: bands.predict_band([(5, 2), 60]),
        lambda: bands.predict_band([]),
        lambda: bands.predict_band([50, 60], level=1.0),
        lambda: bands.predict_band([50, 60], offsets=[1.0, 1.0]),
        lambda: bands.predict_band([50, 60], offsets=[1.0], next_offset=1.0),
        lambda: bands.predict_band([50, 60], offsets=[1.0, 0.0], next_offset=1.0),
        lambda: bands.test_point(LOOKED_AFTER, 60, 50),
        lambda: bands.test_point(LOOKED_AFTER, -1, 5),
        lambda: bands.test_point(LOOKED_AFTER, math.inf, math.inf),
        lambda: bands.test_point(LOOKED_AFTER, math.nan, 5),
    ],
)
def test_bad_numbers_are_errors(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_results_serialise_and_the_library_function_is_not_a_test() -> None:
    result = bands.test_point(LOOKED_AFTER, 75, math.inf, level=0.95)
    out = result.to_dict()
    assert out["status"] == bands.ABOVE and out["value_high"] is None
    assert isinstance(out["band"], dict) and out["band"]["level"] == 0.95 and out["band"]["trend"] is False
    assert bands.test_point([1, 2], 1, 1).to_dict()["band"] is None
    assert bands.test_point.__test__ is False  # type: ignore[attr-defined]
