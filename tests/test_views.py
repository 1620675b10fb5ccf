"""The HTML views: who sees what, the lifecycle walked in the browser's way, bad input."""

from __future__ import annotations

import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from forms.transitions import FORMS
from tests.conftest import LoggedIn, text_of
from tests.expectations import TRIGGERS
from workflow import demo
from workflow.demo import placeholder_pdf
from workflow.extensions import db
from workflow.models import Application
from workflow.services.lifecycle import history

TODAY = date.today()


def test_login_page_is_german_and_needs_no_javascript(client):
    response = client.get("/anmelden")
    assert response.status_code == 200
    assert '<html lang="de">' in response.text
    assert "Anmelden" in response.text and "<script" not in response.text


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/anmelden" in response.location


def test_wrong_password_is_a_401_in_german(client):
    response = client.post(
        "/anmelden", data={"email": "koordination@demo.antragsweg.de", "password": "falsch"}
    )
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort sind nicht richtig" in response.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/%0d%0aLocation:x"],
)
def test_login_and_language_never_redirect_to_another_site(app, world, target):
    client = app.test_client()
    response = client.post(
        f"/anmelden?next={target}",
        data={"email": world.user("applicant-lwz").email, "password": demo.DEMO_PASSWORD},
    )
    assert response.location in ("/", "/start"), response.location
    switched = client.post("/sprache", data={"language": "en", "next": target})
    assert "evil" not in switched.location


def test_login_never_redirects_to_another_site(app, world):
    client = app.test_client()
    response = client.post(
        "/anmelden?next=https://evil.example/",
        data={"email": world.user("coordinator").email, "password": demo.DEMO_PASSWORD},
    )
    assert response.location == "/"


def test_passwords_are_hashed_with_argon2id(world):
    assert world.user("coordinator").password_hash.startswith("$argon2id$")


