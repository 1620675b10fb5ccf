"""The alliance's virtual budget per funding period."""

from __future__ import annotations

from flask import jsonify

from workflow.api import bp, serializers
from workflow.api.loading import caller
from workflow.api.registry import ok, route
from workflow.services import budget
from workflow.services.errors import NotAllowed


@route(
    bp,
    "GET",
    "/budget",
    summary="Das virtuelle Budget des Bündnisses je Förderperiode (Koordination und Bündnispartner)",
    description="Je Förderperiode: Budget, gebunden (positive Stellungnahme, noch kein Bescheid), "
    "bewilligt, verbleibend, in Cent, und die Anträge, die es binden. Ohne Förderperiode ist die "
    "Liste leer.",
    tag="Budget",
    errors=(403,),
    responses=ok("Budget"),
)
def get_budget():
    user = caller()
    if not budget.may_see(user):
        raise NotAllowed("Das Budget sehen die Netzwerkkoordination und die Bündnispartner.")
    return jsonify(serializers.budget(user, budget.periods(user)))
