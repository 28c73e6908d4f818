"""Parquet sources (issue 27, item 1): a `.parquet` file, or a folder of them, reads as its CSV form does: the same
checks, comparisons, record ids and, row for row, the same locations (`file.parquet:N`, N from 2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import yaml
from triangulate.config.run import load_config
from triangulate.errors import InputError
from triangulate.readers.extracts import read_extract
from triangulate.readers.parquet import expand_folders, folder_files, frame_of_strings
from triangulate.readers.tables import read_table
from triangulate.schemas.base import FieldSpec, RuleRegistry, TableSpec

from .conftest import one_error_line, run_cli

CSV_SOURCES = ("ncmd/ncmd_deaths.csv", "csprp/sins.csv", "ssda903/header.csv", "ssda903/episodes.csv", "published/cla_ceased.csv")


def to_parquet(csv: Path) -> tuple[Path, pa.Schema]:
    """The CSV as Parquet, with the types pyarrow infers (integers with nulls, dates), as a user's export would be."""
    table = pa_csv.read_csv(csv)
    target = csv.with_suffix(".parquet")
    pq.write_table(table, target)
    return target, table.schema


def comparable(results: dict, suffix: str = "") -> dict:
    """What must not depend on the files' form: everything but when, which config, and the files' own names and
    digests; a location keeps its row, with the file's suffix made `suffix`."""
    out = {k: v for k, v in results.items() if k not in ("run_at", "config", "published_files")}
    sources = []
    for source in results["sources"]:
        source = {k: v for k, v in source.items() if k != "files"}
        source["checks"] = [
            {**check, "locations": [where.replace(".csv:", suffix + ":").replace(".parquet:", suffix + ":")
                                    for where in check["locations"]]}
            for check in source["checks"]
        ]  # fmt: skip
        sources.append(source)
    out["sources"] = sources
    return out


