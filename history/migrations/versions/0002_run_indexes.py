"""Index every child table on its run, and runs on their release label: a diff reads one run's rows at a time.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHILDREN = ("inputs", "check_outcomes", "comparisons", "series", "bridges", "revisions")


def upgrade() -> None:
    for table in CHILDREN:
        op.create_index(f"ix_{table}_run_id", table, ["run_id"])
    op.create_index("ix_runs_release", "runs", ["release"])


def downgrade() -> None:
    op.drop_index("ix_runs_release", table_name="runs")
    for table in CHILDREN:
        op.drop_index(f"ix_{table}_run_id", table_name=table)
