"""GDPR: what Antragsweg holds about a person (export, Art. 15), and erasure on request (Art. 17).

One list, PLACES, says for every text column of the schema whether and how it holds personal
data; the export and the erasure both walk it, so they cannot diverge, and a test fails when a new
text column is in no list. A place is one of:

- the account itself (name, e-mail address: replaced; password and second factor: replaced,
  never exported);
- rows that belong to the person (their notifications, queued mail, API tokens, calendar
  addresses, failed logins with their address): exported, then deleted;
- free text that may name the person, whoever typed it (consultation records, reasons, comments,
  minutes, sketches, long forms, other people's notifications and mails, an organisation's contact
  person and address …): the rows that mention them are exported, and the erasure takes the person's
  name and e-mail address out of them ("[entfernt]");
- decision records kept for the retention period (the statement as issued, with its embedded
  record; the text of events chained before personal texts were held apart): exported where they
  name the person, not changed;
- not personal (codes, hashes, generated keys, names of legal entities, settings).

The event log is hash-chained and append-only. What people type into an event is therefore held
outside its chained payload (`event_texts`, see models/event.py): the payload keeps a salted hash of
the text. Erasure rewrites the text and its salt and writes a chained redaction record (an event
`personal_data_redacted` in the alliance's chain) with the hash of each new text; verify-log accepts
a text that matches either its original hash or the one its redaction record names, so the log
still verifies and no text can be changed without a trace. With the old salt gone, the original
hash no longer reveals the name (a short text such as a name could otherwise be guessed from it).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from workflow.extensions import db
from workflow.models import Ballot, Document, Event, EventText, Notification, User
from workflow.models.event import jsonable, log_event, text_hash
from workflow.models.types import utcnow
from workflow.passwords import hash_password
from workflow.services.integrity import REDACTED

ACCOUNT, SECRET, OWN, MENTIONS, RETAINED, NOT_PERSONAL = (
    "account",
    "secret",
    "own",
    "mentions",
    "retained",
    "not_personal",
)
ERASED = "[entfernt]"


@dataclass(frozen=True)
class Place:
    table: str
    column: str
    kind: str
    owner: str | None = None  # the column that ties a row to the person: a user id, or "email:<column>"
    why: str = ""

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def _mentions(table: str, *columns: str, owner: str | None = None) -> list[Place]:
    return [Place(table, c, MENTIONS, owner) for c in columns]


def _not_personal(table: str, why: str, *columns: str) -> list[Place]:
    return [Place(table, c, NOT_PERSONAL, why=why) for c in columns]


PLACES: tuple[Place, ...] = (
    # the account
    Place("users", "name", ACCOUNT, "id"),
    Place("users", "email", ACCOUNT, "id"),
    Place("users", "password_hash", SECRET, "id", "Hash des Passworts; ersetzt, nie ausgegeben"),
    Place("users", "totp_secret", SECRET, "id", "Schlüssel des zweiten Faktors; gelöscht, nie ausgegeben"),
    # The language chosen for pages and mails: exported as the person's own; an erased account keeps it.
    Place("users", "language", OWN, "id"),
    # rows of the person
    Place("notifications", "subject", OWN, "user_id"),
    Place("notifications", "body", OWN, "user_id"),
    Place("notifications", "link", OWN, "user_id"),
    Place("outgoing_mails", "to_address", OWN, "email:to_address"),
    Place("outgoing_mails", "subject", OWN, "email:to_address"),
    Place("outgoing_mails", "body", OWN, "email:to_address"),
    Place("outgoing_mails", "last_error", OWN, "email:to_address"),
    Place("api_tokens", "name", OWN, "user_id"),
    Place("api_tokens", "token_hash", SECRET, "user_id", "Hash eines API-Tokens; gelöscht, nie ausgegeben"),
    Place("calendar_feeds", "token_hash", SECRET, "user_id", "Hash der Kalenderadresse; gelöscht"),
    Place("login_failures", "key", OWN, "email:key"),
    Place("notification_preferences", "kind", OWN, "user_id"),
    # free text that may name the person (others' notifications and mails too)
    *_mentions("notifications", "subject", "body"),
    *_mentions("outgoing_mails", "subject", "body", "last_error"),
    *_mentions("event_texts", "text"),
    *_mentions("organisations", "contact_person", "address"),
    *_mentions("alliances", "coordination_address"),
    *_mentions("applications", "title", "summary", "preferred_dates", owner="created_by_id"),
    *_mentions("sketches", "need", "objectives", "target_groups", "activities", owner="updated_by_id"),
    *_mentions("project_partners", "name"),
    *_mentions(
        "long_forms",
        "other_partners",
        "starting_situation",
        "objectives",
        "target_groups",
        "activities",
        "principle_equal_opportunities",
        "principle_gender_equality",
        "principle_sustainable_development",
        "principle_good_work",
        "indicator_notes",
        "agency_name",
        "agency_agreement",
        "sustainability",
    ),
    *_mentions("cost_lines", "description"),
    *_mentions("financing_lines", "description"),
    *_mentions("assessment_notes", "party", "body", owner="author_id"),
    *_mentions("sketch_access", "question", owner="granted_by_id"),
    *_mentions("committee_sessions", "place", "agenda", "minutes", owner="created_by_id"),
    *_mentions("ballots", "comment", owner="cast_by_id"),
    *_mentions("recusals", "reason", owner="declared_by_id"),
    *_mentions("objections", "reason", owner="declared_by_id"),
    *_mentions("documents", "filename", owner="uploaded_by_id"),
    *_mentions("webhook_receivers", "name", owner="created_by_id"),
    *_mentions("integrity_checks", "problem"),
    # kept for the retention period
    Place(
        "statements",
        "record",
        RETAINED,
        "issued_by_id",
        "Entscheidungsdatensatz der Stellungnahme, so wie er in die ausgestellte PDF eingebettet ist",
    ),
    Place(
        "statements", "correction_reason", RETAINED, "issued_by_id", "Teil der ausgestellten Stellungnahme"
    ),
    Place(
        "events",
        "data",
        RETAINED,
        "actor_id",
        "verketteter Inhalt des Ereignisprotokolls; persönliche Texte stehen seit Version 0016 außerhalb "
        "(event_texts), ältere Einträge bleiben, wie sie verkettet wurden",
    ),
    Place("organisations", "name", RETAINED, why="Name einer Organisation (Beteiligte am Verfahren)"),
    Place(
        "letters",
        "record",
        RETAINED,
        "issued_by_id",
        "Daten des Schreibens zur Ersteinschätzung, so wie sie in die ausgestellte PDF eingebettet sind",
    ),
    Place(
        "signing_certificates",
        "subject",
        RETAINED,
        why="Inhaber des Signaturzertifikats des Bündnisses (steht in jedem signierten Dokument)",
    ),
    Place("statements", "signed_by", RETAINED, why="Unterzeichner, wie er im signierten Dokument steht"),
    Place("letters", "signed_by", RETAINED, why="Unterzeichner, wie er im signierten Dokument steht"),
    # not personal
    *_not_personal("alliances", "Stammdaten des Bündnisses", "slug", "name", "committee_name", "rules"),
    *_not_personal("dispatches", "erzeugte Schlüssel aus Nummern und Daten", "key"),
    *_not_personal("outgoing_mails", "Kennung des Versandprozesses", "claimed_by"),
    *_not_personal("funding_objects", "Stammdaten", "name"),
    *_not_personal("funding_periods", "Stammdaten", "name"),
    *_not_personal("organisations", "Rechtsform", "legal_form"),
    *_not_personal("applications", "erzeugtes Aktenzeichen und Fristart", "reference", "next_due_kind"),
    *_not_personal("webhook_receivers", "Einstellungen eines Empfängers", "url", "secret", "events"),
    *_not_personal(
        "documents", "Dateityp, Prüfwert, erzeugter Dateiname", "media_type", "sha256", "storage_key"
    ),
    *_not_personal("stored_files", "erzeugter Dateiname und Prüfwert im Dokumentenspeicher", "key", "sha256"),
    *_not_personal("stored_file_chunks", "erzeugter Dateiname im Dokumentenspeicher", "key"),
    *_not_personal("events", "Art, Auslöser, Status, Prüfwerte", "kind", "trigger", "from_state", "to_state"),
    *_not_personal("events", "Prüfwerte der Kette", "prev_hash", "hash"),
    *_not_personal("event_texts", "Prüfwert und Salz", "commitment", "salt"),
    *_not_personal("long_forms", "Namen der gespeicherten Abschnitte", "saved_sections"),
    *_not_personal("cost_lines", "Entgeltgruppe", "salary_group"),
    *_not_personal("votes", "Auszählung und Verfahrensregeln", "frozen_tally", "rules"),
    *_not_personal(
        "statements", "Aktenzeichen, Prüfwert, erzeugter Dateiname", "reference", "sha256", "storage_key"
    ),
    *_not_personal(
        "webhook_deliveries", "Zustellprotokoll eines Empfängers", "event_type", "status", "last_error"
    ),
    *_not_personal("integrity_checks", "Kennung des prüfenden Prozesses", "run_by"),
    *_not_personal(
        "notifications", "Art der Mitteilung und Status, auf den sie wartet", "kind", "awaits_state"
    ),
    *_mentions("committee_sessions", "cancel_reason", owner="cancelled_by_id"),
    *_not_personal(
        "authenticity_checks",
        "Adresse einer Prüfung auf der Echtheitsseite, nur für die Drosselung und nach deren Fenster "
        "gelöscht; mit keinem Konto verbunden",
        "address",
    ),
    *_not_personal("job_runs", "Name und Ergebnis eines Laufs von tick", "name", "results"),
    *_not_personal(
        "signing_certificates",
        "Zertifikat und verschlüsselter Schlüssel des Bündnisses",
        "issuer",
        "serial_number",
        "fingerprint_sha256",
        "certificate_pem",
        "chain_pem",
        "encrypted_key",
    ),
    *_not_personal(
        "letters",
        "Aktenzeichen, Prüfwerte, erzeugter Dateiname",
        "reference",
        "sha256",
        "storage_key",
        "check_code_hash",
    ),
    *_not_personal("statements", "Prüfwert des Prüfcodes", "check_code_hash"),
)


def places(kind: str | None = None) -> list[Place]:
    return [p for p in PLACES if kind is None or p.kind == kind]


# -- finding the person in free text -----------------------------------------------------------------


class Matcher:
    """The person's name and e-mail address as they appear in free text: the full name (also
    "Surname, First name"), "Frau/Herr/Dr. Surname", "B. Surname", and the address."""

    def __init__(self, user: User):
        name = " ".join((user.name or "").split())
        parts = name.split(" ")
        patterns = [re.escape(user.email)]
        self.needles = [user.email]  # what a database LIKE looks for first
        # A name of one word ("Netzwerkkoordination") would take that word out of every text:
        # names are matched only as first name(s) and surname.
        if len(parts) >= 2 and len(parts[-1]) >= 2:
            patterns.append(re.escape(name))
            self.needles.append(name)
            surname, first = re.escape(parts[-1]), re.escape(parts[0])
            patterns += [
                rf"{surname},\s*{first}",
                rf"\b(?:Frau|Herrn?|Dr\.|Prof\.)\s+(?:Dr\.\s+)?{surname}\b",
                rf"\b{re.escape(parts[0][0])}\.\s*{surname}\b",
            ]
            self.needles.append(parts[-1])
        self.regex = re.compile("|".join(patterns), re.IGNORECASE)

    def found_in(self, text) -> bool:
        return isinstance(text, str) and bool(self.regex.search(text))

    def redact(self, text: str) -> str:
        return self.regex.sub(ERASED, text)

    def sql(self, column):
        """A filter that finds every row the regex could match (and some more)."""
        text = sa.cast(column, sa.Text) if isinstance(column.type, sa.JSON) else column
        needles = set(self.needles) | {json.dumps(n)[1:-1] for n in self.needles}  # JSON escapes umlauts
        return sa.or_(*(sa.func.lower(text).like(f"%{_escape(n.lower())}%", escape="\\") for n in needles))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _table(place: Place) -> sa.Table:
    return db.metadata.tables[place.table]


def _owned(place: Place, user: User):
    table = _table(place)
    if place.owner.startswith("email:"):
        column = table.c[place.owner.removeprefix("email:")]
        if place.table == "login_failures":
            return column == f"account:{user.email}"
        return column == user.email
    return table.c[place.owner] == user.id


def _mentioning(place: Place, matcher: Matcher) -> list:
    table = _table(place)
    key = list(table.primary_key.columns)[0]
    column = table.c[place.column]
    rows = db.session.execute(sa.select(key, column).where(matcher.sql(column)).order_by(key)).all()
    return [(row[0], row[1]) for row in rows if matcher.found_in(_text_of(row[1]))]


def _text_of(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# -- export --------------------------------------------------------------------------------------------


def export_person(user: User) -> dict:
    """Everything stored about `user`, as plain JSON-ready data: the account, what they did, and
    every place of PLACES that holds something of them."""
    matcher = Matcher(user)
    found = []
    for place in PLACES:
        if place.kind in (SECRET, NOT_PERSONAL) or place.kind == ACCOUNT:
            continue
        rows: dict = {}
        if place.owner and place.kind in (OWN, MENTIONS, RETAINED):
            table = _table(place)
            key = list(table.primary_key.columns)[0]
            for row_id, value in db.session.execute(
                sa.select(key, table.c[place.column]).where(_owned(place, user)).order_by(key)
            ):
                if value not in (None, "", {}, []):
                    rows[row_id] = value
        if place.kind in (MENTIONS, RETAINED):
            rows.update(_mentioning(place, matcher))
        if rows:
            found.append(
                {
                    "place": place.name,
                    "kind": place.kind,
                    "why": place.why or None,
                    "rows": [
                        {"id": k, "value": v} for k, v in sorted(rows.items(), key=lambda kv: str(kv[0]))
                    ],
                }
            )
    return jsonable(
        {
            "exported_at": utcnow(),
            "account": {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "organisation": user.organisation.name,
                "active": user.active,
                "created_at": user.created_at,
            },
            "events": [
                {
                    "id": e.id,
                    "application_id": e.application_id,
                    "kind": e.kind,
                    "trigger": e.trigger,
                    "from": e.from_state,
                    "to": e.to_state,
                    "data": e.data,
                    "at": e.created_at,
                }
                for e in db.session.scalars(
                    sa.select(Event).where(Event.actor_id == user.id).order_by(Event.id)
                )
            ],
            "ballots": [
                {"vote_id": b.vote_id, "choice": b.choice, "comment": b.comment, "cast_at": b.cast_at}
                for b in db.session.scalars(sa.select(Ballot).where(Ballot.cast_by_id == user.id))
            ],
            "documents": [
                {
                    "id": d.id,
                    "application_id": d.application_id,
                    "kind": d.kind,
                    "filename": d.filename,
                    "uploaded_at": d.uploaded_at,
                }
                for d in db.session.scalars(sa.select(Document).where(Document.uploaded_by_id == user.id))
            ],
            "notifications": [
                {"subject": n.subject, "body": n.body, "created_at": n.created_at, "read_at": n.read_at}
                for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))
            ],
            "places": found,
            "not_shown": [{"place": p.name, "why": p.why} for p in PLACES if p.kind == SECRET],
        }
    )


# -- erasure ----------------------------------------------------------------------------------------


@dataclass
class Erasure:
    deleted: dict[str, int]
    redacted: dict[str, int]
    retained: dict[str, int]


def erase_person(user: User) -> Erasure:
    """Anonymise `user` everywhere PLACES names; the decision records stay (attributed to the
    anonymised account, the person's name taken out of their texts), for the retention period."""
    matcher = Matcher(user)
    deleted: dict[str, int] = {}
    redacted: dict[str, int] = {}
    retained: dict[str, int] = {}
    new_hashes: dict[str, str] = {}
    for place in PLACES:  # the person's own rows (their notifications, mail, tokens …) go
        if place.kind in (OWN, SECRET) and place.table != "users" and place.table not in deleted:
            deleted[place.table] = db.session.execute(
                sa.delete(_table(place)).where(_owned(place, user))
            ).rowcount
    for place in places(MENTIONS):
        table = _table(place)
        key = list(table.primary_key.columns)[0]
        for row_id, text in _mentioning(place, matcher):
            values = {place.column: matcher.redact(text)}
            if place.table == "event_texts":
                salt = secrets.token_hex(16)  # the old salt goes: the first hash reveals nothing now
                values |= {"salt": salt, "redacted_at": utcnow()}
                commitment = db.session.scalar(sa.select(EventText.commitment).where(EventText.id == row_id))
                new_hashes[commitment] = text_hash(salt, values["text"])
            db.session.execute(sa.update(table).where(key == row_id).values(**values))
            redacted[place.name] = redacted.get(place.name, 0) + 1
    for place in places(RETAINED):
        if count := len(_mentioning(place, matcher)):
            retained[place.name] = count
    # The chained record of the redaction: which texts changed, and the hash of each new one.
    log_event(None, None, REDACTED, alliance_id=user.alliance_id, user_id=user.id, texts=new_hashes, places=redacted)
    user.name = f"Gelöschte Person {user.id}"
    user.email = f"geloescht-{user.id}@invalid.invalid"
    user.password_hash = hash_password(secrets.token_urlsafe(32))  # nobody knows it
    user.totp_secret = None
    user.active = False
    db.session.commit()
    db.session.expire_all()
    return Erasure({k: v for k, v in deleted.items() if v}, redacted, retained)
