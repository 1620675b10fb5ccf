"""Checking the event log (tamper evidence): every hash chain, and every row the events determine.

The events are the record; some tables hold what follows from them so that pages can read it
directly: the application's state and next deadline, votes (mode, closing, outcome, frozen tally),
ballots, recusals, objections, session attendance, documents, statements (reference, hash,
decision), the long form's plan totals, committee sessions (date, place, length of the minutes) and
the personal texts held outside the chained payloads (`event_texts`). `verify_log` walks every chain
and then holds each of those rows to what the chained events say, field by field, and names the
first difference (table, row, field, expected, found): a ballot changed behind the app's back is
found as surely as a changed event.

What an event did not record (events written before a field was recorded) is not compared. Times
that the app writes beside an event in the same transaction are compared within a few seconds.

It reads in batches: applications by id ranges, each range with one query per table, so memory
stays flat and the time grows with the data (bench/README.md has the figure for 100,000
applications).
"""

from __future__ import annotations

import logging
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from workflow.extensions import db
from workflow.models import (
    Alliance,
    Application,
    Ballot,
    CommitteeSession,
    CostLine,
    Document,
    Event,
    EventText,
    FinancingLine,
    LongForm,
    Objection,
    Recusal,
    SessionAttendance,
    Statement,
    Vote,
)
from workflow.models.event import content_hash, is_ref, refs_in, text_hash
from workflow.models.event_kinds import BALLOT_CAST, RECUSAL, TRANSITION
from workflow.rules import deadlines as calendar
from workflow.rules import voting
from workflow.services import jobs

BATCH = 500  # applications per read
SLACK = timedelta(seconds=5)  # a row's time written beside its event, in the same transaction
REDACTED = "personal_data_redacted"  # the chained record of an erasure (services/privacy.py)
_MISSING = object()
_PRESENT = object()


@dataclass(frozen=True)
class Break:
    """A broken link of a chain: an event changed, removed or inserted."""

    event_id: int
    application_id: int | None
    reason: str

    @property
    def message(self) -> str:
        return (
            f"Ereignisprotokoll verletzt bei Ereignis {self.event_id} "
            f"(Antrag {self.application_id or '–'}): {self.reason}"
        )


@dataclass(frozen=True)
class Mismatch:
    """A row that does not say what the chained events say."""

    table: str
    row: str
    field: str
    expected: object
    found: object
    application_id: int | None = None

    @property
    def reason(self) -> str:
        return (
            f"Tabelle {self.table}, Zeile {self.row}, Feld {self.field}: laut Ereignisprotokoll "
            f"{_shown(self.expected)}, gespeichert {_shown(self.found)}."
        )

    @property
    def message(self) -> str:
        return f"Abgeleitete Daten weichen ab (Antrag {self.application_id or '–'}): {self.reason}"


def _shown(value) -> str:
    if value is _MISSING:
        return "keine Zeile"
    if value is None:
        return "leer"
    if value is _PRESENT:
        return "vorhanden"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


@dataclass
class Result:
    events: int = 0
    rows: int = 0
    problem: Break | Mismatch | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Found(Exception):
    def __init__(self, problem):
        self.problem = problem


def verify_log() -> tuple[int, Break | Mismatch | None]:
    """(events checked, the first problem or None). Chains first: a broken chain is named before
    any row that differs (a removed event usually leaves rows that differ too)."""
    result = check()
    return result.events, result.problem


def check() -> Result:
    started = time.monotonic()
    walk = _Walk()
    walk.run()
    walk.result.problem = walk.first_break or walk.first_mismatch
    walk.result.seconds = time.monotonic() - started
    return walk.result


# -- the walk ----------------------------------------------------------------------------------------


@dataclass
class _Vote:
    mode: str | None = None
    deadline: str | None = None
    closed: bool = False
    closed_at: datetime | None = None
    outcome: object = _MISSING
    tally: dict | None = None
    recused: list | None = None  # None: not recorded (an event from before it was)


