"""In-app notifications: the list (read and unread), marking them read; the nav shows the count."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
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


def _item(n) -> dict:
    return {
        "id": n.id,
        "subject": n.subject,
        "body": n.body,
        "link": n.link,
        "application_id": n.application_id,
        "created_at": n.created_at,
        "unread": n.read_at is None and n.resolved_at is None,
        "needs_action": n.needs_action,
        "done": n.resolved_at is not None,
    }


@bp.get("/benachrichtigungen")
@login_required
def index():
    recent = notifications.recent(current_user, limit=100)
    entries = [
        {
            "group": True,
            "kind": e["kind"],
            "code": e["items"][0].kind,
            "items": [_item(n) for n in e["items"]],
        }
        if e["group"]
        else {"group": False, "item": _item(e["item"])}
        for e in notifications.grouped(recent)
    ]
    return render_template(
        "notifications/index.html", entries=entries, any_unread=any(_item(n)["unread"] for n in recent)
    )


@bp.post("/benachrichtigungen/gelesen")
@login_required
def mark_read():
    notification_id = _id(request.form.get("id"))  # None for "all", and for anything odd
    kind = request.form.get("kind")
    kind = kind if kind in notifications.KINDS else None  # a group: every unread one of its kind
    notifications.mark_read(current_user, notification_id, kind)
    if notification_id is None and kind is None:
        flash(gettext("Alle Benachrichtigungen sind als gelesen markiert."), "success")
    target = _id(request.form.get("open"))
    if target is not None:
        return redirect(url_for("applications.show", application_id=target), 303)
    return redirect(url_for(".index"), 303)


def _id(value: str | None) -> int | None:
    """A database id from a form field, or None for anything else (huge numbers included)."""
    if value and value.isascii() and value.isdecimal() and 0 < int(value) <= MAX_ID:
        return int(value)
    return None
