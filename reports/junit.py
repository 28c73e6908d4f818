"""JUnit XML: one testcase per check, per comparison and per series unusual against its own past; a discrepancy, an
empty comparison, each incoherent published whole and an unusual point under `anomaly: {gate: true}` is a failure
(without the gate, an unusual point is a warning); a check that could not run is skipped. What fails is the model's
one rule (domain/status.py `blocks_release`, through CheckOutcome.blocks_release, Comparison.failed,
MissingDeaths.gating, EmptyComparison.gating and Anomaly.blocks), never re-derived here.

Every testcase of a finding that can block a release (a check, a comparison, deaths missing, an empty comparison, an
unusual point) carries its stable key (domain/identity.py) as `<properties><property name="key" value="..."/>
</properties>`, so CI history can follow a finding whatever its display name says.

What passes the gate but is not clean is said, never silent: a warning is a passing testcase with
`<properties><property name="warning" value="..."/></properties>` and the same words (and its first
record ids) in `<system-out>`; a comparison within tolerance carries its gap in `<system-out>`.

Acknowledged findings (issue 24): one whose entry stands is `<skipped message="acknowledged: REASON (OWNER, until
DATE)"/>` ("no expiry" when it has none), never a failure; one whose evidence changed is a `<failure>` whose message
gives the evidence acknowledged and now (no figures with --publish); one whose entry expired is a `<failure>` saying
on which day. Each stale entry (matching no finding of the run) is a passing testcase in the suite
`acknowledgements` (classname `acknowledgements`, named by its key) with a `warning` property and `<system-out>`
saying it matched nothing: stale entries do not fail CI, and a skipped case would read as another acknowledged one."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..domain.acknowledgements import Acknowledged
from ..domain.inputs import printable
from ..domain.intervals import SUPPRESSED
from ..domain.status import Status
from ..model.checks import CheckOutcome, SourceResult
from ..model.reconciliation import Comparison, ReconcileResult
from ..model.release import Release
from .acknowledgements_view import STALE_WORDS, acknowledged_message, failure_message, in_use, settled
from .console import anomaly_text, counted, expectation, tally
from .console import outcome as observed
from .disclosure import Disclosure, withheld_series
from .facts import comparison_explanation
from .gaps import gap_sentence
from .wording import one_per_line, printable_keeping_lines

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
    if in_use(release) and release.acknowledgements is not None and release.acknowledgements.stale:
        _stale_suite(suites, release)
    for element in suites.iter():  # inputs may hold characters XML 1.0 cannot carry, or a line break in a name
        element.text = printable_keeping_lines(element.text) if element.text else element.text  # lines it holds were each kept one
        for name, value in element.attrib.items():
            element.set(name, printable(value))  # one line: a CI tool shows a test's name and message as one
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _source_suite(suites: ET.Element, source: SourceResult, disclosure: Disclosure) -> None:
    suite = ET.SubElement(suites, "testsuite", name=f"check.{source.name}")
    tests = failures = skipped = 0
    for outcome in source.outcomes:
        if outcome.check_id in _ONE_CASE_EACH and outcome.failed and outcome.locations:  # none with --publish
            for location, cell in zip(outcome.locations, outcome.record_ids, strict=False):
                case = _testcase(suite, f"check.{source.name}", f"{outcome.check_id} {location}: {cell}", source.key(outcome))
                if settled(outcome):
                    _skip_acknowledged(case, outcome.acknowledgement)
                elif outcome.blocks_release:
                    ET.SubElement(case, "failure", message=_standing(outcome.acknowledgement, f"{outcome.message}: {cell}", disclosure))
                else:  # a warning does not fail the gate, so it is no <failure> in CI either
                    _warn(case, f"{outcome.message}: {cell}")
                tests, failures, skipped = tests + 1, failures + outcome.blocks_release, skipped + settled(outcome)
            continue
        tests += 1
        failures += _case(suite, source, outcome, disclosure)
        skipped += outcome.status == Status.NOT_RUN or settled(outcome)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))


def _case(suite: ET.Element, source: SourceResult, outcome: CheckOutcome, disclosure: Disclosure) -> int:
    case = _testcase(suite, f"check.{source.name}", outcome.check_id, source.key(outcome))
    if outcome.status == Status.CRASHED:
        ET.SubElement(case, "error", message=f"{outcome.check_id} crashed: {outcome.detail}")
        return 1
    if outcome.status == Status.NOT_RUN:
        ET.SubElement(case, "skipped", message=f"not run: {outcome.not_run}")
        return 0
    # Cells of a published table are not people: their count is never withheld (Disclosure.failures).
    number = tally(outcome.failed, *_unit(outcome)) if outcome.level == "cell" else counted(outcome.failed, *_unit(outcome), disclosure)
    found = f"{number}: {outcome.message}"
    if settled(outcome):
        _skip_acknowledged(case, outcome.acknowledgement)
        return 0
    if outcome.blocks_release:
        failure = ET.SubElement(case, "failure", message=_standing(outcome.acknowledgement, found, disclosure))
        failure.text = one_per_line(outcome.record_ids[:_IDS_LISTED])
        return 1
    if outcome.status == Status.FAILED:  # a warning: the case passes, and says what it found
        _warn(case, found, outcome.record_ids[:_IDS_LISTED])
    return 0


def _skip_acknowledged(case: ET.Element, standing: Acknowledged | None) -> None:
    """An acknowledged finding: skipped, with the reason, the owner and the expiry (its key is the case's property)."""
    assert standing is not None
    ET.SubElement(case, "skipped", message=acknowledged_message(standing))


def _standing(standing: Acknowledged | None, message: str, disclosure: Disclosure) -> str:
    """A failure's message, led by why its acknowledgement no longer lets it pass (changed or expired), if it has one."""
    return message if standing is None else f"{failure_message(standing, disclosure)}; {message}"


def _stale_suite(suites: ET.Element, release: Release) -> None:
    """Each stale entry a passing testcase that says it matched nothing (see the module's docstring)."""
    used = release.acknowledgements
    assert used is not None
    suite = ET.SubElement(suites, "testsuite", name="acknowledgements", tests=str(len(used.stale)), failures="0", skipped="0")
    for entry in used.stale:
        case = _testcase(suite, "acknowledgements", entry.key, entry.key)
        _warn(case, f"stale: {STALE_WORDS} (acknowledged on {entry.acknowledged_on.isoformat()} by {entry.owner}: {entry.reason}); "
                    f"remove it from {used.file or 'the acknowledgements file'}")  # fmt: skip


def _testcase(suite: ET.Element, classname: str, name: str, key: str) -> ET.Element:
    """A testcase with its finding's key as its first property (JUnit allows one <properties> per testcase, first)."""
    case = ET.SubElement(suite, "testcase", classname=classname, name=name)
    if key:
        _property(case, "key", key)
    return case


def _property(case: ET.Element, name: str, value: str) -> None:
    properties = case.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        case.insert(0, properties)
    ET.SubElement(properties, "property", name=name, value=value)


def _warn(case: ET.Element, message: str, ids: tuple[str, ...] = ()) -> None:
    """A warning on a passing testcase: a `warning` property (CI tools that list properties show it) and the same
    words, then its record ids, in <system-out> (shown beside the case by those that do not)."""
    _property(case, "warning", message)
    ET.SubElement(case, "system-out").text = one_per_line((f"warning: {message}", *ids))


def _unit(outcome: CheckOutcome) -> tuple[str, str]:
    return {"death": ("death", "deaths"), "cell": ("cell", "cells")}.get(outcome.level, ("record", "records"))


def _reconcile_suite(suites: ET.Element, release: Release, disclosure: Disclosure) -> None:
    result = release.reconciliation or ReconcileResult()
    suite = ET.SubElement(suites, "testsuite", name="reconcile")
    failures = skipped = 0
    for comparison in result.comparisons:
        name = f"{comparison.measure} {comparison.period_label} {comparison.geography}: {comparison.left} {comparison.relation} {comparison.right}"
        key = comparison.identity.text
        case = _testcase(suite, f"reconcile.{comparison.measure}", name, key)
        failures += comparison.failed
        skipped += settled(comparison) or comparison.status == Status.NOT_COMPARABLE
        if settled(comparison):
            _skip_acknowledged(case, comparison.acknowledgement)
        elif comparison.failed:
            found = f"discrepancy: {observed(comparison, disclosure)} ({expectation(comparison)})"
            failure = ET.SubElement(case, "failure", message=_standing(comparison.acknowledgement, found, disclosure))
            failure.text = printable(comparison_explanation(comparison, release, disclosure))
        elif comparison.status == Status.NOT_COMPARABLE:
            ET.SubElement(case, "skipped", message="not comparable: suppressed or not available")
        elif comparison.status == Status.WITHIN_TOLERANCE:
            ET.SubElement(case, "system-out").text = printable(_within(comparison, release, disclosure))
    for empty in result.empty:
        case = _testcase(suite, f"reconcile.{empty.measure}", f"{empty.measure}: {empty.left} with {empty.right}", empty.identity)
        failures += empty.gating
        skipped += not empty.gating
        if settled(empty):
            _skip_acknowledged(case, empty.acknowledgement)
        else:
            message = f"compared nothing: {empty.reason}"
            ET.SubElement(case, "failure" if empty.gating else "skipped",
                          message=_standing(empty.acknowledgement, message, disclosure) if empty.gating else message)  # fmt: skip
    for gap in result.absent:
        case = _testcase(suite, f"reconcile.{gap.measure}",
                         f"{gap.measure} {gap.period_label} {gap.geography}: {gap.source} deaths in {gap.absent_from}", gap.identity)  # fmt: skip
        failures += gap.gating
        skipped += settled(gap)
        if settled(gap):
            _skip_acknowledged(case, gap.acknowledgement)
        elif gap.gating:
            message = _standing(gap.acknowledgement, f"missing: {gap_sentence(gap, disclosure)}", disclosure)
            failure = ET.SubElement(case, "failure", message=message)
            failure.text = one_per_line(gap.record_ids[:_IDS_LISTED])
        else:
            _warn(case, f"missing: {gap_sentence(gap, disclosure)}", gap.record_ids[:_IDS_LISTED])
    flagged = [a for a in result.anomalies if a.unusual]
    for found in flagged:
        case = _testcase(suite, f"reconcile.{found.measure}",
                         f"{found.measure} {found.period_label} {found.geography} in {found.source}: against its own past", found.identity)  # fmt: skip
        failures += found.blocks
        skipped += settled(found)
        words = f"unusual: {anomaly_text(found, disclosure, withheld_series(result.series, disclosure))}"
        if settled(found):
            _skip_acknowledged(case, found.acknowledgement)
        elif found.blocks:
            ET.SubElement(case, "failure", message=_standing(found.acknowledgement, words, disclosure))
        else:  # informs (no `gate: true`): a warning on a passing case
            _warn(case, words)
    suite.set("tests", str(len(result.comparisons) + len(result.empty) + len(result.absent) + len(flagged)))
    suite.set("failures", str(failures))  # the failing testcases, each decided by the model's rule
    if skipped:  # acknowledged, not comparable, allowed empty
        suite.set("skipped", str(skipped))


def _within(comparison: Comparison, release: Release, disclosure: Disclosure) -> str:
    """A comparison that passes only by its tolerance, with its gap: `within tolerance: csprp 48, dfe_cla 49,
    difference -1 (expected: csprp at least dfe_cla, within a tolerance of 2)`, and why where the facts say."""
    difference = disclosure.difference(comparison)
    gap = f", difference {difference}" if difference and difference != SUPPRESSED else ""
    why = comparison_explanation(comparison, release, disclosure)
    return f"within tolerance: {observed(comparison, disclosure)}{gap} ({expectation(comparison)})" + (f"; {why}" if why else "")
