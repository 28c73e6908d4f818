"""Each run's acknowledgements: every entry of its acknowledgements file that met a finding (acknowledged, changed or
expired) or met none (stale), with the steward's words and the evidence acknowledged (the finding's too, when changed).

A history of 0003 has no run recorded with an acknowledgements file, so the new table starts empty: nothing to fill.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "acknowledgements",
        sa.Column("id", KEY, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("acknowledged_on", sa.Date, nullable=False),
        sa.Column("expires", sa.Date),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("evidence_now", sa.Text),
    )
    op.create_index("ix_acknowledgements_run_id", "acknowledgements", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_acknowledgements_run_id", table_name="acknowledgements")
    op.drop_table("acknowledgements")