@dataclass
class _Expected:
    """What one application's events determine."""

    state: str | None = None
    votes: list[_Vote] = field(default_factory=list)
    ballots: dict[tuple, dict] = field(default_factory=dict)
    recusals: dict[tuple, dict] = field(default_factory=dict)
    objections: dict[tuple, dict] = field(default_factory=dict)
    documents: dict[tuple, dict] = field(default_factory=dict)
    statements: dict[int, dict] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    chain: list = field(default_factory=list)


class _Walk:
    def __init__(self):
        self.result = Result()
        self.first_break: Break | None = None
        self.first_mismatch: Mismatch | None = None
        self.redactions: dict[str, str] = {}  # commitment -> hash of the redacted text
        self.sessions: dict[int, dict] = {}
        self.attendance: dict[tuple[int, int], dict] = {}
        self.rules: dict[int, object] = {}

    def run(self) -> None:
        self._alliance_chains()
        top = max(
            db.session.scalar(sa.select(sa.func.max(Application.id))) or 0,
            db.session.scalar(sa.select(sa.func.max(Event.application_id))) or 0,
        )
        for low in range(1, top + 1, BATCH):
            self._applications(low, low + BATCH - 1)
        self._compare(self._sessions)
        db.session.rollback()

    def _compare(self, check, *args) -> None:
        """Hold rows to the record, while the record itself is intact and nothing differed yet
        (the chains are walked to the end regardless: a broken one is named first)."""
        if self.first_break is not None or self.first_mismatch is not None:
            return
        try:
            check(*args)
        except _Found as found:
            self.first_mismatch = found.problem

    # -- chains ------------------------------------------------------------------------------------

    def _chain(self, events: list) -> None:
        """One chain (an application's, or an alliance's events without application)."""
        previous = None
        for event in events:
            self.result.events += 1
            if self.first_break is not None and event.id > self.first_break.event_id:
                continue
            if event.prev_hash != previous:
                self._break(
                    event, "Die Verkettung ist unterbrochen: der Vorgänger fehlt oder wurde verändert."
                )
            elif content_hash(event) != event.hash:
                self._break(event, "Der Inhalt des Ereignisses wurde verändert.")
            previous = event.hash

    def _break(self, event, reason: str) -> None:
        if self.first_break is None or event.id < self.first_break.event_id:
            self.first_break = Break(event.id, event.application_id, reason)

    def _mismatch(self, table, row, name, expected, found, application_id=None) -> None:
        raise _Found(Mismatch(table, str(row), name, expected, found, application_id))

    def _same(self, table, row, name, expected, found, application_id=None) -> None:
        if expected != found:
            self._mismatch(table, row, name, expected, found, application_id)

    # -- events without application: alliances, sessions, erasures ---------------------------------------

    def _alliance_chains(self) -> None:
        events = db.session.execute(
            sa.select(Event.__table__).where(Event.application_id.is_(None)).order_by(Event.id)
        ).all()
        chains: dict[int, list] = defaultdict(list)
        for event in events:
            chains[event.alliance_id].append(event)
        for chain in chains.values():
            self._chain(chain)
        for event in events:  # erasures first: they vouch for redacted texts anywhere
            if event.kind == REDACTED:
                self.redactions.update((event.data or {}).get("texts") or {})
        self._compare(self._alliance_rows, events)

    def _alliance_rows(self, events: list) -> None:
        texts = self._texts([e.id for e in events])
        for event in events:
            data = self._resolve(event, texts)
            session_id = data.get("session_id")
            if isinstance(session_id, int):
                expected = self.sessions.setdefault(session_id, {})
                for key in ("starts_at", "place"):
                    if key in data:
                        expected[key] = data[key]
                if "length" in data and event.kind == "session_minutes":
                    expected["minutes_length"] = data["length"]
                expected["alliance_id"] = event.alliance_id

    def _texts(self, event_ids: list[int]) -> dict[str, object]:
        """The personal texts of these events by commitment, each checked against its hash."""
        found: dict[str, object] = {}
        for chunk in range(0, len(event_ids), 2000):
            part = event_ids[chunk : chunk + 2000]
            if not part:
                continue
            for row in db.session.execute(sa.select(EventText.__table__).where(EventText.event_id.in_(part))):
                self.result.rows += 1
                digest = text_hash(row.salt, row.text)
                if digest != row.commitment and digest != self.redactions.get(row.commitment):
                    self._mismatch(
                        "event_texts",
                        row.id,
                        "text",
                        f"Text mit Prüfwert {row.commitment[:12]}…",
                        "anderer Text",
                    )
                found[row.commitment] = row
        return found

    def _resolve(self, event, texts: dict) -> dict:
        data = event.data or {}
        refs = refs_in(data)
        if not refs:
            return data
        for commitment in refs:
            row = texts.get(commitment)
            if row is None:
                self._mismatch(
                    "event_texts",
                    f"zu Ereignis {event.id}",
                    "text",
                    commitment,
                    _MISSING,
                    event.application_id,
                )
            if row.event_id != event.id:
                self._mismatch(
                    "event_texts", row.id, "event_id", event.id, row.event_id, event.application_id
                )
        return _plain(data, texts)

    # -- applications ----------------------------------------------------------------------------------

    def _applications(self, low: int, high: int) -> None:
        in_range = Event.application_id.between(low, high)
        events = db.session.execute(
            sa.select(Event.__table__).where(in_range).order_by(Event.application_id, Event.id)
        ).all()
        by_app: dict[int, list] = defaultdict(list)
        for event in events:
            by_app[event.application_id].append(event)
        for chain in by_app.values():
            self._chain(chain)
        self._compare(self._application_rows, low, high, events, by_app)

    def _application_rows(self, low: int, high: int, events: list, by_app: dict) -> None:
        texts = self._texts([e.id for e in events])
        applications = {
            row.id: row
            for row in db.session.execute(
                sa.select(
                    Application.id,
                    Application.alliance_id,
                    Application.state,
                    Application.next_due_on,
                    Application.next_due_kind,
                ).where(Application.id.between(low, high))
            )
        }
        expected: dict[int, _Expected] = {}
        for app_id, chain in by_app.items():
            expected[app_id] = self._derive(app_id, [(e, self._resolve(e, texts)) for e in chain])
        for app_id in sorted(set(applications) | set(by_app)):
            if app_id not in applications:
                self._mismatch("applications", app_id, "Zeile", _PRESENT, _MISSING, app_id)
            if app_id not in by_app:
                self._mismatch("events", f"von Antrag {app_id}", "Zeile", _PRESENT, _MISSING, app_id)
            self._application(applications[app_id], expected[app_id], by_app[app_id])
        self._votes(low, high, expected)
        self._documents(low, high, expected)
        self._statements(low, high, expected)
        self._totals(low, high, expected)

    def _derive(self, app_id: int, chain: list[tuple]) -> _Expected:
        out = _Expected()
        votes: dict[int, _Vote] = {}  # by vote id, once a ballot or a move names it
        for event, data in chain:
            if event.to_state is not None:
                out.state = event.to_state
            if event.kind == TRANSITION and event.trigger == "open_vote":
                recused = data.get("recused")
                out.votes.append(
                    _Vote(
                        mode=data.get("mode"),
                        deadline=data.get("deadline") if data.get("mode") == voting.CIRCULATION else None,
                        recused=recused if isinstance(recused, list) else None,
                    )
                )
            elif event.kind == TRANSITION and event.trigger == "close_vote" and out.votes:
                vote = out.votes[-1]
                vote.closed, vote.closed_at = True, event.created_at
                vote.outcome = data.get("outcome", _MISSING)
                vote.tally = data.get("tally") if isinstance(data.get("tally"), dict) else None
            elif event.kind == "moved_to_session" and out.votes:
                votes.setdefault(data.get("vote_id"), out.votes[-1]).mode = voting.SESSION
            elif event.kind == BALLOT_CAST:
                key = (data.get("vote_id"), data.get("organisation_id"))
                out.ballots[key] = {**data, "cast_by_id": event.actor_id, "at": event.created_at}
            elif event.kind == RECUSAL:
                key = (data.get("vote_id"), data.get("organisation_id"))
                out.ballots.pop(key, None)  # a ballot cast before the conflict was declared is void
                out.recusals[key] = {"reason": data.get("reason"), "declared_by_id": event.actor_id}
            elif event.kind == "objection":
                key = (data.get("vote_id"), data.get("organisation_id"))
                out.objections[key] = {"reason": data.get("reason"), "declared_by_id": event.actor_id}
            elif event.kind == "session_record" and isinstance(data.get("session_id"), int):
                for present, key in ((True, "present"), (False, "absent")):
                    for org_id in data.get(key) or ():
                        self.attendance[(data["session_id"], org_id)] = {"present": present}
            elif event.kind == "document_uploaded":
                out.documents[(data.get("kind"), data.get("version"))] = {
                    **{k: data[k] for k in ("filename", "sha256", "pages") if k in data},
                    "uploaded_by_id": event.actor_id,
                }
            elif event.kind == "long_form_saved":
                for key in ("cost_total", "financing_total"):
                    if key in data:
                        out.totals[key] = data[key]
            if (event.trigger == "issue_statement" or event.kind == "statement_corrected") and isinstance(
                data.get("statement_version"), int
            ):
                version = data["statement_version"]
                decision = data.get("decision", out.statements.get(version - 1, {}).get("decision", _MISSING))
                out.statements[version] = {
                    **{k: data[k] for k in ("sha256",) if k in data},
                    **({"reference": data["statement_reference"]} if "statement_reference" in data else {}),
                    "decision": decision,
                    "issued_by_id": event.actor_id,
                }
        out.chain = [e for e, _ in chain]
        return out

    def _application(self, row, expected: _Expected, chain: list) -> None:
        self.result.rows += 1
        app_id = row.id
        for event in chain:
            self._same("events", event.id, "alliance_id", row.alliance_id, event.alliance_id, app_id)
        self._same("applications", app_id, "state", expected.state, row.state, app_id)
        from workflow.services import deadlines

        if row.alliance_id not in self.rules:
            alliance = db.session.get(Alliance, row.alliance_id)
            self.rules[row.alliance_id] = alliance.procedure
        upcoming = deadlines.next_running(
            deadlines.compute(app_id, expected.state, self.rules[row.alliance_id], expected.chain)
        )
        due = (upcoming.due_on, upcoming.kind.name) if upcoming else (None, None)
        self._same("applications", app_id, "next_due_on", due[0], row.next_due_on, app_id)
        self._same("applications", app_id, "next_due_kind", due[1], row.next_due_kind, app_id)

    def _votes(self, low: int, high: int, expected: dict[int, _Expected]) -> None:
        rows = db.session.execute(
            sa.select(Vote.__table__).where(Vote.application_id.between(low, high)).order_by(Vote.id)
        ).all()
        by_app: dict[int, list] = defaultdict(list)
        for row in rows:
            by_app[row.application_id].append(row)
        legacy: set[int] = set()  # votes whose automatic recusals were not recorded
        for app_id, wanted in expected.items():
            found = by_app.get(app_id, [])
            for index in range(max(len(found), len(wanted.votes))):
                if index >= len(found):
                    self._mismatch(
                        "votes",
                        f"{index + 1}. Votum von Antrag {app_id}",
                        "Zeile",
                        _PRESENT,
                        _MISSING,
                        app_id,
                    )
                if index >= len(wanted.votes):
                    self._mismatch("votes", found[index].id, "Zeile", _MISSING, _PRESENT, app_id)
                self._vote(found[index], wanted.votes[index], app_id)
                if wanted.votes[index].recused is None:
                    legacy.add(found[index].id)
                for item in wanted.votes[index].recused or ():
                    key = (found[index].id, item.get("organisation_id"))
                    wanted.recusals.setdefault(key, {"reason": item.get("reason"), "declared_by_id": None})
        app_of_vote = {row.id: row.application_id for row in rows}
        joined = Vote.application_id.between(low, high)

        def rows_of(model):
            return db.session.execute(
                sa.select(model.__table__)
                .join(Vote, model.vote_id == Vote.id)
                .where(joined)
                .order_by(model.id)
            ).all()

        ballot_fields = ("choice", "comment", *voting.CRITERIA)
        for name, model, fields in (
            ("ballots", Ballot, (*ballot_fields, "cast_by_id")),
            ("recusals", Recusal, ("reason", "declared_by_id")),
            ("objections", Objection, ("reason", "declared_by_id")),
        ):
            found = {(r.vote_id, r.organisation_id): r for r in rows_of(model)}
            wanted_all = {}
            for app_id, wanted in expected.items():
                wanted_all.update({k: (app_id, v) for k, v in getattr(wanted, name).items()})
            for key in sorted(set(found) | set(wanted_all), key=lambda k: (k[0] or 0, k[1] or 0)):
                row = found.get(key)
                app_id = wanted_all[key][0] if key in wanted_all else app_of_vote.get(key[0])
                label = row.id if row is not None else f"Votum {key[0]}, Organisation {key[1]}"
                if key not in wanted_all:
                    if name == "recusals" and row.vote_id in legacy and row.declared_by_id is None:
                        continue  # an automatic recusal of a vote opened before they were recorded
                    self._mismatch(name, label, "Zeile", _MISSING, _PRESENT, app_id)
                if row is None:
                    self._mismatch(name, label, "Zeile", _PRESENT, _MISSING, app_id)
                self.result.rows += 1
                recorded = wanted_all[key][1]
                for column in fields:
                    source = "cast_by_id" if column == "cast_by_id" else column
                    if source in recorded:
                        self._same(name, row.id, column, recorded[source], getattr(row, column), app_id)
                if name == "ballots" and not _close(recorded["at"], row.cast_at):
                    self._mismatch(name, row.id, "cast_at", recorded["at"], row.cast_at, app_id)

    def _vote(self, row, wanted: _Vote, app_id: int) -> None:
        self.result.rows += 1
        if wanted.mode is not None:
            self._same("votes", row.id, "mode", wanted.mode, row.mode, app_id)
        if wanted.deadline is not None and row.deadline_at is not None:
            day = date.fromisoformat(str(wanted.deadline)[:10])
            self._same("votes", row.id, "deadline_at", day, calendar.local_date(row.deadline_at), app_id)
        if not wanted.closed:
            self._same("votes", row.id, "closed_at", None, row.closed_at, app_id)
            return
        if row.closed_at is None or not _close(wanted.closed_at, row.closed_at):
            self._mismatch("votes", row.id, "closed_at", wanted.closed_at, row.closed_at, app_id)
        if wanted.outcome is not _MISSING:
            self._same("votes", row.id, "outcome", wanted.outcome, row.outcome, app_id)
        if wanted.tally is not None:
            for key in ("approve", "reject", "abstain", "eligible"):
                if key in wanted.tally:
                    found = (row.frozen_tally or {}).get(key)
                    self._same("votes", row.id, f"frozen_tally.{key}", wanted.tally[key], found, app_id)

    def _documents(self, low: int, high: int, expected: dict[int, _Expected]) -> None:
        rows = db.session.execute(
            sa.select(Document.__table__)
            .where(Document.application_id.between(low, high))
            .order_by(Document.id)
        ).all()
        found = {(r.application_id, r.kind, r.version): r for r in rows}
        wanted = {(app_id, *k): v for app_id, e in expected.items() for k, v in e.documents.items()}
        self._rows("documents", found, wanted, ("filename", "sha256", "pages", "uploaded_by_id"))

    def _statements(self, low: int, high: int, expected: dict[int, _Expected]) -> None:
        rows = db.session.execute(
            sa.select(Statement.__table__)
            .where(Statement.application_id.between(low, high))
            .order_by(Statement.id)
        ).all()
        found = {(r.application_id, r.version): r for r in rows}
        wanted = {(app_id, v): s for app_id, e in expected.items() for v, s in e.statements.items()}
        self._rows("statements", found, wanted, ("reference", "sha256", "decision", "issued_by_id"))

    def _rows(self, table: str, found: dict, wanted: dict, fields: tuple[str, ...]) -> None:
        for key in sorted(set(found) | set(wanted), key=str):
            row, recorded, app_id = found.get(key), wanted.get(key), key[0]
            label = row.id if row is not None else " ".join(str(k) for k in key)
            if recorded is None:
                self._mismatch(table, label, "Zeile", _MISSING, _PRESENT, app_id)
            if row is None:
                self._mismatch(table, label, "Zeile", _PRESENT, _MISSING, app_id)
            self.result.rows += 1
            for column in fields:
                if column in recorded and recorded[column] is not _MISSING:
                    self._same(table, row.id, column, recorded[column], getattr(row, column), app_id)

    def _totals(self, low: int, high: int, expected: dict[int, _Expected]) -> None:
        wanted = {app_id: e.totals for app_id, e in expected.items() if e.totals}
        if not wanted:
            return
        for name, model, column in (
            ("cost_lines", CostLine, "cost_total"),
            ("financing_lines", FinancingLine, "financing_total"),
        ):
            sums = dict(
                db.session.execute(
                    sa.select(LongForm.application_id, sa.func.coalesce(sa.func.sum(model.amount_cents), 0))
                    .select_from(LongForm)
                    .outerjoin(model, model.long_form_id == LongForm.id)
                    .where(LongForm.application_id.between(low, high))
                    .group_by(LongForm.application_id)
                ).all()
            )
            for app_id, totals in sorted(wanted.items()):
                if column in totals:
                    self.result.rows += 1
                    found = sums.get(app_id, _MISSING)
                    self._same(
                        name,
                        f"Langfassung von Antrag {app_id}",
                        f"Summe ({column})",
                        totals[column],
                        found,
                        app_id,
                    )

    # -- sessions ------------------------------------------------------------------------------------

    def _sessions(self) -> None:
        rows = {r.id: r for r in db.session.execute(sa.select(CommitteeSession.__table__))}
        for session_id, wanted in sorted(self.sessions.items()):
            row = rows.get(session_id)
            if row is None:
                self._mismatch("committee_sessions", session_id, "Zeile", _PRESENT, _MISSING)
            self.result.rows += 1
            if "starts_at" in wanted:
                recorded = datetime.fromisoformat(wanted["starts_at"])
                if not _close(recorded, row.starts_at):
                    self._mismatch("committee_sessions", session_id, "starts_at", recorded, row.starts_at)
            if "place" in wanted:
                self._same("committee_sessions", session_id, "place", wanted["place"], row.place)
            if "minutes_length" in wanted:
                self._same(
                    "committee_sessions",
                    session_id,
                    "minutes (Länge)",
                    wanted["minutes_length"],
                    len(row.minutes or ""),
                )
        for session_id in sorted(set(rows) - set(self.sessions)):
            self._mismatch("committee_sessions", session_id, "Zeile", _MISSING, _PRESENT)
        found = {
            (r.session_id, r.organisation_id): r
            for r in db.session.execute(sa.select(SessionAttendance.__table__))
        }
        for key in sorted(set(found) | set(self.attendance)):
            row, wanted = found.get(key), self.attendance.get(key)
            label = row.id if row is not None else f"Sitzung {key[0]}, Organisation {key[1]}"
            if wanted is None:
                continue  # recorded before the session was named in the record
            if row is None:
                self._mismatch("session_attendance", label, "Zeile", _PRESENT, _MISSING)
            self.result.rows += 1
            self._same("session_attendance", row.id, "present", wanted["present"], bool(row.present))


