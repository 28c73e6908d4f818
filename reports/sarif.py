"""SARIF 2.1.0 (the OASIS standard) for code scanning: one result per failing finding of the release's gate.

What is a result: every failing finding of `Release.findings` (model/findings.py) that this command gates on: a
failed or crashed check of `release.gating_sources` (every source for `check` and `run`; for `reconcile` its published
tables only, as its JUnit and its exit code: a record source's checks are not a finding of `reconcile`), a
discrepancy, deaths with no record at all in a source (`missing`, kind absent), a comparison that compared nothing,
and a series whose latest point is outside the band its own past predicts (level `warning`, or `error` with the
measure's `anomaly: {gate: true}`). A check that could not run, a comparison that agrees and deaths sorted elsewhere
are not failures and are not results. An acknowledged finding stays a result, with an accepted external suppression;
a changed or expired acknowledgement has none (the finding blocks) and its message says why.

Its `ruleId`, stable across runs: a check's id (`missing.sex`: one rule whichever source runs it); for the
reconciliation, the kind of finding and its measure, the first two parts of the finding's key
(`comparison/lac_deaths`, `missing/lac_deaths`, `empty/lac_deaths`); for an unusual point, its side of its band,
`anomaly.above` or `anomaly.below` (`anomaly.unusual` where `--publish` withholds its figure). `partialFingerprints`
carries the finding's key (`triangulateKey/v1`), so a code-scanning alert follows the finding whatever its message
says.

Where: a check at each failing record's `file:line` (the file's path as a relative URI where it can be one; an XML
element path or a sheet as a logical location beside it) with the record's id as a logical location where each
location is one record's; a record without a location by its id alone. A comparison, missing deaths, an empty
comparison and an unusual point at the run config (no config, as `check` may have: the source files). With
`--publish` no record is located at all: a check is located at its source's files. A file as a whole is its line 1
(code scanning needs a line). At most MAX_LOCATIONS locations a result; its message says how many more there are.

The release arrives disclosed (reports/disclosure.py): record ids hashed under `--redact`, gone under `--publish`;
figures and counts go through the one Disclosure, and `--publish` shows no evidence figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from ..domain.acknowledgements import Acknowledged, AckStatus
from ..domain.catalogue import spec_for, why_it_matters
from ..domain.geography import la_label
from ..domain.inputs import InputFile, printable
from ..domain.status import Status
from ..model.checks import CheckOutcome, SourceResult
from ..model.findings import Finding
from ..model.missing import EmptyComparison, MissingDeaths
from ..model.reconciliation import Comparison
from ..model.release import Release
from .acknowledgements_view import evidence_words
from .console import anomaly_text, expectation, outcome
from .disclosure import Disclosure, hides_anomaly, plural, withheld_series
from .gaps import gap_sentence

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "triangulateKey/v1"
MAX_LOCATIONS = 1_000  # a result with tens of thousands of locations is more than SARIF consumers will load
LEVELS = {"error": "error", "warning": "warning", "note": "note"}
UNITS = {"death": ("death", "deaths"), "cell": ("cell", "cells")}
# After a file's name in a location: its sheet, its line, an XML element path (canonical/records.py `locations`).
_REST = re.compile(r"(?:!(?P<sheet>[^:]*))?:(?P<line>[1-9][0-9]*)(?: (?P<path>.+))?", re.DOTALL)
_WHERE = re.compile(r"(?P<name>.+?)(?:!(?P<sheet>[^:]*))?:(?P<line>[1-9][0-9]*)(?: (?P<path>.+))?", re.DOTALL)
RULE_WORDS = {  # a reconciliation's rule, after its measure's title
    "comparison": "two sources' counts differ beyond what the measure allows",
    "missing": "deaths one source has and another source has no record of",
    "empty": "two sources the measure compares share no period or place",
}
ANOMALY_WITHHELD = "anomaly.unusual"  # the rule of an unusual point whose figure a published output withholds
ANOMALY_WORDS = {
    "anomaly.above": "a series' latest figure is above the band its own past predicts",
    "anomaly.below": "a series' latest figure is below the band its own past predicts",
    ANOMALY_WITHHELD: "a series' latest figure is outside the band its own past predicts (which side is withheld)",
}
ANOMALY_WHY = ("Unusual, not wrong: a real change in practice looks the same. A warning, unless the measure's "
               "`anomaly: {gate: true}` makes it block the release.")  # fmt: skip
AS_RECORDED = Disclosure()


def render_sarif(release: Release, disclosure: Disclosure = AS_RECORDED) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = [_result(f, release, disclosure, rules) for f in _findings(release)]
    driver: dict[str, Any] = {"name": "triangulate", "rules": list(rules.values())}
    version = dict(release.provenance.versions).get("triangulate")
    if version:
        driver["version"] = version
    run = {
        "tool": {"driver": driver},
        "invocations": [{  # the tool ran to the end; whether the release passes is the gate's, in `properties`
            "executionSuccessful": True,
            "startTimeUtc": release.provenance.run_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        }],
        "results": results,
        "properties": {"passed": release.passed, "gate": release.gate},
    }  # fmt: skip
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(_printable(log), indent=2) + "\n"


def _findings(release: Release) -> list[Finding]:
    return [f for f in release.findings if f.failing and f.gated]


def _result(finding: Finding, release: Release, disclosure: Disclosure, rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rule_id = _rule(finding, release, rules, disclosure)
    if finding.kind == "check":
        source = next(s for s in release.sources if s.name == finding.source)
        text = _check_text(source, finding.subject, disclosure)
        shown, total = _check_locations(source, finding.subject, disclosure)
    elif finding.kind == "anomaly":
        series = release.reconciliation.series if release.reconciliation is not None else ()
        text = f"unusual: {anomaly_text(finding.subject, disclosure, withheld_series(series, disclosure))}"
        shown, total = _reconcile_locations(release, finding.subject)
    else:
        text = _reconcile_text(finding.subject, disclosure)
        shown, total = _reconcile_locations(release, finding.subject)
    if total > len(shown):
        text += f"; {total - len(shown):,} more locations not listed here"
    ack = finding.acknowledgement
    properties: dict[str, Any] = {"key": finding.key, "status": finding.status, "blocks": finding.blocks}
    out: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": list(rules).index(rule_id),
        "level": "error" if finding.status == Status.CRASHED else LEVELS.get(finding.severity, "error"),
        "message": {"text": text + "." + (_ack_text(ack, disclosure) if ack is not None else "")},
        "locations": shown,
        "partialFingerprints": {FINGERPRINT: finding.key},
    }
    if ack is not None:
        properties["acknowledgement"] = _ack_dict(ack, disclosure)
        if ack.settles:
            out["suppressions"] = [{
                "kind": "external",
                "status": "accepted",
                "justification": ack.entry.reason,
                "properties": {"owner": ack.entry.owner, "acknowledged_on": ack.entry.acknowledged_on.isoformat(),
                               "expires": ack.entry.expires.isoformat() if ack.entry.expires else None},
            }]  # fmt: skip
    out["properties"] = properties
    return out


def _rule(finding: Finding, release: Release, rules: dict[str, dict[str, Any]], disclosure: Disclosure) -> str:
    """The finding's rule id, described once in `rules` the first time a result uses it."""
    if finding.kind == "check":
        rule_id = finding.subject.check_id
        short, full = _check_words(finding.subject), why_it_matters(rule_id)
    elif finding.kind == "anomaly":
        # Which side of its band a withheld figure falls would narrow its `c`: its rule then says neither.
        rule_id = ANOMALY_WITHHELD if hides_anomaly(finding.subject, disclosure) else finding.subject.check_id
        short, full = ANOMALY_WORDS[rule_id], ANOMALY_WHY
    else:
        measure = finding.subject.measure
        rule_id = f"{finding.kind}/{measure}"
        title = release.titles.get(measure, measure)
        short = f"{title}: {RULE_WORDS[finding.kind]}"
        full = ""
    if rule_id not in rules:
        rules[rule_id] = {"id": rule_id, "shortDescription": {"text": short},
                          **({"fullDescription": {"text": full}} if full else {})}  # fmt: skip
    return rule_id


