"""Alembic migrations of the run history; history/migrate.py runs them, no alembic.ini needed."""
