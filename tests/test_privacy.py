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


# --- secondary suppression (reports/suppression.py), on a release built by hand --------------------------------------

YEAR = "2022-04-01/2023-03-31"
DURHAM, NEWCASTLE, BRISTOL = "E06000047", "E08000021", "E06000023"  # two LAs of the North East, one of the South West


def _release(values: dict[str, dict[str, int]], published: dict[str, int] | None = None) -> object:
    """Two record-level sources (and optionally a published table) compared with each other at every place."""
    import datetime as dt

    from triangulate.domain.intervals import Interval
    from triangulate.model.checks import SourceResult
    from triangulate.model.reconciliation import Comparison, ReconcileResult
    from triangulate.model.release import Provenance, Release

    def compare(left: str, right: str, place: str, lv: int, rv: int) -> Comparison:
        status = "agree" if lv == rv else "discrepancy"
        return Comparison("m", YEAR, "2022-23", place, left, right, Interval.exact(lv), Interval.exact(rv), YEAR, YEAR,
                          Interval.exact(lv), Interval.exact(rv), Interval.exact(lv - rv), "==", {}, status)  # fmt: skip

    (left, lv), (right, rv) = values.items()
    comparisons = [compare(left, right, place, lv[place], rv[place]) for place in lv]
    comparisons += [compare("pub", right, place, value, rv[place]) for place, value in (published or {}).items()]
    sources = (SourceResult("pub", "published", 1, 0, None, (), published=True),) if published else ()
    provenance = Provenance(dt.datetime.now(dt.UTC), None, "x", "", (), ())
    return Release("run", sources, ReconcileResult(comparisons=tuple(comparisons)), provenance)


def _recoverable(withheld: frozenset, values: dict[str, int], source: str) -> list[str]:
    from triangulate.reports.disclosure import Cell

    def hidden(place: str) -> bool:
        return Cell(source, "m", YEAR, place) in withheld or 0 < values[place] < 6

    equations = {"England": ["North East", "South West"], "North East": [DURHAM, NEWCASTLE], "South West": [BRISTOL]}
    return [whole for whole, parts in equations.items() if sum(map(hidden, [whole, *parts])) == 1]


def test_a_small_la_is_protected_in_its_region_and_england() -> None:
    from triangulate.reports.suppression import withheld_cells

    x = {"England": 29, "North East": 12, DURHAM: 9, NEWCASTLE: 3, "South West": 17, BRISTOL: 17}
    y = {"England": 60, "North East": 30, DURHAM: 15, NEWCASTLE: 15, "South West": 30, BRISTOL: 30}
    withheld = withheld_cells(_release({"x": x, "y": y}))  # type: ignore[arg-type]
    assert not _recoverable(withheld, x, "x") and not _recoverable(withheld, y, "y")
    assert not {c for c in withheld if c.source == "y"}  # nothing of y needs withholding
    assert all(c.figure == "value" for c in withheld)


def test_two_figures_one_apart_lose_one_and_never_the_published_one() -> None:
    from triangulate.reports.disclosure import Cell
    from triangulate.reports.suppression import withheld_cells

    x = {"England": 30, "South West": 30, BRISTOL: 30}
    y = {"England": 31, "South West": 31, BRISTOL: 31}
    withheld = withheld_cells(_release({"x": x, "y": y}, published={BRISTOL: 31}))  # type: ignore[arg-type]
    assert Cell("pub", "m", YEAR, BRISTOL) not in withheld
    # y's Bristol agrees exactly with the published 31, so it cannot hide; nor can y's South West and England, which
    # equal it: whatever else is withheld, x's figures are, everywhere.
    assert Cell("y", "m", YEAR, BRISTOL) not in withheld
    assert all(Cell("x", "m", YEAR, place) in withheld for place in x)


def test_a_figure_agreeing_with_a_published_one_is_never_the_protection() -> None:
    from triangulate.reports.disclosure import Cell
    from triangulate.reports.suppression import withheld_cells

    x = {"England": 29, "North East": 12, DURHAM: 9, NEWCASTLE: 3, "South West": 17, BRISTOL: 17}
    y = {"England": 29, "North East": 12, DURHAM: 9, NEWCASTLE: 3, "South West": 17, BRISTOL: 17}
    withheld = withheld_cells(_release({"x": x, "y": y}, published={DURHAM: 9}))  # type: ignore[arg-type]
    assert Cell("y", "m", YEAR, DURHAM) not in withheld  # it equals the published 9: withholding it protects nothing
    assert Cell("x", "m", YEAR, DURHAM) not in withheld  # nor x's, which agrees with y's
    assert Cell("y", "m", YEAR, "North East") in withheld and Cell("x", "m", YEAR, "North East") in withheld
