"""Sources read from database tables (issue 27): a SQLAlchemy URL and, for each raw table of the kind, a table or a
query, read into the very frame of strings a CSV of the same columns gives (readers/parquet.py `frame_of_strings`:
each database type becomes the text the Parquet reader makes of it), each row located `TABLE:N`.

What the database does (the pushdown):

* the columns: only those the kind's schema and death records read (after `columns:`) are selected, never `*`;
* the order: rows come ORDER BY the record id, then every selected column, so row N is the same row on every run
  over unchanged data (a `query:` is wrapped as a subquery and ordered the same way): `TABLE:N` is reproducible;
* no row filter: every raw table's checks (missing fields, code lists, duplicate ids) run on every row, so a filter
  to the deaths would hide the very rows they find. Every row of the selected columns is read, streamed CHUNK_ROWS
  at a time (a server-side cursor where the driver has one), each chunk turned into text before the next is
  fetched: memory holds the text frame and one chunk of driver rows.

Provenance (`TableRead`): the URL without its password, the table (or the SHA-256 of the query), the rows read and
a SHA-256 over their text, column by column, so unchanged data gives the same digest on every run.

A password never leaves this module: a URL is shown with its password *** and no query string, and every message
taken from a driver's error has the URL and the password scrubbed out. Nothing is written to the database: files
(DuckDB, SQLite) are opened read-only where the driver can, PostgreSQL transactions are READ ONLY.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import connections
from ..connections import postgres_connect_args
from ..domain.inputs import InputFile
from ..errors import InputError
from ..schemas.base import SOURCE_FILE_ATTR
from . import files
from .database_rows import RowDigest, arrow_table
from .database_url import DatabaseSource, database_source, query_digest
from .parquet import frame_of_strings
from .text import clean_name

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["CHUNK_ROWS", "DatabaseSource", "TableRead", "TableWanted", "database_source", "query_digest", "read_tables"]

CHUNK_ROWS = 50_000  # rows fetched and turned into text at a time
LOCK_TIMEOUT_S = 10  # PostgreSQL: the longest wait for a table another session holds locked
_ERROR_CHARS = 300  # of a driver's first line: later lines may quote the data
_QUERY_ALIAS = "source_query"
_NAME_PART = re.compile(r'"((?:[^"]|"")*)"(?:\.|$)|([^.]+)(?:\.|$)')  # a part of `schema.table`, quoted or not
_ONE_PART = r'(?:"(?:[^"]|"")+"|[^."]+)'
_TABLE_NAME = re.compile(rf"{_ONE_PART}(?:\.{_ONE_PART})*")  # no empty part: `.`, `main..deaths` are no names
_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'|`[^`]*`')  # a literal a driver's message quotes (a cell's value)


@dataclass(frozen=True)
class TableWanted:
    """A raw table of a kind as the reader needs it."""

    name: str  # the raw table (the key of the frames returned)
    columns: tuple[str, ...]  # ours: what its schema and its death records read, in order
    required: tuple[str, ...]  # a table without one of these is not this table
    order: tuple[str, ...]  # the record id column(s), ordered by first


@dataclass(frozen=True)
class TableRead(InputFile):
    """A table (or a query) as provenance records it: `path` is the URL without its password and the table's name;
    `size` the bytes of text hashed; `sha256` over the rows' text, column by column, in the stable order."""

    rows: int = 0
    table: str = ""
    query_sha256: str = ""
    not_readable: tuple[str, ...] = ()  # optional columns this user may not read: left out, as if not there

    def to_dict(self) -> dict[str, Any]:
        what = {"table": self.table} if self.table else {"query_sha256": self.query_sha256}
        unread = {"columns_not_readable": list(self.not_readable)} if self.not_readable else {}
        return {**super().to_dict(), "rows": self.rows, **what, **unread}


# --- Reading ---------------------------------------------------------------------------------------------------------


