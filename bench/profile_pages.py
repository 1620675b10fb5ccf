"""Where a page spends its time: the pages of bench/load.py requested in-process (Flask's test
client, no HTTP server) on a bench database, with the time of every SQL statement.

    .venv/bin/python bench/profile_pages.py --database URL [--runs 20] [--page cockpit] [--profile]

Prints per page the median time of a request, the time spent in SQL and the slowest statements
(median per request). With --profile (needs `pip install pyinstrument`) it also prints the call
tree of the requests. Use it before and after a change to a page; bench/load.py gives the figures
under load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench.load import PASSWORD, pages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--page", help="only pages whose name contains this text")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", type=int, default=5, help="slowest statements to print")
    args = parser.parse_args()

    from workflow import create_app
    from workflow.extensions import db

    app = create_app(
        {
            "DATABASE_URL": args.database,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "TOTP_REQUIRED_ROLES": (),
            "LOGIN_MAX_FAILURES_PER_ADDRESS": 1_000_000,
        }
    )
    timings: list[tuple[str, float]] = []  # (statement, seconds) of the request being measured
    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _start(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("started", []).append(time.perf_counter())

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _stop(conn, cursor, statement, parameters, context, executemany):
            timings.append((statement, time.perf_counter() - conn.info["started"].pop()))

        n = db.session.scalar(sa.text("SELECT count(*) FROM applications"))
        granted = db.session.scalar(
            sa.text(
                "SELECT a.id FROM applications a JOIN alliances l ON l.id = a.alliance_id "
                "WHERE l.slug = 'non' AND a.state = 'granted' ORDER BY a.id DESC LIMIT 1"
            )
        )
        db.session.remove()

    clients = {}
    for name, path, who in pages(n, granted):
        if args.page and args.page not in name:
            continue
        client, headers = _client(app, who, clients)
        client.get(path, headers=headers)  # warm caches (templates, compiled statements)
        totals, sql_totals, per_statement = [], [], defaultdict(list)
        profiler = _profiler() if args.profile else None
        for _ in range(args.runs):
            timings.clear()
            if profiler:
                profiler.start()
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            totals.append(time.perf_counter() - started)
            if profiler:
                profiler.stop()
            assert response.status_code == 200, (path, response.status_code)
            sql_totals.append(sum(t for _, t in timings))
            grouped = defaultdict(float)
            for statement, seconds in timings:
                grouped[statement] += seconds
            for statement, seconds in grouped.items():
                per_statement[statement].append(seconds)
        print(
            f"{name}: {statistics.median(totals) * 1000:.1f} ms per request, "
            f"SQL {statistics.median(sql_totals) * 1000:.1f} ms in {len(timings)} statements"
        )
        slowest = sorted(per_statement.items(), key=lambda item: -statistics.median(item[1]))
        for statement, seconds in slowest[: args.statements]:
            text = " ".join(statement.split())
            print(f"    {statistics.median(seconds) * 1000:7.2f} ms  {text[:150]}")
        if profiler:
            print(profiler.output_text(unicode=True, color=False, show_all=False))


def _client(app, who: str, clients: dict):
    if who.startswith("token:"):
        from workflow.services import tokens

        email = who.removeprefix("token:")
        with app.app_context():
            from workflow.extensions import db
            from workflow.models import User

            user = db.session.scalar(sa.select(User).where(User.email == email))
            secret = tokens.create(user, "profile_pages")[1]
            db.session.commit()
        return app.test_client(), {"Authorization": f"Bearer {secret}"}
    if who not in clients:
        client = app.test_client()
        response = client.post("/anmelden", data={"email": who, "password": PASSWORD})
        assert response.status_code in (302, 303), ("login failed", who, response.status_code)
        clients[who] = client
    return clients[who], {}


def _profiler():
    from pyinstrument import Profiler

    return Profiler()


if __name__ == "__main__":
    main()
