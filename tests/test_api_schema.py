"""The API holds itself to its OpenAPI document: every route is in it, and schemathesis sends
generated input (valid and invalid) to every operation and checks each answer against the document —
never a 500, only documented statuses, content types and bodies."""

from __future__ import annotations

import contextvars
import io
import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import make_pdf
from workflow.api.registry import PREFIX
from workflow.services import documents

EXAMPLES = 8  # per operation, caller and mode: the whole run stays well under a minute
# Not checked: that every schema-valid request is accepted. Rules that JSON Schema cannot say (a
# date not in the future, a grant not above the cost, the guards of the lifecycle) answer 422 to
# schema-valid data, by design.


def test_every_api_route_is_in_the_openapi_document(app, api):
    document = api("coordinator").get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented
    assert len(documented) >= 30


def test_the_openapi_document_needs_no_token(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and "paths" in response.get_json()


IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def _titles(node, found: list[str]) -> list[str]:
    """Every schema title in a part of the document (a property called "title" is no title)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                found.append(value)
            elif key == "properties" and isinstance(value, dict):
                for schema in value.values():
                    _titles(schema, found)
            else:
                _titles(value, found)
    elif isinstance(node, list):
        for item in node:
            _titles(item, found)
    return found


def test_schemas_and_tags_have_stable_ascii_names_for_generated_clients(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    titles = _titles(document["paths"], []) + _titles(document["components"], [])
    assert len(titles) > 100
    assert [t for t in titles if not IDENTIFIER.match(t)] == []
    assert all(IDENTIFIER.match(name) for name in document["components"]["schemas"])
    tags = document["tags"]
    assert [t for t in tags if not IDENTIFIER.match(t["name"])] == []
    assert {"name": "Applications", "x-displayName": "Anträge"} in tags
    used = {tag for methods in document["paths"].values() for op in methods.values() for tag in op["tags"]}
    assert used <= {t["name"] for t in tags}
    # The ballot's body: named after the operation and its fields; the German label is kept.
    body = document["paths"]["/api/v1/applications/{application_id}/vote/ballot"]["put"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["title"] == "PutBallotInput"
    choice = schema["properties"]["choice"]
    assert choice["title"] == "PutBallotInputChoice" and "Votum" in choice["description"]
    rating = next(p for name, p in schema["properties"].items() if name.startswith("rating_"))
    assert IDENTIFIER.match(rating["title"]) and rating["title"].startswith("PutBallotInputRating")
    assert "Fachkräftesicherung" in str(schema["properties"])  # the German text is still there


def _shapes(node, found: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each schema title and the shapes (the schema without its texts) it stands for."""
    if isinstance(node, dict):
        if isinstance(node.get("title"), str) and ("type" in node or "enum" in node or "properties" in node):
            shape = {k: v for k, v in node.items() if k not in ("title", "description")}
            found.setdefault(node["title"], set()).add(json.dumps(shape, sort_keys=True, default=str))
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for schema in value.values():
                    _shapes(schema, found)
            elif key != "title":
                _shapes(value, found)
    elif isinstance(node, list):
        for item in node:
            _shapes(item, found)
    return found


def test_each_schema_title_names_one_shape(app):
    """A generator makes one type per title: two shapes under one title would be merged or
    numbered at random."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    shapes = _shapes(document["paths"], {})
    _shapes(document["components"], shapes)
    assert {title: len(s) for title, s in shapes.items() if len(s) > 1} == {}


def test_the_api_page_shows_the_german_names_of_fields_and_groups(app, login):
    page = login("coordinator").get("/api-dokumentation").text
    assert ">Anträge</h2>" in page and ">Applications<" not in page


@pytest.fixture
def isolated_app(app):
    """The app as a server runs it: each request in its own context (own database session)."""

    def wsgi(environ, start_response):
        return contextvars.Context().run(app, environ, start_response)

    return wsgi


def _runner(operation, mode, caller, ids: dict[str, list[int]]):
    """One hypothesis test of one operation for one caller. Unless the path is the invalid part of a
    case, its ids are replaced by ids that exist (so that the body, not a 404, is what is tested)."""

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(data):
        case = data.draw(operation.as_strategy(generation_mode=mode))
        negative = case.meta.is_negative_at if case.meta else (lambda location: False)
        if not negative(ParameterLocation.PATH):
            for name, choices in ids.items():
                if name in (case.path_parameters or {}):
                    case.path_parameters[name] = data.draw(st.sampled_from(choices))
        # A case whose headers are the invalid part (no Authorization) goes without the token.
        headers = {} if negative(ParameterLocation.HEADER) else {"Authorization": f"Bearer {caller.token}"}
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    return check


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_holds_the_api_to_its_document(app, world, api, isolated_app, mode):
    # Something to find: applications in several states, one in a running vote, a document.
    applications = [
        world.application(state)
        for state in ("consultation", "sketch_draft", "long_form_submitted", "partner_vote", "endorsed")
    ]
    sponsor = world.user("applicant-bildungswerk")
    document = documents.upload(applications[1], "sketch", io.BytesIO(make_pdf(1)), "Skizze.pdf", sponsor)
    ids = {
        "application_id": [a.id for a in applications] + [999_999],
        "document_id": [document.id, 999_999],
    }
    callers = [api(key) for key in ("coordinator", "applicant-bildungswerk", "partner-dgb")]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated_app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for caller in callers:
            try:
                _runner(operation, mode, caller, ids)()
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collect all, then report
                failures.append(f"{operation.label} as {caller.user.email}: {error}")
    assert not failures, "\n\n".join(failures)
