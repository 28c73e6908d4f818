"""What a run config selects must be able to select something (issue 20, "a configuration that selects nothing").

- Each `where:` value is a value its canonical death-record column (canonical/records.py) can hold, compared as
  the schemas compare codes: exactly (case and all) on cells the readers have stripped. `lac` is not `LAC`, an
  empty list or an LA code on no list selects no death, and the source would be counted 0 everywhere.
- Two record-level sources reading a file of the same content count the same deaths twice under two names, and
  agree with themselves: refused unless the second says `same_file_as: FIRST`.
"""

from __future__ import annotations

import datetime as dt
import stat
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..canonical.registry import SourceOptions, source_kinds
from ..domain.definitions import SEX_LETTERS, SOCIAL_CARE_STATUSES
from ..domain.geography import known_la_codes, la_name, ons_code
from ..errors import ConfigError
from ..readers.files import file_digest

# The codes of each coded column, as the mappers write them (canonical/records.py, canonical/<kind>.py).
CODES: Mapping[str, tuple[str, ...]] = {
    "status": SOCIAL_CARE_STATUSES,
    "sex": SEX_LETTERS,  # normalise_sex: every source's code as M, F or U
    "death_date_state": ("recorded", "blank", "unreadable"),  # death_records' state of the date of death
    "nature": ("death",),  # what the source recorded: only deaths become death records
}
BOOLEANS = ("cpp_at_death", "abuse_neglect", "unborn")
DATES = ("date_of_birth", "expected_date_of_birth", "date_of_death", "reference_date", "headline_date")
WHOLE_NUMBERS = ("age_at_death",)
TEXT = ("record_id", "child_id", "child_key", "category", "location")  # no fixed list: ids, places, free text
# Also `source` (the record-level kinds: each mapper writes its kind) and `la_code` (ONS codes on the shipped list).
CLASSIFIED = (*CODES, *BOOLEANS, *DATES, *WHOLE_NUMBERS, *TEXT, "source", "la_code")


def where_values(column: str, node: Any, element: str) -> tuple[Any, ...]:
    """A `where:` column's values (one or a list), each a value the column holds, as select_records compares them."""
    values = node if isinstance(node, list) else [node]
    if not values:
        raise ConfigError(f"{element} is an empty list, which selects no death; {takes(column)}")
    return tuple(_value(column, value, element) for value in values)


def takes(column: str) -> str:
    """What a column's values are, in words, for an error."""
    if column in CODES or column == "source":
        return f"{column} takes {', '.join(_codes(column))}"
    if column == "la_code":
        return "la_code takes the ONS code of an LA on the shipped list (data/la_codes.csv), such as E08000025"
    if column in BOOLEANS:
        return f"{column} takes true or false"
    if column in DATES:
        return f"{column} takes dates (YYYY-MM-DD)"
    if column in WHOLE_NUMBERS:
        return f"{column} takes whole numbers"
    return f"{column} takes text"


def _codes(column: str) -> tuple[str, ...]:
    return source_kinds() if column == "source" else CODES[column]


def _value(column: str, value: Any, element: str) -> Any:
    def refuse(why: str = "") -> ConfigError:
        noun = "code" if column in (*CODES, "source", "la_code") else "value"
        return ConfigError(f"{element}: {value!r} is not a {noun} of {column}{why}, so it selects no death; {takes(column)}")

    if value is None or isinstance(value, list | dict):
        raise refuse()
    if column in BOOLEANS:
        if not isinstance(value, bool):
            raise refuse(" (write true or false unquoted)" if str(value).lower() in ("true", "false") else "")
        return value
    if isinstance(value, bool):
        raise refuse()
    if column in DATES:
        return _date(value, refuse)
    if column in WHOLE_NUMBERS:
        if not isinstance(value, int):
            raise refuse()
        return value
    if not isinstance(value, str | int):
        raise refuse()
    text = str(value)
    if column == "la_code":
        return _la_code(text, refuse)
    if column in CODES or column == "source":
        if text not in _codes(column):
            meant = [code for code in _codes(column) if code.casefold() == text.strip().casefold()]
            raise refuse(f" (codes are exact: {text!r} is not {meant[0]!r})" if meant else "")
        return text
    if text == "" or text != text.strip():  # the readers strip every cell, so neither is ever there
        raise refuse(" (cells are read stripped of spaces)" if text else "")
    return text


def _date(value: Any, refuse: Callable[[str], ConfigError]) -> dt.datetime:
    """A day as the canonical dates hold it (datetime64 at midnight): a `datetime.date` would match nothing."""
    if isinstance(value, dt.datetime) or (isinstance(value, str) and value[10:11] == "T"):  # a config's time is ISO text
        raise refuse(" (a date, not a time)")
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        if isinstance(value, str) and len(value) == len("YYYY-MM-DD"):
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    except ValueError:
        pass
    raise refuse("")


def _la_code(text: str, refuse: Callable[[str], ConfigError]) -> str:
    if text in known_la_codes("ons"):
        return text
    if text.strip() in known_la_codes("dfe"):
        ons = ons_code(text)
        raise refuse(f" (it is {la_name(str(ons))}'s DfE code; death records carry its ONS code {ons})")
    raise refuse("")


def check_distinct_files(sources: Sequence[SourceOptions], declared: Mapping[str, Any]) -> None:
    """No two record-level sources read files of the same content (SHA-256) unless `same_file_as:` says it is meant.

    Only files of equal size are hashed. A path that is missing, not a file or empty is left to the source's reader,
    which reports it as it always has.
    """
    names = [options.name for options in sources]
    group = _declared_groups(names, declared)
    by_size: dict[int, list[tuple[str, Path]]] = defaultdict(list)
    for options in sources:
        for path in dict.fromkeys(options.paths):
            try:
                info = path.stat()
            except (OSError, ValueError):
                continue
            if stat.S_ISREG(info.st_mode) and info.st_size > 0:
                by_size[info.st_size].append((options.name, path))
    for files in by_size.values():
        if len({group(name) for name, _ in files}) < 2:
            continue  # one source's files, or sources declared to share them: nothing to hash
        seen: dict[str, tuple[str, Path]] = {}
        digests: dict[Path, str] = {}
        for name, path in files:
            try:
                if path not in digests:
                    digests[path] = file_digest(path)[1]
            except OSError:
                continue
            first = seen.setdefault(digests[path], (name, path))
            if group(first[0]) != group(name):
                raise ConfigError(_twice(name, path, *first))


def _twice(name: str, path: Path, first_name: str, first_path: Path) -> str:
    what = f"reads {path}, as sources.{first_name} does" if _same_path(path, first_path) else (
        f"reads {path}, which has the same content (SHA-256) as {first_path} of sources.{first_name}")  # fmt: skip
    return (f"sources.{name} {what}: the same deaths would be counted and compared under two names; "
            f"if that is meant, declare same_file_as: {first_name} on sources.{name}")  # fmt: skip


def _same_path(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except OSError:
        return one == other


def _declared_groups(names: Sequence[str], declared: Mapping[str, Any]) -> Callable[[str], str]:
    """Each source's group: sources joined by `same_file_as:` (either way, and through others) may share files."""
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    for name, other in declared.items():
        if str(other) not in names or str(other) == name:  # the schema has made it a name
            raise ConfigError(f"sources.{name}.same_file_as must name another source of records "
                              f"({', '.join(n for n in names if n != name) or 'there is none'}), not {other!r}")  # fmt: skip
        parent[find(name)] = find(str(other))
    return find
