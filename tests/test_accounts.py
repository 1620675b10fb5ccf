"""Self-registration with e-mail confirmation, invitations, forgotten passwords: links by real mail,
each expiring and working once."""

from __future__ import annotations

import re

import pytest

from tests.conftest import text_of
from workflow.extensions import db
from workflow.models import Application, Organisation, User

PASSWORD = "ein-langes-passwort"
SCRIPT = "<script>alert(1)</script>"


def _registration(**overrides) -> dict:
    data = {
        "organisation_name": "Pflegeschule Uelzen gGmbH",
        "legal_form": "gGmbH",
        "address": "Hauptstraße 1\n29525 Uelzen",
        "contact_person": "Petra Pflege",
        "name": "Petra Pflege",
        "email": "petra@pflegeschule.example",
        "password": PASSWORD,
        "password_repeat": PASSWORD,
    }
    data.update(overrides)
    return data


def _link(message) -> str:
    """The path of the link in a mail (the app's BASE_URL stripped)."""
    url = re.search(r"https?://\S+", message.get_content()).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def _login(app, email, password=PASSWORD):
    client = app.test_client()
    response = client.post("/anmelden", data={"email": email, "password": password})
    return client, response


def test_a_sponsor_registers_confirms_the_address_and_may_then_ask_for_a_consultation(app, world, smtp):
    client = app.test_client()
    response = client.post("/registrieren", data=_registration())
    assert response.status_code == 200 and "Bitte bestätigen Sie Ihre E-Mail-Adresse" in response.text
    user = User.query.filter_by(email="petra@pflegeschule.example").one()
    organisation = user.organisation
    assert (organisation.kind, organisation.legal_form, organisation.contact_person) == (
        "applicant",
        "gGmbH",
        "Petra Pflege",
    )
    assert user.email_confirmed_at is None and user.password_hash.startswith("$argon2id$")

    # Before confirming: logged in, but nothing can be submitted.
    sponsor, login_response = _login(app, user.email)
    assert login_response.status_code == 302
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in text_of(sponsor.get("/").text)
    fo = world.alliance.funding_objects[0]
    refused = sponsor.post("/antraege/neu", data={"title": "Idee", "funding_object_id": fo.id})
    assert refused.status_code == 403 and "bestätigen Sie zuerst Ihre E-Mail-Adresse" in text_of(refused.text)
    assert Application.query.count() == 0

    (mail,) = smtp.to(user.email)
    assert "bestätigen" in mail["Subject"] and "Uhr" in mail.get_content()
    link = _link(mail)
    assert client.get(link).status_code == 200  # shows a button; a mail scanner's visit uses nothing
    assert client.post(link).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is not None
    response = sponsor.post(
        "/antraege/neu",
        data={"title": "Idee", "funding_object_id": fo.id, "summary": "Kurz", "preferred_dates": "KW 12"},
    )
    assert response.status_code == 302
    assert Application.query.one().preferred_dates == "KW 12"

    used = client.post(link)
    assert used.status_code == 410 and "bereits verwendet" in text_of(used.text)


def test_an_expired_or_altered_link_is_refused_in_german(app, world, smtp):
    app.test_client().post("/registrieren", data=_registration())
    link = _link(smtp.to("petra@pflegeschule.example")[0])
    app.config["CONFIRM_LINK_MAX_AGE"] = -1
    try:
        response = app.test_client().get(link)
        assert response.status_code == 410 and "abgelaufen" in text_of(response.text)
        assert app.test_client().post(link).status_code == 410
    finally:
        app.config["CONFIRM_LINK_MAX_AGE"] = 3 * 24 * 3600
    altered = app.test_client().get(link[:-3] + "abc")
    assert altered.status_code == 410 and "ungültig" in text_of(altered.text)
    # A confirmation link is no password link.
    token = link.rsplit("/", 1)[1]
    assert app.test_client().get(f"/passwort/reset-password/{token}").status_code == 410
    assert User.query.filter_by(email="petra@pflegeschule.example").one().email_confirmed_at is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "kurz", "password_repeat": "kurz"}, "mindestens 10"),
        ({"password_repeat": "etwas-anderes-1"}, "stimmen nicht überein"),
        ({"email": "keine-adresse"}, "gültige E-Mail-Adresse"),
        ({"organisation_name": "x" * 201}, "Höchstens 200 Zeichen"),
        ({"address": ""}, "Bitte füllen Sie dieses Feld aus"),
        ({"organisation_name": "Bildungswerk Heide gGmbH"}, "bereits registriert"),
    ],
)
def test_bad_registrations_are_a_422_in_german_and_create_nothing(app, world, overrides, message):
    users = User.query.count()
    response = app.test_client().post("/registrieren", data=_registration(**overrides))
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert User.query.count() == users


def test_registering_an_address_that_has_an_account_tells_only_its_owner(app, world, smtp):
    existing = world.user("applicant-lwz")
    response = app.test_client().post("/registrieren", data=_registration(email=existing.email))
    assert response.status_code == 200 and "Bitte bestätigen Sie Ihre E-Mail-Adresse" in response.text
    (mail,) = smtp.to(existing.email)
    assert "bereits ein Konto" in mail.get_content()
    assert not Organisation.query.filter_by(name="Pflegeschule Uelzen gGmbH").count()


