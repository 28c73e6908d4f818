"""The run config's shape: `schema.json` (JSON Schema 2020-12), its one definition, checked before a config is read.

An error names the element by its path in the document (`sources.dfe.rounding.national`), so a user can find it
whatever line it is on. `config/run.py` and `config/measures.py` then check only what a schema cannot say.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from ..errors import ConfigError

SCHEMA_FILE = "schema.json"


@cache
def schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def _pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[Any]:
    """ECMA-262's `$`, as JSON Schema means it: the end of the text (Python's also matches before a final newline)."""
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator(definition: str | None) -> Any:
    """The whole config's validator, or one definition's (`measures`: the shipped defaults, `parse_measures`)."""
    from jsonschema import Draft202012Validator, validators

    # An integer is an int: YAML's 10.0 is a float, which no count, base or number of days is read as.
    types = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    strict = validators.extend(Draft202012Validator, validators={"pattern": _pattern}, type_checker=types)
    root = schema()
    return strict(root if definition is None else {"$defs": root["$defs"], "$ref": f"#/$defs/{definition}"})


def plain(value: Any) -> Any:
    """A YAML document as JSON Schema sees it, and as it is then read: its dates as the ISO text written (so a date
    is text where text is wanted, e.g. `path: 2024-03-31`), NaN and infinities as text (so they fail a number), keys
    as text. The readers read this very value, never the YAML's, so what the schema passed is what they get."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def check_shape(document: Any, definition: str | None = None, at: str = "") -> Any:
    """`plain(document)` if it has the schema's shape (or its `definition`'s), else ConfigError, one line, for the
    most telling way it breaks it; `at` is where that definition sits in a run config (`measures`), so the path
    still reads as in the file."""
    from jsonschema.exceptions import best_match

    document = plain(document)
    error = best_match(_validator(definition).iter_errors(document))
    if error is None:
        return document
    parts = [at] if at else []
    parts += [f"[{part + 1}]" if isinstance(part, int) else str(part) for part in error.absolute_path]
    where = ".".join(parts).replace(".[", "[")  # measures[1].compare[2].tolerance.abs: counted from 1, as people count
    if definition is None and not error.absolute_path and error.validator == "type":
        raise ConfigError(f"the config must be a YAML mapping of keys such as sources, not {_kind_of(document)}")
    raise ConfigError(f"{where or 'the config'}: {_words(error)}")


def _kind_of(value: Any) -> str:
    return "an empty document" if value is None else "a list" if isinstance(value, list) else "a single value"


def _words(error: Any) -> str:
    """jsonschema's message, told as the schema's `description` says where it has one, never quoting a whole value."""
    schema_here: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema_here.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))[0]
        kind = error.instance.get("kind")
        for_kind = f" for kind {kind}" if isinstance(kind, str) else ""
        return f"unknown key {extra!r}{for_kind}; expected one of {', '.join(allowed)}"
    if error.validator == "required":
        missing = next(key for key in error.validator_value if key not in error.instance)
        told = schema_here.get("properties", {}).get(missing, {}).get("description")
        return told or f"{missing!r} is a required property"  # a key that has a description is missed in its words
    told = schema_here.get("description")
    if told and error.validator in ("anyOf", "oneOf"):
        return f"{told}, not {_short(error.instance)}"
    if told and error.validator == "pattern":
        return f"{_short(error.instance)} is not {told}"
    text = error.message
    return text if len(text) <= 160 else text[:157] + "..."


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
