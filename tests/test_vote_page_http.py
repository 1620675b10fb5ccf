"""The vote page over real HTTP against gunicorn (issue 16): the coordination opens a vote through
its form, the node queues the mail, the sender process beside it sends it to the real SMTP server;
the partner follows the mail's link, casts the ballot through the page's form (with its CSRF
token) and sees its state."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from tests.conftest import text_of
from workflow.extensions import db
from workflow.models import Ballot
from workflow.votes import timing

LINK = re.compile(r"Jetzt abstimmen: (\S+)")


def _vote_mail(live_smtp, address: str, title: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in live_smtp.to(address):
            if message["Subject"].startswith(f"Neue Abstimmung: {title}"):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no vote mail to {address}")


def test_a_partner_follows_the_mail_to_the_vote_page_and_votes(
    world, http, live_server, live_smtp, live_mailer
):
    application = world.application("long_form_submitted")
    coordinator = http("coordinator")
    act = f"/antraege/{application.id}/aktion/open_vote"
    deadline = timing.default_circulation_deadline(application.alliance)
    opened = coordinator.post_form(
        act, {"mode": "circulation", "deadline": deadline.isoformat(), "session_id": "0"}
    )
    assert opened.status_code == 302, opened.text[:500]

    partner = world.user("partner-dgb")
    mail = _vote_mail(live_smtp, partner.email, application.title)
    assert mail.get_content_type() == "multipart/mixed"
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    link = LINK.search(plain).group(1)
    path = f"/antraege/{application.id}/votum"
    assert link == live_server + path  # the node's own address: straight to the vote page
    assert f'href="{link}"' in mail.get_body(preferencelist=("html",)).get_content()

    client = http("partner-dgb")
    page = client.get(link)
    assert page.status_code == 200 and "noch nicht abgegeben" in text_of(page.text)
    cast = client.post_form(
        path,
        {"seite": "votum", "ballot-choice": "approve", "ballot-rating_feasibility": "4"},
        form_page=path,
    )
    assert cast.status_code == 303 and cast.headers["Location"].endswith(f"{path}#ihr-votum")
    after = text_of(client.get(path).text)
    assert "Ihr Votum ist gespeichert" in after
    assert re.search(
        r"Votum Ihrer Organisation abgegeben am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr, Sie können es bis", after
    )
    assert "Umsetzbarkeit und Angemessenheit der Kosten 4" in after.split("Verlauf Ihres Votums", 1)[1]
    # Without the page's token the form is refused, and nothing changes.
    refused = client.post(path, data={"seite": "votum", "ballot-choice": "reject", "ballot-comment": "x"})
    assert refused.status_code == 400
    db.session.expire_all()
    ballot = db.session.scalars(sa.select(Ballot)).one()
    assert (ballot.choice, ballot.rating_feasibility) == ("approve", 4)
