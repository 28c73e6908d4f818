"""The CI examples (issue 21): each is valid YAML of its CI's shape, and installs Triangulate from a pinned source.

`pip install triangulate` installs an unrelated PyPI project (bug localization by reinforcement learning), so a
copied example would run the wrong code, or whatever that name's owner uploads next, with a release's data and
secrets. Every install in examples/ci/ must name its source: a VCS URL at a full commit SHA (or the placeholder the
user fills in with one), or a local wheel or folder built in the pipeline; never a bare name or a version range.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "ci"
FILES = sorted(p for p in EXAMPLES.iterdir() if p.is_file())
PLACEHOLDER_SHA = "<FULL-40-CHARACTER-COMMIT-SHA>"
DISTRIBUTION = "triangulate-child-deaths"

_INSTALLERS = (("pip", "install"), ("pip3", "install"), ("pipx", "install"), ("uv", "pip", "install"), ("uv", "tool", "install"))
_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
                  "--python", "--platform", "--implementation", "--abi", "--python-version", "--upgrade-strategy",
                  "--src", "--progress-bar", "--log", "--cache-dir", "--timeout", "--retries", "--proxy", "--trusted-host",
                  "--cert", "--client-cert", "--report", "--config-settings", "-C", "--global-option"}  # fmt: skip
_REQUIREMENT_FILES = {"-r", "--requirement", "-c", "--constraint"}
_PINNED_VCS = re.compile(r"^git\+(https|ssh|file)://\S+@(?:[0-9a-f]{40}|" + re.escape(PLACEHOLDER_SHA) + r")(?:#\S*)?$")
_LOCAL = re.compile(r"^(\.{1,2}|\.{0,2}/\S*|\S+\.whl)$")  # a folder or a wheel built in the pipeline


def unpinned_installs(command: str) -> list[str]:
    """Every requirement a shell command installs without a pinned source (empty when each is pinned)."""
    found: list[str] = []
    for line in command.replace("\\\n", " ").splitlines():
        for part in re.split(r"&&|\|\||[;|]", line.split(" #", 1)[0]):
            try:
                words = shlex.split(part)
            except ValueError:
                found.append(part.strip())
                continue
            if words[:2] == ["python", "-m"] or words[:2] == ["python3", "-m"]:
                words = words[2:]
            installer = next((i for i in _INSTALLERS if tuple(words[: len(i)]) == i), None)
            if installer is not None:
                found += [r for r in _requirements(words[len(installer) :]) if not _pinned(r)]
    return found


def _requirements(arguments: list[str]) -> Iterator[str]:
    skip = False
    for argument in arguments:
        if skip:
            skip = False
        elif argument in _REQUIREMENT_FILES:
            yield f"{argument} (a requirements file: its names are not pinned here)"
            skip = True
        elif argument in _VALUE_OPTIONS or argument == "-e" or argument == "--editable":
            skip = argument not in ("-e", "--editable")
        elif not argument.startswith("-"):
            yield argument


def _pinned(requirement: str) -> bool:
    name, at, source = (s.strip() for s in requirement.partition(" @ "))
    if at:  # a direct reference, `NAME @ URL`: pip refuses a distribution of any other name
        return name.split("[")[0] == DISTRIBUTION and bool(_PINNED_VCS.match(source) or _LOCAL.match(source))
    return bool(_PINNED_VCS.match(requirement) or _LOCAL.match(requirement))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def test_there_are_examples() -> None:
    assert {p.name for p in FILES} >= {"github-actions.yml", "gitlab-ci.yml"}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_example_is_yaml_of_its_ci_shape(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict) and document, path.name
    if "jobs" in document:  # GitHub Actions: each job's steps use an action or run a command
        for name, job in document["jobs"].items():
            assert isinstance(job.get("steps"), list) and job["steps"], name
            assert all(isinstance(step, dict) and ("uses" in step or "run" in step) for step in job["steps"]), name
    else:  # GitLab CI: each job runs a script
        jobs = {name: job for name, job in document.items() if isinstance(job, dict) and not name.startswith(".")}
        assert jobs and all(isinstance(job.get("script"), list) and job["script"] for job in jobs.values()), path.name


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_example_installs_only_from_a_pinned_source(path: Path) -> None:
    commands = list(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert not [bad for command in commands for bad in unpinned_installs(command)], path.name
    installs = [c for c in commands if re.search(r"\bpip3?\b.*\binstall\b", c)]
    assert installs, f"{path.name} installs nothing: the example is not runnable as written"
    # The reason is in the file, where whoever copies it reads it.
    assert "PyPI" in path.read_text(encoding="utf-8") and "unrelated" in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize(
    "command",
    [
        "pip install triangulate  # or: pip install git+<this repository>",  # what the examples said before issue 21
        "pip install triangulate",
        "pip install -q --upgrade triangulate==0.1.0",
        "python -m pip install 'triangulate>=0.1'",
        "pip3 install triangulate-child-deaths",  # our own name, but whoever registers it next is installed
        "pip install git+https://github.com/owner/repo",  # the default branch: moves
        "pip install git+https://github.com/owner/repo@main",
        "pip install git+https://github.com/owner/repo@v0.1.0",  # a tag can be moved too
        "pip install 'triangulate @ git+https://github.com/owner/repo@" + "a" * 40 + "'",  # the other project's name
        "cd x && pip install -r requirements.txt",
        "uv pip install triangulate",
        "pipx install triangulate",
    ],
)
def test_an_install_of_a_name_without_a_pinned_source_is_found(command: str) -> None:
    assert unpinned_installs(command)


@pytest.mark.parametrize(
    "command",
    [
        f'pip install "{DISTRIBUTION} @ git+https://github.com/<OWNER>/<REPO>@{PLACEHOLDER_SHA}"',
        f'pip install "{DISTRIBUTION} @ git+https://github.com/dfe/triangulate@{"0123456789abcdef" * 2}01234567"',
        "pip install git+https://github.com/dfe/triangulate@" + "f" * 40,
        "pip install dist/triangulate_child_deaths-0.1.0-py3-none-any.whl",
        "python -m build --wheel && pip install --no-deps ./dist/*.whl",
        "pip install -e .",
        "triangulate run release.yaml --out triangulate-out --redact",
    ],
)
def test_a_pinned_source_passes(command: str) -> None:
    assert unpinned_installs(command) == []
