"""How fast the coordinator's table stays with 100,000 applications (prints figures, asserts
nothing). Run: .venv/bin/python bench/overview_100k.py [COUNT]
(ANTRAGSWEG_BENCH_DATABASE_URL selects the database; default: a fresh SQLite file in /tmp)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workflow import create_app, demo  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.models import Application, ApplicationDistrict, ApplicationField, Event  # noqa: E402

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
URL = os.environ.get("ANTRAGSWEG_BENCH_DATABASE_URL") or "sqlite:///" + tempfile.mkdtemp() + "/bench.sqlite3"
STATES = (
    "consultation",
    "sketch_draft",
    "sketch_submitted",
    "sketch_assessment",
    "long_form_submitted",
    "statement_pending",
    "endorsed",
    "granted",
)

app = create_app(
    {
        "DATABASE_URL": URL,
        "SECRET_KEY": "bench",
        "INSTANCE_PATH": tempfile.mkdtemp(),
        "WTF_CSRF_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
    }
)
with app.app_context():
    upgrade()
    base = demo.seed_alliance()
    alliance, sponsor = base["alliance"], base["people"]["applicant-bildungswerk"]
    funding = alliance.funding_objects[0].id
    now = datetime.now(UTC)
    started = time.perf_counter()
    for chunk in range(0, COUNT, 10_000):
        ids = range(chunk + 1, min(COUNT, chunk + 10_000) + 1)
        db.session.execute(
            sa.insert(Application),
            [
                {
                    "id": i,
                    "alliance_id": alliance.id,
                    "reference": f"NON-2026-{i:06d}",
                    "title": f"Projekt {i}",
                    "summary": "",
                    "applicant_organisation_id": sponsor.organisation_id,
                    "funding_object_id": funding,
                    "requested_grant_cents": i * 100,
                    "total_cost_cents": i * 200,
                    "state": STATES[i % len(STATES)],
                    "created_at": now - timedelta(minutes=i),
                    "updated_at": now - timedelta(minutes=i),
                    "version": 1,
                }
                for i in ids
            ],
        )
        db.session.execute(sa.insert(ApplicationField), [{"application_id": i, "code": "I"} for i in ids])
        db.session.execute(
            sa.insert(ApplicationDistrict), [{"application_id": i, "name": "Celle"} for i in ids]
        )
        db.session.execute(
            sa.insert(Event),
            [
                {
                    "alliance_id": alliance.id,
                    "application_id": i,
                    "kind": "transition",
                    "trigger": "submit_sketch" if i % 2 else "submit_long_form",
                    "data": {
                        "deadline": (now + timedelta(days=i % 30 - 10)).date().isoformat(),
                        "deadline_days": 21,
                    },
                    "created_at": now,
                }
                for i in ids
            ],
        )
    db.session.commit()
    print(
        f"{COUNT} applications inserted in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})"
    )
    email = base["people"]["coordinator"].email

client = app.test_client()
client.post("/anmelden", data={"email": email, "password": demo.DEMO_PASSWORD})
for url in (
    "/uebersicht/antraege",
    "/uebersicht/antraege?seite=1000",
    "/uebersicht/antraege?sortierung=title",
    "/uebersicht/antraege?suche=Projekt%2099999",
    "/uebersicht/antraege?ueberfaellig=y",
    "/uebersicht/antraege?sortierung=deadline&seite=500",
    "/start",
):
    client.get(url)
    timings = []
    for _ in range(3):
        t = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    print(f"{min(timings) * 1000:8.0f} ms  {url}")
