"""A SQLite history that is not there yet is made only when the run records: a run that fails before it records
(bad input, exit 2) leaves no empty history file behind, a run that records makes it, and a folder that cannot hold
one is refused before any work, as before."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import one_error_line, run_cli

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\nN1,C1,E06000001,M,2010-01-01,2020-06-01,LAC\n"


def _config(folder: Path, path: str) -> Path:
    (folder / "r.yaml").write_text(f"release: r1\nsources:\n  ncmd: {{kind: ncmd, path: {path}}}\n", encoding="utf-8")
    return folder / "r.yaml"


def test_a_run_that_fails_on_its_input_leaves_no_history_file(tmp_path: Path) -> None:
    result = run_cli("run", str(_config(tmp_path, "missing.csv")), "--history", str(tmp_path / "h.sqlite"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "missing.csv" in one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_a_run_that_records_makes_the_history_and_the_next_one_reads_it(tmp_path: Path) -> None:
    (tmp_path / "ncmd.csv").write_text(NCMD, encoding="utf-8")
    config = _config(tmp_path, "ncmd.csv")
    for label in ("r1", "r2"):
        config.write_text(config.read_text(encoding="utf-8").replace("release: r1", f"release: {label}"), encoding="utf-8")
        result = run_cli("run", str(config), "--history", str(tmp_path / "h.sqlite"), "--out", str(tmp_path / label))
        assert result.returncode in (0, 1), result.stderr
    first = json.loads((tmp_path / "r1" / "results.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "r2" / "results.json").read_text(encoding="utf-8"))
    assert "since_last_release" not in first  # the new history held no past
    assert second["since_last_release"]["from"]["release"] == "r1"  # the made history is read by the next run


def test_a_new_history_in_a_missing_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "ncmd.csv").write_text(NCMD, encoding="utf-8")
    history = tmp_path / "nowhere" / "h.sqlite"
    result = run_cli("run", str(_config(tmp_path, "ncmd.csv")), "--history", str(history), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "does not exist" in one_error_line(result) and not (tmp_path / "out").exists()
