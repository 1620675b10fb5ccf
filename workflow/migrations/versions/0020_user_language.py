"""users.language: the language a person reads Antragsweg in, so that mails reach them in it

Revision ID: 0020
Revises: 0019

Mails are written into the outbox by whoever's action (or `tick`) sends them, so the recipient's
language has to be kept with the person: set when a signed-in person switches the language.
German for everyone until then.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="de"))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
