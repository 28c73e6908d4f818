"""The CIN census as a flat table (issue 27, item 3): `triangulate convert cin` writes it, a `kind: cin` source reads
it into the raw frame the XML gives, and a run on it gives the XML run's checks, record ids, comparisons and counts."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml
from triangulate.errors import InputError
from triangulate.readers.cin import read_cin
from triangulate.readers.cin_flat import LAYOUT, latest_plans, read_census, read_cin_flat

from .conftest import PEERS, one_error_line, run_cli

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<Message>
<Header><CollectionDetails><ReferenceDate>{date}</ReferenceDate></CollectionDetails><Source><LEA>{lea}</LEA></Source></Header>
<Children>
"""
TAIL = "</Children>\n</Message>\n"
NS = "http://www.govtalk.gov.uk/CM/envelope"


def census(folder: Path, name: str, children: str, lea: str = "201", date: str = "2024-03-31") -> Path:
    path = folder / name
    path.write_text(HEAD.format(lea=lea, date=date) + children + TAIL, encoding="utf-8")
    return path


def plan(start: str, end: str = "") -> str:
    return f"<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate><CPPendDate>{end}</CPPendDate></ChildProtectionPlans>"


def convert(paths: list[Path], target: Path):  # type: ignore[no-untyped-def]
    return run_cli("convert", "cin", *map(str, paths), "--to", str(target))


def without_locations(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in ("_file", "_line", "_path") if c in frame.columns])


def edge_cases(folder: Path) -> list[list[Path]]:
    """Census files that exercise what readers/cin.py decides: which plan, which repeat, which namespace."""
    plans = census(folder, "plans.xml", "<Child><ChildIdentifiers><LAchildID>A</LAchildID><GenderCurrent>1</GenderCurrent>"
        "</ChildIdentifiers><CINdetails><ReasonForClosure>RC2</ReasonForClosure>" + plan("2021-06-01", "first")
        + plan("05/07/2021", "uk, later") + plan("2020-01-01", "earlier") + plan("not a date", "unreadable")
        + plan("  ", "no start") + "</CINdetails>"
        "<CINdetails>" + plan("2022-01-01", "tie, first") + plan(" 2022-01-01 ", "tie, second") + "</CINdetails>"
        "<CINdetails>" + plan("garbage", "only unreadable") + plan("", "blank") + "</CINdetails>"
        "<CINdetails><ChildProtectionPlans><CPPendDate>no start</CPPendDate></ChildProtectionPlans></CINdetails>"
        f'<CINdetails><ChildProtectionPlans><c:CPPstartDate xmlns:c="{NS}"/><CPPstartDate>2019-01-01</CPPstartDate>'
        "</ChildProtectionPlans></CINdetails>"
        f'<CINdetails><ChildProtectionPlans><c:CPPstartDate xmlns:c="{NS}">2018-01-01</c:CPPstartDate>'
        "<CPPstartDate>2017-01-01</CPPstartDate><CPPendDate>2018-02-02</CPPendDate></ChildProtectionPlans></CINdetails>"
        "</Child>\n")  # fmt: skip
    repeats = census(folder, "repeats.xml", "<Child>\n<ChildIdentifiers><LAchildID> A </LAchildID><Sex/></ChildIdentifiers>\n</Child>\n"
        "<Child><LAchildID>not here</LAchildID><ChildIdentifiers><LAchildID>A</LAchildID><UPN>U1</UPN>"
        "<X><Sex>not here</Sex></X><LAchildID>B</LAchildID><PersonDeathDate>2024-01-01</PersonDeathDate></ChildIdentifiers>"
        "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity><Disabilities><Disability>HAND</Disability>"
        "<Disability> HEAR </Disability></Disabilities></ChildCharacteristics>"
        "<CINdetails><CINreferralDate>2020-01-01</CINreferralDate><CINreferralDate> </CINreferralDate>"
        "<ReferralSource>1A</ReferralSource></CINdetails>\n<CINdetails/></Child>\n")  # fmt: skip
    twin = census(folder, "twin.xml", "<Child><ChildIdentifiers><LAchildID>B</LAchildID></ChildIdentifiers></Child>\n")
    other_year = census(folder, "2023.xml", "<Child><ChildIdentifiers><LAchildID>B</LAchildID></ChildIdentifiers></Child>\n",
                        lea="E08000032", date="2023-03-31")  # fmt: skip
    text = PEERS[1].read_text(encoding="utf-8")
    prefixed = text.replace("</", "</c:").replace("<", "<c:").replace("<c:/c:", "</c:").replace("<c:?", "<?")
    (folder / "ns").mkdir()
    spaced = folder / "ns" / PEERS[1].name
    spaced.write_text(prefixed.replace("<c:Message>", f'<c:Message xmlns:c="{NS}">', 1), encoding="utf-8")
    return [list(PEERS), [plans], [repeats, twin, other_year], [spaced]]


