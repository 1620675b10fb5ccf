"""Reading and editing the application's own data (not its state: that is the lifecycle's)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from workflow.extensions import db
from workflow.models import Application, User
from workflow.models.event import log_event
from workflow.models.event_kinds import UPDATED
from workflow.services import access
from workflow.services.errors import NotAllowed

EDITABLE = (
    "title",
    "summary",
    "preferred_dates",
    "funding_object_id",
    "total_cost_cents",
    "requested_grant_cents",
)


def list_for(user: User, state: str | None = None, limit: int = 200) -> list[Application]:
    query = access.visible_applications(user).options(
        selectinload(Application.applicant), selectinload(Application.funding_object)
    )
    if state:
        query = query.where(Application.state == state)
    return list(db.session.scalars(query.order_by(Application.updated_at.desc()).limit(limit)))


def update(application: Application, user: User, values: dict) -> None:
    """The sponsor saves the application's data; each save is recorded with what changed."""
    if not access.may(user, "edit", application):
        raise NotAllowed(_l("Dieser Antrag kann im aktuellen Status nicht bearbeitet werden."))
    changed = {}
    for name in EDITABLE:
        if name in values and getattr(application, name) != values[name]:
            setattr(application, name, values[name])
            changed[name] = values[name]
    if "fields_of_action" in values and sorted(application.fields_of_action) != sorted(
        values["fields_of_action"]
    ):
        application.fields_of_action = values["fields_of_action"]
        changed["fields_of_action"] = values["fields_of_action"]
    if "districts" in values and sorted(application.districts) != sorted(values["districts"]):
        application.districts = values["districts"]
        changed["districts"] = values["districts"]
    if changed:
        log_event(application, user, UPDATED, changed=sorted(changed))
    db.session.commit()


def count_by_state(user: User) -> dict[str, int]:
    query = (
        access.visible_applications(user)
        .with_only_columns(Application.state, sa.func.count())
        .group_by(Application.state)
    )
    return dict(db.session.execute(query).all())