def test_html_in_registration_fields_is_shown_escaped(app, world, smtp):
    app.test_client().post(
        "/registrieren",
        data=_registration(organisation_name=f"{SCRIPT} GmbH", name=f"{SCRIPT} Petra", contact_person=SCRIPT),
    )
    user = User.query.filter_by(email="petra@pflegeschule.example").one()
    client = app.test_client()
    client.post(_link(smtp.to(user.email)[0]))
    sponsor, _ = _login(app, user.email)
    page = sponsor.get("/").text
    assert SCRIPT not in page and "&lt;script&gt;" in page


def test_the_coordination_invites_a_person_who_sets_the_password_by_link(app, world, login, smtp):
    coordinator = login("coordinator")
    response = coordinator.post(
        "/personen/einladen",
        data={
            "email": "neu@ihk.example",
            "name": "Nora Neu",
            "role": "partner",
            "organisation_id": world.orgs["ihk"].id,
        },
    )
    assert response.status_code == 302
    user = User.query.filter_by(email="neu@ihk.example").one()
    assert (user.role, user.organisation_id) == ("partner", world.orgs["ihk"].id)
    _, refused = _login(app, user.email)
    assert refused.status_code == 401  # no password yet
    link = _link(smtp.to(user.email)[0])
    assert "/passwort/invite/" in link
    page = app.test_client().get(link)
    assert page.status_code == 200 and "neu@ihk.example" in page.text
    short = app.test_client().post(link, data={"password": "kurz", "password_repeat": "kurz"})
    assert short.status_code == 422 and "mindestens 10" in text_of(short.text)
    assert (
        app.test_client().post(link, data={"password": PASSWORD, "password_repeat": PASSWORD}).status_code
        == 302
    )
    _, ok = _login(app, user.email)
    assert ok.status_code == 302
    again = app.test_client().post(
        link, data={"password": "noch-ein-passwort", "password_repeat": "noch-ein-passwort"}
    )
    assert again.status_code == 410 and "bereits verwendet" in text_of(again.text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "email": "koordination@demo.antragsweg.de",
                "name": "X",
                "role": "partner",
                "organisation_id": 0,
            },
            "bereits ein Konto",
        ),
        (
            {"email": "x@example.org", "name": "X", "role": "partner", "organisation_id": 0},
            "wählen oder nennen",
        ),
        ({"email": "x@example.org", "name": "X", "role": "king", "organisation_id": 0}, "Auswahl"),
    ],
)
def test_bad_invitations_are_refused(app, world, login, data, message):
    response = login("coordinator").post("/personen/einladen", data=data)
    assert response.status_code == 422 and message in text_of(response.text)


def test_only_the_coordination_invites(login):
    assert login("applicant-lwz").get("/personen/einladen").status_code == 403
    assert login("partner-dgb").post("/personen/einladen", data={}).status_code == 403


def test_a_forgotten_password_is_reset_once_by_link(app, world, smtp):
    user = world.user("applicant-lwz")
    client = app.test_client()
    response = client.post("/passwort-vergessen", data={"email": user.email})
    assert response.status_code == 200 and "Wenn es zu dieser Adresse ein Konto gibt" in response.text
    unknown = client.post("/passwort-vergessen", data={"email": "niemand@example.org"})
    assert unknown.status_code == 200 and "Wenn es zu dieser Adresse ein Konto gibt" in unknown.text
    assert not smtp.to("niemand@example.org")
    first = _link(smtp.to(user.email)[0])
    client.post("/passwort-vergessen", data={"email": user.email})
    second = _link(smtp.to(user.email)[1])
    assert client.post(second, data={"password": PASSWORD, "password_repeat": PASSWORD}).status_code == 302
    _, ok = _login(app, user.email)
    assert ok.status_code == 302
    # The older link died with the password it was issued for; the used one is used.
    for link in (first, second):
        response = client.post(
            link, data={"password": "wieder-anders-1", "password_repeat": "wieder-anders-1"}
        )
        assert response.status_code == 410 and "bereits verwendet" in text_of(response.text)
    expired_app_age = app.config["RESET_LINK_MAX_AGE"]
    client.post("/passwort-vergessen", data={"email": user.email})
    third = _link(smtp.to(user.email)[2])
    app.config["RESET_LINK_MAX_AGE"] = -1
    try:
        response = client.post(
            third, data={"password": "wieder-anders-1", "password_repeat": "wieder-anders-1"}
        )
        assert response.status_code == 410 and "abgelaufen" in text_of(response.text)
    finally:
        app.config["RESET_LINK_MAX_AGE"] = expired_app_age
    _, still = _login(app, user.email)
    assert still.status_code == 302


def test_the_login_page_links_to_registration_and_reset(client):
    page = client.get("/anmelden").text
    assert "/registrieren" in page and "/passwort-vergessen" in page
