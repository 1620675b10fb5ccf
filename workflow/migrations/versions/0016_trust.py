"""trust: mail claimed by a sender process, personal texts of events held outside the chain

Revision ID: 0016
Revises: 0013

The outbox is sent by its own process (`send-mail --loop`), one or several: each claims a batch
before sending it (claimed_by, claimed_until: a lease), so that two senders never send a mail twice.

event_texts: what people type into an event (notes, reasons, comments, file names, addresses) is
held outside its chained payload, which keeps a salted hash of it, so that an erasure can take a
person out of it and the chain still verifies. Events written before stay as they were chained.

integrity_checks: the result of each verify-log run (command or nightly tick), for the start page.

notifications: their kind, whether they ask for an action and until when (the state that asked for
it), whether they are held for the daily digest; notification_preferences: the person's choice per
kind (at once, or in the digest).
"""

import sqlalchemy as sa
from alembic import op


revision = "0016"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("redacted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_texts_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_texts")),
        sa.UniqueConstraint("commitment", name=op.f("uq_event_texts_commitment")),
    )
    with op.batch_alter_table("event_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_texts_event_id"), ["event_id"], unique=False)
    op.create_table(
        "integrity_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("run_by", sa.String(length=100), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("alliance_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["alliances.id"], name=op.f("fk_integrity_checks_alliance_id_alliances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_checks")),
    )
    with op.batch_alter_table("integrity_checks", schema=None) as batch_op:
        batch_op.create_index("ix_integrity_checks_ok_finished", ["ok", "finished_at"], unique=False)
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), server_default="info", nullable=False))
        batch_op.add_column(
            sa.Column("needs_action", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("awaits_state", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(
            "ix_notifications_application_awaits", ["application_id", "awaits_state"], unique=False
        )
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "delivery",
            sa.Enum(
                "immediate",
                "digest",
                name="notification_delivery",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_notification_preferences_user_id")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_preferences_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_preferences_user_id"))
    op.drop_table("notification_preferences")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_application_awaits")
        batch_op.drop_column("held")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("awaits_state")
        batch_op.drop_column("needs_action")
        batch_op.drop_column("kind")
    with op.batch_alter_table("integrity_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_integrity_checks_ok_finished")
    op.drop_table("integrity_checks")
    with op.batch_alter_table("event_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_texts_event_id"))
    op.drop_table("event_texts")
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
