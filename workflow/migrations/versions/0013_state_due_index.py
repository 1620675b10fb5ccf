"""applications indexed by (alliance_id, state, next_due_on, id), votes by (alliance_id, closed_at): the table filtered by state, the recently closed votes

Revision ID: 0013
Revises: 0012

The application table filtered by a state (its most used filter) is ordered by the next deadline.
With the state in the index before the deadline, the database reads the page's rows in order
instead of walking every application of the alliance by deadline and skipping the other states.
It replaces the index on (alliance_id, state), which is its prefix. A partner's start page lists
the alliance's most recently closed votes: the votes' index by alliance and closing time gives them
in order (SQLite read every application of the alliance and sorted their votes).
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_alliance_state_due", ["alliance_id", "state", "next_due_on", "id"], unique=False
        )
        batch_op.drop_index("ix_applications_alliance_state")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index("ix_votes_alliance_closed", ["alliance_id", "closed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index("ix_votes_alliance_closed")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_alliance_state", ["alliance_id", "state"], unique=False)
        batch_op.drop_index("ix_applications_alliance_state_due")
