"""A password never shown, from the trial of issue 27: a history URL's query string (`?password=`) is not echoed, and
a password holding an unescaped `@` (which spills into the host, to be printed and sent to the resolver) is refused
for a history and for a database source, in one line that quotes nothing of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import one_error_line, run_cli
from .postgres import _free_port


def test_a_history_urls_query_string_is_never_shown() -> None:
    url = f"postgresql://analyst@127.0.0.1:{_free_port()}/history?password=Qu3ry-Secret"
    for command in (["history", "list", url], ["history", "diff", url]):
        result = run_cli(*command)
        assert result.returncode == 2 and "Qu3ry-Secret" not in result.stdout + result.stderr, result.stderr
        assert "analyst@127.0.0.1" in one_error_line(result)


@pytest.mark.parametrize("password", ["Pa@ssw0rdLeak", "Pa@ss:w0rdLeak", "Pa@ss/w0rdLeak"])
def test_a_password_with_an_unescaped_at_is_refused_without_showing_it(tmp_path: Path, password: str) -> None:
    url = f"postgresql://analyst:{password}@127.0.0.1:{_free_port()}/release"
    history = run_cli("history", "list", url)
    assert "write it as %40" in one_error_line(history) and "w0rdLeak" not in history.stderr
    (tmp_path / "run.yaml").write_text(f'sources:\n  ncmd: {{kind: ncmd, url: "{url}", table: deaths}}\n', encoding="utf-8")
    source = run_cli("run", str(tmp_path / "run.yaml"), "--out", str(tmp_path / "out"))
    assert "write it as %40" in one_error_line(source) and "w0rdLeak" not in source.stderr + source.stdout
    assert not (tmp_path / "out").exists()
