"""What an output may disclose: record ids as they are, as keyed hashes, or not at all.

`disclose` applies it to the whole release once, before any output is rendered.

`--redact` replaces each record id with an HMAC-SHA256 keyed hash; the key comes from the
environment and is never written anywhere. `--publish` applies the DfE small-number convention:
counts of 1 to 5 are shown as `c`, and no record ids appear at all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ..domain.intervals import SUPPRESSED
from ..errors import UsageError
from ..model.reconciliation import Unmatched
from ..model.release import Release

REDACT_KEY_ENV = "TRIANGULATE_REDACT_KEY"
SMALLEST_SHOWN = 6


class Cell(NamedTuple):
    """One figure an output can show: a source's count for a measure, period (ISO) and place.

    `figure` names which: "value" (the harmonised or published count), "headline", a bridge step's id,
    or a linkage count ("only_left", "only_right", "period_shifts", "matched").
    """

    source: str
    measure: str
    period: str
    geography: str
    figure: str = "value"


@dataclass(frozen=True)
class Disclosure:
    redact_key: bytes | None = field(default=None, repr=False)  # never printed, never written
    publish: bool = False
    # With --publish: figures withheld although not 1 to 5 themselves (secondary suppression), so that no
    # suppressed figure can be recovered by differencing what is shown (reports/suppression.py decides them).
    withheld: frozenset[Cell] = frozenset()

    @classmethod
    def from_options(cls, *, redact: bool, publish: bool) -> Disclosure:
        key = None
        if redact:
            text = os.environ.get(REDACT_KEY_ENV, "")
            if len(text) < 16:
                raise UsageError(f"--redact needs a key of at least 16 characters in the {REDACT_KEY_ENV} environment variable")
            key = text.encode("utf-8")
        return cls(key, publish)

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

    def count(self, value: float) -> str:
        """A count as shown, with thousands separators: `c` for 1-5 when publishing."""
        if self.hides(value):
            return SUPPRESSED
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.1f}"
        return f"{int(value):,}"


def disclose(release: Release, disclosure: Disclosure) -> Release:
    """The release as the options allow it to be shown: the one place every output goes through.

    `--redact` turns every record id into its keyed hash; `--publish` withholds record ids
    altogether (counts stay, so the report can still say how many). Locations (file:line) name no child.
    """
    if disclosure.redact_key is None and not disclosure.publish:
        return release

    def ids(values: tuple[str, ...]) -> tuple[str, ...]:
        return () if disclosure.publish else tuple(disclosure.record_id(value) for value in values)

    sources = tuple(
        replace(source, outcomes=tuple(replace(o, record_ids=ids(o.record_ids)) for o in source.outcomes))
        for source in release.sources
    )
    result = release.reconciliation
    if result is not None:
        result = replace(
            result,
            bridges=tuple(
                replace(b, steps=tuple(replace(s, record_ids=ids(s.record_ids)) for s in b.steps)) for b in result.bridges
            ),
            unmatched=tuple(_unmatched(u, ids, disclosure.publish) for u in result.unmatched),
        )
    return replace(release, sources=sources, reconciliation=result)


def _unmatched(found: Unmatched, ids: Callable[[tuple[str, ...]], tuple[str, ...]], withhold: bool) -> Unmatched:
    shifts = () if withhold else tuple(replace(p, left_id=ids((p.left_id,))[0], right_id=ids((p.right_id,))[0]) for p in found.period_shifts)
    return replace(
        found,
        only_left=ids(found.only_left),
        only_right=ids(found.only_right),
        period_shifts=shifts,
        withheld_counts=found.counts if withhold else found.withheld_counts,
    )
