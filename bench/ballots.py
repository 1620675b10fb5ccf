"""Concurrency benchmark: 200 circulation votes open at once, 14 partners each, all 2,800 ballots
fired concurrently over HTTP (the JSON API, `PUT …/vote/ballot`, 64 connections at a time) at the
app under gunicorn; prints ballots per second and checks that every tally is exact (nothing lost,
nothing counted twice, every vote closed by itself when its last ballot came in).

    .venv/bin/python bench/ballots.py --database URL [--votes 200] [--connections 64]
    .venv/bin/python bench/ballots.py --database URL --proxy [--nodes 2] [--kill]

--proxy: through nginx over HTTPS to --nodes gunicorn nodes (round-robin); --kill: the first node
`kill -9`'d once a third of the ballots are acknowledged and started again; each client retries a
ballot answered 502/503/504. Checks that every acknowledged ballot is stored, none doubled.

The database must be empty and migrated (`flask --app wsgi init-db`); this script seeds it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import free_port, start_server, worker_rss_mb  # noqa: E402
from bench.seed import seed  # noqa: E402
from workflow import create_app  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.models import ApiToken, Application, Ballot, Event, Organisation, User, Vote  # noqa: E402
from workflow.services import tokens  # noqa: E402


def prepare(database: str, votes: int) -> list[tuple[int, str]]:
    """Seed `votes` open circulations; return (application id, partner token) for every ballot."""
    os.environ["ANTRAGSWEG_DATABASE_URL"] = database
    app = create_app()
    with app.app_context():
        return seed_ballots(votes)


def seed_ballots(votes: int, **seed_options) -> list[tuple[int, str]]:
    """In an app context on an empty database: `votes` open circulations and a token per partner;
    (application id, partner token) for every ballot, shuffled."""
    seed(votes, random.Random(7), "partner_vote", **seed_options)
    token_of = {}
    jobs = []
    for application in db.session.scalars(sa.select(Application).where(Application.state == "partner_vote")):
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


def check(database: str, extra_casts: int = 0) -> list[str]:
    """Every vote: exactly one ballot per eligible partner, one cast event each (up to
    `extra_casts` more in all: a retried ballot whose first request was stored is cast again),
    closed and approved."""
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
    extra = 0
    for vote_id, closed_at, outcome, tally, state, ballots, cast_events in rows:
        extra += cast_events - 14
        if ballots != 14 or cast_events < 14:
            problems.append(f"vote {vote_id}: {ballots} ballots, {cast_events} cast events (expected 14)")
        if closed_at is None or outcome != "approved" or state != "statement_pending":
            problems.append(f"vote {vote_id}: not closed by itself (state {state})")
        elif tally["approve"] != 14 or tally["eligible"] != 14:
            problems.append(f"vote {vote_id}: frozen tally {tally}")
    if extra > extra_casts:
        problems.append(f"{extra} cast events more than ballots, but only {extra_casts} retries")
    return problems if rows else ["no votes found"]


# -- through the proxy, with a node killed in the middle ------------------------------------------

RETRY_STATUSES = (502, 503, 504)  # what nginx answers for a node that died or is not there


@dataclass
class Outcome:
    """One ballot's requests: every status the client saw, in order (0: no answer at all)."""

    job: tuple[int, str]
    statuses: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return bool(self.statuses) and self.statuses[-1] == 200


def fire_with_retries(
    base_url: str,
    jobs: list[tuple[int, str]],
    connections: int,
    *,
    verify: bool | str = True,
    retries: int = 20,
    on_ack=None,
) -> tuple[float, list[Outcome]]:
    """Every ballot, `connections` at a time over keep-alive HTTP(S) (requests); a ballot answered
    with a 502/503/504 or not at all is sent again (after a short pause), as a client retries.
    `on_ack(count)` is called after each acknowledged ballot (the kill waits for it)."""
    local = threading.local()
    lock = threading.Lock()
    acknowledged = [0]

    def one(job: tuple[int, str]) -> Outcome:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        application_id, token = job
        outcome = Outcome(job)
        for _ in range(retries):
            try:
                response = local.session.put(
                    f"{base_url}/api/v1/applications/{application_id}/vote/ballot",
                    data=BODY,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    timeout=60,
                    verify=verify,
                )
                status = response.status_code
            except requests.RequestException:
                status = 0
            outcome.statuses.append(status)
            if status not in (0, *RETRY_STATUSES):
                break
            time.sleep(0.2)
        if outcome.acknowledged and on_ack:
            with lock:
                acknowledged[0] += 1
                count = acknowledged[0]
            on_ack(count)
        return outcome

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        outcomes = list(pool.map(one, jobs))
    return time.perf_counter() - began, outcomes


def kill_once(after: int, node, *, pause: float = 1.0):
    """on_ack for fire_with_retries: once `after` ballots are acknowledged, `kill -9` the node (in
    its own thread, so the clients go on), wait `pause` seconds and start it again. The returned
    callable has `.done` (set once the node serves again), `.killed_at`, and `.release()`: the
    thread that started the node stays until then (the node's parent-death signal would end it
    with the thread)."""
    fired = threading.Lock()
    keep = threading.Event()

    def run():
        node.kill()
        time.sleep(pause)
        node.start()
        on_ack.done.set()
        keep.wait()

    def on_ack(count: int) -> None:
        if count >= after and fired.acquire(blocking=False):
            on_ack.killed_at = count
            threading.Thread(target=run, daemon=True).start()

    on_ack.done = threading.Event()
    on_ack.killed_at = None
    on_ack.release = keep.set
    return on_ack


