import json
from pathlib import Path

from .conftest import PEERS, run_cli


def test_json_contract_and_exit_1_on_error(synthetic: Path, tmp_path: Path) -> None:
    out = tmp_path / "ncmd.json"
    result = run_cli(
        "check", "--source", "ncmd", str(synthetic / "ncmd/ncmd_deaths.csv"), "--reference-date", "2023-03-31", "--json", str(out)
    )
    assert result.returncode == 1, result.stderr
    document = json.loads(out.read_text())
    assert document["source"] == "ncmd"
    assert document["records"] > 7000
    checks = {c["id"]: c for c in document["checks"]}
    assert {"age.over_17", "missing.la_code", "date.unparseable", "duplicate.record"} <= set(checks)
    assert checks["age.over_17"]["severity"] == "error"
    assert checks["age.over_17"]["failed"] == len(checks["age.over_17"]["record_ids"]) == 2
    assert "age.over_17" in result.stdout and "FAIL" in result.stdout
    assert "Traceback" not in result.stderr


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    (tmp_path / "sins.csv").write_text(
        "sin_id,la_code,incident_date,notification_date,date_of_birth,sex,nature,looked_after,abuse_neglect\n"
        "S1,E09000001,2023-01-05,2023-01-09,2010-02-01,F,death,current,known\n",
        encoding="utf-8",
    )
    result = run_cli("check", "--source", "csprp", str(tmp_path / "sins.csv"), "--reference-date", "2023-03-31")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout


def test_cin_18_plus_is_a_warning_but_config_can_make_it_an_error(tmp_path: Path) -> None:
    xml = PEERS[0].read_text()
    xml = xml.replace("<ReasonForClosure>RC1</ReasonForClosure>", "<ReasonForClosure>RC2</ReasonForClosure>")
    xml = xml.replace("<PersonDeathDate>1980-10-08", "<PersonDeathDate>1990-10-08")  # aged 25 at death
    (tmp_path / "cin.xml").write_text(xml)
    result = run_cli("check", "--source", "cin", str(tmp_path / "cin.xml"), "--json", str(tmp_path / "a.json"))
    checks = {c["id"]: c for c in json.loads((tmp_path / "a.json").read_text())["checks"]}
    assert checks["age.over_17"]["severity"] == "warning" and checks["age.over_17"]["failed"] == 1
    assert result.returncode == 0, result.stdout
    (tmp_path / "run.yaml").write_text("sources:\n  c: {kind: cin, path: cin.xml, severity: {age.over_17: error}}\n")
    result = run_cli("check", "--source", "cin", str(tmp_path / "cin.xml"), "--config", str(tmp_path / "run.yaml"))
    assert result.returncode == 1


def test_column_mapping_from_config(tmp_path: Path) -> None:
    (tmp_path / "ncmd.csv").write_text(
        "CaseRef,LA,Gender,DOB,DOD,Status\nN1,E09000001,F,2015-01-01,2023-01-01,LAC\n", encoding="utf-8"
    )
    (tmp_path / "run.yaml").write_text(
        "sources:\n  ncmd:\n    kind: ncmd\n    path: ncmd.csv\n    columns: {CaseRef: ncmd_case_id, LA: la_code, Gender: sex,"
        " DOB: date_of_birth, DOD: date_of_death, Status: social_care_status}\n"
    )
    result = run_cli("check", "--source", "ncmd", str(tmp_path / "ncmd.csv"), "--config", str(tmp_path / "run.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_gx_writes_nothing_to_home(synthetic: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli(
        "check",
        "--source",
        "csprp",
        str(synthetic / "csprp/sins.csv"),
        env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")},
    )
    assert result.returncode == 1
    assert list(home.iterdir()) == []
