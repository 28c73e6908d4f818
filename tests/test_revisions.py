"""`triangulate revisions`: what a new vintage of an EES table revised in the figures already published."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .conftest import run_cli

HEAD = "time_period,time_identifier,geographic_level,country_code,region_code,new_la_code,la_name,cla_group,number,rate"
OLD = [
    "2023,Reporting year,National,E92000001,,,,Looked after at 31 March,83840,70",
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000001,Hartlepool,Looked after at 31 March,300,150",
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000002,Middlesbrough,Looked after at 31 March,c,c",
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000003,Redcar,Looked after at 31 March,40,z",
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000004,Stockton,Looked after at 31 March,500,x",
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000005,Darlington,Looked after at 31 March,250,110",
    "2022,Reporting year,National,E92000001,,,,Looked after at 31 March,82170,70",
]
NEW = [
    "2023,Reporting year,National,E92000001,,,,Looked after on 31 March,83760,70",  # revised, reworded filter
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000001,Hartlepool,Looked after on 31 March,301,150",  # revised by 1
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000002,Middlesbrough,Looked after on 31 March,7,3",  # unsuppressed
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000003,Redcar and Cleveland,Looked after on 31 March,c,z",  # suppressed
    "2023,Reporting year,Local authority,E92000001,E12000001,E06000004,Stockton,Looked after on 31 March,500,z",  # symbol changed
    # Darlington's row is removed
    "2024,Reporting year,National,E92000001,,,,Looked after on 31 March,83630,70",  # a new period: not compared
]


def _vintages(tmp_path: Path, old_head: str = HEAD) -> tuple[Path, Path]:
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text(old_head + "\n" + "\n".join(OLD) + "\n")
    new.write_text(HEAD.replace(",number,", ",children,") + "\n" + "\n".join(NEW) + "\n")
    return old, new


CONFIG = """rounding: {national: 10, regional: 10, local authority: 1}
columns: {number: children}
values: {cla_group: {"Looked after at 31 March": "Looked after on 31 March"}}
"""


def test_every_kind_of_revision_a_rename_a_reworded_value_and_a_removed_row(tmp_path: Path) -> None:
    old, new = _vintages(tmp_path)
    (tmp_path / "rev.yaml").write_text(CONFIG)
    result = run_cli("revisions", str(old), str(new), "--config", str(tmp_path / "rev.yaml"), "--json", str(tmp_path / "r.json"),
                     "--html", str(tmp_path / "r.html"), "--summary-md", str(tmp_path / "r.md"))  # fmt: skip
    assert result.returncode == 1, result.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["periods"] == ["2023"]  # 2022 is in the old vintage only, 2024 in the new only
    assert document["indicators"] == ["children", "rate"]
    assert "la_name" not in document["keys"] and "cla_group" in document["keys"]
    found = {(c["key"].get("new_la_code") or "England", c["indicator"]): c for c in document["cells"]}
    assert found[("England", "children")]["kind"] == "substantive" and found[("England", "children")]["change"] == -80
    assert found[("England", "children")]["transition"] == "revised" and found[("England", "children")]["column_kind"] == "count"
    assert found[("England", "children")]["old_interval"] == [83835, 83844]  # national rounded to 10
    assert found[("E06000001", "children")]["change"] == 1 and found[("E06000001", "children")]["old_interval"] == [300, 300]
    assert (found[("E06000002", "children")]["kind"], found[("E06000002", "children")]["transition"]) == ("suppression", "unsuppressed")
    assert (found[("E06000003", "children")]["kind"], found[("E06000003", "children")]["transition"]) == ("suppression", "suppressed")
    assert (found[("E06000004", "rate")]["kind"], found[("E06000004", "rate")]["transition"]) == ("suppression", "symbol_changed")
    assert len(document["cells"]) == 6  # nothing that did not change is listed
    assert document["rows_removed"] == [{"time_period": "2023", "time_identifier": "Reporting year", "geographic_level": "Local authority",
                                         "country_code": "E92000001", "region_code": "E12000001", "new_la_code": "E06000005",
                                         "cla_group": "Looked after on 31 March"}]  # fmt: skip
    assert document["renamed"] == {"columns": {"number": "children"}, "values": {"cla_group": {"Looked after at 31 March": "Looked after on 31 March"}}}
    assert any("Redcar" in note for note in document["notes"])  # a changed LA name is a note, not a revision
    national = next(s for s in document["stats"] if s["indicator"] == "children" and s["geographic_level"] == "national")
    assert national == {"indicator": "children", "geographic_level": "national", "compared": 1, "revised": 1,
                        "mean_revision": -80, "mean_absolute_revision": 80}  # fmt: skip
    assert document["passed"] is False
    html = (tmp_path / "r.html").read_text()
    assert html.index("Largest revisions") < html.index("Revision statistics") and "<script" not in html
    assert (tmp_path / "r.md").read_text().startswith("## Triangulate revisions: FAIL")


def test_tolerance_both_ways(tmp_path: Path) -> None:
    old, new = _vintages(tmp_path)
    (tmp_path / "rev.yaml").write_text(CONFIG)
    base = ["revisions", str(old), str(new), "--config", str(tmp_path / "rev.yaml"), "--json", str(tmp_path / "r.json")]
    run_cli(*base, "--tolerance-abs", "100", "--tolerance-rel", "0.01")
    cells = json.loads((tmp_path / "r.json").read_text())["cells"]
    revised = {c["key"]["new_la_code"] or "England": c["beyond_tolerance"] for c in cells if c["transition"] == "revised"}
    assert revised == {"England": False, "E06000001": False}  # -80 is within 100; +1 is within 100
    run_cli(*base, "--tolerance-abs", "50", "--tolerance-rel", "0")
    cells = json.loads((tmp_path / "r.json").read_text())["cells"]
    revised = {c["key"]["new_la_code"] or "England": c["beyond_tolerance"] for c in cells if c["transition"] == "revised"}
    assert revised == {"England": True, "E06000001": False}  # -80 exceeds both 50 and 0%; +1 does not exceed 50
    bad = run_cli(*base, "--tolerance-abs", "-1")
    assert bad.returncode == 2 and "--tolerance-abs" in bad.stderr


def test_a_column_in_one_vintage_only_is_refused_with_the_yaml_to_write(tmp_path: Path) -> None:
    old, new = _vintages(tmp_path)
    result = run_cli("revisions", str(old), str(new))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    # One line names the column and the reworded filter value at once, and says how to have the mapping written.
    assert "1 column in the old vintage only (number); 1 column in the new vintage only (children)" in result.stderr
    assert "filter cla_group: 1 value reworded" in result.stderr and "pass `--suggest FILE`" in result.stderr
    result = run_cli("revisions", str(old), str(new), "--suggest", str(tmp_path / "rev.yaml"))
    assert result.returncode == 2 and f"written to {tmp_path / 'rev.yaml'}" in result.stderr
    written = yaml.safe_load((tmp_path / "rev.yaml").read_text())
    assert written == {"columns": {"number": "children"}, "values": {"cla_group": {"Looked after at 31 March": "Looked after on 31 March"}}}
    result = run_cli("revisions", str(old), str(new), "--config", str(tmp_path / "rev.yaml"))
    assert result.returncode == 1, result.stderr  # lined up: it runs, and fails on its revisions


def test_a_file_that_is_not_ees_and_unchanged_vintages(tmp_path: Path) -> None:
    old, _ = _vintages(tmp_path)
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    result = run_cli("revisions", str(old), str(tmp_path / "other.csv"))
    assert result.returncode == 2 and "not an EES open-data file" in result.stderr
    same = run_cli("revisions", str(old), str(old), "--json", str(tmp_path / "s.json"))
    assert same.returncode == 0, same.stdout + same.stderr
    assert json.loads((tmp_path / "s.json").read_text())["cells"] == []
