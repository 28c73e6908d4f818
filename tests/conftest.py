from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def copy_to(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        target = tmp_path / name
        shutil.copy(DATA / name, target)
        out.append(target)
    return out
