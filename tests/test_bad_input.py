"""The bad-input corpus (tests/bad_input.py) against every form and every API body (issue 8).

Every POST route of the app (from its url_map) and every POST/PUT/PATCH operation of the API (from
its registry) has a case below: the person who may use it, the application it acts on (in a state
where the form is offered) and what makes its data valid. A new route without a case fails
`test_every_form_and_body_has_a_case`.

For each case the form is read from the page that offers it (its field names, kinds and current
values); then, one request each: the valid data (it must be accepted, so that the bad values below
really reach the operation), nothing at all, every corpus value in every field at once, each value
in the fields of the kinds it is meant for (the others valid), the over-long string in each text
field alone, and bodies a browser never sends (JSON, broken multipart). A form without fields gets a
few values in a field it does not know. For the API the same with the operation's JSON Schema (into
nested objects and lists), plus bodies that are no JSON object. Uploads get malformed multipart,
dangerous file names, a PDF bomb and a zip bomb.

Every request must answer without a 500; a refusal is a 4xx with a German message (the error page
or the form with its errors; API: application/problem+json with a German detail); and nothing broken
is saved: no text written to the database holds NUL, control characters or lone surrogates (checked
on every INSERT and UPDATE the request runs), and after a request that was accepted or changed
anything (wrote an event) the application page still renders for the coordinator.

Each request runs in a transaction that is rolled back afterwards (the app's sessions join it with
savepoints), so every request meets the same world: the permission matrix's (application A in a
circulation vote, G granted, a session, a webhook receiver, the other alliance) with one application
more per state that has forms.
"""

from __future__ import annotations

import copy
import html
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import quote_from_bytes, urlsplit

import pyotp
import pytest
import sqlalchemy as sa
from werkzeug.routing import Map

from forms.long_form import SECTION_FORMS
from forms.transitions import FORMS
from tests import bad_input, stored, test_permission_matrix
from tests.bad_input import CHOICE, DATE, FORM_VALUES, HIDDEN, JSON_BODIES, JSON_VALUES, NUMBER, TEXT
from tests.conftest import make_pdf
from workflow import demo
from workflow.extensions import db
from workflow.models import Application, Document, User
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION

# The permission matrix's world (its module fixture), built for this module too.
matrix = test_permission_matrix.matrix
PARAMS = test_permission_matrix.PARAMS
TODAY = date.today()
STRONG_PASSWORD = "Heidschnucken-Weide-2026!"
TALLY: Counter = Counter()

# -- the world --------------------------------------------------------------------------------------

# The applications the forms act on, by the state that offers them (A and G come from the matrix).
STATES = {
    "C": "consultation",
    "D": "sketch_draft",
    "S": "sketch_submitted",
    "E": "sketch_assessment",
    "L": "long_form_draft",
    "M": "long_form_submitted",
    "P": "statement_pending",
    "N": "endorsed",
    "B": "nbank_submitted",
}


def _attached(obj):
    """The object of the matrix's (removed) session, read again in the current one."""
    return db.session.get(type(obj), sa.inspect(obj).identity[0])


@pytest.fixture(scope="module")
def corpus(app, matrix, request):
    from workflow.services import accounts, calendar_feeds, sessions
    from workflow.services.lifecycle import fire

    w = matrix
    with app.app_context():
        people = {key: _attached(user) for key, user in w.people.items()}
        sponsor, coordinator = people["applicant-bildungswerk"], people["coordinator"]
        walker = demo.Walker(people)
        for key, state in STATES.items():
            application = demo.new_application(sponsor, f"Korpus {key} ({state})")
            walker.walk_to(application, state, sponsor)
            w.ids[key] = application.id
        long_form_draft = db.session.get(Application, w.ids["L"])
        demo.fill_long_form(long_form_draft, sponsor)

        # V: a vote on the agenda of a session that has taken place (today), to record its result.
        today_session = sessions.schedule(
            coordinator, datetime.now(UTC) - timedelta(minutes=1), "Lüneburg", "Voten"
        )
        in_session = demo.new_application(sponsor, "Korpus V (Sitzung)")
        walker.walk_to(in_session, "long_form_submitted", sponsor)
        fire(
            in_session,
            "open_vote",
            coordinator,
            {"mode": "session", "deadline": None, "session_id": today_session.id},
        )
        w.ids["V"], w.ids["today_session"] = in_session.id, today_session.id

        # W: a further-training project, which (by this alliance's setting) passes without a vote.
        further_training = demo.new_application(sponsor, "Korpus W (ohne Votum)", number=3)
        further_training.funding_object.needs_statement = False
        walker.walk_to(further_training, "long_form_submitted", sponsor)
        w.ids["W"] = further_training.id

        # The second factor: the observer has one (code form, switching it off); someone half logged in.
        w.totp_secret = pyotp.random_base32()
        w.enrol_secret = pyotp.random_base32()
        people["observer-nbank"].totp_secret = w.totp_secret
        w.ids["observer_user"] = people["observer-nbank"].id
        w.ids["pending_user"] = people["applicant-elbtal"].id
        calendar_feeds.issue(sponsor)

        # Links from mails: a confirmation, an invitation, a password reset.
        unconfirmed = accounts.register(
            email="neu@traeger.example",
            password=STRONG_PASSWORD,
            name="Nora Neu",
            organisation_name="Neuer Träger gGmbH",
            legal_form="gGmbH",
            address="Am Markt 1, 21335 Lüneburg",
            contact_person="Nora Neu",
            alliance_slug="non",
        )
        invited = accounts.invite(
            coordinator,
            email="eingeladen@landkreis.example",
            name="Ina Eingeladen",
            role="partner",
            organisation_id=people["partner-ihk"].organisation_id,
            new_organisation="",
        )
        w.links = {
            "confirm": accounts.make_link_token(
                unconfirmed or _by_email("neu@traeger.example"), accounts.CONFIRM
            ),
            accounts.INVITE: accounts.make_link_token(invited, accounts.INVITE),
            accounts.RESET: accounts.make_link_token(people["applicant-elbtal"], accounts.RESET),
            accounts.SIGN_IN: accounts.make_link_token(people["partner-dgb"], accounts.SIGN_IN),
        }
        w.sponsor_email = sponsor.email
        db.session.commit()
    w.app = app
    w.pdf = make_pdf(1, "Korpus")
    w.sandbox = Sandbox(app)
    with w.sandbox:
        w.api_baselines = _api_baselines(w)
        yield w
    # The figures of the run, shown past pytest's capture.
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and TALLY:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                "\nbad-input corpus: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.items()))
            )


