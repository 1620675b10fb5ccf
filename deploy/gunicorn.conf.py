"""gunicorn's configuration for Antragsweg, as the systemd unit runs it:

    /srv/antragsweg/.venv/bin/gunicorn -c /srv/antragsweg/deploy/gunicorn.conf.py

Options given on the command line win over these (the tests pass --bind and --workers). What the
master does before any worker boots: in production mode (ANTRAGSWEG_ENV=production) it runs the
configuration checks in a process of their own (workflow/production.py, including "SQLite with
more than one worker") and stops with their German message and exit code 4 if one fails; it clears
the Prometheus folder of an earlier run. While serving, it marks each dead worker's metric files.

The master never imports the application: a reload (SIGHUP) would otherwise start its new workers
with the old code already in memory.
"""

import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
chdir = str(ROOT)
wsgi_app = "wsgi:app"
bind = "127.0.0.1:8000"  # nginx in front (deploy/); gunicorn never faces the internet itself
# 2 × cores: a worker mostly waits for the database. WEB_CONCURRENCY sets it (1 with SQLite).
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
threads = 2
# A worker silent this long is restarted. With threads (gthread) a long request keeps its worker
# talking to the master, but as a sync worker (threads = 1) an export of 100,000 rows (up to
# about 80 s) would be killed: 120 s, as nginx's proxy_read_timeout for the exports (deploy/nginx).
timeout = 120
graceful_timeout = 30
# gunicorn's control socket (gunicornc: change the worker count, reload) in $HOME: systemd manages
# this service, and a worker count changed there would bypass the checks below. Off.
control_socket_disable = True
# Scheme, host and client address come from the proxy through the app's ProxyFix alone, counted
# by ANTRAGSWEG_TRUSTED_PROXIES; gunicorn itself believes no X-Forwarded-* header (by default it
# would take X-Forwarded-Proto from anyone on 127.0.0.1).
forwarded_allow_ips = ""
secure_scheme_headers = {}

# -- logs: JSON lines on stderr (the journal), as the app's own (workflow/logs.py) ----------------
# gunicorn's access log would print each raw request line, secret links included: off. The app
# writes one line per request with the request id, user, alliance and the secrets redacted.
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        # Chatter at INFO from libraries (each PDF's rendering steps, alembic's plugins).
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "alembic": {"level": "WARNING"},
    },
    "handlers": {
        "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
    },
    "formatters": {
        # The same fields as workflow/logs.formatter().
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{name}{process}{message}",
            "style": "{",
            "timestamp": "time",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
}

# -- Prometheus in multiprocess mode ---------------------------------------------------------
# Set before any worker imports prometheus_client. The systemd unit may name a folder of its own
# (e.g. /run/antragsweg/metrics); otherwise one is made for this master and removed at its exit.
OWN_METRICS_PREFIX = "antragsweg-metrics-"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=OWN_METRICS_PREFIX)


def _clear_metrics() -> None:
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def on_starting(server):
    """In the master, before it binds the socket or starts any worker."""
    if os.environ.get("ANTRAGSWEG_ENV", "").strip().lower() == "production":
        check = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "workflow.production", "--workers", str(server.cfg.workers)],
            cwd=chdir,
            check=False,
        )
        if check.returncode:
            sys.exit(check.returncode)  # the check printed why
    _clear_metrics()  # counters start at zero with this master (and without the check's files)


def post_worker_init(worker):
    from prometheus_client import Gauge

    # One per live worker: a dead one's file is dropped by child_exit, so the sum is the live count.
    Gauge(
        "antragsweg_gunicorn_workers",
        "Live gunicorn worker processes",
        multiprocess_mode="livesum",
        registry=None,
    ).set(1)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith(OWN_METRICS_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
