"""Funnel limits for LAs (issue 25): exact limits checked against scipy.stats, computed here one LA at a time; tau^2
checked against a hand-worked example; a planted LA, overdispersed and plain data, skipped LAs, the JSON, speed."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
from scipy import stats
from triangulate.reconcile.funnels import Funnel, funnel, overdispersion, ratio_funnel

RATE = 3e-4  # about England's child death rate: 30 per 100,000 children
LAS = [f"E{9000 + i}" for i in range(150)]


def _lower(distribution: stats.rv_discrete, q: float) -> float:
    """Spiegelhalter (2005) appendix, one LA: r_q the q-quantile, less (F(r_q) - q) / (F(r_q) - F(r_q - 1))."""
    r = distribution.ppf(q)
    at, before = distribution.cdf(r), distribution.cdf(r - 1)
    return r - (at - q) / (at - before)


def _upper(distribution: stats.rv_discrete, tail: float) -> float:
    """The same read from the upper tail, P(Y >= u) = sf(u - 1): u the largest count with P(Y >= u) >= tail,
    plus (P(Y >= u) - tail) / (P(Y >= u) - P(Y >= u + 1))."""
    u = distribution.isf(tail)
    at, beyond = distribution.sf(u - 1), distribution.sf(u)
    return u + (at - tail) / (at - beyond)


def _england(seed: int, planted: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """150 LAs of 20,000 to 300,000 children with Poisson deaths at RATE; the first LA at `planted` times it."""
    rng = np.random.default_rng(seed)
    children = rng.integers(20_000, 300_000, len(LAS)).astype(float)
    children[0] = 150_000  # 45 deaths expected: three times that is plainly detectable
    deaths = rng.poisson(RATE * children).astype(float)
    deaths[0] = rng.poisson(planted * RATE * children[0])
    return deaths, children


def _counted(f: Funnel, level: str, skip_first: bool = True) -> int:
    return sum(point.outside == level for point in f.points[1 if skip_first else 0 :])


def test_poisson_limits_are_scipys_interpolated_quantiles() -> None:
    sizes = np.array([30.0, 1_000, 3_333, 10_000, 47_000, 150_000, 1_234_567])  # 0.009 to 370 deaths expected
    counts = np.round(RATE * sizes)  # on the centre: no overdispersion, so the exact limits alone
    f = funnel([f"LA{i}" for i in range(sizes.size)], counts, sizes, centre=RATE * 1e5, per=1e5)
    assert not f.widened and f.centre == pytest.approx(30.0)
    for point, size in zip(f.points, sizes, strict=True):
        expected = stats.poisson(RATE * size)
        for key, level in (("0.95", 0.95), ("0.998", 0.998)):
            tail = (1 - level) / 2
            low = max(_lower(expected, tail), 0.0) / size * 1e5
            high = _upper(expected, tail) / size * 1e5
            assert point.limits[key] == pytest.approx((low, high), rel=1e-9, abs=1e-12)
        assert point.limits["0.998"][1] > point.limits["0.95"][1] > 30 > point.limits["0.95"][0] >= point.limits["0.998"][0]
    # not Garwood's interval for the expected count (a confidence interval, which funnels must not use)
    garwood_high = stats.chi2.ppf(0.975, 2 * 45 + 2) / 2 / 150_000 * 1e5
    assert abs(f.points[5].limits["0.95"][1] - garwood_high) > 0.5


@pytest.mark.parametrize("expected", [0.009, 0.05, 0.12, 0.9, 4.0, 17.3, 60.0])
def test_outside_exactly_when_the_exact_tail_probability_is_below_the_level(expected: float) -> None:
    # one LA alone (no overdispersion to estimate): each count it could have, against scipy's tail probabilities
    poisson = stats.poisson(expected)
    for count in range(int(poisson.ppf(1 - 1e-6)) + 3):
        outside = funnel(["A"], [count], [expected / RATE], centre=RATE).points[0].outside
        high, low = poisson.sf(count - 1), poisson.cdf(count)  # P(Y >= count), P(Y <= count)
        wanted = "0.998" if min(high, low) < 0.001 else "0.95" if min(high, low) < 0.025 else None
        assert outside == wanted, (expected, count)


@pytest.mark.parametrize("seed", range(5))
def test_an_la_at_three_times_its_rate_is_outside_998_and_few_others_are_outside(seed: int) -> None:
    deaths, children = _england(seed, planted=3.0)
    f = funnel(LAS, deaths, children, per=1e5)
    assert f.centre == pytest.approx(deaths.sum() / children.sum() * 1e5)
    assert f.points[0].outside == "0.998" and f.points[0].rate > f.points[0].limits["0.998"][1]
    assert _counted(f, "0.95") <= 15  # about 5% of 149 by chance
    assert _counted(f, "0.998") <= 2
    # winsorising keeps the one planted LA from being read as overdispersion
    assert f.tau2 == 0 and not f.widened
    plain = funnel(LAS, *_england(seed, planted=1.0), per=1e5)
    assert plain.points[0].outside != "0.998"


def test_tau2_matches_a_hand_worked_example() -> None:
    # Five LAs around a fixed centre of 0.01; n chosen so E = 0.01 n and sqrt(E) are whole: E = 4, 9, 16, 25, 100.
    sizes = np.array([400.0, 900, 1_600, 2_500, 10_000])
    counts = np.array([8.0, 3, 4, 35, 150])
    # z = (y - E) / sqrt(E) = (8-4)/2, (3-9)/3, (4-16)/4, (35-25)/5, (150-100)/10 = 2, -2, -3, 2, 5
    # sorted -3, -2, 2, 2, 5; 10th percentile at position 0.4: -3 + 0.4 x 1 = -2.6; 90th at 3.6: 2 + 0.6 x 3 = 3.8
    # winsorised 2, -2, -2.6, 2, 3.8; squares 4 + 4 + 6.76 + 4 + 14.44 = 33.2; I phi = 33.2 > I - 1 = 4
    # w = 1 / s^2 = n / 0.01 = 40,000, 90,000, 160,000, 250,000, 1,000,000; sum w = 1,540,000
    # sum w^2 = 1.6e9 + 8.1e9 + 2.56e10 + 6.25e10 + 1e12 = 1.0978e12
    # tau^2 = (33.2 - 4) / (1,540,000 - 1.0978e12 / 1,540,000) = 29.2 x 1.54e6 / (1.54e6^2 - 1.0978e12)
    #       = 44,968,000 / 1.2738e12
    by_hand = 44_968_000 / 1.2738e12
    z = (counts - 0.01 * sizes) / np.sqrt(0.01 * sizes)
    assert overdispersion(z, sizes / 0.01) == pytest.approx(by_hand, rel=1e-12)
    f = funnel(["A", "B", "C", "D", "E"], counts, sizes, centre=0.01)
    assert f.tau2 == pytest.approx(by_hand, rel=1e-12) and f.widened and "widened" in f.method
    # A's exact 95% upper limit: E = 4, F(7) = 0.948866, F(8) = 0.978637, so r = 8, a = (0.978637 - 0.975) /
    # (0.978637 - 0.948866) = 0.1222, and the limit 8 + 1 - 0.1222 = 8.8778 deaths, 0.022194 per child; widened:
    # 0.01 + 1.96 x sqrt(0.01 / 400 + 3.530e-5) = 0.01 + 1.96 x 0.0077655 = 0.025220
    f7 = sum(math.exp(-4) * 4**k / math.factorial(k) for k in range(8))
    f8 = f7 + math.exp(-4) * 4**8 / math.factorial(8)
    exact_high = (8 + 1 - (f8 - 0.975) / (f8 - f7)) / 400
    widened_high = 0.01 + 1.959963985 * math.sqrt(0.01 / 400 + by_hand)
    assert exact_high == pytest.approx(0.022194, abs=1e-6) and widened_high == pytest.approx(0.025220, abs=1e-6)
    assert f.points[0].limits["0.95"][1] == pytest.approx(widened_high, rel=1e-9)
    assert f.points[0].limits["0.95"][0] == 0  # 0.01 - 1.96 x 0.0078 < 0: clipped at no deaths
    # E's 150 against 100 expected is outside the plain 99.8% limits but not the widened 95% ones
    plain_high = (stats.poisson(100).ppf(0.999) + 1) / 10_000
    assert 0.015 > plain_high and f.points[4].outside is None


def test_overdispersed_counts_widen_the_limits() -> None:
    rng = np.random.default_rng(7)
    children = rng.integers(20_000, 300_000, len(LAS)).astype(float)
    # each LA's own rate varies 30% about England's (gamma, shape 11): more spread than Poisson alone
    deaths = rng.poisson(RATE * children * rng.gamma(11, 1 / 11, len(LAS))).astype(float)
    spread = funnel(LAS, deaths, children, per=1e5)
    plain = funnel(LAS, np.round(RATE * children), children, centre=spread.centre, per=1e5)
    assert spread.tau2 > 0 and spread.widened and f"tau^2 = {spread.tau2:.3g} (on rates per 100,000" in spread.method
    assert plain.tau2 == 0 and not plain.widened
    for wide, narrow in zip(spread.points, plain.points, strict=True):
        for key in ("0.95", "0.998"):
            assert wide.limits[key][0] <= narrow.limits[key][0] + 1e-12
            assert wide.limits[key][1] >= narrow.limits[key][1] - 1e-12
    biggest = int(np.argmax(children))
    assert spread.points[biggest].limits["0.998"][1] > plain.points[biggest].limits["0.998"][1] * 1.2


def test_each_limit_is_the_wider_of_the_exact_and_the_widened() -> None:
    rng = np.random.default_rng(7)
    children = np.append(rng.integers(20_000, 300_000, len(LAS)), 1_500).astype(float)  # the last expects 0.45
    deaths = rng.poisson(RATE * children * rng.gamma(40, 1 / 40, children.size)).astype(float)
    spread = funnel([*LAS, "tiny"], deaths, children)
    plain = funnel([*LAS, "tiny"], np.round(RATE * children), children, centre=spread.centre)
    assert spread.widened and spread.tau2 < (0.3 * spread.centre) ** 2  # mild: the tiny LA's exact limit is wider
    normal_high = spread.centre + 3.090232 * math.sqrt(spread.centre / 1_500 + spread.tau2)
    tiny, exact = spread.points[-1].limits["0.998"][1], plain.points[-1].limits["0.998"][1]
    assert tiny == pytest.approx(exact) and exact > normal_high * 1.1
    biggest = int(np.argmax(children))
    assert spread.points[biggest].limits["0.998"][1] > plain.points[biggest].limits["0.998"][1]


@pytest.mark.parametrize("seed", range(5))
def test_poisson_counts_are_not_overdispersed(seed: int) -> None:
    f = funnel(LAS, *_england(seed), per=1e5)
    assert f.tau2 == 0 and not f.widened and "not widened" in f.method


def test_zero_or_missing_denominators_and_missing_counts_are_not_points() -> None:
    f = funnel(["A", "B", "C", "D", "E"], [10, 3, 0, 5, math.nan], [10_000, 0, math.nan, 20_000, 5_000])
    assert [point.geography for point in f.points] == ["A", "D"]
    assert f.centre == pytest.approx(15 / 30_000)
    assert funnel([], [], []).points == ()
    r = ratio_funnel(["A", "B", "C", "D"], [0, 4, math.nan, 6], [0, 5, 3, 6])
    assert [point.geography for point in r.points] == ["B", "D"]
    with pytest.raises(ValueError, match="as many"):
        funnel(["A"], [1, 2], [3, 4])


def test_ratio_limits_are_scipys_binomial_quantiles_as_ratios() -> None:
    first, second = np.array([3.0, 9, 40, 160, 700]), np.array([4.0, 10, 38, 150, 720])
    r = ratio_funnel([f"LA{i}" for i in range(5)], first, second)
    share = first.sum() / (first.sum() + second.sum())
    assert r.centre == pytest.approx(first.sum() / second.sum())
    for point, y, m in zip(r.points, first, second, strict=True):
        conditional = stats.binom(y + m, share)
        low, high = max(_lower(conditional, 0.001), 0) / (y + m), min(_upper(conditional, 0.001) / (y + m), 1)
        assert point.limits["0.998"] == pytest.approx((low / (1 - low), high / (1 - high) if high < 1 else math.inf), rel=1e-8)
        assert point.rate == pytest.approx(y / m) and point.denominator == m


def test_a_return_missing_deaths_stands_out_in_the_ratio_funnel() -> None:
    rng = np.random.default_rng(3)
    deaths = rng.poisson(rng.uniform(2, 30, len(LAS))).astype(float)
    ncmd = deaths.copy()  # NCMD complete; SSDA903 returns miss a few deaths here and there
    ssda903 = rng.binomial(deaths.astype(int), 0.97).astype(float)
    ncmd[0], ssda903[0] = 60, 18  # an LA whose return misses most of its looked-after children's deaths
    ncmd[1], ssda903[1] = 12, 0  # one whose return has none: a point, not skipped (P = 0.51^12 = 0.0003)
    ncmd[2], ssda903[2] = 1, 0  # one death in one source only is no evidence of anything
    r = ratio_funnel(LAS, ncmd, ssda903)
    assert r.points[0].outside == "0.998" and r.points[1].outside == "0.998"
    assert math.isinf(r.points[1].rate) and r.to_dict()["points"][1]["rate"] is None
    assert r.points[2].outside is None and math.isinf(r.points[2].limits["0.95"][1])
    assert _counted(r, "0.998", skip_first=False) == 2
    # the two sources count the same deaths: less spread than binomial, so nothing is widened
    assert r.tau2 == 0 and not r.widened


def test_funnels_json() -> None:
    f = funnel(LAS, *_england(0, planted=3.0), per=1e5)
    rows = f.rows("deaths", "ncmd", "2023-24", decimals=1)
    assert len(rows) == len(LAS)
    assert set(rows[0]) == {"measure", "source", "period", "geography", "count", "denominator", "rate", "centre",
                            "limits", "outside", "method"}  # fmt: skip
    assert set(rows[0]["limits"]) == {"0.95", "0.998"} and rows[0]["outside"] == "0.998"
    assert {row["outside"] for row in rows} <= {None, "0.95", "0.998"}
    low, high = rows[0]["limits"]["0.95"]
    assert low < rows[0]["centre"] < high and rows[0]["centre"] == round(f.centre, 1)
    whole = f.to_dict()
    assert whole["levels"] == ["0.95", "0.998"] and whole["widened"] is False and len(whole["points"]) == len(LAS)
    r = ratio_funnel(["A", "B"], [5, 7], [0, 6])
    json.dumps([f.to_dict(), r.to_dict(), *r.rows("deaths", "ncmd/ssda903", "2023-24")], allow_nan=False)


def test_speed_of_150_las_by_12_years_by_4_indicators() -> None:
    data = [_england(seed) for seed in range(12 * 4)]
    started = time.perf_counter()
    funnels = [funnel(LAS, deaths, children, per=1e5) for deaths, children in data]
    rows = [row for f in funnels for row in f.rows("m", "s", "p", decimals=1)]
    took = time.perf_counter() - started
    print(f"48 funnels of 150 LAs and their {len(rows)} rows: {took * 1000:.0f} ms")
    assert len(rows) == 48 * 150 and took < 5
