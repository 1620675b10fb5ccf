"""Load benchmark: the app under gunicorn (the README's production settings) on a database, loaded
with wrk from a second process on loopback. Prints per page: requests/s, median and 99th-percentile
latency, the same for the bare /healthz of the same server in the same run, the ratio, and the SQL
statements the page ran. Then the resident memory of each worker.

    .venv/bin/python bench/load.py --database URL [--duration 10] [--connections 8]

The database must hold bench data (bench/seed.py). Needs Debian's wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4  # the README's recommendation for 2 cores: 2 × cores
PASSWORD = "Antragsweg-Demo1"
SERVER_LOG = Path(tempfile.gettempdir()) / "antragsweg-bench-server.log"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database: str, port: int) -> subprocess.Popen:
    env = os.environ | {
        "ANTRAGSWEG_DATABASE_URL": database,
        "ANTRAGSWEG_QUERY_COUNT_HEADER": "true",
        "ANTRAGSWEG_TOTP_REQUIRED_ROLES": "[]",
        "ANTRAGSWEG_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        "ANTRAGSWEG_SECRET_KEY": "bench",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: the app logs a JSON line per request, and a pipe nobody reads fills
        # up and stops every worker (the run then measured ~0 requests/s and hung).
        stderr=SERVER_LOG.open("wb"),
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310 - loopback
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start: " + SERVER_LOG.read_text(errors="replace")[-2000:])


class Session:
    """A logged-in person: cookie jar, CSRF token from the login form."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(base + "/anmelden").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
        self.opener.open(base + "/anmelden", data)
        if not self.cookie():
            raise SystemExit(f"login failed for {email}")

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def query_count(self, path: str) -> str:
        self.opener.open(self.base + path).read()  # count the second request, as under load
        response = self.opener.open(self.base + path)
        return response.headers.get("X-Query-Count", "?")


def wrk(url: str, header: str | None, duration: int, connections: int, script: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    if script:
        command[1:1] = ["-s", script]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p50": _ms(output, "50%"),
        "p99": _ms(output, "99%"),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def _ms(output: str, label: str) -> float:
    value, unit = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def open_a_vote(engine) -> int | None:
    """An application of the demo alliance whose circulation is open: the latest one in
    partner_vote, its deadline moved a week ahead (bench data's deadlines lie in the past)."""
    import sqlalchemy as sa

    with engine.begin() as connection:
        found = connection.execute(
            sa.text(
                "SELECT v.id, a.id FROM votes v JOIN applications a ON a.id = v.application_id "
                "JOIN alliances l ON l.id = a.alliance_id WHERE l.slug = 'non' AND a.state = 'partner_vote' "
                "AND v.closed_at IS NULL AND v.mode = 'circulation' ORDER BY v.id DESC LIMIT 1"
            )
        ).first()
        if found is None:
            return None
        ahead = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=7)
        connection.execute(
            sa.text("UPDATE votes SET deadline_at = :at WHERE id = :id"), {"at": ahead, "id": found[0]}
        )
    return found[1]


def _put_script(body: str) -> str:
    """A wrk script that PUTs `body` as JSON, its feasibility rating changing from request to
    request: each one changes the ballot (the last one counts) and is an event. (The same ballot
    again would record nothing: a retry is stored once.)"""
    path = Path(tempfile.gettempdir()) / "antragsweg-bench-put.lua"
    path.write_text(
        'wrk.method = "PUT"\n'
        f"local body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        '  return wrk.format(nil, nil, nil, (body:gsub(\'"rating_feasibility": %d\', \'"rating_feasibility": \' .. (n % 5 + 1))))\n'
        "end\n"
    )
    return str(path)


def worker_rss_mb(master: int) -> list[float]:
    children = subprocess.run(
        ["ps", "--ppid", str(master), "-o", "rss="], capture_output=True, text=True
    ).stdout
    return [int(line) / 1024 for line in children.split()]


BALLOT = '{"choice": "approve", "rating_feasibility": 4}'