def test_the_synthetic_release_from_parquet_gives_what_its_csvs_give(synthetic: Path, demo_report: Path, tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(synthetic, sample)
    types: set[str] = set()
    config = (sample / "release.yaml").read_text(encoding="utf-8")
    for name in CSV_SOURCES:
        _, schema = to_parquet(sample / name)
        (sample / name).unlink()  # the run must read the Parquet file, not the CSV beside it
        types |= {str(field.type) for field in schema}
        config = config.replace(name, str(Path(name).with_suffix(".parquet")))
    assert {"int64", "date32[day]", "string"} <= types  # typed columns, not only text, are exercised
    (sample / "release.yaml").write_text(config, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("run", str(sample / "release.yaml"), "--out", str(out))
    assert result.returncode == 1, result.stderr  # the sample's injected defects, as from CSV
    from_csv = json.loads((demo_report / "results.json").read_text(encoding="utf-8"))
    from_parquet = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert comparable(from_parquet, ".x") == comparable(from_csv, ".x")
    failing = [c for s in from_parquet["sources"] if s["source"] != "cin" for c in s["checks"] if c["failed"]]
    assert failing and all(where.split(":")[0].endswith(".parquet") for c in failing for where in c["locations"])
    assert len(from_parquet["comparisons"]) > 100
    # Provenance: each Parquet file's bytes, hashed as they were read.
    for source in from_parquet["sources"]:
        for file in source["files"]:
            if file["path"].endswith(".parquet"):
                data = Path(file["path"]).read_bytes() if Path(file["path"]).is_absolute() else (sample / file["path"]).read_bytes()
                assert (file["size"], file["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert [f["path"].endswith("cla_ceased.parquet") for f in from_parquet["published_files"]] == [True]


def test_typed_columns_read_as_their_csv_text(tmp_path: Path) -> None:
    table = pa.table({
        "ncmd_case_id": pa.array([" N1 ", "N2", "N3", ""], pa.string()),
        "primary_category": pa.array([1, None, 10, 3], pa.int64()),
        "date_of_death": pa.array([dt.date(2023, 1, 31), None, dt.date(2022, 12, 1), dt.date(2020, 2, 29)], pa.date32()),
        "death_notified_date": pa.array([dt.datetime(2023, 2, 1), dt.datetime(2023, 2, 1, 9, 30), None, None], pa.timestamp("ns")),
        "weight": pa.array([12.0, 12.5, None, float("nan")], pa.float64()),
        "flag": pa.array([True, False, None, True]),
        "la_code": pa.array(["E09000032", "E09000032", None, None]).dictionary_encode(),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "x.parquet")
    frame = read_table(tmp_path / "x.parquet", expected_columns=())
    cells = frame.astype(object).where(frame.notna(), None)
    assert cells.drop(columns=["_file"]).to_dict("list") == {
        "ncmd_case_id": ["N1", "N2", "N3", None],
        "primary_category": ["1", None, "10", "3"],  # an integer column with nulls: never 12.0
        "date_of_death": ["2023-01-31", None, "2022-12-01", "2020-02-29"],
        "death_notified_date": ["2023-02-01", "2023-02-01", None, None],  # a timestamp: the day it falls on
        "weight": ["12.0", "12.5", None, None],  # a float column as Python writes it; NaN is blank
        "flag": ["true", "false", None, "true"],
        "la_code": ["E09000032", "E09000032", None, None],
        "_line": [2, 3, 4, 5],
    }
    assert set(frame["_file"]) == {"x.parquet"}
    # The CSV of the same cells reads the same, row for row.
    csv = tmp_path / "x.csv"
    csv.write_text("ncmd_case_id,primary_category,date_of_death\n N1 ,1,2023-01-31\nN2,,\nN3,10,2022-12-01\n,3,2020-02-29\n")
    from_csv = read_table(csv, expected_columns=())
    pd.testing.assert_frame_equal(from_csv.drop(columns="_file"), frame[list(from_csv.columns)].drop(columns="_file"))


def test_pandas_nullable_integers_stay_whole_and_columns_are_mapped(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Case": ["A", "B"], "Category": pd.array([7, None], dtype="Int64")})
    frame.to_parquet(tmp_path / "p.parquet", engine="pyarrow", index=False)
    read = read_table(tmp_path / "p.parquet", expected_columns=(), column_map={"Case": "ncmd_case_id"})
    assert list(read.columns) == ["ncmd_case_id", "Category", "_line", "_file"]
    assert read["Category"].tolist()[0] == "7" and pd.isna(read["Category"].tolist()[1])


def test_parquet_is_known_by_its_mark_whatever_its_name(tmp_path: Path) -> None:
    pq.write_table(pa.table({"ncmd_case_id": ["A"]}), tmp_path / "extract.csv")  # Parquet bytes, a CSV's name
    assert read_table(tmp_path / "extract.csv", expected_columns=())["ncmd_case_id"].tolist() == ["A"]


def test_a_row_with_nothing_in_it_is_dropped_and_the_rest_keep_their_rows(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": ["x", None, " ", "y"], "b": pa.array([1, None, None, 2], pa.int32())}), tmp_path / "g.parquet")
    frame = read_table(tmp_path / "g.parquet", expected_columns=())
    assert frame[["a", "b", "_line"]].values.tolist() == [["x", "1", 2], ["y", "2", 5]]


def test_frame_of_strings_takes_any_arrow_table_and_a_first_line() -> None:
    """What a database chunk reader reuses: any Arrow table, its own label, its rows numbered on from a later line."""
    frame = frame_of_strings(pa.table({"CHILD": pa.array([5, None], pa.int64())}), "schema.header", first_line=10)
    assert frame["CHILD"].tolist()[0] == "5" and frame["_line"].tolist() == [10] and set(frame["_file"]) == {"schema.header"}
    with pytest.raises(InputError, match=r"schema\.t:line 1, column 2: column 'a' appears twice"):
        frame_of_strings(pa.table([pa.array(["1"]), pa.array(["2"])], names=["a", "a"]), "schema.t")


def test_a_folder_of_two_parquet_files_is_each_file_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "deaths.parquet"  # as Spark writes one table: a folder of parts
    folder.mkdir()
    pq.write_table(pa.table({"ncmd_case_id": ["B1", "B2"]}), folder / "part-1.parquet")
    pq.write_table(pa.table({"ncmd_case_id": ["A1"]}), folder / "part-0.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    pq.write_table(pa.table({"ncmd_case_id": ["hidden"]}), folder / ".part-2.parquet")
    files = expand_folders([folder, tmp_path / "other.csv"])
    assert files == (folder / "part-0.parquet", folder / "part-1.parquet", tmp_path / "other.csv")
    frame = read_extract(files[:2], TableSpec("ids", (FieldSpec("ncmd_case_id", must_exist=True),), RuleRegistry("ids")))
    assert list(zip(frame["ncmd_case_id"], frame["_file"], frame["_line"], strict=True)) == [
        ("A1", "part-0.parquet", 2), ("B1", "part-1.parquet", 2), ("B2", "part-1.parquet", 3)]  # fmt: skip
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"is a folder, not a regular file, and holds no \.parquet file"):
        folder_files(empty)


def test_a_config_path_naming_a_folder_reads_its_parquet_files(tmp_path: Path) -> None:
    folder = tmp_path / "ncmd.parquet"
    folder.mkdir()
    for name in ("a", "b"):
        pq.write_table(pa.table({"ncmd_case_id": [name]}), folder / f"{name}.parquet")
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({"reference_date": "2023-03-31",
                                                       "sources": {"ncmd": {"kind": "ncmd", "path": "ncmd.parquet"}}}))  # fmt: skip
    (source,) = load_config(tmp_path / "run.yaml").sources
    assert source.paths == (folder / "a.parquet", folder / "b.parquet")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("named.parquet", b"ncmd_case_id\nA\n"),  # a CSV named .parquet: no PAR1 mark
        ("marked.parquet", b"PAR1" + b"\x00garbage" * 20 + b"PAR1"),  # the marks, no readable footer
        ("truncated.parquet", None),  # a real file cut short
    ],
)
def test_a_corrupt_parquet_file_is_one_line_naming_it(tmp_path: Path, name: str, content: bytes | None) -> None:
    path = tmp_path / name
    if content is None:
        pq.write_table(pa.table({"ncmd_case_id": [f"N{n}" for n in range(500)]}), tmp_path / "whole.parquet")
        whole = (tmp_path / "whole.parquet").read_bytes()
        content = whole[: len(whole) // 2] + whole[-4:]
    path.write_bytes(content)
    result = run_cli("check", "--source", "ncmd", str(path), "--json", str(tmp_path / "r.json"))
    line = one_error_line(result)
    assert name in line and "Parquet" in line
    assert not (tmp_path / "r.json").exists()


def test_a_corrupt_column_chunk_never_aborts_the_process(tmp_path: Path) -> None:
    """One byte of this file's footer, changed, made pyarrow 26 abort the process (an uncaught C++ exception, exit
    -6, no message) when a column chunk's metadata was built; reading the file raises an error instead, which is
    one line. (The byte is where pyarrow 26 writes it; with another writer the change still must not crash.)"""
    table = pa.table({
        "a": ["x", "y", None] * 50,
        "b": pa.array([1, None, 3] * 50),
        "d": [dt.date(2020, 1, 1), None, dt.date(2021, 2, 3)] * 50,
        "f": [1.5, None, 2.0] * 50,
        "ts": pa.array([dt.datetime(2020, 1, 1, 3), None, dt.datetime(2021, 2, 3)] * 50),
        "l": [[1], None, [2, 3]] * 50,
        "c": pa.array(["p", "q", None] * 50).dictionary_encode(),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "whole.parquet", compression="snappy")
    data = bytearray((tmp_path / "whole.parquet").read_bytes())
    data[845] = 72
    (tmp_path / "bent.parquet").write_bytes(bytes(data))
    result = run_cli("check", "--source", "ncmd", str(tmp_path / "bent.parquet"))
    assert result.returncode in (0, 1, 2) and "Traceback" not in result.stderr, result.stderr
    if result.returncode == 2:
        assert "bent.parquet: not a readable Parquet file" in one_error_line(result)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_part_without_a_required_column_is_refused_naming_it(tmp_path: Path, suffix: str) -> None:
    """Joined, the other part's column would hide it: its rows read as deaths with no date, not refused."""
    columns = ["ncmd_case_id", "child_id", "la_code", "sex", "date_of_birth", "date_of_death", "social_care_status"]
    whole = pd.DataFrame([["N1", "C1", "E06000001", "M", "2010-01-01", "2020-06-01", "LAC"]], columns=columns)
    part = whole.drop(columns=["date_of_death"]).assign(ncmd_case_id="N2")
    for name, frame in (("a", whole), ("b", part)):
        if suffix == ".csv":
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
        else:
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / f"{name}.parquet")
    result = run_cli("check", "--source", "ncmd", str(tmp_path / f"a{suffix}"), str(tmp_path / f"b{suffix}"))
    line = one_error_line(result)
    assert line.startswith(f"triangulate: error: b{suffix}:line 1: required column(s) date_of_death not found")


def test_an_ssda903_episodes_file_without_dec_beside_one_with_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_text("CHILD,SEX,DOB\nC1,1,01/01/2010\nC2,2,01/01/2011\n", encoding="utf-8")
    (tmp_path / "ep1.csv").write_text("CHILD,DECOM,DEC,REC\nC1,01/04/2020,01/06/2020,E2\n", encoding="utf-8")
    (tmp_path / "ep2.csv").write_text("CHILD,DECOM,REC\nC2,01/04/2020,E2\n", encoding="utf-8")
    result = run_cli("check", "--source", "ssda903", *(str(tmp_path / n) for n in ("header.csv", "ep1.csv", "ep2.csv")))
    assert one_error_line(result).startswith("triangulate: error: ep2.csv:line 1: required column(s) DEC not found")
