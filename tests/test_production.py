"""Production mode (ANTRAGSWEG_ENV=production, as the systemd unit sets it): gunicorn with
deploy/gunicorn.conf.py, and the `flask --app wsgi …` commands, refuse each configuration that
would lose data, leak or lock everyone out, with a German message and exit code 4, before anything
listens; a good configuration starts. The development defaults (`make run`, the tests) stay."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys

import pytest
import requests

from tests.live import Gunicorn, free_port
from workflow import PROJECT_ROOT, create_app, production

CONFIG = str(PROJECT_ROOT / "deploy" / "gunicorn.conf.py")
REFUSED = "Antragsweg startet nicht"


def _good(app, live_smtp) -> dict:
    """A configuration fit for production, on the suite's database."""
    return {
        "ANTRAGSWEG_ENV": "production",
        "ANTRAGSWEG_SECRET_KEY": secrets.token_hex(32),
        "ANTRAGSWEG_SIGNING_KEY_SECRET": secrets.token_hex(32),
        "ANTRAGSWEG_BASE_URL": "https://antragsweg.example.de",
        "ANTRAGSWEG_SESSION_COOKIE_SECURE": "true",
        "ANTRAGSWEG_REMEMBER_COOKIE_SECURE": "true",
        "ANTRAGSWEG_MAIL_SERVER": "127.0.0.1",
        "ANTRAGSWEG_MAIL_PORT": str(live_smtp.port),
        "ANTRAGSWEG_MAIL_SENDER": "Fachkräfteallianz <antragsweg@allianz.example.de>",
    }


def _workers(app) -> int:
    return 1 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else 2


def _environment(app, live_smtp, change: dict) -> dict:
    env = Gunicorn(app, live_smtp.port).env | _good(app, live_smtp) | change
    return {key: value for key, value in env.items() if value is not None}


def _gunicorn_exits(
    env: dict, workers: int, *, config: bool = True
) -> tuple[subprocess.CompletedProcess, int]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn"]
    command += ["--config", CONFIG] if config else []
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "wsgi:app"]
    # A refused configuration ends by itself; a server that starts would run into the timeout.
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    return result, port


