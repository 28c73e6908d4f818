"""A one-line progress display on stderr, for people watching a terminal, never for CI logs.

It shows only when stderr is a terminal, and only once a run has taken longer than a couple of
seconds, so quick runs and piped or captured output stay clean. A label that goes on with the previous
one's stage and a count in brackets ("checking dfe_cin (40 of 155 files)") updates that step.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import TextIO

from ..errors import UsageError
from ..text import printable

DELAY_SECONDS = 2.0
DELAY_ENV = "TRIANGULATE_PROGRESS_DELAY"  # seconds before the line shows (0: at once)


def delay_seconds() -> float:
    text = os.environ.get(DELAY_ENV, "")
    if not text:
        return DELAY_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise UsageError(f"{DELAY_ENV} must be a number of seconds of at least 0, not {text!r:.40}")
    return value


class Progress:
    def __init__(self, stream: TextIO | None = None, *, delay: float | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.delay = delay_seconds() if delay is None else delay
        self.steps = 0
        self.stage = ""
        self.shown = False

    def __call__(self, label: str) -> None:
        stage = label.split(" (", 1)[0]
        if stage != self.stage or stage == label:
            self.steps += 1
        self.stage = stage
        if not self.enabled or time.monotonic() - self.started < self.delay:
            return
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r\x1b[2Ktriangulate: step {self.steps}: {printable(label)} ({elapsed:.0f} s)")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            try:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
            except OSError:  # a terminal that has hung up: nothing left to tidy
                pass
