"""The OpenAPI 3.1 document, generated from the registry of operations that Flask serves."""

from __future__ import annotations

from flask import current_app

from workflow.api.registry import OPERATIONS
from workflow.api.schemas import COMPONENTS

TAG_ORDER = (
    "Konto",
    "Anträge",
    "Lebenszyklus",
    "Projektskizze",
    "Langfassung",
    "Dokumente",
    "Votum",
    "Stellungnahme",
    "Sitzungen",
    "Budget",
    "Dokumentation",
)

DESCRIPTION = """\
Alles, was eine Person in Antragsweg im Browser tun kann, geht auch über diese Schnittstelle: mit den
Rechten und der Rolle der Person, der das Token gehört, und über dieselben Fachoperationen wie die
Oberfläche.

**Anmeldung:** `Authorization: Bearer <Token>`; Tokens erstellen und widerrufen Sie auf Ihrer
Profilseite (das Token wird nur einmal angezeigt) oder mit `flask --app wsgi create-token EMAIL`.

**Fehler** sind `application/problem+json` (RFC 9457) mit deutschem `detail` und bei Eingabefehlern
den Feldnamen in `errors`: 400/422 ungültige Eingabe, 401 kein oder ungültiges Token, 403 nicht erlaubt,
404 nicht vorhanden oder nicht sichtbar, 409 im aktuellen Status nicht möglich oder gleichzeitig
geändert.

Beträge sind ganze Cent, Zeiten ISO 8601 in UTC, Daten `JJJJ-MM-TT`.
"""


def document() -> dict:
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = operation.to_openapi()
    used = {o.tag for o in OPERATIONS}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Antragsweg API",
            "version": "1",
            "description": DESCRIPTION,
        },
        # The configured address, never the request's Host: behind the proxy it is https://….
        "servers": [{"url": current_app.config["BASE_URL"].rstrip("/")}],
        "tags": [{"name": tag} for tag in TAG_ORDER if tag in used],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API-Token (aw_…)"}
            },
        },
        "security": [{"bearer": []}],
    }


def operations_by_tag() -> list[tuple[str, list[dict]]]:
    """For the human-readable page: every operation, grouped by tag, with its fields."""
    spec = document()
    groups: dict[str, list[dict]] = {tag: [] for tag in TAG_ORDER}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            schema = next(iter(body.values()), {}).get("schema") if body else None
            groups.setdefault(operation["tags"][0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": operation["operationId"],
                    "summary": operation["summary"],
                    "description": operation.get("description", ""),
                    "public": operation.get("security") == [],
                    "parameters": operation["parameters"],
                    "body_type": next(iter(body), None) if body else None,
                    "fields": [
                        {
                            "name": name,
                            "required": name in schema.get("required", ()),
                            "type": _type_of(prop),
                            "title": prop.get("title", ""),
                        }
                        for name, prop in (schema or {}).get("properties", {}).items()
                    ],
                    "responses": [
                        (status, response["description"], ", ".join(response.get("content", {})))
                        for status, response in operation["responses"].items()
                    ],
                }
            )
    return [(tag, items) for tag, items in groups.items() if items]


def _type_of(prop: dict) -> str:
    kind = prop.get("type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " | ".join(k for k in kinds if k)
    if "enum" in prop:
        text += " (" + ", ".join("null" if v is None else str(v) for v in prop["enum"]) + ")"
    if prop.get("type") == "array" and "enum" in prop.get("items", {}):
        text += " von (" + ", ".join(map(str, prop["items"]["enum"])) + ")"
    if prop.get("format"):
        text += f", {prop['format']}"
    if "maxLength" in prop:
        text += f", ≤ {prop['maxLength']} Zeichen"
    return text
