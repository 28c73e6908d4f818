"""What an output may disclose: record ids as they are, as keyed hashes, or not at all.

`disclose` applies it to the whole release once, before any output is rendered, and
`suppression.for_release` decides, once, which figures every output withholds.

`--redact` replaces each record id with an HMAC-SHA256 keyed hash; the key comes from the
environment and is never written anywhere. `--publish` applies the DfE small-number convention:
counts of 1 to 5 are shown as `c`, and so is every figure from which one could be recovered by
differencing (secondary suppression, reports/suppression.py); no record ids or file:line
locations appear at all.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ..domain.acknowledgements import DIGEST_WITHHELD, EVIDENCE_KEY_ENV, REDACT_KEY_ENV, Acknowledged, without_digest
from ..domain.geography import ENGLAND
from ..domain.intervals import SUPPRESSED, Interval
from ..errors import UsageError
from ..model.anomalies import Anomaly, LaFunnel
from ..model.changes import Changes
from ..model.reconciliation import Comparison, SeriesPoint, Unmatched
from ..model.release import Release

SMALLEST_SHOWN = 6
# A steward's reason is free text: it may name a figure a published output withholds ("one death notified late" beside
# a `c`), so a published output says where to read it instead.
REASON_WITHHELD = "(reason withheld from a published output: see the acknowledgements file)"
# The codes an `invalid.<field>` check met are a field's values, which may be anything typed there (a name).
CODES_WITHHELD = " (the codes seen are withheld from a redacted or published output)"


class Cell(NamedTuple):
    """One figure an output can show: a source's count for a measure, period (ISO) and place.

    `figure` names which: "value" (the harmonised or published count), "headline", a bridge step's id,
    or a linkage count ("only_left", "only_right", "period_shifts", "matched"), whose source is the pair
    `pair_source(left, right)`.
    """

    source: str
    measure: str
    period: str
    geography: str
    figure: str = "value"


def pair_source(left: str, right: str) -> str:
    """The `source` of a linkage count's cell: the two linked sources, `left / right`."""
    return f"{left} / {right}"


def linkage_figure(left: str, right: str, measure: str, period: str, figure: str) -> Cell:
    return Cell(pair_source(left, right), measure, period, ENGLAND, figure)


def is_small(value: float | None) -> bool:
    """A count of 1 to 5 (either sign: a bridge step that adds deaths is negative)."""
    return value is not None and not math.isinf(value) and 0 < abs(value) < SMALLEST_SHOWN


