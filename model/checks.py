"""Stage 5, checks: what each source check found, and the input files it read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# An input file as read: defined in domain/, as the readers, which hash each file while they parse it, make it.
from ..domain.acknowledgements import Acknowledged
from ..domain.identity import check_key
from ..domain.inputs import InputFile as InputFile
from ..domain.status import Status, blocks_release


@dataclass(frozen=True)
class CheckOutcome:
    check_id: str
    severity: str
    message: str
    failed: int
    record_ids: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    crashed: bool = False
    detail: str = ""
    not_run: str = ""  # why the check could not run (e.g. no reference date); such a check never passes
    level: str = "record"  # what `failed` counts: records of the source, deaths, or published cells
    # The failing records' person keys (domain/identity.py), in the order of record_ids: what the history and
    # acknowledgements remember of them, whatever --redact/--publish say. Never shown one by one.
    people: tuple[str, ...] = ()
    # The digest of the failing records (domain/acknowledgements.py records_digest): set before any disclosure.
    records_digest: str = ""
    acknowledgement: Acknowledged | None = None  # the acknowledgements file's entry for its key, as it stands
    # The end of `message` that names the codes an `invalid.<field>` check met: a field's values, so --redact and
    # --publish withhold it (reports/disclosure.py) as they do record ids.
    codes_note: str = ""

    @property
    def status(self) -> Status:
        if self.crashed:
            return Status.CRASHED
        if self.not_run:
            return Status.NOT_RUN
        return Status.FAILED if self.failed else Status.PASSED

    @property
    def blocks_release(self) -> bool:
        return blocks_release(self.status, self.severity, self.acknowledgement is not None and self.acknowledgement.settles)

    @property
    def evidence(self) -> dict[str, Any]:
        """What an acknowledgement of it records: how many failed and which (a digest), or that it crashed."""
        if self.status == Status.CRASHED:
            return {"crashed": True}
        return {"failed": self.failed, "records": self.records_digest}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.check_id,
            "severity": self.severity,
            "status": self.status,
            "message": self.message,
            "failed": self.failed,
            "record_ids": list(self.record_ids),
            "locations": list(self.locations),
        }
        if self.detail:
            out["detail"] = self.detail
        if self.not_run:
            out["reason"] = self.not_run
        if self.status in (Status.FAILED, Status.CRASHED):
            out["evidence"] = self.evidence
        if self.acknowledgement is not None:
            out["acknowledgement"] = self.acknowledgement.to_dict()
        return out


@dataclass(frozen=True)
class SourceResult:
    name: str
    kind: str
    records: int
    deaths: int
    reference_date: dt.date | None
    files: tuple[InputFile, ...]
    outcomes: tuple[CheckOutcome, ...] = field(default_factory=tuple)
    # Where files carry different reference dates of their own (CIN headers): file name, date used.
    file_reference_dates: tuple[tuple[str, dt.date], ...] = ()
    # A published table: its checks are about the very figures compared, so even `reconcile` gates on them.
    published: bool = False
    # The spans of dates the source can have deaths for (domain/periods.py `Span`): declared `coverage:`, or a
    # CIN census's collection years; empty when not known (then every period is counted, a year without deaths 0).
    coverage: tuple[tuple[dt.date, dt.date], ...] = ()
    # The LAs (ONS codes) a record-level source is the return of: a declared `la_code:`, or its files' own (a CIN
    # header's LEA); counted, compared and linked for those LAs only. Empty: England's (or not known).
    las: tuple[str, ...] = ()
    source_id: str = ""  # its `id:` in the run config; empty: its name (see `id`)

    @property
    def id(self) -> str:
        """What everything remembered keys this source on: its `id:`, else its name in the run config."""
        return self.source_id or self.name

    def key(self, outcome: CheckOutcome) -> str:
        return check_key(self.id, outcome.check_id)

    @property
    def failing(self) -> tuple[CheckOutcome, ...]:
        """Every check that did not pass: failed, crashed or not run."""
        return tuple(o for o in self.outcomes if o.status != Status.PASSED)

    def base(self, outcome: CheckOutcome) -> int:
        """What a check's failures are a share of: the source's deaths for a death-level check, else its records."""
        return self.deaths if outcome.level == "death" else self.records

    @property
    def blocks_release(self) -> bool:
        return any(o.blocks_release for o in self.outcomes)

    def outcome(self, check_id: str) -> CheckOutcome | None:
        return next((o for o in self.outcomes if o.check_id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.kind,
            "name": self.name,
            "id": self.id,
            "records": self.records,
            "deaths": self.deaths,
            "reference_date": self.reference_date.isoformat() if self.reference_date else None,
            **({"reference_dates": {name: day.isoformat() for name, day in self.file_reference_dates}}
               if self.file_reference_dates else {}),
            **({"coverage": [[start.isoformat(), end.isoformat()] for start, end in self.coverage]} if self.coverage else {}),
            **({"las": list(self.las)} if self.las else {}),
            "passed": not self.blocks_release,
            "files": [f.to_dict() for f in self.files],
            "checks": [{"key": self.key(o), **o.to_dict()} for o in self.outcomes],
        }
