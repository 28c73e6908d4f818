"""What an output may disclose: record ids as they are, as keyed hashes, or not at all.

`--redact` replaces each record id with an HMAC-SHA256 keyed hash; the key comes from the
environment and is never written anywhere. `--publish` applies the DfE small-number convention:
counts of 1 to 5 are shown as `c`, and no record ids appear at all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

from .errors import UsageError

REDACT_KEY_ENV = "TRIANGULATE_REDACT_KEY"
SUPPRESSED = "c"
SMALLEST_SHOWN = 6


@dataclass(frozen=True)
class Disclosure:
    redact_key: bytes | None = field(default=None, repr=False)  # never printed, never written
    publish: bool = False

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

    def count(self, value: float) -> str:
        """A count as shown, with thousands separators: `c` for 1-5 when publishing."""
        if self.hides(value):
            return SUPPRESSED
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.1f}"
        return f"{int(value):,}"