def _close(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    if a.tzinfo is None:
        a = a.replace(tzinfo=b.tzinfo)
    return abs(a - b) <= SLACK


def _plain(value, texts: dict):
    if is_ref(value):
        row = texts.get(value["$text"])
        return row.text if row is not None else None
    if isinstance(value, dict):
        return {k: _plain(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, texts) for v in value]
    return value


# -- the last result, for everyone to see ------------------------------------------------------------

NIGHTLY_FROM_HOUR = 2  # tick checks with its first run after 02:00 Berlin time, once a day
STALE_AFTER = timedelta(days=2)  # a last good check older than this is worth a word


def check_and_record(run_by: str) -> Result:
    """Check, and store the result where every node reads it (the database)."""
    from workflow.models import IntegrityCheck
    from workflow.models.types import utcnow

    started = utcnow()
    result = check()
    alliance_id = None
    if result.problem is not None and result.problem.application_id:
        alliance_id = db.session.scalar(
            sa.select(Application.alliance_id).where(Application.id == result.problem.application_id)
        ) or db.session.scalar(
            sa.select(Event.alliance_id).where(Event.application_id == result.problem.application_id).limit(1)
        )
    db.session.add(
        IntegrityCheck(
            started_at=started,
            finished_at=utcnow(),
            run_by=f"{run_by} ({socket.gethostname()})"[:100],
            ok=result.ok,
            events=result.events,
            rows=result.rows,
            problem=result.problem.message[:4000] if result.problem else None,
            alliance_id=alliance_id,
        )
    )
    db.session.commit()
    if result.problem is not None:
        logging.getLogger(__name__).error("verify-log (%s): %s", run_by, result.problem.message)
    return result


def nightly(now: datetime | None = None) -> int:
    """Once a day, with the first tick after 02:00 (Berlin): 1 when it ran and found the record
    intact, 0 when it was not due, -1 (shown as FEHLER) when it found a problem."""
    from workflow.models.types import utcnow

    now = now or utcnow()
    local = now.astimezone(calendar.BERLIN)
    if local.hour < NIGHTLY_FROM_HOUR:
        return 0
    if jobs.claimed(f"verify-log:{local.date()}") or not jobs.claim(f"verify-log:{local.date()}"):
        db.session.rollback()
        return 0
    db.session.commit()  # the claim first: a second tick meanwhile leaves it to this one
    return 1 if check_and_record("tick").ok else -1


def last_checks(alliance_id: int) -> dict:
    """The latest check and the latest successful one, as plain data for a coordinator of
    `alliance_id` (a problem in another alliance's record is named without its details)."""
    from workflow.models import IntegrityCheck
    from workflow.models.types import utcnow

    latest = db.session.scalar(sa.select(IntegrityCheck).order_by(IntegrityCheck.id.desc()).limit(1))
    good = (
        latest
        if latest is not None and latest.ok
        else db.session.scalar(
            sa.select(IntegrityCheck)
            .where(IntegrityCheck.ok.is_(True))
            .order_by(IntegrityCheck.finished_at.desc())
            .limit(1)
        )
    )

    def plain(row):
        if row is None:
            return None
        own = row.alliance_id is None or row.alliance_id == alliance_id
        return {
            "at": row.finished_at,
            "run_by": row.run_by,
            "nightly": row.run_by.startswith("tick"),
            "events": row.events,
            "rows": row.rows,
            "ok": row.ok,
            "problem": (row.problem if own else "Die Abweichung betrifft die Daten eines anderen Bündnisses.")
            if not row.ok
            else None,
        }

    return {
        "latest": plain(latest),
        "good": plain(good),
        "failed": latest is not None and not latest.ok,
        "stale": good is None or utcnow() - good.finished_at > STALE_AFTER,
    }
