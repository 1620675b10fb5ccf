"""Webhooks: a real HTTP receiver on loopback gets every subscribed event, signed, retried with
back-off when it fails, delivered only by `tick`."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workflow.extensions import db
from workflow.models import WebhookDelivery
from workflow.models.types import utcnow
from workflow.services import webhooks
from workflow.services.errors import NotAllowed, RuleViolation
from workflow.services.lifecycle import fire, history
from workflow.votes import casting

SECRET = "geheimnis-fuer-tests-0123456789"


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it gets; answers `status` (a list: one per call,
    the last repeated)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses = [204]
        self.while_first_answer = None  # called before the first answer goes back
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body})
                if len(outer.requests) == 1 and outer.while_first_answer:
                    outer.while_first_answer()
                status = outer.statuses[min(len(outer.requests) - 1, len(outer.statuses) - 1)]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver(app):
    server = Receiver()
    server.thread.start()
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    try:
        yield server
    finally:
        app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
        server.server.shutdown()
        server.server.server_close()


def _tick(app) -> str:
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return result.output


def test_events_reach_a_generic_receiver_signed_and_only_through_tick(app, world, receiver, login):
    coordinator = world.user("coordinator")
    hook = webhooks.register_receiver(
        coordinator,
        name="Partnersystem",
        url=receiver.url,
        kind="generic",
        events=["record_consultation", "created"],
        secret=SECRET,
    )
    application = world.application("sketch_draft")  # created + record_consultation
    assert receiver.requests == []  # nothing inside the person's request
    assert "webhooks: 2" in _tick(app)
    assert [b["event"]["type"] for b in receiver.bodies()] == ["created", "record_consultation"]
    first = receiver.requests[1]
    assert webhooks.verify(SECRET, first["headers"]["X-Antragsweg-Signature"], first["body"])
    assert not webhooks.verify(
        "ein-anderes-geheimnis-123", first["headers"]["X-Antragsweg-Signature"], first["body"]
    )
    assert not webhooks.verify(SECRET, first["headers"]["X-Antragsweg-Signature"], first["body"] + b" ")
    header = first["headers"]["X-Antragsweg-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert not webhooks.verify(SECRET, header, first["body"], now=timestamp + 301)  # replayed later
    body = receiver.bodies()[1]
    assert body["application"]["reference"] == application.reference
    assert body["application"]["url"].endswith(f"/antraege/{application.id}")
    assert body["event"]["data"]["notes"]
    assert first["headers"]["X-Antragsweg-Event"] == "record_consultation"
    _tick(app)
    assert len(receiver.requests) == 2  # each event once
    page = login("coordinator").get(f"/webhooks/{hook.id}")
    assert page.status_code == 200 and "Zugestellt" in page.text and "record_consultation" in page.text


def test_a_failing_receiver_is_retried_with_back_off(app, world, receiver):
    receiver.statuses = [500, 503, 200]
    webhooks.register_receiver(
        world.user("coordinator"),
        name="Wackelig",
        url=receiver.url,
        kind="generic",
        events=["created"],
        secret=SECRET,
    )
    world.application("consultation")
    _tick(app)
    delivery = db.session.query(WebhookDelivery).one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at
    _tick(app)  # not yet due: nothing is sent
    assert len(receiver.requests) == 1
    webhooks.deliver_due(now=utcnow() + timedelta(minutes=1, seconds=1))
    db.session.refresh(delivery)
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at - delivery.last_attempt_at > first_wait  # the wait grows
    webhooks.deliver_due(now=utcnow() + timedelta(minutes=4))
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert len(receiver.requests) == 3
    signatures = [r["headers"]["X-Antragsweg-Signature"] for r in receiver.requests]
    assert all(
        webhooks.verify(SECRET, s, r["body"]) for s, r in zip(signatures, receiver.requests, strict=True)
    )


def test_a_second_tick_while_the_first_is_sending_sends_nothing_twice(app, world, receiver):
    """Two `tick`s at once (two nodes, or a slow receiver and the next timer): the second finds the
    deliveries the first is sending already taken, on SQLite as on PostgreSQL."""
    webhooks.register_receiver(
        world.user("coordinator"),
        name="Langsam",
        url=receiver.url,
        kind="generic",
        events=["created"],
        secret=SECRET,
    )
    world.application("consultation")
    world.application("consultation", applicant="applicant-lwz")
    webhooks.enqueue()
    second_tick = []

    def tick_elsewhere():  # a second process's tick, in its own app context and connection
        def run():
            with app.app_context():
                second_tick.append(webhooks.deliver_due())

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)

    receiver.while_first_answer = tick_elsewhere
    assert webhooks.deliver_due() == 2
    assert second_tick == [0]
    assert len(receiver.requests) == 2  # each delivery once
    assert {d.status for d in db.session.query(WebhookDelivery)} == {"delivered"}


def test_a_receiver_that_never_answers_is_given_up_after_the_last_attempt(app, world, receiver):
    receiver.statuses = [500]
    webhooks.register_receiver(
        world.user("coordinator"),
        name="Kaputt",
        url=receiver.url,
        kind="generic",
        events=["created"],
        secret=SECRET,
    )
    world.application("consultation")
    for minutes in range(0, 400, 10):
        webhooks.enqueue()
        webhooks.deliver_due(now=utcnow() + timedelta(minutes=minutes))
    delivery = db.session.query(WebhookDelivery).one()
    assert (delivery.status, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)


def test_teams_gets_an_adaptive_card_for_a_new_vote_with_a_link(app, world, receiver):
    webhooks.register_receiver(
        world.user("coordinator"), name="Teams-Kanal", url=receiver.url, kind="teams", events=["open_vote"]
    )
    application = world.application("partner_vote")
    _tick(app)
    (message,) = receiver.bodies()
    card = message["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    headline = card["content"]["body"][0]["text"]
    deadline = application.current_vote.deadline_at
    from workflow.formatting import local_date

    assert headline == f"Neue Abstimmung: {application.title} bis {local_date(deadline)} — Jetzt abstimmen"
    action = card["content"]["actions"][0]
    assert action["title"] == "Jetzt abstimmen" and action["url"].endswith(
        f"/antraege/{application.id}/votum"
    )


def test_ballots_reach_receivers_without_their_content(app, world, receiver):
    webhooks.register_receiver(
        world.user("coordinator"),
        name="Alles",
        url=receiver.url,
        kind="generic",
        events=["ballot_cast"],
        secret=SECRET,
    )
    application = world.application("partner_vote")
    casting.cast_ballot(application, world.user("partner-dgb"), "reject", "Geheim bleibt geheim.")
    _tick(app)
    (body,) = receiver.bodies()
    assert body["event"]["data"] == {
        "vote_id": application.current_vote.id,
        "organisation": "DGB Region Nord-Ost-Niedersachsen",
    }
    assert b"Geheim" not in receiver.requests[0]["body"] and b"reject" not in receiver.requests[0]["body"]


def test_events_before_registration_and_of_other_types_are_not_sent(app, world, receiver):
    application = world.application("sketch_draft")
    webhooks.register_receiver(
        world.user("coordinator"),
        name="Neu",
        url=receiver.url,
        kind="generic",
        events=["withdraw"],
        secret=SECRET,
    )
    fire(application, "submit_sketch", world.user("applicant-bildungswerk"))
    _tick(app)
    assert receiver.requests == []
    fire(application, "withdraw", world.user("applicant-bildungswerk"), {"reason": "Anders entschieden."})
    _tick(app)
    assert [b["event"]["type"] for b in receiver.bodies()] == ["withdraw"]


def test_internal_targets_are_refused_outside_tests(app, world, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    webhooks.register_receiver(
        world.user("coordinator"),
        name="Intern",
        url=receiver.url,
        kind="generic",
        events=["created"],
        secret=SECRET,
    )
    world.application("consultation")
    _tick(app)
    assert receiver.requests == []
    delivery = db.session.query(WebhookDelivery).one()
    assert "Interne Adresse" in delivery.last_error


def test_only_the_coordination_registers_receivers_and_bad_input_is_refused(world):
    coordinator = world.user("coordinator")
    with pytest.raises(NotAllowed):
        webhooks.register_receiver(
            world.user("partner-dgb"), name="X", url="https://example.org", kind="generic", events=["created"]
        )
    for kwargs, field in [
        ({"url": "ftp://example.org"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["unbekannt"]}, "events"),
        ({"kind": "slack"}, "kind"),
        ({"secret": "kurz"}, "secret"),
    ]:
        arguments = {
            "name": "X",
            "url": "https://example.org/hook",
            "kind": "generic",
            "events": ["created"],
        } | kwargs
        with pytest.raises(RuleViolation) as refused:
            webhooks.register_receiver(coordinator, **arguments)
        assert refused.value.field == field


def test_the_coordinator_registers_a_receiver_on_the_page(world, login):
    coordinator = login("coordinator")
    page = coordinator.get("/webhooks")
    assert page.status_code == 200 and "Microsoft Teams" in page.text
    response = coordinator.post(
        "/webhooks",
        data={
            "name": "Teams Lenkungskreis",
            "url": "https://example.org/teams",
            "kind": "teams",
            "events": ["open_vote", "close_vote"],
        },
    )
    assert response.status_code == 302, response.text
    receiver = webhooks.receivers_of(world.user("coordinator"))[0]
    assert receiver.events == ["open_vote", "close_vote"] and len(receiver.secret) >= 32
    shown = coordinator.get(response.headers["Location"])
    assert receiver.secret in shown.text
    refused = coordinator.post("/webhooks", data={"name": "", "url": "nix", "kind": "generic"})
    assert refused.status_code == 422 and "Bitte" in refused.text
    assert login("partner-dgb").get("/webhooks").status_code == 403
    assert login("partner-dgb").get(f"/webhooks/{receiver.id}").status_code == 403
    off = coordinator.post(f"/webhooks/{receiver.id}/aktiv", data={"active": ""})
    assert off.status_code == 302
    db.session.refresh(receiver)
    assert receiver.active is False


def test_teams_card_for_other_events_links_to_the_application(world):
    application = world.application("sketch_submitted")
    event = next(e for e in history(application) if e.trigger == "submit_sketch")
    message = webhooks.teams_message(event)
    card = message["attachments"][0]["content"]
    assert card["body"][0]["text"] == f"Projektskizze einreichen: {application.title}"
    assert "Projektskizze eingereicht" in card["body"][1]["text"]
    assert card["actions"][0]["title"] == "Antrag öffnen"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Aktenzeichen"] == application.reference