def test_the_flat_table_reads_as_the_xml_it_was_converted_from(tmp_path: Path) -> None:
    for number, files in enumerate(edge_cases(tmp_path)):
        from_xml = read_cin(files)
        for suffix in (".parquet", ".csv"):
            target = tmp_path / f"flat{number}{suffix}"
            result = convert(files, target)
            assert result.returncode == 0, result.stderr
            from_table = read_census([target])
            pd.testing.assert_frame_equal(without_locations(from_table), without_locations(from_xml))
            assert from_table["_line"].tolist() == list(range(2, len(from_table) + 2))
            assert set(from_table["_file"]) == {target.name}
    table = pd.read_parquet(tmp_path / "flat2.parquet")
    assert tuple(table.columns) == LAYOUT
    second = table.loc[table["ChildNumber"] == 2].iloc[0]
    assert (second["UPN"], second["Ethnicity"], second["Disabilities"], second["ReferralSource"]) == ("U1", "WBRI", "HAND;HEAR", "1A")
    plans = pd.read_parquet(tmp_path / "flat1.parquet")
    assert plans["CPPstartDate"].iloc[0] == "2021-06-01;05/07/2021;2020-01-01;not a date;"  # every plan, in order
    assert str(table["ChildNumber"].dtype) == "int64"


def test_a_source_may_mix_census_files_and_tables(tmp_path: Path) -> None:
    first, *rest = edge_cases(tmp_path)[2]
    assert convert(rest, tmp_path / "rest.csv").returncode == 0
    mixed = read_census([first, tmp_path / "rest.csv"])
    from_xml = read_cin([first, *rest])
    pd.testing.assert_frame_equal(without_locations(mixed), without_locations(from_xml), check_categorical=False)
    assert mixed["_child"].tolist() == from_xml["_child"].tolist()


def test_latest_plans_pick_as_the_xml_reader_picks() -> None:
    import numpy as np

    starts = np.array(["2020-01-01;2021-01-01", "2021-01-01; 2021-01-01", None, ";2020-05-05", "x", None], dtype=object)
    ends = np.array(["a;b", "first;second", "end only", "c;d", "e", None], dtype=object)
    picked_start, picked_end = latest_plans(starts, ends)
    assert list(zip(picked_start, picked_end, strict=True)) == [
        ("2021-01-01", "b"), ("2021-01-01", "first"), (None, None), ("2020-05-05", "d"), ("x", "e"), (None, None)]  # fmt: skip


HEADER = "LEA,ReferenceDate,LAchildID,PersonBirthDate,GenderCurrent,PersonDeathDate,CINreferralDate,CINclosureDate,ReasonForClosure,CPPstartDate,CPPendDate"


