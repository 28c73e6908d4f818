"""Numbers, intervals and periods in words, as every output shows them; counts pass through the disclosure."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..domain.geography import ENGLAND
from ..domain.inputs import printable
from ..domain.intervals import Interval
from ..domain.periods import Period
from ..model.rates import RATE_DECIMALS, RATIO_DECIMALS, shown
from ..model.reconciliation import Comparison
from .disclosure import Cell, Disclosure, pair_source

AS_RECORDED = Disclosure()


def interval_text(value: Interval | None, disclosure: Disclosure = AS_RECORDED) -> str:
    """The one way an interval is written: `48`, `45 to 54`, `at least 1`, `not available`."""
    if value is None:
        return "not available"
    low, high = value.to_list()
    if high == low:
        return disclosure.count(low)
    if high is None:
        return f"at least {disclosure.count(low)}"
    return f"{disclosure.count(low)} to {disclosure.count(high)}"


def difference_text(value: Interval | None) -> str:
    if value is None:
        return ""
    low, high = value.to_list()
    if high == low:
        return f"{low:+g}"
    return f"{low:+g} to {high:+g}" if high is not None else f"{low:+g} or more"


def percent(part: int, whole: int) -> str:
    if whole <= 0:
        return ""
    share = 100 * part / whole
    return f"{share:.1f}%" if share >= 0.1 or part == 0 else "<0.1%"


def period_label(iso: str) -> str:
    """A period (ISO start/end, as the model carries it) as the tables write it: 2022-23."""
    return Period.from_iso(iso).label


def signed(change: int, disclosure: Disclosure) -> str:
    if change == 0:
        return "0"
    return ("-" if change < 0 else "+") + disclosure.count(abs(change))


def gap_text(gap: float | None, disclosure: Disclosure) -> str:
    if gap is None:
        return ""
    return f"{'-' if gap < 0 else '+'}{disclosure.count(abs(gap))}" if gap else "0"


def rate_text(rate: Interval) -> str:
    low, high = rate.to_list()
    if high == low:
        return f"{low:g}"
    return f"at least {low:g}" if high is None else f"{low:g} to {high:g}"


def period_middle(iso: str) -> float:
    start, end = (dt.date.fromisoformat(part) for part in iso.split("/"))
    middle = start + (end - start) / 2
    return middle.year + (middle.timetuple().tm_yday - 1) / 365.25


def listed(items: Sequence[str]) -> str:
    return ", ".join(items)


def gap_words(difference: Interval | None) -> str:
    if difference is None:
        return ""
    low, high = difference.to_list()
    if high == low:
        return f" by {abs(low):g}"
    if high is None:
        return f" by at least {abs(low):g}"
    lo, hi = sorted((abs(low), abs(high)))
    return f" by {lo:g} to {hi:g}" if not (low < 0 < high) else ""


def hides_either(comparison: Comparison, disclosure: Disclosure) -> bool:
    """A difference would reveal a suppressed side, so it is not shown when either side is hidden."""
    return any(v is not None and (disclosure.hides(v.low) or disclosure.hides(v.high))
               for v in (comparison.left_value, comparison.right_value))  # fmt: skip


# --- rates and ratios: each rounded once (`model.rates.shown`), the same digits in every output ------------------


def rate_number(value: float) -> str:
    """A rate as every output writes it, rounded once from its unrounded value: `31.3` (3,687 / 11,761,656 x 100,000)."""
    return f"{shown(value, RATE_DECIMALS):,.{RATE_DECIMALS}f}"


def ratio_number(value: float) -> str:
    """A ratio of rates as every output writes it: `7.23`."""
    return f"{shown(value, RATIO_DECIMALS):,.{RATIO_DECIMALS}f}"


def rate_per_text(rate: Interval, per: float) -> str:
    """A rate per `per`: `31.3 per 100,000`, `30.1 to 32.0 per 100,000` (a rounded count), `at least 1.2 per 10,000`."""
    if rate.is_exact:
        shown_rate = rate_number(rate.low)
    elif math.isinf(rate.high):
        shown_rate = f"at least {rate_number(rate.low)}"
    else:
        shown_rate = f"{rate_number(rate.low)} to {rate_number(rate.high)}"
    return f"{shown_rate} per {per:,.0f}"


def interval_bounds_text(low: float, high: float | None, number: Callable[[float], str]) -> str:
    """A 95% interval's bounds: `30.3 to 32.4`, or `1.2 to unbounded` for a count with no upper bound."""
    return f"{number(low)} to {number(high) if high is not None else 'unbounded'}"


