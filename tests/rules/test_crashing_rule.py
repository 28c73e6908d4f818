"""A rule that raises must be reported as crashed, never as passed."""

import pandas as pd
from triangulate.model.checks import CheckOutcome
from triangulate.schemas.base import FieldSpec, RuleRegistry, TableSpec, run_schema


def test_a_rule_that_raises_is_crashed_not_passed():
    registry = RuleRegistry("test")

    @registry.register("demo.broken", "always raises")
    def _broken(frame: pd.DataFrame) -> pd.Series:
        raise KeyError("no such column")

    spec = TableSpec("test", (FieldSpec("id", required=True, must_exist=True),), registry)
    frame = pd.DataFrame({"id": ["a", "b"], "_file": "t.csv", "_line": [2, 3]})
    findings = run_schema(frame, spec)
    assert "demo.broken" in findings.crashed
    assert "demo.broken" not in findings.failing_rows
    outcome = CheckOutcome("demo.broken", "warning", "always raises", 0, crashed=True)
    assert outcome.status == "crashed" and outcome.blocks_release


def test_a_crash_reports_the_exception_class_not_the_data() -> None:
    from triangulate.errors import crash_detail

    assert crash_detail("ValueError: invalid literal for int() with base 10: '2010-05-01'") == "raised ValueError"
    assert crash_detail("something went wrong with 'N0001'") == "raised an exception"