def _check_words(found: CheckOutcome) -> str:
    """The catalogue's words for a check (a source's message may add what its run met: the codes seen, say)."""
    try:
        return spec_for(found.check_id).message
    except KeyError:  # a rule registered under an id the catalogue lacks
        return found.message


# --- messages --------------------------------------------------------------------------------------------------


def _check_text(source: SourceResult, found: CheckOutcome, disclosure: Disclosure) -> str:
    if found.status == Status.CRASHED:
        return f"{source.name}: {found.check_id} crashed" + (f" ({found.detail})" if found.detail else "")
    one, many = UNITS.get(found.level, ("record", "records"))
    hidden = found.level != "cell" and disclosure.hides(found.failed)  # published cells are not people
    unit = plural(found.failed, one, many, hidden)
    return f"{source.name}: {disclosure.failures(found.level, found.failed)} {unit} failed {found.check_id} ({found.message})"


def _reconcile_text(subject: Comparison | MissingDeaths | EmptyComparison, disclosure: Disclosure) -> str:
    if isinstance(subject, Comparison):
        gap = disclosure.difference(subject)
        return (f"discrepancy in {subject.measure} {subject.period_label} {la_label(subject.geography)}: "
                f"{outcome(subject, disclosure)}" + (f", difference {gap}" if gap else "") + f" ({expectation(subject)})")  # fmt: skip
    if isinstance(subject, MissingDeaths):
        return gap_sentence(subject, disclosure, ids=False)  # its record ids are its locations
    return f"{subject.measure}: {subject.left} with {subject.right} compared nothing: {subject.reason}"


