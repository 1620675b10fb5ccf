"""An open revision request: what the sponsor is asked to change, by whom and when, while the
application is back with them (the sketch after `request_sketch_revision`; the long form after
`request_long_form_revision` or a statement that asks for changes)."""

from __future__ import annotations

from workflow.lifecycle import TRIGGERS_BY_NAME
from workflow.models import Application, User
from workflow.permissions import DRAFTS, SKETCH_DRAFT
from workflow.services import access
from workflow.services.lifecycle import latest_transition

# The triggers that hand an application back for revision, with what their event records as the
# request (label and key, in the order shown).
REQUESTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "request_sketch_revision": (
        "Überarbeitung der Skizze angefordert",
        (("Was zu ändern ist", "reason"),),
    ),
    "request_long_form_revision": (
        "Formale Nachbesserung der Langfassung angefordert",
        (("Zu behebende Mängel", "deficiencies"),),
    ),
    "issue_statement": (
        "Überarbeitung der Langfassung nach dem Votum erbeten",
        (("Erbetene Änderungen", "requested_changes"), ("Begründung der Stellungnahme", "statement")),
    ),
}


def open_request(application: Application, user: User) -> dict | None:
    """The revision request the application is waiting on, or None. It is open while the
    application is still in the draft state that request sent it to (the latest transition)."""
    if application.state not in DRAFTS:
        return None
    event = latest_transition(application, *TRIGGERS_BY_NAME)
    if event is None or event.trigger not in REQUESTS or event.to_state != application.state:
        return None
    title, keys = REQUESTS[event.trigger]
    data = event.data or {}
    items = [(label, data[key]) for label, key in keys if (data.get(key) or "").strip()]
    sketch = application.state in SKETCH_DRAFT
    actor = event.actor
    return {
        "event_id": event.id,
        "title": title,
        "items": items,
        "at": event.created_at,
        "by": f"{actor.name} ({actor.organisation.name})" if actor else "Antragsweg (automatisch)",
        "stage": "sketch" if sketch else "long_form",
        "may_edit": access.may(user, "edit_sketch", application)
        if sketch
        else access.may(user, "edit_long_form", application),
    }