def _by_email(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


# -- every request in a transaction that is rolled back ---------------------------------------------

BROKEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _broken_strings(value, found: list) -> None:
    """Strings in statement parameters that hold NUL, control characters or lone surrogates (JSON
    columns are read as JSON: their escapes count)."""
    if isinstance(value, str):
        if BROKEN.search(value):
            found.append(value[:80])
        elif value[:1] in "{[" and ("\\u00" in value or "\\ud" in value.lower()):
            with suppress(ValueError):
                _broken_strings(json.loads(value), found)
    elif isinstance(value, dict):
        for key, item in value.items():
            _broken_strings(key, found)
            _broken_strings(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _broken_strings(item, found)


class Sandbox:
    """The app's database sessions, bound to one connection whose transaction each request runs
    in and which is rolled back after it: every request meets the same data. Every INSERT and
    UPDATE is looked at for broken text."""

    def __init__(self, app):
        self.app = app
        self.events = 0  # events written: something was changed (every change is one)
        self.broken: list[str] = []

    def __enter__(self):
        with self.app.app_context():
            self.engines = db.engines
            self.engine = self.engines[None]
        self.connection = self.engine.connect()
        sa.event.listen(self.connection, "before_cursor_execute", self._look)
        self.engines[None] = self.connection
        db.session.session_factory.kw["join_transaction_mode"] = "create_savepoint"
        return self

    def __exit__(self, *exc):
        db.session.session_factory.kw.pop("join_transaction_mode", None)
        self.engines[None] = self.engine
        self.connection.close()

    def _look(self, conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip()[:6].upper()
        if verb in ("INSERT", "UPDATE"):
            self.events += statement.lstrip().upper().startswith("INSERT INTO EVENTS")
            found: list = []
            _broken_strings(parameters, found)
            self.broken.extend(found)

    @contextmanager
    def transaction(self):
        self.events, self.broken = 0, []
        outer = self.connection.begin()
        if self.connection.dialect.name == "sqlite":
            self.connection.exec_driver_sql("BEGIN")  # pysqlite would only begin at the first write
        try:
            yield self
        finally:
            with self.app.app_context():
                db.session.remove()
            outer.rollback()

    def read(self, fn):
        """Run `fn` in an app context on the sandbox's connection (inside a transaction)."""
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()


# -- the forms of the pages -------------------------------------------------------------------------

FILE = "file"
DATE_TYPES = {"date", "time", "datetime-local", "month", "week"}


@dataclass
class Input:
    name: str
    kind: str  # TEXT, NUMBER, DATE, CHOICE, HIDDEN or FILE
    values: list[str]  # what a browser sends for it as the page shows it
    options: list[str] = field(default_factory=list)
    button: bool = False  # sent only when clicked: not part of the valid data
    multiple: bool = False  # a select of several
    selected: list[str] = field(default_factory=list)  # a select's options marked selected
    html_type: str = ""  # an <input>'s type (date, time, ...)


@dataclass
class PageForm:
    action: str
    multipart: bool
    inputs: dict[str, Input]


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[PageForm] = []
        self.form: PageForm | None = None
        self.textarea: tuple[str, list[str]] | None = None
        self.select: Input | None = None
        self.option: dict | None = None

    def _add(self, name: str, kind: str, value: str | None, *, option: str | None = None, button=False):
        item = self.form.inputs.get(name)
        if item is None:
            item = self.form.inputs[name] = Input(name, kind, [], button=button)
        if option is not None:
            item.options.append(option)
        if value is not None:
            item.values.append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                action = urlsplit(a.get("action") or self.page_path).path
                self.form = PageForm(action, "multipart" in (a.get("enctype") or ""), {})
                self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                self._add(
                    name,
                    CHOICE,
                    a.get("value", "on") if "checked" in a else None,
                    option=a.get("value", "on"),
                )
            elif kind == "file":
                self._add(name, FILE, None)
            elif kind in ("submit", "button", "image", "reset"):
                self._add(name, HIDDEN, None, option=a.get("value", ""), button=True)
            else:
                kinds = {"number": NUMBER, "hidden": HIDDEN} | dict.fromkeys(DATE_TYPES, DATE)
                self._add(name, kinds.get(kind, TEXT), a.get("value", ""))
                self.form.inputs[name].html_type = kind
        elif tag == "button" and name:
            self._add(name, HIDDEN, None, option=a.get("value", ""), button=True)
        elif tag == "textarea" and name:
            self.textarea = (name, [])
        elif tag == "select" and name:
            self._add(name, CHOICE, None)
            self.select = self.form.inputs[name]
            self.select.multiple = "multiple" in a
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "selected": "selected" in a, "text": []}

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)
        if self.option is not None:
            self.option["text"].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            self._add(name, TEXT, "".join(parts).removeprefix("\n"))
            self.textarea = None
        elif tag == "option" and self.option is not None:
            value = self.option["value"]
            value = "".join(self.option["text"]).strip() if value is None else value
            self.select.options.append(value)
            if self.option["selected"]:
                self.select.selected.append(value)
            self.option = None
        elif tag == "select" and self.select is not None:
            chosen = self.select.selected or ([] if self.select.multiple else self.select.options[:1])
            self.select.values.extend(chosen)
            self.select = None


def page_form(page_html: str, page_path: str, action: str) -> PageForm | None:
    parser = _FormParser(page_path)
    parser.feed(page_html)
    return next((f for f in parser.forms if f.action == action), None)


# -- building requests ------------------------------------------------------------------------------

Pairs = list[tuple[str, bytes]]


def _octets(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def urlencoded(pairs: Pairs) -> bytes:
    return b"&".join(
        quote_from_bytes(_octets(k)).encode() + b"=" + quote_from_bytes(v).encode() for k, v in pairs
    )


def multipart(
    pairs: Pairs, files: list[tuple[str, bytes, bytes]], boundary: bytes = b"korpusgrenze0815"
) -> bytes:
    """A multipart/form-data body: text parts, then file parts (name, filename octets, content)."""
    out = io.BytesIO()
    for name, value in pairs:
        out.write(
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + _octets(name) + b'"\r\n\r\n'
        )
        out.write(value + b"\r\n")
    for name, filename, content in files:
        out.write(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="'
            + _octets(name)
            + b'"; filename="'
        )
        out.write(filename + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n")
    out.write(b"--" + boundary + b"--\r\n")
    return out.getvalue()


MULTIPART = "multipart/form-data; boundary=korpusgrenze0815"
URLENCODED = "application/x-www-form-urlencoded"


# -- what an answer must be -------------------------------------------------------------------------

GERMAN = re.compile(
    r"[äöüßÄÖÜ]|\b(bitte|nicht|kein|keine|keinen|ist|sind|darf|dürfen|höchstens|mindestens|erwartet|"
    r"ungültig|gültig|zu|die|der|das|den|dem|sie|ihr|ihre|ein|eine|zeichen|wert|datum|datei|feld|"
    r"erlaubt|unbekannt|fehlt|zwischen|und|oder|von|bis|nur|mit)\b",
    re.IGNORECASE,
)
ENGLISH = re.compile(
    r"\b(not a valid|invalid|this field|is required|must be|field must|please|not allowed|failed|"
    r"error|could not)\b",
    re.IGNORECASE,
)


def is_german(text: str) -> bool:
    return bool(text.strip()) and bool(GERMAN.search(text)) and not ENGLISH.search(text)


def _strip(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def error_texts(page: str) -> list[str]:
    """The messages a refused page shows: field errors and danger alerts (the error page's too)."""
    texts = [_strip(m) for m in re.findall(r'<p class="kern-error"[^>]*>(.*?)</p>', page, re.S)]
    for block in re.findall(
        r'<div class="kern-alert kern-alert--danger"[^>]*>(.*?)</div>\s*</div>', page, re.S
    ):
        texts.append(_strip(block))
    return [t for t in texts if t]


def html_problem(response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if 300 <= status < 400 or response.mimetype != "text/html":
        return None if status < 400 else f"{status} as {response.mimetype}, not the error page"
    page = response.get_data(as_text=True)
    texts = error_texts(page)
    if status < 400:
        return f"refused with {status}: {texts[0][:100]}" if texts else None
    if not texts:
        return f"{status} without a message"
    english = [t for t in texts if not is_german(t)]
    if english:
        return f"{status} with a message not in German: {english[0][:120]!r}"
    return None


def api_problem(response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status}: {response.get_data(as_text=True)[:200]}"
    if status < 400:
        if response.mimetype == "application/json":
            try:
                json.loads(response.get_data())
            except ValueError:
                return f"{status} with a body that is no JSON"
        return None
    if response.mimetype != "application/problem+json":
        return f"{status} as {response.mimetype}, not application/problem+json"
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return f"{status} with a problem that is no JSON"
    texts = [body.get("detail") or ""] + [e.get("detail", "") for e in body.get("errors") or []]
    english = [t for t in texts if not is_german(t)]
    if english:
        return f"{status} with a detail not in German: {english[0][:120]!r}"
    return None


@dataclass
class Outcome:
    label: str
    status: int
    problem: str | None


def send(world, target: str, request: Callable, check: Callable, label: str, kind: str) -> Outcome:
    """One request in its own rolled-back transaction, with every check of the module."""
    TALLY[kind] += 1
    with world.sandbox.transaction() as box:
        try:
            response = request()
        except Exception as exc:  # noqa: BLE001 - the test client re-raises what would be a 500
            TALLY["500"] += 1
            return Outcome(label, 500, f"500 ({type(exc).__name__}: {str(exc)[:160]})")
        problem = check(response)
        status = response.status_code
        response.close()
        if status >= 500:
            TALLY["500"] += 1
        if box.broken:
            TALLY["broken text saved"] += 1
            problem = (problem + "; " if problem else "") + f"broken text saved: {box.broken[0]!r}"
        elif (status < 400 or box.events) and status < 500:
            page = world.html["coordinator"].get(f"/antraege/{world.ids[target]}")
            if page.status_code != 200:
                problem = (problem + "; " if problem else "") + f"application page then {page.status_code}"
            page.close()
    return Outcome(label, status, problem)


@contextmanager
def kept_cookies(client):
    """Whatever a request does to the client's session (log in or out, language), the next
    starts as this one did."""
    saved = dict(client._cookies)
    try:
        yield client
    finally:
        client._cookies.clear()
        client._cookies.update(saved)


# -- the cases: every form of the app ---------------------------------------------------------------


@dataclass
class Case:
    role: str
    app: str = "A"  # the application the form acts on (its page must still render afterwards)
    page: str | None = ""  # the page offering the form ("": the route's own URL; None: no page)
    params: dict = field(default_factory=dict)  # URL parameters other than application_id
    valid: dict | Callable = field(default_factory=dict)  # what makes the data acceptable
    files: dict[str, str] = field(default_factory=dict)  # file inputs and the valid upload's name
    accepts: bool = True  # the valid data is accepted (2xx, 3xx)


TRIGGER_CASES = {
    "record_consultation": Case(
        "coordinator",
        "C",
        valid={"consultation_date": TODAY.isoformat(), "participants": "Koordination", "notes": "Besprochen"},
    ),
    "submit_sketch": Case("sponsor", "D"),
    "start_assessment": Case("coordinator", "S"),
    "request_sketch_revision": Case("coordinator", "E", valid={"reason": "Bitte die Ziele schärfen."}),
    "invite_long_form": Case(
        "coordinator", "E", valid={"parties_consulted": "NBank, MS", "fundable": "y", "fits_strategy": "y"}
    ),
    "decline_sketch": Case("coordinator", "E", valid={"reason": "Kein Beitrag zur Fachkräftesicherung."}),
    "submit_long_form": Case("sponsor", "L"),
    "request_long_form_revision": Case(
        "coordinator", "M", valid={"deficiencies": "Der Finanzierungsplan fehlt."}
    ),
    "open_vote": Case("coordinator", "M", valid={"mode": "circulation"}),
    "close_vote": Case("coordinator", "A", accepts=False),  # open, before its deadline: refused (422)
    "issue_statement": Case("coordinator", "P", valid={"decision": "endorse", "budget_confirmed": "y"}),
    "pass_without_vote": Case("coordinator", "W", valid={"note": "Ohne Votum."}),
    "record_nbank_submission": Case(
        "sponsor",
        "N",
        valid={"nbank_reference": "ESF-2026-00042", "submitted_on": TODAY.isoformat()},
        files={"document": "antrag.pdf"},
    ),
    "record_grant": Case(
        "sponsor",
        "B",
        valid={
            "granted_on": TODAY.isoformat(),
            "amount_granted": "100.000,00",
            "funded_from": date(TODAY.year + 1, 1, 1).isoformat(),
            "funded_until": date(TODAY.year + 1, 12, 31).isoformat(),
        },
        files={"document": "bescheid.pdf"},
    ),
    "record_nbank_decline": Case(
        "sponsor",
        "B",
        valid={"declined_on": TODAY.isoformat(), "reason": "Mittel ausgeschöpft."},
        files={"document": "ablehnung.pdf"},
    ),
    "withdraw": Case("sponsor", "C", valid={"reason": "Andere Prioritäten."}),
}

HTML_CASES: dict[str, Case] = {
    "auth.logout": Case("sponsor", page="/"),
    "auth.login": Case(
        "anonymous",
        page="/anmelden",
        valid=lambda w: {"email": w.sponsor_email, "password": demo.DEMO_PASSWORD},
    ),
    "auth.second_factor": Case("pending_totp", valid=lambda w: {"code": pyotp.TOTP(w.totp_secret).now()}),
    "auth.enrol_second_factor": Case(
        "pending_enrol", valid=lambda w: {"code": pyotp.TOTP(w.enrol_secret).now()}
    ),
    "auth.set_language": Case("sponsor", page="/", valid={"language": "en"}),
    "auth.request_sign_in_link": Case(
        "anonymous", page="/anmelden", valid=lambda w: {"link-email": w.sponsor_email}
    ),
    "auth.link_sign_in": Case("anonymous"),
    **{f"applications.act:{t}": case for t, case in TRIGGER_CASES.items()},
    "applications.edit": Case("sponsor", "C"),
    "applications.new": Case("sponsor", valid={"title": "Neue Idee"}),
    "applications.declare_conflict": Case(
        "partner", "A", page="/antraege/{A}", valid={"conflict-reason": "Beratend tätig."}
    ),
    "applications.cast_ballot": Case(
        "partner", "A", page="/antraege/{A}", valid={"ballot-choice": "approve"}
    ),
    "sessions.object_to_circulation": Case(
        "partner", "A", page="/antraege/{A}", valid={"objection-reason": "Bitte in der Sitzung beraten."}
    ),
    "assessment.record_consultation": Case(
        "coordinator",
        "E",
        page="/antraege/{E}",
        valid={
            "consultation-party": "NBank",
            "consultation-held_on": TODAY.isoformat(),
            "consultation-statement": "Förderfähig.",
        },
    ),
    "assessment.grant_access": Case("coordinator", "E", page="/antraege/{E}"),
    "assessment.comment": Case(
        "observer", "E", page="/antraege/{E}", valid={"comment-body": "Passt zur Strategie."}
    ),
    **{f"long_form.edit:{key}": Case("sponsor", "L", params={"key": key}) for key in SECTION_FORMS},
    "long_form.upload": Case(
        "sponsor", "L", page="/antraege/{L}/langfassung", files={"file": "langfassung.pdf"}
    ),
    "sketches.edit": Case("sponsor", "D"),
    "statements.correct": Case("coordinator", "G", valid={"correction_reason": "Tippfehler im Namen."}),
    "notifications.mark_read": Case("sponsor", page="/benachrichtigungen"),
    "accounts.resend_confirmation": Case("sponsor", page=None),
    "settings.save": Case("coordinator", page="/einstellungen"),
    "settings.add_partner": Case(
        "coordinator", page="/einstellungen", valid={"partner-name": "Jobcenter Harburg"}
    ),
    "settings.add_representative": Case(
        "coordinator",
        page="/einstellungen",
        valid={"person-name": "Rita Vertretung", "person-email": "rita@ihk.example"},
    ),
    "settings.deactivate_partner": Case("coordinator", page="/einstellungen"),
    # Not a PKCS#12 container (the corpus uploads its PDF): refused, whatever the password.
    "signing.install": Case(
        "coordinator", page="/einstellungen", files={"signing-file": "zertifikat.p12"}, accepts=False
    ),
    "signing.remove": Case("coordinator", page="/einstellungen"),  # offered once a certificate is installed
    # The public page: a file that is not one of ours is answered (200), an unknown code refused (404).
    "authenticity.check_file": Case("anonymous", page="/echtheit", files={"file": "stellungnahme.pdf"}),
    "authenticity.check_code": Case(
        "anonymous",
        page="/echtheit",
        valid={"reference": "NON-2026-99999/S1", "code": "AAAA-BBBB-CCCC"},
        accepts=False,
    ),
    "settings.deactivate_representative": Case("coordinator", page="/einstellungen"),
    "calendar.issue": Case("sponsor", page="/kalender"),
    "calendar.revoke": Case("sponsor", page="/kalender"),
    "account.index": Case("sponsor", page="/konto/", valid=lambda w: {"code": _sponsor_enrol_code(w)}),
    "account.create_token": Case("sponsor", page="/konto/", valid={"name": "Fachverfahren"}),
    "account.revoke_token": Case("sponsor", page="/konto/"),
    "account.notification_settings": Case(
        "sponsor",
        page="/konto/",
        valid={
            "state_changed": "digest",
            "statement": "immediate",
            "moved_to_session": "immediate",
            "session_changed": "immediate",
            "info": "digest",
        },
    ),
    "account.disable_second_factor": Case(
        "observer", page="/konto/", valid=lambda w: {"code": pyotp.TOTP(w.totp_secret).now()}
    ),
    "accounts.forgot_password": Case("anonymous", valid=lambda w: {"email": w.sponsor_email}),
    "accounts.set_password:invite": Case(
        "anonymous",
        params={"purpose": "invite"},
        valid={"password": STRONG_PASSWORD, "password_repeat": STRONG_PASSWORD},
    ),
    "accounts.set_password:reset-password": Case(
        "anonymous",
        params={"purpose": "reset-password"},
        valid={"password": STRONG_PASSWORD, "password_repeat": STRONG_PASSWORD},
    ),
    "accounts.invite": Case(
        "coordinator",
        valid={
            "email": "person@kammer.example",
            "name": "Paul Person",
            "role": "partner",
            "organisation_id": "0",
            "new_organisation": "Kammer",
        },
    ),
    "accounts.register": Case(
        "anonymous",
        valid={
            "organisation_name": "Bildung Nord e. V.",
            "legal_form": "e. V.",
            "address": "Hauptstr. 1, 29525 Uelzen",
            "contact_person": "Bea Bildung",
            "name": "Bea Bildung",
            "email": "bea@bildung-nord.example",
            "password": STRONG_PASSWORD,
            "password_repeat": STRONG_PASSWORD,
            "alliance": "non",  # the corpus holds a second alliance: the sponsor chooses
        },
    ),
    "accounts.confirm": Case("anonymous"),
    "sessions.record": Case("coordinator", "V", params={"session_id": "today_session"}),
    "sessions.minutes": Case(
        "coordinator",
        page="/sitzungen/{today_session}",
        params={"session_id": "today_session"},
        valid={"minutes": "Alle Voten erfasst."},
    ),
    "sessions.new": Case(
        "coordinator",
        valid={"day": (TODAY + timedelta(days=40)).isoformat(), "starts": "14:00", "place": "Celle"},
    ),
    "sessions.edit": Case(
        "coordinator",
        params={"session_id": "session"},
        valid={"day": (TODAY + timedelta(days=41)).isoformat(), "starts": "15:00", "place": "Uelzen"},
    ),
    "sessions.cancel": Case(
        "coordinator",
        page="/sitzungen/{session}",
        params={"session_id": "session"},
        valid={"cancel-reason": "Terminkonflikt im Kreistag."},
    ),
    "sessions.enter_past": Case(
        "coordinator",
        valid={"day": (TODAY - timedelta(days=3)).isoformat(), "starts": "10:00", "place": "Kreishaus Celle"},
    ),
    "webhooks.index": Case(
        "coordinator",
        valid={
            "name": "Fachverfahren",
            "url": "https://hooks.example.org/antragsweg",
            "kind": "generic",
            "events": "created",
        },
    ),
    "webhooks.toggle": Case("coordinator", page="/webhooks/{receiver}", valid={"active": "1"}),
    "budget.periods": Case(
        "coordinator",
        valid={
            "name": "Strategieperiode 2028–2030",
            "starts_on": "2028-01-01",
            "ends_on": "2030-12-31",
            "budget_cents": "1.500.000,00",
        },
    ),
    "budget.edit_period": Case("coordinator"),  # the demo period's page, prefilled: accepted as it is
}


def _expected_keys() -> tuple[set[str], dict[str, object]]:
    """The key of every case the app's POST routes need: a route per trigger, per long-form section
    and per link purpose has one case each."""
    from workflow.views.accounts import PURPOSES

    expand = {"trigger": list(FORMS), "key": list(SECTION_FORMS), "purpose": list(PURPOSES)}
    keys, rules = set(), {}
    for rule in test_permission_matrix._rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("api."):
            continue
        variable = next((name for name in expand if name in rule.arguments), None)
        for value in expand[variable] if variable else [None]:
            key = rule.endpoint + (f":{value}" if value else "")
            keys.add(key)
            rules[key] = rule
    return keys, rules


EXPECTED_KEYS, RULES = _expected_keys()


def _url(world, key: str, case: Case) -> str:
    rule = RULES[key]
    values = {}
    for name in rule.arguments - set(rule.defaults or {}):
        if name == "application_id":
            values[name] = world.ids[case.app]
        elif name == "token" and key == "auth.link_sign_in":
            values[name] = world.links["sign-in"]
        elif name == "token" and key.startswith("accounts."):
            values[name] = world.links["confirm" if key == "accounts.confirm" else case.params["purpose"]]
        elif name in case.params:
            value = case.params[name]
            values[name] = world.ids.get(value, value)
        elif name == "trigger":
            values[name] = key.split(":", 1)[1]
        else:
            value = PARAMS[name]
            values[name] = world.ids.get(value, value) if isinstance(value, str) else value
    return Map([rule.empty()]).bind("localhost").build(rule.endpoint, values, method="POST")


def _client(world, role: str):
    """The client of a role; half logged in for the second factor's pages."""
    clients = world.__dict__.setdefault("clients", {})
    if role not in clients:
        if role.startswith("pending"):
            client = world.app.test_client()
            with client.session_transaction() as session:
                if role == "pending_totp":
                    session["pending_user"] = world.ids["observer_user"]
                else:
                    session["pending_user"] = world.ids["pending_user"]
                    session["pending_totp_secret"] = world.enrol_secret
        elif role == "anonymous":
            client = world.app.test_client()
        else:
            client = world.html[role]
        clients[role] = client
    return clients[role]


class Post(NamedTuple):
    label: str
    pairs: Pairs  # the text fields
    files: list[tuple[str, bytes, bytes]]  # file parts: field, file name, content
    body: bytes | None = None  # or a whole body of its own
    content_type: str | None = None


@dataclass
class Plan:
    """The requests of one form."""

    url: str
    form: PageForm
    baseline: dict[str, list[bytes]]  # the valid data
    requests: list[Post] = field(default_factory=list)


def _fill(inputs: dict[str, Input], base: dict[str, list[bytes]], names, value: bytes) -> Pairs:
    pairs: Pairs = []
    for name, item in inputs.items():
        if item.kind == FILE:
            continue
        if name in names:
            pairs.append((name, value))
        else:
            pairs.extend((name, v) for v in base.get(name, []))
    return pairs


def html_plan(world, key: str) -> Plan:
    case = HTML_CASES[key]
    url = _url(world, key, case)
    client = _client(world, case.role)
    form = PageForm(url, False, {})
    if case.page is not None:
        page_path = (case.page or url).format(**world.ids)
        with world.sandbox.transaction(), kept_cookies(client):
            page = client.get(page_path)
            assert page.status_code == 200, f"{key}: the page {page_path} answers {page.status_code}"
            form = page_form(page.get_data(as_text=True), page_path, urlsplit(url).path) or form
            page.close()
        assert form.inputs or key in NO_FIELDS, f"{key}: no form posting to {url} on {page_path}"
    valid = case.valid(world) if callable(case.valid) else case.valid
    baseline = {
        n: [_octets(v) for v in i.values] for n, i in form.inputs.items() if not i.button and i.kind != FILE
    }
    for name, value in valid.items():
        baseline[name] = [_octets(v) for v in (value if isinstance(value, list) else [value])]
    files = [(name, filename.encode(), world.pdf) for name, filename in case.files.items()]
    plan = Plan(url, form, baseline)
    inputs = {n: i for n, i in form.inputs.items() if i.kind != FILE}
    # A form without fields (a button) gets a few values in a field it does not know.
    values = FORM_VALUES if inputs else [v for v in FORM_VALUES if v.name in STRAY_VALUES]
    inputs = inputs or {"unbekannt": Input("unbekannt", TEXT, [])}
    fillable = set(inputs)

    def add(label, pairs, with_files=True):
        plan.requests.append(Post(label, pairs, files if with_files else []))

    add("valid", [(k, v) for k, vs in baseline.items() for v in vs])
    add("nothing sent", [], with_files=False)
    for value in values:
        add(f"{value.name} in every field", _fill(inputs, baseline, fillable, value.raw), with_files=False)
        for kind in value.kinds:
            names = {n for n, i in inputs.items() if i.kind == kind}
            if names and names != fillable:
                add(f"{value.name} in the {kind} fields", _fill(inputs, baseline, names, value.raw))
    for name, item in inputs.items():
        if item.kind == TEXT and len(fillable) > 1:
            add(f"over-long in {name}", _fill(inputs, baseline, {name}, bad_input.OVER_LONG.raw))
    # The calendar's ends, with the time of day that takes them over its edge (in UTC, or by the
    # day after): refused at the field, never accepted to break a page or a feed later.
    days = {n for n, i in inputs.items() if i.html_type == "date"}
    times = {n for n, i in inputs.items() if i.html_type == "time"}
    for day, hour in bad_input.FAR_OUT_MOMENTS if days else ():
        pairs = [(n, hour if n in times else v) for n, v in _fill(inputs, baseline, days, day)]
        add(f"{FAR_OUT} {day.decode()} {hour.decode()}", pairs)
    # Bodies a browser never sends: JSON, a body that does not match its content type.
    for label, body, content_type in (
        ("JSON object", json.dumps({n: 1 for n in fillable}).encode(), "application/json"),
        ("JSON list", b"[1, [2], {}]", "application/json"),
        ("JSON with null", json.dumps(dict.fromkeys(fillable)).encode(), "application/json"),
        ("broken JSON", b'{"title": ', "application/json"),
        (
            "form as multipart without boundary",
            urlencoded([(n, b"x") for n in fillable]),
            "multipart/form-data",
        ),
        ("broken multipart", b"--korpusgrenze0815\r\nContent-Disposition: form-data; name=", MULTIPART),
        ("text/plain", b"title=x", "text/plain"),
    ):
        plan.requests.append(Post(label, [], [], body, content_type))
    return plan


FAR_OUT = "far-out day"
STRAY_VALUES = ("nul", "invalid-utf8", "over-long", "5000-digits")
NO_FIELDS = {
    "auth.logout",
    "applications.act:submit_sketch",
    "applications.act:start_assessment",
    "applications.act:submit_long_form",
    "applications.act:close_vote",
    "accounts.resend_confirmation",
    "accounts.confirm",
    "auth.link_sign_in",
    "settings.deactivate_partner",
    "settings.deactivate_representative",
    "calendar.issue",
    "calendar.revoke",
    "account.revoke_token",
    "signing.remove",
}


def _post_html(world, key, plan: Plan, post: Post):
    client = _client(world, HTML_CASES[key].role)

    def request():
        if post.body is not None:
            data, kind = post.body, post.content_type
        elif plan.form.multipart or post.files:
            data, kind = multipart(post.pairs, post.files), MULTIPART
        else:
            data, kind = urlencoded(post.pairs), URLENCODED
        with kept_cookies(client):
            return client.post(plan.url, data=data, content_type=kind)

    return request


def test_every_form_and_body_has_a_case():
    """A new POST route (or trigger, long-form section, link purpose) or API operation needs its case."""
    assert set(HTML_CASES) == EXPECTED_KEYS
    assert set(API_CASES) == {op.endpoint for op in API_OPERATIONS}


@pytest.mark.parametrize("key", sorted(HTML_CASES))
def test_every_form_survives_the_corpus(corpus, key):
    case = HTML_CASES[key]
    plan = html_plan(corpus, key)
    problems = []
    for post in plan.requests:
        request = _post_html(corpus, key, plan, post)
        outcome = send(corpus, case.app, request, html_problem, post.label, "form posts")
        if post.label == "valid" and (outcome.status >= 400) == case.accepts:
            outcome.problem = (outcome.problem or "") + f" valid data answered {outcome.status}"
        if post.label.startswith(FAR_OUT) and outcome.status < 400:
            outcome.problem = (outcome.problem or "") + f" accepted ({outcome.status})"
        if outcome.problem:
            problems.append(f"{outcome.label}: {outcome.problem}")
    assert not problems, f"{key} ({plan.url}):\n" + "\n".join(problems)


def _sponsor_enrol_code(world) -> str:
    """A current code for the second factor the sponsor's account page offers to set up."""
    client = _client(world, "sponsor")
    with client.session_transaction() as session:
        secret = session.setdefault("enrol_totp_secret", pyotp.random_base32())
    return pyotp.TOTP(secret).now()


# -- the cases: every API body ----------------------------------------------------------------------


def _api_operations():
    from workflow.api.registry import OPERATIONS

    return [op for op in OPERATIONS if op.method in ("POST", "PUT", "PATCH")]


API_OPERATIONS = _api_operations()


@dataclass
class ApiCase:
    role: str
    app: str = "A"
    body: dict = field(default_factory=dict)  # valid; for multipart: the text fields
    files: dict[str, str] = field(default_factory=dict)
    accepts: bool = True


def _transition(trigger: str) -> ApiCase:
    case = TRIGGER_CASES[trigger]
    body = {k: True if v == "y" else v for k, v in case.valid.items()}  # checkboxes: booleans
    if trigger == "record_grant":
        body["amount_granted"] = 10_000_000
    if trigger == "issue_statement":
        body["statement"] = "Der Lenkungskreis befürwortet das Projekt."
    return ApiCase(case.role, case.app, body, case.files, case.accepts)


APPLICATION_BODY = {
    "title": "Fachkräfte für die Pflege",
    "summary": "Ausbildung und Anerkennung",
    "preferred_dates": "Dienstags",
    "funding_object": 1,
    "fields_of_action": [next(iter(FIELDS_OF_ACTION))],
    "districts": [DISTRICTS[0]],
    "total_cost_cents": 10_000_000,
    "requested_grant_cents": 5_000_000,
}
SKETCH_BODY = {
    **{k: v for k, v in APPLICATION_BODY.items() if k != "preferred_dates"},
    "need": "Es fehlen Pflegekräfte.",
    "objectives": "40 Abschlüsse",
    "target_groups": "Zugewanderte",
    "participants_planned": 40,
    "activities": "Kurse",
    "start_date": date(TODAY.year + 1, 1, 1).isoformat(),
    "end_date": date(TODAY.year + 2, 12, 31).isoformat(),
    "partner_organisation_ids": [],
    "other_partners": ["Pflegedienst Nord"],
}

API_CASES: dict[str, ApiCase] = {
    "create_application": ApiCase("sponsor", "A", APPLICATION_BODY),
    "update_application": ApiCase("sponsor", "C", APPLICATION_BODY),
    "put_sketch": ApiCase("sponsor", "D", SKETCH_BODY),
    "put_long_form": ApiCase("sponsor", "L"),  # the stored long form (read in the fixture)
    "upload_document": ApiCase("sponsor", "D", {"kind": "sketch"}, {"file": "skizze.pdf"}),
    "put_ballot": ApiCase(
        "partner", "A", {"choice": "reject", "comment": "Zu teuer.", "rating_feasibility": 2}
    ),
    "declare_conflict": ApiCase("partner", "A", {"reason": "Wir beraten den Träger."}),
    "object_to_circulation": ApiCase("partner", "A", {"reason": "Bitte in der Sitzung beraten."}),
    **{f"transition_{t}": _transition(t) for t in TRIGGER_CASES},
}


def _api_baselines(world) -> dict[str, dict]:
    """put_long_form's valid body: the long form as stored (every section, as GET shows it)."""
    client = world.api["sponsor"]
    with world.sandbox.transaction():
        response = client.get(f"/api/v1/applications/{world.ids['L']}/long-form")
        sections = response.get_json()["sections"]
    body = {key: value for key, value in sections.items() if value is not None}
    for line in body.get("costs", {}).get("lines", []):
        if line["category"] == "personnel":
            line.pop("amount_cents", None)  # computed from rate and hours
        else:
            for name in ("salary_group", "unit_cost_cents", "hours"):
                line.pop(name, None)
    return {"put_long_form": body}


SENTINEL = "\u2063korpus\u2063"


def _leaves(schema: dict, path: tuple = ()) -> list[tuple[tuple, str]]:
    """Paths of the scalar fields of a body schema (into objects and the first item of lists) and
    their kind."""
    found = []
    for name, sub in (schema.get("properties") or {}).items():
        here = (*path, name)
        kinds = sub.get("type") if isinstance(sub.get("type"), list) else [sub.get("type")]
        if "object" in kinds and sub.get("properties"):
            found.extend(_leaves(sub, here))
        elif "array" in kinds:
            items = sub.get("items") or {}
            if items.get("properties"):
                found.extend(_leaves(items, (*here, 0)))
            else:
                found.append(((*here, 0), _kind(items)))
        else:
            found.append((here, _kind(sub)))
    return found


def _kind(schema: dict) -> str:
    kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    if "enum" in schema:
        return CHOICE
    if "integer" in kinds or "number" in kinds:
        return NUMBER
    if "boolean" in kinds:
        return CHOICE
    if schema.get("format") == "date":
        return DATE
    return TEXT


def _put(body, path: tuple, value):
    node = body
    for step, following in zip(path, path[1:], strict=False):
        if isinstance(node, list):
            while len(node) <= step:
                node.append({} if isinstance(following, str) else [])
            node = node[step]
        else:
            if not isinstance(node.get(step), dict | list):
                node[step] = [] if isinstance(following, int) else {}
            node = node[step]
    last = path[-1]
    if isinstance(node, list):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _json_body(base: dict, paths, value: bytes) -> bytes:
    body = copy.deepcopy(base)
    for path in paths:
        _put(body, path, SENTINEL)
    text = json.dumps(body, ensure_ascii=False)
    return text.replace(
        json.dumps(SENTINEL, ensure_ascii=False), value.decode("utf-8", "surrogatepass")
    ).encode("utf-8", "surrogatepass")


def api_plan(world, operation) -> tuple[str, list[tuple[str, bytes, str]]]:
    """The URL and the requests (label, body, content type) of one operation."""
    case = API_CASES[operation.endpoint]
    url = "/api/v1" + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(world.ids[case.app]), operation.rule)
    if "<" in url:
        raise AssertionError(url)
    requests: list[tuple[str, bytes, str]] = []
    if operation.multipart is not None:
        schema = operation.multipart
        text_fields = [k for k, p in schema["properties"].items() if p.get("format") != "binary"]
        files = [(name, filename.encode(), world.pdf) for name, filename in case.files.items()]
        base = {k: _octets(str(v).lower() if isinstance(v, bool) else str(v)) for k, v in case.body.items()}

        def form(names, value):
            pairs = [(k, value if k in names else base[k]) for k in text_fields if k in base or k in names]
            return multipart(pairs, files)

        kinds = {k: _kind(schema["properties"][k]) for k in text_fields}
        requests.append(("valid", form(set(), b""), MULTIPART))
        requests.append(("nothing sent", multipart([], []), MULTIPART))
        for value in FORM_VALUES:
            requests.append((f"{value.name} in every field", form(set(text_fields), value.raw), MULTIPART))
            for kind in value.kinds:
                names = {k for k in text_fields if kinds[k] == kind}
                if names and len(names) < len(text_fields):
                    requests.append((f"{value.name} in the {kind} fields", form(names, value.raw), MULTIPART))
        return url, requests
    base = world.api_baselines.get(operation.endpoint, case.body)
    top = [(name,) for name in operation.body.get("properties", {})]
    leaves = _leaves(operation.body)
    requests.append(("valid", json.dumps(base).encode(), "application/json"))
    requests.append(("nothing sent", b"", "application/json"))
    requests.append(("empty object", b"{}", "application/json"))
    for value in JSON_VALUES:
        requests.append(
            (f"{value.name} in every field", _json_body(base, top, value.raw), "application/json")
        )
        if [p for p, _ in leaves] != top:
            requests.append(
                (
                    f"{value.name} in every inner field",
                    _json_body(base, [p for p, _ in leaves], value.raw),
                    "application/json",
                )
            )
        for kind in value.kinds:
            paths = [p for p, k in leaves if k == kind]
            if paths and len(paths) < len(leaves):
                requests.append(
                    (
                        f"{value.name} in the {kind} fields",
                        _json_body(base, paths, value.raw),
                        "application/json",
                    )
                )
    for path, kind in leaves:
        if kind == TEXT and len(leaves) > 1:
            label = f"over-long in {'.'.join(map(str, path))}"
            requests.append(
                (label, _json_body(base, [path], bad_input.JSON_OVER_LONG.raw), "application/json")
            )
    requests.append(("unknown field", _json_body({**base, "unbekannt": 1}, [], b""), "application/json"))
    for name, body in JSON_BODIES:
        requests.append((f"body: {name}", body, "application/json"))
    requests.append(("body as a form", urlencoded([(k, b"x") for k in base]), URLENCODED))
    return url, requests


@pytest.mark.parametrize("endpoint", sorted(API_CASES))
def test_every_api_body_survives_the_corpus(corpus, endpoint):
    operation = next(op for op in API_OPERATIONS if op.endpoint == endpoint)
    case = API_CASES[endpoint]
    url, requests = api_plan(corpus, operation)
    api = corpus.api[case.role]
    problems = []
    for label, body, content_type in requests:

        def request(body=body, content_type=content_type):
            return api.client.open(
                url,
                method=operation.method,
                data=body,
                headers={"Authorization": f"Bearer {api.token}", "Content-Type": content_type},
            )

        outcome = send(corpus, case.app, request, api_problem, label, "API bodies")
        if label == "valid" and (outcome.status >= 400) == case.accepts:
            outcome.problem = (outcome.problem or "") + f" valid body answered {outcome.status}"
        if outcome.problem:
            problems.append(f"{outcome.label}: {outcome.problem}")
    assert not problems, f"{operation.method} {url}:\n" + "\n".join(problems)


# -- uploads: malformed multipart, dangerous names, bombs -------------------------------------------

BOUNDARY = b"korpusgrenze0815"


@dataclass
class Upload:
    api: bool
    key: str  # the HTML case or the API case
    field: str  # the file input
    kind: str | None = None  # API upload_document: the kind of document
    optional: bool = False  # the form may be sent without a file (then nothing is stored)


UPLOADS = {
    "sketch page": Upload(False, "sketches.edit", "sketch_pdf", optional=True),
    "long-form page": Upload(False, "long_form.upload", "file"),
    "NBank submission page": Upload(False, "applications.act:record_nbank_submission", "document"),
    "grant page": Upload(False, "applications.act:record_grant", "document"),
    "NBank decline page": Upload(False, "applications.act:record_nbank_decline", "document"),
    "signing certificate": Upload(False, "signing.install", "signing-file"),
    "authenticity page": Upload(False, "authenticity.check_file", "file"),
    "API sketch": Upload(True, "upload_document", "file", "sketch"),
    "API long form": Upload(True, "upload_document", "file", "long_form"),
    "API NBank submission": Upload(True, "transition_record_nbank_submission", "document"),
    "API grant": Upload(True, "transition_record_grant", "document"),
    "API NBank decline": Upload(True, "transition_record_nbank_decline", "document"),
}
SAFE_FILENAME = re.compile(r"^[\w][\w.-]{0,80}\.(pdf|docx|xlsx)$")


def _part(
    name: bytes, value: bytes, filename: bytes | None = None, content_type: bytes = b"application/pdf"
) -> bytes:
    head = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        head += b'; filename="' + filename + b'"\r\nContent-Type: ' + content_type
    return b"--" + BOUNDARY + b"\r\n" + head + b"\r\n\r\n" + value + b"\r\n"


def _malformed(world) -> dict[str, tuple[Callable, bool]]:
    """name -> (body from (text parts, file field), whether a valid PDF is in it: such a request may be
    accepted, its file stored under a safe name). Made once per module (the bombs take a moment)."""
    if "malformed" not in world.__dict__:
        world.malformed = _make_malformed(world)
    return world.malformed


def _make_malformed(world) -> dict[str, tuple[Callable, bool]]:
    pdf, end = world.pdf, b"--" + BOUNDARY + b"--\r\n"

    def with_file(content: bytes, filename: bytes = b"datei.pdf", content_type: bytes = b"application/pdf"):
        part = _part(b"\0", content, filename, content_type)  # the field's name is filled in below
        return lambda texts, name: texts + part.replace(b'name="\0"', b'name="' + name + b'"', 1) + end

    return {
        "PDF bomb (110 MB of content)": (with_file(bad_input.pdf_bomb()), False),
        "zip bomb DOCX (200 MB)": (
            with_file(bad_input.docx_bomb(), b"bombe.docx", b"application/octet-stream"),
            False,
        ),
        "text named .pdf": (with_file(b"Kein PDF, nur Text.\n" * 50), False),
        "empty file": (with_file(b""), False),
        "file over 10 MB": (with_file(b"%PDF-1.4\n" + b"0" * (10 * bad_input.MB + 10)), False),
        "body over the request limit": (with_file(b"%PDF-1.4\n" + b"0" * (13 * bad_input.MB)), False),
        "missing file part": (lambda texts, name: texts + end, False),
        "file field as a text value": (lambda texts, name: texts + _part(name, b"skizze.pdf") + end, False),
        "broken boundary": (
            lambda texts, name: (texts + _part(name, pdf, b"a.pdf") + end).replace(BOUNDARY, b"andere"),
            False,
        ),
        "truncated body": (lambda texts, name: (texts + _part(name, pdf, b"a.pdf"))[:-200], False),
        "no closing boundary": (lambda texts, name: texts + _part(name, pdf, b"a.pdf"), True),
        "part without headers": (
            lambda texts, name: texts + b"--" + BOUNDARY + b"\r\n\r\nx\r\n" + end,
            False,
        ),
        "huge filename": (with_file(pdf, b"a" * 10_000 + b".pdf"), True),
        "filename with NUL and ../": (with_file(pdf, b"../../etc/passwd\x00.pdf"), True),
        "filename with path": (with_file(pdf, b"C:\\Windows\\..\\..\\boot.ini.pdf"), True),
        "filename with RTL override": (with_file(pdf, "rechnung\u202efdp.pdf".encode()), True),
        "filename not UTF-8": (with_file(pdf, b"\xff\xfe\xed\xa0\x80.pdf"), True),
        "filename with quotes and line break": (with_file(pdf, b'a".pdf\r\nContent-Type: text/html'), True),
        "two files in the field": (
            lambda texts, name: texts + _part(name, pdf, b"a.pdf") + _part(name, b"x", b"b.pdf") + end,
            True,
        ),
    }


def _upload_request(world, upload: Upload, build) -> tuple[str, str, Callable]:
    """The URL, the application key and a function sending `build(text parts, file field)`."""
    if upload.api:
        case = API_CASES[upload.key]
        operation = next(op for op in API_OPERATIONS if op.endpoint == upload.key)
        app_key = "L" if upload.kind == "long_form" else case.app
        url = "/api/v1" + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", str(world.ids[app_key]), operation.rule)
        body = dict(case.body) | ({"kind": upload.kind} if upload.kind else {})
        texts = b"".join(_part(k.encode(), _octets(str(v))) for k, v in body.items())
        api = world.api[case.role]

        def request():
            return api.client.post(
                url,
                data=build(texts, upload.field.encode()),
                headers={"Authorization": f"Bearer {api.token}", "Content-Type": MULTIPART},
            )

        return url, app_key, request
    plan = html_plan(world, upload.key)
    texts = b"".join(_part(_octets(k), v) for k, vs in plan.baseline.items() for v in vs)
    client = _client(world, HTML_CASES[upload.key].role)

    def request():
        with kept_cookies(client):
            return client.post(plan.url, data=build(texts, upload.field.encode()), content_type=MULTIPART)

    return plan.url, HTML_CASES[upload.key].app, request


def _stored(world, application_id: int) -> tuple[list[Document], set[str]]:
    documents = world.sandbox.read(
        lambda: list(db.session.scalars(sa.select(Document).where(Document.application_id == application_id)))
    )
    files = world.sandbox.read(stored.keys)
    return documents, files


@pytest.mark.parametrize("target", sorted(UPLOADS))
def test_every_upload_survives_malformed_multipart_and_bombs(corpus, target):
    upload = UPLOADS[target]
    problems = []
    for name, (build, may_store) in _malformed(corpus).items():
        url, app_key, request = _upload_request(corpus, upload, build)
        application_id = corpus.ids[app_key]
        TALLY["uploads"] += 1
        with corpus.sandbox.transaction():
            before, files_before = _stored(corpus, application_id)
            try:
                response = request()
            except Exception as exc:  # noqa: BLE001 - the test client re-raises what would be a 500
                TALLY["500"] += 1
                problems.append(f"{name}: 500 ({type(exc).__name__}: {str(exc)[:160]})")
                continue
            after, files_after = _stored(corpus, application_id)
            problem = (api_problem if upload.api else html_problem)(response)
            status = response.status_code
            response.close()
            new = [d for d in after if d.id not in {b.id for b in before}]
            if status >= 500:
                TALLY["500"] += 1
            if problem:
                problems.append(f"{name}: {problem}")
            elif status < 400 and not may_store and (new or not upload.optional):
                problems.append(f"{name}: accepted ({status})")
            elif status >= 400 and (new or files_after - files_before):
                problems.append(
                    f"{name}: refused, but stored {[d.filename for d in new] or files_after - files_before}"
                )
            for document in new:
                if not SAFE_FILENAME.match(document.filename) or ".." in document.filename:
                    problems.append(f"{name}: stored as {document.filename!r}")
    assert not problems, f"{target}:\n" + "\n".join(problems)
