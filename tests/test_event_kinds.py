"""The registry of event kinds: what each kind is called where, and what of it is public or secret."""

from __future__ import annotations

from workflow.lifecycle import TRIGGERS
from workflow.models.event_kinds import BALLOT_CAST, KINDS, RECUSAL, SUBSCRIPTIONS, label_of
from workflow.rules import voting


def test_the_webhooks_offer_the_kinds_sent_then_every_trigger():
    assert list(SUBSCRIPTIONS.items())[:5] == [
        ("created", "Beratung angefragt (Antrag angelegt)"),
        ("updated", "Angaben geändert"),
        ("document_uploaded", "Dokument hochgeladen"),
        ("ballot_cast", "Votum abgegeben (ohne Inhalt)"),
        ("recusal", "Befangenheit erklärt"),
    ]
    assert list(SUBSCRIPTIONS)[5:] == [t.name for t in TRIGGERS]


def test_an_event_is_named_by_its_trigger_its_kind_or_the_kind_itself():
    assert label_of("transition", "submit_sketch") == next(t.label for t in TRIGGERS if t.name == "submit_sketch")
    assert label_of(BALLOT_CAST) == "Votum abgegeben"
    assert label_of("statement_corrected") == "Stellungnahme berichtigt"
    assert label_of("objection") == "objection"
    assert label_of("no_such_kind") == "no_such_kind"


def test_how_a_partner_voted_is_secret_and_receivers_learn_only_who():
    assert set(KINDS[BALLOT_CAST].secret) == {"choice", "comment", *voting.CRITERIA}
    assert KINDS[BALLOT_CAST].public == KINDS[RECUSAL].public == ("vote_id", "organisation_id")
    assert not set(KINDS[BALLOT_CAST].public) & set(KINDS[BALLOT_CAST].secret)
