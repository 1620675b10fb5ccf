"""events: index (application_id, trigger, id) for the deadlines of lists

Revision ID: 0010
Revises: 0007
"""

from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_application_id_trigger_id", ["application_id", "trigger", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_application_id_trigger_id")
