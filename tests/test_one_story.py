"""Every output tells one story: the same explanation of a discrepancy in the console, Markdown, JUnit, JSON and
HTML; figures written one way; and a report folder holds only what this run wrote (no stale measure tables)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from triangulate.domain.intervals import Interval
from triangulate.errors import UsageError
from triangulate.pipeline.outputs import write_outputs
from triangulate.reports.console import render_reconciliation
from triangulate.reports.disclosure import Cell, Disclosure
from triangulate.reports.facts import comparison_explanation, discrepancy_facts, explain_discrepancy
from triangulate.reports.json_report import render_json
from triangulate.reports.junit import render_junit
from triangulate.reports.markdown import render_markdown
from triangulate.reports.verdict import verdict
from triangulate.reports.wording import figure_text

from .test_briefing import Y23, release


@pytest.mark.parametrize("publish", [False, True])
def test_the_explanation_of_a_discrepancy_is_the_same_sentence_in_every_output(publish: bool) -> None:
    rel = release()
    disclosure = Disclosure(publish=publish)
    (discrepancy,) = rel.reconciliation.discrepancies
    sentence = explain_discrepancy(discrepancy_facts(discrepancy, rel.reconciliation, rel), disclosure)
    assert sentence.startswith("the cause is a period shift")
    assert comparison_explanation(discrepancy, rel, disclosure) == sentence
    assert sentence in render_reconciliation(rel, disclosure)
    assert sentence in render_markdown(rel, disclosure)
    assert sentence in render_junit(rel, disclosure)
    failures, _ = verdict(rel, disclosure)
    assert sentence in failures[0]
    explained = {(c["left"], c["right"]): c["explanation"] for c in json.loads(render_json(rel, disclosure))["comparisons"]}
    assert explained == {("csprp", "dfe_cla"): sentence, ("ncmd", "dfe_cla"): ""}  # an exact agreement needs none


def test_a_figure_is_written_one_way_whichever_output_writes_it() -> None:
    cell = Cell("dfe_cla", "lac_deaths", Y23, "E92000001")
    for disclosure in (Disclosure(), Disclosure(publish=True), Disclosure(publish=True, withheld=frozenset({cell}))):
        for value in (0, 3, 49, 1234.0):
            assert figure_text(value, disclosure, cell) == disclosure.figure(cell, Interval.exact(value))
    published = Cell("dfe_pub", "lac_deaths", Y23, "E92000001")
    # A published rounded 10 is public as published; an exact count of 3 is not.
    assert figure_text(Interval(5, 14), Disclosure(publish=True), published) == "5 to 14"
    assert figure_text(Interval.exact(3), Disclosure(publish=True), published) == "c"
    assert figure_text(Interval(5, 14), Disclosure(publish=True, withheld=frozenset({published})), published) == "c"


def test_a_measure_table_left_by_an_earlier_run_is_removed_and_a_stewards_own_file_kept(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    write_outputs(release(), {"html": report}, Disclosure())
    assert (tmp_path / "report.lac_deaths.csv").is_file()
    (tmp_path / "report.old_measure.csv").write_text("period,ncmd,csprp\n2021-22,3,2\n", encoding="utf-8")
    (tmp_path / "report.notes.csv").write_text("who,said\nsteward,check 2022-23 again\n", encoding="utf-8")
    write_outputs(release(), {"html": report}, Disclosure())
    assert not (tmp_path / "report.old_measure.csv").exists()  # a measure no longer configured: its table goes
    assert (tmp_path / "report.lac_deaths.csv").is_file() and (tmp_path / "report.notes.csv").is_file()
    (tmp_path / "report.old_measure.csv").write_text("period,ncmd,csprp\n2021-22,3,2\n", encoding="utf-8")
    write_outputs(release(), {"html": report}, Disclosure(publish=True))
    left = sorted(p.name for p in tmp_path.iterdir())
    # --publish: no file of record ids, and no table of unsuppressed counts from an earlier run, stays beside it
    assert left == ["report.html", "report.lac_deaths.csv", "report.notes.csv", "report.provenance.csv"]
    assert "3" not in (tmp_path / "report.lac_deaths.csv").read_text(encoding="utf-8").split()


def test_an_output_that_would_overwrite_a_measure_table_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    targets = {"html": tmp_path / "report.html", "json": tmp_path / "report.lac_deaths.csv"}
    with pytest.raises(UsageError, match=r"report\.lac_deaths\.csv"):
        write_outputs(release(), targets, Disclosure())
    assert list(tmp_path.iterdir()) == []


def test_an_out_folder_that_is_a_file_is_named_as_such(clean_sample: Path, tmp_path: Path) -> None:
    from .conftest import run_cli

    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    result = run_cli("run", str(clean_sample / "release.yaml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        f"triangulate: error: --out {tmp_path / 'out'}: is a file, not a folder"
    ]
    assert (tmp_path / "out").read_text(encoding="utf-8") == "not a folder"