@dataclass(frozen=True)
class Disclosure:
    redact_key: bytes | None = field(default=None, repr=False)  # never printed, never written
    publish: bool = False
    # With --publish: every figure shown as `c`: counts of 1 to 5 themselves, and the figures withheld so that
    # none of them can be recovered by differencing what is shown (secondary suppression, reports/suppression.py).
    withheld: frozenset[Cell] = frozenset()
    evidence_keyed: bool = False  # TRIANGULATE_EVIDENCE_KEY keys the records digests (domain/acknowledgements.py)

    @classmethod
    def from_options(cls, *, redact: bool, publish: bool) -> Disclosure:
        key = None
        if redact:
            text = os.environ.get(REDACT_KEY_ENV, "")
            if len(text) < 16:
                raise UsageError(f"--redact needs a key of at least 16 characters in the {REDACT_KEY_ENV} environment variable")
            key = text.encode("utf-8")
        return cls(key, publish, evidence_keyed=bool(os.environ.get(EVIDENCE_KEY_ENV)))

    @property
    def shows_digests(self) -> bool:
        """A records digest with a public key is a hash of ids that trying candidates reverses: only for the data team."""
        return self.evidence_keyed or (self.redact_key is None and not self.publish)

    @property
    def shows_record_ids(self) -> bool:
        return not self.publish

    @property
    def label(self) -> str:
        parts = ["record ids as keyed hashes" if self.redact_key else "", "small numbers suppressed" if self.publish else ""]
        return "; ".join(p for p in parts if p) or "record ids as recorded (for the data team only)"

    def record_id(self, value: str) -> str:
        if self.redact_key is None:
            return value
        return "h-" + hmac.new(self.redact_key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def hides(self, value: float | None) -> bool:
        return self.publish and value is not None and 0 < value < SMALLEST_SHOWN

    def hides_cell(self, cell: Cell, value: float | None = None) -> bool:
        """Whether this figure is shown as `c`: small itself, or withheld so that no small one can be recovered."""
        return self.hides(value) or (self.publish and cell in self.withheld)

    def hides_value(self, cell: Cell, value: Interval | float | None) -> bool:
        """`hides_cell` for an interval too: withheld when the cell is, or when it is an exact count of 1 to 5.

        An interval that is not exact is a published figure as published (a rounded 10 is `5 to 14`, a `c` at least
        1): public already, so the small-number rule has nothing to protect in it."""
        if not self.publish:
            return False
        if isinstance(value, Interval):
            return cell in self.withheld or (value.is_exact and is_small(value.low))
        return cell in self.withheld or is_small(value)

    def hides_total(self, source: str, deaths: int) -> bool:
        """A record source's total of deaths: withheld when small, or when a measure's counts would give away its rest."""
        return self.hides_cell(total_cell(source), deaths)

    def total(self, source: str, deaths: int) -> str:
        return SUPPRESSED if self.hides_total(source, deaths) else self.count(deaths)

    def failures(self, level: str, failed: int) -> str:
        """A check's failure count: cells of a published table are not people, so never withheld; records are."""
        return f"{failed:,}" if level == "cell" else self.count(failed)

    def count(self, value: float) -> str:
        """A count as shown, with thousands separators: `c` for 1-5 when publishing."""
        if self.hides(value):
            return SUPPRESSED
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.1f}"
        return f"{int(value):,}"

    # --- a comparison's figures and words, as every renderer but the HTML view writes them ---------------------

    def figure(self, cell: Cell, value: Interval | None) -> str:
        """A figure as shown: `48`, `45 to 54`, `at least 10`, `not available`, or `c`."""
        if value is None:
            return "not available"
        if self.hides_value(cell, value):
            return SUPPRESSED
        # Decided shown: its bounds are written as they are (a published rounded 10 is `5 to 14`).
        low, high = value.to_list()
        if high == low:
            return Disclosure().count(low)  # type: ignore[arg-type]
        if high is None:
            return f"at least {Disclosure().count(low)}"  # type: ignore[arg-type]
        return f"{Disclosure().count(low)} to {Disclosure().count(high)}"  # type: ignore[arg-type]

    def sides_hidden(self, c: Comparison) -> bool:
        """Either side of a comparison is withheld: its difference (and per-12-month figures) then reveal it."""
        return self.hides_value(left_cell(c), c.left_value) or self.hides_value(right_cell(c), c.right_value)

    def hides_difference(self, c: Comparison) -> bool:
        """A difference is withheld (publishing) when either side is, or when it is itself 1 to 5 either way."""
        if not self.publish or c.difference is None:
            return False
        return self.sides_hidden(c) or is_small(c.difference.low) or is_small(c.difference.high)

    def difference(self, c: Comparison) -> str:
        """The difference left minus right, `+3`, `-1 to +8`; `c` when it would reveal a withheld or small count."""
        if c.difference is None:
            return ""
        if self.hides_difference(c):
            return SUPPRESSED
        low, high = c.difference.to_list()
        if high == low:
            return f"{low:+,g}"
        return f"{low:+,g} to {high:+,g}" if high is not None else f"{low:+,g} or more"


def total_cell(source: str) -> Cell:
    """A record source's total of deaths, as its check summary shows it (secondary suppression may withhold it)."""
    return Cell(source, "", "", ENGLAND, "total deaths")


def left_cell(c: Comparison) -> Cell:
    return Cell(c.left, c.measure, c.left_period, c.geography)


