"""applications.next_due_on and next_due_kind (the next running deadline, kept beside the events) and votes (closed_at, deadline_at) indexed, for the lists

Revision ID: 0011
Revises: 0010

The cockpit's due list, the table's deadline order and its "overdue" filter read this column
through an index instead of looking up every application's latest starting events. The upgrade
fills it from the deadlines the starting events recorded (as the lists computed them before).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ASSESSMENT_STATES = ("sketch_submitted", "sketch_assessment")
STATEMENT_STATES = ("long_form_submitted", "partner_vote", "statement_pending")

applications = sa.table(
    "applications",
    sa.column("id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("next_due_on", sa.Date),
    sa.column("next_due_kind", sa.String),
)
events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("application_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("trigger", sa.String),
    sa.column("data", sa.JSON),
)


def _latest(trigger: str, key: str):
    event = events.alias()
    return (
        sa.select(event.c.data[key].as_string())
        .where(event.c.application_id == applications.c.id, event.c.trigger == trigger)
        .order_by(event.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _circulation():
    event, moved = events.alias(), events.alias()
    opened = (
        sa.select(sa.func.max(event.c.id))
        .where(event.c.application_id == applications.c.id, event.c.trigger == "open_vote")
        .scalar_subquery()
    )
    moved_since = sa.exists().where(
        moved.c.application_id == applications.c.id,
        moved.c.kind == "moved_to_session",
        moved.c.id > opened,
    )
    return sa.case(
        (sa.and_(_latest("open_vote", "mode") == "circulation", ~moved_since), _latest("open_vote", "deadline")),
        else_=sa.null(),
    )


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_due_kind", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_applications_alliance_next_due", ["alliance_id", "next_due_on", "id"], unique=False
        )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index("ix_votes_closed_at_deadline_at", ["closed_at", "deadline_at"], unique=False)
    sketch = _latest("submit_sketch", "deadline")
    statement = _latest("submit_long_form", "deadline")
    circulation = _circulation()
    circulation_first = sa.and_(circulation.is_not(None), sa.or_(statement.is_(None), circulation < statement))
    next_due = sa.case(
        (applications.c.state.in_(ASSESSMENT_STATES), sketch),
        (
            applications.c.state == "partner_vote",
            sa.case((circulation_first, circulation), else_=statement),
        ),
        (applications.c.state.in_(STATEMENT_STATES), statement),
        else_=sa.null(),
    )
    next_kind = sa.case(
        (applications.c.state.in_(ASSESSMENT_STATES), "assessment"),
        (sa.and_(applications.c.state == "partner_vote", circulation_first), "circulation"),
        else_="statement",
    )
    # ISO text ('2026-05-26…') to the column's date: PostgreSQL casts, SQLite stores the text.
    if op.get_bind().dialect.name == "postgresql":
        value = sa.cast(sa.func.substr(next_due, 1, 10), sa.Date)
    else:
        value = sa.func.substr(next_due, 1, 10)
    op.execute(
        applications.update()
        .where(applications.c.state.in_(ASSESSMENT_STATES + STATEMENT_STATES))
        .values(next_due_on=value)
    )
    op.execute(
        applications.update().where(applications.c.next_due_on.is_not(None)).values(next_due_kind=next_kind)
    )


def downgrade():
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index("ix_votes_closed_at_deadline_at")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_alliance_next_due")
        batch_op.drop_column("next_due_kind")
        batch_op.drop_column("next_due_on")
