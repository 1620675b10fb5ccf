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
    Document,
    Event,
    FundingObject,
    Organisation,
    User,
    Vote,
)
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION  # noqa: E402
from workflow.models.types import utcnow  # noqa: E402
from workflow.passwords import hash_password  # noqa: E402
from workflow.services.backup import _reset_sequence  # noqa: E402

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


def seed(n: int, rng: random.Random) -> dict[str, int]:
    ids = Ids()
    rows: dict[type, list[dict]] = {}
    add = lambda model, **row: rows.setdefault(model, []).append(row)  # noqa: E731
    password_hash = hash_password(PASSWORD)
    alliances = []
    for slug, name in ALLIANCES:
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
        sponsors = []
        for k in range(max(3, n // len(ALLIANCES) // 20)):
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
    start = utcnow() - timedelta(days=3 * 365)
    step = timedelta(days=3 * 365) / max(n, 1)
    for i in range(n):
        alliance = alliances[i % len(alliances)]
        target = rng.choices(states, weights)[0]
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
        for code in rng.sample(list(FIELDS_OF_ACTION), 2):
            add(ApplicationField, application_id=app_id, code=code)
        for name in rng.sample(DISTRICTS, 2):
            add(ApplicationDistrict, application_id=app_id, name=name)
        chain = _Chain(alliance["id"], app_id, moment)
        chain.event(add, sponsor, "created", to_state="consultation", data={"title": f"Projekt {app_id}"})
        state = "consultation"
        vote_id = None
        for trigger in demo.ROUTES[target]:
            if trigger == "vote":
                eligible = alliance["partners"]
                choice = "reject" if target == "not_endorsed" else "approve"
                for p_org, p_user in eligible:
                    add(
                        Ballot,
                        id=ids.take(Ballot),
                        vote_id=vote_id,
                        organisation_id=p_org,
                        choice=choice,
                        comment="Begründet." if choice == "reject" else None,
                        rating_skilled_labour=4,
                        rating_strategy_fit=4,
                        rating_regional_relevance=3,
                        rating_feasibility=4,
                        rating_sustainability=3,
                        cast_by_id=p_user,
                        cast_at=chain.now,
                    )
                    chain.event(
                        add,
                        p_user,
                        "ballot_cast",
                        data={"vote_id": vote_id, "organisation_id": p_org, "choice": choice},
                    )
                tally = {
                    "approve": 14 if choice == "approve" else 0,
                    "reject": 14 if choice == "reject" else 0,
                    "abstain": 0,
                    "eligible": 14,
                    "quorum_percent": 50,
                }
                rows[Vote][-1].update(
                    closed_at=chain.now,
                    outcome="approved" if choice == "approve" else "not_approved",
                    frozen_tally=tally,
                )
                chain.event(
                    add,
                    None,
                    "transition",
                    trigger="close_vote",
                    from_state=state,
                    to_state="statement_pending",
                    data={"outcome": rows[Vote][-1]["outcome"]},
                )
                state = "statement_pending"
                continue
            candidates = transitions_of(trigger, state)
            dest = next((t.dest for t in candidates if t.dest == target), candidates[0].dest)
            actor = (
                sponsor
                if trigger in ("submit_sketch", "submit_long_form", "record_nbank_submission")
                else alliance["coordinator"]
            )
            if trigger == "open_vote":
                vote_id = ids.take(Vote)
                add(
                    Vote,
                    id=vote_id,
                    application_id=app_id,
                    mode="circulation",
                    opened_at=chain.now,
                    deadline_at=chain.now + timedelta(days=7),
                    session_date=None,
                    closed_at=None,
                    outcome=None,
                    frozen_tally=None,
                    rules={},
                )
            if trigger == "submit_sketch":
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
                data={"bench": True},
            )
            state = dest
    counts = {}
    for model, model_rows in rows.items():
        table = model.__table__
        for offset in range(0, len(model_rows), CHUNK):
            db.session.execute(sa.insert(table), model_rows[offset : offset + CHUNK])
        counts[table.name] = len(model_rows)
    db.session.commit()
    with db.engine.begin() as connection:
        for model in rows:
            _reset_sequence(connection, model.__table__)
    return counts


class _Chain:
    """The events of one application, hashed as the app hashes them."""

    def __init__(self, alliance_id: int, application_id: int, moment):
        self.alliance_id, self.application_id, self.now, self.prev = alliance_id, application_id, moment, None

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        began = time.perf_counter()
        counts = seed(args.applications, random.Random(args.seed))
        elapsed = time.perf_counter() - began
    print(
        f"seeded {args.applications} applications in {elapsed:.1f} s on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}"
    )
    for table, count in sorted(counts.items()):
        print(f"  {table:24} {count:>10,}")


if __name__ == "__main__":
    main()
