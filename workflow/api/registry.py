"""The API's routes and their schemas in one registry: each route is declared once, with what it
reads and answers; Flask serves it and the OpenAPI document is generated from the same entries."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint

from workflow.api import validation
from workflow.api.problems import PROBLEM_JSON

PREFIX = "/api/v1"
ID = "int"  # ids fit a 32-bit integer column; the views answer 404 to any other number

ERROR_TEXTS = {
    400: "Ungültige Anfrage (kein JSON, falsche Parameter)",
    401: "Kein oder ungültiges Token",
    403: "Nicht erlaubt",
    404: "Nicht gefunden oder nicht sichtbar",
    409: "Im aktuellen Status nicht möglich oder gleichzeitig geändert",
    413: "Zu groß",
    415: "Falsches Format (multipart/form-data erwartet)",
    422: "Eingabe nicht angenommen (mit Feldnamen)",
}


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    tag: str
    description: str = ""
    body: dict | None = None  # JSON Schema of an application/json request body
    multipart: dict | None = None  # JSON Schema of a multipart/form-data request body
    query: list[dict] = field(default_factory=list)
    responses: dict = field(default_factory=dict)  # status -> (description, schema, media type)
    errors: tuple[int, ...] = ()
    public: bool = False

    @property
    def path(self) -> str:
        """The OpenAPI path: /api/v1/applications/{application_id}."""
        return PREFIX + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", self.rule)

    def path_parameters(self) -> list[dict]:
        parameters = []
        for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", self.rule):
            schema = (
                {"type": "integer", "minimum": 1, "maximum": validation.MAX_ID}
                if converter.startswith("int")
                else {"type": "string"}
            )
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return parameters

    def to_openapi(self) -> dict:
        operation: dict = {
            "operationId": self.endpoint,
            "summary": self.summary,
            "tags": [self.tag],
            "parameters": self.path_parameters()
            + [{"in": "query", "required": False, **p} for p in self.query],
            "responses": {},
        }
        if self.description:
            operation["description"] = self.description
        if self.public:
            operation["security"] = []
        if self.body is not None:
            operation["requestBody"] = {
                "required": bool(self.body.get("required")),
                "content": {"application/json": {"schema": self.body}},
            }
        if self.multipart is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": self.multipart}},
            }
        for status, (text, schema, media_type) in sorted(self.responses.items()):
            response: dict = {"description": text}
            if media_type:
                media_types = media_type if isinstance(media_type, tuple) else (media_type,)
                response["content"] = {m: {"schema": schema or {}} for m in media_types}
            operation["responses"][str(status)] = response
        codes = set(self.errors)
        if not self.public:
            codes.add(401)
        if self.body is not None or self.multipart is not None:
            codes |= {400, 413, 422}
        if self.multipart is not None:
            codes.add(415)
        if self.query:
            codes.add(400)
        for status in sorted(codes - set(self.responses)):
            operation["responses"][str(status)] = {
                "description": ERROR_TEXTS[status],
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        return operation


OPERATIONS: list[Operation] = []


def route(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    responses: dict,
    description: str = "",
    body: dict | None = None,
    multipart: dict | None = None,
    query: list[dict] | None = None,
    errors: tuple[int, ...] = (404,),
    public: bool = False,
    endpoint: str | None = None,
    defaults: dict | None = None,
) -> Callable:
    """Declare and serve an operation. The view gets `params` (the declared query parameters),
    `load_body()` (the JSON body, checked against `body`'s schema: called after the access checks,
    so that a caller who may not act learns nothing from a validation error) and `load_form()` (the
    fields of a multipart body, checked likewise) when it has them."""

    def register(fn: Callable) -> Callable:
        operation = Operation(
            method=method,
            rule=rule,
            endpoint=endpoint or fn.__name__,
            summary=summary,
            tag=tag,
            description=description,
            body=body,
            multipart=multipart,
            query=list(query or []),
            responses=responses,
            errors=errors,
            public=public,
        )

        wants_form = "load_form" in inspect.signature(fn).parameters

        def view(**kwargs):
            if operation.query:
                kwargs["params"] = validation.read_query(operation.query)
            if operation.body is not None:
                kwargs["load_body"] = lambda: validation.checked_json(operation.body)
            if operation.multipart is not None and wants_form:
                kwargs["load_form"] = lambda: validation.checked_multipart(operation.multipart)
            return fn(**kwargs)

        view.__name__ = operation.endpoint
        view.__doc__ = fn.__doc__
        view.api_public = public  # type: ignore[attr-defined]
        options = {"defaults": defaults} if defaults else {}
        bp.add_url_rule(rule, endpoint=operation.endpoint, view_func=view, methods=[method], **options)
        OPERATIONS.append(operation)
        return fn

    return register


# The shapes that operations answer with: the OpenAPI document's components come from them.
SHAPES: list[type] = []


def ok(shape: type, text: str = "Erfolg", status: int = 200) -> dict:
    """A JSON answer of `shape` (a model of shapes.py)."""
    if shape not in SHAPES:
        SHAPES.append(shape)
    return {status: (text, {"$ref": f"#/components/schemas/{shape.__name__}"}, "application/json")}
