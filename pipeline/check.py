"""Check one source: read -> raw frames (Pandera) -> canonical deaths (GX) -> SourceResult.

One loop over the source kind's registry entry; nothing here knows any particular source. A source whose
files are independent (`SourceKind.files_independent`) is checked file by file: each file is a `Piece` (its
findings, its few death records, its counts) and its raw frames are dropped, so memory grows with the deaths,
not the records. The pieces merge in input order into exactly what one check of every file would give;
pipeline/parallel.py checks the pieces on several cores.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from ..canonical.records import locations
from ..canonical.registry import Frames, RawTable, SourceKind, SourceOptions, source_kind
from ..domain.catalogue import CATALOGUE, severity_for, spec_for
from ..errors import InputError, crash_detail
from ..expectations import SuiteFindings, load_suite_definition, run_suite
from ..model.checks import CheckOutcome, InputFile, SourceResult
from ..readers.files import existing_file, files_as_read, inputs_recorded
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, PATH_COLUMN, SchemaFindings, run_schema
from .scope import differing, file_reference_dates, pending_las, reference_date_of, source_coverage, written_dates

T = TypeVar("T")
DEATH_SUITE = "death_records"
_CODES_SHOWN = 10
# Files of a source whose files are independent are read and checked in runs of about this many bytes: big
# enough to share each run's fixed costs (every distinct date is parsed once a run), small enough to bound memory.
CHUNK_BYTES = 64 * 2**20
_NOT_RUN = {
    "reference_date": "no reference date: give --reference-date, or reference_date in the run config "
    "(a CIN file takes it from its header)",
}


@dataclass(frozen=True)
class CheckedSource:
    result: SourceResult
    deaths: pd.DataFrame  # canonical death records


def read_with_files(read: Callable[[], T], paths: Sequence[Path]) -> tuple[T, tuple[InputFile, ...]]:
    """What `read()` returns, and the InputFile of each of `paths` as it read them: the size and SHA-256 of the very
    bytes it parsed, never of the file as it is later (a file appended to meanwhile is not certified by bytes that
    were not checked). Every stage that reads inputs reads them through this: sources, published tables,
    denominators and the two vintages of `revisions`."""
    with inputs_recorded() as recorded:
        value = read()
    return value, files_as_read(paths, recorded)


@dataclass
class Failures:
    """Failing records per check id, in first-seen order, without repeats.

    Kept as (location, record id) and counted by record, not by location: records that share a location (an XML
    file written on one line, before its reader gave element paths) each count, and a record counts once however
    many of its rows, or rules under one id, find it."""

    by_check: dict[str, dict[tuple[str, str], None]] = field(default_factory=dict)
    crashed: dict[str, str] = field(default_factory=dict)
    checks_run: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # from the rule that registered the id
    not_run: dict[str, str] = field(default_factory=dict)  # check id -> why it could not run
    death_level: set[str] = field(default_factory=set)  # checks that count deaths rather than records
    seen_codes: dict[str, set[str]] = field(default_factory=dict)  # invalid.<field> -> the codes not on its list

    def ran(self, check_id: str) -> None:
        if check_id not in self.checks_run:
            self.checks_run.append(check_id)

    def add(self, check_id: str, record_ids: pd.Series, where: pd.Series) -> None:
        self.ran(check_id)
        bucket = self.by_check.setdefault(check_id, {})
        for record_id, location in zip(record_ids.astype(str), where.astype(str), strict=True):
            bucket.setdefault((location, record_id))

    def add_schema(self, findings: SchemaFindings, table: RawTable, frame: pd.DataFrame) -> None:
        for check_id in table.spec.check_ids:
            self.ran(check_id)
        for rule in table.spec.registry.rules:
            self.messages.setdefault(rule.check_id, rule.message)
        for check_id, rows in findings.failing_rows.items():
            failing = frame.loc[rows]
            where = locations(failing[FILE_COLUMN], failing[LINE_COLUMN], failing.get(PATH_COLUMN))
            ids = failing[table.id_column]
            self.add(check_id, ids.astype(object).where(ids.notna(), where), where)
            field_name = check_id.partition(".")[2]
            if check_id.startswith("invalid.") and field_name in failing:
                self.seen_codes.setdefault(check_id, set()).update(failing[field_name].dropna().astype(str).str.strip())
        for check_id, detail in findings.crashed.items():
            self.ran(check_id)
            self.crashed[check_id] = detail
        # A field's code list checked on an all-blank stand-in column proves nothing: it did not run. A rule of the
        # table's own is left to say what it found (CSPRP's missing.date_of_birth also reads age_years).
        own = {rule.check_id for rule in table.spec.registry.rules}
        for spec in table.spec.fields:
            check_id = f"invalid.{spec.name}"
            if spec.codes and spec.name in findings.absent and check_id not in own:
                self.not_run[check_id] = f"the {table.name} table has no {spec.name} column (or it could not be read)"
                self.by_check.pop(check_id, None)

    def merge(self, other: Failures) -> None:
        """Another file's failures after these, as if both files had been checked together: a check that ran on
        either file ran; one neither could run did not."""
        for check_id in other.checks_run:
            if check_id not in other.not_run:
                self.not_run.pop(check_id, None)
            elif check_id not in self.checks_run:
                self.not_run[check_id] = other.not_run[check_id]
            self.ran(check_id)
        for check_id, bucket in other.by_check.items():
            mine = self.by_check.setdefault(check_id, {})
            for record in bucket:
                mine.setdefault(record)
        for check_id, detail in other.crashed.items():
            self.crashed.setdefault(check_id, detail)
        for check_id, message in other.messages.items():
            self.messages.setdefault(check_id, message)
        for check_id, codes in other.seen_codes.items():
            self.seen_codes.setdefault(check_id, set()).update(codes)


@dataclass
class Piece:
    """A run of files of a source whose files are independent (or a whole source), checked up to the GX suite:
    all the check stage keeps of it once its raw frames are dropped."""

    failures: Failures
    deaths: pd.DataFrame
    records: int
    written_dates: dict[str, str]  # file -> its reference date as written (CIN headers)
    file_las: dict[str, tuple[str, ...]]  # file -> the LAs it is a return of (SourceKind.file_las), () not said
    rows: dict[str, int]  # raw table -> rows
    groups: frozenset[Hashable]  # pieces that share a group are rechecked together (SourceKind.file_groups)
    files: tuple[InputFile, ...]


def check_source(options: SourceOptions) -> CheckedSource:
    """One source in this process, piece by piece where its files are independent; GX in this process too (the CLI
    uses pipeline/parallel.py and the GX worker instead)."""
    kind = source_kind(options.kind)
    for path in options.paths:
        existing_file(path)
    pieces = [check_piece(part) for part in source_parts(kind, options)]
    deaths, failures = merge_pieces(kind, options, pieces)
    return finish_source(options, kind, pieces, deaths, failures, run_suite(deaths, DEATH_SUITE))


def source_parts(kind: SourceKind, options: SourceOptions, workers: int = 1) -> list[SourceOptions]:
    """What is checked as one piece: the whole source, unless its files are independent; then runs of files of up
    to CHUNK_BYTES, in order (and at least four pieces a worker with several, so the workers finish together)."""
    if not kind.files_independent or len(options.paths) < 2:
        return [options]
    sizes = [_size(path) for path in options.paths]
    target = CHUNK_BYTES if workers == 1 else max(1, min(CHUNK_BYTES, sum(sizes) // (4 * workers)))
    parts: list[list[Path]] = [[]]
    filled = 0
    for path, size in zip(options.paths, sizes, strict=True):
        if parts[-1] and filled + size > target:
            parts.append([])
            filled = 0
        parts[-1].append(path)
        filled += size
    return [replace(options, paths=tuple(part)) for part in parts]


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:  # a missing file is reported, in order, by whoever reads it
        return 0


def input_bytes(options: SourceOptions) -> int:
    return sum(_size(path) for path in options.paths)


def check_piece(options: SourceOptions) -> Piece:
    """Read and check one piece: raw frames, their Pandera findings, canonical deaths; the raw frames are dropped."""
    kind = source_kind(options.kind)
    raw, files = read_with_files(lambda: kind.read(options), options.paths)
    frames = _recoded(raw, options.values)
    (failures,) = _check_frames(kind, frames, None, 1)
    reference = pd.Timestamp(options.reference_date) if options.reference_date else None
    return Piece(
        failures=failures,
        deaths=kind.to_deaths(frames, options.la_code, reference),
        records=kind.count_records(frames),
        written_dates=dict(kind.file_reference_dates(frames)) if kind.file_reference_dates else {},
        file_las=dict(kind.file_las(frames)) if kind.file_las else {},
        rows={name: len(frame) for name, frame in frames.items()},
        groups=kind.file_groups(frames) if kind.file_groups else frozenset(),
        files=files,  # travels with the piece from a worker process: what was read there is what is certified
    )


def _check_frames(kind: SourceKind, frames: Frames, parts: Mapping[str, np.ndarray] | None, count: int) -> list[Failures]:
    """Every raw-table and joint rule on the frames; the findings of each row go to its part (`parts`: the part of
    each row of each table, when the frames hold several files that are rechecked together)."""
    out = [Failures() for _ in range(count)]

    def split(table: str, rows: pd.Index) -> list[pd.Index]:
        if parts is None:
            return [rows]
        owners = parts[table][frames[table].index.get_indexer(rows)]
        return [rows[owners == part] for part in range(count)]

    for table in kind.tables:
        frame = frames[table.name]
        findings = run_schema(frame, table.spec)
        failing = {check_id: split(table.name, rows) for check_id, rows in findings.failing_rows.items()}
        for part, failures in enumerate(out):
            mine = SchemaFindings({check_id: rows[part] for check_id, rows in failing.items()}, findings.crashed, findings.absent)
            failures.add_schema(mine, table, frame)
    ids = {table.name: table.id_column for table in kind.tables}
    for rule in kind.joint_rules:
        try:
            passes = rule.passes(frames).fillna(False).astype(bool)
        except Exception as error:  # noqa: BLE001 - a rule that crashes is reported as crashed, never as passed
            for failures in out:
                failures.messages.setdefault(rule.check_id, rule.message)
                failures.ran(rule.check_id)
                failures.crashed[rule.check_id] = crash_detail(type(error).__name__)
            continue
        table = frames[rule.table]
        for part, rows in enumerate(split(rule.table, table.loc[~passes].index)):
            failures = out[part]
            failures.messages.setdefault(rule.check_id, rule.message)
            failures.ran(rule.check_id)
            failing = table.loc[rows]
            if len(failing):
                where = locations(failing[FILE_COLUMN], failing[LINE_COLUMN], failing.get(PATH_COLUMN))
                record = failing[ids[rule.table]]
                failures.add(rule.check_id, record.astype(object).where(record.notna(), where), where)
    return out


def merge_pieces(kind: SourceKind, options: SourceOptions, pieces: list[Piece]) -> tuple[pd.DataFrame, Failures]:
    """The pieces in input order, as one source: their deaths end to end and their failures merged. Files of a
    group (two files of one LA's census, say) are first rechecked together, so a rule across them still holds."""
    for members in _sharing(pieces):
        _recheck(kind, options, [pieces[m] for m in members])
    failures = Failures()
    for piece in pieces:
        failures.merge(piece.failures)
    for check_id in failures.crashed:  # as in one run over every file: a rule that raised names no rows
        failures.by_check.pop(check_id, None)
    frames = [piece.deaths for piece in pieces]
    deaths = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return deaths, failures


def _sharing(pieces: list[Piece]) -> list[list[int]]:
    """Pieces that share a group, directly or through others: each such set, in input order, if it has two or more."""
    owner: dict[Hashable, int] = {}
    parent = list(range(len(pieces)))

    def root(position: int) -> int:
        while parent[position] != position:
            parent[position] = parent[parent[position]]
            position = parent[position]
        return position

    for position, piece in enumerate(pieces):
        for group in piece.groups:
            if group in owner:
                parent[root(position)] = root(owner[group])
            else:
                owner[group] = position
    sets: dict[int, list[int]] = {}
    for position in range(len(pieces)):
        sets.setdefault(root(position), []).append(position)
    return [members for members in sets.values() if len(members) > 1]


def _recheck(kind: SourceKind, options: SourceOptions, members: list[Piece]) -> None:
    """Read pieces that share a group together and check them again; each piece's failures become its part of it."""
    paths = tuple(Path(f.path) for member in members for f in member.files)
    raw, files = read_with_files(lambda: kind.read(replace(options, paths=paths)), paths)
    earlier = tuple(f for member in members for f in member.files)
    for before, now in zip(earlier, files, strict=True):
        if before != now:  # checked apart from one content and together from another: neither result would hold
            raise InputError("the file changed while it was being checked; run again once nothing is writing it",
                             path=before.path)  # fmt: skip
    frames = _recoded(raw, options.values)
    parts = {name: np.repeat(np.arange(len(members)), [m.rows.get(name, 0) for m in members]) for name in frames}
    for member, failures in zip(members, _check_frames(kind, frames, parts, len(members)), strict=True):
        member.failures = failures


def finish_source(
    options: SourceOptions,
    kind: SourceKind,
    pieces: list[Piece],
    deaths: pd.DataFrame,
    failures: Failures,
    suite: SuiteFindings,
) -> CheckedSource:
    """The GX suite's findings on the source's deaths added to its raw tables' findings: the SourceResult."""
    for expectation in load_suite_definition(DEATH_SUITE)["expectations"]:
        meta = expectation["meta"]
        if meta["check_id"] not in failures.checks_run:  # an id a raw-table rule also raises counts records
            failures.death_level.add(meta["check_id"])
        failures.ran(meta["check_id"])
        required = meta.get("requires")
        if required and len(deaths) and deaths[required].isna().all():
            failures.not_run[meta["check_id"]] = _NOT_RUN.get(required, f"no death record has a {required}")
    for check_id, rows in suite.failing_rows.items():
        failing = deaths.iloc[sorted(set(rows))]
        failures.add(check_id, failing["record_id"], failing["location"])
    failures.crashed.update(suite.crashed)

    per_file = file_reference_dates(written_dates(pieces))
    result = SourceResult(
        name=options.name,
        kind=options.kind,
        source_id=options.source_id,
        records=sum(piece.records for piece in pieces),
        deaths=len(deaths),
        reference_date=reference_date_of(options, per_file),
        file_reference_dates=differing(per_file),
        files=tuple(f for piece in pieces for f in piece.files),
        outcomes=tuple(_outcome(check_id, failures, options) for check_id in failures.checks_run),
        coverage=source_coverage(options, per_file),
        las=pending_las(options, pieces),
    )
    return CheckedSource(result=result, deaths=deaths)


def _recoded(frames: Frames, values: Mapping[str, Mapping[str, str]]) -> Frames:
    """A real export's codes turned into the tool's (`values:` in the run config); unmapped codes stay as they are,
    so the schema still reports them as `invalid.<field>`."""
    if not values:
        return frames
    out = {}
    for name, frame in frames.items():
        recoded = frame.copy() if any(column in frame for column in values) else frame
        for column, codes in values.items():
            if column in recoded:
                text = recoded[column].astype("string").str.strip()
                recoded[column] = text.map(codes).fillna(text).astype(object).where(text.notna(), None)
        out[name] = recoded
    return out


def _outcome(check_id: str, failures: Failures, options: SourceOptions) -> CheckOutcome:
    bucket = failures.by_check.get(check_id, {})
    record_ids = tuple(dict.fromkeys(record_id for _, record_id in bucket))
    codes = _codes_seen(failures.seen_codes.get(check_id))
    return CheckOutcome(
        check_id=check_id,
        severity=severity_for(check_id, options.kind, options.severity),
        message=_message(check_id, failures) + codes,
        codes_note=codes,
        failed=len(record_ids),  # failing records, each once by its id (a record without one is named by its location)
        record_ids=record_ids,
        locations=tuple(dict.fromkeys(location for location, _ in bucket)),
        crashed=check_id in failures.crashed,
        detail=failures.crashed.get(check_id, ""),
        not_run=failures.not_run.get(check_id, ""),
        level="death" if check_id in failures.death_level else "record",
    )


def _codes_seen(codes: set[str] | None) -> str:
    """The codes an `invalid.<field>` check met: what a `values:` recoding in the run config needs to map."""
    if not codes:
        return ""
    shown = sorted(codes)[:_CODES_SHOWN]
    return f" (codes seen: {', '.join(repr(c[:40]) for c in shown)}{' ...' if len(codes) > _CODES_SHOWN else ''})"


def _message(check_id: str, failures: Failures) -> str:
    """The catalogue's wording, else the registering rule's; a rule with an id the catalogue lacks still reports."""
    if check_id in CATALOGUE:
        return CATALOGUE[check_id].message
    if check_id in failures.messages:
        return failures.messages[check_id]
    try:
        return spec_for(check_id).message
    except KeyError:
        return check_id
