"""The JSON Schemas of what the API answers (components of the OpenAPI document)."""

from __future__ import annotations

from workflow.lifecycle import STATE_NAMES, TRIGGER_NAMES
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION
from workflow.models.document import DOCUMENT_KINDS


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _null(kind: str | list, **extra) -> dict:
    return {"type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"], **extra}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE_TIME = {"type": "string", "format": "date-time"}
NAMED = {
    "type": "object",
    "properties": {"id": INTEGER, "name": STRING},
    "required": ["id", "name"],
}

COMPONENTS: dict[str, dict] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 Problem Details; `detail` auf Deutsch.",
        "properties": {
            "type": STRING,
            "title": STRING,
            "status": INTEGER,
            "detail": STRING,
            "instance": STRING,
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": STRING, "detail": STRING},
                    "required": ["field", "detail"],
                },
            },
        },
        "required": ["type", "title", "status", "detail"],
    },
    "Me": {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "email": STRING,
            "name": STRING,
            "role": {"enum": ["applicant", "partner", "coordinator", "observer"]},
            "role_label": STRING,
            "organisation": {
                "type": "object",
                "properties": {"id": INTEGER, "name": STRING, "kind": STRING},
                "required": ["id", "name", "kind"],
            },
            "alliance": {
                "type": "object",
                "properties": {"slug": STRING, "name": STRING},
                "required": ["slug", "name"],
            },
        },
        "required": ["id", "email", "name", "role", "role_label", "organisation", "alliance"],
    },
    "FundingObject": {
        "type": "object",
        "properties": {"number": INTEGER, "name": STRING, "needs_statement": BOOLEAN},
        "required": ["number", "name", "needs_statement"],
    },
    "ApplicationSummary": {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "reference": _null("string"),
            "title": STRING,
            "state": {"enum": list(STATE_NAMES)},
            "state_label": STRING,
            "applicant": NAMED,
            "funding_object": _null("integer"),
            "districts": {"type": "array", "items": {"enum": list(DISTRICTS)}},
            "updated_at": DATE_TIME,
            "url": STRING,
        },
        "required": ["id", "reference", "title", "state", "state_label", "applicant", "updated_at", "url"],
    },
    "ApplicationPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("ApplicationSummary")},
            "page": INTEGER,
            "per_page": INTEGER,
            "total": INTEGER,
            "next": _null("string"),
        },
        "required": ["items", "page", "per_page", "total", "next"],
    },
    "Trigger": {
        "type": "object",
        "properties": {
            "name": {"enum": list(TRIGGER_NAMES)},
            "label": STRING,
            "url": STRING,
        },
        "required": ["name", "label", "url"],
    },
    "Deadline": {
        "type": "object",
        "properties": {
            "kind": STRING,
            "label": STRING,
            "due_at": DATE_TIME,
            "status": {"enum": ["open", "overdue", "met"]},
        },
        "required": ["kind", "label", "due_at", "status"],
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "kind": STRING,
            "trigger": _null("string"),
            "label": STRING,
            "from_state": _null("string"),
            "to_state": _null("string"),
            "actor": {"oneOf": [NAMED, {"type": "null"}]},
            "at": DATE_TIME,
            "data": {"type": "object"},
        },
        "required": ["id", "kind", "trigger", "label", "from_state", "to_state", "actor", "at", "data"],
    },
    "ApplicationData": {
        "type": "object",
        "description": "Die bearbeitbaren Angaben des Antrags (Skizze und Langfassung; wird mit den "
        "Stufen 1 und 2 reicher).",
        "properties": {
            "title": STRING,
            "summary": STRING,
            "funding_object": _null("integer"),
            "fields_of_action": {"type": "array", "items": {"enum": list(FIELDS_OF_ACTION)}},
            "districts": {"type": "array", "items": {"enum": list(DISTRICTS)}},
            "total_cost_cents": _null("integer"),
            "requested_grant_cents": _null("integer"),
        },
        "required": [
            "title",
            "summary",
            "funding_object",
            "fields_of_action",
            "districts",
            "total_cost_cents",
            "requested_grant_cents",
        ],
    },
    "Draft": {
        "type": "object",
        "properties": {
            "application_id": INTEGER,
            "state": {"enum": list(STATE_NAMES)},
            "editable": BOOLEAN,
            "data": ref("ApplicationData"),
        },
        "required": ["application_id", "state", "editable", "data"],
    },
    "Application": {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "reference": _null("string"),
            "title": STRING,
            "state": {"enum": list(STATE_NAMES)},
            "state_label": STRING,
            "next_actor": STRING,
            "final": BOOLEAN,
            "applicant": NAMED,
            "funding_object": {"oneOf": [ref("FundingObject"), {"type": "null"}]},
            "data": ref("ApplicationData"),
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "version": INTEGER,
            "may_edit": BOOLEAN,
            "may_upload": BOOLEAN,
            "allowed_triggers": {"type": "array", "items": ref("Trigger")},
            "deadlines": {"type": "array", "items": ref("Deadline")},
            "history": {"type": "array", "items": ref("Event")},
            "links": {"type": "object", "additionalProperties": STRING},
        },
        "required": [
            "id",
            "reference",
            "title",
            "state",
            "state_label",
            "final",
            "applicant",
            "data",
            "allowed_triggers",
            "deadlines",
            "history",
            "links",
        ],
    },
    "Document": {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "kind": {"enum": list(DOCUMENT_KINDS)},
            "kind_label": STRING,
            "version": INTEGER,
            "filename": STRING,
            "media_type": STRING,
            "size": INTEGER,
            "sha256": STRING,
            "pages": _null("integer"),
            "uploaded_at": DATE_TIME,
            "uploaded_by": NAMED,
            "url": STRING,
        },
        "required": ["id", "kind", "version", "filename", "media_type", "size", "sha256", "url"],
    },
    "DocumentList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": ref("Document")}},
        "required": ["items"],
    },
    "Vote": {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "mode": {"enum": ["circulation", "session"]},
            "mode_label": STRING,
            "is_open": BOOLEAN,
            "opened_at": DATE_TIME,
            "deadline_at": _null("string", format="date-time"),
            "deadline_passed": BOOLEAN,
            "session_date": _null("string", format="date"),
            "outcome": {"enum": ["approved", "not_approved", None]},
            "outcome_label": _null("string"),
            "show_choices": BOOLEAN,
            "tally": _null("object"),
            "cast": INTEGER,
            "eligible_count": INTEGER,
            "quorum": INTEGER,
            "quorum_reached": BOOLEAN,
            "partners": {"type": "array", "items": {"type": "object"}},
            "recusals": {"type": "array", "items": {"type": "object"}},
            "may_vote": BOOLEAN,
            "may_declare_conflict": BOOLEAN,
            "own_recused": BOOLEAN,
            "own_ballot": _null("object"),
        },
        "required": [
            "id",
            "mode",
            "is_open",
            "cast",
            "eligible_count",
            "quorum",
            "quorum_reached",
            "partners",
        ],
    },
    "Recusal": {
        "type": "object",
        "properties": {"organisation": NAMED, "reason": STRING, "at": DATE_TIME},
        "required": ["organisation", "reason", "at"],
    },
    "List": {
        "type": "object",
        "properties": {"items": {"type": "array"}},
        "required": ["items"],
    },
}
