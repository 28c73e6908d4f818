"""Identity that outlives a run: the stable keys of sources, series, comparisons and findings, and person keys.

A key is what is remembered (the run history, acknowledgements, learned expectations); display strings are
rendered from keys and never used as identity. Each key has one string form, which JSON, JUnit and the history
carry as `key`:

    check/SOURCE_ID/CHECK_ID
    comparison/MEASURE/PERIOD/GEOGRAPHY/LEFT_ID/RIGHT_ID       (PERIOD as its label, e.g. 2021-22; LEFT~RIGHT
                                                               where the right source's period differs, 2021-22~2021)
    missing/MEASURE/PERIOD/GEOGRAPHY/SOURCE_ID/ABSENT_FROM_ID/KIND
    empty/MEASURE/LEFT_ID/RIGHT_ID
    anomaly/MEASURE/PERIOD/GEOGRAPHY/SOURCE_ID                (a series' latest point outside its own past's band)

A source id is the source's `id:` in the run config (default: its name there), so a source renamed with its
`id:` kept keeps its history. A geography is an ONS code (E92000001 England, E12… regions, E13000001/E13000002
Inner/Outer London, LA codes). A part holding `/` or `%` is percent-escaped, so a key splits back unambiguously.

A person key is a keyed pseudonym (HMAC-SHA-256) of a source id and a record id, never the output's hash: the
same child has the same key whatever `--redact`/`--publish` say. The secret is the history's own (made when the
history is created, and kept in it): whoever can read the history can test a guessed id against its keys, as
they could read the ids themselves before; nobody without it can. Without a history, a random one for the run.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from .periods import Period

SOURCE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"  # what `id:` may be: one part of a key, readable in a URL


def _part(text: str) -> str:
    return str(text).replace("%", "%25").replace("/", "%2F")


def _unpart(text: str) -> str:
    return text.replace("%2F", "/").replace("%2f", "/").replace("%25", "%")


def period_label(period: Period) -> str:
    """A period as a key names it: its label for a financial or calendar year (2021-22, 2022), else START..END."""
    return period.year_label or f"{period.start.isoformat()}..{period.end.isoformat()}"


def key_text(kind: str, *parts: str) -> str:
    return "/".join((kind, *(_part(p) for p in parts)))


def key_parts(text: str) -> tuple[str, ...]:
    """A key's string form back into its kind and parts."""
    return tuple(_unpart(p) for p in text.split("/"))


@dataclass(frozen=True, order=True)
class SeriesKey:
    """One comparison's series across periods: a measure, the two sources (by id) and a place (an ONS code)."""

    measure: str
    geography: str
    left: str
    right: str

    def at(self, period: Period, right_period: Period | None = None) -> ComparisonKey:
        return ComparisonKey(self, period, right_period if right_period != period else None)


@dataclass(frozen=True, order=True)
class ComparisonKey:
    series: SeriesKey
    period: Period  # the left source's
    right_period: Period | None = None  # the right source's, where it differs (a year against an overlapping one)

    @property
    def text(self) -> str:
        s = self.series
        period = period_label(self.period)
        if self.right_period is not None and self.right_period != self.period:
            period += "~" + period_label(self.right_period)
        return key_text("comparison", s.measure, period, s.geography, s.left, s.right)


FINDING_KINDS = ("check", "comparison", "missing", "empty", "anomaly")  # a finding key's first part


def is_finding_key(text: str) -> bool:
    kind, _, rest = text.partition("/")
    return kind in FINDING_KINDS and bool(rest)


def check_key(source_id: str, check_id: str) -> str:
    return key_text("check", source_id, check_id)


def missing_key(measure: str, period: Period, geography: str, source_id: str, absent_from_id: str, kind: str) -> str:
    return key_text("missing", measure, period_label(period), geography, source_id, absent_from_id, kind)


def empty_key(measure: str, left_id: str, right_id: str) -> str:
    return key_text("empty", measure, left_id, right_id)


def anomaly_key(measure: str, period: Period, geography: str, source_id: str) -> str:
    """A series' tested point: one per source, place and period (its direction, above or below, is no part of it)."""
    return key_text("anomaly", measure, period_label(period), geography, source_id)


# --- person keys ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonKeyer:
    """Makes person keys with one secret; `origin` says where the secret came from (history, environment, run)."""

    secret: bytes
    origin: str = "run"

    def of(self, source_id: str, record_id: str) -> str:
        message = f"{source_id}\x1f{record_id}".encode("utf-8", "surrogateescape")
        return "p:" + hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def all_of(self, source_id: str, record_ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.of(source_id, r) for r in record_ids)


def keyer(history_secret: bytes | None = None) -> PersonKeyer:
    """The run's person keyer: the history's secret, else one for this run only (its keys mean nothing beyond it)."""
    if history_secret:
        return PersonKeyer(history_secret, "history")
    return PersonKeyer(secrets.token_bytes(32), "run")
