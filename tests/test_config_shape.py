"""The run config's shape has one definition, config/schema.json (issue 23): the schema and the loader agree on
what they accept, every refusal is one line naming the element by its path, and a source's `id:` (default: its
name) is what everything remembered keys on."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from triangulate.canonical.published import PublishedSettings
from triangulate.canonical.registry import DENOMINATOR, PUBLISHED, SourceOptions
from triangulate.config import RunConfig, default_measures, load_config, parse_measures
from triangulate.config.schema import check_shape, schema
from triangulate.domain.catalogue import SEVERITIES
from triangulate.domain.geography import GEOGRAPHY_LEVELS, PUBLISHED_LEVELS
from triangulate.domain.identity import SOURCE_ID_PATTERN
from triangulate.errors import ConfigError
from triangulate.pipeline.published import check_published_source
from triangulate.reconcile.measures import MISSING_SEVERITIES, RELATIONS

from .conftest import one_error_line, run_cli

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\nN1,,E06000001,M,2010-01-01,2020-06-01,LAC\n"
EES = "time_period,time_identifier,geographic_level,country_code,country_name,measure,number\n"
EES_ROWS = "2022,Reporting year,National,E92000001,England,Deaths,40\n"
SOURCES = "sources:\n  n: {kind: ncmd, path: n.csv}\n"
MEASURE = "measures:\n  - {id: m, select: {n: {}}, period: %s}\n"


def _load(tmp_path: Path, text: str) -> RunConfig:
    (tmp_path / "n.csv").write_text(NCMD)
    (tmp_path / "p.csv").write_text(EES + EES_ROWS)
    (tmp_path / "run.yaml").write_text(text)
    return load_config(tmp_path / "run.yaml")


def _refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, text)
    line = str(refused.value)
    assert "\n" not in line and refused.value.exit_code == 2
    assert line.startswith(f"{tmp_path / 'run.yaml'}: "), line
    return refused.value.message


# --- The schema and the loader agree ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("{start: 01/04/2022, end: 2023-03-31}", "measures[1].period.start: '01/04/2022' is not a YYYY-MM-DD date"),
        ("{start: 2022-04-01, end: '31/03/2023'}", "measures[1].period.end: '31/03/2023' is not a YYYY-MM-DD date"),
        ("{start: '2022-02-30', end: 2023-03-31}", "measures[1].period.start: '2022-02-30' is not a real date"),
        ('{start: "2022-04-01\\n", end: 2023-03-31}', "measures[1].period.start: '2022-04-01\\n' is not a YYYY-MM-DD date"),
        ("{start: 2022-04-01 10:00:00, end: 2023-03-31}", "measures[1].period.start: '2022-04-01T10:00:00' is not a YYYY-MM-DD"),
        ("{start: 2022-04-01}", "measures[1].period: 'end' is a required property"),
        ("{start: 2022-04-01, end: 2023-03-31, by: x}", "measures[1].period: unknown key 'by'; expected one of end, start"),
        ("fiscal_year", "measures[1].period: period must be financial_year, calendar_year or {start: YYYY-MM-DD, end"),
    ],
)
def test_a_measures_period_is_what_the_parser_reads(tmp_path: Path, period: str, message: str) -> None:
    """The schema once let `01/04/2022` through and the parser refused it: now both say YYYY-MM-DD, the same way,
    in a run config, in `parse_measures` and against the schema alone."""
    assert _refused(tmp_path, SOURCES + MEASURE % period).startswith(message)
    node = yaml.safe_load(MEASURE % period)["measures"]
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_measures(node)
    if "real date" not in message:  # a day that does not exist is the one thing the schema cannot see
        with pytest.raises(ConfigError, match=re.escape(message)):
            check_shape({"sources": {"n": {"kind": "ncmd", "path": "n.csv"}}, "measures": node})


def test_an_explicit_period_in_yyyy_mm_dd_is_read(tmp_path: Path) -> None:
    (measure,) = _load(tmp_path, SOURCES + MEASURE % "{start: 2022-01-01, end: '2023-03-31'}").measures
    assert (measure.period_kind, str(measure.explicit_period.start), str(measure.explicit_period.end)) == (
        "explicit", "2022-01-01", "2023-03-31")  # fmt: skip


@pytest.mark.parametrize(
    ("linkage", "message"),
    [
        ("{death_date_days: 100000}", "linkage.death_date_days: 100000 is greater than the maximum of 3650"),
        ("{death_date_days: -1}", "linkage.death_date_days: -1 is less than the minimum of 0"),
        ("{death_date_days: 7.0}", "linkage.death_date_days: 7.0 is not of type 'integer'"),
        ("{death_date_days: true}", "linkage.death_date_days: True is not of type 'integer'"),
        ("{days: 7}", "linkage: unknown key 'days'; expected one of death_date_days"),
    ],
)
def test_the_linkage_window_is_bounded_once(tmp_path: Path, linkage: str, message: str) -> None:
    assert _refused(tmp_path, SOURCES + f"linkage: {linkage}\n") == message


def test_the_linkage_window_at_its_bounds_is_read(tmp_path: Path) -> None:
    assert _load(tmp_path, SOURCES + "linkage: {death_date_days: 3650}\n").link_days == 3650
    assert _load(tmp_path, SOURCES + "linkage: {death_date_days: 0}\n").link_days == 0
    assert _load(tmp_path, SOURCES).link_days == 7


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{kind: ncmd, path: n.csv, colour: red}",
            "sources.s: unknown key 'colour' for kind ncmd; expected one of columns, coverage",
        ),
        ("{kind: ncmd, path: n.csv, rounding: none}", "sources.s: unknown key 'rounding' for kind ncmd"),
        (
            "{kind: published, path: p.csv, rounding: none, la_code: E06000001}",
            "sources.s: unknown key 'la_code' for kind published",
        ),
        (
            "{kind: denominator, path: p.csv, value: number, severity: {}}",
            "sources.s: unknown key 'severity' for kind denominator",
        ),
        (
            "{kind: ncmd, path: n.csv, coverage: {from: 2022-04-01, to: 2023-03-31, by: x}}",
            "sources.s.coverage: unknown key 'by'",
        ),
        (
            "{kind: published, path: p.csv, rounding: {national: 10.0}}",
            "sources.s.rounding.national: 10.0 is not of type 'integer'",
        ),
        (
            "{kind: published, path: p.csv}",
            'sources.s: a published source must declare its rounding, "rounding: none" (exact counts) or',
        ),
        ("{kind: denominator, path: p.csv}", "sources.s: a denominator names its population column with value:"),
        (
            "{kind: published, path: p.csv, rounding: nearest}",
            'sources.s.rounding: a published source must declare its rounding, "rounding',
        ),
        ("{kind: ncmd, path: 5}", "sources.s.path: path must be a file name or a list of them, not 5"),
        ("{kind: ncmd, path: []}", "sources.s.path: [] should be non-empty"),
    ],
)
def test_a_sources_keys_are_those_of_its_kind(tmp_path: Path, source: str, message: str) -> None:
    assert _refused(tmp_path, f"sources:\n  s: {source}\n").startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the config must be a YAML mapping of keys such as sources, not an empty document"),
        ("- a\n- b\n", "the config must be a YAML mapping of keys such as sources, not a list"),
        ("sources: {}\n", "sources: {} should be non-empty"),
        (SOURCES + "sourcse: 1\n", "the config: unknown key 'sourcse'; expected one of acknowledgements, geographies, history, linkage, measures"),
    ],
)
def test_the_document_itself(tmp_path: Path, text: str, message: str) -> None:
    assert _refused(tmp_path, text).startswith(message)


def test_what_the_schema_passed_is_what_is_read(tmp_path: Path) -> None:
    """YAML reads `2024-03-31` as a date: where text is wanted it is the text written, for the schema and the loader
    alike (the loader once got the date object the schema had seen as text, and crashed on it)."""
    (tmp_path / "2024-03-31").write_text(NCMD)
    config = _load(tmp_path, "sources:\n  n: {kind: ncmd, path: [2024-03-31], id: 2024-03-31}\n")
    assert config.sources[0].paths == (tmp_path / "2024-03-31",) and config.source_ids == {"n": "2024-03-31"}
    assert config.raw["sources"]["n"]["path"] == [dt.date(2024, 3, 31)]  # the provenance keeps the YAML as written


def test_the_schema_holds_the_domains_vocabulary() -> None:
    """What the schema spells out (levels, relations, severities, the id's pattern) is the domain's, word for word."""
    defs = schema()["$defs"]
    assert tuple(schema()["properties"]["geographies"]["items"]["enum"]) == GEOGRAPHY_LEVELS
    levels = defs["tolerance"]["anyOf"][2]["properties"]
    assert set(levels) == set(PUBLISHED_LEVELS)
    compare = defs["measure"]["properties"]["compare"]["items"]["properties"]
    assert tuple(compare["relation"]["enum"]) == RELATIONS
    assert tuple(defs["measure"]["properties"]["missing"]["enum"]) == MISSING_SEVERITIES
    assert tuple(defs["severity"]["additionalProperties"]["enum"]) == SEVERITIES
    assert defs["source_id"]["pattern"] == f"^{SOURCE_ID_PATTERN}$"
    assert defs["source"]["if"]["properties"]["kind"]["const"] == PUBLISHED
    assert defs["source"]["else"]["if"]["properties"]["kind"]["const"] == DENOMINATOR


def test_the_shipped_measures_obey_the_schema_of_a_run_configs_measures() -> None:
    from importlib import resources

    shipped = yaml.safe_load(resources.files("triangulate.reconcile").joinpath("measures.yaml").read_text(encoding="utf-8"))
    check_shape(shipped, "measures")
    check_shape({"sources": {"n": {"kind": "ncmd", "path": "n.csv"}}, "measures": shipped})
    assert [m.id for m in default_measures()] == [m["id"] for m in shipped]
    broken = [dict(shipped[0], period={"start": "01/04/2022", "end": "2023-03-31"})]
    with pytest.raises(ConfigError, match=re.escape("defaults): measures[1].period.start: '01/04/2022' is not a YYYY-MM-DD")):
        parse_measures(broken, "measures.yaml (defaults)")


# --- id: on sources --------------------------------------------------------------------------------------------------

ALL_KINDS = """sources:
  ncmd_2024: {kind: ncmd, path: n.csv, id: ncmd}
  csprp: {kind: csprp, path: n.csv, same_file_as: ncmd_2024}
  dfe_pub: {kind: published, path: p.csv, rounding: none, id: dfe.cla-ceased_v2}
  ons: {kind: denominator, path: p.csv, value: number, id: ONS_0_17}
"""


def test_an_id_is_carried_for_every_source_and_defaults_to_its_name(tmp_path: Path) -> None:
    config = _load(tmp_path, ALL_KINDS)
    assert config.source_ids == {"ncmd_2024": "ncmd", "csprp": "csprp", "dfe_pub": "dfe.cla-ceased_v2", "ons": "ONS_0_17"}
    declared = {o.name: o.source_id for o in (*config.sources, *config.published)}
    assert declared == {
        "ncmd_2024": "ncmd",
        "csprp": "",
        "dfe_pub": "dfe.cla-ceased_v2",
    }  # "": its name, as SourceResult.id reads it


def test_a_source_renamed_with_its_id_kept_keeps_its_id(tmp_path: Path) -> None:
    before = _load(tmp_path, "sources:\n  ncmd: {kind: ncmd, path: n.csv}\n")
    after = _load(tmp_path, "sources:\n  ncmd_extract: {kind: ncmd, path: n.csv, id: ncmd}\n")
    assert before.source_ids["ncmd"] == after.source_ids["ncmd_extract"] == "ncmd"


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (
            "a: {kind: ncmd, path: n.csv, id: x}\n  b: {kind: csprp, path: n.csv, id: x, same_file_as: a}",
            "sources.b: id 'x' is also the id of sources.a",
        ),
        (
            "a: {kind: ncmd, path: n.csv}\n  b: {kind: csprp, path: n.csv, id: a, same_file_as: a}",
            "sources.b: id 'a' is also the id of sources.a",
        ),
        (
            "a: {kind: ncmd, path: n.csv, id: b}\n  b: {kind: published, path: p.csv, rounding: none}",
            "sources.b: id 'b' is also the id of sources.a",
        ),
    ],
)
def test_two_sources_with_one_id_are_refused_naming_both(tmp_path: Path, sources: str, message: str) -> None:
    assert _refused(tmp_path, f"sources:\n  {sources}\n").startswith(message)


@pytest.mark.parametrize(
    ("source_id", "shown"),
    [("a b", "'a b'"), ("-x", "'-x'"), ("x" * 65, "'" + "x" * 56 + "..."), ('"x\\n"', "'x\\n'"), ("ncmd/2024", "'ncmd/2024'"),
     ("''", "''"), ("é", "'é'")],
)  # fmt: skip
def test_a_bad_id_is_refused(tmp_path: Path, source_id: str, shown: str) -> None:
    message = _refused(tmp_path, f"sources:\n  n: {{kind: ncmd, path: n.csv, id: {source_id}}}\n")
    assert message.startswith(f"sources.n.id: {shown}") and "is not an id: 1 to 64 letters, digits" in message, message


def test_an_id_is_text(tmp_path: Path) -> None:
    assert (
        _refused(tmp_path, "sources:\n  n: {kind: ncmd, path: n.csv, id: 903}\n") == "sources.n.id: 903 is not of type 'string'"
    )


def test_a_config_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "n.csv").write_text(NCMD)
    (tmp_path / "run.yaml").write_text("sources:\n  a: {kind: ncmd, path: n.csv, id: 'two words'}\n")
    line = one_error_line(run_cli("check", "--source", "ncmd", str(tmp_path / "n.csv"), "--config", str(tmp_path / "run.yaml")))
    assert line.endswith("run.yaml: sources.a.id: 'two words' is not an id: 1 to 64 letters, digits, '_', '.' or '-', the "
                         "first a letter or digit"), line  # fmt: skip


def test_a_published_sources_result_carries_its_id(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(EES + EES_ROWS)
    options = SourceOptions("dfe_pub", PUBLISHED, (tmp_path / "p.csv",), source_id="dfe_cla_ceased")
    result = check_published_source(options, PublishedSettings(), (), {}).result
    assert (result.name, result.id) == ("dfe_pub", "dfe_cla_ceased")
    unnamed = check_published_source(
        SourceOptions("dfe_pub", PUBLISHED, (tmp_path / "p.csv",)), PublishedSettings(), (), {}
    ).result
    assert unnamed.id == "dfe_pub"


def test_a_record_sources_result_carries_its_id(tmp_path: Path) -> None:
    from triangulate.pipeline.check import check_source

    (tmp_path / "n.csv").write_text(NCMD)
    result = check_source(SourceOptions("ncmd_2024", "ncmd", (tmp_path / "n.csv",), source_id="ncmd")).result
    assert (result.name, result.id) == ("ncmd_2024", "ncmd")
