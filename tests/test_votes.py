"""The partners' vote: eligibility and recusal, quorum and majority, secrecy while open, closing."""

from __future__ import annotations

import pytest

from workflow.extensions import db
from workflow.models import Ballot, Event
from workflow.rules.voting import tally
from workflow.services.errors import InvalidTransition, NotAllowed, RuleViolation
from workflow.services.lifecycle import fire
from workflow.votes import casting, queries


@pytest.mark.parametrize(
    ("choices", "eligible", "quorum_reached", "approved"),
    [
        ([], 14, False, False),
        (["approve"] * 6, 14, False, False),  # 6 of 14: below half
        (["approve"] * 7, 14, True, True),  # exactly half is quorum
        (["abstain"] * 7, 14, True, False),  # abstentions count for quorum, not for majority
        (["approve"] * 3 + ["reject"] * 3 + ["abstain"], 14, True, False),  # a tie is no approval
        (["approve"] * 4 + ["reject"] * 3, 14, True, True),
        (["approve"] * 7, 13, True, True),  # 13 eligible: quorum is 7
        (["approve"] * 6, 13, False, False),
        (["approve"], 0, False, False),  # nobody eligible: never quorate
    ],
)
def test_quorum_and_majority(choices, eligible, quorum_reached, approved):
    result = tally(choices, eligible)
    assert result.quorum_reached is quorum_reached
    assert result.approved is approved


def test_the_sponsors_own_partner_organisation_is_recused(world):
    # A district (a partner) applies itself: it must not vote on its own application.
    district = world.orgs["lk-lueneburg"]
    sponsor = world.user("applicant-bildungswerk")
    sponsor.organisation_id = district.id
    db.session.commit()
    application = world.application("partner_vote")
    vote = application.current_vote
    assert district.id in vote.recused_ids
    assert len(vote.eligible_organisations()) == 13
    with pytest.raises(NotAllowed, match="befangen"):
        casting.cast_ballot(application, world.user("partner-lk-lueneburg"), "approve")


def test_one_ballot_per_organisation_the_last_counts_every_change_kept(world):
    application = world.application("partner_vote")
    casting.cast_ballot(application, world.user("partner-ihk"), "approve")
    casting.cast_ballot(application, world.user("partner-ihk-deputy"), "reject", "Zu teuer.")
    ballots = db.session.query(Ballot).filter_by(vote_id=application.current_vote.id).all()
    assert len(ballots) == 1
    assert (ballots[0].choice, ballots[0].cast_by_id) == ("reject", world.user("partner-ihk-deputy").id)
    cast_events = db.session.query(Event).filter_by(application_id=application.id, kind="ballot_cast").all()
    assert [e.data["choice"] for e in cast_events] == ["approve", "reject"]
    assert [e.actor_id for e in cast_events] == [
        world.user("partner-ihk").id,
        world.user("partner-ihk-deputy").id,
    ]
    assert application.current_vote.tally().reject == 1


@pytest.mark.parametrize(
    ("who", "choice", "comment", "ratings", "error"),
    [
        ("observer-nbank", "approve", None, {}, NotAllowed),
        ("coordinator", "approve", None, {}, NotAllowed),
        ("applicant-bildungswerk", "approve", None, {}, NotAllowed),
        ("partner-dgb", "reject", "  ", {}, RuleViolation),
        ("partner-dgb", "maybe", None, {}, RuleViolation),
        ("partner-dgb", "approve", None, {"rating_feasibility": 0}, RuleViolation),
        ("partner-dgb", "approve", None, {"rating_feasibility": 6}, RuleViolation),
    ],
)
def test_bad_ballots_are_refused_and_nothing_is_stored(world, who, choice, comment, ratings, error):
    application = world.application("partner_vote")
    with pytest.raises(error):
        casting.cast_ballot(application, world.user(who), choice, comment, **ratings)
    assert db.session.query(Ballot).count() == 0


def test_no_ballot_after_the_deadline(world):
    application = world.application("partner_vote")
    vote = application.current_vote
    vote.deadline_at = vote.opened_at.replace(year=vote.opened_at.year - 1)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="Frist"):
        casting.cast_ballot(application, world.user("partner-dgb"), "approve")


def test_no_ballot_when_no_vote_is_open(world):
    application = world.application("long_form_submitted")
    with pytest.raises(InvalidTransition):
        casting.cast_ballot(application, world.user("partner-dgb"), "approve")


def test_declared_conflict_recuses_and_voids_an_earlier_ballot(world):
    application = world.application("partner_vote")
    partner = world.user("partner-agv")
    casting.cast_ballot(application, partner, "approve")
    casting.declare_conflict(application, partner, "Mitglied des Projektbeirats.")
    vote = application.current_vote
    assert partner.organisation_id in vote.recused_ids
    assert vote.tally().cast == 0 and vote.tally().eligible == 13
    with pytest.raises(NotAllowed):
        casting.cast_ballot(application, partner, "approve")
    with pytest.raises(RuleViolation):
        casting.declare_conflict(application, world.user("partner-dgb"), "  ")


def test_the_vote_closes_by_itself_when_everyone_has_voted(world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 13)
    assert application.state == "partner_vote"
    world.walker.vote(application, ["approve"] * 14)
    assert application.state == "statement_pending"
    close = db.session.query(Event).filter_by(application_id=application.id, trigger="close_vote").one()
    assert close.actor_id is None  # the system
    assert close.data["tally"]["approve"] == 14


