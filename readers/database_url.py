"""A database source's URL and what it reads (readers/database.py reads it): the URL as given, never shown and never
in a repr; the URL as it may be shown (its password ***, no query string); what no message may hold (the URL, its
password and its query string's values, as written and as a URL carries them); and a table or a query for each raw table of the kind."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

from ..connections import at_in_password
from ..errors import ConfigError

HIDDEN = "***"
_SECRET_KEY = re.compile(r"pass|pwd|token|secret|key|auth|cred|odbc", re.IGNORECASE)  # a query key whose value is one
_SHORTEST = 4  # a query value that short is scrubbed only where its key names a secret
DIALECT_HELP = "PostgreSQL: postgresql://, DuckDB: duckdb:///file.duckdb, Databricks: pip install databricks-sqlalchemy"


@dataclass(frozen=True)
class DatabaseSource:
    """Where a source's tables are: its URL (never shown, never in a repr) and a table or a query per raw table."""

    url: str = field(repr=False)  # as given, password and all: handed to the driver, nowhere else
    shown: str  # the URL as it may be printed, its password ***
    tables: Mapping[str, str] = field(default_factory=dict)  # raw table -> table name, `schema.table`
    queries: Mapping[str, str] = field(default_factory=dict)  # raw table -> a SELECT
    secrets: tuple[str, ...] = field(default=(), repr=False)  # what no message may hold: the URL and password forms

    def label(self, raw_table: str) -> str:
        """How rows of a raw table are located (`label:N`): the table's name, or `query-` and the query's digest."""
        if raw_table in self.tables:
            return self.tables[raw_table]
        return f"query-{query_digest(self.queries[raw_table])[:12]}"

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return text


def query_digest(query: str) -> str:
    return hashlib.sha256(query.strip().encode("utf-8")).hexdigest()



def database_source(url: object, where: str, tables: Mapping[str, str], queries: Mapping[str, str],
                    environ: Mapping[str, str] | None = None, base: Path | None = None) -> DatabaseSource:  # fmt: skip
    """A source's `url:` (text, or `{env: NAME}`: the URL is that environment variable's) and its tables or queries;
    ConfigError naming `where` (`sources.x.url`) and never quoting the URL. A DuckDB or SQLite file named by a
    relative path is in `base` (the config's folder), as every path in a config is."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    environ = os.environ if environ is None else environ
    if isinstance(url, Mapping):
        variable = str(url["env"])
        text = environ.get(variable, "")
        if not text.strip():
            raise ConfigError(f"{where}: the environment variable {variable} is not set")
        given = f"the environment variable {variable}"
    else:
        text, given = str(url), "it"
    text = text.strip()
    if at_in_password(text):
        raise ConfigError(f"{where}: {given} has a password holding an @: write it as %40")
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(f"{where}: {given} is not a SQLAlchemy URL (dialect+driver://user:password@host:port/database)") from None
    if parsed.drivername == "postgresql":  # psycopg 3 is the driver the tool installs
        parsed = parsed.set(drivername="postgresql+psycopg")
    database = parsed.database or ""
    if (base is not None and parsed.get_backend_name() in ("duckdb", "sqlite") and database not in ("", ":memory:")
            and not database.startswith("file:") and not Path(database).is_absolute()):  # fmt: skip
        parsed = parsed.set(database=str(Path(base) / database))
    secrets = _secrets(text, parsed.password, parsed.query)
    try:
        parsed.get_dialect()
    except (NoSuchModuleError, ImportError, ArgumentError):
        raise ConfigError(f"{where}: no SQLAlchemy dialect for {parsed.drivername!r} is installed ({DIALECT_HELP})") from None
    # Shown without its query string: `?password=`, `?odbc_connect=...PWD=...`, `?access_token=` carry secrets there.
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    return DatabaseSource(parsed.render_as_string(hide_password=False), shown, dict(tables), dict(queries), secrets)


def _secrets(text: str, password: object, query: Mapping[str, str | tuple[str, ...]]) -> tuple[str, ...]:
    """The URL as written; its password and every value of its query string (and each `KEY=value` inside one, as an
    ODBC connection string holds `PWD=...`), as written and as a URL would carry them; longest first."""
    values = [str(password)] if password else []
    for key, value in query.items():
        for item in (value,) if isinstance(value, str) else value:
            these = [item, *(part.split("=", 1)[1].strip().strip("{}") for part in item.split(";") if "=" in part)]
            # A short value of a key that names no secret (`connect_timeout=5`) would scrub every `5` from a message.
            values.extend(v for v in these if _SECRET_KEY.search(key) or len(v) >= _SHORTEST)
    found = {text}
    for secret in values:
        if secret:
            found |= {secret, quote(secret, safe=""), quote_plus(secret)}
    return tuple(sorted((s for s in found if s), key=len, reverse=True))
