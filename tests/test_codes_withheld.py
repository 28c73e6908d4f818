"""The codes an `invalid.<field>` check met are a field's values (anything typed there, a name even): shown to the
steward who runs the tool plainly, so that `values:` can map them, and withheld by --redact and --publish from every
output, as record ids are (found in the trial of issue 27)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli

SENTINEL = "SENTINELSEX"
NCMD = ("ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\n"
        f"N1,C1,E06000001,{SENTINEL},2010-01-01,2020-06-01,LAC\nN2,C2,E06000001,M,2010-01-01,2020-07-01,LAC\n")  # fmt: skip


def _every_output(folder: Path) -> str:
    return "".join(path.read_text(encoding="utf-8", errors="replace") for path in sorted(folder.rglob("*")) if path.is_file())


@pytest.mark.parametrize("option", ["--publish", "--redact"])
def test_the_codes_seen_are_withheld_from_every_output(tmp_path: Path, option: str) -> None:
    (tmp_path / "ncmd.csv").write_text(NCMD, encoding="utf-8")
    (tmp_path / "run.yaml").write_text("release: r1\nsources:\n  ncmd: {kind: ncmd, path: ncmd.csv}\n", encoding="utf-8")
    plain = run_cli("run", str(tmp_path / "run.yaml"), "--out", str(tmp_path / "plain"))
    assert plain.returncode == 1 and SENTINEL in plain.stdout and SENTINEL in _every_output(tmp_path / "plain")
    shown = run_cli("run", str(tmp_path / "run.yaml"), "--out", str(tmp_path / "shown"), "--sarif", str(tmp_path / "shown" / "r.sarif"),
                    option, env={"TRIANGULATE_REDACT_KEY": "k" * 32})  # fmt: skip
    assert shown.returncode == 1, shown.stderr
    assert SENTINEL not in shown.stdout + shown.stderr + _every_output(tmp_path / "shown")
    assert "codes seen are withheld" in shown.stdout
