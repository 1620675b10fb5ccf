"""The OpenAPI 3.1 document, generated from the registry of operations that Flask serves."""

from __future__ import annotations

import re

from flask import current_app

from workflow.api.problems import Problem
from workflow.api.registry import OPERATIONS, SHAPES
from workflow.api.shapes import components

# Each tag by its stable ASCII name (what generated clients name their modules after) and the
# German label people read (`x-displayName`, and the API page's headings), in this order.
TAGS = {
    "Konto": "Account",
    "Anträge": "Applications",
    "Lebenszyklus": "Lifecycle",
    "Projektskizze": "Sketch",
    "Langfassung": "LongForm",
    "Dokumente": "Documents",
    "Votum": "Vote",
    "Stellungnahme": "Statement",
    "Sitzungen": "Sessions",
    "Budget": "Budget",
    "Kennzahlen": "Figures",
    "Dokumentation": "Documentation",
}
TAG_ORDER = tuple(TAGS)
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")

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
    """The whole document; every schema title and tag name in it is an ASCII identifier."""
    return _with_identifiers(_document())


def _document() -> dict:
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
            "schemas": components([Problem, *SHAPES]),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API-Token (aw_…)"}
            },
        },
        "security": [{"bearer": []}],
    }


def operations_by_tag() -> list[tuple[str, list[dict]]]:
    """For the human-readable page: every operation, grouped by tag, with its fields."""
    spec = _document()  # with the German titles of the fields
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


# -- stable names for generated clients --------------------------------------------------------
# The schemas are written with German titles (the labels of the forms they come from). Client
# generators turn titles into type names ("PutBallotBodyBeitragZurFachkrÄFtesicherung…"), so the
# published document names each schema after its place instead — the property ("RatingContribution"),
# the component ("Vote"), the operation's body ("CastBallotInput") — and keeps the German title as
# the description.


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _named(schema, name: str):
    """The schema titled `name`; a German title it had goes into its description."""
    if isinstance(schema, list):
        return [_named(item, name) for item in schema]
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    schema = dict(schema)
    title = schema.get("title")
    if isinstance(title, str) and title and title != name and title not in schema.get("description", ""):
        schema["description"] = f"{title}. {schema['description']}" if schema.get("description") else title
    schema["title"] = name
    if "properties" in schema:
        schema["properties"] = {
            key: _named(value, name + _camel(key)) for key, value in schema["properties"].items()
        }
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _named(schema[key], name + "Item")
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            schema[key] = [_named(option, f"{name}Option{n}") for n, option in enumerate(schema[key], 1)]
    return schema


def _with_identifiers(spec: dict) -> dict:
    spec["tags"] = [{"name": TAGS[tag["name"]], "x-displayName": tag["name"]} for tag in spec["tags"]]
    spec["components"]["schemas"] = {
        name: _named(schema, name) for name, schema in spec["components"]["schemas"].items()
    }
    for methods in spec["paths"].values():
        for operation in methods.values():
            stem = _camel(operation["operationId"])
            operation["tags"] = [TAGS[tag] for tag in operation["tags"]]
            for parameter in operation["parameters"]:
                parameter["schema"] = _named(parameter["schema"], stem + _camel(parameter["name"]))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                content["schema"] = _named(content["schema"], stem + "Input")
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    content["schema"] = _named(content["schema"], f"{stem}Response{status}")
    return spec