def _ack_text(ack: Acknowledged, disclosure: Disclosure) -> str:
    entry = ack.entry
    signed = f"{entry.reason} ({entry.owner}, acknowledged on {entry.acknowledged_on.isoformat()})"
    if ack.status == AckStatus.ACKNOWLEDGED:
        until = f"until {entry.expires.isoformat()}" if entry.expires else "with no expiry"
        return f" Acknowledged, {until}: {signed}."
    if ack.status == AckStatus.EXPIRED:
        return f" Its acknowledgement expired on {entry.expires.isoformat() if entry.expires else '?'}: {signed}."
    if disclosure.publish:  # no evidence figures in a publication
        return f" Its acknowledgement no longer holds, as the evidence changed: {signed}."
    return (f" Its acknowledgement no longer holds, as the evidence changed from {evidence_words(entry.evidence, disclosure)} "
            f"to {evidence_words(ack.evidence, disclosure)}: {signed}.")  # fmt: skip


def _ack_dict(ack: Acknowledged, disclosure: Disclosure) -> dict[str, Any]:
    out = ack.to_dict()
    if disclosure.publish:
        out.pop("evidence", None)
        out.pop("evidence_now", None)
    return out


# --- locations -------------------------------------------------------------------------------------------------


def _check_locations(source: SourceResult, found: CheckOutcome, disclosure: Disclosure) -> tuple[list[dict[str, Any]], int]:
    """Each failing record's place (the first MAX_LOCATIONS, and how many there are); with `--publish` (no record
    locations or ids at all) the source's files."""
    places, ids = found.locations, found.record_ids
    if disclosure.publish or not (places or ids):
        return _bounded([_at_file(f.path) for f in _unique(source.files)])
    files = _Files(source.files)
    if len(places) == len(ids):  # one location a record: each placed and named
        return [_at(files, place, record_id) for place, record_id in zip(places[:MAX_LOCATIONS], ids, strict=False)], len(ids)
    # A record repeated across rows has several locations, and records can share one: each row placed, each record named.
    located = [_at(files, place) for place in places[:MAX_LOCATIONS]]
    named = [{"logicalLocations": [_record(record_id)]} for record_id in ids[: MAX_LOCATIONS - len(located)]]
    return located + named, len(places) + len(ids)


