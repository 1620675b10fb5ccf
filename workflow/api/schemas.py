"""The JSON Schemas of what the API answers (components of the OpenAPI document)."""

from __future__ import annotations

from forms.long_form import (
    SECTION_FORMS,
    ClassificationForm,
    CostLineForm,
    FinancingLineForm,
    PartnersForm,
)
from forms.sketch import MAX_OTHER_PARTNERS, SketchForm
from workflow.api.validation import MAX_ID, form_schema, nullable
from workflow.lifecycle import STATE_NAMES, TRIGGER_NAMES
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION
from workflow.models.document import DOCUMENT_KINDS
from workflow.models.long_form import COST_CATEGORIES, FINANCING_SOURCES, SECTIONS
from workflow.services.deadlines import KINDS as DEADLINE_KINDS
from workflow.services.deadlines import STATUS_LABELS as DEADLINE_STATUSES
from workflow.services.long_forms import MAX_LINES


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _null(kind: str | list, **extra) -> dict:
    return {"type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"], **extra}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE_TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
IDS = {
    "type": "array",
    "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "uniqueItems": True,
    "maxItems": 100,
}


# -- request bodies (from the forms of the pages) ---------------------------------------------------


def sketch_update_schema(funding_object: dict) -> dict:
    """PUT …/sketch: SketchForm's fields, all optional; the PDF goes through …/documents."""
    return form_schema(
        SketchForm,
        rename={"funding_object_id": "funding_object"},
        partial=True,
        overrides={
            "funding_object": funding_object,
            "partner_organisation_ids": nullable(
                {**IDS, "title": "Projektpartner aus dem Bündnis (Organisationen, ids)"}
            ),
            "other_partners": nullable(
                {
                    "type": "array",
                    "title": "Weitere Projektpartner (je ein Name)",
                    "items": {"type": "string", "maxLength": 200, "pattern": "^[^\\r\\n]*$"},
                    "maxItems": MAX_OTHER_PARTNERS,
                }
            ),
        },
    )


def _line_schema(form_class, key: str, values: dict) -> dict:
    schema = form_schema(form_class)
    schema["properties"][key] = {"type": "string", "enum": list(values)}
    schema["required"] = [key]
    return schema


def _plan_schema(form_class, key: str, values: dict, title: str) -> dict:
    return {
        "type": "object",
        "title": title,
        "properties": {
            "lines": {
                "type": "array",
                "maxItems": MAX_LINES,
                "items": _line_schema(form_class, key, values),
                "description": "Ersetzt alle Zeilen des Plans.",
            }
        },
        "required": ["lines"],
        "additionalProperties": False,
    }


