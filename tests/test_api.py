"""The JSON API: tokens, the lifecycle over HTTP alone, problem details, visibility, documents."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tests.conftest import make_pdf
from workflow import demo
from workflow.extensions import db
from workflow.models import ApiToken, Application, Ballot, Document, Event
from workflow.services import tokens
from workflow.services.lifecycle import fire

PROBLEM = "application/problem+json"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.content_type == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["detail"]
    return body


def _pdf_part(name: str) -> tuple:
    return (io.BytesIO(make_pdf(1, name)), f"{name}.pdf")


def test_the_whole_lifecycle_over_the_api_alone(api, world):
    sponsor, coordinator = api("applicant-bildungswerk"), api("coordinator")
    created = sponsor.post(
        "/api/v1/applications",
        json={
            "title": "Pflegeschule digital",
            "summary": "Digitale Lernorte für die Pflegeausbildung.",
            "funding_object": 1,
            "fields_of_action": ["I", "digital"],
            "districts": ["Lüneburg"],
            "total_cost_cents": 50_000_000,
            "requested_grant_cents": 30_000_000,
        },
    )
    assert created.status_code == 201, created.text
    application = created.get_json()
    url = f"/api/v1/applications/{application['id']}"
    assert created.headers["Location"] == url
    assert application["state"] == "consultation"
    assert [t["name"] for t in application["allowed_triggers"]] == ["withdraw"]

    def fire(client, trigger, data=None, expect="", files=None) -> dict:
        if files is None:
            response = client.post(f"{url}/transitions/{trigger}", json=data or {})
        else:  # the NBank's triggers: fields and the document as multipart/form-data
            response = client.post(
                f"{url}/transitions/{trigger}", data={**data, **files}, content_type="multipart/form-data"
            )
        assert response.status_code == 200, response.text
        body = response.get_json()
        assert body["state"] == expect
        return body

    today = date.today().isoformat()
    fire(
        coordinator,
        "record_consultation",
        {"consultation_date": today, "participants": "Koordination, Trägerleitung", "notes": "Gut."},
        "sketch_draft",
    )
    refused = sponsor.post(f"{url}/transitions/submit_sketch", json={})
    assert "noch nicht vollständig" in _problem(refused, 422)["detail"]
    sketch = sponsor.put(
        f"{url}/sketch",
        json={
            "need": "Pflegeschulen finden kaum Lehrkräfte für digitale Lernorte.",
            "objectives": "Digitale Lernorte in drei Pflegeschulen.",
            "target_groups": "Auszubildende in der Pflege, Lehrkräfte.",
            "participants_planned": 90,
            "activities": "Lernorte einrichten, Lehrkräfte schulen, Module erproben.",
            "start_date": f"{date.today().year + 1}-01-01",
            "end_date": f"{date.today().year + 2}-12-31",
            "other_partners": ["Pflegeschule am Klinikum Lüneburg"],
        },
    )
    assert sketch.status_code == 200, sketch.text
    assert sketch.get_json()["missing"] == []
    assert sketch.get_json()["partners"] == [
        {"name": "Pflegeschule am Klinikum Lüneburg", "organisation_id": None, "alliance_partner": False}
    ]
    fire(sponsor, "submit_sketch", None, "sketch_submitted")
    fire(coordinator, "start_assessment", None, "sketch_assessment")
    fire(
        coordinator,
        "invite_long_form",
        {"parties_consulted": "NBank, MS", "fundable": True, "fits_strategy": True},
        "long_form_draft",
    )
    text = "Ausführlich beschrieben."
    long_form = sponsor.put(
        f"{url}/long-form",
        json={
            "partners": {"other_partners": "Pflegeschule am Klinikum Lüneburg"},
            "need": {"starting_situation": text, "objectives": text},
            "target_groups": {"target_groups": text, "participants_planned": 90},
            "activities": {
                "activities": text,
                "start_on": f"{date.today().year + 1}-01-01",
                "end_on": f"{date.today().year + 2}-12-31",
            },
            "costs": {
                "lines": [
                    {
                        "category": "personnel",
                        "description": "Projektleitung",
                        "salary_group": "E 13 TV-L",
                        "unit_cost_cents": 5_000,
                        "hours": 6_000,
                    },
                    {"category": "material", "description": "Lernorte", "amount_cents": 20_000_000},
                ]
            },
            "financing": {
                "lines": [
                    {"source": "esf_grant", "amount_cents": 30_000_000},
                    {"source": "own_funds", "description": "Träger", "amount_cents": 20_000_000},
                ]
            },
            "principles": {
                "principle_equal_opportunities": text,
                "principle_gender_equality": text,
                "principle_sustainable_development": text,
                "principle_good_work": text,
            },
            "indicators": {"indicator_participants": 90, "indicator_women": 60},
            "sustainability": {"sustainability": text},
        },
    )
    assert long_form.status_code == 200, long_form.text
    shown = long_form.get_json()
    assert shown["overview"]["complete"] == shown["overview"]["total"] == 10
    assert shown["plans"]["balanced"] is True and shown["plans"]["funding_rate_percent"] == "60.00"
    assert shown["sections"]["costs"]["lines"][0]["amount_cents"] == 30_000_000
    fire(sponsor, "submit_long_form", None, "long_form_submitted")
    seen = api("partner-dgb").get(f"{url}/long-form")
    assert seen.status_code == 404  # partners see the application from the vote on
    opened = fire(coordinator, "open_vote", {"mode": "circulation"}, "partner_vote")
    running = {d["kind"]: d["status"] for d in opened["deadlines"]}
    assert running == {"assessment": "met", "statement": "running", "circulation": "running"}
    partner_view = api("partner-dgb").get(f"{url}/long-form").get_json()
    assert partner_view["sections"]["costs"] is None and partner_view["plans"]["show_details"] is False
    assert partner_view["plans"]["cost_by_category"]["personnel"] == 30_000_000

    partners = [k for k in world.people if k.startswith("partner-") and not k.endswith("deputy")]
    assert len(partners) == 14
    for n, key in enumerate(partners):
        response = api(key).put(
            f"{url}/vote/ballot", json={"choice": "approve", "comment": None, "rating_feasibility": 4}
        )
        assert response.status_code == 200, response.text
        vote = response.get_json()
        assert vote["cast"] == n + 1
    assert vote["is_open"] is False and vote["outcome"] == "approved"
    assert coordinator.get(url).get_json()["state"] == "statement_pending"
    assert _problem(coordinator.get(f"{url}/statement.pdf"), 404)["detail"]

    fire(
        coordinator,
        "issue_statement",
        {"decision": "endorse", "statement": "Befürwortet.", "conditions": "Halbjährlich berichten."},
        "endorsed",
    )
    pdf = sponsor.get(f"{url}/statement.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert "Halbjährlich berichten." in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages
    )
    pdf.close()
    missing = sponsor.post(
        f"{url}/transitions/record_nbank_submission",
        data={"nbank_reference": "ESF-2026-00001", "submitted_on": today},
        content_type="multipart/form-data",
    )
    assert _problem(missing, 422)["errors"][0]["field"] == "document"
    fire(
        sponsor,
        "record_nbank_submission",
        {"nbank_reference": "ESF-2026-00001", "submitted_on": today},
        "nbank_submitted",
        files={"document": _pdf_part("Antrag_NBank")},
    )
    granted = fire(
        sponsor,
        "record_grant",
        {
            "granted_on": today,
            "amount_granted": "30000000",
            "funded_from": f"{date.today().year + 1}-01-01",
            "funded_until": f"{date.today().year + 2}-12-31",
        },
        "granted",
        files={"document": _pdf_part("Zuwendungsbescheid")},
    )
    assert granted["final"] is True and granted["allowed_triggers"] == []
    triggers = [e["trigger"] for e in granted["history"] if e["kind"] == "transition"]
    assert triggers == [
        "record_consultation",
        "submit_sketch",
        "start_assessment",
        "invite_long_form",
        "submit_long_form",
        "open_vote",
        "close_vote",
        "issue_statement",
        "record_nbank_submission",
        "record_grant",
    ]
    assert sum(e["kind"] == "ballot_cast" for e in granted["history"]) == 14
    kinds = {d["kind"] for d in sponsor.get(f"{url}/documents").get_json()["items"]}
    assert {"nbank_application", "grant_notice"} <= kinds
    budget = coordinator.get("/api/v1/budget").get_json()["items"]
    if budget:  # the demo alliance's funding period, when there is one
        rows = [a for p in budget for a in p["applications"] if a["application_id"] == application["id"]]
        assert rows and rows[0]["status"] == "granted"


def test_without_a_valid_token_nothing_is_answered(app, api, world):
    application = world.application("sketch_draft")
    url = f"/api/v1/applications/{application.id}"
    client = app.test_client()
    body = _problem(client.get(url), 401)
    assert "Bearer" in body["detail"]
    assert client.get(url).headers["WWW-Authenticate"].startswith("Bearer")
    _problem(client.get(url, headers={"Authorization": "Bearer aw_falsch"}), 401)
    _problem(client.get(url, headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)
    sponsor = api("applicant-bildungswerk")
    assert sponsor.get(url).status_code == 200
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == sponsor.user.id))
    assert token.token_hash != sponsor.token and len(token.token_hash) == 64  # only a hash is kept
    assert token.last_used_at is not None
    tokens.revoke(sponsor.user, token.id)
    _problem(sponsor.get(url), 401)


def test_a_deactivated_account_s_token_stops_working(api, world):
    observer = api("observer-nbank")
    assert observer.get("/api/v1/me").status_code == 200
    observer.user.active = False
    db.session.commit()
    _problem(observer.get("/api/v1/me"), 401)


def test_me_tells_role_and_organisation(api):
    me = api("partner-ihk-deputy").get("/api/v1/me").get_json()
    assert (me["role"], me["organisation"]["name"]) == ("partner", "IHK Lüneburg-Wolfsburg")
    assert me["alliance"]["slug"] == "non"


def test_what_a_caller_may_not_see_is_404_exactly_like_what_does_not_exist(api, world):
    application = world.application("sketch_draft")
    url = f"/api/v1/applications/{application.id}"
    hidden = _problem(api("partner-dgb").get(url), 404)  # no vote yet: partners do not see it
    missing = _problem(api("partner-dgb").get("/api/v1/applications/999999"), 404)
    assert hidden["detail"] == missing["detail"]
    _problem(api("applicant-lwz").get(url), 404)  # another sponsor
    _problem(api("observer-nbank").get(url), 404)  # observers from the assessment on
    _problem(api("applicant-lwz").post(f"{url}/transitions/withdraw", json={"reason": "x"}), 404)
    _problem(api("coordinator").get("/api/v1/applications/99999999999999999999"), 404)
    db.session.refresh(application)
    assert application.state == "sketch_draft"


def test_403_for_a_missing_right_409_for_the_wrong_state(api, world):
    application = world.application("sketch_draft")
    url = f"/api/v1/applications/{application.id}"
    body = _problem(api("applicant-bildungswerk").post(f"{url}/transitions/start_assessment"), 403)
    assert "Ersteinschätzung beginnen" in body["detail"]
    body = _problem(api("coordinator").post(f"{url}/transitions/start_assessment"), 409)
    assert "nicht möglich" in body["detail"]
    _problem(api("coordinator").put(f"{url}/sketch", json={"title": "Neu"}), 403)
    assert db.session.scalar(sa.select(Application.state).where(Application.id == application.id)) == (
        "sketch_draft"
    )


def test_a_guard_refusal_is_a_422_in_german(api, world):
    application = world.application("sketch_assessment")
    url = f"/api/v1/applications/{application.id}/transitions/invite_long_form"
    body = _problem(
        api("coordinator").post(
            url, json={"parties_consulted": "NBank", "fundable": False, "fits_strategy": True}
        ),
        422,
    )
    assert "förderfähig" in body["detail"]


TODAY = date.today().isoformat()
WHO = "Koordination"


@pytest.mark.parametrize(
    ("payload", "fields", "words"),
    [
        ({}, ["consultation_date", "participants", "notes"], "fehlt"),
        (
            {"consultation_date": "12.05.2026", "participants": WHO, "notes": "x"},
            ["consultation_date"],
            "Datum",
        ),
        (
            {"consultation_date": "2026-02-30", "participants": WHO, "notes": "x"},
            ["consultation_date"],
            "Datum",
        ),
        ({"consultation_date": TODAY, "participants": WHO, "notes": 5}, ["notes"], "Text"),
        ({"consultation_date": TODAY, "participants": WHO, "notes": "   "}, ["notes"], "füllen Sie"),
        ({"consultation_date": TODAY, "participants": WHO, "notes": "x" * 5001}, ["notes"], "Höchstens 5000"),
        ({"consultation_date": TODAY, "participants": WHO, "notes": "x", "evil": 1}, ["evil"], "Unbekannt"),
        (
            {
                "consultation_date": (date.today() + timedelta(days=3)).isoformat(),
                "participants": WHO,
                "notes": "x",
            },
            ["consultation_date"],
            "Zukunft",
        ),
        ({"consultation_date": TODAY, "participants": WHO, "notes": "a\u0000b"}, [], "Nullzeichen"),
        ([1, 2], ["(Inhalt)"], "Objekt"),
    ],
)
def test_bad_input_is_a_422_naming_the_fields(api, world, payload, fields, words):
    application = world.application("consultation")
    url = f"/api/v1/applications/{application.id}/transitions/record_consultation"
    body = _problem(api("coordinator").post(url, json=payload), 422)
    assert [e["field"] for e in body.get("errors", [])] == fields
    assert words in body["detail"]
    assert Event.query.filter_by(application_id=application.id, kind="transition").count() == 0


@pytest.mark.parametrize(
    ("notes", "words"),
    [
        ('"\\ud800"', "Ersatzzeichen"),  # json.loads makes a lone surrogate of it: not storable
        ('"Text \\udc00 mit tiefem Ersatzzeichen"', "Ersatzzeichen"),
        ('"\\ud83d\\ude00 ein Smiley als Paar ist gut"', None),
        ('"Zeile\\u0007Klingel"', "Steuerzeichen"),
        ('"Tab\\tund\\r\\nZeilen sind gut"', None),
        ('["a", "\\u001b"]', "Steuerzeichen"),
    ],
)
def test_lone_surrogates_and_control_characters_are_refused(api, world, notes, words):
    application = world.application("consultation")
    url = f"/api/v1/applications/{application.id}/transitions/record_consultation"
    raw = f'{{"consultation_date": "{TODAY}", "participants": "{WHO}", "notes": {notes}}}'.encode()
    response = api("coordinator").post(url, data=raw, content_type="application/json")
    if words is None:
        assert response.status_code == 200, response.text
        return
    assert words in _problem(response, 422)["detail"]
    assert Event.query.filter_by(application_id=application.id, kind="transition").count() == 0


def test_a_lone_surrogate_as_a_field_name_is_refused_not_echoed(api, world):
    body = _problem(
        api("applicant-bildungswerk").post(
            "/api/v1/applications", data=b'{"title": "X", "\\ud800": 1}', content_type="application/json"
        ),
        422,
    )
    assert "Ersatzzeichen" in body["detail"]


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"notes": NaN}', b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b'{"a": 1' + b"9" * 5000 + b"}"],
)
def test_malformed_json_is_a_400(api, world, raw):
    application = world.application("consultation")
    url = f"/api/v1/applications/{application.id}/transitions/record_consultation"
    body = _problem(api("coordinator").post(url, data=raw, content_type="application/json"), 400)
    assert "JSON" in body["detail"]


def test_huge_numbers_and_wrong_types_are_refused(api, world):
    sponsor = api("applicant-bildungswerk")
    body = _problem(
        sponsor.post("/api/v1/applications", json={"title": "X", "total_cost_cents": 10**30}), 422
    )
    assert body["errors"][0]["field"] == "total_cost_cents"
    body = _problem(sponsor.post("/api/v1/applications", json={"title": "X", "funding_object": 7}), 422)
    assert body["errors"][0]["field"] == "funding_object"
    body = _problem(
        sponsor.post(
            "/api/v1/applications", json={"title": "X", "total_cost_cents": 100, "requested_grant_cents": 200}
        ),
        422,
    )
    assert body["errors"][0]["field"] == "requested_grant_cents" and "Gesamtkosten" in body["detail"]
    assert Application.query.count() == 0
    _problem(api("coordinator").post("/api/v1/applications", json={"title": "Koordination"}), 403)


def test_query_parameters_are_checked(api, world):
    world.application("consultation")
    coordinator = api("coordinator")
    for query in (
        "state=unbekannt",
        "page=0",
        "per_page=1000",
        "funding_object=abc",
        "page=99999999999999999999",
    ):
        body = _problem(coordinator.get(f"/api/v1/applications?{query}"), 400)
        assert body["errors"][0]["field"] == query.split("=")[0]


def test_list_filters_and_pages(api, world):
    world.application("consultation")
    world.application("sketch_draft")
    world.application("consultation", number=2)
    other = world.application("consultation", applicant="applicant-lwz")
    other.districts = ["Celle"]
    db.session.commit()
    coordinator = api("coordinator")
    page = coordinator.get("/api/v1/applications?per_page=2").get_json()
    assert (page["total"], len(page["items"])) == (4, 2)
    second = coordinator.get(page["next"]).get_json()
    assert len(second["items"]) == 2 and second["next"] is None
    assert coordinator.get("/api/v1/applications?state=consultation").get_json()["total"] == 3
    assert coordinator.get("/api/v1/applications?funding_object=2").get_json()["total"] == 1
    celle = coordinator.get("/api/v1/applications?district=Celle").get_json()
    assert [a["id"] for a in celle["items"]] == [other.id]
    assert api("applicant-bildungswerk").get("/api/v1/applications").get_json()["total"] == 3
    assert api("partner-dgb").get("/api/v1/applications").get_json()["total"] == 0


def test_sketch_partial_update_through_the_same_form_and_operation(api, world):
    application = world.application("sketch_draft")
    sponsor = api("applicant-bildungswerk")
    url = f"/api/v1/applications/{application.id}/sketch"
    before = sponsor.get(url).get_json()
    assert before["editable"] is True and before["missing"] == []
    ihk = world.orgs["ihk"]
    response = sponsor.put(
        url,
        json={
            "title": "Neuer Titel",
            "districts": ["Celle", "Heidekreis"],
            "objectives": "Geschärfte Ziele.",
            "partner_organisation_ids": [ihk.id],
            "other_partners": ["Verein Lernwerkstatt", "Verein Lernwerkstatt"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.get_json()
    data = body["data"]
    assert data["title"] == "Neuer Titel" and data["districts"] == ["Celle", "Heidekreis"]
    assert data["objectives"] == "Geschärfte Ziele."
    assert data["need"] == before["data"]["need"]  # untouched
    assert data["summary"] == before["data"]["summary"]
    assert {p["name"] for p in body["partners"]} == {ihk.name, "Verein Lernwerkstatt"}
    updated = Event.query.filter_by(application_id=application.id, kind="updated").one()
    assert sorted(updated.data["changed"]) == ["districts", "objectives", "project_partners", "title"]
    cleared = sponsor.put(url, json={"need": None}).get_json()
    assert cleared["data"]["need"] == "" and "Ausgangslage und Bedarf" in cleared["missing"]
    body = _problem(sponsor.put(url, json={"districts": ["Hamburg"]}), 422)
    assert body["errors"][0]["field"] == "districts.0"
    body = _problem(sponsor.put(url, json={"start_date": "2030-05-01", "end_date": "2030-01-01"}), 422)
    assert body["errors"][0]["field"] == "end_date" and "Projektbeginn" in body["detail"]
    body = _problem(sponsor.put(url, json={"partner_organisation_ids": [999_999]}), 422)
    assert body["errors"][0]["field"] == "partner_organisation_ids"
    body = _problem(sponsor.put(url, json={"participants_planned": -1}), 422)
    assert body["errors"][0]["field"] == "participants_planned"
    _problem(api("applicant-lwz").put(url, json={"title": "Fremd"}), 404)
    submitted = world.application("sketch_submitted")
    _problem(sponsor.put(f"/api/v1/applications/{submitted.id}/sketch", json={"title": "Zu spät"}), 403)
    db.session.refresh(application)
    assert application.title == "Neuer Titel"


def test_the_application_s_own_data_can_be_patched_in_the_consultation(api, world):
    application = world.application("consultation")
    sponsor = api("applicant-bildungswerk")
    url = f"/api/v1/applications/{application.id}"
    response = sponsor.patch(url, json={"preferred_dates": "Montags", "funding_object": 2})
    assert response.status_code == 200, response.text
    assert response.get_json()["funding_object"]["number"] == 2
    _problem(api("coordinator").patch(url, json={"title": "Koordination"}), 403)
    _problem(sponsor.put(f"{url}/sketch", json={"title": "Noch keine Skizze"}), 403)


def test_long_form_sections_plans_and_what_partners_see(api, world, app):
    application = world.application("long_form_draft")
    sponsor = api("applicant-bildungswerk")
    url = f"/api/v1/applications/{application.id}/long-form"
    before = sponsor.get(url).get_json()
    # The classification, and what the invitation carried from the sketch (need, target groups, activities).
    assert before["editable"] is True and before["overview"]["complete"] == 4
    first = sponsor.put(url, json={"need": {"starting_situation": "Lage.", "objectives": "Ziele."}})
    assert first.status_code == 200, first.text
    saved = sponsor.put(url, json={"need": {"objectives": "Neue Ziele."}})
    assert saved.status_code == 200, saved.text
    need = saved.get_json()["sections"]["need"]
    assert need["objectives"] == "Neue Ziele."
    assert need["starting_situation"] == "Lage."
    body = _problem(
        sponsor.put(url, json={"costs": {"lines": [{"category": "material", "description": "x"}]}}), 422
    )
    assert "Betrag" in body["detail"]
    body = _problem(
        sponsor.put(url, json={"costs": {"lines": [{"category": "material", "amount_cents": -5}]}}), 422
    )
    assert body["errors"][0]["field"] == "costs.lines.0.amount_cents"
    body = _problem(
        sponsor.put(url, json={"indicators": {"indicator_participants": 5, "indicator_women": 9}}), 422
    )
    assert body["errors"][0]["field"] == "indicator_women"
    _problem(sponsor.put(url, json={"nonsense": {}}), 422)
    _problem(sponsor.put(url, json={}), 422)
    _problem(api("coordinator").put(url, json={"need": {"objectives": "x"}}), 403)
    db.session.refresh(application)
    assert application.long_form.objectives == "Neue Ziele."
    # Salary details: the coordination sees the lines, a partner only the totals (from the vote on).
    voting = world.application("partner_vote")
    vurl = f"/api/v1/applications/{voting.id}/long-form"
    _problem(sponsor.put(vurl, json={"need": {"objectives": "Zu spät."}}), 409)
    coordination = api("coordinator").get(vurl).get_json()
    assert coordination["sections"]["costs"]["lines"][0]["salary_group"]
    partner = api("partner-dgb").get(vurl)
    assert partner.status_code == 200
    assert partner.get_json()["sections"]["costs"] is None and "E 13" not in partner.text


def test_the_nbank_form_is_for_the_sponsor_and_the_coordination_not_for_partners(api, world, login):
    application = world.application("long_form_draft")
    sponsor = api("applicant-bildungswerk")
    url = f"/api/v1/applications/{application.id}"
    uploaded = sponsor.post(
        f"{url}/documents",
        data={"kind": "long_form", "file": (io.BytesIO(make_pdf(2)), "Langfassung.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.get_json()
    assert sponsor.get(f"{url}/long-form").get_json()["documents"][0]["id"] == document["id"]
    demo.fill_long_form(application, sponsor.user)
    for trigger in ("submit_long_form", "open_vote"):
        actor, data = world.walker.step(trigger, sponsor.user)
        fire(application, trigger, actor, data)
    partner = api("partner-dgb")
    assert document["id"] not in [d["id"] for d in partner.get(f"{url}/documents").get_json()["items"]]
    _problem(partner.get(document["url"]), 404)
    coordination = api("coordinator").get(document["url"])
    assert coordination.status_code == 200
    coordination.close()
    page_url = f"/antraege/{application.id}/dokumente/{document['id']}"  # the pages hold the same rule
    assert login("partner-dgb").get(page_url).status_code == 404
    own = login("applicant-bildungswerk").get(page_url)
    assert own.status_code == 200
    own.close()


def test_nbank_triggers_need_their_document_as_multipart(api, world):
    application = world.application("endorsed")
    sponsor = api("applicant-bildungswerk")
    url = f"/api/v1/applications/{application.id}/transitions/record_nbank_submission"
    fields = {"nbank_reference": "ESF-2026-00001", "submitted_on": date.today().isoformat()}
    assert "multipart" in _problem(sponsor.post(url, json=fields), 415)["detail"]
    body = _problem(sponsor.post(url, data=fields, content_type="multipart/form-data"), 422)
    assert [e["field"] for e in body["errors"]] == ["document"]
    not_a_pdf = sponsor.post(
        url,
        data={**fields, "document": (io.BytesIO(b"GIF89a nothing"), "bild.pdf")},
        content_type="multipart/form-data",
    )
    assert "PDF" in _problem(not_a_pdf, 422)["detail"]
    bad_reference = sponsor.post(
        url,
        data={**fields, "nbank_reference": "irgendwas", "document": (io.BytesIO(make_pdf(1)), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert _problem(bad_reference, 422)["errors"][0]["field"] == "nbank_reference"
    extra = sponsor.post(url, data={**fields, "evil": "1"}, content_type="multipart/form-data")
    assert _problem(extra, 422)["errors"][0]["field"] == "evil"
    db.session.refresh(application)
    assert application.state == "endorsed"
    assert Document.query.filter_by(application_id=application.id, kind="nbank_application").count() == 0


def test_a_concurrent_change_is_a_409(api, world, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    from workflow.services import sketches

    def stale(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'applications' expected to update 1 row(s)")

    monkeypatch.setattr(sketches, "save_draft", stale)
    application = world.application("sketch_draft")
    body = _problem(
        api("applicant-bildungswerk").put(
            f"/api/v1/applications/{application.id}/sketch", json={"title": "Z"}
        ),
        409,
    )
    assert "gleichzeitig" in body["detail"]


def test_documents_upload_list_and_download(api, world):
    application = world.application("sketch_draft")
    sponsor = api("applicant-bildungswerk")
    url = f"/api/v1/applications/{application.id}/documents"
    import io

    uploaded = sponsor.post(
        url,
        data={"kind": "sketch", "file": (io.BytesIO(make_pdf(2)), "Skizze.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.get_json()
    assert (document["kind"], document["version"], document["pages"]) == ("sketch", 1, 2)
    listed = sponsor.get(url).get_json()["items"]
    assert [d["id"] for d in listed] == [document["id"]]
    download = sponsor.get(document["url"])
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.content_type == "application/pdf"
    download.close()
    too_long = sponsor.post(
        url,
        data={"kind": "sketch", "file": (io.BytesIO(make_pdf(4)), "lang.pdf")},
        content_type="multipart/form-data",
    )
    body = _problem(too_long, 422)
    assert body["errors"][0]["field"] == "file" and "höchstens 3" in body["detail"]
    body = _problem(sponsor.post(url, data={"kind": "x"}, content_type="multipart/form-data"), 422)
    assert {e["field"] for e in body["errors"]} == {"kind", "file"}
    _problem(api("applicant-lwz").get(document["url"]), 404)
    _problem(sponsor.get(f"{url}/999999"), 404)
    _problem(
        api("observer-nbank").post(
            f"/api/v1/applications/{world.application('sketch_assessment').id}/documents",
            data={"kind": "other", "file": (io.BytesIO(make_pdf(1)), "x.pdf")},
            content_type="multipart/form-data",
        ),
        403,
    )


def test_ballots_stay_secret_while_the_vote_is_open(api, world):
    application = world.application("partner_vote")
    url = f"/api/v1/applications/{application.id}"
    ihk = api("partner-ihk")
    response = ihk.put(f"{url}/vote/ballot", json={"choice": "reject"})
    body = _problem(response, 422)
    assert body["errors"][0]["field"] == "comment" and "begründet" in body["detail"]
    assert ihk.put(f"{url}/vote/ballot", json={"choice": "reject", "comment": "Zu teuer."}).status_code == 200
    for viewer in ("partner-dgb", "observer-nbank"):
        seen = api(viewer).get(url).get_json()
        cast = next(e for e in seen["history"] if e["kind"] == "ballot_cast")
        assert "choice" not in cast["data"] and "comment" not in cast["data"]
        assert api(viewer).get(f"{url}/vote").get_json()["tally"] is None
    coordinator_view = api("coordinator").get(url).get_json()
    assert (
        next(e for e in coordinator_view["history"] if e["kind"] == "ballot_cast")["data"]["choice"]
        == "reject"
    )
    own = ihk.get(f"{url}/vote").get_json()["own_ballot"]
    assert own["choice"] == "reject"
    _problem(api("coordinator").put(f"{url}/vote/ballot", json={"choice": "approve"}), 403)
    _problem(ihk.put(f"{url}/vote/ballot", json={"choice": "approve", "rating_feasibility": 6}), 422)
    assert Ballot.query.one().choice == "reject"


def test_declaring_a_conflict(api, world):
    application = world.application("partner_vote")
    url = f"/api/v1/applications/{application.id}/vote/conflict"
    agv = api("partner-agv")
    body = _problem(agv.post(url, json={"reason": ""}), 422)
    assert body["errors"][0]["field"] == "reason"
    response = agv.post(url, json={"reason": "Mitglied des Projektbeirats."})
    assert response.status_code == 201
    assert response.get_json()["own_recused"] is True and response.get_json()["eligible_count"] == 13
    _problem(agv.post(url, json={"reason": "Noch einmal."}), 409)
    _problem(agv.put(f"/api/v1/applications/{application.id}/vote/ballot", json={"choice": "approve"}), 403)


def test_no_vote_and_no_statement_yet_are_404(api, world):
    application = world.application("long_form_submitted")
    coordinator = api("coordinator")
    _problem(coordinator.get(f"/api/v1/applications/{application.id}/vote"), 404)
    _problem(
        coordinator.put(f"/api/v1/applications/{application.id}/vote/ballot", json={"choice": "approve"}), 404
    )
    body = _problem(coordinator.get(f"/api/v1/applications/{application.id}/statement.pdf"), 404)
    assert "Stellungnahme" in body["detail"]
    _problem(coordinator.get(f"/api/v1/applications/{application.id}/statement.pdf?version=2"), 404)


def test_the_stored_statement_is_served_as_issued(api, world):
    from workflow.services import statements

    application = world.application("endorsed")
    stored = statements.latest(application)
    response = api("applicant-bildungswerk").get(f"/api/v1/applications/{application.id}/statement.pdf")
    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert response.data == statements.stored_bytes(stored)
    assert stored.filename in response.headers["Content-Disposition"]
    response.close()
    _problem(api("applicant-lwz").get(f"/api/v1/applications/{application.id}/statement.pdf"), 404)


def test_an_objection_moves_the_circulation_to_the_next_session(api, world):
    from workflow.services import sessions

    application = world.application("partner_vote")
    url = f"/api/v1/applications/{application.id}/vote/objection"
    coordinator = world.user("coordinator")
    upcoming = sessions.schedule(
        coordinator, datetime.now(UTC) + timedelta(days=14), "Rathaus Lüneburg", "Anträge"
    )
    _problem(api("applicant-bildungswerk").post(url, json={"reason": "Nein."}), 403)
    body = _problem(api("partner-dgb").post(url, json={"reason": ""}), 422)
    assert body["errors"][0]["field"] == "reason"
    response = api("partner-dgb").post(url, json={"reason": "Das muss in die Sitzung."})
    assert response.status_code == 201, response.text
    vote = response.get_json()
    assert vote["mode"] == "session" and vote["session"]["id"] == upcoming.id
    assert vote["objections"][0]["reason"] == "Das muss in die Sitzung."
    _problem(api("partner-ihk").post(url, json={"reason": "Auch."}), 409)
    listed = api("partner-ihk").get("/api/v1/sessions").get_json()["items"]
    assert [s["id"] for s in listed] == [upcoming.id]
    assert listed[0]["items"][0]["application_id"] == application.id
    assert listed[0]["place"] == "Rathaus Lüneburg" and listed[0]["past"] is False


def test_sessions_per_role(api, world):
    from workflow.services import sessions

    sessions.schedule(world.user("coordinator"), datetime.now(UTC) + timedelta(days=3), "Online", "")
    for key in ("coordinator", "partner-dgb", "observer-nbank"):
        assert len(api(key).get("/api/v1/sessions").get_json()["items"]) == 1
    _problem(api("applicant-bildungswerk").get("/api/v1/sessions"), 403)


def test_the_budget_for_coordination_and_partners(api, world):
    endorsed = world.application("endorsed")
    coordinator = api("coordinator").get("/api/v1/budget")
    assert coordinator.status_code == 200
    periods = coordinator.get_json()["items"]
    assert periods == api("partner-dgb").get("/api/v1/budget").get_json()["items"]
    if periods:
        current = next(p for p in periods if p["current"])
        row = next(a for a in current["applications"] if a["application_id"] == endorsed.id)
        assert row["status"] == "committed" and row["counted_cents"] == endorsed.requested_grant_cents
        assert (
            current["remaining_cents"]
            == current["total_cents"] - current["committed_cents"] - (current["granted_cents"])
        )
    _problem(api("applicant-bildungswerk").get("/api/v1/budget"), 403)
    _problem(api("observer-nbank").get("/api/v1/budget"), 403)


def test_unknown_routes_and_methods_are_problems_too(api):
    coordinator = api("coordinator")
    _problem(coordinator.get("/api/v1/nichts"), 404)
    response = coordinator.client.delete(
        "/api/v1/me", headers={"Authorization": f"Bearer {coordinator.token}"}
    )
    _problem(response, 405)
    assert "GET" in response.headers["Allow"]
    _problem(coordinator.post("/api/v1/applications/1/transitions/fly"), 404)


def test_the_api_needs_no_csrf_token_and_the_views_still_do(app, api, world):
    application = world.application("consultation")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = api("applicant-bildungswerk").post(
            f"/api/v1/applications/{application.id}/transitions/withdraw", json={"reason": "Anders geplant."}
        )
        assert response.status_code == 200, response.text
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_create_token_command_prints_the_token_once(app, world):
    result = app.test_cli_runner().invoke(
        args=["create-token", "koordination@demo.antragsweg.de", "--name", "Teams"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("aw_")
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "Teams"))
    assert stored.token_hash == tokens.digest(token)
    client = app.test_client()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["role"] == (
        "coordinator"
    )
    refused = app.test_cli_runner().invoke(args=["create-token", "niemand@example.org"])
    assert refused.exit_code != 0 and "kein aktives Konto" in refused.output


def test_too_large_a_body_is_a_413_problem(api, world):
    application = world.application("consultation")
    url = f"/api/v1/applications/{application.id}/transitions/withdraw"
    body = b'{"reason": "' + b"x" * (13 * 1024 * 1024) + b'"}'
    _problem(api("applicant-bildungswerk").post(url, data=body, content_type="application/json"), 413)
    db.session.refresh(application)
    assert application.state == "consultation"


def test_a_token_opens_the_api_only_not_the_pages(api, world):
    sponsor = api("applicant-bildungswerk")
    response = sponsor.get("/")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_answers_are_utf8_json(api, world):
    world.application("consultation")
    response = api("coordinator").get("/api/v1/applications")
    assert response.content_type == "application/json"
    assert b"Beratung angefragt" in response.data and b"\\u" not in response.data
