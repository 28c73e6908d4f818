"""Issue 22 item 6: names from the real world, and files that are not what they seem.

- A name holding control characters (a file named `evil\\nPASS all checks\\x1b[31m.csv`, a source named so in the
  run config) is escaped in every output and on the console: it forges no line in a CI log and recolours nothing.
- A config that is a FIFO, a device or a folder is refused at once, never waited on; a data file swapped for a
  FIFO between its stat and its open is refused too.
- Provenance certifies the very bytes that were parsed: a file appended to while it is checked is recorded with
  the bytes that were checked, not the bytes it has afterwards.
- A release label is one short printable line, else exit 2 at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from triangulate.domain.inputs import MAX_LABEL, label_problem, printable
from triangulate.errors import ConfigError, InputError

from .conftest import DATA, TRIANGULATE, run_cli

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status"
ROWS = ("N1,,E06000001,M,2010-01-01,2020-06-01,LAC", ",,E06000001,M,2011-01-01,2020-07-01,LAC")  # N2 has no id: named by file:line
EVIL = "evil\nPASS all checks\x1b[31m"
EVIL_FILE = EVIL + ".csv"
SHOWN = "evil\\nPASS all checks\\x1b[31m"  # as every output but the JSON writes it
EES = "time_period,time_identifier,geographic_level,country_code,country_name,measure,number"
EES_ROWS = ("2022,Reporting year,National,E92000001,England,Deaths,40", "2023,Reporting year,National,E92000001,England,Deaths,50")


def _yaml_text(text: str) -> str:
    """A YAML double-quoted scalar holding `text` exactly (YAML's escapes for the line break and ESC)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\x1b", "\\e") + '"'


def _ncmd_file(folder: Path, name: str = EVIL_FILE) -> Path:
    path = folder / name
    path.write_text(NCMD + "\n" + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


# --- One escape for every name ---------------------------------------------------------------------------------


def test_printable_escapes_exactly_the_control_characters_line_separators_and_bidi_overrides() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        # The explicit bidirectional embeddings, overrides and isolates: U+202A-U+202E and U+2066-U+2069.
        bidi = unicodedata.bidirectional(char) in ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI")
        unsafe = unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in "\ufffe\uffff" or bidi
        shown = printable(char)
        if unsafe:
            assert shown != char and shown.startswith("\\") and shown.isascii() and shown.isprintable(), hex(code)
        else:
            assert shown == char, hex(code)
    assert printable("a\nb\rc\td\x1be\u2028f\x85") == "a\\nb\\rc\\td\\x1be\\u2028f\\x85"
    assert printable("\u202egnp.exe\u2066") == "\\u202egnp.exe\\u2066"
    assert printable("x\ny", keep="\n") == "x\ny"


def _no_forged_line(text: str) -> None:
    """No line of `text` is, or starts with, what the name tried to inject; no raw ESC reaches a terminal."""
    for line in text.splitlines():
        assert not line.strip().startswith("PASS all checks"), text
        assert "\x1b" not in line, text
    assert "\u2028" not in text and "\u2029" not in text


def _raw_controls(text: str) -> set[str]:
    """Control characters in a file, other than its own line breaks and tabs."""
    return {char for char in text if unicodedata.category(char) in ("Cc", "Zl", "Zp") and char not in "\n\t"}


def _outputs_escape_the_name(junit: Path, html: Path) -> None:
    from lxml import etree
    from lxml import html as lxml_html

    junit_text = junit.read_text(encoding="utf-8")
    etree.fromstring(junit_text.encode("utf-8"))  # well-formed XML 1.0: no character it cannot hold
    assert not _raw_controls(junit_text) and SHOWN in junit_text
    html_text = html.read_text(encoding="utf-8")
    lxml_html.document_fromstring(html_text)
    assert not _raw_controls(html_text) and SHOWN in html_text


def test_check_of_a_file_named_to_forge_a_line_escapes_it_everywhere(tmp_path: Path) -> None:
    source = _ncmd_file(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("check", "--source", "ncmd", str(source), "--reference-date", "2024-03-31", "--junit", str(out / "j.xml"),
                     "--html", str(out / "r.html"), "--json", str(out / "r.json"))  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    _no_forged_line(result.stdout + result.stderr)
    assert f"{SHOWN}.csv:3" in result.stdout  # the record without an id, named by its file and line, on one line
    _outputs_escape_the_name(out / "j.xml", out / "r.html")
    document = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert document["files"][0]["path"] == str(source)  # JSON keeps the name exact (JSON escapes it itself)


def test_run_with_a_config_naming_the_file_and_the_source_so_escapes_them_everywhere(tmp_path: Path) -> None:
    _ncmd_file(tmp_path)
    config = tmp_path / "run.yaml"
    config.write_text(f"reference_date: 2024-03-31\nsources:\n  {_yaml_text(EVIL)}:\n    kind: ncmd\n"
                      f"    path: {_yaml_text(EVIL_FILE)}\n", encoding="utf-8")  # fmt: skip
    out = tmp_path / "out"
    result = run_cli("run", str(config), "--out", str(out))
    assert result.returncode in (0, 1), result.stderr
    _no_forged_line(result.stdout + result.stderr)
    assert f"  {SHOWN} (ncmd)" in result.stdout
    markdown = (out / "summary.md").read_text(encoding="utf-8")
    _no_forged_line(markdown)
    assert SHOWN in markdown and not _raw_controls(markdown)
    _outputs_escape_the_name(out / "junit.xml", out / "report.html")
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert EVIL in {source["name"] for source in document["sources"]}


# --- Release labels --------------------------------------------------------------------------------------------


def test_a_release_label_is_a_short_printable_line() -> None:
    assert label_problem("2024-25 provisional (rev. 2) — England") is None
    assert label_problem("x" * MAX_LABEL) is None
    assert "at most 200" in (label_problem("x" * (MAX_LABEL + 1)) or "")
    for bad in ("a\nb", "a\x1b[31mb", "a\u2028b", "a\rb", "a\x00b"):
        assert "one line of printable text" in (label_problem(bad) or ""), repr(bad)


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, float]:
    from triangulate.cli import main

    started = time.monotonic()
    with pytest.raises(SystemExit) as done:
        main(argv)
    return int(done.value.code or 0), capsys.readouterr().err, time.monotonic() - started


@pytest.mark.parametrize("label", ["r" * 1_000_000, "2024\nPASS all checks", "2024\x1b[31m"], ids=["1 MB", "newline", "ESC"])
def test_a_bad_release_label_is_exit_2_at_once(label: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _ncmd_file(tmp_path, "n.csv")
    code, err, took = _main(["check", "--source", "ncmd", str(source), "--release", label], capsys)
    assert code == 2 and took < 5
    (line,) = err.strip().splitlines()
    assert line.startswith("triangulate: error: --release: a release label") and len(line) < 300
    config = tmp_path / "run.yaml"
    config.write_text(f"release: {_yaml_text(label)}\nsources:\n  n: {{kind: ncmd, path: n.csv}}\n", encoding="utf-8")
    code, err, took = _main(["run", str(config), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and took < 5 and not (tmp_path / "out").exists()
    (line,) = err.strip().splitlines()
    assert line.startswith(f"triangulate: error: {config}: release: a release label") and len(line) < 400


# --- Configs and data files that are not regular files ---------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    os.mkfifo(path, 0o600)
    return path


def _refused_at_once(*args: str) -> str:
    """Run the CLI; it must end with exit 2 in seconds (a FIFO read would wait for ever) and one stderr line."""
    result = subprocess.run([*TRIANGULATE, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    return line


def test_a_config_that_is_a_fifo_is_refused_at_once(fifo: Path, tmp_path: Path) -> None:
    data = _ncmd_file(tmp_path, "n.csv")
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text(EES + "\n" + "\n".join(EES_ROWS) + "\n")
    new.write_text(EES + "\n" + "\n".join(EES_ROWS) + "\n")
    for argv in (("run", str(fifo), "--out", str(tmp_path / "out")), ("check", "--source", "ncmd", str(data), "--config", str(fifo)),
                 ("revisions", str(old), str(new), "--config", str(fifo))):  # fmt: skip
        line = _refused_at_once(*argv)
        assert line == f"triangulate: error: {fifo}: not a regular file (a FIFO)", line


@pytest.mark.parametrize(("where", "what"), [("folder", "a folder"), ("/dev/zero", "a character device")])
def test_a_config_that_is_a_folder_or_a_device_is_refused(where: str, what: str, tmp_path: Path) -> None:
    from triangulate.config import load_config

    path = tmp_path if where == "folder" else Path(where)
    with pytest.raises(ConfigError, match=f"not a regular file \\({what}\\)"):
        load_config(path)


@pytest.fixture
def alarm() -> Iterator[None]:
    """A test that would hang on a FIFO fails after 20 s instead."""

    def hung(*_: object) -> None:
        raise TimeoutError("hung on a FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_regular_file_swapped_for_a_fifo_after_its_stat_is_refused_not_waited_on(
    fifo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alarm: None
) -> None:
    from triangulate.readers import files

    regular = os.stat(_ncmd_file(tmp_path, "n.csv"))
    real_stat = os.stat
    monkeypatch.setattr(files.os, "stat", lambda path, *a, **k: regular if Path(path) == fifo else real_stat(path, *a, **k))
    with pytest.raises(InputError, match=r"not a regular file \(a FIFO\)"):
        files.open_regular(fifo)
    with pytest.raises(ConfigError, match=r"not a regular file \(a FIFO\)"):
        files.open_regular(fifo, ConfigError)


# --- Provenance is of the bytes parsed -------------------------------------------------------------------------

APPENDED = b"9,more,rows,written,after,the,read\n"  # never parsed, so any bytes will do


@pytest.fixture
def appended_after_read(monkeypatch: pytest.MonkeyPatch) -> dict[Path, bytes]:
    """Each input is appended to the moment its reader has read it to its end (before the parse is over): what a
    writer still filling the file does. Returns each file's bytes as they were read."""
    from triangulate.readers.files import HashedInput

    real = HashedInput.read
    before: dict[Path, bytes] = {}

    def read_then_append(self: HashedInput, size: int = -1) -> bytes:
        if self.path not in before:
            before[self.path] = self.path.read_bytes()
        data = real(self, size)
        if size >= 0 and not data and self.size == len(before[self.path]):  # its end: the reader has all it will parse
            with self.path.open("ab") as handle:
                handle.write(APPENDED)
        return data

    monkeypatch.setattr(HashedInput, "read", read_then_append)
    return before


def _as_parsed(file: object, before: dict[Path, bytes]) -> None:
    path = Path(file.path)  # type: ignore[attr-defined]
    parsed = before[path]
    assert file.sha256 == hashlib.sha256(parsed).hexdigest() and file.size == len(parsed)  # type: ignore[attr-defined]
    assert path.read_bytes() != parsed, "the file was not appended to"


@pytest.mark.parametrize(("kind", "files"), [
    ("ncmd", ("n.csv",)), ("cin", ("CIN_Census_2024.xml", "CIN_Census_2021.xml")), ("ssda903", ("fake_903_excerpt.xml",)),
])  # fmt: skip
def test_a_source_appended_to_while_it_is_read_is_certified_by_the_bytes_checked(
    kind: str, files: tuple[str, ...], tmp_path: Path, appended_after_read: dict[Path, bytes]
) -> None:
    from triangulate.canonical.registry import SourceOptions
    from triangulate.pipeline.check import check_piece

    paths = []
    for name in files:
        if name == "n.csv":
            paths.append(_ncmd_file(tmp_path, name))
        else:
            paths.append(Path(shutil.copy(DATA / name if kind == "cin" else DATA / "ssda903_xml" / name, tmp_path / name)))
    options = SourceOptions(name=kind, kind=kind, paths=tuple(paths), reference_date=dt.date(2024, 3, 31))
    piece = check_piece(options)
    assert [f.path for f in piece.files] == [str(p) for p in paths]
    for file in piece.files:
        _as_parsed(file, appended_after_read)
    # The records counted are those of the bytes hashed: a copy holding exactly them counts the same.
    for path in paths:
        path.write_bytes(appended_after_read[path])
    assert check_piece(options).records == piece.records


def test_published_tables_denominators_and_both_vintages_are_certified_by_the_bytes_read(
    tmp_path: Path, appended_after_read: dict[Path, bytes]
) -> None:
    from triangulate.canonical.published import DenominatorOptions, PublishedSettings
    from triangulate.canonical.registry import SourceOptions
    from triangulate.config.revisions import RevisionsConfig
    from triangulate.pipeline.published import check_published_source
    from triangulate.pipeline.release import read_denominator
    from triangulate.pipeline.revisions import run_revisions

    old, new, table = tmp_path / "old.csv", tmp_path / "new.csv", tmp_path / "table.csv"
    for path in (old, new, table):
        path.write_text(EES + "\n" + "\n".join(EES_ROWS) + "\n")
    revisions = run_revisions([old, new], RevisionsConfig())
    checked = check_published_source(SourceOptions("pub", "published", (table,)), PublishedSettings(), (), {})
    assert revisions.old.rows == revisions.new.rows == len(EES_ROWS)
    _as_parsed(revisions.old.file, appended_after_read)
    _as_parsed(revisions.new.file, appended_after_read)
    assert checked.result.records == len(EES_ROWS)
    _as_parsed(checked.result.files[0], appended_after_read)
    population = Path(shutil.copy(Path(__file__).parents[1] / "data" / "ons_population_0_17_2012_2024.csv", tmp_path / "pop.csv"))
    rows, (file,) = read_denominator(DenominatorOptions("pop", (population,), {}, "population_estimate", mid_year=True))
    assert len(rows) > 0 and file.sha256 == hashlib.sha256(appended_after_read[population]).hexdigest()


def test_files_checked_on_worker_processes_come_back_with_their_hashes(tmp_path: Path) -> None:
    from triangulate.canonical.registry import SourceOptions
    from triangulate.pipeline.parallel import check_sources

    paths = tuple(Path(shutil.copy(DATA / name, tmp_path / name)) for name in ("CIN_Census_2021.xml", "CIN_Census_2024.xml"))
    options = SourceOptions(name="cin", kind="cin", paths=paths)
    (pending,) = check_sources([options], jobs=2, suites=None, bytes_per_worker=1)
    files = [f for piece in pending.pieces for f in piece.files]
    assert [(f.path, f.size, f.sha256) for f in files] == [
        (str(p), p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()) for p in paths
    ]
