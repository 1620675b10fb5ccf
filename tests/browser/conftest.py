"""A real browser (Debian's chromium driven by Playwright; never a downloaded browser) against the
suite's gunicorn node (`live_server`, from tests/live.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

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


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium); CI needs the browser tests")
        pytest.skip("chromium is not installed (make setup installs it)")


@pytest.fixture(scope="session")
def playwright():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def https_browser(playwright, test_ca, tmp_path_factory):
    """chromium that trusts the test CA the way a managed desktop trusts its organisation's CA:
    the CA in the NSS database of the browser's home (~/.pki/nssdb), so every certificate is
    checked for real (chain, name, dates); nothing is ignored."""
    home = tmp_path_factory.mktemp("browser-home")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    for args in (
        ["-N", "--empty-password"],
        ["-A", "-n", "Antragsweg Test-CA", "-t", "C,,", "-i", str(test_ca.cert)],
    ):
        subprocess.run(["certutil", "-d", f"sql:{nssdb}", *args], check=True, capture_output=True)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env={**os.environ, "HOME": str(home)}
    )
    yield browser
    browser.close()


@pytest.fixture
def site(request):
    """(base URL, browser) the pages open: the suite's gunicorn node over HTTP; with the
    parameter "https" (indirect), nginx over HTTPS in front of the proxied node, in the browser
    that trusts the test CA."""
    if getattr(request, "param", "http") == "https":
        return request.getfixturevalue("nginx_proxy").url, request.getfixturevalue("https_browser")
    return request.getfixturevalue("live_server"), request.getfixturevalue("browser")


@pytest.fixture
def new_page(site):
    """A fresh browser context (own cookies) per person; axe is injected, so CSP is bypassed for
    the test's own script only."""
    base_url, browser = site
    contexts = []

    def _new_page():
        context = browser.new_context(
            base_url=base_url, bypass_csp=True, locale="de-DE", timezone_id="Europe/Berlin"
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