def right_cell(c: Comparison) -> Cell:
    return Cell(c.right, c.measure, c.right_period, c.geography)


def plural(number: float, one: str, many: str, hidden: bool = False) -> str:
    """The word for a count: always the plural when the count is withheld, so grammar cannot reveal a 1."""
    return many if hidden or number != 1 else one


def disclose(release: Release, disclosure: Disclosure) -> Release:
    """The release as the options allow it to be shown: the one place every output goes through.

    `--redact` turns every record id into its keyed hash; `--publish` withholds record ids and the
    file:line locations of failing records and cells altogether (counts stay, so the report can
    still say how many, through the disclosure).
    """
    if disclosure.redact_key is None and not disclosure.publish:
        return release

    def ids(values: tuple[str, ...]) -> tuple[str, ...]:
        return () if disclosure.publish else tuple(disclosure.record_id(value) for value in values)

    def where(values: tuple[str, ...]) -> tuple[str, ...]:
        return () if disclosure.publish else values

    def digest(value: str) -> str:
        return value if disclosure.shows_digests or not value else DIGEST_WITHHELD

    def standing(found: Acknowledged | None) -> Acknowledged | None:
        if found is None or (disclosure.shows_digests and not disclosure.publish):
            return found
        entry = replace(found.entry, reason=REASON_WITHHELD) if disclosure.publish else found.entry
        if not disclosure.shows_digests:
            return replace(found, evidence=without_digest(found.evidence), entry=replace(entry, evidence=without_digest(entry.evidence)))
        return replace(found, entry=entry)

    sources = tuple(
        replace(
            source,
            outcomes=tuple(replace(o, record_ids=ids(o.record_ids), locations=where(o.locations), records_digest=digest(o.records_digest),
                                   acknowledgement=standing(o.acknowledgement), codes_note="",
                                   message=o.message.removesuffix(o.codes_note) + CODES_WITHHELD if o.codes_note else o.message)
                           for o in source.outcomes),
        )
        for source in release.sources
    )  # fmt: skip
    result = release.reconciliation
    if result is not None:
        result = replace(
            result,
            bridges=tuple(
                replace(b, steps=tuple(replace(s, record_ids=ids(s.record_ids)) for s in b.steps)) for b in result.bridges
            ),
            unmatched=tuple(_unmatched(u, ids, disclosure.publish) for u in result.unmatched),
            missing=tuple(replace(m, record_ids=ids(m.record_ids), withheld_count=m.count if disclosure.publish else None,
                                  records_digest=digest(m.records_digest), acknowledgement=standing(m.acknowledgement))
                          for m in result.missing),
            coherence=tuple(replace(c, location="") for c in result.coherence) if disclosure.publish else result.coherence,
            comparisons=tuple(_learned_withheld(c) for c in result.comparisons) if disclosure.publish else result.comparisons,
            anomalies=tuple(replace(a, acknowledgement=standing(a.acknowledgement)) for a in result.anomalies),
        )
    since = disclose_changes(release.since, disclosure) if release.since is not None else None
    used = release.acknowledgements
    if used is not None and disclosure.publish:
        used = replace(used, stale=tuple(replace(entry, reason=REASON_WITHHELD) for entry in used.stale))
    return replace(release, sources=sources, reconciliation=result, since=since, acknowledgements=used)


def _learned_withheld(c: Comparison) -> Comparison:
    """A learned tolerance below England's level is marked withheld for a published output: when every past difference
    was equal it is that difference, which earlier published outputs showed as `c` (an LA's few deaths). Its figure
    stays in the model for the inference checks (reports/inference.py); renderers say it is withheld
    (wording.allowance, json_report). England's figures are hundreds: its learned tolerance is shown."""
    if c.tolerance.get("origin") != "learned" or c.geography == ENGLAND:
        return c
    return replace(c, tolerance={**c.tolerance, "withheld": True})