def test_closing_needs_quorum_and_freezes_the_tally(world):
    application = world.application("partner_vote")
    coordinator = world.user("coordinator")
    world.walker.vote(application, ["approve"] * 6)
    with pytest.raises(RuleViolation, match="Quorum"):
        fire(application, "close_vote", coordinator)
    world.walker.vote(application, ["approve"] * 3 + ["reject"] * 4)
    fire(application, "close_vote", coordinator)
    vote = application.current_vote
    assert vote.outcome == "not_approved"  # 3 approvals against 4 rejections
    assert vote.frozen_tally == {
        "approve": 3,
        "reject": 4,
        "abstain": 0,
        "eligible": 14,
        "quorum_percent": 50,
    }
    assert not vote.is_open


@pytest.mark.parametrize(
    ("choices", "decision", "target"),
    [
        (["approve"] * 14, "endorse", "endorsed"),
        (["reject"] * 14, "reject", "not_endorsed"),
        (["reject"] * 14, "revise", "long_form_draft"),
    ],
)
def test_the_statement_follows_the_frozen_outcome(world, choices, decision, target):
    application = world.application("partner_vote")
    world.walker.vote(application, choices)
    data = {"decision": decision, "statement": "Text.", "requested_changes": "Kostenplan kürzen."}
    fire(application, "issue_statement", world.user("coordinator"), data)
    assert application.state == target


@pytest.mark.parametrize(
    ("choices", "decision"),
    [(["approve"] * 14, "reject"), (["approve"] * 14, "revise"), (["reject"] * 14, "endorse")],
)
def test_a_statement_cannot_contradict_the_outcome(world, choices, decision):
    application = world.application("partner_vote")
    world.walker.vote(application, choices)
    data = {"decision": decision, "statement": "Text.", "requested_changes": "Etwas."}
    with pytest.raises(RuleViolation):
        fire(application, "issue_statement", world.user("coordinator"), data)
    assert application.state == "statement_pending"


def test_a_revision_must_name_the_requested_changes(world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["reject"] * 14)
    with pytest.raises(RuleViolation, match="Änderungen"):
        fire(
            application,
            "issue_statement",
            world.user("coordinator"),
            {"decision": "revise", "statement": "Text.", "requested_changes": ""},
        )


def test_secrecy_while_open(world):
    application = world.application("partner_vote")
    casting.cast_ballot(application, world.user("partner-ihk"), "reject", "Nicht überzeugend.")
    vote = application.current_vote
    partner_view = queries.panel(vote, world.user("partner-dgb"))
    coordinator_view = queries.panel(vote, world.user("coordinator"))
    assert partner_view["tally"] is None
    ihk = next(p for p in partner_view["partners"] if p["name"] == "IHK Lüneburg-Wolfsburg")
    assert ihk["voted"] is True and ihk["choice"] is None and ihk["comment"] is None
    assert coordinator_view["tally"]["reject"] == 1
    world.walker.vote(application, ["approve"] * 14)  # closes
    closed_view = queries.panel(application.current_vote, world.user("partner-dgb"))
    assert closed_view["tally"] is not None


def test_a_vote_keeps_the_rules_it_was_opened_under(world):
    application = world.application("partner_vote")
    world.alliance.rules = {"quorum_percent": 75}  # changed after opening
    db.session.commit()
    world.walker.vote(application, ["approve"] * 7)
    assert application.current_vote.tally().quorum == 7  # still half of 14
    later = world.application("partner_vote", applicant="applicant-lwz")
    assert later.current_vote.tally().quorum == 11  # 75 % of 14, rounded up


def test_the_application_page_keeps_ballots_secret_while_open(world, login):
    application = world.application("partner_vote")
    casting.cast_ballot(application, world.user("partner-ihk"), "reject", "Nicht überzeugend.")
    for key in ("partner-dgb", "applicant-bildungswerk", "observer-nbank"):
        page = login(key).get(f"/antraege/{application.id}").text
        assert "Nicht überzeugend." not in page, key
    assert "Nicht überzeugend." in login("coordinator").get(f"/antraege/{application.id}").text


def test_sponsors_and_observers_see_the_counts_not_the_ballots_after_closing(world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["reject"] + ["approve"] * 13)
    vote = application.current_vote
    sponsor_view = queries.panel(vote, world.user("applicant-bildungswerk"))
    assert sponsor_view["tally"]["approve"] == 13
    assert all(p["choice"] is None and p["comment"] is None for p in sponsor_view["partners"])
    partner_view = queries.panel(vote, world.user("partner-dgb"))
    assert any(p["comment"] == "Die Zielgruppe ist bereits gut versorgt." for p in partner_view["partners"])


def test_a_recusal_of_the_last_partner_missing_closes_the_vote(world):
    application = world.application("partner_vote")
    eligible = application.current_vote.eligible_organisations()
    world.walker.vote(application, ["approve"] * (len(eligible) - 1))
    missing = next(
        p
        for p in world.walker.partners
        if p.organisation_id in {o.id for o in eligible}
        and application.current_vote.ballot_of(p.organisation_id) is None
    )
    assert application.state == "partner_vote"
    casting.declare_conflict(application, missing, "Beratend am Projekt beteiligt.")
    assert application.state == "statement_pending"
