"""Bulk test data for the benchmarks: N applications over the eight alliances of Lower Saxony, in
every state, with the events, votes, ballots and documents that got them there.

    .venv/bin/python bench/seed.py --applications 100000            # into ANTRAGSWEG_DATABASE_URL

Rows are built in Python and inserted in chunks (no ORM objects, no per-row round trips); the event
hash chains are computed exactly as the app computes them, so `flask --app wsgi verify-log` passes.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflow import create_app, demo  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.lifecycle import STATE_NAMES, transitions_of  # noqa: E402
from workflow.models import (  # noqa: E402
    Alliance,
    Application,
    ApplicationDistrict,
    ApplicationField,
    Ballot,
    CommitteeSession,
    CostLine,
    Document,
    Event,
    FinancingLine,
    FundingObject,
    FundingPeriod,
    LongForm,
    Organisation,
    ProjectPartner,
    Sketch,
    Statement,
    User,
    Vote,
)
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION  # noqa: E402
from workflow.models.long_form import SECTIONS  # noqa: E402
from workflow.models.types import utcnow  # noqa: E402
from workflow.passwords import hash_password  # noqa: E402
from workflow.rules import deadlines as calendar  # noqa: E402
from workflow.rules.procedure import ProcedureRules  # noqa: E402
from workflow.services import deadlines  # noqa: E402
from workflow.services.backup import _reset_sequence  # noqa: E402

RULES = ProcedureRules()  # the alliances are seeded with the default rules of procedure
ALLIANCES = (
    ("non", "Allianz für Fachkräfte Nordostniedersachsen"),
    ("son", "Fachkräftebündnis Südostniedersachsen"),
    ("we", "Fachkräftebündnis Weser-Ems"),
    ("nw", "Fachkräftebündnis Nordwest"),
    ("ew", "Fachkräftebündnis Elbe-Weser"),
    ("lw", "Fachkräftebündnis Leine-Weser"),
    ("sn", "Fachkräftebündnis Südniedersachsen"),
    ("hr", "Fachkräftebündnis Region Hannover"),
)
# How often each state occurs: most applications are finished, a few are in every stage.
WEIGHTS = {s: 2 for s in STATE_NAMES} | {
    "granted": 20,
    "not_endorsed": 5,
    "sketch_declined": 8,
    "withdrawn": 6,
    "nbank_declined": 4,
    "partner_vote": 3,
}
CHUNK = 5000
TEXT = (
    "Die Region braucht Fachkräfte in Pflege, Handwerk und Logistik. Das Projekt gewinnt Menschen aus der "
    "Stillen Reserve, qualifiziert sie mit regionalen Betrieben und begleitet den Einstieg in Arbeit. "
)
LONG_STATES = {
    "long_form_draft",
    "long_form_submitted",
    "partner_vote",
    "statement_pending",
    "endorsed",
    "nbank_submitted",
    "granted",
    "nbank_declined",
    "not_endorsed",
}
PASSWORD = demo.DEMO_PASSWORD


class Ids:
    """Explicit primary keys, so that rows can refer to each other before they are inserted."""

    def __init__(self):
        self.next = {}

    def take(self, model) -> int:
        if model not in self.next:
            self.next[model] = (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


def seed(
    n: int, rng: random.Random, only_state: str | None = None, alliance_count: int = len(ALLIANCES)
) -> dict[str, int]:
    ids = Ids()
    rows: dict[type, list[dict]] = {}
    add = lambda model, **row: rows.setdefault(model, []).append(row)  # noqa: E731
    password_hash = hash_password(PASSWORD)
    alliances = []
    for slug, name in ALLIANCES[:alliance_count]:
        if db.session.scalar(sa.select(Alliance.id).where(Alliance.slug == slug)):
            raise SystemExit(f"alliance {slug} exists already: seed an empty database")
        alliance_id = ids.take(Alliance)
        add(
            Alliance,
            id=alliance_id,
            slug=slug,
            name=name,
            committee_name="Lenkungskreis",
            coordination_address="",
            rules={},
            created_at=utcnow(),
        )
        funding = []
        for number, label in demo.FUNDING_OBJECTS:
            fo_id = ids.take(FundingObject)
            funding.append(fo_id)
            add(
                FundingObject,
                id=fo_id,
                alliance_id=alliance_id,
                number=number,
                name=label,
                needs_statement=True,
            )

        def org(name, kind, alliance_id=alliance_id):
            org_id = ids.take(Organisation)
            add(Organisation, id=org_id, alliance_id=alliance_id, name=name, kind=kind)
            return org_id

        def user(email, name, role, org_id):
            user_id = ids.take(User)
            add(
                User,
                id=user_id,
                email=email,
                name=name,
                role=role,
                organisation_id=org_id,
                password_hash=password_hash,
                active=True,
                created_at=utcnow(),
            )
            return user_id

        coordination = org("Netzwerkkoordination", "coordination")
        coordinator = user(f"koordination@{slug}.bench", "Koordination", "coordinator", coordination)
        partners = []
        for p_name, key in demo.PARTNERS:
            p_org = org(f"{p_name} ({slug})", "partner")
            partners.append(
                (p_org, user(f"partner.{key}@{slug}.bench", f"Vertretung {p_name}", "partner", p_org))
            )
        org("NBank", "observer")
        add(
            FundingPeriod,
            id=ids.take(FundingPeriod),
            alliance_id=alliance_id,
            name="ESF+ 2021–2027",
            starts_on=utcnow().date().replace(year=2021, month=1, day=1),
            ends_on=utcnow().date().replace(year=2027, month=12, day=31),
            budget_cents=234_000_000,
            created_at=utcnow(),
        )
        alliance_chain = _Chain(
            alliance_id, None, utcnow() - timedelta(days=1)
        )  # its events of no application
        for k in range(3):
            session_id = ids.take(CommitteeSession)
            starts_at = utcnow() + timedelta(days=30 * (k + 1))
            add(
                CommitteeSession,
                id=session_id,
                alliance_id=alliance_id,
                starts_at=starts_at,
                place="IHK, Am Sande 1, Lüneburg",
                agenda="1. Begrüßung\n2. Anträge\n3. Verschiedenes",
                minutes=None,
                created_by_id=None,
                created_at=utcnow(),
            )
            alliance_chain.event(
                add,
                None,
                "session_scheduled",
                data={
                    "session_id": session_id,
                    "starts_at": starts_at.isoformat(),
                    "place": "IHK, Am Sande 1, Lüneburg",
                    "attached": 0,
                },
            )
        sponsors = []
        for k in range(max(3, n // alliance_count // 20)):
            s_org = org(f"Projektträger {k + 1} ({slug})", "applicant")
            sponsors.append(
                (s_org, user(f"antrag{k + 1}@{slug}.bench", f"Projektleitung {k + 1}", "applicant", s_org))
            )
        alliances.append(
            {
                "id": alliance_id,
                "slug": slug,
                "funding": funding,
                "coordinator": coordinator,
                "partners": partners,
                "sponsors": sponsors,
            }
        )

    states, weights = zip(*WEIGHTS.items(), strict=True)
    # Three years of history; applications all in one state (the ballot benchmark) start today.
    span = timedelta(days=3 * 365) if only_state is None else timedelta(hours=1)
    start = utcnow() - span
    step = span / max(n, 1)
    for i in range(n):
        alliance = alliances[i % len(alliances)]
        target = only_state or rng.choices(states, weights)[0]
        sponsor_org, sponsor = rng.choice(alliance["sponsors"])
        app_id = ids.take(Application)
        moment = start + step * i
        grant = rng.randrange(50_000, 600_000) * 100
        add(
            Application,
            id=app_id,
            alliance_id=alliance["id"],
            reference=f"{alliance['slug'].upper()}-{moment.year}-{app_id:05d}",
            title=f"Projekt {app_id}: Fachkräfte für die Region",
            summary="Ein Projekt zur Fachkräftesicherung. " * 5,
            applicant_organisation_id=sponsor_org,
            created_by_id=sponsor,
            funding_object_id=rng.choice(alliance["funding"]),
            total_cost_cents=grant * 2,
            requested_grant_cents=grant,
            state=target,
            created_at=moment,
            updated_at=moment,
            version=1,
        )
        application_row = rows[Application][-1]
        for code in rng.sample(list(FIELDS_OF_ACTION), 2):
            add(ApplicationField, application_id=app_id, code=code)
        for name in rng.sample(DISTRICTS, 2):
            add(ApplicationDistrict, application_id=app_id, name=name)
        add(
            Sketch,
            id=ids.take(Sketch),
            application_id=app_id,
            need=TEXT * 4,
            objectives=TEXT * 2,
            target_groups=TEXT,
            participants_planned=60,
            activities=TEXT * 3,
            start_date=moment.date(),
            end_date=moment.date() + timedelta(days=730),
            updated_at=moment,
            updated_by_id=sponsor,
        )
        add(
            ProjectPartner,
            id=ids.take(ProjectPartner),
            application_id=app_id,
            organisation_id=None,
            name="Pflegeschule der Region",
        )
        if target in LONG_STATES:
            lf_id = ids.take(LongForm)
            add(
                LongForm,
                id=lf_id,
                application_id=app_id,
                other_partners="Pflegeschule der Region",
                starting_situation=TEXT * 5,
                objectives=TEXT * 3,
                target_groups=TEXT * 2,
                participants_planned=60,
                activities=TEXT * 6,
                start_on=moment.date(),
                end_on=moment.date() + timedelta(days=730),
                principle_equal_opportunities=TEXT,
                principle_gender_equality=TEXT,
                principle_sustainable_development=TEXT,
                principle_good_work=TEXT,
                indicator_participants=60,
                indicator_women=30,
                indicator_qualified=40,
                indicator_notes="",
                agency_name="Agentur für Arbeit",
                agency_agreed_on=moment.date(),
                agency_agreement=TEXT,
                sustainability=TEXT * 2,
                saved_sections=[section.key for section in SECTIONS],
                updated_at=moment,
            )
            total = grant * 2
            rate = 5_000  # 50,00 € standard unit cost per hour; personnel is half of the cost
            hours = max(1, total // 2 // rate)
            personnel = hours * rate
            for position, (category, amount) in enumerate(
                [
                    ("personnel", personnel),
                    ("material", (total - personnel) // 2),
                    ("third_party", total - personnel - (total - personnel) // 2),
                ],
                start=1,
            ):
                add(
                    CostLine,
                    id=ids.take(CostLine),
                    long_form_id=lf_id,
                    position=position,
                    category=category,
                    description=f"Position {position}",
                    salary_group="TV-L E11" if category == "personnel" else None,
                    unit_cost_cents=rate if category == "personnel" else None,
                    hours=hours if category == "personnel" else None,
                    amount_cents=amount,
                )
            for position, (source, amount) in enumerate(
                [
                    ("esf_grant", grant),
                    ("state_funds", total // 4),
                    ("own_funds", total - grant - total // 4),
                ],
                start=1,
            ):
                add(
                    FinancingLine,
                    id=ids.take(FinancingLine),
                    long_form_id=lf_id,
                    position=position,
                    source=source,
                    description=f"Finanzierung {position}",
                    amount_cents=amount,
                )
        chain = _Chain(alliance["id"], app_id, moment)
        chain.event(add, sponsor, "created", to_state="consultation", data={"title": f"Projekt {app_id}"})
        state = "consultation"
        vote_id = None
        for trigger in demo.ROUTES[target]:
            if trigger == "vote":
                eligible = alliance["partners"]
                choice = "reject" if target == "not_endorsed" else "approve"
                for p_org, p_user in eligible:
                    # Recorded as the app records a ballot (verify-log holds the row to it).
                    ballot = {
                        "choice": choice,
                        "comment": "Begründet." if choice == "reject" else None,
                        "rating_skilled_labour": 4,
                        "rating_strategy_fit": 4,
                        "rating_regional_relevance": 3,
                        "rating_feasibility": 4,
                        "rating_sustainability": 3,
                    }
                    chain.event(
                        add,
                        p_user,
                        "ballot_cast",
                        data={"vote_id": vote_id, "organisation_id": p_org, **ballot},
                    )
                    add(
                        Ballot,
                        id=ids.take(Ballot),
                        vote_id=vote_id,
                        organisation_id=p_org,
                        **ballot,
                        cast_by_id=p_user,
                        cast_at=chain.now,
                    )
                tally = {
                    "approve": 14 if choice == "approve" else 0,
                    "reject": 14 if choice == "reject" else 0,
                    "abstain": 0,
                    "eligible": 14,
                    "quorum_percent": 50,
                }
                outcome = "approved" if choice == "approve" else "not_approved"
                chain.event(
                    add,
                    None,
                    "transition",
                    trigger="close_vote",
                    from_state=state,
                    to_state="statement_pending",
                    data={"tally": tally, "outcome": outcome},
                )
                rows[Vote][-1].update(closed_at=chain.now, outcome=outcome, frozen_tally=tally)
                state = "statement_pending"
                continue
            candidates = transitions_of(trigger, state)
            dest = next((t.dest for t in candidates if t.dest == target), candidates[0].dest)
            actor = (
                sponsor
                if trigger in ("submit_sketch", "submit_long_form", "record_nbank_submission")
                else alliance["coordinator"]
            )
            data = {"bench": True}
            if trigger in ("submit_sketch", "submit_long_form", "open_vote"):
                days = {"submit_sketch": 21, "submit_long_form": 14, "open_vote": 7}[trigger]
                due = calendar.due_date(chain.now + timedelta(hours=7), days)
                data = {"deadline": due.isoformat(), "deadline_days": days}
                if trigger == "open_vote":
                    data = {"mode": "circulation", "deadline": due.isoformat(), "recused": []}
            if trigger == "open_vote":
                vote_id = ids.take(Vote)
                add(
                    Vote,
                    id=vote_id,
                    alliance_id=alliance["id"],
                    application_id=app_id,
                    mode="circulation",
                    opened_at=chain.now + timedelta(hours=7),
                    deadline_at=calendar.end_of_day(due),
                    session_date=None,
                    closed_at=None,
                    outcome=None,
                    frozen_tally=None,
                    rules={},
                )
            if trigger == "issue_statement":
                decision = "endorse" if target != "not_endorsed" else "reject"
                add(
                    Statement,
                    id=ids.take(Statement),
                    alliance_id=alliance["id"],
                    application_id=app_id,
                    vote_id=vote_id,
                    version=1,
                    replaces_id=None,
                    reference=f"{alliance['slug'].upper()}-{moment.year}-{app_id:05d}/S1",
                    decision=decision,
                    record={"application": app_id},
                    sha256=f"{app_id:064x}",
                    size=24_000,
                    pages=2,
                    storage_key=f"bench-statement-{app_id}",
                    correction_reason=None,
                    issued_by_id=alliance["coordinator"],
                    issued_at=chain.now,
                )
                data = {
                    "decision": decision,
                    "statement": "Der Lenkungskreis hat beraten.",
                    "statement_reference": rows[Statement][-1]["reference"],
                    "statement_version": 1,
                    "sha256": rows[Statement][-1]["sha256"],
                }
            if trigger == "submit_sketch":
                chain.event(
                    add,
                    sponsor,
                    "document_uploaded",
                    data={
                        "kind": "sketch",
                        "version": 1,
                        "filename": "Skizze.pdf",
                        "sha256": "0" * 64,
                        "pages": 3,
                    },
                )
                add(
                    Document,
                    id=ids.take(Document),
                    alliance_id=alliance["id"],
                    application_id=app_id,
                    kind="sketch",
                    version=1,
                    filename="Skizze.pdf",
                    media_type="application/pdf",
                    size=120_000,
                    sha256="0" * 64,
                    pages=3,
                    storage_key=f"bench-{app_id}-sketch",
                    uploaded_by_id=sponsor,
                    uploaded_at=chain.now,
                )
            chain.event(
                add,
                actor,
                "transition",
                trigger=trigger,
                from_state=state,
                to_state=dest,
                data=data,
            )
            state = dest
        # The next running deadline's day, as the app keeps it (services/deadlines.py).
        upcoming = deadlines.next_running(deadlines.compute(app_id, state, RULES, chain.recorded))
        application_row["next_due_on"] = upcoming.due_on if upcoming else None
        application_row["next_due_kind"] = upcoming.kind.name if upcoming else None
    counts = {}
    order = {table: n for n, table in enumerate(db.metadata.sorted_tables)}  # referenced tables first
    for model, model_rows in sorted(rows.items(), key=lambda item: order[item[0].__table__]):
        table = model.__table__
        for offset in range(0, len(model_rows), CHUNK):
            db.session.execute(sa.insert(table), model_rows[offset : offset + CHUNK])
        counts[table.name] = len(model_rows)
    db.session.commit()
    with db.engine.begin() as connection:
        for model in rows:
            _reset_sequence(connection, model.__table__)
    _analyze()
    return counts


def _analyze() -> None:
    """Statistics for the planner, as autovacuum (PostgreSQL) would gather them some minutes after a
    bulk load; without them the first benchmark runs measure a planner guessing."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))


