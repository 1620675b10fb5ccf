"""A real server (gunicorn on loopback) on the suite's database, and a real browser (Debian's
chromium driven by Playwright; never a downloaded browser)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import Mailbox
from workflow import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveMailbox(Mailbox):
    """The real SMTP server the live server sends to (aiosmtpd on loopback, for the whole run)."""

    def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(found := self.to(address)) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address} arrived within {timeout} s")


@pytest.fixture(scope="session")
def live_smtp():
    from aiosmtpd.controller import Controller

    mailbox = LiveMailbox()
    mailbox.port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def live_server(app, live_smtp):
    """gunicorn serving the app on 127.0.0.1, on the same database and instance folder as the
    suite (whatever a test commits, the server sees); its mail goes to `live_smtp`."""
    port = _free_port()
    env = os.environ | {
        "ANTRAGSWEG_MAIL_SERVER": "127.0.0.1",
        "ANTRAGSWEG_MAIL_PORT": str(live_smtp.port),
        "ANTRAGSWEG_BASE_URL": f"http://127.0.0.1:{port}",
        "ANTRAGSWEG_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "ANTRAGSWEG_SECRET_KEY": app.config["SECRET_KEY"],
        "ANTRAGSWEG_INSTANCE_PATH": app.instance_path,
        "ANTRAGSWEG_ARGON2_TIME_COST": "1",
        "ANTRAGSWEG_ARGON2_MEMORY_COST": "8",
        "ANTRAGSWEG_ARGON2_PARALLELISM": "1",
        "ANTRAGSWEG_TOTP_REQUIRED_ROLES": json.dumps(list(app.config["TOTP_REQUIRED_ROLES"])),
        "ANTRAGSWEG_LOGIN_MAX_FAILURES_PER_ADDRESS": "10000",
    }
    log = open(Path(app.instance_path) / "gunicorn.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "2",
            "--timeout",
            "60",
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - loopback
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(
            "gunicorn did not start: " + (Path(app.instance_path) / "gunicorn.log").read_text()
        )
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium); CI needs the browser tests")
        pytest.skip("chromium is not installed (make setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """A fresh browser context (own cookies) per person; axe is injected, so CSP is bypassed for
    the test's own script only."""
    contexts = []

    def _new_page():
        context = browser.new_context(
            base_url=live_server, bypass_csp=True, locale="de-DE", timezone_id="Europe/Berlin"
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return result


def vnu_errors(pages: dict[str, str], workdir: Path) -> dict[str, list[str]]:
    """The Nu HTML Checker's errors for each page's HTML source (one JVM for all pages)."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is not installed: the Nu HTML Checker needs it")
    files = {}
    for n, (name, html) in enumerate(pages.items()):
        path = workdir / f"page{n}.html"
        path.write_text(html, encoding="utf-8")
        files[str(path)] = name
    completed = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(completed.stderr or '{"messages": []}')["messages"]
    errors: dict[str, list[str]] = {}
    for message in messages:
        name = files.get(message.get("url", "").removeprefix("file:"), message.get("url"))
        errors.setdefault(name, []).append(f"{message.get('lastLine')}: {message.get('message')}")
    return errors
