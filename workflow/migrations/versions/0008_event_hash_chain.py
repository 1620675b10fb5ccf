"""event hash chain: each event carries its predecessor's hash and its own

Revision ID: 0008
Revises: 0002
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None


def _hash(row, prev_hash):
    # The canonical content of revision 0008 (see Event.content_hash).
    content = {
        "alliance_id": row.alliance_id,
        "application_id": row.application_id,
        "actor_id": row.actor_id,
        "kind": row.kind,
        "trigger": row.trigger,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "data": (json.loads(row.data) if isinstance(row.data, str) else row.data) or {},
        "created_at": row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    # Chain the events already there, in the order they happened.
    connection = op.get_bind()
    events = sa.table(
        "events", sa.column("id"), sa.column("alliance_id"), sa.column("application_id"), sa.column("actor_id"),
        sa.column("kind"), sa.column("trigger"), sa.column("from_state"), sa.column("to_state"),
        sa.column("data", sa.JSON), sa.column("created_at", sa.DateTime), sa.column("prev_hash"), sa.column("hash"),
    )
    last = {}
    for row in connection.execute(sa.select(events).order_by(events.c.id)).all():
        key = (row.application_id, None if row.application_id else row.alliance_id)
        prev_hash = last.get(key)
        digest = _hash(row, prev_hash)
        connection.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev_hash, hash=digest))
        last[key] = digest
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_events_prev_hash"), ["prev_hash"])


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_prev_hash"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
