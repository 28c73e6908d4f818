"""The model's typed results as table rows: plain dicts for bulk inserts, one list per table."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .. import __version__
from ..domain.acknowledgements import canonical_evidence
from ..domain.intervals import ends
from ..model.checks import InputFile
from ..model.memory import RememberedRun
from ..model.release import Release
from ..model.revisions import Revisions

Row = dict[str, Any]


def utc(moment: dt.datetime) -> dt.datetime:
    """Times are stored in UTC (a naive time is taken as local, as Python does)."""
    return moment.astimezone(dt.UTC)


def _sha256(text: str | None) -> str | None:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None


def run_row(release: Release, started_at: dt.datetime, finished_at: dt.datetime, label: str | None) -> Row:
    provenance = release.provenance
    return {
        "started_at": utc(started_at),
        "finished_at": utc(finished_at),
        "command": release.command,
        "release": release.label(label),
        "reference_date": provenance.reference_date,
        "tool_version": dict(provenance.versions).get("triangulate", __version__),
        "config_sha256": _sha256(provenance.config_text),
        "passed": release.passed,
        "gate": release.gate,
    }


def _input(source: str, file: InputFile, rows: Mapping[str, int] | None) -> Row:  # source: its id
    return {"source": source, "path": file.path, "size": file.size, "sha256": file.sha256,
            "rows": (rows or {}).get(file.path, getattr(file, "rows", None))}  # fmt: skip


def input_rows(release: Release, rows: Mapping[str, int] | None) -> list[Row]:
    """Every file the run read (sources and published tables), once each; `rows` maps a path to its row count."""
    files = dict.fromkeys((*release.provenance.files, *release.published_files))
    ids = release.source_ids
    return [_input(ids.get(source, source), file, rows) for source, file in files]


def check_rows(release: Release, remembered: RememberedRun) -> list[Row]:
    kinds = {source.id: source.kind for source in release.sources}
    return [
        {"source": c.source, "kind": kinds.get(c.source, ""), "check_id": c.check_id, "severity": c.severity,
         "status": str(c.status), "failed": c.failed, "key": c.key, "people": json.dumps(sorted(c.people))}
        for c in remembered.checks
    ]


def comparison_rows(release: Release, remembered: RememberedRun) -> list[Row]:
    tolerances = {c.identity.text: c for c in release.reconciliation.comparisons} if release.reconciliation else {}
    out = []
    for c in remembered.comparisons:
        left_low, left_high = ends(c.left_value)
        right_low, right_high = ends(c.right_value)
        made = tolerances[c.key]
        out.append({"measure": c.series.measure, "period": c.period, "geography": c.series.geography,
                    "left": c.series.left, "right": c.series.right,
                    "left_low": left_low, "left_high": left_high, "right_low": right_low, "right_high": right_high,
                    "relation": made.relation, "tolerance": json.dumps(dict(made.tolerance), sort_keys=True),
                    "status": str(c.status), "key": c.key})  # fmt: skip
    return out


def evidence_text(evidence: Mapping[str, Any]) -> str:
    """Evidence as JSON, as it is compared (domain/acknowledgements.py canonical_evidence)."""
    return canonical_evidence(evidence)


def acknowledgement_rows(remembered: RememberedRun) -> list[Row]:
    """Every entry the run met (acknowledged, changed, expired) or left stale: keys, words and evidence (counts and
    digests of person keys), never a record id."""
    return [
        {"key": a.key, "status": str(a.status), "reason": a.reason, "owner": a.owner, "acknowledged_on": a.acknowledged_on,
         "expires": a.expires, "evidence": evidence_text(a.evidence),
         "evidence_now": evidence_text(a.evidence_now) if a.evidence_now is not None else None}
        for a in remembered.acknowledgements
    ]  # fmt: skip


def series_rows(remembered: RememberedRun) -> list[Row]:
    """The national value of every source per measure and period (what the model keeps of each figure)."""
    out = []
    for f in remembered.figures:
        low, high = ends(f.value)
        per_low, per_high = ends(f.per_12_months)
        out.append({"source": f.source, "published": f.published, "measure": f.measure, "period": f.period,
                    "geography": f.geography, "low": low, "high": high, "per_12_low": per_low, "per_12_high": per_high})  # fmt: skip
    return out


def bridge_rows(release: Release) -> list[Row]:
    ids = release.source_ids
    return [
        {"source": ids.get(b.source, b.source), "measure": b.measure, "period": b.period, "headline": b.headline, "harmonised": b.harmonised,
         "steps": json.dumps([{"step": s.step, "count": s.count} for s in b.steps])}
        for b in (release.reconciliation.bridges if release.reconciliation else ())
    ]


def revisions_run_row(found: Revisions, started_at: dt.datetime, finished_at: dt.datetime, label: str | None,
                      config_text: str | None) -> Row:  # fmt: skip
    return {
        "started_at": utc(started_at),
        "finished_at": utc(finished_at),
        "command": "revisions",
        "release": label or found.new.file.path.replace("\\", "/").rsplit("/", 1)[-1],
        "reference_date": None,
        "tool_version": __version__,
        "config_sha256": _sha256(config_text),
        "passed": found.passed,
        "gate": "revisions",
    }


def vintage_rows(found: Revisions) -> list[Row]:
    return [{**_input(name, v.file, None), "rows": v.rows} for name, v in (("old", found.old), ("new", found.new))]


def revision_rows(found: Revisions) -> list[Row]:
    return [
        {"indicator": c.indicator, "key": json.dumps(dict(c.key), sort_keys=True), "old": c.old, "new": c.new,
         "kind": c.kind, "change": c.change, "beyond_tolerance": c.beyond_tolerance}
        for c in found.cells
    ]