def disclose_changes(found: Changes, disclosure: Disclosure) -> Changes:
    """What comes back from the history, disclosed like every other id: hashed under --redact, withheld under
    --publish (whose small counts the renderers withhold, as for every figure)."""
    if disclosure.redact_key is None and not disclosure.publish:
        return found

    def ids(values: tuple[str, ...]) -> tuple[str, ...]:
        return () if disclosure.publish else tuple(disclosure.record_id(value) for value in values)

    found = replace(found, checks=tuple(replace(c, new_record_ids=ids(c.new_record_ids), fixed_record_ids=ids(c.fixed_record_ids))
                                        for c in found.checks))  # fmt: skip
    if disclosure.publish:
        found = replace(found, acknowledged=tuple(replace(a, reason=REASON_WITHHELD) for a in found.acknowledged),
                        no_longer_acknowledged=tuple(replace(a, reason=REASON_WITHHELD) for a in found.no_longer_acknowledged))  # fmt: skip
    return found


def _unmatched(found: Unmatched, ids: Callable[[tuple[str, ...]], tuple[str, ...]], withhold: bool) -> Unmatched:
    shifts = (
        ()
        if withhold
        else tuple(replace(p, left_id=ids((p.left_id,))[0], right_id=ids((p.right_id,))[0]) for p in found.period_shifts)
    )
    return replace(
        found,
        only_left=ids(found.only_left),
        only_right=ids(found.only_right),
        period_shifts=shifts,
        withheld_counts=found.counts if withhold else found.withheld_counts,
    )


def funnel_points_hidden(found: LaFunnel, disclosure: Disclosure) -> list[bool]:
    """Which LAs of a funnel a published output withholds: a small (or withheld) count, or, in a ratio funnel
    (`LEFT / RIGHT`), a small second count."""
    if not disclosure.publish:
        return [False] * len(found.funnel.points)
    pair = found.source.split(" / ")
    out = []
    for point in found.funnel.points:
        at = Cell(pair[0], found.measure, found.period, point.geography)
        hidden = disclosure.hides_value(at, Interval.exact(point.count))
        if len(pair) == 2:
            hidden = hidden or disclosure.hides_value(at._replace(source=pair[1]), Interval.exact(point.denominator))
        out.append(hidden)
    return out


# --- a series' latest point against its band (model/anomalies.py): what every output may say of it -------------------


def anomaly_cell(found: Anomaly) -> Cell:
    return Cell(found.source, found.measure, found.period, found.geography)


def hides_anomaly(found: Anomaly, disclosure: Disclosure) -> bool:
    """Its figure is withheld (`--publish`): then so is which side of its band it falls (above or below a band the
    past's shown figures give would narrow the `c`), in every output: its status, its rule, its evidence, its words."""
    return disclosure.hides_value(anomaly_cell(found), found.value)


def withheld_series(series: Iterable[SeriesPoint], disclosure: Disclosure) -> set[tuple[str, str]]:
    """The (measure, source) pairs any of whose national figures a published output withholds."""
    return {(p.measure, p.source) for p in series
            if p.value is not None and disclosure.hides_value(Cell(p.source, p.measure, p.period, ENGLAND), p.value)}  # fmt: skip


def holds_withheld(found: Anomaly, disclosure: Disclosure) -> bool:
    """The tested figure or any past figure of the series (its own, or an earlier release's from the history) is one
    a published output shows as `c`."""
    if hides_anomaly(found, disclosure):
        return True
    return any(disclosure.hides_value(Cell(found.source, found.measure, p.period, found.geography), p.value) for p in found.past)


def hides_anomaly_band(found: Anomaly, disclosure: Disclosure, hidden_series: set[tuple[str, str]]) -> bool:
    """A band is a prediction from the series' past figures: shown beside England's figure where none of that series
    is withheld; elsewhere (an LA's few deaths) it could bound a withheld figure, so a published output withholds it."""
    if not disclosure.publish:
        return False
    return (found.geography != ENGLAND or (found.measure, found.source) in hidden_series
            or holds_withheld(found, disclosure))  # fmt: skip
