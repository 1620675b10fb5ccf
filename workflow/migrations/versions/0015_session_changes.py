"""committee sessions: moved and cancelled (iCalendar sequence, last change, cancellation), entered afterwards

Revision ID: 0015
Revises: 0013

A session can be moved or cancelled; its calendar entry keeps its UID and counts each change in
`sequence` (iCalendar SEQUENCE), `updated_at` is its LAST-MODIFIED. A session that took place
without being planned in the app is recorded afterwards (`entered_afterwards`).

A vote moved from its circulation to a session has no deadline any more (the session decides): the
votes moved before this revision lose the circulation deadline they kept (the open_vote event still
records it), so that no page or list shows or sorts by it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("committee_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("entered_afterwards", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_committee_sessions_cancelled_by_id_users"), "users", ["cancelled_by_id"], ["id"]
        )
    op.execute(sa.text("UPDATE votes SET deadline_at = NULL WHERE mode = 'session'"))


def downgrade():
    with op.batch_alter_table("committee_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_committee_sessions_cancelled_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by_id")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("sequence")
        batch_op.drop_column("entered_afterwards")