def rate_ci_text(interval: tuple[float, float | None]) -> str:
    """`95% CI 30.3 to 32.4`."""
    return f"95% CI {interval_bounds_text(*interval, rate_number)}"


def ratio_text(ratio: Interval, interval: tuple[float, float | None]) -> str:
    """A rate ratio and its 95% interval to two decimals: `7.23 (95% CI 6.71 to 7.78)`."""
    shown_ratio = ratio_number(ratio.low) + ("" if ratio.is_exact else f" to {ratio_number(ratio.high)}")
    return f"{shown_ratio} (95% CI {interval_bounds_text(*interval, ratio_number)})"


def printable_keeping_lines(text: str) -> str:
    """A whole output's text with every unsafe character escaped (`printable`) but its own line breaks and tabs.

    Record ids and cells come from the inputs; an id holding ESC must not recolour a steward's terminal.
    """
    return printable(text, keep="\n\t")


def one_per_line(lines: Iterable[str]) -> str:
    """Lines of an output joined: each stays one line whatever a name or a value in it holds (a file named
    `x\nPASS` shows as `x\\nPASS`), so nothing from the inputs can split a console line or forge one in a CI log."""
    return "\n".join(printable(line) for line in lines)


# --- figures through the disclosure, plurals that reveal nothing, expectations in words -------------------------

def figure_text(value: Interval | float | None, disclosure: Disclosure, cell: Cell) -> str:
    """A source's figure for a measure, period and place as every output shows it (`Disclosure.figure`)."""
    return disclosure.figure(cell, value if value is None or isinstance(value, Interval) else Interval.exact(value))


def linkage_cell(left: str, right: str, measure: str, period: str, figure: str) -> Cell:
    """A linkage count's cell: it belongs to the pair of sources (`pair_source`), nationally."""
    return Cell(pair_source(left, right), measure, period, ENGLAND, figure)


def counted(number: int, one: str, many: str, hidden: bool = False, shown: str = "") -> str:
    """`1 death`, `2 deaths`, or `some deaths` when the number is withheld: a plural must not reveal a hidden count."""
    if hidden:
        return f"some {many}"
    return f"{shown or f'{number:,}'} {one if number == 1 else many}"


def count_words(number: int, one: str, many: str) -> str:
    """`1 check fails`, `2 checks fail`: the number and the words that agree with it."""
    return f"{number:,} {one if number == 1 else many}"


def verb(number: int, hidden: bool, one: str = "is", many: str = "are") -> str:
    return many if hidden or number != 1 else one


RELATION_WORDS = {">=": "should be at least", "<=": "should be no more than", "==": "should equal"}


def expectation_text(left: str, relation: str, right: str, tolerance: Mapping[str, float] | None = None) -> str:
    """An expected relation as an expectation, not an outcome: `csprp should be at least dfe_cla's count`."""
    text = f"{left} {RELATION_WORDS.get(relation, relation)} {right}'s count"
    allowed = allowance(tolerance or {})
    return text if allowed == "exactly" else f"{text}, {allowed}"


LEVEL_WORDS = {"england": "nationally", "region": "in each region", "local_authority": "in each local authority"}


def allowance(tolerance: Mapping[str, Any]) -> str:
    """`within 2 or 10%`, or `exactly` where nothing is allowed; a learned one says from how many releases."""
    allowed = [f"{tolerance['abs']:g}" if tolerance.get("abs") else "", f"{100 * tolerance['rel']:g}%" if tolerance.get("rel") else ""]
    allowed = [a for a in allowed if a]
    learned = f" (learned from {tolerance['points']} earlier releases)" if tolerance.get("origin") == "learned" else ""
    if tolerance.get("withheld"):  # --publish: a learned figure can equal a past difference shown as c
        return f"within a tolerance learned from {tolerance['points']} earlier releases (withheld: it could reveal a withheld difference)"
    return (f"within {' or '.join(allowed)}" if allowed else "exactly") + learned


def tolerance_by_level(tolerances: Mapping[str, Mapping[str, float]]) -> str:
    """Which tolerance applies at which level: `within 2 or 10% nationally and in each region; exactly in each local
    authority`."""
    grouped: dict[str, list[str]] = {}
    for level, words in LEVEL_WORDS.items():
        if level in tolerances:
            grouped.setdefault(allowance(tolerances[level]), []).append(words)
    if len(grouped) == 1:
        return f"{next(iter(grouped))} at every level"
    return "; ".join(f"{allowed} {' and '.join(levels)}" for allowed, levels in grouped.items())


def period_shift_words(number: int, hidden: bool, shown: str = "") -> str:
    return f"{counted(number, 'death', 'deaths', hidden, shown)} {verb(number, hidden)} dated in different periods by the two sources"
