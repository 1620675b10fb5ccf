"""Fixtures: one real database per test run (SQLite, or PostgreSQL when
ANTRAGSWEG_TEST_DATABASE_URL says so), the schema built by the migrations, emptied after each test."""

from __future__ import annotations

import contextlib
import contextvars
import os
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from workflow import create_app, demo
from workflow.extensions import db
from workflow.models import Application, User

pytest_plugins = ["tests.live", "tests.nginx"]


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("ANTRAGSWEG_TEST_DATABASE_URL")
    if not url:  # each process (each xdist worker) has its own tmp folder, so its own file
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    # In parallel (pytest-xdist) each worker has a database of its own beside the one named,
    # `<name>_gw0`, `<name>_gw1`, …, made fresh here and dropped at the end (_drop_worker_database).
    name = f"{url.rsplit('/', 1)[1].split('?')[0]}_{worker}"
    with _server(url) as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a killed run's
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        # A test database need not survive a crash of the server: commits need not wait for the disk.
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    return _with_database(url, name)


def _with_database(url: str, name: str) -> str:
    return str(sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False))


@contextlib.contextmanager
def _server(url: str):
    """An autocommit connection to the server's maintenance database."""
    engine = sa.create_engine(_with_database(url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _drop_worker_database(url: str) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") and url != os.environ.get("ANTRAGSWEG_TEST_DATABASE_URL"):
        with _server(url) as connection:
            connection.exec_driver_sql(
                f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)'
            )


class IsolatedClient(FlaskClient):
    """Each request runs as in a real server: in its own app context, with its own database
    session and `g`, even while the test itself holds an app context for direct calls."""

    def open(self, *args, **kwargs):
        # The body is read inside that context too: a streamed response (stream_with_context)
        # pushes its request's context again while it is read, as under gunicorn.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url = _database_url(tmp_path_factory)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(instance),
            "WTF_CSRF_ENABLED": False,
            # argon2id at its cheapest: the suite hashes many passwords.
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8,
            "ARGON2_PARALLELISM": 1,
            # The second factor is tested on its own (test_security.py); elsewhere coordinators
            # log in with their password alone.
            "TOTP_REQUIRED_ROLES": (),
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        _empty_tables()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter does
    if url.startswith("postgresql"):
        _drop_worker_database(url)


def _empty_tables() -> None:
    """Empty what a test filled, as a fresh database: only the tables that have rows (emptying
    all ~40 each time cost PostgreSQL about a second per test), and on PostgreSQL the sequences a
    test used start at 1 again, as TRUNCATE … RESTART IDENTITY did."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        filled = set(
            connection.execute(
                sa.text(
                    " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
                )
            ).scalars()
        )
        for table in reversed(tables):  # referencing tables first
            if table in filled:
                connection.execute(sa.text(f'DELETE FROM "{table}"'))
        if connection.dialect.name == "postgresql":
            connection.execute(  # the sequences owned by a table's column (RESTART IDENTITY's)
                sa.text(
                    "SELECT setval(d.objid::regclass, 1, false) FROM pg_depend d "
                    "JOIN pg_sequences s ON d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass "
                    "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
                    "AND d.deptype IN ('a', 'i') AND s.last_value IS NOT NULL"
                )
            )


@pytest.fixture
def ctx(app):
    """An app context for calling domain operations directly; the database is emptied after."""
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        _empty_tables()


@pytest.fixture
def world(ctx):
    """The demo alliance: 14 partners (one with a deputy), NBank and MS, the coordination, three
    sponsors. `world.people[...]` by short name (see workflow/demo.py)."""
    base = demo.seed_alliance()

    class World:
        alliance = base["alliance"]
        people: dict[str, User] = base["people"]
        orgs = base["orgs"]
        walker = demo.Walker(base["people"])

        def user(self, key: str) -> User:
            return self.people[key]

        def application(
            self, state: str = "consultation", applicant: str = "applicant-bildungswerk", **kwargs
        ) -> Application:
            sponsor = self.people[applicant]
            application = demo.new_application(sponsor, f"Testprojekt {state}", **kwargs)
            return self.walker.walk_to(application, state, sponsor)

    return World()


@pytest.fixture
def client(app, world):
    return app.test_client()


class LoggedIn:
    """A test client logged in as one person."""

    def __init__(self, app, email: str, password: str = demo.DEMO_PASSWORD):
        self.client = app.test_client()
        response = self.client.post("/anmelden", data={"email": email, "password": password})
        assert response.status_code == 302, response.text

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        return self.client.post(*args, **kwargs)


@pytest.fixture
def login(app, world):
    def _login(key: str) -> LoggedIn:
        return LoggedIn(app, world.people[key].email)

    return _login


def move_deadline(application: Application, trigger: str, day) -> None:
    """Pretend the latest `trigger` event recorded its deadline on `day` (a date): a Core update,
    so the log stays append-only for the app and only the test travels in time; the stored next
    due day follows as it would have."""
    from workflow.models import Event
    from workflow.services import deadlines

    event = db.session.scalars(
        sa.select(Event)
        .where(Event.application_id == application.id, Event.trigger == trigger)
        .order_by(Event.id.desc())
        .limit(1)
    ).one()
    data = {**event.data, "deadline": day.isoformat()}
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(data=data))
    db.session.expire_all()
    deadlines.keep_next_due(application)
    db.session.commit()


def text_of(html: str) -> str:
    """The visible text of a page, whitespace folded (for assertions on what a person reads)."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


class Mailbox:
    """What a real SMTP server on loopback (aiosmtpd) received."""

    def __init__(self):
        self.received = []

    @property
    def messages(self) -> list:
        return self.received

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes
        from email.policy import default

        self.received.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Outbox:
    """The mailbox of the `smtp` fixture: reading it (`messages`, `to`) first runs the sender once,
    as the sender process (`send-mail --loop`) would have by then; `received` is what arrived
    without that. (Not the server's handler itself: aiosmtpd inspects its handler's members.)"""

    def __init__(self, app, server: Mailbox):
        self.app, self.server = app, server

    @property
    def received(self) -> list:
        return self.server.received

    @property
    def messages(self) -> list:
        self.deliver()
        return self.server.received

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def deliver(self) -> int:
        from workflow.services import mail

        with self.app.app_context():  # a session of its own, as the sender process has
            try:
                return mail.send_pending()
            finally:
                db.session.remove()


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 for the duration of a test; the app's outbox goes to it
    when the test reads the mailbox (see Outbox)."""
    from aiosmtpd.controller import Controller

    server = Mailbox()
    mailbox = Outbox(app, server)
    port = mailbox.port = _free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield mailbox
    finally:
        controller.stop()
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)


def make_pdf(pages: int = 1, text: str = "Projektskizze") -> bytes:
    """A real PDF of `pages` pages, rendered by WeasyPrint."""
    from weasyprint import HTML

    body = "".join(
        f'<section style="page-break-after: always"><p>{text}, Seite {n}</p></section>'
        for n in range(1, pages + 1)
    )
    return HTML(string=f'<html lang="de"><title>{text}</title><body>{body}</body></html>').write_pdf()


@pytest.fixture
def other_alliance(world):
    """A second alliance (created as `flask create-alliance` does) with its coordinator, a sponsor
    and one application with a running assessment deadline: none of it may show in the first."""
    from workflow.services import accounts, alliances
    from workflow.services.lifecycle import fire

    alliance, coordinator = alliances.create_alliance(
        "weser", "Fachkräftebündnis Weser", "koordination@weser.example", "Wera Weser", demo.DEMO_PASSWORD
    )
    sponsor = accounts.create_user(
        email="antrag@weser.example",
        name="Weser Bildung",
        role="applicant",
        organisation="Weser Bildung gGmbH",
        password=demo.DEMO_PASSWORD,
        alliance_slug="weser",
    )
    partner = accounts.create_user(
        email="partner@weser.example",
        name="Weser Partner",
        role="partner",
        organisation="Handelskammer Weser",
        password=demo.DEMO_PASSWORD,
        alliance_slug="weser",
    )
    application = demo.new_application(sponsor, "Geheimprojekt Weser")
    fire(
        application,
        "record_consultation",
        coordinator,
        {"consultation_date": application.created_at.date(), "participants": "Koordination", "notes": "x"},
    )
    fire(application, "submit_sketch", sponsor)

    class Other:
        pass

    other = Other()
    other.alliance, other.coordinator, other.sponsor, other.partner = alliance, coordinator, sponsor, partner
    other.application = application
    return other


class ApiClient:
    """A test client of the JSON API with one person's bearer token."""

    def __init__(self, app, user: User):
        from workflow.services import tokens

        self.user = user
        _, self.token = tokens.create(user, "Test")
        self.client = app.test_client()

    def _headers(self, kwargs):
        return {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self._headers(kwargs), **kwargs)

    def post(self, url, **kwargs):
        return self.client.post(url, headers=self._headers(kwargs), **kwargs)

    def put(self, url, **kwargs):
        return self.client.put(url, headers=self._headers(kwargs), **kwargs)

    def patch(self, url, **kwargs):
        return self.client.patch(url, headers=self._headers(kwargs), **kwargs)


@pytest.fixture
def api(app, world):
    """api("coordinator") → an API client acting with that demo person's token."""
    clients: dict[str, ApiClient] = {}

    def _api(key: str) -> ApiClient:
        if key not in clients:
            clients[key] = ApiClient(app, world.people[key])
        return clients[key]

    return _api


@pytest.fixture(params=("folder", "database"))
def document_store(request, app):
    """Run the test once with each document store (services/storage.py)."""
    previous = app.config["DOCUMENT_STORE"]
    app.config["DOCUMENT_STORE"] = request.param
    yield request.param
    app.config["DOCUMENT_STORE"] = previous