def test_without_child_numbers_a_child_is_its_la_reference_date_and_id(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "\n"
                    "201,2024-03-31,A,2020-01-01,1,2023-05-01,2023-01-01,,,,\n"
                    "201,2024-03-31,A,2020-01-01,1,2023-05-01,2023-02-01,2023-05-01,RC2,2023-02-02,\n"
                    "201,2023-03-31,A,2020-01-01,1,,2022-01-01,,,,\n"
                    "201,2024-03-31,,2020-01-01,1,,2023-01-01,,,,\n"
                    "201,2024-03-31,,2020-01-01,1,,2023-01-01,,,,\n")  # fmt: skip
    assert read_cin_flat(path)["_child"].tolist() == [1, 1, 2, 3, 4]
    result = run_cli("check", "--source", "cin", str(path), "--json", str(tmp_path / "r.json"))
    checks = {c["id"]: c for c in json.loads((tmp_path / "r.json").read_text())["checks"]}
    assert checks["death.date_without_reason"]["failed"] == 0  # the RC2 is on the child's other row
    assert checks["missing.LAchildID"]["locations"] == ["t.csv:5", "t.csv:6"]
    assert "4 records" in result.stdout


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (HEADER.replace(",ReasonForClosure", ",Reason") + "\n201,2024-03-31,A,,1,,2023-01-01,,RC1,,\n", ("t.csv:line 1", "ReasonForClosure")),
        (HEADER.replace(",GenderCurrent", ",Gender") + "\n201,2024-03-31,A,,1,,2023-01-01,,RC1,,\n", ("GenderCurrent or Sex",)),
        (HEADER + "\n201,2024-03-31,A,,1,,2023-01-01,,RC1,,\n999,2024-03-31,B,,1,,2023-01-01,,RC1,,\n", ("t.csv:line 3", "'999'", "LA")),
        (HEADER + "\n", ("t.csv", "no rows")),
    ],
)
def test_a_table_that_is_not_the_layout_is_one_line(tmp_path: Path, body: str, fragments: tuple[str, ...]) -> None:
    (tmp_path / "t.csv").write_text(body)
    line = one_error_line(run_cli("check", "--source", "cin", str(tmp_path / "t.csv")))
    assert all(fragment in line for fragment in fragments), line


def yaml_with(config: Path, cin_path: Path) -> dict:
    """The sample's run config with every path absolute and the CIN source reading `cin_path`."""
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for source in document["sources"].values():
        paths = source["path"] if isinstance(source["path"], list) else [source["path"]]
        source["path"] = [str(config.parent / p) for p in paths]
        if source["kind"] == "cin":
            source["path"] = str(cin_path)
    return document


def comparable(results: dict) -> dict:
    """What a run on the table must share with a run on the XML: all but when, which config, and the CIN source's
    files, locations, and the ids that are locations (a record with no LAchildID is named where it is)."""
    out = {k: v for k, v in results.items() if k not in ("run_at", "config")}
    sources = []
    for source in results["sources"]:
        if source["source"] == "cin":
            checks = []
            for check in source["checks"]:
                located = set(check["locations"])
                ids = ["<location>" if record in located else record for record in check["record_ids"]]
                shown = {k: v for k, v in check.items() if k not in ("locations", "record_ids", "evidence")}
                checks.append({**shown, "record_ids": ids, **({"evidence": check.get("evidence")} if ids == check["record_ids"] else {})})
            years = sorted(set(source["reference_dates"].values()))
            source = {k: v for k, v in source.items() if k not in ("files", "reference_dates", "checks")}
            source |= {"checks": checks, "reference_years": years}
        sources.append(source)
    return out | {"sources": sources}


def test_runs_on_the_xml_and_on_its_tables_give_the_same_results(synthetic: Path, demo_report: Path, tmp_path: Path) -> None:
    xml = sorted(synthetic.glob("cin/*/*.xml"))
    from_xml = json.loads((demo_report / "results.json").read_text(encoding="utf-8"))
    expected = comparable(from_xml)
    cin_xml = next(s for s in from_xml["sources"] if s["source"] == "cin")
    assert cin_xml["deaths"] > 1000 and any(c["failed"] for c in cin_xml["checks"])
    assert any("<location>" in c["record_ids"] for c in expected["sources"][0]["checks"])  # ids that are locations occur
    for suffix in (".parquet", ".csv"):
        table = tmp_path / f"cin{suffix}"
        result = convert(xml, table)
        assert result.returncode == 0, result.stderr
        config = tmp_path / f"run{suffix}.yaml"
        config.write_text(yaml.safe_dump(yaml_with(synthetic / "release.yaml", table), sort_keys=False), encoding="utf-8")
        out = tmp_path / f"out{suffix}"
        run = run_cli("run", str(config), "--out", str(out))
        assert run.returncode == 1, run.stderr
        from_table = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert comparable(from_table) == expected
        cin = next(s for s in from_table["sources"] if s["source"] == "cin")
        assert [f["path"] for f in cin["files"]] == [str(table)]
        assert all(where.startswith(f"cin{suffix}:") for c in cin["checks"] for where in c["locations"])
        assert set(cin["reference_dates"]) == {f"cin{suffix} ({day})" for day in cin["reference_dates"].values()}


