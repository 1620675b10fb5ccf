"""Login protection: throttling, the second factor, password rules; the accessibility statement; what
every form refuses (control characters, JSON bodies)."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from tests.conftest import text_of
from workflow import demo
from workflow.extensions import db
from workflow.models import LoginFailure
from workflow.models.types import utcnow
from workflow.services import security


def _login(client, email, password=demo.DEMO_PASSWORD, **kwargs):
    return client.post("/anmelden", data={"email": email, "password": password}, **kwargs)


def test_an_account_is_throttled_after_five_failures(app, world):
    client = app.test_client()
    email = world.user("applicant-lwz").email
    for _ in range(5):
        assert _login(client, email, "falsch").status_code == 401
    refused = _login(client, email)  # even the right password, for now
    assert refused.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text_of(refused.text)
    # Other accounts from other addresses are not affected.
    other = app.test_client()
    assert (
        _login(
            other, world.user("applicant-elbtal").email, environ_base={"REMOTE_ADDR": "10.9.9.9"}
        ).status_code
        == 302
    )
    # After the window the account may try again.
    for failure in LoginFailure.query.all():
        failure.at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    assert _login(client, email).status_code == 302


def test_an_address_is_throttled_after_twenty_failures(app, world):
    client = app.test_client()
    for n in range(20):
        _login(client, f"niemand{n}@example.org", "falsch")
    assert _login(client, world.user("applicant-lwz").email).status_code == 429


def test_a_successful_login_clears_the_accounts_failures(app, world):
    client = app.test_client()
    email = world.user("applicant-lwz").email
    for _ in range(4):
        _login(client, email, "falsch")
    assert _login(client, email).status_code == 302
    assert LoginFailure.query.filter_by(key=f"account:{email}").count() == 0


@pytest.fixture
def totp_required(app):
    app.config["TOTP_REQUIRED_ROLES"] = ("coordinator",)
    yield
    app.config["TOTP_REQUIRED_ROLES"] = ()


def test_a_coordinator_must_enrol_a_second_factor_before_the_first_login_completes(app, world, totp_required):
    client = app.test_client()
    response = _login(client, world.user("coordinator").email)
    assert response.location.endswith("/anmelden/zwei-faktor-einrichten")
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/anmelden/zwei-faktor-einrichten")
    assert "<svg" in page.text and "QR-Code" in page.text
    with client.session_transaction() as session:
        secret = session["pending_totp_secret"]
    assert client.post("/anmelden/zwei-faktor-einrichten", data={"code": "000000"}).status_code == 422
    done = client.post("/anmelden/zwei-faktor-einrichten", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert world.user("coordinator").totp_secret == secret


def test_the_second_factor_is_asked_and_a_code_cannot_be_replayed(app, world, totp_required):
    coordinator = world.user("coordinator")
    coordinator.totp_secret = pyotp.random_base32()
    db.session.commit()
    code = pyotp.TOTP(coordinator.totp_secret).now()
    first = app.test_client()
    assert _login(first, coordinator.email).location.endswith("/anmelden/code")
    wrong = first.post("/anmelden/code", data={"code": "123"})
    assert wrong.status_code == 401 and "nicht gültig" in wrong.text
    assert first.post("/anmelden/code", data={"code": code}).status_code == 302
    assert first.get("/").status_code == 200
    second = app.test_client()
    _login(second, coordinator.email)
    assert second.post("/anmelden/code", data={"code": code}).status_code == 401  # replayed


def test_the_code_page_needs_a_password_first(app, world):
    response = app.test_client().get("/anmelden/code")
    assert response.status_code == 302 and response.location.endswith("/anmelden")


def test_others_may_enable_and_disable_the_second_factor(app, world, login, totp_required):
    partner = login("partner-dgb")
    page = partner.get("/konto/")
    assert page.status_code == 200 and "Noch nicht eingerichtet" in page.text
    with partner.client.session_transaction() as session:
        secret = session["enrol_totp_secret"]
    assert partner.post("/konto/", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert "Eingerichtet" in partner.get("/konto/").text
    assert partner.post("/konto/zwei-faktor-abschalten", data={"code": "000000"}).status_code == 422
    db.session.expire_all()
    partner_user = world.user("partner-dgb")
    partner_user.totp_last_step = None  # the enrolment code's step may be the current one
    db.session.commit()
    code = pyotp.TOTP(secret).now()
    assert partner.post("/konto/zwei-faktor-abschalten", data={"code": code}).status_code == 302
    db.session.expire_all()
    assert world.user("partner-dgb").totp_secret is None


def test_a_coordinator_cannot_switch_the_required_second_factor_off(app, world, totp_required):
    coordinator = world.user("coordinator")
    coordinator.totp_secret = pyotp.random_base32()
    db.session.commit()
    client = app.test_client()
    _login(client, coordinator.email)
    client.post("/anmelden/code", data={"code": pyotp.TOTP(coordinator.totp_secret).now()})
    assert client.post("/konto/zwei-faktor-abschalten").status_code == 422


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kurz", "mindestens 10"),
        ("passwort123", "zu leicht"),
        ("qwertzuiop", "zu leicht"),
        ("1234567890", "zu leicht"),
        ("antragsweg2026", "zu leicht"),
        ("x" * 201, "höchstens 200"),
    ],
)
def test_weak_passwords_are_refused(ctx, password, problem):
    assert problem in security.password_problem(password, email="a@b.example")


def test_a_passphrase_is_accepted(ctx):
    assert security.password_problem("Heidschnucken-grasen-im-Nebel") is None


def test_the_accessibility_statement_has_a_feedback_contact(client):
    page = client.get("/barrierefreiheit")
    assert page.status_code == 200
    assert "Erklärung zur Barrierefreiheit" in page.text and "mailto:" in page.text
    assert 'href="/barrierefreiheit"' in client.get("/anmelden").text


def test_session_cookie_is_httponly_and_samesite(app, world):
    response = _login(app.test_client(), world.user("applicant-lwz").email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- what every form refuses ------------------------------------------------------------------------


def _form_classes():
    """Every form class of forms/ (and the session record form, which is made per vote)."""
    import importlib
    import inspect
    import pkgutil

    from flask_wtf import FlaskForm

    import forms
    from forms.sessions import record_form

    found = {record_form([])}
    for module in pkgutil.iter_modules(forms.__path__):
        loaded = importlib.import_module(f"forms.{module.name}")
        found |= {
            cls
            for _, cls in inspect.getmembers(loaded, inspect.isclass)
            if issubclass(cls, FlaskForm) and cls.__module__ == loaded.__name__
        }
    return found


def test_every_form_refuses_control_characters():
    from forms.base import CleanInput
    from forms.overview import FilterForm

    classes = _form_classes()
    assert len(classes) > 20
    assert [cls.__name__ for cls in classes if not issubclass(cls, CleanInput)] == []
    assert issubclass(FilterForm, CleanInput)  # the table's filters (a GET form) too


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("Fachkräfte\x00sichern", "Nullzeichen"),  # PostgreSQL cannot store it: was a 500
        ("\x00", "Nullzeichen"),
        ("Fachkräfte\x07\x1b[31msichern", "Steuerzeichen"),
        ("Fachkräfte\x0bsichern", "Steuerzeichen"),  # a vertical tab, as pasted from some editors
    ],
)
def test_nul_and_control_characters_are_refused_at_the_field(app, world, login, title, message):
    from workflow.models import Application

    response = login("applicant-bildungswerk").post(
        "/antraege/neu", data={"title": title, "funding_object_id": "0"}
    )
    assert response.status_code == 422
    assert message in text_of(response.text) and 'id="title-error"' in response.text
    assert Application.query.count() == 0


def test_tabs_line_breaks_and_any_other_text_are_kept(app, world, login):
    from workflow.models import Application

    summary = "Zeile 1\r\n\tZeile 2 – „Anführung“ 👩‍👩‍👧 ‮rückwärts <script>x</script>"
    data = {"title": "Titel", "summary": summary, "funding_object_id": "0"}
    response = login("applicant-bildungswerk").post("/antraege/neu", data=data)
    assert response.status_code == 302, text_of(response.text)
    assert Application.query.one().summary == summary


def test_the_table_filter_refuses_control_characters(app, world, login):
    response = login("coordinator").get("/uebersicht/antraege?suche=%00x")
    assert response.status_code == 422 and "Nullzeichen" in text_of(response.text)


def test_a_json_body_to_a_page_is_a_415_in_german(app, world, login):
    """Flask-WTF would read JSON as the form's data (numbers and lists where text is expected: 500s).
    The pages take form data; JSON is the API's."""
    sponsor = login("applicant-bildungswerk")
    for body in ({"title": 1}, [1, 2], {"title": None}):
        response = sponsor.post("/antraege/neu", json=body)
        assert response.status_code == 415
        assert "kein JSON" in text_of(response.text) and "/api/v1" in text_of(response.text)
    assert sponsor.post("/abmelden", json={}).status_code == 415
    assert sponsor.get("/antraege/neu").status_code == 200


def test_a_refused_login_or_code_form_is_a_422(app, world):
    client = app.test_client()
    response = _login(client, "", "")
    assert response.status_code == 422 and "Bitte geben Sie Ihre E-Mail-Adresse ein." in response.text
    assert _login(client, "keine-adresse", "x").status_code == 422
    observer = world.user("observer-nbank")
    observer.totp_secret = pyotp.random_base32()
    db.session.commit()
    assert _login(client, observer.email).location.endswith("/anmelden/code")
    response = client.post("/anmelden/code", data={"code": ""})
    assert response.status_code == 422 and "Bitte geben Sie den Code ein." in response.text
