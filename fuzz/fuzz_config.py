"""The run config: config `load_config` (YAML, every key typed and validated, measures included).

The config is written alone into an empty temporary folder, so a relative `path:` glob finds nothing
outside it.
"""

from __future__ import annotations

from fuzzlib import expected_errors_only, written
from triangulate.config import load_config


def test_one_input(data: bytes) -> None:
    with written([("release.yaml", data)]) as paths:
        expected_errors_only(lambda: load_config(paths[0]))
