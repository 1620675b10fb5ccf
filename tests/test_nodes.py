"""Several app nodes on one database (issue 15): nothing a request needs is kept on one node.

Two gunicorn nodes on the suite's database and secret key: a login on one is a login on the other,
a form fetched from one posts to the other, failed logins count across both, a one-time link used
on one is used up on the other. Behind nginx, round-robin, with the database document store
(PostgreSQL): uploads, statements and the API through either node, and the ballots of many
concurrent clients with one node killed (`kill -9`) in the middle: nothing lost, nothing doubled,
no false success."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from pypdf import PdfReader

from bench.ballots import check_after_kill, fire_with_retries, kill_once, seed_ballots
from tests.conftest import make_pdf
from tests.live import HttpApi, HttpUser, _children
from tests.nginx import Nginx, proxied_env, require_nginx
from tests.test_webhooks import receiver  # noqa: F401, F811 - the fixture
from workflow.extensions import db
from workflow.models import Document, LoginFailure, StoredFile
from workflow.services import accounts, statements, tokens

POSTGRES = pytest.mark.skipif(
    not os.environ.get("ANTRAGSWEG_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several nodes on one database with the database store: PostgreSQL (the production database)",
)


@pytest.fixture
def two_nodes(gunicorn):
    return gunicorn(workers=1, name="node-a"), gunicorn(workers=1, name="node-b")


def _on(node, client: HttpUser) -> HttpUser:
    """The same browser (its cookies) talking to another node."""
    other = HttpUser(node.url)
    other.cookies.update(client.cookies)
    return other


def test_a_login_on_one_node_is_a_login_on_the_other(two_nodes, world):
    a, b = two_nodes
    browser = HttpUser(a.url).login(world.user("coordinator").email)
    assert browser.get("/start").status_code == 200
    on_b = _on(b, browser)
    page = on_b.get("/start")
    assert page.status_code == 200 and world.user("coordinator").name in page.text
    # A form fetched from A (its CSRF token bound to the session cookie signed on A) posts to B.
    token = browser.csrf_token("/start")  # the language switch in the page's header
    response = on_b.post("/sprache", data={"csrf_token": token, "language": "en"})
    assert response.status_code in (302, 303), response.text[:300]
    assert 'lang="en"' in _on(a, on_b).get("/start").text  # and A reads what B wrote into the session
    # A token from nowhere is refused by either.
    forged = HttpUser(b.url)
    forged.get("/anmelden")
    refused = forged.post("/anmelden", data={"csrf_token": "erfunden", "email": "x@y.de", "password": "z"})
    assert refused.status_code == 400


def test_failed_logins_count_across_nodes(ctx, two_nodes, world):
    a, b = two_nodes
    email = world.user("applicant-lwz").email
    for node in (a, b, a, b, a):  # five failures, spread over both
        response = HttpUser(node.url).post_form("/anmelden", {"email": email, "password": "falsch-falsch"})
        assert response.status_code == 401
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) >= 5
    for node in (a, b):  # even the right password, on either node
        refused = HttpUser(node.url).post_form("/anmelden", {"email": email, "password": accounts_password()})
        assert refused.status_code == 429, node.url


def accounts_password() -> str:
    from workflow import demo

    return demo.DEMO_PASSWORD


def test_a_one_time_link_used_on_one_node_is_used_up_on_the_other(ctx, two_nodes, world):
    a, b = two_nodes
    user = world.user("applicant-elbtal")
    link = f"/passwort/{accounts.RESET}/{accounts.make_link_token(user, accounts.RESET)}"
    db.session.commit()
    new = {"password": "ein-neues-langes-Passwort-2026", "password_repeat": "ein-neues-langes-Passwort-2026"}
    used = HttpUser(a.url).post_form(link, new)
    assert used.status_code in (302, 303), used.text[:300]
    again = HttpUser(b.url)
    again.get(link)
    assert again.post_form(link, new, form_page="/anmelden").status_code == 410
    assert HttpUser(b.url).login(user.email, new["password"]).get("/start").status_code == 200


# -- behind nginx, round-robin, the database store (PostgreSQL) ---------------------------------


@pytest.fixture
def proxied_pair(app, gunicorn, test_ca, tmp_path):
    """nginx round-robin in front of two nodes as the units run them, with DOCUMENT_STORE=database."""
    require_nginx()
    proxy = Nginx(tmp_path / "nginx", test_ca, upstreams=[])
    env = proxied_env(proxy.url) | {"ANTRAGSWEG_DOCUMENT_STORE": "database"}
    nodes = [gunicorn(env=env, name=f"proxied-{n}") for n in ("a", "b")]
    proxy.set_upstreams([node.url for node in nodes])
    proxy.nodes = nodes
    proxy.test_config()
    proxy.start()
    app.config["DOCUMENT_STORE"] = "database"  # what the test reads directly, as the nodes do
    try:
        yield proxy
    finally:
        app.config["DOCUMENT_STORE"] = "folder"
        proxy.stop()


def _served(node, path: str) -> int:
    """How many requests for `path` this node answered with 200 (its JSON request log)."""
    count = 0
    for line in node.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        count += entry.get("path") == path and entry.get("status") == 200
    return count


def _requests(node) -> list[dict]:
    """The lines of the node's JSON request log."""
    entries = []
    for line in node.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and "path" in entry:
            entries.append(entry)
    return entries


