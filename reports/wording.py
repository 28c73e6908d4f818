"""Numbers, intervals and periods in words, as every output shows them; counts pass through the disclosure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from ..domain.intervals import Interval
from ..domain.periods import Period
from ..model.reconciliation import Comparison
from .disclosure import Disclosure

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
    start, end = (dt.date.fromisoformat(part) for part in iso.split("/"))
    return Period(start, end).label


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


def ratio_text(ratio: Interval, interval: tuple[float, float | None]) -> str:
    """A rate ratio and its 95% interval to two decimals: `7.23 (95% CI 6.71 to 7.78)`."""
    shown = f"{ratio.low:,.2f}" + ("" if ratio.is_exact else f" to {ratio.high:,.2f}")
    low, high = interval
    return f"{shown} (95% CI {low:,.2f} to {'unbounded' if high is None else f'{high:,.2f}'})"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def visible(text: str) -> str:
    """Control characters written as escapes: a terminal does not obey them and XML 1.0 can hold the result.

    Record ids and cells come from the inputs; an id holding ESC must not recolour a steward's terminal.
    """
    return _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}" if ord(found[0]) < 0x100 else f"\\u{ord(found[0]):04x}", text)
