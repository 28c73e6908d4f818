"""A release: every source's check results, the reconciliation, provenance, and THE pass/fail gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .changes import Changes
from .checks import InputFile, SourceResult
from .findings import AcknowledgementsUsed, Finding, acknowledgement_counts
from .reconciliation import ReconcileResult

# What gates each command: `check` and `run` gate on the checks (and `run` on the comparisons too);
# `reconcile` gates on the comparisons alone.
GATES = {"check": "check", "reconcile": "reconcile", "run": "release"}


def release_label(reference_date: dt.date | None, config_name: str) -> str:
    """A run's default release label: its reference date, else its config's name."""
    return reference_date.isoformat() if reference_date else config_name


@dataclass(frozen=True)
class Provenance:
    run_at: dt.datetime
    reference_date: dt.date | None
    config_name: str
    config_text: str
    files: tuple[tuple[str, InputFile], ...]  # source name, file
    versions: tuple[tuple[str, str], ...]
    config_path: str = ""


@dataclass(frozen=True)
class Expectation:
    """One expected relation between two sources' counts, and why it is expected (from the measure's YAML)."""

    left: str
    relation: str  # ==, <= or >=
    right: str
    reason: str = ""
    tolerances: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # per geographic level: abs, rel
    learned_after: int | None = None  # `tolerance: learned`: learned once the history holds this many earlier releases

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "relation": self.relation, "right": self.right, "reason": self.reason,
                "tolerance": {level: dict(t) for level, t in self.tolerances.items()},
                **({"learned_after": self.learned_after} if self.learned_after is not None else {})}  # fmt: skip


@dataclass(frozen=True)
class MeasureNote:
    """A measure in words: its title, what it counts, which sources in config order, and what is expected of them."""

    id: str
    title: str
    definition: str = ""
    sources: tuple[str, ...] = ()  # the configured sources it selects, in the config's order
    expectations: tuple[Expectation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "definition": self.definition, "sources": list(self.sources),
                "expectations": [e.to_dict() for e in self.expectations]}  # fmt: skip


@dataclass(frozen=True)
class Release:
    command: str  # check, reconcile or run
    sources: tuple[SourceResult, ...]
    reconciliation: ReconcileResult | None
    provenance: Provenance
    published_files: tuple[tuple[str, InputFile], ...] = ()  # source name, file; hashed when read
    since: Changes | None = None  # what changed since the last release, from the run history
    measures: tuple[MeasureNote, ...] = ()  # each measure in words, in config order
    death_rules: Mapping[str, str] = field(default_factory=dict)  # source name -> what that source counts as a death
    declared_ids: Mapping[str, str] = field(default_factory=dict)  # every configured source's name -> its `id:`
    acknowledgements: AcknowledgementsUsed | None = None  # the acknowledgements file it used, if any

    @property
    def titles(self) -> dict[str, str]:
        """Measure id -> its title, for people (from `measures`)."""
        return {m.id: m.title for m in self.measures}

    @property
    def source_ids(self) -> dict[str, str]:
        """Each source's name in the run config -> its id, on which everything remembered keys (denominators too)."""
        return {**self.declared_ids, **{s.name: s.id for s in self.sources}}

    @property
    def source_names(self) -> dict[str, str]:
        """Each source's id -> its name in this run's config: what the history's figures (keyed by id) are here."""
        return {source_id: name for name, source_id in self.source_ids.items()}

    @property
    def published_sources(self) -> set[str]:
        """The names of the published tables (checked as sources, or read for their figures)."""
        return {s.name for s in self.sources if s.published} | {name for name, _ in self.published_files}

    def label(self, given: str | None = None) -> str:
        """The release this run belongs to, which a history diff refers to: as given, else its reference date,
        else its config's name."""
        return given or release_label(self.provenance.reference_date, self.provenance.config_name)

    @property
    def gate(self) -> str:
        return GATES[self.command]

    @property
    def checks_gate(self) -> bool:
        """Whether the sources' own check failures decide the outcome (not for `reconcile`)."""
        return self.command != "reconcile"

    @property
    def gating_sources(self) -> tuple[SourceResult, ...]:
        """Sources whose failing checks fail the gate: all of them, but for `reconcile` only published tables."""
        return self.sources if self.checks_gate else tuple(s for s in self.sources if s.published)

    @cached_property  # the gate and every renderer read it; a release never changes once made
    def findings(self) -> tuple[Finding, ...]:
        """Every keyed finding, in the order the outputs list them: checks by source, comparisons, missing deaths,
        empty comparisons, series unusual against their own past (a warning, an error with `anomaly: {gate: true}`;
        a point inside its band, or without enough history, is no finding)."""
        gating = {id(s) for s in self.gating_sources}
        out = [
            Finding(source.key(o), "check", o.status, o.severity, o.evidence, o.acknowledgement,
                    o.blocks_release and id(source) in gating, o, source.name, gated=id(source) in gating)
            for source in self.sources for o in source.outcomes
        ]  # fmt: skip
        result = self.reconciliation
        if result is not None:
            out += [Finding(c.identity.text, "comparison", c.status, "error", c.evidence, c.acknowledgement, c.failed, c)
                    for c in result.comparisons]  # fmt: skip
            out += [Finding(m.identity, "missing", m.status, m.severity, m.evidence, m.acknowledgement, m.gating, m)
                    for m in result.missing]  # fmt: skip
            out += [Finding(e.identity, "empty", e.status, e.severity, e.evidence, e.acknowledgement, e.gating, e)
                    for e in result.empty]  # fmt: skip
            out += [Finding(a.identity, "anomaly", a.finding_status, a.severity, a.evidence, a.acknowledgement, a.blocks, a)
                    for a in result.anomalies if a.unusual]  # fmt: skip
        return tuple(out)

    @property
    def blocking(self) -> tuple[str, ...]:
        """The keys of the findings that block this release."""
        return tuple(f.key for f in self.findings if f.blocks)

    @property
    def passed(self) -> bool:
        """The gate, defined once: every output and the exit code read it. Nothing blocks (an acknowledged finding
        does not: domain/status.py blocks_release)."""
        return not self.blocking

    def acknowledgements_dict(self) -> dict[str, Any]:
        return {
            "blocking": list(self.blocking),
            **({"acknowledgements": acknowledgement_counts(self.findings, self.acknowledgements)}
               if self.acknowledgements is not None else {}),
        }  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        if self.command == "check":
            return {**self.sources[0].to_dict(), **self.acknowledgements_dict()}
        reconciliation = self.reconciliation or ReconcileResult()
        return {
            "tool": {"name": "triangulate", "version": dict(self.provenance.versions).get("triangulate")},
            "run_at": self.provenance.run_at.isoformat(timespec="seconds"),
            "config": self.provenance.config_path,
            "reference_date": self.provenance.reference_date.isoformat() if self.provenance.reference_date else None,
            "passed": self.passed,
            "gate": self.gate,
            "sources": [s.to_dict() for s in self.sources],
            "published_files": [{"source": name, **f.to_dict()} for name, f in self.published_files],
            **reconciliation.to_dict(),
            "measures": [m.to_dict() for m in self.measures],
            **({"since_last_release": self.since.to_dict()} if self.since is not None else {}),
            **self.acknowledgements_dict(),
        }