class _Chain:
    """The events of one application, hashed as the app hashes them."""

    def __init__(self, alliance_id: int, application_id: int, moment):
        self.alliance_id, self.application_id, self.now, self.prev = alliance_id, application_id, moment, None
        self.recorded: list[SimpleNamespace] = []  # what the deadlines are computed from

    def event(self, add, actor, kind, trigger=None, from_state=None, to_state=None, data=None):
        self.now += timedelta(hours=7)
        event = Event(
            alliance_id=self.alliance_id,
            application_id=self.application_id,
            actor_id=actor,
            kind=kind,
            trigger=trigger,
            from_state=from_state,
            to_state=to_state,
            data=data or {},
            created_at=self.now,
            prev_hash=self.prev,
        )
        event.hash = event.content_hash()
        add(
            Event,
            alliance_id=self.alliance_id,
            application_id=self.application_id,
            actor_id=actor,
            kind=kind,
            trigger=trigger,
            from_state=from_state,
            to_state=to_state,
            data=data or {},
            created_at=self.now,
            prev_hash=self.prev,
            hash=event.hash,
        )
        self.prev = event.hash
        self.recorded.append(
            SimpleNamespace(
                id=len(self.recorded), kind=kind, trigger=trigger, data=data or {}, created_at=self.now
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--state", choices=STATE_NAMES, help="put every application in this state")
    parser.add_argument(
        "--alliances",
        type=int,
        default=len(ALLIANCES),
        choices=range(1, len(ALLIANCES) + 1),
        metavar="1..8",
        help="spread over the first K alliances (1: all in `non`, one table of N rows)",
    )
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        began = time.perf_counter()
        counts = seed(args.applications, random.Random(args.seed), args.state, args.alliances)
        elapsed = time.perf_counter() - began
    print(
        f"seeded {args.applications} applications in {elapsed:.1f} s on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}"
    )
    for table, count in sorted(counts.items()):
        print(f"  {table:24} {count:>10,}")


if __name__ == "__main__":
    main()
