"""trust: mail claimed by a sender process

Revision ID: 0016
Revises: 0013

The outbox is sent by its own process (`send-mail --loop`), one or several: each claims a batch
before sending it (claimed_by, claimed_until: a lease), so that two senders never send a mail twice.
"""

import sqlalchemy as sa
from alembic import op


revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
