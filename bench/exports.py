"""Export benchmark: the coordinator's CSV and XLSX export of one alliance's whole table, over HTTP
from gunicorn, on one or more databases. Prints per database and format: rows and bytes received,
time to the first byte and to the last, and the resident memory of the worker that served it (before
the export and its peak during it, from /proc/<pid>/status VmRSS and VmHWM, the peak reset just
before the request).

    .venv/bin/python bench/exports.py --database URL [--database URL ...] [--runs 2]

Each database must hold bench data (bench/seed.py; `--alliances 1` puts all N applications into
one table). gunicorn runs one worker (sync, the README's worker class, unless `--threads`), so the
worker that served the export is the one measured. A sync worker that spends longer than
`--timeout` on one request is killed by gunicorn's master (the export then fails; the bench says so).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import ROOT, Session, free_port  # noqa: E402

CHUNK = 64 * 1024


LOG = Path(tempfile.gettempdir()) / "antragsweg-bench-exports.log"


def start_server(database: str, port: int, timeout: int, threads: int) -> subprocess.Popen:
    env = os.environ | {
        "ANTRAGSWEG_DATABASE_URL": database,
        "ANTRAGSWEG_TOTP_REQUIRED_ROLES": "[]",
        "ANTRAGSWEG_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        "ANTRAGSWEG_SECRET_KEY": "bench",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            "1",
            "--threads",
            str(threads),
            "--timeout",
            str(timeout),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=LOG.open("w"),  # a pipe nobody reads would block the server once full
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - loopback
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start: " + LOG.read_text()[-2000:])


def worker_of(master: int) -> int:
    """The master's one worker (after a worker was killed, the one it starts instead)."""
    for _ in range(100):
        out = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True)
        pids = [int(line) for line in out.stdout.split()]
        if len(pids) == 1:
            return pids[0]
        time.sleep(0.1)
    raise SystemExit(f"gunicorn has {len(pids)} workers, expected one")


def memory_mb(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {key: int(values[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def reset_peak(pid: int) -> None:
    """VmHWM back to the current resident size (Linux: 5 into clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def fetch(session: Session, path: str) -> tuple[float, float, bytes | Path]:
    """Seconds to the first and the last byte; the body (CSV) or the temporary file (XLSX)."""
    began = time.perf_counter()
    response = session.opener.open(session.base + path)
    first = response.read(CHUNK)
    ttfb = time.perf_counter() - began
    if path.split("?")[0].endswith(".csv"):
        parts = [first]
        while chunk := response.read(CHUNK):
            parts.append(chunk)
        return ttfb, time.perf_counter() - began, b"".join(parts)
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    with os.fdopen(handle, "wb") as out:
        out.write(first)
        while chunk := response.read(CHUNK):
            out.write(chunk)
    return ttfb, time.perf_counter() - began, Path(name)


def rows_in(body: bytes | Path) -> int:
    if isinstance(body, bytes):
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    from openpyxl import load_workbook

    workbook = load_workbook(body, read_only=True)
    count = sum(1 for _ in workbook.active.iter_rows(values_only=True))
    workbook.close()
    return count


def bench(database: str, alliance: str, runs: int, timeout: int, threads: int) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    with engine.connect() as connection:
        n = connection.execute(sa.text("SELECT count(*) FROM applications")).scalar()
        table = connection.execute(
            sa.text(
                "SELECT count(*) FROM applications a JOIN alliances l ON l.id = a.alliance_id WHERE l.slug = :s"
            ),
            {"s": alliance},
        ).scalar()
    engine.dispose()
    port = free_port()
    server = start_server(database, port, timeout, threads)
    try:
        session = Session(f"http://127.0.0.1:{port}", f"koordination@{alliance}.bench")
        worker = worker_of(server.pid)
        # Warm up: the table page and both exports once with no rows (imports, templates, pool).
        session.opener.open(session.base + "/uebersicht/antraege").read()
        for fmt in ("csv", "xlsx"):
            session.opener.open(f"{session.base}/uebersicht/antraege.{fmt}?suche=keine-zeile").read()
        print(
            f"N = {n:,} applications, table of `{alliance}`: {table:,} rows · "
            f"{database.split(':')[0]} · gunicorn 1 {'sync worker' if threads == 1 else f'gthread worker × {threads} threads'} "
            f"(timeout {timeout} s)"
        )
        print(
            f"{'export':8} {'run':>3} {'rows':>8} {'MB sent':>8} {'1st byte s':>10} {'total s':>8} "
            f"{'RSS before MB':>13} {'peak MB':>8} {'peak − before':>13}"
        )
        for fmt in ("csv", "xlsx"):
            for run in range(1, runs + 1):
                before = memory_mb(worker)["VmRSS"]
                reset_peak(worker)
                try:
                    ttfb, total, body = fetch(session, f"/uebersicht/antraege.{fmt}")
                except (OSError, http.client.HTTPException) as error:
                    print(f"{fmt:8} {run:>3} failed: {error!r}; the server said:")
                    print("    " + "\n    ".join(LOG.read_text().splitlines()[-5:]))
                    worker = worker_of(server.pid)  # the master starts a new one
                    continue
                peak = memory_mb(worker)["VmHWM"]
                size = len(body) if isinstance(body, bytes) else body.stat().st_size
                rows = rows_in(body) - 1
                if isinstance(body, Path):
                    body.unlink()
                flag = "" if rows == table else f"  (expected {table:,} rows)"
                print(
                    f"{fmt:8} {run:>3} {rows:>8,} {size / 2**20:>8.1f} {ttfb:>10.2f} {total:>8.2f} "
                    f"{before:>13.1f} {peak:>8.1f} {peak - before:>13.1f}{flag}"
                )
        print(f"worker resident memory after the exports: {memory_mb(worker)['VmRSS']:.1f} MB")
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", required=True)
    parser.add_argument("--alliance", default="non", help="the alliance whose coordinator exports")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=30, help="gunicorn's worker timeout (its default: 30)")
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gunicorn's gthread worker")
    args = parser.parse_args()
    for index, database in enumerate(args.database):
        if index:
            print()
        bench(database, args.alliance, args.runs, args.timeout, args.threads)


if __name__ == "__main__":
    main()
