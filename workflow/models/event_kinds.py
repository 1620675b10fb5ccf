"""The kinds of events the log holds, and for each what it is called and which of its data is public,
secret or personal: one registry that the history, the API, the webhooks and the read models read.

A transition (kind `transition`) is named by its trigger (workflow/lifecycle.py); every other kind is
named here. Labels are German and marked with `N_`; the readers translate them where a page shows
them, stored and sent texts keep the German.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.lifecycle import N_, TRIGGERS, TRIGGERS_BY_NAME
from workflow.rules import voting

# Kinds of the events of an application.
TRANSITION = "transition"
CREATED = "created"
UPDATED = "updated"
DOCUMENT_UPLOADED = "document_uploaded"
BALLOT_CAST = "ballot_cast"
RECUSAL = "recusal"
OBJECTION = "objection"
MOVED_TO_SESSION = "moved_to_session"
SESSION_RECORD = "session_record"
LONG_FORM_SAVED = "long_form_saved"
STATEMENT_CORRECTED = "statement_corrected"


@dataclass(frozen=True)
class EventKind:
    name: str
    label: str | None = None  # None: readers name it by its kind, as the API always did
    sent: bool = False  # webhook receivers may subscribe to it
    sent_label: str | None = None  # its label for the receivers, where it differs from `label`
    public: tuple[str, ...] | None = None  # the data a receiver gets; None: all of it
    secret: tuple[str, ...] = ()  # only for who sees how partners voted (votes/queries.ballot_as_seen)

    @property
    def subscription_label(self) -> str | None:
        return self.sent_label or self.label


KINDS: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind(TRANSITION),
        EventKind(CREATED, N_("Beratung angefragt (Antrag angelegt)"), sent=True),
        EventKind(UPDATED, N_("Angaben geändert"), sent=True),
        EventKind(DOCUMENT_UPLOADED, N_("Dokument hochgeladen"), sent=True),
        EventKind(
            BALLOT_CAST,
            N_("Votum abgegeben"),
            sent=True,
            sent_label=N_("Votum abgegeben (ohne Inhalt)"),
            # A receiver is nobody in particular: who voted, never how.
            public=("vote_id", "organisation_id"),
            secret=("choice", "comment", *voting.CRITERIA),
        ),
        EventKind(RECUSAL, N_("Befangenheit erklärt"), sent=True, public=("vote_id", "organisation_id")),
        EventKind(OBJECTION),
        EventKind(MOVED_TO_SESSION),
        EventKind(SESSION_RECORD),
        EventKind(LONG_FORM_SAVED),
        EventKind(STATEMENT_CORRECTED, N_("Stellungnahme berichtigt")),
    )
}


def label_of(kind: str, trigger: str | None = None) -> str:
    """What an event is called (untranslated): its trigger's label, its kind's, or the kind itself."""
    if trigger:
        return TRIGGERS_BY_NAME[trigger].label
    known = KINDS.get(kind)
    return known.label if known is not None and known.label else kind


# What a webhook receiver can subscribe to: the kinds sent, then every trigger of the lifecycle.
SUBSCRIPTIONS: dict[str, str] = {
    **{k.name: k.subscription_label for k in KINDS.values() if k.sent},
    **{t.name: t.label for t in TRIGGERS},
}

# What people type or that names a person, wherever it is recorded in an event's data (at any depth):
# held outside the chained payload in `event_texts`, the payload keeps a salted hash of it (see
# models/event.py EventText), so that erasure (services/privacy.py) can remove a person from it
# while every chain still verifies.
PERSONAL_TEXT_KEYS = frozenset(
    {
        "participants",
        "notes",
        "recommendation",
        "reason",
        "deficiencies",
        "statement",
        "conditions",
        "recommendations",
        "requested_changes",
        "note",
        "comment",
        "correction_reason",
        "filename",
        "question",
        "body",
        "email",
        "coordinator",
        "title",
        "place",
        "session",
    }
)