def check_after_kill(database: str, outcomes: list[Outcome]) -> list[str]:
    """Nothing lost, nothing doubled, every tally exact, no false success: every acknowledged
    ballot is stored; each organisation has one ballot per vote; the failed answers were all
    502/503/504 (or none); each ballot ends acknowledged, or refused (409) because its vote was
    already closed by the complete count — which only a ballot that was stored unacknowledged
    (the node died after its commit) can cause."""
    problems = check(database, extra_casts=sum(len(o.statuses) - 1 for o in outcomes))
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        stored = set(
            connection.execute(
                sa.select(Vote.application_id, Ballot.organisation_id).join(Vote, Vote.id == Ballot.vote_id)
            ).all()
        )
        organisation_of = dict(
            connection.execute(
                sa.select(ApiToken.token_hash, User.organisation_id).join(User, User.id == ApiToken.user_id)
            ).all()
        )
    engine.dispose()
    for outcome in outcomes:
        application_id, token = outcome.job
        key = (application_id, organisation_of[tokens.digest(token)])
        failed = [s for s in outcome.statuses[:-1]]
        if any(s not in (0, *RETRY_STATUSES) for s in failed):
            problems.append(f"ballot {key}: failed with {failed}")
        if outcome.acknowledged and key not in stored:
            problems.append(f"ballot {key}: acknowledged but not stored")
        if not outcome.acknowledged and not (outcome.statuses[-1] == 409 and failed and key in stored):
            problems.append(f"ballot {key}: ended with {outcome.statuses}")
    return problems


def through_proxy(args) -> None:
    """--proxy: nginx (HTTPS, the shipped site file, tests/nginx.py) round-robin in front of
    --nodes gunicorn nodes (2 workers × 2 threads each, deploy/gunicorn.conf.py, the database
    document store); with --kill the first node is killed (SIGKILL) once a third of the ballots
    are acknowledged and started again, while the clients go on and retry what failed."""
    import tempfile

    from tests.live import Gunicorn
    from tests.nginx import Nginx, TestCA, proxied_env

    folder = Path(tempfile.mkdtemp(prefix="antragsweg-ballots-"))
    os.environ["ANTRAGSWEG_DATABASE_URL"] = args.database
    app = create_app(
        {
            "DATABASE_URL": args.database,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(folder),
            "TOTP_REQUIRED_ROLES": (),
        }
    )
    with app.app_context():
        jobs = seed_ballots(args.votes)
    ca = TestCA(folder / "ca")
    proxy = Nginx(folder / "nginx", ca, upstreams=[])
    env = proxied_env(proxy.url) | {
        "ANTRAGSWEG_DOCUMENT_STORE": "database",
        "ANTRAGSWEG_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
    }
    nodes = [Gunicorn(app, None, env=env, name=f"bench-{n}").start() for n in range(args.nodes)]
    killer = kill_once(len(jobs) // 3, nodes[0]) if args.kill else None
    try:
        proxy.set_upstreams([node.url for node in nodes])
        proxy.test_config()
        proxy.start()
        elapsed, outcomes = fire_with_retries(
            proxy.url, jobs, args.connections, verify=str(ca.cert), retries=200, on_ack=killer
        )
        if killer:
            killer.done.wait(60)
        log = proxy.error_log.read_text() if proxy.error_log.exists() else ""
        lost = len(re.findall(r"\[error\].*while reading response header from upstream", log))
    finally:
        proxy.stop()
        if killer:
            killer.release()
        for node in nodes:
            node.stop()
    problems = check_after_kill(args.database, outcomes)
    first = {}
    for outcome in outcomes:
        first[outcome.statuses[0]] = first.get(outcome.statuses[0], 0) + 1
    retried = [o for o in outcomes if len(o.statuses) > 1]
    print(
        f"{len(jobs)} ballots on {args.votes} votes through nginx to {args.nodes} node(s), "
        f"{args.connections} concurrent clients, {args.database.split(':')[0]}"
        + (f", node 1 killed after {killer.killed_at} acknowledged and started again" if killer else "")
        + f": {elapsed:.1f} s, {len(jobs) / elapsed:.0f} ballots/s"
    )
    print(
        f"first answers {dict(sorted(first.items()))}; {len(retried)} ballots retried by their client "
        f"(answers {sorted({s for o in retried for s in o.statuses})}); requests nginx lost with the "
        f"dying node (sent to another or answered 502): {lost}; acknowledged in the end: "
        f"{sum(o.acknowledged for o in outcomes)}"
    )
    print(
        "every acknowledged ballot stored, none doubled, every tally exact"
        if not problems
        else "PROBLEMS:\n  " + "\n  ".join(problems[:20])
    )
    sys.exit(1 if problems else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--votes", type=int, default=200)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--proxy", action="store_true", help="through nginx to --nodes nodes")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--kill", action="store_true", help="with --proxy: kill -9 a node in the middle")
    args = parser.parse_args()
    if args.proxy:
        through_proxy(args)
        return
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
