"""The acknowledgements file: a YAML list, one entry per acknowledged finding, reviewed in a pull request.

    - key: comparison/lac_deaths/2021-22/E92000001/csprp/dfe_cla
      evidence: {left: 48, right: 49}
      reason: One death notified to the CSPRP in April, after the return closed; checked with the LA.
      owner: CLA statistics team
      acknowledged_on: 2026-12-06
      expires: 2027-03-31

Read strictly: every fault is one line naming the file and the line (exit 2). An unknown field is refused (a typo
such as `expiry:` must not leave an entry that never expires), and so is a key given twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..domain.acknowledgements import Acknowledgement
from ..domain.dates import iso_day
from ..domain.identity import FINDING_KINDS, is_finding_key
from ..errors import ConfigError
from .loader import load_yaml_node

FIELDS = ("key", "evidence", "reason", "owner", "acknowledged_on", "expires")
REQUIRED = ("key", "evidence", "reason", "owner", "acknowledged_on")
MAX_TEXT = 2_000  # characters of a reason, an owner or a key
MAX_FILE_BYTES = 64 << 20  # thousands of LA-level entries are a few megabytes
MAX_FILE_NODES = 5_000_000
HEADER = ("# Acknowledged findings: each entry lets one finding of triangulate pass while its evidence is the same and\n"
          "# it has not expired. Written by `triangulate acknowledge`; review every entry in a pull request.\n")  # fmt: skip


def load_acknowledgements(path: Path) -> tuple[Acknowledgement, ...]:
    """Every entry of the file, in its order; ConfigError (exit 2) naming the file and line for any fault."""
    node, document = load_yaml_node(path, max_bytes=MAX_FILE_BYTES, max_nodes=MAX_FILE_NODES, what="acknowledgements",
                                    fast=True)  # fmt: skip
    if document is None:
        return ()
    if not isinstance(document, list) or not isinstance(node, yaml.SequenceNode):
        raise ConfigError("an acknowledgements file is a YAML list of entries (- key: ...)", path=path, where=_line(node))
    entries: list[Acknowledgement] = []
    first_line: dict[str, int] = {}
    for item, value in zip(node.value, document, strict=True):
        try:
            entry = _entry(item, value)
        except ConfigError as error:
            raise ConfigError(error.message, path=path, where=error.where) from None
        if entry.key in first_line:
            raise ConfigError(f"key {entry.key!r} is acknowledged twice (first at line {first_line[entry.key]}); keep one entry",
                              path=path, where=_line(item))  # fmt: skip
        first_line[entry.key] = entry.line
        entries.append(entry)
    return tuple(entries)


def _line(node: yaml.Node | None) -> str | None:
    return f"line {node.start_mark.line + 1}" if node is not None else None


def _entry(node: yaml.Node, value: Any) -> Acknowledgement:
    if not isinstance(value, dict) or not isinstance(node, yaml.MappingNode):
        raise ConfigError("an entry is a mapping of key, evidence, reason, owner, acknowledged_on and expires", where=_line(node))
    at = {str(k.value): k for k, _ in node.value}  # each field's own line
    unknown = [name for name in value if name not in FIELDS]
    if unknown:
        raise ConfigError(f"unknown field {unknown[0]!r} in an entry; the fields are {', '.join(FIELDS)}", where=_line(at.get(str(unknown[0]))))
    missing = [name for name in REQUIRED if name not in value]
    if missing:
        raise ConfigError(f"the entry has no {missing[0]!r}; every entry needs {', '.join(REQUIRED)}", where=_line(node))
    key = _text(value, "key", at)
    problem = key_problem(key)
    if problem:
        raise ConfigError(problem, where=_line(at["key"]))
    problem = evidence_problem(value["evidence"])
    if problem:
        raise ConfigError(problem, where=_line(at["evidence"]))
    entry = Acknowledgement(
        key=key,
        evidence={str(k): v for k, v in value["evidence"].items()},
        reason=_text(value, "reason", at),
        owner=_text(value, "owner", at),
        acknowledged_on=_date(value, "acknowledged_on", at),
        expires=_date(value, "expires", at) if value.get("expires") is not None else None,
        line=node.start_mark.line + 1,
    )
    return entry


def _text(value: dict[str, Any], name: str, at: dict[str, yaml.Node]) -> str:
    text = value[name]
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{name} must be text, not {text!r:.40}", where=_line(at[name]))
    if len(text) > MAX_TEXT:
        raise ConfigError(f"{name} is over {MAX_TEXT:,} characters: it is read in every output", where=_line(at[name]))
    return text.strip()


def _date(value: dict[str, Any], name: str, at: dict[str, yaml.Node]) -> dt.date:
    given = value[name]
    if isinstance(given, dt.datetime):  # a timestamp is not a day
        raise ConfigError(f"{name} {given!s:.40} is not a date (YYYY-MM-DD)", where=_line(at[name]))
    if isinstance(given, dt.date):
        return given
    day = iso_day(given) if isinstance(given, str) else None
    if day is not None:
        return day
    raise ConfigError(f"{name} {given!r:.40} is not a date (YYYY-MM-DD)", where=_line(at[name]))


def key_problem(key: Any) -> str | None:
    """What is wrong with a finding key, in words; None when it is one. The loader and `acknowledge` both ask."""
    if not isinstance(key, str) or not is_finding_key(key):
        return f"key {key!r:.80} is not a finding key ({', '.join(k + '/...' for k in FINDING_KINDS)})"
    return None


def evidence_problem(evidence: Any) -> str | None:
    """Evidence is a mapping of figures, text and lists of them, as a run writes it; a crash is never evidence (a crash
    is a fault to mend, never acknowledged)."""
    if not isinstance(evidence, dict) or not evidence:
        return "evidence must be a mapping of what was seen (as `triangulate acknowledge` writes it)"
    if "crashed" in evidence:
        return "evidence of a crash: a check that crashed is a fault to mend, never acknowledged"

    def plain(value: Any) -> bool:
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, bool | int | float | str)

    wrong = next((k for k, v in evidence.items() if not plain(v)), None)
    if wrong is not None:
        return f"evidence {wrong!s:.40}: holds figures, text and lists of them, not {type(evidence[wrong]).__name__}"
    return None


def merged(existing: Sequence[Acknowledgement], new: Iterable[Acknowledgement]) -> tuple[list[Acknowledgement], int, int]:
    """The file's entries with `new` written in: an entry with the same key is replaced where it stands (never
    duplicated), the others appended. Returns the entries, how many were added and how many updated."""
    entries = list(existing)
    where = {entry.key: n for n, entry in enumerate(entries)}
    added = updated = 0
    for entry in new:
        if entry.key in where:
            entries[where[entry.key]] = entry
            updated += 1
        else:
            where[entry.key] = len(entries)
            entries.append(entry)
            added += 1
    return entries, added, updated


def acknowledgements_text(entries: Sequence[Acknowledgement]) -> str:
    """The file as `acknowledge` writes it: a header, then one block per entry, fields in the documented order."""
    if not entries:
        return HEADER + "[]\n"
    body = yaml.dump([entry.to_dict() for entry in entries], Dumper=_NoAliases, sort_keys=False, default_flow_style=None,
                     allow_unicode=True, width=100)  # fmt: skip
    return HEADER + body


class _NoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Each entry written out in full: one date shared by every entry is not an anchor and aliases to review."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