def _bounded(locations: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    return locations[:MAX_LOCATIONS], len(locations)


class _Files:
    """A source's files by the name a location gives them (canonical/records.py `locations`: `name:line`, a sheet as
    `book.xlsx!Sheet:line`, an XML element path after a space)."""

    def __init__(self, files: Iterable[InputFile]) -> None:
        self.paths: dict[str, str | None] = {}
        for f in files:
            name = PurePath(f.path).name
            self.paths[name] = f.path if self.paths.get(name, f.path) == f.path else None  # None: two files share it
        self.names = sorted(self.paths, key=len, reverse=True)  # the longest name a location starts with is its file

    def parse(self, place: str) -> tuple[str, str, int, str] | None:
        """`place` as (file name, sheet, line, element path); None where it has no line."""
        for name in self.names:
            if place.startswith(name):
                rest = _REST.fullmatch(place, len(name))
                if rest is not None:
                    return name, rest["sheet"] or "", int(rest["line"]), rest["path"] or ""
        where = _WHERE.fullmatch(place)  # a file the source does not list (not expected): as well as it can be read
        if where is None:
            return None
        return where["name"], where["sheet"] or "", int(where["line"]), where["path"] or ""

    def uri(self, name: str) -> str:
        return _uri(self.paths.get(name) or name)  # a name two files share stays a bare name, never a wrong path


def _at(files: _Files, place: str, record_id: str | None = None) -> dict[str, Any]:
    logical = [_record(record_id)] if record_id is not None else []
    parsed = files.parse(place)
    if parsed is None:  # a location with no line: named, not placed
        return {"logicalLocations": [*logical, {"name": place, "kind": "location"}]}
    name, sheet, line, path = parsed
    if sheet:
        logical.append({"name": sheet, "kind": "sheet"})
    if path:
        logical.append({"fullyQualifiedName": path, "kind": "element"})
    out: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": files.uri(name)}, "region": {"startLine": line}}}
    if logical:
        out["logicalLocations"] = logical
    return out


def _record(record_id: str) -> dict[str, str]:
    return {"name": record_id, "kind": "record"}


def _reconcile_locations(release: Release, subject: Any) -> tuple[list[dict[str, Any]], int]:
    """At the run config; deaths missing from a source by each death's record id too (none with --publish)."""
    config = _run_config(release)
    ids = subject.record_ids if isinstance(subject, MissingDeaths) else ()
    named = [{"logicalLocations": [_record(record_id)]} for record_id in ids[: max(MAX_LOCATIONS - len(config), 0)]]
    return (config + named)[:MAX_LOCATIONS], len(config) + len(ids)


def _run_config(release: Release) -> list[dict[str, Any]]:
    """Where a reconciliation's finding is: the run config, else (none) every input file."""
    if release.provenance.config_path:
        return [_at_file(release.provenance.config_path)]
    return [_at_file(f.path) for f in _unique(f for _, f in release.provenance.files)]


def _at_file(path: str) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(path)}, "region": {"startLine": 1}}}


def _unique(files: Iterable[InputFile]) -> list[InputFile]:
    return list({f.path: f for f in files}.values())


def _uri(path: str) -> str:
    """A path as a URI: relative (to the working directory, where the paths given were read from) where it can be."""
    given = Path(path)
    if given.is_absolute():
        try:
            given = given.relative_to(Path.cwd())
        except (ValueError, OSError):  # outside it, or no working directory any more
            return "file://" + quote(given.as_posix(), errors="surrogateescape")
    return quote(given.as_posix(), errors="surrogateescape")


def _printable(value: Any) -> Any:
    """Every string as every output shows names (no control characters, no lone surrogates: text.py)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value
