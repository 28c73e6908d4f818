"""Identity that outlives a run: keys and person keys instead of strings as a run disclosed them.

- `identity`: the history's own secret, from which person keys are made (made here, once, at random).
- `check_outcomes`: `key` (check/SOURCE_ID/CHECK_ID) and `people` (the failing records' person keys) replace
  `record_ids` (the ids as disclosed: clear, or hashed under --redact). Stored ids become the person keys of those
  strings: a clear id keeps its identity; an id stored hashed cannot be recovered and stays a stranger.
- `comparisons`: `key` (comparison/MEASURE/PERIOD/GEOGRAPHY/LEFT_ID/RIGHT_ID); `geography` becomes an ONS code.
- `series`: `geography` becomes an ONS code.

This step describes itself: the key forms and place codes below are those of this revision, not imported.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import secrets
from importlib import resources

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ENGLAND = ("England", "E92000001")
LONDON = ("London", "E12000007")


def _place_codes() -> dict[str, str]:
    text = resources.files("triangulate").joinpath("data/la_codes.csv").read_text(encoding="utf-8")
    regions = {row["region_name"]: row["region_code"] for row in csv.DictReader(io.StringIO(text))}
    return {ENGLAND[0]: ENGLAND[1], LONDON[0]: LONDON[1], **regions}


def _part(text: str) -> str:
    return str(text).replace("%", "%25").replace("/", "%2F")


def _period_label(iso: str) -> str:
    start, end = (dt.date.fromisoformat(p) for p in iso.split("/"))
    if (start.month, start.day) == (4, 1) and end == dt.date(start.year + 1, 3, 31):
        return f"{start.year}-{str(end.year)[2:]}"
    if (start.month, start.day) == (1, 1) and end == dt.date(start.year, 12, 31):
        return str(start.year)
    return f"{start.isoformat()}..{end.isoformat()}"


def _person(secret: bytes, source: str, record_id: str) -> str:
    message = f"{source}\x1f{record_id}".encode("utf-8", "surrogateescape")
    return "p:" + hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def upgrade() -> None:
    connection = op.get_bind()
    identity = op.create_table("identity", sa.Column("name", sa.Text, primary_key=True), sa.Column("value", sa.Text, nullable=False))
    secret = secrets.token_bytes(32)
    op.bulk_insert(identity, [{"name": "pseudonym_secret", "value": secret.hex()}])

    op.add_column("check_outcomes", sa.Column("key", sa.Text))
    op.add_column("check_outcomes", sa.Column("people", sa.Text))
    checks = sa.table("check_outcomes", sa.column("id"), sa.column("source"), sa.column("check_id"), sa.column("record_ids"),
                      sa.column("key"), sa.column("people"))  # fmt: skip
    found = connection.execute(sa.select(checks.c.id, checks.c.source, checks.c.check_id, checks.c.record_ids)).all()
    if found:  # one statement for every row (executemany), not a round trip each
        connection.execute(
            checks.update().where(checks.c.id == sa.bindparam("row_id")).values(key=sa.bindparam("new_key"), people=sa.bindparam("new_people")),
            [{"row_id": row.id, "new_key": f"check/{_part(row.source)}/{_part(row.check_id)}",
              "new_people": json.dumps(sorted({_person(secret, row.source, str(r)) for r in json.loads(row.record_ids or "[]")}))}
             for row in found],
        )  # fmt: skip
    with op.batch_alter_table("check_outcomes") as batch:
        batch.drop_column("record_ids")
        batch.alter_column("key", existing_type=sa.Text, nullable=False)
        batch.alter_column("people", existing_type=sa.Text, nullable=False)

    codes = _place_codes()
    op.add_column("comparisons", sa.Column("key", sa.Text))
    comparisons = sa.table("comparisons", sa.column("id"), sa.column("measure"), sa.column("period"), sa.column("geography"),
                           sa.column("left"), sa.column("right"), sa.column("key"))  # fmt: skip
    found = connection.execute(sa.select(comparisons.c.id, comparisons.c.measure, comparisons.c.period, comparisons.c.geography,
                                         comparisons.c.left, comparisons.c.right)).all()  # fmt: skip
    if found:
        connection.execute(
            comparisons.update().where(comparisons.c.id == sa.bindparam("row_id"))
            .values(key=sa.bindparam("new_key"), geography=sa.bindparam("place")),
            [{"row_id": row.id, "place": codes.get(row.geography, row.geography),
              "new_key": "/".join(("comparison", *map(_part, (row.measure, _period_label(row.period),
                                                               codes.get(row.geography, row.geography), row.left, row.right))))}
             for row in found],
        )  # fmt: skip
    with op.batch_alter_table("comparisons") as batch:
        batch.alter_column("key", existing_type=sa.Text, nullable=False)
    op.create_index("ix_comparisons_key", "comparisons", ["key"])

    series = sa.table("series", sa.column("geography"))
    for name, code in codes.items():
        connection.execute(series.update().where(series.c.geography == name).values(geography=code))


def downgrade() -> None:
    raise NotImplementedError("a history's record ids cannot be recovered from person keys")
