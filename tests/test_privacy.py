"""No output says more than it needs: never a date of birth or of death, only record ids and counts."""

import csv
import re
from pathlib import Path

import pytest

DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})\b")


def _personal_dates(sample: Path) -> set[str]:
    """Every date of birth and of death in the synthetic inputs, in ISO form."""
    found: set[str] = set()
    for path, columns in (
        (sample / "ncmd" / "ncmd_deaths.csv", ("date_of_birth", "date_of_death")),
        (sample / "csprp" / "sins.csv", ("date_of_birth", "incident_date")),
        (sample / "ssda903" / "header.csv", ("DOB",)),
    ):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                found |= {row[c] for c in columns if row.get(c)}
    for xml in sample.glob("cin/*/*.xml"):
        found |= set(re.findall(r"<Person(?:Birth|Death)Date>([^<]+)<", xml.read_text(encoding="utf-8")))
    return {_iso(d) for d in found if DATE.fullmatch(d)}


def _iso(text: str) -> str:
    if "/" in text:
        day, month, year = text.split("/")
        return f"{year}-{month}-{day}"
    return text


def _allowed(config_text: str) -> set[str]:
    """Dates an output may carry: period bounds and the reference date, which describe the release, not a child."""
    bounds = {f"{year}-04-01" for year in range(1990, 2040)} | {f"{year}-03-31" for year in range(1990, 2040)}
    return bounds | set(re.findall(r"reference_date: (\d{4}-\d{2}-\d{2})", config_text))


@pytest.mark.parametrize("options", [(), ("--publish",)])
def test_no_output_carries_a_birth_or_death_date(synthetic: Path, tmp_path: Path, options: tuple[str, ...]) -> None:
    from .conftest import run_cli

    result = run_cli("run", str(synthetic / "release.yaml"), "--out", str(tmp_path), *options)
    assert result.returncode == 1, result.stderr
    personal = _personal_dates(synthetic)
    assert len(personal) > 1000  # the search has something to find
    outputs = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    outputs |= {"stdout": result.stdout, "stderr": result.stderr}
    allowed = _allowed((synthetic / "release.yaml").read_text(encoding="utf-8"))
    for name, text in outputs.items():
        leaked = {_iso(d) for d in DATE.findall(text)} & personal - allowed
        assert not leaked, f"{name} carries personal dates such as {sorted(leaked)[:3]}"
