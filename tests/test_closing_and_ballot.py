"""The ballot's comment says when it is needed without contradicting itself, and the rule holds;
the close-vote confirmation shows what closing would freeze (tally, quorum, outcome), as the
voting rules compute it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.conftest import text_of
from workflow.extensions import db
from workflow.models import Application, Ballot
from workflow.votes import closing


def test_the_comment_is_labelled_without_contradiction_and_still_needed_on_reject(world, login):
    application = world.application("partner_vote")
    partner = login("partner-dgb")
    html = partner.get(f"/antraege/{application.id}").text
    label = re.search(r'<label class="kern-label" for="ballot-comment">(.*?)</label>', html, re.S).group(1)
    assert label.strip() == "Kommentar"
    hint = re.search(r'<div class="kern-hint" id="ballot-comment-hint">(.*?)</div>', html).group(1)
    assert hint == "Bei einer Ablehnung erforderlich, bei Zustimmung oder Enthaltung freiwillig."
    assert re.search(r'<textarea[^>]*aria-describedby="ballot-comment-hint"[^>]*id="ballot-comment"', html)
    assert "optional" not in text_of(html[html.index("ballot-comment") - 200 : html.index("</textarea>")])

    refused = partner.post(
        f"/antraege/{application.id}/votum", data={"ballot-choice": "reject", "ballot-comment": "  "}
    )
    assert refused.status_code == 422
    assert "Eine Ablehnung muss begründet werden." in text_of(refused.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
    accepted = partner.post(
        f"/antraege/{application.id}/votum", data={"ballot-choice": "approve", "ballot-comment": ""}
    )
    assert accepted.status_code == 303


def _close_page(login, application) -> str:
    response = login("coordinator").get(f"/antraege/{application.id}/aktion/close_vote")
    assert response.status_code == 200
    return text_of(response.text)


def test_the_close_confirmation_shows_the_tally_and_the_outcome_it_would_freeze(world, login):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 5 + ["reject"] * 2 + ["abstain"])
    page = _close_page(login, application)
    assert (
        "Zustimmung Ablehnung Enthaltung Abgegeben Stimmberechtigt Quorum (mindestens) 5 2 1 8 14 7" in page
    )
    assert "Abgegeben: 8 von 14 · 6 Stimmen fehlen" in page
    assert "Quorum: erreicht (mindestens 7 von 14)" in page
    assert "Wenn Sie jetzt schließen, lautet das Ergebnis: Zustimmung ." in page

    closed = login("coordinator").post(f"/antraege/{application.id}/aktion/close_vote", data={})
    assert closed.status_code == 302
    db.session.expire_all()
    vote = db.session.get(Application, application.id).current_vote
    assert vote.outcome == "approved"
    assert (vote.frozen_tally["approve"], vote.frozen_tally["reject"], vote.frozen_tally["abstain"]) == (
        5,
        2,
        1,
    )


def test_a_tie_would_freeze_no_approval_and_without_quorum_a_circulation_cannot_close(world, login):
    tie = world.application("partner_vote")
    world.walker.vote(tie, ["approve"] * 4 + ["reject"] * 4)
    preview = closing.closing_preview(tie)
    assert (preview["outcome"], preview["tally"]["quorum_reached"], preview["closable"]) == (
        "not_approved",
        True,
        True,
    )
    assert "lautet das Ergebnis: Keine Zustimmung ." in _close_page(login, tie)

    few = world.application("partner_vote")
    world.walker.vote(few, ["approve"])
    page = _close_page(login, few)
    assert "Quorum: nicht erreicht (mindestens 7 von 14)" in page and "13 Stimmen fehlen" in page
    assert "Ohne Quorum kann das Umlaufverfahren nicht geschlossen werden" in page
    assert "lautet das Ergebnis" not in page


def test_one_missing_vote_is_singular(world, login):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 13)
    assert "Abgegeben: 13 von 14 · 1 Stimme fehlt" in _close_page(login, application)
