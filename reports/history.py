"""Renderers for `triangulate history`: the list of runs, and what changed between two runs."""

from __future__ import annotations

import json
from typing import Any

from ..domain.geography import la_label
from .markdown import free_text, table_cell
from .wording import one_per_line, period_label


def render_runs(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "no runs recorded"
    return one_per_line(
        f"{r['run_id']:>5}  {r['release']:<16} {r['started_at'][:19]}  {'PASS' if r['passed'] else 'FAIL'}  "
        f"{r['command']:<9} {r['failing_checks']} {'check' if r['failing_checks'] == 1 else 'checks'} not passed, "
        f"{r['discrepancies']} {'discrepancy' if r['discrepancies'] == 1 else 'discrepancies'}"
        + (f", {r['acknowledged']} acknowledged" if r.get("acknowledged") else "")
        for r in runs
    )  # fmt: skip


def render_diff_json(diff: dict[str, Any]) -> str:
    return json.dumps(diff, indent=2, ensure_ascii=False, default=str) + "\n"


def _run(side: dict[str, Any]) -> str:
    return f"run {side['run_id']} ({side['release']}, {str(side['started_at'])[:19]})"


def _gate(side: dict[str, Any]) -> str:
    """A run's own verdict, as recorded (absent from a diff made before the gate was carried)."""
    passed = side.get("passed")
    return "gate not recorded" if passed is None else ("PASS" if passed else "FAIL")




def until(entry: dict[str, Any]) -> str:
    return entry.get("expires") or "no expiry"


LAPSED = {"changed": "evidence changed", "expired": "expired", "stale": "finding gone (entry stale)", "absent": "no entry"}


def lapsed(entry: dict[str, Any]) -> str:
    """Why an acknowledgement no longer holds, in words."""
    return LAPSED.get(entry["status"], entry["status"])


def _acknowledgements(diff: dict[str, Any]) -> list[str]:
    """Acknowledgements that began or lapsed: the steward's reason and owner (reviewed in a pull request), never
    the evidence's figures. A diff made before acknowledgements were remembered has neither list."""
    lines: list[str] = []
    if diff.get("acknowledged"):
        lines += ["", "### Newly acknowledged", "", "| finding | reason | owner | until |", "|---|---|---|---|"]
        lines += [f"| `{table_cell(a['key'])}` | {free_text(a['reason'])} | {free_text(a['owner'])} | {until(a)} |" for a in diff["acknowledged"]]
    if diff.get("no_longer_acknowledged"):
        lines += ["", "### No longer acknowledged", "", "| finding | now | reason | owner |", "|---|---|---|---|"]
        lines += [f"| `{table_cell(a['key'])}` | {lapsed(a)} | {free_text(a['reason'])} | {free_text(a['owner'])} |"
                  for a in diff["no_longer_acknowledged"]]  # fmt: skip
    return lines


def _change(item: dict[str, Any], words: str) -> str:
    return f"{words} (acknowledged)" if item.get("acknowledged") else str(words)


def changes_words(diff: dict[str, Any]) -> str:
    """Whether anything got worse (the exit code: a lapsed acknowledgement, changed or expired, counts), and how many
    acknowledgements are no longer in force."""
    words = ("nothing newly failing, worse or revised beyond tolerance" if diff["passed"]
             else "new or worse failures, new discrepancies, lapsed acknowledgements or revised figures")  # fmt: skip
    lapsed_count = len(diff.get("no_longer_acknowledged", ()))
    if lapsed_count:
        words += f"; {lapsed_count} {'finding' if lapsed_count == 1 else 'findings'} no longer acknowledged"
    return words


def render_diff_markdown(diff: dict[str, Any]) -> str:
    # The heading is the newer run's own gate: the diff passing only means nothing got worse, and two failing
    # runs must not read as PASS. Whether anything got worse (the exit code) is the line under it.
    newer, older = diff["to"], diff["from"]
    changes = changes_words(diff)
    lines = [f"## Triangulate: release {newer['release']} (run {newer['run_id']}): {_gate(newer)}", "",
             f"Since release {older['release']} (run {older['run_id']}, {_gate(older)}): {changes}.", "",
             f"{_run(older)} → {_run(newer)}."]  # fmt: skip
    if diff["checks"]:
        lines += ["", "| source | check | before | now | change |", "|---|---|---:|---:|---|"]
        lines += [f"| {c['source']} | `{c['id']}` | {c['old_failed'] if c['old_failed'] is not None else '-'} | "
                  f"{c['new_failed'] if c['new_failed'] is not None else '-'} | {_change(c, c['change'])} |" for c in diff["checks"]]  # fmt: skip
    if diff["comparisons"]:
        lines += ["", "| measure | period | geography | pair | before | now |", "|---|---|---|---|---|---|"]
        lines += [f"| {c['measure']} | {period_label(c['period'])} | {la_label(c['geography'])} | {c['left']} / {c['right']} | {c['old_status'] or '-'} | "
                  f"{_change(c, c['new_status'] or '-')} |" for c in diff["comparisons"]]  # fmt: skip
    if diff["published"]:
        lines += ["", "| source | measure | period | before | now | beyond tolerance |", "|---|---|---|---|---|---|"]
        lines += [f"| {p['source']} | {p['measure']} | {period_label(p['period'])} | {p['old']} | {p['new']} | {'yes' if p['beyond_tolerance'] else 'no'} |"
                  for p in diff["published"]]  # fmt: skip
    lines += _acknowledgements(diff)
    if not (diff["checks"] or diff["comparisons"] or diff["published"] or diff.get("acknowledged") or diff.get("no_longer_acknowledged")):
        lines += ["", "Nothing changed."]
    return one_per_line(lines) + "\n"


def render_diff_html(diff: dict[str, Any]) -> str:
    from .html import environment

    return environment().get_template("history.html.j2").render(
        d=diff, title_from=_run(diff["from"]), title_to=_run(diff["to"]), gate_from=_gate(diff["from"]), gate_to=_gate(diff["to"]),
        until=until, lapsed=lapsed, changes=changes_words(diff),
    )
