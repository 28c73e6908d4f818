"""Alembic's entry point: migrates the connection history/migrate.py hands over, inside its transaction."""

from __future__ import annotations

from alembic import context
from triangulate.history.migrate import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the history's migrations run through triangulate.history.migrate, which passes a connection")

context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
