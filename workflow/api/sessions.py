"""The committee's sessions of the caller's alliance."""

from __future__ import annotations

from flask import jsonify

from workflow.api import bp, serializers
from workflow.api.loading import caller
from workflow.api.registry import ok, route
from workflow.services import sessions
from workflow.services.errors import NotAllowed


@route(
    bp,
    "GET",
    "/sessions",
    summary="Sitzungen des Gremiums (Bündnispartner, Koordination, Beobachter)",
    description="Die Sitzungen des eigenen Bündnisses, neueste zuerst, mit Tagesordnung, Protokoll, "
    "Anwesenheit und den Anträgen, über die dort abgestimmt wird (nur die, die Sie sehen dürfen). "
    "Projektträger sehen keine Sitzungen (403).",
    tag="Sitzungen",
    errors=(403,),
    responses=ok("SessionList"),
)
def list_sessions():
    user = caller()
    if not sessions.can_view(user):
        raise NotAllowed("Die Sitzungen sehen die Bündnispartner, die Koordination und Beobachter.")
    return jsonify({"items": [serializers.session(s, user) for s in sessions.list_for(user)]})