def _nothing_listens(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


BAD = {
    "no secret key": ({"ANTRAGSWEG_SECRET_KEY": None}, "SECRET_KEY ist nicht gesetzt"),
    "short secret key": ({"ANTRAGSWEG_SECRET_KEY": "kurz"}, "SECRET_KEY ist zu kurz"),
    "debug": ({"ANTRAGSWEG_DEBUG": "true"}, "DEBUG ist eingeschaltet"),
    "http with secure cookies": (
        {"ANTRAGSWEG_BASE_URL": "http://antragsweg.example.de"},
        "BASE_URL beginnt mit http://, die Cookies sind aber als Secure markiert",
    ),
    "no mail": ({"ANTRAGSWEG_MAIL_SERVER": ""}, "E-Mail ist nicht eingerichtet (MAIL_SERVER)"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_gunicorn_refuses_a_bad_production_configuration(app, live_smtp, case):
    change, message = BAD[case]
    result, port = _gunicorn_exits(_environment(app, live_smtp, change), _workers(app))
    assert result.returncode == production.EXIT_CODE, result.stderr[-3000:]
    assert REFUSED in result.stderr and message in result.stderr, result.stderr[-3000:]
    assert "Listening at" not in result.stderr and "Booting worker" not in result.stderr
    assert _nothing_listens(port)


def test_gunicorn_refuses_the_generated_development_key(app, live_smtp, tmp_path):
    key = secrets.token_hex(32)
    (tmp_path / "secret_key").write_text(key)  # what `make run` writes on first start
    env = _environment(
        app, live_smtp, {"ANTRAGSWEG_SECRET_KEY": key, "ANTRAGSWEG_INSTANCE_PATH": str(tmp_path)}
    )
    result, port = _gunicorn_exits(env, _workers(app))
    assert result.returncode == production.EXIT_CODE
    assert "SECRET_KEY ist der beim Entwickeln erzeugte Schlüssel aus instance/secret_key" in result.stderr
    assert "Listening at" not in result.stderr and _nothing_listens(port)


def test_gunicorn_refuses_sqlite_with_more_than_one_worker(app, live_smtp, tmp_path):
    env = _environment(app, live_smtp, {"ANTRAGSWEG_DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3"})
    result, port = _gunicorn_exits(env, 2)
    assert result.returncode == production.EXIT_CODE
    assert "Die Datenbank ist SQLite, gunicorn startet aber 2 Worker-Prozesse" in result.stderr
    assert "Listening at" not in result.stderr and _nothing_listens(port)


def test_every_problem_is_named_at_once(app, live_smtp, tmp_path):
    env = _environment(
        app,
        live_smtp,
        {
            "ANTRAGSWEG_DEBUG": "true",
            "ANTRAGSWEG_MAIL_SERVER": "",
            "ANTRAGSWEG_DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3",
        },
    )
    result, _ = _gunicorn_exits(env, 3)
    assert result.returncode == production.EXIT_CODE
    for message in ("DEBUG ist eingeschaltet", "MAIL_SERVER", "3 Worker-Prozesse"):
        assert message in result.stderr


def test_without_the_configuration_file_a_worker_stops_the_whole_server(app, live_smtp):
    """`gunicorn wsgi:app` alone: the check runs in the worker, whose exit code stops gunicorn
    instead of being restarted again and again."""
    env = _environment(app, live_smtp, {"ANTRAGSWEG_DEBUG": "true"})
    result, port = _gunicorn_exits(env, 1, config=False)
    assert result.returncode == production.EXIT_CODE
    assert "DEBUG ist eingeschaltet" in result.stderr and _nothing_listens(port)


def test_a_good_production_configuration_starts(app, live_smtp):
    node = Gunicorn(app, live_smtp.port, env=_good(app, live_smtp), workers=_workers(app), name="production")
    node.start(timeout=120)  # the checks run first, in a process of their own
    try:
        assert requests.get(node.url + "/readyz", timeout=30).status_code == 200
        assert REFUSED not in node.log()
    finally:
        node.stop()


def _flask(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args]
        if (PROJECT_ROOT / ".venv" / "bin" / "flask").exists()
        else [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_commands_refuse_a_bad_production_configuration_too(app, live_smtp):
    result = _flask(_environment(app, live_smtp, {"ANTRAGSWEG_MAIL_SERVER": ""}), "tick")
    assert result.returncode == production.EXIT_CODE
    assert REFUSED in result.stderr and "MAIL_SERVER" in result.stderr
    assert "Traceback" not in result.stderr
    result = _flask(_environment(app, live_smtp, {}), "verify-log")
    assert result.returncode == 0, result.stderr


GOOD_CONFIG = {
    "ENV": "production",
    "SECRET_KEY": "s" * 64,
    "SIGNING_KEY_SECRET": "k" * 64,
    "BASE_URL": "https://antragsweg.example.de",
    "SESSION_COOKIE_SECURE": True,
    "MAIL_SERVER": "mail.example.de",
    "MAIL_SENDER": "Allianz <antragsweg@allianz.example.de>",
    "DATABASE_URL": "postgresql+psycopg://antragsweg@db/antragsweg",
}
EACH_RULE = {
    "SIGNING_KEY_SECRET ist nicht gesetzt": {"SIGNING_KEY_SECRET": None},
    "BASE_URL ist nicht gesetzt": {"BASE_URL": "http://127.0.0.1:5000"},
    "SESSION_COOKIE_SECURE ist aber aus": {"SESSION_COOKIE_SECURE": False},
    "REMEMBER_COOKIE_SECURE": {
        "BASE_URL": "http://a.example",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": True,
    },
    "MAIL_SENDER ist noch die Voreinstellung": {"MAIL_SENDER": "Antragsweg <antragsweg@localhost>"},
    "TESTING ist eingeschaltet": {"TESTING": True},
    "DOCUMENT_STORE ist 's3'": {"DOCUMENT_STORE": "s3"},
}


@pytest.mark.parametrize("message", EACH_RULE)
def test_each_rule_of_production_mode(tmp_path, message):
    assert production.problems(GOOD_CONFIG, tmp_path) == []
    found = production.problems(GOOD_CONFIG | EACH_RULE[message], tmp_path)
    assert len(found) == 1 and message in found[0], found
    assert production.worker_problems(GOOD_CONFIG, 8) == []
    assert production.worker_problems(GOOD_CONFIG | {"DATABASE_URL": "sqlite:///x"}, 1) == []


def test_development_keeps_its_defaults(tmp_path, monkeypatch):
    """No ANTRAGSWEG_ENV: no mail, an http address, a generated key, all as `make run` has them."""
    for key in [k for k in os.environ if k.startswith("ANTRAGSWEG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ANTRAGSWEG_INSTANCE_PATH", str(tmp_path))
    development = create_app()  # as wsgi.py does
    assert development.config["ENV"] == "development" and (tmp_path / "secret_key").is_file()
    assert production.problems(development.config, tmp_path)  # production would refuse all this
