from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """A suite started in the background by a non-interactive shell inherits SIGINT ignored, and so would every
    command the tests start: the Ctrl-C tests would then test nothing. Children of a process with a handler get
    the default back at exec, so each CLI run sees SIGINT as a user's terminal delivers it."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)

DATA = Path(__file__).parent / "data"
PEERS = sorted(DATA.glob("CIN_Census_*.xml"))
TRIANGULATE = [sys.executable, "-m", "triangulate.cli"]


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from triangulate.synth import SynthSpec, write_synthetic

    out = tmp_path_factory.mktemp("synthetic")
    write_synthetic(out, SynthSpec(seed=1, years=2, children_per_year=3000))
    return out


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    return subprocess.run([*TRIANGULATE, *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=600)


MEASURED = """
import resource, sys
from triangulate.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print("PEAK_MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, code, file=sys.stderr)
"""


def run_cli_measured(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the CLI in a fresh interpreter and return its result and its own peak RSS in MB."""
    result = subprocess.run([sys.executable, "-c", MEASURED, *args], capture_output=True, text=True, timeout=600)
    *message, last = result.stderr.strip().splitlines()
    _, peak, code = last.split()
    stripped = subprocess.CompletedProcess(result.args, int(code), result.stdout, "\n".join(message) + "\n")
    return stripped, int(peak)


def copy_to(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        target = tmp_path / name
        shutil.copy(DATA / name, target)
        out.append(target)
    return out


@pytest.fixture(scope="session")
def clean_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Consistent synthetic data (no defects, no discrepancies), generated once; tests work on copies."""
    from triangulate.synth import SynthSpec, write_synthetic

    out = tmp_path_factory.mktemp("clean")
    write_synthetic(out, SynthSpec(seed=8, years=2, children_per_year=800, xlsx=False, defects=False))
    return out


def copy_of(sample: Path, target: Path) -> Path:
    shutil.copytree(sample, target, dirs_exist_ok=True)
    return target


SCRIPT = "<script>alert('x')</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="session")
def demo_report(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`triangulate run` on the synthetic sample, as `make demo` runs it."""
    out = tmp_path_factory.mktemp("demo")
    result = run_cli("run", str(synthetic / "release.yaml"), "--out", str(out))
    assert result.returncode == 1, result.stderr  # the sample carries injected defects
    return out


@pytest.fixture(scope="session")
def payload_report(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose source name, file name and record ids carry script and attribute-breaking payloads."""
    sample = tmp_path_factory.mktemp("payload")
    shutil.copytree(synthetic, sample, dirs_exist_ok=True)
    # Record ids that fail checks, so they appear in the report's samples and side files.
    ncmd = sample / "ncmd" / "ncmd_deaths.csv"
    text = ncmd.read_text(encoding="utf-8")
    text = text.replace("XN-NODOD-1,", '"' + SCRIPT.replace('"', '""') + '",')
    text = text.replace("XN-NODOD-2,", '"' + ATTRIBUTE.replace('"', '""') + '",')
    ncmd.write_text(text, encoding="utf-8")
    for xml in sample.glob("cin/*/*.xml"):
        content = xml.read_text(encoding="utf-8")
        if ">XCIN-NEG-1<" in content:
            xml.write_text(content.replace(">XCIN-NEG-1<", ">" + xml_escape(ATTRIBUTE + SCRIPT) + "<"), encoding="utf-8")
    hostile_name = sample / "csprp" / (ATTRIBUTE.replace("/", "") + ".csv")
    (sample / "csprp" / "sins.csv").rename(hostile_name)
    config = (sample / "release.yaml").read_text(encoding="utf-8")
    config = config.replace("  ncmd: {kind: ncmd", "  'ncmd" + SCRIPT.replace("'", "''") + "': {kind: ncmd")
    config = config.replace("path: csprp/sins.csv", "path: 'csprp/" + hostile_name.name.replace("'", "''") + "'")
    (sample / "release.yaml").write_text(config, encoding="utf-8")
    out = sample / "out"
    result = run_cli("run", str(sample / "release.yaml"), "--out", str(out))
    assert result.returncode == 1, result.stderr
    return out


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    """The one line a command that refused bad input wrote (exit 2, no traceback)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def main_raising(raised: BaseException, monkeypatch: pytest.MonkeyPatch) -> int:
    """`triangulate.cli.main` with its command raising `raised`: the exit code main decides."""
    from triangulate import cli

    def fail(**_: object) -> None:
        raise raised

    monkeypatch.delenv("TRIANGULATE_DEBUG", raising=False)
    monkeypatch.setattr(cli.cli, "main", fail)
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    return int(done.value.code or 0)
