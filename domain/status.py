"""The statuses of every finding, and the one rule that says which of them block a release.

One enum for checks and comparisons (a StrEnum, so JSON, the history and templates carry its plain value), and
one function, `blocks_release`, that the gate, the exit code, every output and the history's "nothing worse
since the last release" call.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    # a check on a source
    PASSED = "passed"
    FAILED = "failed"
    CRASHED = "crashed"  # raised: proves nothing, so it can never count as passed
    NOT_RUN = "not_run"  # could not run (no reference date, say): never passed, and said so
    # a comparison of two sources' counts
    AGREE = "agree"
    WITHIN_TOLERANCE = "within_tolerance"
    DISCREPANCY = "discrepancy"
    NOT_COMPARABLE = "not_comparable"
    # a comparison the measures ask for that compared nothing (the sources share no period or place)
    EMPTY = "empty"


CHECK_STATUSES = (Status.PASSED, Status.FAILED, Status.CRASHED, Status.NOT_RUN)
COMPARISON_STATUSES = (Status.AGREE, Status.WITHIN_TOLERANCE, Status.DISCREPANCY, Status.NOT_COMPARABLE)
SEVERITIES = ("error", "warning", "note")  # error blocks; warning and note inform


FAILURES = (Status.FAILED, Status.CRASHED, Status.DISCREPANCY, Status.EMPTY)  # a finding that did not pass


def blocks_release(status: str, severity: str = "error", acknowledged: bool = False) -> bool:
    """THE blocking rule: a crash always blocks; a failure, a discrepancy or an empty comparison blocks at severity
    error (a comparison's is error, an `allow_empty` one's warning) unless `acknowledged` (an entry of the
    acknowledgements file with the same evidence, not expired: domain/acknowledgements.py); nothing else blocks."""
    if status == Status.CRASHED:
        return True
    return status in (Status.FAILED, Status.DISCREPANCY, Status.EMPTY) and severity == "error" and not acknowledged