def long_form_update_schema(funding_object: dict) -> dict:
    """PUT …/long-form: any of the sections, each with its form's fields (all optional)."""
    sections = {}
    for section in SECTIONS:
        form_class = SECTION_FORMS[section.key]
        if section.key == "costs":
            schema = _plan_schema(CostLineForm, "category", COST_CATEGORIES, section.title)
        elif section.key == "financing":
            schema = _plan_schema(FinancingLineForm, "source", FINANCING_SOURCES, section.title)
        else:
            overrides = {}
            if form_class is PartnersForm:
                overrides["partner_ids"] = nullable({**IDS, "title": "Bündnispartner als Projektpartner"})
            if form_class is ClassificationForm:
                overrides["funding_object"] = funding_object
            schema = form_schema(
                form_class,
                partial=True,
                rename={"funding_object_id": "funding_object"},
                overrides=overrides,
            )
            schema["title"] = section.title
        sections[section.key] = schema
    return {
        "type": "object",
        "properties": sections,
        "additionalProperties": False,
        "minProperties": 1,
    }


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
        "description": "Eine Frist des Verfahrens (services/deadlines.py) mit ihrem Stand.",
        "properties": {
            "kind": {"enum": [k.name for k in DEADLINE_KINDS]},
            "label": STRING,
            "actor": STRING,
            "application_id": INTEGER,
            "started_at": DATE_TIME,
            "due_on": DATE,
            "ends_at": DATE_TIME,
            "status": {"enum": list(DEADLINE_STATUSES)},
            "status_label": STRING,
            "description": STRING,
            "met_on": _null("string", format="date"),
            "met_late": BOOLEAN,
            "days": _null("integer"),
            "explanation": _null("string"),
        },
        "required": ["kind", "label", "due_on", "ends_at", "status", "status_label", "description"],
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
    "Sketch": {
        "type": "object",
        "properties": {
            "application_id": INTEGER,
            "state": {"enum": list(STATE_NAMES)},
            "editable": BOOLEAN,
            "data": {
                "type": "object",
                "description": "Die Felder wie im PUT (Fördergegenstand als Nummer).",
                "properties": {
                    "title": STRING,
                    "summary": STRING,
                    "funding_object": _null("integer"),
                    "fields_of_action": {"type": "array", "items": {"enum": list(FIELDS_OF_ACTION)}},
                    "districts": {"type": "array", "items": {"enum": list(DISTRICTS)}},
                    "need": STRING,
                    "objectives": STRING,
                    "target_groups": STRING,
                    "participants_planned": _null("integer"),
                    "activities": STRING,
                    "start_date": _null("string", format="date"),
                    "end_date": _null("string", format="date"),
                    "total_cost_cents": _null("integer"),
                    "requested_grant_cents": _null("integer"),
                    "partner_organisation_ids": {"type": "array", "items": INTEGER},
                    "other_partners": {"type": "array", "items": STRING},
                },
            },
            "partners": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": STRING,
                        "organisation_id": _null("integer"),
                        "alliance_partner": BOOLEAN,
                    },
                    "required": ["name", "organisation_id", "alliance_partner"],
                },
            },
            "partner_choices": {"type": "array", "items": NAMED},
            "missing": {"type": "array", "items": STRING, "description": "Was für die Einreichung fehlt."},
            "pdfs": {"type": "array", "items": ref("Document")},
            "updated_at": _null("string", format="date-time"),
        },
        "required": ["application_id", "state", "editable", "data", "partners", "missing", "pdfs"],
    },
    "LongForm": {
        "type": "object",
        "properties": {
            "application_id": INTEGER,
            "state": {"enum": list(STATE_NAMES)},
            "editable": BOOLEAN,
            "overview": {
                "type": "object",
                "properties": {
                    "sections": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "key": STRING,
                                "title": STRING,
                                "complete": BOOLEAN,
                                "problems": {
                                    "type": "array",
                                    "items": STRING,
                                    "description": "Warum der Abschnitt noch nicht vollständig ist "
                                    "(dieselben Gründe, mit denen das Einreichen abgelehnt wird).",
                                },
                            },
                            "required": ["key", "title", "complete", "problems"],
                        },
                    },
                    "complete": INTEGER,
                    "total": INTEGER,
                },
                "required": ["sections", "complete", "total"],
            },
            "sections": {
                "type": "object",
                "description": "Die Abschnitte mit ihren Feldern wie im PUT; `costs` ist für "
                "Bündnispartner `null` (keine Gehaltsangaben).",
                "properties": {s.key: {"type": ["object", "null"]} for s in SECTIONS},
            },
            "project_partners": {"type": "array", "items": NAMED},
            "partner_choices": {"type": "array", "items": NAMED},
            "plans": {
                "type": "object",
                "properties": {
                    "show_details": BOOLEAN,
                    "cost_total_cents": INTEGER,
                    "financing_total_cents": INTEGER,
                    "difference_cents": INTEGER,
                    "balanced": BOOLEAN,
                    "esf_grant_cents": INTEGER,
                    "funding_rate_percent": _null("string"),
                    "max_funding_rate_percent": INTEGER,
                    "rate_ok": BOOLEAN,
                    "cost_by_category": {"type": "object", "additionalProperties": INTEGER},
                    "financing_by_source": {"type": "object", "additionalProperties": INTEGER},
                },
                "required": ["show_details", "cost_total_cents", "financing_total_cents", "difference_cents"],
            },
            "documents": {"type": "array", "items": ref("Document")},
        },
        "required": ["application_id", "state", "editable", "overview", "sections", "plans", "documents"],
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
            "deadline_note": _null("string"),
            "statement_warning": _null("string"),
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
    "Session": {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "starts_at": DATE_TIME,
            "place": STRING,
            "agenda": STRING,
            "minutes": _null("string"),
            "past": BOOLEAN,
            "cancelled_at": _null("string", format="date-time"),
            "cancel_reason": _null("string"),
            "entered_afterwards": BOOLEAN,
            "sequence": INTEGER,
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "application_id": INTEGER,
                        "reference": _null("string"),
                        "title": STRING,
                        "state": {"enum": list(STATE_NAMES)},
                        "vote_status": _null("string"),
                        "url": STRING,
                    },
                    "required": ["application_id", "reference", "title", "state", "url"],
                },
            },
            "attendance": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"organisation": NAMED, "present": BOOLEAN},
                    "required": ["organisation", "present"],
                },
            },
        },
        "required": ["id", "starts_at", "place", "agenda", "minutes", "past", "items", "attendance"],
    },
    "SessionList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": ref("Session")}},
        "required": ["items"],
    },
    "Budget": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": INTEGER,
                        "name": STRING,
                        "starts_on": DATE,
                        "ends_on": DATE,
                        "current": BOOLEAN,
                        "total_cents": INTEGER,
                        "committed_cents": INTEGER,
                        "granted_cents": INTEGER,
                        "remaining_cents": INTEGER,
                        "exceeded": BOOLEAN,
                        "applications": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "application_id": INTEGER,
                                    "reference": _null("string"),
                                    "title": STRING,
                                    "applicant": STRING,
                                    "state": {"enum": list(STATE_NAMES)},
                                    "status": {"enum": ["committed", "granted", "released"]},
                                    "requested_cents": INTEGER,
                                    "granted_cents": _null("integer"),
                                    "counted_cents": INTEGER,
                                    "endorsed_on": _null("string", format="date-time"),
                                },
                                "required": ["application_id", "title", "state", "status", "counted_cents"],
                            },
                        },
                    },
                    "required": [
                        "id",
                        "name",
                        "starts_on",
                        "ends_on",
                        "total_cents",
                        "committed_cents",
                        "granted_cents",
                        "remaining_cents",
                        "exceeded",
                        "applications",
                    ],
                },
            }
        },
        "required": ["items"],
    },
}
