"""JUnit XML: one testcase per check and per comparison; a discrepancy, an empty comparison and each
incoherent published whole is a failure; a check that could not run is skipped."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..model.checks import CheckOutcome, SourceResult
from ..model.reconciliation import ReconcileResult
from ..model.release import Release
from .console import counted, expectation
from .console import outcome as observed
from .disclosure import Disclosure
from .facts import comparison_explanation
from .gaps import gap_sentence
from .wording import visible

_IDS_LISTED = 50
_ONE_CASE_EACH = {"published.incoherent"}  # each failure is its own testcase, as a CI log lists them
AS_RECORDED = Disclosure()


def render_junit(release: Release, disclosure: Disclosure = AS_RECORDED) -> str:
    """Checks are testcases where they gate: every source for `run` and `check`, published tables for `reconcile`."""
    suites = ET.Element("testsuites", name="triangulate")
    for source in release.gating_sources:
        _source_suite(suites, source, disclosure)
    if release.reconciliation is not None:
        _reconcile_suite(suites, release, disclosure)
    for element in suites.iter():  # inputs may hold characters XML 1.0 cannot carry
        element.text = visible(element.text) if element.text else element.text
        for name, value in element.attrib.items():
            element.set(name, visible(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _source_suite(suites: ET.Element, source: SourceResult, disclosure: Disclosure) -> None:
    suite = ET.SubElement(suites, "testsuite", name=f"check.{source.name}")
    tests = failures = skipped = 0
    for outcome in source.outcomes:
        if outcome.check_id in _ONE_CASE_EACH and outcome.failed and outcome.locations:  # none with --publish
            for location, cell in zip(outcome.locations, outcome.record_ids, strict=False):
                case = ET.SubElement(
                    suite, "testcase", classname=f"check.{source.name}", name=f"{outcome.check_id} {location}: {cell}"
                )
                ET.SubElement(case, "failure", message=f"{outcome.message}: {cell}")
                tests, failures = tests + 1, failures + (outcome.severity == "error")
            continue
        tests += 1
        failures += _case(suite, source, outcome, disclosure)
        skipped += outcome.status == "not_run"
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))


def _case(suite: ET.Element, source: SourceResult, outcome: CheckOutcome, disclosure: Disclosure) -> int:
    case = ET.SubElement(suite, "testcase", classname=f"check.{source.name}", name=outcome.check_id)
    if outcome.crashed:
        ET.SubElement(case, "error", message=f"{outcome.check_id} crashed: {outcome.detail}")
        return 1
    if outcome.status == "not_run":
        ET.SubElement(case, "skipped", message=f"not run: {outcome.not_run}")
        return 0
    if outcome.failed and outcome.severity == "error":
        failure = ET.SubElement(
            case, "failure", message=f"{counted(outcome.failed, *_unit(outcome), disclosure)}: {outcome.message}"
        )
        failure.text = "\n".join(outcome.record_ids[:_IDS_LISTED])
        return 1
    return 0


def _unit(outcome: CheckOutcome) -> tuple[str, str]:
    return {"death": ("death", "deaths"), "cell": ("cell", "cells")}.get(outcome.level, ("record", "records"))


def _reconcile_suite(suites: ET.Element, release: Release, disclosure: Disclosure) -> None:
    result = release.reconciliation or ReconcileResult()
    suite = ET.SubElement(suites, "testsuite", name="reconcile")
    for comparison in result.comparisons:
        name = f"{comparison.measure} {comparison.period_label} {comparison.geography}: {comparison.left} {comparison.relation} {comparison.right}"
        case = ET.SubElement(suite, "testcase", classname=f"reconcile.{comparison.measure}", name=name)
        if comparison.failed:
            failure = ET.SubElement(
                case, "failure", message=f"discrepancy: {observed(comparison, disclosure)} ({expectation(comparison)})"
            )
            failure.text = comparison_explanation(comparison, release, disclosure)
        elif comparison.status == "not_comparable":
            ET.SubElement(case, "skipped", message="not comparable: suppressed or not available")
    for empty in result.empty:
        case = ET.SubElement(suite, "testcase", classname=f"reconcile.{empty.measure}",
                             name=f"{empty.measure}: {empty.left} with {empty.right}")  # fmt: skip
        kind = "skipped" if empty.allowed else "failure"
        ET.SubElement(case, kind, message=f"compared nothing: {empty.reason}")
    for gap in result.absent:
        case = ET.SubElement(suite, "testcase", classname=f"reconcile.{gap.measure}",
                             name=f"{gap.measure} {gap.period_label} {gap.geography}: {gap.source} deaths in {gap.absent_from}")  # fmt: skip
        if gap.gating:
            failure = ET.SubElement(case, "failure", message=f"missing: {gap_sentence(gap, disclosure)}")
            failure.text = "\n".join(gap.record_ids[:_IDS_LISTED])
        else:
            ET.SubElement(case, "system-out").text = f"missing (warning): {gap_sentence(gap, disclosure)}"
    suite.set("tests", str(len(result.comparisons) + len(result.empty) + len(result.absent)))
    suite.set("failures", str(len(result.discrepancies) + len(result.empty_gating) + len(result.missing_gating)))
