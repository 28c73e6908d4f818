"""JUnit XML: one testcase per comparison (a discrepancy is a failure) and per failing check."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..model.release import Release
from .wording import interval_text


def render_junit(release: Release) -> str:
    """Checks are testcases only where they gate (`run`, `check`); `reconcile` lists comparisons alone."""
    result = release.reconciliation
    suites = ET.Element("testsuites", name="triangulate")
    for source in release.sources if release.checks_gate else ():
        suite = ET.SubElement(suites, "testsuite", name=f"check.{source.name}")
        failures = 0
        for outcome in source.outcomes:
            case = ET.SubElement(suite, "testcase", classname=f"check.{source.name}", name=outcome.check_id)
            if outcome.crashed:
                ET.SubElement(case, "error", message=f"{outcome.check_id} crashed: {outcome.detail}")
                failures += 1
            elif outcome.failed and outcome.severity == "error":
                failure = ET.SubElement(case, "failure", message=f"{outcome.failed} records: {outcome.message}")
                failure.text = "\n".join(outcome.record_ids[:50])
                failures += 1
        suite.set("tests", str(len(source.outcomes)))
        suite.set("failures", str(failures))
    if result is not None:
        suite = ET.SubElement(suites, "testsuite", name="reconcile")
        for comparison in result.comparisons:
            name = f"{comparison.measure} {comparison.period_label} {comparison.geography}: {comparison.left} {comparison.relation} {comparison.right}"
            case = ET.SubElement(suite, "testcase", classname=f"reconcile.{comparison.measure}", name=name)
            if comparison.failed:
                left, right = interval_text(comparison.left_value), interval_text(comparison.right_value)
                failure = ET.SubElement(
                    case, "failure", message=f"discrepancy: {comparison.left} {left}, {comparison.right} {right}"
                )
                failure.text = comparison.explanation
            elif comparison.status == "not_comparable":
                ET.SubElement(case, "skipped", message="not comparable: suppressed or not available")
        suite.set("tests", str(len(result.comparisons)))
        suite.set("failures", str(len(result.discrepancies)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
