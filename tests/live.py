"""Real servers for the tests that must see the app as it runs (pytest plugin, loaded by
tests/conftest.py): gunicorn on a free loopback port on the suite's database and instance folder,
the real SMTP server it sends to, and a real HTTP client (requests) that signs in through the login
form with its CSRF token, as a browser does. Flask's test client hides what happens after a view
returns (streamed bodies, headers, other processes); these do not."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import Mailbox
from workflow import PROJECT_ROOT, demo


def die_with_the_suite() -> None:
    """preexec_fn for servers the suite starts: the kernel ends them (SIGTERM) when the process
    that started them ends, even when the run is killed before its teardown."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveMailbox(Mailbox):
    """The real SMTP server the live servers send to (aiosmtpd on loopback, for the whole run)."""

    # 30 s: the mailer process is started per test and, on a loaded machine (the suite's workers
    # in parallel), importing the app alone has taken 10 s.
    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(found := self.to(address)) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address} arrived within {timeout} s")


class Gunicorn:
    """One gunicorn node serving the app on 127.0.0.1 with the suite's database, secret key and
    instance folder (whatever a test commits, the node sees). `env` adds or overrides settings
    (`ANTRAGSWEG_*`); `stop()` ends it gracefully, `kill()` with SIGKILL, `start()` again."""

    def __init__(
        self,
        app,
        smtp_port: int | None,
        *,
        workers: int = 2,
        threads: int = 2,
        env: dict | None = None,
        port: int | None = None,
        name: str = "gunicorn",
        config: Path | None = PROJECT_ROOT / "deploy" / "gunicorn.conf.py",
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = workers, threads
        # As in production by default (deploy/gunicorn.conf.py: JSON logs, metrics hooks, the
        # production checks, no trust in X-Forwarded-*); the options below win. None: gunicorn's own.
        self.config = config
        self.log_path = Path(app.instance_path) / f"{name}-{self.port}.log"
        self.env = os.environ | {
            "ANTRAGSWEG_BASE_URL": self.url,
            "ANTRAGSWEG_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "ANTRAGSWEG_SECRET_KEY": app.config["SECRET_KEY"],
            "ANTRAGSWEG_INSTANCE_PATH": app.instance_path,
            "ANTRAGSWEG_ARGON2_TIME_COST": "1",
            "ANTRAGSWEG_ARGON2_MEMORY_COST": "8",
            "ANTRAGSWEG_ARGON2_PARALLELISM": "1",
            "ANTRAGSWEG_TOTP_REQUIRED_ROLES": json.dumps(list(app.config["TOTP_REQUIRED_ROLES"])),
            "ANTRAGSWEG_LOGIN_MAX_FAILURES_PER_ADDRESS": "10000",
        }
        if smtp_port is not None:
            self.env |= {"ANTRAGSWEG_MAIL_SERVER": "127.0.0.1", "ANTRAGSWEG_MAIL_PORT": str(smtp_port)}
        self.env |= env or {}
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 60.0) -> Gunicorn:
        self._log = open(self.log_path, "a")  # noqa: SIM115 - closed by stop()/kill()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *(["-c", str(self.config)] if self.config else []),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--timeout",
                "60",
                # gunicorn 27 opens a control socket at one fixed path per user: nodes would share it.
                "--no-control-socket",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_the_suite,  # noqa: PLW1509 - before exec, no locks taken
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(self.url + "/healthz", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not start: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self._close_log()

    def kill(self) -> None:
        """SIGKILL to the master and its workers, as a node that dies."""
        if self.process and self.process.poll() is None:
            for pid in _children(self.process.pid):
                os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=15)
        self._close_log()

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None


class Mailer:
    """The sender process beside the nodes, as the mailer unit runs it (`flask --app wsgi
    send-mail --loop`), with a node's settings: it sends what the node's requests queued."""

    def __init__(self, node: Gunicorn, interval: float = 0.2, name: str = "mailer"):
        self.env, self.interval = node.env, interval
        self.log_path = node.log_path.with_name(f"{name}-{node.port}.log")
        self.process: subprocess.Popen | None = None

    def start(self) -> Mailer:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "wsgi",
                    "send-mail",
                    "--loop",
                    "--interval",
                    str(self.interval),
                ],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def stop(self) -> None:
        """SIGTERM: it stops after the mail in hand (killed if that takes longer than 15 s)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in out.stdout.split()]


@pytest.fixture(scope="session")
def live_smtp():
    from aiosmtpd.controller import Controller

    mailbox = LiveMailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def live_node(app, live_smtp):
    """The suite's gunicorn node (2 workers × 2 threads), started once for the run."""
    node = Gunicorn(app, live_smtp.port).start()
    yield node
    node.stop()


@pytest.fixture
def live_mailer(live_node):
    """The mail sender beside the suite's node, for one test: what its requests queue reaches
    `live_smtp` within a moment. (Only while a test asks for it: a sender running all along would
    send the mail other tests expect at their own `smtp` server.)"""
    mailer = Mailer(live_node).start()
    yield mailer
    mailer.stop()


@pytest.fixture(scope="session")
def live_server(live_node) -> str:
    """The base URL of the suite's gunicorn node."""
    return live_node.url


@pytest.fixture
def gunicorn(app, live_smtp):
    """Start further nodes with their own settings: `gunicorn(env={...}, workers=1)`; each is
    stopped when the test ends."""
    nodes: list[Gunicorn] = []

    def _start(**kwargs) -> Gunicorn:
        node = Gunicorn(app, live_smtp.port, **kwargs).start()
        nodes.append(node)
        return node

    yield _start
    for node in nodes:
        node.stop()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class HttpUser(requests.Session):
    """A real HTTP client against one base URL: `get("/pfad")`, and `login(email)` through the
    login form (CSRF token read from the page, as a browser sends it). `verify` may name a CA
    file for HTTPS."""

    def __init__(self, base_url: str, verify: bool | str = True):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.verify = verify

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("verify", self.verify)  # else REQUESTS_CA_BUNDLE would win over it
        return super().request(method, url, *args, **kwargs)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        match = CSRF.search(page.text)
        assert match, (path, page.status_code, page.text[:500])
        return match.group(1)

    def post_form(self, path: str, data: dict, *, form_page: str | None = None, **kwargs):
        """POST a form the way the page that offers it would (its CSRF token included, and the
        page as Referer, as a browser sends it: over HTTPS Flask-WTF insists on it)."""
        token = self.csrf_token(form_page or path)
        kwargs["headers"] = {"Referer": self.base_url + (form_page or path)} | kwargs.get("headers", {})
        return self.post(path, data={"csrf_token": token, **data}, **kwargs)

    def login(self, email: str, password: str = demo.DEMO_PASSWORD) -> HttpUser:
        response = self.post_form("/anmelden", {"email": email, "password": password})
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return self


class HttpApi(HttpUser):
    """The JSON API over real HTTP with one person's bearer token (tests/conftest.py's ApiClient,
    against a live node instead of the test client)."""

    def __init__(self, base_url: str, token: str, verify: bool | str = True):
        super().__init__(base_url, verify)
        self.headers["Authorization"] = f"Bearer {token}"


@pytest.fixture
def http(live_server, world):
    """http("coordinator") → a real HTTP client against the suite's gunicorn node, signed in as
    that demo person; http(None) → anonymous."""
    clients: list[HttpUser] = []

    def _http(key: str | None = None, base_url: str | None = None, **kwargs) -> HttpUser:
        client = HttpUser(base_url or live_server, **kwargs)
        clients.append(client)
        return client.login(world.people[key].email) if key else client

    yield _http
    for client in clients:
        client.close()
