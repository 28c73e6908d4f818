"""Alembic, run from code: a writer upgrades a history of an older schema in place, one of a newer schema is refused.

Readers (`history list`, `history diff`) never upgrade: they read a history stamped READABLE_FROM or later as it
is, and refuse an older one. Raise READABLE_FROM when a migration changes what the reads need (a column or table
they select); a migration that only adds indexes, as 0002 did, leaves it. 0004 raised it: a diff reads each run's
acknowledgements, and a history of 0003 has no table for them until a run upgrades it.

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
READABLE_FROM = "0004"  # the oldest schema whose tables this version's reads can select from


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


def readable(stamp: tuple[str, ...]) -> bool:
    """Whether a history stamped so has every table and column the reads select (READABLE_FROM or a descendant)."""
    with alembic_config() as config:
        script = ScriptDirectory.from_config(config)
        return all(READABLE_FROM in {r.revision for r in script.iterate_revisions(head, "base")} for head in stamp)


def upgrade(connection: sa.Connection, target: str = "head") -> None:
    """Migrate inside the caller's transaction, so a failed upgrade leaves the database as it was."""
    with alembic_config(connection) as config:
        command.upgrade(config, target)

