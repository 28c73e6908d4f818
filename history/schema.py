"""The history's tables at the newest migration, as SQLAlchemy Core: what the store writes and reads.

The migrations (migrations/versions/) create these tables; they never import this module, since a
migration must keep describing its own step when the tables change later. tests/test_history.py
checks that a database upgraded to head matches this metadata exactly.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# A surrogate key wide enough for every row ever recorded; SQLite only auto-numbers an INTEGER key.
Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _run_id() -> sa.Column[int]:
    return sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False)


runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),  # UTC
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("command", sa.Text, nullable=False),  # check, reconcile, run or revisions
    sa.Column("release", sa.Text, nullable=False),  # the label a diff refers to
    sa.Column("reference_date", sa.Date),
    sa.Column("tool_version", sa.Text, nullable=False),
    sa.Column("config_sha256", sa.Text),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("gate", sa.Text, nullable=False),
    sa.Index("ix_runs_release", "release"),
)  # fmt: skip

inputs = sa.Table(
    "inputs", metadata,
    sa.Column("id", Key, primary_key=True),
    _run_id(),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("rows", sa.BigInteger),
    sa.Index("ix_inputs_run_id", "run_id"),
)  # fmt: skip

check_outcomes = sa.Table(
    "check_outcomes", metadata,
    sa.Column("id", Key, primary_key=True),
    _run_id(),
    sa.Column("source", sa.Text, nullable=False),  # the source's id (`id:` in the run config, default its name)
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("check_id", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # domain/status.py: passed, failed, crashed or not_run
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("key", sa.Text, nullable=False),  # check/SOURCE_ID/CHECK_ID
    sa.Column("people", sa.Text, nullable=False),  # JSON list of the failing records' person keys, never record ids
    sa.Index("ix_check_outcomes_run_id", "run_id"),
)  # fmt: skip

comparisons = sa.Table(
    "comparisons", metadata,
    sa.Column("id", Key, primary_key=True),
    _run_id(),
    sa.Column("measure", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),  # ISO start/end
    sa.Column("geography", sa.Text, nullable=False),  # an ONS code
    sa.Column("left", sa.Text, nullable=False),  # source ids
    sa.Column("right", sa.Text, nullable=False),
    sa.Column("left_low", sa.Double),  # NULL low: not available; NULL high: no upper bound
    sa.Column("left_high", sa.Double),
    sa.Column("right_low", sa.Double),
    sa.Column("right_high", sa.Double),
    sa.Column("relation", sa.Text, nullable=False),
    sa.Column("tolerance", sa.Text, nullable=False),  # JSON object
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),  # comparison/MEASURE/PERIOD/GEOGRAPHY/LEFT_ID/RIGHT_ID
    sa.Index("ix_comparisons_run_id", "run_id"),
    sa.Index("ix_comparisons_key", "key"),
)  # fmt: skip

series = sa.Table(
    "series", metadata,
    sa.Column("id", Key, primary_key=True),
    _run_id(),
    sa.Column("source", sa.Text, nullable=False),  # the source's id
    sa.Column("published", sa.Boolean, nullable=False),  # a published table, whose revisions a diff reports
    sa.Column("measure", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("geography", sa.Text, nullable=False),  # an ONS code
    sa.Column("low", sa.Double),
    sa.Column("high", sa.Double),
    sa.Column("per_12_low", sa.Double),
    sa.Column("per_12_high", sa.Double),
    sa.Index("ix_series_run_id", "run_id"),
)  # fmt: skip

bridges = sa.Table(
    "bridges", metadata,
    sa.Column("id", Key, primary_key=True),
    _run_id(),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("measure", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("headline", sa.Integer, nullable=False),
    sa.Column("harmonised", sa.Integer, nullable=False),
    sa.Column("steps", sa.Text, nullable=False),  # JSON list of {step, count}
    sa.Index("ix_bridges_run_id", "run_id"),
)  # fmt: skip

revisions = sa.Table(
    "revisions", metadata,
    sa.Column("id", Key, primary_key=True),
    _run_id(),
    sa.Column("indicator", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),  # JSON object: key column -> value
    sa.Column("old", sa.Text, nullable=False),
    sa.Column("new", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("change", sa.Double),
    sa.Column("beyond_tolerance", sa.Boolean, nullable=False),
    sa.Index("ix_revisions_run_id", "run_id"),
)  # fmt: skip

acknowledgements = sa.Table(
    "acknowledgements", metadata,
    sa.Column("id", Key, primary_key=True),
    _run_id(),
    sa.Column("key", sa.Text, nullable=False),  # the finding's key (or a stale entry's)
    sa.Column("status", sa.Text, nullable=False),  # domain/acknowledgements.py: acknowledged, changed, expired or stale
    sa.Column("reason", sa.Text, nullable=False),  # the steward's words, as the file gave them
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("acknowledged_on", sa.Date, nullable=False),
    sa.Column("expires", sa.Date),  # NULL: no expiry
    sa.Column("evidence", sa.Text, nullable=False),  # JSON object: the evidence the entry acknowledged
    sa.Column("evidence_now", sa.Text),  # JSON object: the finding's evidence, when it changed; else NULL
    sa.Index("ix_acknowledgements_run_id", "run_id"),
)  # fmt: skip

identity = sa.Table(
    "identity", metadata,
    sa.Column("name", sa.Text, primary_key=True),  # pseudonym_secret: the key person keys are made with
    sa.Column("value", sa.Text, nullable=False),
)  # fmt: skip

CHILDREN = (inputs, check_outcomes, comparisons, series, bridges, revisions, acknowledgements)
