"""Alembic, run from code: a history of an older schema is upgraded in place, one of a newer schema refused.

No alembic.ini: the script location is the package's own migrations folder, found through
importlib.resources, so nothing is read from or written to the user's folder or home.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

# Our own version table, so a database shared with another Alembic-managed application is not confused with it.
VERSION_TABLE = "triangulate_history_version"


@contextmanager
def alembic_config(connection: sa.Connection | None = None) -> Iterator[Config]:
    """An Alembic config with no file behind it, pointing at the packaged migrations."""
    with resources.as_file(resources.files("triangulate.history") / "migrations") as folder:
        config = Config()
        config.set_main_option("script_location", str(folder).replace("%", "%%"))
        config.attributes["connection"] = connection
        yield config


def current(connection: sa.Connection) -> tuple[str, ...]:
    """The revisions the database is stamped with: () for a new database."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return tuple(context.get_current_heads())


def known_revisions() -> tuple[set[str], tuple[str, ...]]:
    """Every revision this code knows, and its head(s)."""
    with alembic_config() as config:
        script = ScriptDirectory.from_config(config)
        return {r.revision for r in script.walk_revisions()}, tuple(script.get_heads())


def upgrade(connection: sa.Connection, target: str = "head") -> None:
    """Migrate inside the caller's transaction, so a failed upgrade leaves the database as it was."""
    with alembic_config(connection) as config:
        command.upgrade(config, target)

