"""`triangulate acknowledge`: sign off known findings of a run, with a reason, an owner and an expiry, in an
acknowledgements file that the next run reads (config `acknowledgements:` or `--acknowledgements`)."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from dataclasses import replace
from pathlib import Path

import click

from .errors import UsageError
from .text import UNDECODED_BYTES, printable

MAX_TEXT = 2_000  # characters of a reason or an owner (config/acknowledgements.py holds the file to the same)
SHORTEST_ID_LOOKED_FOR = 4  # a reason may say "2 deaths"; an id as short as that cannot be told from a count


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    from .domain.dates import iso_day

    day = iso_day(value)
    if day is None:
        raise UsageError(f"--expires {value!r} is not a date (YYYY-MM-DD)")
    return day


@click.command()
@click.argument("results_path", metavar="RESULTS.json", type=click.Path(path_type=Path))
@click.option("--reason", required=True, help="Why the finding is known and may pass (shown in every output).")
@click.option("--owner", required=True, help="Who answers for it: a team or a person's role.")
@click.option("--expires", callback=_date, metavar="YYYY-MM-DD", help="The last day it may pass (then `expired`: it blocks).")
@click.option("--only", "only", multiple=True, metavar="KEY", help="Acknowledge only this finding (repeat for more) [default: every finding that blocks].")
@click.option("--file", "file_path", required=True, type=click.Path(path_type=Path), help="The acknowledgements file to write or merge into.")
def acknowledge(results_path: Path, reason: str, owner: str, expires: dt.date | None, only: tuple[str, ...], file_path: Path) -> None:
    """Write an entry for every finding that blocks the release in RESULTS.json (or only the keys given) into FILE,
    with the evidence seen: the next run lets each pass while its evidence is the same and it has not expired."""
    from .config.acknowledgements import acknowledgements_text, load_acknowledgements, merged
    from .pipeline.atomic import write_all_atomic
    from .readers.files import existing_file
    from .readers.results import read_results

    reason, owner = reason.strip(), owner.strip()
    if not reason or not owner:
        raise UsageError("--reason and --owner must say something: an acknowledgement is reviewed by a person")
    if max(len(reason), len(owner)) > MAX_TEXT:
        raise UsageError(f"--reason and --owner are at most {MAX_TEXT:,} characters: a reason is read in every output")
    today = dt.datetime.now(dt.UTC).date()  # the day a run judges expiries by (its start, UTC)
    if expires is not None and expires < today:
        raise UsageError(f"--expires {expires.isoformat()} is before today ({today.isoformat()}): the entry would never let anything pass")
    results = read_results(existing_file(results_path))
    existing = load_acknowledgements(file_path) if file_path.exists() else ()  # a bad file is refused before anything
    if file_path.exists() and not os.access(file_path, os.W_OK):
        raise UsageError(f"--file {file_path}: the file cannot be written (read-only)")
    entries, skipped = _entries(results, only, reason, owner, today, expires)
    if expires is None:  # acknowledged again without --expires: an entry's expiry is kept, never dropped
        kept = {e.key: e.expires for e in existing if e.expires is not None}
        entries = [replace(e, expires=kept.get(e.key)) for e in entries]
    shown_file, shown_results = (printable(str(p), keep=UNDECODED_BYTES) for p in (file_path, results_path))
    for line in skipped:
        click.echo(f"not acknowledged: {printable(line)}")
    if not entries:
        click.echo(f"nothing to acknowledge: {shown_results} has no finding that blocks the release"
                   + ("" if not skipped else " and can be acknowledged") + f"; {shown_file} unchanged")  # fmt: skip
        return
    written, added, updated = merged(existing, entries)
    mode = stat.S_IMODE(file_path.stat().st_mode) if file_path.exists() else 0o666 & ~_umask()
    write_all_atomic({file_path: acknowledgements_text(written)})
    os.chmod(file_path, mode)  # a file to commit and share: its mode as it was (the writer makes files 0600)
    click.echo(f"acknowledged {len(entries):,} {'finding' if len(entries) == 1 else 'findings'} in {shown_file} "
               f"({added:,} new, {updated:,} updated); review the file in a pull request before committing it")  # fmt: skip


def _entries(results, only: tuple[str, ...], reason: str, owner: str, today: dt.date, expires: dt.date | None):  # type: ignore[no-untyped-def]  # fmt: skip
    """An entry for each chosen finding (`--only`, else every one that blocks), and the findings passed over, in words.
    Refused (exit 2): a key no failing finding has, a crash, results that withhold the evidence (--publish; digests
    under --redact without TRIANGULATE_EVIDENCE_KEY), and evidence or a key the acknowledgements file could not hold."""
    from .config.acknowledgements import evidence_problem, key_problem
    from .domain.acknowledgements import DIGEST_WITHHELD, EVIDENCE_KEY_ENV, Acknowledgement
    from .domain.status import FAILURES, Status

    chosen = list(dict.fromkeys(only)) if only else list(results.blocking)
    entries, skipped = [], []
    for key in chosen:
        finding = results.findings.get(key)
        if finding is None or finding.status not in FAILURES:
            if only:
                raise UsageError(f"--only {key!r}: {results.path} has no failing finding with that key")
            skipped.append(f"{key} (not a failing finding of the results)")
            continue
        if finding.status == Status.CRASHED:
            if only:
                raise UsageError(f"--only {key!r}: the check crashed; a crash is a fault to mend, never acknowledged")
            skipped.append(f"{key} (crashed: a fault to mend, not a finding)")
            continue
        if finding.evidence is None:
            raise UsageError(f"{results.path} holds no evidence for {key} (a --publish run withholds it): acknowledge the "
                             "results of a run without --publish")  # fmt: skip
        if finding.evidence.get("records") == DIGEST_WITHHELD:
            raise UsageError(f"{results.path} withholds the records digest of {key} (a --redact run without "
                             f"{EVIDENCE_KEY_ENV}): set {EVIDENCE_KEY_ENV} for the runs, or acknowledge a plain run's results")  # fmt: skip
        problem = key_problem(key) or evidence_problem(finding.evidence)
        if problem:
            raise UsageError(f"{results.path}: {key!r:.80}: {problem}; not a results.json written by triangulate?")
        for text in (reason, owner):
            _refuse_ids_in(text, finding.record_ids, key)
        entries.append(Acknowledgement(key, dict(finding.evidence), reason, owner, today, expires))
    return entries, skipped


def _refuse_ids_in(reason: str, record_ids: tuple[str, ...], key: str) -> None:
    """A reason is shown in every output; a record id in it would be shown where the run withholds it."""
    for record_id in record_ids:
        if len(record_id) >= SHORTEST_ID_LOOKED_FOR and re.search(rf"(?<!\w){re.escape(record_id)}(?!\w)", reason):
            raise UsageError(f"--reason or --owner names record id {record_id!r} of {key}; they are shown in every output "
                             "(a --redact one too): describe the finding, do not identify the child")  # fmt: skip


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