def test_english_can_be_chosen(login):
    coordinator = login("coordinator")
    response = coordinator.post("/sprache", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    page = coordinator.get("/")
    assert '<html lang="en">' in page.text
    assert "Sign out" in page.text


# -- who sees what --------------------------------------------------------------------------------

VIEWERS = {
    # (state, role) -> may see: sponsor, coordinator; partners once a vote was opened; observers from
    # the sketch's submission on.
    "coordinator": lambda state: True,
    "applicant-bildungswerk": lambda state: True,
    "applicant-lwz": lambda state: False,
    "partner-dgb": lambda state: (
        state in ("partner_vote", "statement_pending", "endorsed", "granted", "not_endorsed")
    ),
    "observer-nbank": lambda state: state not in ("consultation", "sketch_draft"),
}


@pytest.mark.parametrize(
    "state",
    [
        "consultation",
        "sketch_draft",
        "sketch_assessment",
        "partner_vote",
        "statement_pending",
        "endorsed",
        "granted",
        "not_endorsed",
    ],
)
def test_who_may_see_an_application(app, world, state):
    application = world.application(state)
    for key, may_see in VIEWERS.items():
        page = LoggedIn(app, world.user(key).email).get(f"/antraege/{application.id}")
        assert page.status_code == (200 if may_see(state) else 404), (key, state)
        listing = LoggedIn(app, world.user(key).email).get("/")
        assert (application.title in listing.text) is may_see(state), (key, state)


def test_an_unknown_application_is_a_404(login):
    assert login("coordinator").get("/antraege/99999").status_code == 404


def test_only_sponsors_create_applications(login):
    for key in ("coordinator", "partner-dgb", "observer-nbank"):
        assert login(key).get("/antraege/neu").status_code == 403
    assert login("applicant-lwz").get("/antraege/neu").status_code == 200


def test_a_trigger_form_for_the_wrong_role_is_403_and_for_the_wrong_state_409(app, world, login):
    application = world.application("sketch_draft")
    assert login("coordinator").get(f"/antraege/{application.id}/aktion/submit_sketch").status_code == 403
    assert login("coordinator").post(f"/antraege/{application.id}/aktion/submit_sketch").status_code == 403
    response = login("coordinator").post(f"/antraege/{application.id}/aktion/start_assessment", data={})
    assert response.status_code == 409
    assert "ist im Status „Projektskizze in Bearbeitung“ nicht möglich" in response.text
    assert login("applicant-bildungswerk").get(f"/antraege/{application.id}/aktion/fly").status_code == 404


def test_every_trigger_form_has_exactly_the_fields_the_trigger_records(app):
    with app.test_request_context():
        for name, (_, _, _, records) in TRIGGERS.items():
            fields = {f for f in FORMS[name]().data} - {"csrf_token"}
            assert fields == records, name


def test_the_application_page_offers_exactly_the_allowed_actions(app, world, login):
    application = world.application("endorsed")
    page = login("applicant-bildungswerk").get(f"/antraege/{application.id}").text
    assert f"/antraege/{application.id}/aktion/record_nbank_submission" in page
    assert f"/antraege/{application.id}/aktion/withdraw" in page
    assert "/aktion/record_grant" not in page
    observer_page = login("observer-nbank").get(f"/antraege/{application.id}").text
    assert "/aktion/" not in observer_page


# -- the lifecycle, by hand -----------------------------------------------------------------------


def _act(who: LoggedIn, application_id: int, trigger: str, data: dict | None = None):
    response = who.post(f"/antraege/{application_id}/aktion/{trigger}", data=data or {})
    assert response.status_code == 302, (trigger, response.status_code, text_of(response.text)[:500])
    return response


def test_walk_one_application_from_the_idea_to_the_grant_in_the_browser(app, world, login):
    sponsor, coordinator = login("applicant-bildungswerk"), login("coordinator")
    fo = world.alliance.funding_objects[0]
    response = sponsor.post(
        "/antraege/neu",
        data={
            "title": "Fachkräfte für die Pflege",
            "summary": "Idee",
            "funding_object_id": fo.id,
            "fields_of_action": ["I", "III"],
            "districts": ["Celle"],
            "total_cost_cents": "100.000,00",
            "requested_grant_cents": "50.000,00",
        },
    )
    assert response.status_code == 302
    application = db.session.query(Application).filter_by(title="Fachkräfte für die Pflege").one()
    assert (application.state, application.requested_grant_cents) == ("consultation", 5_000_000)
    a = application.id
    _act(
        coordinator,
        a,
        "record_consultation",
        {"consultation_date": TODAY.isoformat(), "participants": "K. K.", "notes": "Gut."},
    )
    response = sponsor.post(
        f"/antraege/{a}/skizze",
        data={
            "title": "Fachkräfte für die Pflege",
            "funding_object_id": fo.id,
            "fields_of_action": ["I", "III"],
            "districts": ["Celle"],
            "summary": "Pflegekräfte gewinnen.",
            "need": "Es fehlen Pflegekräfte.",
            "objectives": "40 Menschen qualifizieren.",
            "target_groups": "Quereinsteigende",
            "participants_planned": "40",
            "activities": "Kurse, Praktika",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "total_cost_cents": "100.000,00",
            "requested_grant_cents": "50.000,00",
        },
    )
    assert response.status_code == 303, text_of(response.text)[:500]
    _act(sponsor, a, "submit_sketch")
    _act(coordinator, a, "start_assessment")
    _act(
        coordinator,
        a,
        "invite_long_form",
        {"parties_consulted": "NBank", "fundable": "y", "fits_strategy": "y"},
    )
    demo.fill_long_form(db.session.get(Application, a), world.user("applicant-bildungswerk"))
    _act(sponsor, a, "submit_long_form")
    _act(
        coordinator,
        a,
        "open_vote",
        {"mode": "circulation", "deadline": (TODAY + timedelta(days=9)).isoformat()},
    )
    partners = [k for k in world.people if k.startswith("partner-") and not k.endswith("deputy")]
    for i, key in enumerate(partners[:8]):
        choice = "reject" if i == 0 else "approve"
        response = login(key).post(
            f"/antraege/{a}/votum",
            data={
                "ballot-choice": choice,
                "ballot-comment": "Bedarf nicht belegt." if choice == "reject" else "",
                "ballot-rating_feasibility": "4",
            },
        )
        assert response.status_code == 303, text_of(response.text)[:400]
    _act(coordinator, a, "close_vote")
    _act(coordinator, a, "issue_statement", {"decision": "endorse", "statement": "Befürwortet."})
    _act(
        sponsor,
        a,
        "record_nbank_submission",
        {
            "nbank_reference": "ESF-2026-4711",
            "submitted_on": TODAY.isoformat(),
            "document": (io.BytesIO(placeholder_pdf("Antrag")), "antrag.pdf"),
        },
    )
    _act(
        sponsor,
        a,
        "record_grant",
        {
            "granted_on": TODAY.isoformat(),
            "amount_granted": "49.500,00",
            "funded_from": "2027-01-01",
            "funded_until": "2028-06-30",
            "document": (io.BytesIO(placeholder_pdf("Bescheid")), "bescheid.pdf"),
        },
    )
    db.session.expire_all()
    assert db.session.get(Application, a).state == "granted"
    page = text_of(sponsor.get(f"/antraege/{a}").text)
    assert "Status: Bewilligt (Zuwendungsbescheid)" in page
    assert (
        "Zuwendungsbescheid erfassen: Antrag bei der NBank gestellt → Bewilligt (Zuwendungsbescheid)" in page
    )
    assert "Bewilligter Betrag (Euro) 49.500,00 €" in page
    assert "ESF-2026-4711" in page
    assert "7 Zustimmungen, 1 Ablehnung, 0 Enthaltungen von 14 Stimmberechtigten" in page


def test_the_timeline_is_in_local_time(app, world, login):
    application = world.application("sketch_draft")
    created = history(application)[-1].created_at
    local = created.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.utcoffset() != created.utcoffset()  # Berlin is never UTC
    page = login("coordinator").get(f"/antraege/{application.id}").text
    assert local.strftime("%d.%m.%Y, %H:%M Uhr") in page


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "state", "data", "message"),
    [
        (
            "record_consultation",
            "consultation",
            {"consultation_date": "morgen", "notes": "x"},
            "gültiges Datum",
        ),
        (
            "record_consultation",
            "consultation",
            {"consultation_date": (TODAY + timedelta(days=3)).isoformat(), "notes": "x"},
            "nicht in der Zukunft",
        ),
        ("decline_sketch", "sketch_assessment", {"reason": ""}, "Bitte füllen Sie dieses Feld aus"),
        ("decline_sketch", "sketch_assessment", {"reason": "x" * 5001}, "Höchstens 5000 Zeichen"),
        ("invite_long_form", "sketch_assessment", {"parties_consulted": "NBank"}, "förderfähig"),
        (
            "open_vote",
            "long_form_submitted",
            {"mode": "circulation", "deadline": TODAY.isoformat()},
            "Zukunft",
        ),
        ("open_vote", "long_form_submitted", {"mode": "sometimes"}, "Keine gültige Auswahl"),
        (
            "record_nbank_submission",
            "endorsed",
            {"nbank_reference": "<script>", "submitted_on": TODAY.isoformat()},
            "nicht das erwartete Format",
        ),
        (
            "record_grant",
            "nbank_submitted",
            {"granted_on": TODAY.isoformat(), "amount_granted": "12,345"},
            "höchstens zwei Nachkommastellen",
        ),
        (
            "record_grant",
            "nbank_submitted",
            {"granted_on": TODAY.isoformat(), "amount_granted": "zwölf"},
            "Betrag in Euro",
        ),
        (
            "record_grant",
            "nbank_submitted",
            {
                "granted_on": TODAY.isoformat(),
                "amount_granted": "999.999.999,00",
                "funded_from": "2027-01-01",
                "funded_until": "2027-12-31",
                "document": "pdf",
            },
            "nicht übersteigen",
        ),
    ],
)
def test_bad_input_is_a_4xx_with_a_german_message_and_changes_nothing(
    app, world, login, trigger, state, data, message
):
    application = world.application(state)
    who = "coordinator"
    if data.get("document") == "pdf":
        data = data | {"document": (io.BytesIO(placeholder_pdf("Bescheid")), "bescheid.pdf")}
    response = login(who).post(f"/antraege/{application.id}/aktion/{trigger}", data=data)
    assert 400 <= response.status_code < 500
    assert message in text_of(response.text)
    db.session.expire_all()
    assert db.session.get(Application, application.id).state == state


