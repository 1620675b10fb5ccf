"""Mail leaves through its own sender process, never from a request: pages answer while the mail
server hangs; two senders send each mail once; `tick` sends what it queued in the same run."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from tests.live import Gunicorn, HttpUser, Mailer
from workflow.extensions import db
from workflow.models import OutgoingMail
from workflow.services import jobs

NOW = datetime.now(UTC)


class HangingSmtp:
    """A real loopback server that accepts connections and never answers (an SMTP server that
    hangs): whoever talks to it waits until their timeout."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)  # kept open, never answered

    def close(self):
        self.sock.close()
        for connection in self.connections:
            connection.close()


def _wait(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _pending() -> int:
    db.session.rollback()
    return db.session.scalar(
        db.select(db.func.count()).select_from(OutgoingMail).where(OutgoingMail.sent_at.is_(None))
    )


def test_pages_answer_at_once_while_the_mail_server_hangs(world, gunicorn):
    hanging = HangingSmtp()
    try:
        # A node whose mail server accepts and never answers; it would wait 30 s for each greeting.
        node = gunicorn(
            env={
                "ANTRAGSWEG_MAIL_SERVER": "127.0.0.1",
                "ANTRAGSWEG_MAIL_PORT": str(hanging.port),
                "ANTRAGSWEG_MAIL_TIMEOUT": "30",
            },
            workers=1,
        )
        anonymous = HttpUser(node.url)
        sponsor = world.user("applicant-bildungswerk")
        # A request that queues a mail (a reset link), then any page, /healthz included.
        answer = anonymous.post_form("/passwort-vergessen", {"email": sponsor.email}, timeout=10)
        assert answer.status_code == 200 and "Link verschickt" in answer.text, answer.text[:300]
        for path in ("/healthz", "/anmelden", "/barrierefreiheit"):
            assert anonymous.get(path, timeout=10).status_code == 200, path
        assert _pending() >= 1  # the mail waits in the outbox ...
        assert hanging.connections == []  # ... and no request opened a connection to the server

        # The sender process talks to the hanging server; the pages do not care.
        mailer = Mailer(node, name="mailer-hanging").start()
        try:
            assert _wait(lambda: hanging.connections, timeout=90), "the sender never connected"
            for path in ("/healthz", "/anmelden"):
                assert anonymous.get(path, timeout=10).status_code == 200, path
            assert _pending() >= 1  # not lost: it waits for a server that answers
        finally:
            mailer.kill()  # it would wait out its 30 s for the server first
    finally:
        hanging.close()


def test_two_senders_on_two_nodes_send_each_mail_once(app, world, smtp):
    for number in range(60):
        db.session.add(
            OutgoingMail(to_address=f"person{number}@example.org", subject=f"Nr. {number}", body="x")
        )
    db.session.commit()
    node = Gunicorn(app, smtp.port)  # a node's settings (not started: only its senders run)
    senders = [Mailer(node, interval=0.05, name=f"sender{n}") for n in range(2)]
    for sender in senders:
        sender.start()
    try:
        assert _wait(lambda: _pending() == 0, timeout=90), "the outbox was not sent"
    finally:
        for sender in senders:
            sender.stop()
    subjects = [m["Subject"] for m in smtp.received]
    assert sorted(subjects) == sorted(f"Nr. {n}" for n in range(60))  # each once, none twice


def test_tick_sends_the_reminders_it_queues_in_the_same_run(world, smtp):
    application = world.application("partner_vote")
    vote = application.current_vote
    vote.opened_at = NOW - timedelta(days=5)
    vote.deadline_at = NOW + timedelta(days=2, hours=12)  # the 3-day reminder is due
    db.session.commit()
    smtp.messages.clear()  # what the walk there queued, sent and forgotten
    results = jobs.run_all()  # one tick, and no sender process
    assert results["vote_reminders"] > 0
    reminded = [m for m in smtp.received if m["Subject"].startswith("Erinnerung")]
    assert len(reminded) == results["vote_reminders"]
    assert list(jobs.run_all())[-1] == "mail"  # sending is the last thing a tick does
