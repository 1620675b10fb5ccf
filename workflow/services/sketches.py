"""The project sketch: saved as a draft at any time, optionally uploaded as a PDF (versions kept)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.models import Application, Organisation, ProjectPartner, Sketch, User
from workflow.models.document import Document
from workflow.models.event import log_event
from workflow.models.event_kinds import UPDATED
from workflow.models.sketch import MAX_SKETCH_PAGES, sketch_missing
from workflow.services import access, documents
from workflow.services.errors import NotAllowed, RuleViolation
from workflow.services.lifecycle import ensure_confirmed

MAX_PDF_BYTES = 10 * 1024 * 1024
APPLICATION_FIELDS = ("title", "summary", "funding_object_id", "total_cost_cents", "requested_grant_cents")
SKETCH_FIELDS = (
    "need",
    "objectives",
    "target_groups",
    "participants_planned",
    "activities",
    "start_date",
    "end_date",
)
NOT_EDITABLE = _l("Die Projektskizze kann nur bearbeitet werden, solange sie ein Entwurf ist.")


def alliance_partners(alliance_id: int) -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.alliance_id == alliance_id, Organisation.kind == "partner")
            .order_by(Organisation.name)
        )
    )


def _ensure_may_edit(application: Application, user: User) -> None:
    if not access.may(user, "edit_sketch", application):
        raise NotAllowed(NOT_EDITABLE)
    ensure_confirmed(user)


def save_draft(application: Application, user: User, values: dict) -> list[str]:
    """Save what the sponsor has written (complete or not); returns the names of what changed.

    `values` holds the application's fields, the sketch's fields, `fields_of_action`, `districts`,
    `partner_organisation_ids` (alliance partners) and `other_partners` (names).
    """
    _ensure_may_edit(application, user)
    changed: list[str] = []
    for name in APPLICATION_FIELDS:
        if name in values and getattr(application, name) != values[name]:
            setattr(application, name, values[name])
            changed.append(name)
    if "fields_of_action" in values and sorted(application.fields_of_action) != sorted(
        values["fields_of_action"]
    ):
        application.fields_of_action = values["fields_of_action"]
        changed.append("fields_of_action")
    if "districts" in values and sorted(application.districts) != sorted(values["districts"]):
        application.districts = values["districts"]
        changed.append("districts")
    sketch = application.sketch
    if sketch is None:
        sketch = application.sketch = Sketch()
    for name in SKETCH_FIELDS:
        if name in values and getattr(sketch, name) != values[name]:
            setattr(sketch, name, values[name])
            changed.append(name)
    sketch.updated_by_id = user.id
    if "partner_organisation_ids" in values or "other_partners" in values:
        changed += _set_partners(
            application, values.get("partner_organisation_ids", []), values.get("other_partners", [])
        )
    if changed:
        log_event(application, user, UPDATED, changed=changed)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changed


def _set_partners(application: Application, organisation_ids: list[int], names: list[str]) -> list[str]:
    allowed = {o.id for o in alliance_partners(application.alliance_id)}
    wanted_ids = []
    for org_id in organisation_ids:
        if org_id not in allowed:
            db.session.rollback()
            raise RuleViolation(
                _l("Bitte wählen Sie Projektpartner aus der Liste der Bündnispartner."),
                field="partner_organisation_ids",
            )
        if org_id not in wanted_ids and org_id != application.applicant_organisation_id:
            wanted_ids.append(org_id)
    wanted_names = []
    for name in names:
        name = name.strip()
        if name and name not in wanted_names:
            wanted_names.append(name)
    current = [(p.organisation_id, p.name) for p in application.project_partners]
    wanted = [(i, None) for i in wanted_ids] + [(None, n) for n in wanted_names]
    if sorted(current, key=str) == sorted(wanted, key=str):
        return []
    application.project_partners = []
    db.session.flush()  # the old rows go first: (application, organisation) is unique
    application.project_partners = [ProjectPartner(organisation_id=i, name=n) for i, n in wanted]
    db.session.flush()
    return ["project_partners"]


def upload_pdf(application: Application, user: User, stream, filename: str | None) -> Document:
    """Store the sketch as a PDF (checked by content: a real, unencrypted PDF of at most three
    pages and 10 MB) as its next version."""
    _ensure_may_edit(application, user)
    checked = documents.inspect(stream, (documents.PDF,), max_bytes=MAX_PDF_BYTES, max_pages=MAX_SKETCH_PAGES)
    return documents.store(application, "sketch", checked, filename, user)


def overview(application: Application, user: User) -> dict:
    """The sketch as plain data for the application page."""
    sketch = application.sketch
    pdfs = documents.versions(application, "sketch")
    return {
        "sketch": {name: getattr(sketch, name) for name in SKETCH_FIELDS} if sketch else None,
        "updated_at": sketch.updated_at if sketch else None,
        "partners": [
            {"name": p.label, "alliance_partner": p.organisation_id is not None}
            for p in application.project_partners
        ],
        "pdfs": [
            {
                "id": d.id,
                "version": d.version,
                "filename": d.filename,
                "pages": d.pages,
                "size_kb": max(1, d.size // 1024),
                "uploaded_at": d.uploaded_at,
                "current": i == 0,
            }
            for i, d in enumerate(pdfs)
        ],
        "missing": sketch_missing(application),
        "may_edit": access.may(user, "edit_sketch", application),
    }