def test_html_in_text_fields_is_shown_escaped(app, world, login):
    application = world.application("sketch_assessment")
    _act(
        login("coordinator"),
        application.id,
        "request_sketch_revision",
        {"reason": "<script>alert(1)</script><b>fett</b>"},
    )
    page = login("applicant-bildungswerk").get(f"/antraege/{application.id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_reject_ballot_without_comment_is_a_422(app, world, login):
    application = world.application("partner_vote")
    response = login("partner-dgb").post(
        f"/antraege/{application.id}/votum", data={"ballot-choice": "reject"}
    )
    assert response.status_code == 422
    assert "Eine Ablehnung muss begründet werden" in response.text


def test_a_ballot_by_an_observer_is_refused(app, world, login):
    application = world.application("partner_vote")
    response = login("observer-nbank").post(
        f"/antraege/{application.id}/votum", data={"ballot-choice": "approve"}
    )
    assert response.status_code == 403


def test_the_sponsor_edits_the_draft_and_each_save_is_recorded(app, world, login):
    application = world.application("sketch_draft")
    sponsor = login("applicant-bildungswerk")
    response = sponsor.post(
        f"/antraege/{application.id}/bearbeiten",
        data={
            "title": "Neuer Titel",
            "summary": "Neu",
            "funding_object_id": application.funding_object_id,
            "fields_of_action": ["II"],
            "districts": ["Harburg"],
            "total_cost_cents": "10,00",
            "requested_grant_cents": "20,00",
        },
    )
    assert response.status_code == 422
    assert "darf die Gesamtkosten nicht übersteigen" in response.text
    response = sponsor.post(
        f"/antraege/{application.id}/bearbeiten",
        data={
            "title": "Neuer Titel",
            "summary": "Neu",
            "funding_object_id": application.funding_object_id,
            "fields_of_action": ["II"],
            "districts": ["Harburg"],
            "total_cost_cents": "1.000,00",
            "requested_grant_cents": "500,00",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Application, application.id)
    assert (stored.title, stored.fields_of_action, stored.districts) == ("Neuer Titel", ["II"], ["Harburg"])
    assert login("coordinator").get(f"/antraege/{application.id}/bearbeiten").status_code == 403


def test_forms_are_protected_against_csrf(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post(
            "/anmelden", data={"email": world.user("coordinator").email, "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 400
        assert "Formular ist abgelaufen" in response.text
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_security_headers(client):
    response = client.get("/anmelden")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_kern_assets_are_served_from_npm_and_nothing_else_of_node_modules(client):
    with client.get("/assets/kern/kern.min.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
    assert client.get("/assets/other/package.json").status_code == 404
    assert client.get("/assets/kern/../../package.json").status_code == 404


def test_healthz(client):
    assert client.get("/healthz").text == "ok"


def test_ids_beyond_the_database_are_a_404(login):
    assert login("coordinator").get("/antraege/" + "9" * 30).status_code == 404


def test_observers_never_see_an_idea_withdrawn_before_its_sketch(app, world, login):
    early = world.application("withdrawn")  # withdrawn during the consultation
    revised = world.application("sketch_assessment", applicant="applicant-lwz")
    from workflow.services.lifecycle import fire

    fire(revised, "request_sketch_revision", world.user("coordinator"), {"reason": "Bitte schärfen."})
    observer = login("observer-nbank")
    assert observer.get(f"/antraege/{early.id}").status_code == 404
    assert observer.get(f"/antraege/{revised.id}").status_code == 200  # seen once, kept through a revision
