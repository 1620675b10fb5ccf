"""Running it as an IT department does: /readyz with every reason it can give, JSON request logs
with request ids and no secrets, Prometheus metrics from gunicorn's workers, error reports to a
Sentry receiver without personal data. Real conditions each time: a database stamped at an older
revision, a document folder that cannot be written, a database that does not answer, gunicorn with
2 workers read over HTTP, `tick` run as a command."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from tests.live import CSRF, Gunicorn, HttpUser, _children, free_port
from tests.test_data_safety import _scratch_database_url
from tests.test_webhooks import Receiver
from workflow import create_app, logs
from workflow.extensions import db
from workflow.models import Event, JobRun, OutgoingMail, Vote, WebhookDelivery, WebhookReceiver
from workflow.models.types import utcnow
from workflow.models.webhook import FAILED, PENDING
from workflow.services import accounts, calendar_feeds, mail, tokens, webhooks

TOKEN = "metriken-" + "0123456789abcdef" * 2


def _lines(text: str) -> list[dict]:
    """The JSON lines of a log (anything else in it is not ours)."""
    found = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            if isinstance(record := json.loads(line), dict):
                found.append(record)
    return found


def _wait_for(predicate, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what}: nothing within {timeout} s")


def _scratch_app(tmp_path, url: str | None = None, **config):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url or "sqlite:///" + str(tmp_path / "scratch.sqlite3"),
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            **config,
        }
    )


# -- /readyz -----------------------------------------------------------------------------------


def test_readyz_is_ready_and_tells_nothing_of_the_configuration(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "documents": "ok"},
        "reasons": [],
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/healthz").text == "ok"


def _not_ready(app, check: str, code: str) -> dict:
    response = app.test_client().get("/readyz")
    assert response.status_code == 503, response.text
    body = response.json
    assert body["status"] == "not_ready" and body["checks"][check] == code, body
    assert [(r["check"], r["code"]) for r in body["reasons"]] == [(check, code)], body
    # No addresses, paths, driver names or revision ids: the answer is public.
    text = response.text
    for secret in (app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path, "sqlite", "postgres", "0013"):
        assert secret not in text
    return body


def test_readyz_refuses_a_schema_stamped_at_an_older_revision(tmp_path):
    url, drop = _scratch_database_url(tmp_path)
    scratch = _scratch_app(tmp_path, url)
    try:
        with scratch.app_context():
            upgrade(revision="0013")
            body = _not_ready(scratch, "schema", "behind")
            assert "init-db" in body["reasons"][0]["message"]
            upgrade()
            assert scratch.test_client().get("/readyz").status_code == 200
            db.engine.dispose()
    finally:
        drop()


def test_readyz_refuses_an_empty_and_an_unknown_schema(tmp_path):
    url, drop = _scratch_database_url(tmp_path)
    scratch = _scratch_app(tmp_path, url)
    try:
        with scratch.app_context():
            _not_ready(scratch, "schema", "missing")
            upgrade()
            # A revision this code does not know: the database was upgraded by a newer release.
            with db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff9999'"))
            _not_ready(scratch, "schema", "unknown")
            db.engine.dispose()
    finally:
        drop()


@contextlib.contextmanager
def read_only(folder: Path):
    """The folder as a disk full of other people's files would leave it: nothing can be created in
    it, not even by root (who ignores the mode bits; then the immutable attribute or a read-only
    mount does it)."""
    folder.mkdir(parents=True, exist_ok=True)
    undo = []
    folder.chmod(0o555)
    undo.append(lambda: folder.chmod(0o755))

    def writable() -> bool:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"")
        except OSError:
            return False
        probe.unlink()
        return True

    chattr = ["chattr", "+i", str(folder)]
    if (
        writable()
        and shutil.which("chattr")
        and subprocess.run(chattr, capture_output=True, check=False).returncode == 0
    ):
        undo.append(lambda: subprocess.run(["chattr", "-i", str(folder)], check=False))
    mount = ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)]
    if writable() and subprocess.run(mount, capture_output=True, check=False).returncode == 0:
        undo.append(lambda: subprocess.run(["umount", str(folder)], check=False))
    try:
        if writable():
            pytest.skip("no way to make a folder read-only here")
        yield folder
    finally:
        for step in reversed(undo):
            step()


def test_readyz_refuses_a_document_folder_that_cannot_be_written(app, tmp_path):
    with read_only(tmp_path / "dokumente") as folder:
        scratch = _scratch_app(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], DOCUMENT_STORAGE=str(folder))
        with scratch.app_context():
            body = _not_ready(scratch, "documents", "not_writable")
            assert str(folder) not in json.dumps(body)
            db.engine.dispose()


def test_readyz_and_healthz_over_http_with_a_database_that_does_not_answer(gunicorn):
    """A node whose database refuses connections lives (/healthz) but is not ready (/readyz)."""
    port = free_port()  # nothing listens there
    node = gunicorn(
        env={"ANTRAGSWEG_DATABASE_URL": f"postgresql+psycopg://antragsweg@127.0.0.1:{port}/antragsweg"},
        workers=1,
    )
    assert requests.get(node.url + "/healthz", timeout=10).text == "ok"
    response = requests.get(node.url + "/readyz", timeout=30)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable", "schema": "unknown", "documents": "ok"}
    assert str(port) not in response.text and "127.0.0.1" not in response.text
    assert "sending queued mail failed" not in node.log()  # the probes never touch the outbox


# -- one node like production, for logs and metrics -------------------------------------------


@pytest.fixture(scope="module")
def ops_node(app, live_smtp):
    """2 workers with the metrics token; mail off, so that the outbox keeps what the tests queue."""
    node = Gunicorn(
        app,
        live_smtp.port,
        workers=2,
        env={"ANTRAGSWEG_METRICS_TOKEN": TOKEN, "ANTRAGSWEG_MAIL_SERVER": ""},
        name="ops",
    ).start()
    yield node
    node.stop()


def _request_lines(node: Gunicorn) -> list[dict]:
    return [line for line in _lines(node.log()) if line.get("logger") == "workflow.request"]


def _line_of(node: Gunicorn, request_id: str) -> dict:
    found = _wait_for(
        lambda: [line for line in _request_lines(node) if line["request_id"] == request_id],
        f"log line of request {request_id}",
    )
    assert len(found) == 1, found
    return found[0]


def test_one_json_line_per_request_with_the_proxys_request_id(ops_node, world):
    coordinator = world.user("coordinator")
    user = HttpUser(ops_node.url).login(coordinator.email)
    request_id = "nginx-" + uuid.uuid4().hex
    response = user.get("/start", headers={"X-Request-ID": request_id})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == request_id
    line = _line_of(ops_node, request_id)
    assert line["message"] == "request" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"], line["endpoint"]) == (
        "GET",
        "/start",
        200,
        "dashboard.start",
    )
    assert (line["user_id"], line["alliance_id"]) == (coordinator.id, world.alliance.id)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["time"])

    # After a form that commits (the person's data was expired by it), the line still knows them.
    token = user.csrf_token("/benachrichtigungen")
    rid = uuid.uuid4().hex
    response = user.post(
        "/benachrichtigungen/gelesen", data={"csrf_token": token}, headers={"X-Request-ID": rid}
    )
    assert response.status_code == 303
    line = _line_of(ops_node, rid)
    assert (line["user_id"], line["alliance_id"], line["method"]) == (
        coordinator.id,
        world.alliance.id,
        "POST",
    )

    # A program with an API token: the token's person; the token itself is never written.
    _, secret = tokens.create(coordinator, "Protokolltest")
    response = requests.get(
        ops_node.url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=30
    )
    assert response.status_code == 200
    line = _line_of(ops_node, response.headers["X-Request-ID"])
    assert (line["user_id"], line["alliance_id"], line["endpoint"]) == (
        coordinator.id,
        world.alliance.id,
        "api.get_me",
    )
    assert secret not in ops_node.log()


@pytest.mark.parametrize("sent", ["kurz", "x" * 200, "<script>alert(1)</script>", "ein leerzeichen 12345"])
def test_a_malformed_request_id_is_replaced(ops_node, sent):
    response = requests.get(ops_node.url + "/healthz", headers={"X-Request-ID": sent}, timeout=10)
    rid = response.headers["X-Request-ID"]
    assert rid != sent and re.fullmatch(r"[0-9a-f]{32}", rid)
    _line_of(ops_node, rid)
    assert sent not in ops_node.log()


def test_error_pages_show_the_request_id(ops_node, client):
    response = requests.get(
        ops_node.url + "/gibt-es-nicht", headers={"X-Request-ID": "fehlerseite-1234"}, timeout=10
    )
    assert response.status_code == 404
    assert '<code class="request-id">fehlerseite-1234</code>' in response.text
    response = client.get("/gibt-es-nicht")
    assert response.headers["X-Request-ID"] in response.text


# The routes whose path carries a secret, as written down here (not read from the code): the test
# below also finds every route with an argument named like a secret.
SECRET_ROUTES = {"calendar.feed", "accounts.set_password", "accounts.confirm"}


def test_no_secret_of_a_path_query_or_header_is_logged(app, ops_node, world):
    coordinator = world.user("coordinator")
    secret_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if any(logs.SECRET_ARGUMENT.search(a) for a in rule.arguments)
    ]
    assert {rule.endpoint for rule in secret_rules} >= SECRET_ROUTES
    markers, paths = [], []
    for rule in secret_rules:  # every route with a secret in its path, with a made-up one
        values = {}
        for argument in rule.arguments:
            if logs.SECRET_ARGUMENT.search(argument):
                values[argument] = marker = f"Geheim{uuid.uuid4().hex}"
                markers.append(marker)
            else:
                values[argument] = "reset"
        paths.append(rule.build(values, append_unknown=False)[1])
    # Real secrets too: a calendar feed that answers, confirmation, invitation and reset links.
    feed = calendar_feeds.issue(coordinator)
    markers.append(feed)
    for purpose in accounts.LINK_ENDPOINTS:
        link = urlsplit(accounts.link_url(coordinator, purpose)).path
        paths.append(link)
        markers.append(link.rsplit("/", 1)[1])
    session = requests.Session()
    ids = []
    for path in paths:
        response = session.get(ops_node.url + path, timeout=30)
        assert response.status_code < 500, (path, response.status_code)
        ids.append(response.headers["X-Request-ID"])
    response = session.get(ops_node.url + f"/kalender/{feed}.ics", timeout=30)
    assert response.status_code == 200
    feed_line = _line_of(ops_node, response.headers["X-Request-ID"])
    # Query parameters named like secrets, a bearer token, a mistyped link nobody routes.
    query = {
        name: f"Geheim{uuid.uuid4().hex}"
        for name in ("token", "access_token", "api_key", "code", "signature")
    }
    markers += query.values()
    response = session.get(ops_node.url + "/anmelden", params={**query, "seite": "2"}, timeout=30)
    query_line = _line_of(ops_node, response.headers["X-Request-ID"])
    bearer = f"Geheim{uuid.uuid4().hex}"
    response = session.get(
        ops_node.url + "/api/v1/me", headers={"Authorization": f"Bearer {bearer}"}, timeout=30
    )
    assert response.status_code == 401
    ids.append(response.headers["X-Request-ID"])
    stray = f"Geheim{uuid.uuid4().hex}"
    ids.append(session.get(ops_node.url + f"/kalender/{stray}", timeout=30).headers["X-Request-ID"])
    markers += [bearer, stray]

    for rid in ids:
        _line_of(ops_node, rid)
    log = ops_node.log()
    for marker in markers:
        assert marker not in log
    assert (feed_line["path"], feed_line["status"]) == ("/kalender/REDACTED.ics", 200)
    assert query_line["query"] == (
        "token=REDACTED&access_token=REDACTED&api_key=REDACTED&code=REDACTED&signature=REDACTED&seite=2"
    )


def _run_cli(app, *args) -> tuple[object, list[dict]]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result, _lines(result.stderr)


def test_tick_mail_and_webhooks_log_json_lines(app, world, smtp, tmp_path):
    """In-process: `tick` writes one line per run with what each job did; mail and each webhook
    delivery log the same way, without the address of a person or the secret of a receiver."""
    coordinator = world.user("coordinator")
    db.session.add(OutgoingMail(to_address="person@example.org", subject="Hallo", body="Text"))
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    try:
        secret_path = "/webhook/geheimer-pfad-" + uuid.uuid4().hex
        webhooks.register_receiver(
            coordinator,
            name="Teams",
            url=f"http://127.0.0.1:{free_port()}{secret_path}",  # nobody listens: the delivery fails
            kind="generic",
            events=["created"],
        )
        world.application("consultation")
        db.session.commit()
        result, lines = _run_cli(app, "tick")
    finally:
        app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    assert result.exit_code == 0, result.output
    by_message = {}
    for line in lines:
        by_message.setdefault(line["message"], []).append(line)
    tick = by_message["tick"][0]
    assert tick["level"] == "INFO" and tick["failed"] == [] and tick["results"]["mail"] >= 1
    assert set(tick["results"]) >= {"mail", "webhooks"} and isinstance(tick["duration_ms"], int)
    assert any(line["sent"] >= 1 for line in by_message["mail sent"])
    delivery = by_message["webhook delivery"][0]
    assert (delivery["outcome"], delivery["host"], delivery["attempt"]) == ("retry", "127.0.0.1", 1)
    assert "person@example.org" not in result.stderr and secret_path not in result.stderr
    assert len(smtp.to("person@example.org")) == 1
    run = db.session.get(JobRun, "tick")
    assert run.succeeded_at is not None and run.failed_at is None and run.results == tick["results"]


def test_a_failing_job_makes_the_tick_line_an_error_and_keeps_the_last_success(app, world):
    result, lines = _run_cli(app, "tick")
    assert result.exit_code == 0
    succeeded = db.session.get(JobRun, "tick").succeeded_at
    db.session.remove()
    # The outbox table gone (a real failure of the database): the mail job fails, the others run.
    db.session.execute(sa.text("ALTER TABLE outgoing_mails RENAME TO outgoing_mails_weg"))
    db.session.commit()
    app.config["MAIL_SERVER"] = "127.0.0.1"
    try:
        result, lines = _run_cli(app, "tick")
    finally:
        app.config["MAIL_SERVER"] = None
        db.session.rollback()
        db.session.execute(sa.text("ALTER TABLE outgoing_mails_weg RENAME TO outgoing_mails"))
        db.session.commit()
    assert "mail: FEHLER" in result.stdout
    tick = next(line for line in lines if line["message"] == "tick")
    assert tick["level"] == "ERROR" and "mail" in tick["failed"]
    assert any(
        line["level"] == "ERROR" and line.get("job") == "mail" and "exc_info" in line for line in lines
    )
    run = db.session.get(JobRun, "tick")
    assert run.failed_at is not None and run.succeeded_at == succeeded


# -- /metrics ----------------------------------------------------------------------------------


def _scrape(node: Gunicorn) -> dict[str, float]:
    response = requests.get(node.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_metrics_are_served_only_with_the_token_or_to_configured_addresses(ops_node, client, tmp_path, app):
    assert requests.get(ops_node.url + "/metrics", timeout=10).status_code == 404
    wrong = {"Authorization": "Bearer " + TOKEN[:-1] + "x"}
    assert requests.get(ops_node.url + "/metrics", headers=wrong, timeout=10).status_code == 404
    assert client.get("/metrics").status_code == 404  # nothing configured: nobody
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    loopback = _scratch_app(tmp_path, url, METRICS_ALLOWED_ADDRESSES=["127.0.0.1/32", "::1"])
    elsewhere = _scratch_app(tmp_path, url, METRICS_ALLOWED_ADDRESSES="10.0.0.0/8, 192.168.1.7")
    assert loopback.test_client().get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert elsewhere.test_client().get("/metrics").status_code == 404
    with pytest.raises(Exception, match="METRICS_ALLOWED_ADDRESSES"):
        _scratch_app(tmp_path, url, METRICS_ALLOWED_ADDRESSES=["nicht-eine-adresse"])
    for scratch in (loopback, elsewhere):
        with scratch.app_context():
            db.engine.dispose()


def test_the_readme_says_what_metrics_py_does(tmp_path, app):
    """The README's sentence on /metrics: the settings it names exist (as the environment file
    spells them), its example of addresses is one the app takes, and closed by default holds."""
    from workflow import PROJECT_ROOT
    from workflow.config import Defaults

    readme = (PROJECT_ROOT / "README.md").read_text()
    bullet = re.search(r"^- \*\*Metrics\*\*: (.*?)(?=^- \*\*|^$)", readme, flags=re.M | re.S).group(1)
    bullet = " ".join(bullet.split())
    names = set(re.findall(r"`ANTRAGSWEG_(METRICS_\w+)`", bullet))
    assert names == {"METRICS_TOKEN", "METRICS_ALLOWED_ADDRESSES"}
    assert all(hasattr(Defaults, name) for name in names)
    assert Defaults.METRICS_TOKEN is None and not Defaults.METRICS_ALLOWED_ADDRESSES
    assert "closed by default" in bullet and "404" in bullet
    example = re.search(r"e\.g\. `([^`]+)`", bullet).group(1)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    allowed = _scratch_app(tmp_path, url, METRICS_ALLOWED_ADDRESSES=example)  # comma-separated, a network
    closed = _scratch_app(tmp_path, url)
    try:
        assert allowed.test_client().get("/metrics").status_code == 200  # the test client: 127.0.0.1
        assert closed.test_client().get("/metrics").status_code == 404
    finally:
        for scratch in (allowed, closed):
            with scratch.app_context():
                db.engine.dispose()


LOGIN = 'antragsweg_http_requests_total{endpoint="auth.login",method="GET",status="200"}'
LOGIN_COUNT = (
    'antragsweg_http_request_duration_seconds_count{endpoint="auth.login",method="GET",status="200"}'
)


def test_request_counters_add_up_over_both_workers(ops_node, world):
    before = _scrape(ops_node)
    ids = []
    while len(ids) < 40:  # until both workers have answered some (each request on a new connection)
        ids.append(requests.get(ops_node.url + "/anmelden", timeout=30).headers["X-Request-ID"])
        if len(ids) >= 6 and len({_line_of(ops_node, rid)["process"] for rid in ids}) == 2:
            break
    assert len({_line_of(ops_node, rid)["process"] for rid in ids}) == 2, "one worker answered everything"
    after = _scrape(ops_node)
    assert after[LOGIN] - before.get(LOGIN, 0) == len(ids)
    assert after[LOGIN_COUNT] - before.get(LOGIN_COUNT, 0) == len(ids)
    missing = 'antragsweg_http_requests_total{endpoint="unmatched",method="GET",status="404"}'
    _line_of(ops_node, requests.get(ops_node.url + "/gibt-es-nicht", timeout=10).headers["X-Request-ID"])
    assert _scrape(ops_node)[missing] == after.get(missing, 0) + 1  # counted once its line is written
    assert after["antragsweg_gunicorn_workers"] == 2


def test_metrics_tell_the_figures_of_the_procedure(app, ops_node, world):
    world.application("partner_vote")
    old = utcnow() - timedelta(hours=2)
    db.session.add(OutgoingMail(to_address="a@example.org", subject="s", body="b", created_at=old))
    db.session.add(
        OutgoingMail(to_address="b@example.org", subject="s", body="b", attempts=mail.MAX_ATTEMPTS)
    )
    last = db.session.scalar(sa.select(sa.func.max(Event.id)))
    receiver = WebhookReceiver(
        alliance_id=world.alliance.id,
        name="r",
        url="https://example.org/h",
        secret="s",
        events=["created"],
        last_event_id=last,
    )
    db.session.add(receiver)
    db.session.flush()
    events = db.session.scalars(sa.select(Event).order_by(Event.id).limit(3)).all()
    later = utcnow() + timedelta(hours=1)
    for event, (status, attempts) in zip(events, ((PENDING, 2), (FAILED, 8), (PENDING, 0)), strict=True):
        db.session.add(
            WebhookDelivery(
                receiver_id=receiver.id,
                event_id=event.id,
                event_type="created",
                status=status,
                attempts=attempts,
                next_attempt_at=later,
            )
        )
    db.session.commit()
    open_votes = db.session.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.closed_at.is_(None)))
    pending = db.session.scalar(
        sa.select(sa.func.count(OutgoingMail.id)).where(
            OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < mail.MAX_ATTEMPTS
        )
    )

    samples = _scrape(ops_node)
    assert samples["antragsweg_database_up"] == 1
    assert samples['antragsweg_open_votes{alliance="non"}'] == open_votes >= 1
    assert samples['antragsweg_outbox_mails{state="pending"}'] == pending
    assert samples['antragsweg_outbox_mails{state="given_up"}'] == 1
    assert samples["antragsweg_outbox_oldest_mail_age_seconds"] >= 7200
    assert samples['antragsweg_webhook_deliveries_failing{state="retrying"}'] == 1
    assert samples['antragsweg_webhook_deliveries_failing{state="failed"}'] == 1
    assert samples["antragsweg_tick_seconds_since_last_success"] == float("inf")  # never ran
    assert samples["antragsweg_tick_last_success_timestamp_seconds"] == 0

    result = app.test_cli_runner().invoke(args=["tick"])  # on this machine; the node reads the database
    assert result.exit_code == 0, result.output
    succeeded = db.session.get(JobRun, "tick").succeeded_at
    samples = _scrape(ops_node)
    assert samples["antragsweg_tick_last_success_timestamp_seconds"] == pytest.approx(succeeded.timestamp())
    assert 0 <= samples["antragsweg_tick_seconds_since_last_success"] < 3600
    assert samples["antragsweg_tick_last_run_failed"] == 0


def test_counters_survive_a_worker_that_dies(ops_node):
    """SIGKILL one worker: gunicorn starts another, child_exit marks the dead one, the live count
    stays 2 and the requests it had answered are still counted."""
    requests.get(ops_node.url + "/anmelden", timeout=30)
    before = _scrape(ops_node)
    workers = _children(ops_node.process.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    new = _wait_for(lambda: set(_children(ops_node.process.pid)) - set(workers), "a new worker").pop()

    def served_by_new() -> bool:  # the new worker has booted (its gauge is set) once it answers
        rid = requests.get(ops_node.url + "/healthz", timeout=30).headers["X-Request-ID"]
        return _line_of(ops_node, rid)["process"] == new

    _wait_for(served_by_new, "an answer from the new worker", timeout=60)
    after = _scrape(ops_node)
    assert after["antragsweg_gunicorn_workers"] == 2
    assert after[LOGIN] >= before[LOGIN]


# -- error reports -----------------------------------------------------------------------------


def test_error_reports_reach_sentry_without_personal_data(gunicorn, tmp_path):
    """A database without tables: the login fails with an error whose SQL names the address that
    was typed. The report arrives at a Sentry receiver on loopback with the request id, and without
    the address, the password, the form, the cookies."""
    receiver = Receiver()
    receiver.thread.start()
    try:
        dsn = f"http://public0123456789@127.0.0.1:{receiver.server.server_address[1]}/42"
        empty = tmp_path / "leer.sqlite3"
        sa.create_engine(f"sqlite:///{empty}").connect().close()
        node = gunicorn(
            env={
                "ANTRAGSWEG_SENTRY_DSN": dsn,
                "ANTRAGSWEG_DATABASE_URL": f"sqlite:///{empty}",
                "ANTRAGSWEG_MAIL_SERVER": "",
            },
            workers=1,
        )
        user = HttpUser(node.url)
        page = user.get("/anmelden")
        token = CSRF.search(page.text).group(1)
        email, password = "erika.mustermann@example.org", "Sehr-Geheimes-Passwort-42"
        response = user.post("/anmelden", data={"csrf_token": token, "email": email, "password": password})
        assert response.status_code == 500
        rid = response.headers["X-Request-ID"]
        assert rid in response.text  # the error page names it, for the person to quote

        def report():
            for raw in receiver.requests:
                body = raw["body"]
                encoding = raw["headers"].get("Content-Encoding")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                items = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
                for item in items:
                    if "exception" in item and item.get("tags", {}).get("request_id") == rid:
                        return body.decode(), item
            return None

        text, event = _wait_for(report, "the report of the failed login at the receiver")
        assert event["exception"]["values"][-1]["type"] == "OperationalError"
        assert event["tags"]["request_id"] == rid
        assert event["request"]["url"].endswith("/anmelden") and "data" not in event["request"]
        assert "cookies" not in event["request"] and "Cookie" not in event["request"]["headers"]
        for personal in (email, "erika.mustermann", password, token, *user.cookies.values()):
            assert personal not in text
        assert '"vars"' not in text  # no local variables of any frame
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_the_scrubber_removes_the_signed_in_persons_name(app, world):
    from flask import g

    from workflow import error_reporting

    person = world.user("applicant-bildungswerk")
    event = {
        "message": f"Fehler bei {person.name} <{person.email}>",
        "request": {
            "url": "http://h/x",
            "data": {"name": person.name},
            "cookies": {"session": "abc"},
            "headers": {"Cookie": "session=abc", "Authorization": "Bearer t", "User-Agent": "UA"},
        },
        "user": {"email": person.email},
        "breadcrumbs": {"values": [{"message": f"angemeldet: {person.email}"}]},
    }
    with app.test_request_context("/kalender/geheimes-token-0123456789abcdef.ics"):
        g._login_user = person
        scrubbed = error_reporting.scrub_event(event)
    text = json.dumps(scrubbed)
    assert person.name not in text and person.email not in text and "abc" not in text and "Bearer" not in text
    assert scrubbed["request"]["headers"] == {"User-Agent": "UA"} and "user" not in scrubbed
    assert "geheimes-token" not in text
