"""votes.alliance_id and a partial index of the open votes by alliance and deadline, for the partners' start page

Revision ID: 0012
Revises: 0011

A partner's start page lists the most urgent open votes of their alliance. Without the alliance on
the vote, the database had to read every open vote of every alliance and sort them; with it, the
index gives them in deadline order and the page stops after the first few. The upgrade copies the
alliance from each vote's application.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN = sa.text("closed_at IS NULL")


def upgrade():
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alliance_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE votes SET alliance_id = "
        "(SELECT applications.alliance_id FROM applications WHERE applications.id = votes.application_id)"
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.alter_column("alliance_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key("fk_votes_alliance_id_alliances", "alliances", ["alliance_id"], ["id"])
        batch_op.create_index(
            "ix_votes_open_by_deadline",
            ["alliance_id", "deadline_at", "session_date", "id"],
            unique=False,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )


def downgrade():
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index("ix_votes_open_by_deadline")
        batch_op.drop_constraint("fk_votes_alliance_id_alliances", type_="foreignkey")
        batch_op.drop_column("alliance_id")
