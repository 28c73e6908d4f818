"""The run config's shape, checked against `schema.json` (JSON Schema 2020-12) before it is read into types.

An error names the element by its path in the document (`sources.dfe.rounding.national`), so a
user can find it whatever line it is on.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import cache
from importlib import resources
from typing import Any

from ..errors import ConfigError


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _plain(value: Any) -> Any:
    """YAML's dates as the ISO text the schema describes; NaN and infinities as text, so they fail a number."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def check_shape(document: Any) -> None:
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(_plain(document)))
    if error is None:
        return
    where = ".".join(f"[{part + 1}]" if isinstance(part, int) else str(part) for part in error.absolute_path).replace(".[", "[")
    raise ConfigError(f"{where or 'the config'}: {_words(error)}")


def _words(error: Any) -> str:
    """jsonschema's message, without quoting a whole nested value back."""
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key")
    text = error.message
    return text if len(text) <= 160 else text[:157] + "..."
