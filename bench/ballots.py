"""Concurrency benchmark: 200 circulation votes open at once, 14 partners each, all 2,800 ballots
fired concurrently over HTTP (the JSON API, `PUT …/vote/ballot`, 64 connections at a time) at the
app under gunicorn; prints ballots per second and checks that every tally is exact (nothing lost,
nothing counted twice, every vote closed by itself when its last ballot came in).

    .venv/bin/python bench/ballots.py --database URL [--votes 200] [--connections 64]

The database must be empty and migrated (`flask --app wsgi init-db`); this script seeds it.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import free_port, start_server, worker_rss_mb  # noqa: E402
from bench.seed import seed  # noqa: E402
from workflow import create_app  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.models import Application, Ballot, Event, Organisation, User, Vote  # noqa: E402
from workflow.services import tokens  # noqa: E402


def prepare(database: str, votes: int) -> list[tuple[int, str]]:
    """Seed `votes` open circulations; return (application id, partner token) for every ballot."""
    os.environ["ANTRAGSWEG_DATABASE_URL"] = database
    app = create_app()
    with app.app_context():
        seed(votes, random.Random(7), "partner_vote")
        token_of = {}
        jobs = []
        for application in db.session.scalars(
            sa.select(Application).where(Application.state == "partner_vote")
        ):
            partners = db.session.scalars(
                sa.select(User)
                .join(Organisation)
                .where(Organisation.alliance_id == application.alliance_id, Organisation.kind == "partner")
            )
            for partner in partners:
                if partner.id not in token_of:
                    token_of[partner.id] = tokens.create(partner, "Benchmark")[1]
                jobs.append((application.id, token_of[partner.id]))
        db.session.commit()
    random.Random(11).shuffle(jobs)
    return jobs


BODY = b'{"choice": "approve", "rating_feasibility": 4}'


def fire(port: int, jobs: list[tuple[int, str]], connections: int) -> tuple[float, dict[int, int]]:
    """Every ballot once, `connections` at a time; returns the seconds and the answers by status.

    Each ballot is one HTTP/1.1 request with `Connection: close` on its own socket (gunicorn's sync
    workers close after each answer anyway), written and read with plain sockets: the client's
    share of the two cores stays small (http.client's parsing took about a third of them)."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one(job: tuple[int, str]) -> None:
        application_id, token = job
        head = (
            f"PUT /api/v1/applications/{application_id}/vote/ballot HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(head.encode() + BODY)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(one, jobs))
    return time.perf_counter() - began, statuses


def check(database: str) -> list[str]:
    """Every vote: exactly one ballot per eligible partner, one cast event each, closed and approved."""
    engine = sa.create_engine(database)
    problems = []
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Vote.id,
                Vote.closed_at,
                Vote.outcome,
                Vote.frozen_tally,
                Application.state,
                sa.select(sa.func.count()).where(Ballot.vote_id == Vote.id).scalar_subquery(),
                sa.select(sa.func.count())
                .where(Event.application_id == Vote.application_id, Event.kind == "ballot_cast")
                .scalar_subquery(),
            ).join(Application, Application.id == Vote.application_id)
        ).all()
    engine.dispose()
    for vote_id, closed_at, outcome, tally, state, ballots, cast_events in rows:
        if ballots != 14 or cast_events != 14:
            problems.append(f"vote {vote_id}: {ballots} ballots, {cast_events} cast events (expected 14)")
        if closed_at is None or outcome != "approved" or state != "statement_pending":
            problems.append(f"vote {vote_id}: not closed by itself (state {state})")
        elif tally["approve"] != 14 or tally["eligible"] != 14:
            problems.append(f"vote {vote_id}: frozen tally {tally}")
    return problems if rows else ["no votes found"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--votes", type=int, default=200)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    jobs = prepare(args.database, args.votes)
    port = free_port()
    server = start_server(args.database, port)
    try:
        elapsed, statuses = fire(port, jobs, args.connections)
        rss = worker_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    problems = check(args.database)
    print(
        f"{len(jobs)} ballots on {args.votes} votes, {args.connections} concurrent connections, "
        f"{args.database.split(':')[0]}: {elapsed:.1f} s, {len(jobs) / elapsed:.0f} ballots/s; "
        f"responses {dict(sorted(statuses.items()))}"
    )
    print("worker resident memory after the load: " + ", ".join(f"{m:.0f} MB" for m in rss))
    print("every tally exact" if not problems else "PROBLEMS:\n  " + "\n  ".join(problems[:20]))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