def answered(node, path: str, method: str | None = None) -> list[int]:
    """The statuses this node answered for `path` (and `method`), from its request log."""
    return [
        e.get("status") for e in _requests(node) if e["path"] == path and method in (None, e.get("method"))
    ]


def pin(proxy, node, timeout: float = 10.0) -> None:
    """Only `node` upstream (and nginx reloaded, as an administrator drains the other): the
    next requests through the proxy are answered by it. Waits until fresh connections land there."""
    proxy.set_upstreams([node.url])
    reload_and_wait(proxy, timeout)
    deadline, landed = time.monotonic() + timeout, 0
    while landed < 3:
        assert time.monotonic() < deadline, f"nginx does not send to {node.url} after the reload"
        rid = requests.get(proxy.url + "/anmelden", verify=str(proxy.ca.cert), timeout=10).headers[
            "X-Request-ID"
        ]
        landed = landed + 1 if served_by(proxy.nodes, rid) is node else 0


def served_by(nodes, request_id: str, timeout: float = 5.0):
    """The node whose request log has this request id (nginx's $request_id, echoed as X-Request-ID);
    it writes the line once the response is sent, so wait a moment for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [node for node in nodes if any(e.get("request_id") == request_id for e in _requests(node))]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no node logged request {request_id}")


def round_robin(proxy) -> None:
    proxy.set_upstreams([node.url for node in proxy.nodes])
    reload_and_wait(proxy)


def reload_and_wait(proxy, timeout: float = 10.0) -> None:
    """Reload nginx and wait until its old workers are gone: a connection a browser keeps alive
    to one of them would still be sent to the upstreams of before."""
    before = set(_children(proxy.process.pid))
    proxy.reload()
    deadline = time.monotonic() + timeout
    while before & set(_children(proxy.process.pid)):
        assert time.monotonic() < deadline, "nginx's old workers did not finish"
        time.sleep(0.05)


def _folder(app) -> Path:
    return Path(app.config.get("DOCUMENT_STORAGE") or Path(app.instance_path) / "documents")


@POSTGRES
def test_documents_and_statements_are_served_by_either_node(app, ctx, proxied_pair, world):
    """A sketch uploaded (through the proxy, the API) is downloaded through both nodes; a
    statement issued before is served by both; nothing of it is on the local disk."""
    sponsor = world.user("applicant-bildungswerk")
    application = world.application("sketch_draft")
    token = tokens.create(sponsor, "Zwei Knoten")[1]
    endorsed = world.application("endorsed")
    db.session.commit()
    before = set(_folder(app).iterdir()) if _folder(app).exists() else set()
    api = HttpApi(proxied_pair.url, token, verify=str(proxied_pair.ca.cert))
    pdf = make_pdf(2, "Skizze über zwei Knoten")
    response = api.post(
        f"/api/v1/applications/{application.id}/documents",
        data={"kind": "sketch"},
        files={"file": ("Skizze.pdf", io.BytesIO(pdf), "application/pdf")},
    )
    assert response.status_code == 201, response.text[:500]
    path = response.json()["url"]
    for _ in range(4):  # round-robin: both nodes serve it
        download = api.get(path)
        assert download.status_code == 200 and download.content == pdf
    assert all(_served(node, path) for node in proxied_pair.nodes), path
    statement_path = f"/api/v1/applications/{endorsed.id}/statement.pdf"
    coordinator = HttpApi(
        proxied_pair.url,
        tokens.create(world.user("coordinator"), "Zwei Knoten")[1],
        verify=str(proxied_pair.ca.cert),
    )
    db.session.commit()
    answers = [coordinator.get(statement_path) for _ in range(4)]
    assert {r.status_code for r in answers} == {200}
    statement = statements.latest(endorsed)
    assert {hashlib.sha256(r.content).hexdigest() for r in answers} == {statement.sha256}
    assert all(_served(node, statement_path) for node in proxied_pair.nodes)
    db.session.expire_all()
    document = db.session.scalars(sa.select(Document).where(Document.application_id == application.id)).one()
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert db.session.get(StoredFile, document.storage_key) is not None
    after = set(_folder(app).iterdir()) if _folder(app).exists() else set()
    assert after == before  # not a byte on a node's disk


@POSTGRES
def test_a_statement_issued_on_one_node_is_served_by_the_other(app, ctx, proxied_pair, world):
    """The coordinator issues the statement with the form, through the proxy with node A alone
    upstream; node B serves its PDF (directly, to the API) and so does the proxy with B alone and
    with both: the same bytes, the stored SHA-256, a PDF pypdf reads."""
    a, b = proxied_pair.nodes
    application = world.application("statement_pending")
    coordinator = world.user("coordinator")
    token = tokens.create(coordinator, "Zwei Knoten")[1]
    db.session.commit()
    pin(proxied_pair, a)
    browser = HttpUser(proxied_pair.url, verify=str(proxied_pair.ca.cert)).login(coordinator.email)
    action = f"/antraege/{application.id}/aktion/issue_statement"
    issued = browser.post_form(
        action,
        {
            "decision": "endorse",
            "budget_confirmed": "y",
            "statement": "Der Lenkungskreis befürwortet das Projekt.",
        },
    )
    assert issued.status_code in (302, 303), issued.text[:500]
    assert served_by(proxied_pair.nodes, issued.headers["X-Request-ID"]) is a
    db.session.expire_all()
    statement = statements.latest(db.session.get(type(application), application.id))
    assert statement is not None and statement.sha256
    page_path = f"/antraege/{application.id}/stellungnahme/{statement.version}.pdf"
    api_path = f"/api/v1/applications/{application.id}/statement.pdf"
    answers = {"B directly (API)": HttpApi(b.url, token).get(api_path)}
    pin(proxied_pair, b)
    answers["proxy, B alone"] = browser.get(page_path)
    assert served_by(proxied_pair.nodes, answers["proxy, B alone"].headers["X-Request-ID"]) is b
    round_robin(proxied_pair)
    for n in range(4):
        answers[f"proxy, both ({n})"] = browser.get(page_path)
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 200)
    assert {hashlib.sha256(r.content).hexdigest() for r in answers.values()} == {statement.sha256}
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(answers["proxy, B alone"].content)).pages
    )
    assert statement.reference in text and "befürwortet" in text
    assert 200 in answered(b, page_path, "GET") and 200 in answered(b, api_path, "GET")
    assert answered(a, action, "POST") and not answered(b, action, "POST")  # issued on A only


BALLOT_VOTES = 8  # 112 ballots: enough to kill a node in the middle, small enough for ~30 s


def _upstream_failures(proxy) -> int:
    """Requests nginx lost with a node (it logs each, whatever it did next)."""
    text = proxy.error_log.read_text() if proxy.error_log.exists() else ""
    return len(re.findall(r"\[error\].*while reading response header from upstream", text))


@POSTGRES
def test_ballots_through_the_proxy_survive_a_node_killed_in_the_middle(app, ctx, proxied_pair):
    """Concurrent ballots through nginx, twice with a node `kill -9`'d once a third of them are
    acknowledged and started again. With both nodes upstream, nginx sends what the dying node
    lost to the other (a PUT may be sent again: a ballot sent twice is stored once); with the dying
    node alone upstream, its clients get a 502, never a false success, and their retry succeeds.
    Either way every acknowledged ballot is stored, none doubled, every tally exact."""
    a, b = proxied_pair.nodes
    jobs = seed_ballots(BALLOT_VOTES, alliance_count=1)
    first = sorted({application_id for application_id, _ in jobs})[: BALLOT_VOTES // 2]
    phases = [[j for j in jobs if j[0] in first], [j for j in jobs if j[0] not in first]]
    outcomes, killers = [], []
    for phase, (dying, upstreams) in zip(phases, [(a, [a, b]), (b, [b])], strict=True):
        proxied_pair.set_upstreams([node.url for node in upstreams])
        proxied_pair.reload()
        lost_before = _upstream_failures(proxied_pair)
        killer = kill_once(len(phase) // 3, dying)
        killers.append(killer)
        _, answered = fire_with_retries(
            proxied_pair.url,
            phase,
            connections=12,
            verify=str(proxied_pair.ca.cert),
            retries=100,
            on_ack=killer,
        )
        assert killer.done.wait(60), "the node was not killed and started again"
        assert _upstream_failures(proxied_pair) > lost_before, "no request was in flight on the dying node"
        outcomes.append(answered)
    problems = check_after_kill(app.config["SQLALCHEMY_DATABASE_URI"], outcomes[0] + outcomes[1])
    assert not problems, problems
    rerouted = [s for o in outcomes[0] for s in o.statuses]
    assert set(rerouted) == {200}, rerouted  # the other node answered what the dying one lost
    failed = [s for o in outcomes[1] for s in o.statuses[:-1]]
    assert failed and set(failed) == {502}, failed  # alone upstream, nginx said 502 …
    assert all(o.acknowledged for o in outcomes[1])  # … and the retry succeeded
    try:
        for node in (a, b):  # both serve again
            assert requests.get(node.url + "/readyz", timeout=10).status_code == 200
    finally:
        for killer in killers:
            killer.release()


def test_tick_on_two_nodes_at_once_sends_each_reminder_and_webhook_once(app, world, receiver, live_smtp):  # noqa: F811
    """`flask tick` started on two nodes at the same moment (two processes, the nodes' settings):
    the due reminder goes out once, every webhook delivery once."""
    import subprocess
    import sys

    from tests.live import Gunicorn
    from tests.test_reminders import _revision_requested
    from tests.test_webhooks import SECRET
    from workflow import PROJECT_ROOT
    from workflow.models import WebhookDelivery
    from workflow.services import webhooks

    webhooks.register_receiver(
        world.user("coordinator"),
        name="Partnersystem",
        url=receiver.url,
        kind="generic",
        events=["created", "record_consultation", "request_sketch_revision"],
        secret=SECRET,
    )
    _revision_requested(world, days_ago=8)  # its reminder is due
    db.session.commit()
    sponsor = world.user("applicant-bildungswerk").email
    before = len([m for m in live_smtp.to(sponsor) if "Erinnerung" in m["Subject"]])
    env = Gunicorn(app, live_smtp.port, env={"ANTRAGSWEG_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}).env
    ticks = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "tick"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [tick.communicate(timeout=120)[0].decode() for tick in ticks]
    assert all(tick.returncode == 0 for tick in ticks), outputs
    live_smtp.wait_for(sponsor, count=before + 1)
    reminders = [m for m in live_smtp.to(sponsor) if "Erinnerung" in m["Subject"]]
    assert len(reminders) == before + 1, outputs  # once, not once per node
    db.session.expire_all()
    delivered = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
    assert delivered >= 3
    assert len(receiver.requests) == delivered  # each delivery once
    assert len({json.loads(r["body"])["event"]["id"] for r in receiver.requests}) == delivered
