"""The caller's own account, and the OpenAPI document itself."""

from __future__ import annotations

from typing import Literal

from flask import jsonify

from workflow.api import bp
from workflow.api.loading import caller
from workflow.api.registry import ok, route
from workflow.api.shapes import Shape
from workflow.models import User


class MeOrganisation(Shape):
    id: int
    name: str
    kind: str


class MeAlliance(Shape):
    slug: str
    name: str


class Me(Shape):
    """Das Konto, dem das Token gehört."""

    id: int
    email: str
    name: str
    role: Literal["applicant", "partner", "coordinator", "observer"]
    role_label: str
    organisation: MeOrganisation
    alliance: MeAlliance


def me(user: User) -> Me:
    organisation = user.organisation
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        role_label=str(user.role_label),
        organisation=MeOrganisation(id=organisation.id, name=organisation.name, kind=organisation.kind),
        alliance=MeAlliance(slug=organisation.alliance.slug, name=organisation.alliance.name),
    )


@route(
    bp,
    "GET",
    "/openapi.json",
    summary="Dieses OpenAPI-3.1-Dokument",
    tag="Dokumentation",
    public=True,
    errors=(),
    responses={200: ("Das OpenAPI-Dokument", {"type": "object"}, "application/json")},
)
def openapi_document():
    from workflow.api.openapi import document

    return jsonify(document())


@route(bp, "GET", "/me", summary="Wer bin ich?", tag="Konto", errors=(), responses=ok(Me))
def get_me():
    return jsonify(me(caller()).plain())
