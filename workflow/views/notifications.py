"""In-app notifications: the list (read and unread), marking them read; the nav shows the count."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from workflow import MAX_ID
from workflow.lifecycle import ROLES
from workflow.services import notifications
from workflow.views import navigation

bp = Blueprint("notifications", __name__)

navigation.register(
    _l("Benachrichtigungen"),
    "notifications.index",
    ROLES,
    order=90,
    badge=lambda user: notifications.unread_count(user),
)


@bp.get("/benachrichtigungen")
@login_required
def index():
    items = [
        {
            "id": n.id,
            "subject": n.subject,
            "body": n.body,
            "link": n.link,
            "application_id": n.application_id,
            "created_at": n.created_at,
            "unread": n.read_at is None,
        }
        for n in notifications.recent(current_user, limit=100)
    ]
    return render_template("notifications/index.html", items=items)


@bp.post("/benachrichtigungen/gelesen")
@login_required
def mark_read():
    notification_id = _id(request.form.get("id"))  # None for "all", and for anything odd
    notifications.mark_read(current_user, notification_id)
    if notification_id is None:
        flash("Alle Benachrichtigungen sind als gelesen markiert.", "success")
    target = _id(request.form.get("open"))
    if target is not None:
        return redirect(url_for("applications.show", application_id=target), 303)
    return redirect(url_for(".index"), 303)


def _id(value: str | None) -> int | None:
    """A database id from a form field, or None for anything else (huge numbers included)."""
    if value and value.isascii() and value.isdecimal() and 0 < int(value) <= MAX_ID:
        return int(value)
    return None