def test_convert_refuses_a_bad_census_and_leaves_nothing_behind(tmp_path: Path) -> None:
    good = census(tmp_path, "good.xml", "<Child><ChildIdentifiers><LAchildID>A</LAchildID></ChildIdentifiers></Child>\n")
    text = PEERS[1].read_text(encoding="utf-8")
    (tmp_path / "broken.xml").write_text(text[: len(text) // 2], encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    for target in (out / "new.parquet", out / "new.csv"):
        line = one_error_line(convert([good, tmp_path / "broken.xml"], target))
        assert "broken.xml:line" in line and "malformed XML" in line
    (out / "kept.parquet").write_bytes(b"what was there")
    one_error_line(convert([tmp_path / "broken.xml"], out / "kept.parquet"))
    assert sorted(os.listdir(out)) == ["kept.parquet"] and (out / "kept.parquet").read_bytes() == b"what was there"
    semicolon = census(tmp_path, "semi.xml", "<Child><CINdetails>\n" + plan("2020-01-01;2021-01-01") + "</CINdetails></Child>\n")
    assert "semi.xml:line 6" in one_error_line(convert([semicolon], out / "semi.parquet"))
    assert sorted(os.listdir(out)) == ["kept.parquet"]


def test_convert_refuses_a_target_it_must_not_write(tmp_path: Path) -> None:
    good = census(tmp_path, "good.xml", "<Child><ChildIdentifiers><LAchildID>A</LAchildID></ChildIdentifiers></Child>\n")
    assert ".parquet or .csv" in one_error_line(convert([good], tmp_path / "flat.txt"))
    (tmp_path / "folder.csv").mkdir()
    assert "folder" in one_error_line(convert([good], tmp_path / "folder.csv"))
    renamed = tmp_path / "census.csv"
    renamed.write_bytes(good.read_bytes())
    assert "one of the census files" in one_error_line(convert([renamed], renamed))
    assert renamed.read_bytes() == good.read_bytes()


def test_convert_writes_the_table_whole_and_private(tmp_path: Path) -> None:
    good = census(tmp_path, "good.xml", "<Child><ChildIdentifiers><LAchildID>A</LAchildID></ChildIdentifiers></Child>\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "flat.parquet").write_bytes(b"an older table")
    result = convert([good], tmp_path / "out" / "flat.parquet")
    assert result.returncode == 0, result.stderr
    assert "wrote 1 row (1 child, 1 census file)" in result.stdout
    assert os.listdir(tmp_path / "out") == ["flat.parquet"]  # replaced, no temporary file left
    assert stat.S_IMODE((tmp_path / "out" / "flat.parquet").stat().st_mode) == 0o600  # special category data
    assert read_census([tmp_path / "out" / "flat.parquet"])["LAchildID"].tolist() == ["A"]
    with pytest.raises(InputError, match="not a CIN census table"):
        read_cin_flat(tmp_path / "out" / "flat.parquet", {"LAchildID": "Other"})


def test_the_census_from_a_duckdb_table_gives_what_its_xml_gives(synthetic: Path, demo_report: Path, tmp_path: Path) -> None:
    """The flat census loaded into a database table (url: and table:) is read as the flat file is: the same checks,
    record ids and comparisons as the XML, its rows located `TABLE:N`."""
    import duckdb

    flat = tmp_path / "cin.parquet"
    assert convert(sorted(synthetic.glob("cin/*/*.xml")), flat).returncode == 0
    database = tmp_path / "cin.duckdb"
    connection = duckdb.connect(str(database))
    try:
        connection.execute("CREATE TABLE cin_census AS SELECT * FROM read_parquet(?)", [str(flat)])
    finally:
        connection.close()
    document = yaml_with(synthetic / "release.yaml", flat)
    cin_name = next(name for name, source in document["sources"].items() if source["kind"] == "cin")
    document["sources"][cin_name] = {"kind": "cin", "url": f"duckdb:///{database}", "table": "cin_census"}
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    run = run_cli("run", str(config), "--out", str(tmp_path / "out"))
    assert run.returncode == 1, run.stderr
    from_table = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    from_xml = json.loads((demo_report / "results.json").read_text(encoding="utf-8"))
    assert _unordered(comparable(from_table)) == _unordered(comparable(from_xml))
    cin = next(s for s in from_table["sources"] if s["source"] == "cin")
    assert all(where.startswith("cin_census:") for c in cin["checks"] for where in c["locations"])


def _unordered(found: dict) -> dict:
    """Rows come from a table in its stable order (by LA, reference date and child id), not the files' order: failing
    record ids and the anomalies' order may differ, their sets may not. Reference dates are keyed by file."""
    sources = [{**{k: v for k, v in s.items() if k != "reference_dates"},
                "checks": [{**c, "record_ids": sorted(c["record_ids"])} for c in s["checks"]]} for s in found["sources"]]  # fmt: skip
    return {**found, "sources": sources, "anomalies": sorted(found["anomalies"], key=lambda a: a["key"])}


def test_a_census_in_parquet_is_read_only_for_the_columns_its_checks_read(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = edge_cases(tmp_path)[2]
    assert convert(files, tmp_path / "flat.parquet").returncode == 0
    table = pq.read_table(tmp_path / "flat.parquet")
    # A text column that is not UTF-8 where UPN is: read, it would refuse the file (as it refuses an NCMD extract).
    odd = pa.array([b"\xff"] * table.num_rows, pa.binary()).view(pa.string())
    pq.write_table(table.set_column(table.column_names.index("UPN"), "UPN", odd), tmp_path / "odd.parquet")
    pd.testing.assert_frame_equal(without_locations(read_census([tmp_path / "odd.parquet"])), without_locations(read_cin(files)))
    pq.write_table(pa.table({"ncmd_case_id": ["N1"], "odd": odd.slice(0, 1)}), tmp_path / "ncmd.parquet")
    assert "not UTF-8" in one_error_line(run_cli("check", "--source", "ncmd", str(tmp_path / "ncmd.parquet")))


def test_a_row_holding_only_columns_no_check_reads_is_a_row_in_parquet_as_in_csv(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = edge_cases(tmp_path)[2]
    assert convert(files, tmp_path / "flat.csv").returncode == 0
    table = pd.read_csv(tmp_path / "flat.csv", dtype=str, keep_default_na=False)
    table.loc[len(table)] = {**dict.fromkeys(table.columns, ""), "UPN": "A123456789012", "Ethnicity": "WBRI"}
    table["Unnamed"] = ""  # a column with no name, at the file's last position
    table = table.rename(columns={"Unnamed": ""})
    table.to_csv(tmp_path / "odd.csv", index=False)
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp_path / "odd.parquet")
    from_csv, from_parquet = read_census([tmp_path / "odd.csv"]), read_census([tmp_path / "odd.parquet"])
    assert len(from_csv) == len(table) and from_csv["_line"].tolist() == from_parquet["_line"].tolist()
    pd.testing.assert_frame_equal(without_locations(from_parquet), without_locations(from_csv))
    table.iloc[0, -1] = "x"  # the unnamed column now holds a value: both name its place in the file
    table.to_csv(tmp_path / "odd.csv", index=False)
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp_path / "odd.parquet")
    messages = set()
    for name in ("odd.csv", "odd.parquet"):
        with pytest.raises(InputError) as raised:
            read_census([tmp_path / name])
        messages.add(str(raised.value).split(": ", 1)[1])
    assert messages == {f"column {len(table.columns)} has no name in the header but holds values"}, messages
