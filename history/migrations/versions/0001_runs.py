"""The run history's tables: runs and everything recorded under each.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _child(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", KEY, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        *columns,
    )


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("release", sa.Text, nullable=False),
        sa.Column("reference_date", sa.Date),
        sa.Column("tool_version", sa.Text, nullable=False),
        sa.Column("config_sha256", sa.Text),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("gate", sa.Text, nullable=False),
    )
    _child("inputs",
           sa.Column("source", sa.Text, nullable=False), sa.Column("path", sa.Text, nullable=False),
           sa.Column("size", sa.BigInteger, nullable=False), sa.Column("sha256", sa.Text, nullable=False),
           sa.Column("rows", sa.BigInteger))  # fmt: skip
    _child("check_outcomes",
           sa.Column("source", sa.Text, nullable=False), sa.Column("kind", sa.Text, nullable=False),
           sa.Column("check_id", sa.Text, nullable=False), sa.Column("severity", sa.Text, nullable=False),
           sa.Column("status", sa.Text, nullable=False), sa.Column("failed", sa.Integer, nullable=False),
           sa.Column("record_ids", sa.Text, nullable=False))  # fmt: skip
    _child("comparisons",
           sa.Column("measure", sa.Text, nullable=False), sa.Column("period", sa.Text, nullable=False),
           sa.Column("geography", sa.Text, nullable=False), sa.Column("left", sa.Text, nullable=False),
           sa.Column("right", sa.Text, nullable=False),
           sa.Column("left_low", sa.Double), sa.Column("left_high", sa.Double),
           sa.Column("right_low", sa.Double), sa.Column("right_high", sa.Double),
           sa.Column("relation", sa.Text, nullable=False), sa.Column("tolerance", sa.Text, nullable=False),
           sa.Column("status", sa.Text, nullable=False))  # fmt: skip
    _child("series",
           sa.Column("source", sa.Text, nullable=False), sa.Column("published", sa.Boolean, nullable=False),
           sa.Column("measure", sa.Text, nullable=False), sa.Column("period", sa.Text, nullable=False),
           sa.Column("geography", sa.Text, nullable=False),
           sa.Column("low", sa.Double), sa.Column("high", sa.Double),
           sa.Column("per_12_low", sa.Double), sa.Column("per_12_high", sa.Double))  # fmt: skip
    _child("bridges",
           sa.Column("source", sa.Text, nullable=False), sa.Column("measure", sa.Text, nullable=False),
           sa.Column("period", sa.Text, nullable=False), sa.Column("headline", sa.Integer, nullable=False),
           sa.Column("harmonised", sa.Integer, nullable=False), sa.Column("steps", sa.Text, nullable=False))  # fmt: skip
    _child("revisions",
           sa.Column("indicator", sa.Text, nullable=False), sa.Column("key", sa.Text, nullable=False),
           sa.Column("old", sa.Text, nullable=False), sa.Column("new", sa.Text, nullable=False),
           sa.Column("kind", sa.Text, nullable=False), sa.Column("change", sa.Double),
           sa.Column("beyond_tolerance", sa.Boolean, nullable=False))  # fmt: skip


def downgrade() -> None:
    for name in ("revisions", "bridges", "series", "comparisons", "check_outcomes", "inputs", "runs"):
        op.drop_table(name)