def read_tables(source: DatabaseSource, wanted: Sequence[TableWanted], column_map: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Each wanted raw table as the frame of strings its CSV form gives, read over one connection in one read-only
    transaction (so the tables are read as of one moment where the database gives that). Each table's TableRead
    joins the inputs being recorded (readers/files.py `inputs_recorded`) once every table is read whole."""
    engine = _engine(source)
    frames: dict[str, pd.DataFrame] = {}
    reads: list[TableRead] = []
    try:
        with _faults(source, source.shown, "cannot connect"):
            connection = engine.connect()
            if engine.dialect.name == "postgresql":  # the tables as of one moment, and nothing written
                connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        if engine.dialect.name == "postgresql":
            with _faults(source, source.shown, "the session cannot be set up"):
                # A table another session has locked (an ALTER, a TRUNCATE) fails in seconds instead of waiting forever.
                connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
        try:
            for want in wanted:
                frames[want.name], read = _read_one(connection, source, want, column_map or {})
                reads.append(read)
        finally:
            _close(connection)
    finally:
        engine.dispose()
    files.record_inputs(reads)  # provenance, as readers/files.py `opened_input` records a file
    return frames


def _close(connection: sa.Connection) -> None:
    """End the read-only transaction and the connection. A server already gone (it ended the session mid-read) makes
    the rollback fail too: nothing was written, so that failure must not hide the error that says what happened."""
    import sqlalchemy as sa

    try:
        connection.close()
    except (sa.exc.SQLAlchemyError, OSError):
        pass
    except Exception as error:
        if not _driver_error(error):
            raise


def _engine(source: DatabaseSource) -> sa.Engine:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(source.url)
    options: dict[str, Any] = {"poolclass": NullPool}
    backend = url.get_backend_name()
    if backend == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
        options["connect_args"] = postgres_connect_args(url.query)  # never a hang on a server unreachable or gone
    if backend in ("duckdb", "sqlite") and url.database not in (None, "", ":memory:"):
        path = Path(url.database or "")
        if not path.is_file():  # the driver would create an empty database there and read nothing from it
            raise InputError("database file not found", path=source.shown)
        if backend == "duckdb":
            options["connect_args"] = {"read_only": True}
    try:
        return sa.create_engine(url, **options)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise InputError(f"no database driver for it ({source.scrub(_reason(error))})", path=source.shown) from None


@contextmanager
def _faults(source: DatabaseSource, where: str, doing: str, *, literals: bool = False) -> Iterator[None]:
    """A driver's error as one line naming `where`: `doing` and the driver's first line, the URL and password scrubbed;
    with `literals` (an error while rows are read, which may quote a cell: a child's id) every quoted literal too."""
    import sqlalchemy as sa

    def reason(error: BaseException) -> str:
        text = source.scrub(_reason(error))
        return _QUOTED.sub("\u2026", text) if literals else text

    try:
        yield
    except (sa.exc.SQLAlchemyError, OSError) as error:
        cause = getattr(error, "orig", None) or error
        if type(cause).__name__ == "ConnectionTimeout":  # psycopg's, not imported: other drivers need no psycopg
            raise InputError(f"{doing}: the server did not answer within {_connect_timeout(source)} s", path=where) from None
        raise InputError(f"{doing}: {reason(error)}", path=where) from None
    except Exception as error:
        if not _driver_error(error):
            raise
        raise InputError(f"{doing}: {reason(error)}", path=where) from None


def _connect_timeout(source: DatabaseSource) -> object:
    """The seconds a PostgreSQL connection waits: the URL's own `connect_timeout`, else ours."""
    from sqlalchemy.engine import make_url

    return make_url(source.url).query.get("connect_timeout", connections.CONNECT_TIMEOUT_S)


def _driver_error(error: BaseException) -> bool:
    """A DB-API error a driver raised without SQLAlchemy's wrapper (a fetch in a driver's own code): its module is
    the driver's, and it is a DB-API `Error` (the standard names the class)."""
    return any(cls.__name__ == "Error" and not cls.__module__.startswith("builtins") for cls in type(error).__mro__)


def _reason(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    first = next((line.strip() for line in str(cause).splitlines() if line.strip()), "")
    return first[:_ERROR_CHARS] or type(cause).__name__


def _read_one(connection: sa.Connection, source: DatabaseSource, want: TableWanted,
              column_map: Mapping[str, str]) -> tuple[pd.DataFrame, TableRead]:  # fmt: skip
    label = source.label(want.name)
    relation, what, parts = _relation(connection, source, want.name)
    types = _columns(connection, source, relation, what, parts)
    picked, not_readable = _readable(connection, _pick(list(types), want, column_map, source.shown, what), want, relation, parts, source, what)
    quoted = connection.dialect.identifier_preparer.quote_identifier
    ours = [name for _, name in picked]
    by_ours = {name: theirs for theirs, name in picked}
    ordered = list(dict.fromkeys([*(by_ours[name] for name in want.order if name in by_ours), *(theirs for theirs, _ in picked)]))
    sql = (f"SELECT {', '.join(quoted(theirs) for theirs, _ in picked)} FROM {relation} "  # noqa: S608 - names quoted by the dialect; a query is the config's own
           f"ORDER BY {', '.join(_orderable(quoted(theirs), types[theirs], connection.dialect) for theirs in ordered)}")  # fmt: skip
    digest = RowDigest(ours)
    chunks: list[pd.DataFrame] = []
    rows = 0
    with _faults(source, source.shown, f"{what} failed while it was read", literals=True):
        cursor = _streaming_cursor(connection)
        try:
            cursor.execute(sql)
            while part := cursor.fetchmany(CHUNK_ROWS):
                frame = frame_of_strings(arrow_table(ours, part), label, path=label, first_line=rows + 1)
                rows += len(part)
                digest.update(frame)
                chunks.append(frame)
        finally:
            cursor.close()
    if not chunks:
        chunks.append(frame_of_strings(arrow_table(ours, []), label, path=label, first_line=1))
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    frame.attrs[SOURCE_FILE_ATTR] = label
    table = source.tables.get(want.name, "")
    read = TableRead(path=f"{source.shown}/{label}", size=digest.size, sha256=digest.hexdigest(), rows=rows, table=table,
                     query_sha256="" if table else query_digest(source.queries[want.name]), not_readable=not_readable)  # fmt: skip
    return frame, read


def _streaming_cursor(connection: sa.Connection) -> Any:
    """The driver's own cursor on the connection's transaction: rows as plain tuples, CHUNK_ROWS a fetch, with no
    SQLAlchemy row objects between (they cost more than the fetch). psycopg's is a server-side (named) cursor, so
    the server sends a chunk per fetch; DuckDB, SQLite and Databricks cursors fetch in chunks of their own."""
    driver = connection.connection.dbapi_connection
    if connection.dialect.driver in ("psycopg", "psycopg2"):
        return driver.cursor(name="triangulate_read")  # type: ignore[union-attr]
    return driver.cursor()  # type: ignore[union-attr]


def _relation(connection: sa.Connection, source: DatabaseSource, raw_table: str) -> tuple[str, str, list[str]]:
    """What to select from, as SQL (a table's name quoted, part by part; a query in brackets), how a message names
    it, and a table's name as the database spells it, part by part ([] for a query)."""
    quoted = connection.dialect.identifier_preparer.quote_identifier
    if raw_table in source.queries:
        query = source.queries[raw_table].strip().rstrip(";").strip()
        # On lines of their own: a query that ends in a -- comment must not swallow the bracket.
        return f"(\n{query}\n) AS {quoted(_QUERY_ALIAS)}", f"the {raw_table} query", []
    table = source.tables[raw_table]
    parts = _table_parts(connection, source, table)
    return ".".join(quoted(part) for part in parts), f"table {table!r}", parts


def _orderable(column: str, kind: object, dialect: sa.Dialect) -> str:
    """A column as it can be ordered by: JSON, arrays and types SQLAlchemy does not know (PostgreSQL's json, xml,
    point have no ordering) by their text; on PostgreSQL so is a query's column, whose type is not looked up."""
    import sqlalchemy as sa

    unknown = kind is None and dialect.name == "postgresql"
    if unknown or isinstance(kind, sa.types.JSON | sa.types.ARRAY | sa.types.NullType):
        return f"CAST({column} AS {sa.types.String().compile(dialect=dialect)})"
    return column


def _readable(connection: sa.Connection, picked: list[tuple[str, str]], want: TableWanted, relation: str,
              parts: list[str], source: DatabaseSource, what: str) -> tuple[list[tuple[str, str]], tuple[str, ...]]:  # fmt: skip
    """`picked` without the optional columns this user may not read (PostgreSQL's column privileges: a role granted
    only some columns is refused the whole SELECT otherwise), and those left out (provenance names them); a
    required one it may not read is named."""
    import sqlalchemy as sa

    if connection.dialect.name != "postgresql" or not parts:
        return picked, ()
    with _faults(source, source.shown, f"{what} cannot be looked up"):
        denied = set(connection.execute(
            sa.text("SELECT c FROM unnest(CAST(:columns AS text[])) AS c WHERE NOT has_column_privilege(:relation, c, 'SELECT')"),
            {"columns": [theirs for theirs, _ in picked], "relation": relation}).scalars())  # fmt: skip
    refused = [theirs for theirs, ours in picked if theirs in denied and ours in want.required]
    if refused:
        raise InputError(f"{what}: this user may not read column {refused[0]!r} (GRANT SELECT on it, "
                         "or on the table, to the user the URL names)", path=source.shown)  # fmt: skip
    return [(theirs, ours) for theirs, ours in picked if theirs not in denied], tuple(ours for theirs, ours in picked if theirs in denied)


def _columns(connection: sa.Connection, source: DatabaseSource, relation: str, what: str, parts: list[str]) -> dict[str, object]:
    """The column names of a table and their SQLAlchemy types (from the database's catalogue, which needs no right to
    read any column: a user granted only the columns the tool reads can run it), or of a query's result (its first
    row is never fetched; types unknown, None)."""
    import sqlalchemy as sa

    if len(parts) in (1, 2):
        try:
            schema = parts[0] if len(parts) == 2 else None
            with warnings.catch_warnings():  # a type SQLAlchemy does not know (xml) is NullType, and said so on stderr
                warnings.simplefilter("ignore", sa.exc.SAWarning)
                found = sa.inspect(connection).get_columns(parts[-1], schema=schema)
            return {str(column["name"]): column["type"] for column in found}
        except (sa.exc.SQLAlchemyError, NotImplementedError):  # a dialect that cannot reflect (duckdb-engine on SQLAlchemy 2.1)
            connection.rollback()
    with _faults(source, source.shown, f"{what} cannot be read"):
        # On the driver's own cursor with no parameters, as the rows are read: a `%` in a query is then the query's
        # (SQLAlchemy's exec_driver_sql passes `()`, and psycopg then takes `%` for a placeholder).
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(f"SELECT * FROM {relation} WHERE 1 = 0")  # noqa: S608 - quoted names; a query is the config's own
            names = [str(column[0]) for column in cursor.description or ()]
        finally:
            cursor.close()
    return dict.fromkeys(names)


def _table_parts(connection: sa.Connection, source: DatabaseSource, table: str) -> list[str]:
    """`schema.table` as its parts, as the database spells them: a name that differs only in case from the one given
    (PostgreSQL folds unquoted names to lower case, Snowflake to upper) is that table, if it is the only one."""
    import sqlalchemy as sa

    if not _TABLE_NAME.fullmatch(table):
        raise InputError(f"table {table!r} is not a table's name (schema.table, a part in double quotes as SQL writes one)",
                         path=source.shown)  # fmt: skip
    parts = _name_parts(table)
    if len(parts) > 2:  # catalog.schema.table (Databricks): as given, the database says if it is not there
        return parts
    schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
    with _faults(source, source.shown, f"table {table!r} cannot be looked up"):
        inspector = sa.inspect(connection)
        if inspector.has_table(name, schema=schema):
            return parts
        try:
            names = inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema)
        except sa.exc.SQLAlchemyError:  # a dialect that cannot list them: only the exact name was possible
            connection.rollback()
            names = []
    same = [found for found in dict.fromkeys(names) if found.lower() == name.lower()]
    if len(same) != 1:
        raise InputError(f"table {table!r} does not exist" + (" (or is not visible to this user)" if schema is None else ""),
                         path=source.shown)  # fmt: skip
    return [*parts[:-1], same[0]]


def _name_parts(table: str) -> list[str]:
    """`schema.table` as its parts; a part in double quotes as SQL writes one (`"Mixed Schema"."my table"`), its
    quotes off and a `.` inside it kept."""
    return [quoted.replace('""', '"') if quoted or not plain else plain for quoted, plain in _NAME_PART.findall(table)]


def _pick(names: list[str], want: TableWanted, column_map: Mapping[str, str], shown: str, what: str) -> list[tuple[str, str]]:
    """The columns to select, (theirs, ours), in `want.columns`' order: a column is ours by its name (invisible
    characters removed, then `columns:`), else by its name in another case where only one column has it."""
    mapped = [(name, column_map.get(clean_name(name), clean_name(name))) for name in names]
    picked: list[tuple[str, str]] = []
    for column in want.columns:
        exact = [theirs for theirs, ours in mapped if ours == column]
        same = exact or [theirs for theirs, ours in mapped if ours.lower() == column.lower() and ours not in want.columns]
        if len(same) > 1:
            raise InputError(f"{what}: columns {', '.join(repr(s) for s in same)} would all be read as {column!r}; "
                             "map one of them with `columns:`", path=shown)  # fmt: skip
        if same:
            picked.append((same[0], column))
    absent = [column for column in want.required if column not in {ours for _, ours in picked}]
    if absent:
        has = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
        named = f"column {absent[0]!r}" if len(absent) == 1 else f"columns {', '.join(repr(a) for a in absent)}"
        raise InputError(f"{what} has no {named} (its columns: {has or 'none'}); "
                         "map differently named columns with `columns:` in the run config", path=shown)  # fmt: skip
    return picked