def pages(n: int, granted: int, voting: int | None = None) -> list[tuple[str, str, str]]:
    """(name, path, who) of the pages measured; `who` is an e-mail (a browser session) or
    "token:<email>" (the JSON API with a bearer token; "put-token:" casts BALLOT with PUT)."""
    deep = max(2, n // len(("non", "son", "we", "nw", "ew", "lw", "sn", "hr")) // 25 // 2)
    coordinator, partner = "koordination@non.bench", "partner.ihk@non.bench"
    return [
        ("coordinator: cockpit (/start)", "/start", coordinator),
        ("coordinator: table filtered, page 1", "/uebersicht/antraege?status=granted", coordinator),
        (f"coordinator: table, page {deep}", f"/uebersicht/antraege?seite={deep}", coordinator),
        ("application page with history", f"/antraege/{granted}", coordinator),
        ("partner: start page", "/start", partner),
        # The figures from the event log (issue 17): the current year, the page and the API.
        ("coordinator: figures (/kennzahlen)", "/kennzahlen", coordinator),
        ("API: figures", "/api/v1/figures", f"token:{coordinator}"),
        ("API: application list", "/api/v1/applications", f"token:{coordinator}"),
    ] + (
        [
            # The vote page beside the application page of the same vote (issue 16): no more queries.
            ("partner: vote page", f"/antraege/{voting}/votum", partner),
            ("partner: application page (vote)", f"/antraege/{voting}", partner),
            (
                "partner: casting a ballot (API PUT)",
                f"/api/v1/applications/{voting}/vote/ballot",
                f"put-token:{partner}",
            )
        ]
        if voting
        else []
    )


def api_token(database: str, email: str) -> str:
    """A bearer token for `email`, made with the app's own command."""
    env = os.environ | {"ANTRAGSWEG_DATABASE_URL": database}
    output = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "create-token", email],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.findall(r"\S{30,}", output)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    import sqlalchemy as sa

    engine = sa.create_engine(args.database)
    with engine.connect() as connection:
        n = connection.execute(sa.text("SELECT count(*) FROM applications")).scalar()
        granted = connection.execute(
            sa.text(
                "SELECT a.id FROM applications a JOIN alliances l ON l.id = a.alliance_id "
                "WHERE l.slug = 'non' AND a.state = 'granted' ORDER BY a.id DESC LIMIT 1"
            )
        ).scalar()
    voting = open_a_vote(engine)
    engine.dispose()
    port = free_port()
    server = start_server(args.database, port)
    base = f"http://127.0.0.1:{port}"
    try:
        sessions: dict[str, Session] = {}
        print(
            f"N = {n:,} applications · {args.database.split(':')[0]} · gunicorn {WORKERS} workers · "
            f"wrk {args.connections} connections × {args.duration} s"
        )
        print(
            f"{'page':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'bare/s':>8} {'ratio':>6} {'queries':>7}"
        )
        for name, path, who in pages(n, granted, voting):
            script = None
            if who.startswith(("token:", "put-token:")):
                method, email = (
                    ("PUT", who.removeprefix("put-token:"))
                    if who.startswith("put")
                    else ("GET", who.removeprefix("token:"))
                )
                header = "Authorization: Bearer " + api_token(args.database, email)
                request = urllib.request.Request(
                    base + path,
                    method=method,
                    data=BALLOT.encode() if method == "PUT" else None,
                    headers={"Authorization": header.split(": ", 1)[1], "Content-Type": "application/json"},
                )
                # The second answer's count: the first use of a token also records when it was used.
                urllib.request.urlopen(request).read()  # noqa: S310 - loopback
                queries = urllib.request.urlopen(request).headers.get("X-Query-Count", "?")  # noqa: S310 - loopback
                if method == "PUT":
                    script = _put_script(BALLOT)
            else:
                session = sessions.setdefault(who, Session(base, who))
                queries = session.query_count(path)
                header = f"Cookie: {session.cookie()}"
            bare = wrk(base + "/healthz", None, max(3, args.duration // 2), args.connections)
            page = wrk(base + path, header, args.duration, args.connections, script)
            ratio = bare["rps"] / page["rps"] if page["rps"] else float("inf")
            print(
                f"{name:34} {page['rps']:8.1f} {page['p50']:8.1f} {page['p99']:8.1f} {bare['rps']:8.1f} "
                f"{ratio:6.1f} {queries:>7}" + (f"  ({page['errors']} errors)" if page["errors"] else "")
            )
        rss = worker_rss_mb(server.pid)
        print("worker resident memory after the load: " + ", ".join(f"{m:.0f} MB" for m in rss))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
