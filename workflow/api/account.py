"""The caller's own account, and the OpenAPI document itself."""

from __future__ import annotations

from flask import jsonify

from workflow.api import bp, serializers
from workflow.api.loading import caller
from workflow.api.registry import ok, route


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


@route(bp, "GET", "/me", summary="Wer bin ich?", tag="Konto", errors=(), responses=ok("Me"))
def get_me():
    return jsonify(serializers.me(caller()))
