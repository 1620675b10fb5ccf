"""Behind an HTTPS reverse proxy: Debian's nginx with the site file an administrator installs
(deploy/nginx/antragsweg.conf) in front of gunicorn, over real HTTP(S) (tests/nginx.py); and the
app believing X-Forwarded-* only as far as ANTRAGSWEG_TRUSTED_PROXIES says."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
import requests
import sqlalchemy as sa

from tests.deploy_files import exec_start
from tests.live import Gunicorn, HttpUser
from tests.nginx import GUNICORN_CONF, SITE, from_address
from tests.test_webhooks import Receiver
from workflow import PROJECT_ROOT, create_app
from workflow.config import Defaults
from workflow.extensions import db
from workflow.models import LoginFailure
from workflow.services import webhooks
from workflow.views import ERROR_TEXTS

FORGED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
}
CLIENT = "127.0.0.2"  # a client that is not the proxy (nginx reaches gunicorn from 127.0.0.1)
LINK = re.compile(r"https?://\S+")


def failure_addresses() -> list[str]:
    db.session.expire_all()
    keys = db.session.scalars(sa.select(LoginFailure.key).where(LoginFailure.key.like("address:%"))).all()
    return sorted({key.removeprefix("address:") for key in keys})


def fail_logins(client: HttpUser, count: int, headers=lambda n: {}) -> list[int]:
    """Failed logins, each for another (unknown) e-mail address so that only the throttle per
    client address can stop them; their status codes."""
    return [
        client.post_form(
            "/anmelden", {"email": f"niemand{n}@example.org", "password": "falsch-falsch"}, headers=headers(n)
        ).status_code
        for n in range(count)
    ]


def reset_link(client: HttpUser, live_smtp, email: str, headers: dict | None = None) -> str:
    earlier = len(live_smtp.to(email))
    response = client.post_form("/passwort-vergessen", {"email": email}, headers=headers or {})
    assert response.status_code == 200, response.text[:300]
    (mail,) = live_smtp.wait_for(email, count=earlier + 1)[earlier:]
    return LINK.search(mail.get_content()).group(0)


# -- nginx in front ------------------------------------------------------------------------------


def test_plain_http_only_redirects_to_the_configured_https_address(nginx_proxy):
    for path in ("/", "/anmelden?next=/start", "/static/app.css"):
        response = requests.get(nginx_proxy.http_url + path, allow_redirects=False, timeout=10)
        assert response.status_code == 301, path
        assert response.headers["Location"] == nginx_proxy.url + path
    # A Host the client makes up does not choose the target.
    response = requests.get(
        nginx_proxy.http_url + "/anmelden",
        headers={"Host": "evil.example"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.headers["Location"] == nginx_proxy.url + "/anmelden"


def test_https_answers_with_hsts_and_the_session_cookie_only_for_https(nginx_proxy, https, world):
    client = https(None)
    page = client.get("/anmelden")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=63072000"
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "; Secure" in cookie and "; HttpOnly" in cookie
    # The app knows it is served over HTTPS: Flask-WTF then insists on a Referer of this origin
    # (a client's own X-Forwarded-Proto is replaced by nginx's).
    token = client.csrf_token("/anmelden")
    email = world.user("partner-ihk").email
    refused = client.post(
        "/anmelden",
        data={"csrf_token": token, "email": email, "password": "Antragsweg-Demo1"},
        headers={"X-Forwarded-Proto": "http"},
    )
    assert refused.status_code == 400 and "Das Formular ist abgelaufen" in refused.text
    # Signing in works with it, and the cookie keeps its flags.
    response = client.post_form("/anmelden", {"email": email, "password": "Antragsweg-Demo1"})
    assert response.status_code == 302, response.text[:300]
    assert "; Secure" in response.headers["Set-Cookie"]
    assert client.get("/start").status_code == 200
    # The node behind the proxy has the remember cookie's flag set too (the app sets no remember
    # cookie today: login_user without remember).
    assert nginx_proxy.node.env["ANTRAGSWEG_REMEMBER_COOKIE_SECURE"] == "true"


def test_a_request_above_the_apps_limit_ends_at_nginx_with_the_german_page(nginx_proxy, https, world):
    limit = Defaults.MAX_CONTENT_LENGTH
    (size,) = re.findall(r"^\s*client_max_body_size (\d+)m;", SITE.read_text(), flags=re.MULTILINE)
    assert int(size) * 1024 * 1024 == limit  # the same number in both places
    client = https(None)

    def post(total: int) -> requests.Response:
        boundary = "grenze"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="datei"; filename="a.bin"\r\n\r\n'.encode()
        )
        tail = f"\r\n--{boundary}--\r\n".encode()
        body = head + b"x" * (total - len(head) - len(tail)) + tail
        assert len(body) == total
        return client.post(
            "/anmelden",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": client.base_url + "/",
            },
        )

    # Under gunicorn werkzeug refuses a body of exactly MAX_CONTENT_LENGTH already (it reads one
    # byte past the limit to see the end): one byte less passes nginx and reaches the app, which
    # refuses it for the missing CSRF token; one byte more ends at nginx.
    below = post(limit - 1)
    assert below.status_code == 400 and "Das Formular ist abgelaufen" in below.text
    too_large = post(limit + 1)
    assert too_large.status_code == 413
    assert ERROR_TEXTS[413] in too_large.text and 'lang="de"' in too_large.text
    assert "Content-Security-Policy" not in too_large.headers  # nginx's page, not the app's
    assert too_large.headers["Strict-Transport-Security"] == "max-age=63072000"


def test_static_files_come_from_nginx_with_long_cache_headers_and_versioned_links(nginx_proxy, https, world):
    client = https(None)
    page = client.get("/anmelden").text
    links = dict.fromkeys(re.findall(r'href="(/(?:static|assets/kern)/[^"]+)"', page))
    assert any(link.startswith("/static/app.css?v=") for link in links)
    assert any(link.startswith("/assets/kern/kern.min.css?v=") for link in links)
    files = {
        "/static/": PROJECT_ROOT / "workflow" / "static",
        "/assets/kern/": PROJECT_ROOT / "node_modules" / "@kern-ux" / "native" / "dist",
    }
    for link in links:
        path, _, version = link.partition("?v=")
        prefix = next(p for p in files if path.startswith(p))
        content = (files[prefix] / path.removeprefix(prefix)).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12], link  # a new file is a new URL
        response = client.get(link)
        assert response.status_code == 200 and response.content == content
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Strict-Transport-Security"] == "max-age=63072000"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response.headers  # nginx's, not the app's answer
    unversioned = client.get("/static/app.css")
    assert unversioned.headers["Cache-Control"] == "public, max-age=86400"


# -- what the app hands out behind the proxy: https:// -------------------------------------------


def test_mail_links_calendar_feed_and_openapi_are_https_behind_the_proxy(
    nginx_proxy, https, world, live_smtp, live_mailer
):
    base = nginx_proxy.url
    anonymous = https(None)
    # The client names another host; nginx passes the configured one, the app uses BASE_URL.
    link = reset_link(anonymous, live_smtp, world.user("partner-dgb").email, headers=FORGED)
    assert link.startswith(base + "/passwort/")
    assert anonymous.get(link).status_code == 200  # the link works, over HTTPS

    person = https("partner-dgb")
    page = person.post_form("/kalender", {})
    (feed,) = set(re.findall(r"https?://[^\s\"<]+\.ics", page.text))
    assert feed.startswith(base + "/kalender/")
    calendar = requests.get(feed, verify=str(nginx_proxy.ca.cert), timeout=30)
    assert calendar.status_code == 200 and calendar.text.startswith("BEGIN:VCALENDAR")

    document = anonymous.get("/api/v1/openapi.json", headers=FORGED).json()
    assert document["servers"] == [{"url": base}]


def test_teams_cards_from_tick_link_to_https(nginx_proxy, https, world):
    """tick, run as the timer's service runs it (deploy/systemd/antragsweg-tick.service) with the
    node's settings, posts the card; its button leads to the application over HTTPS."""
    receiver = Receiver()
    receiver.thread.start()
    try:
        webhooks.register_receiver(
            world.user("coordinator"), name="Teams", url=receiver.url, kind="teams", events=["created"]
        )
        application = world.application("consultation")
        env = nginx_proxy.node.env | {"ANTRAGSWEG_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
        completed = subprocess.run(
            exec_start("antragsweg-tick.service"),
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stderr
        (message,) = receiver.bodies()
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    (action,) = message["attachments"][0]["content"]["actions"]
    assert action["url"] == f"{nginx_proxy.url}/antraege/{application.id}"
    assert https("coordinator").get(action["url"]).status_code == 200


# -- the client's address: the throttle counts the real one --------------------------------------


def test_the_throttle_counts_the_client_behind_the_proxy_whatever_it_forwards(nginx_proxy, world):
    """The proxied node allows 3 failures per address. The client (127.0.0.2, not nginx's
    127.0.0.1) sends a new X-Forwarded-For each time; nginx appends the address it sees, the app
    believes that one value only."""
    client = from_address(HttpUser(nginx_proxy.url, verify=str(nginx_proxy.ca.cert)), CLIENT)
    statuses = fail_logins(client, 4, headers=lambda n: {"X-Forwarded-For": f"198.51.100.{n}"})
    assert statuses == [401, 401, 401, 429]
    assert failure_addresses() == [CLIENT]
    client.close()


@pytest.fixture(scope="module")
def direct_node(app, live_smtp):
    """A node as the unit starts it (deploy/gunicorn.conf.py) that trusts no proxy (the default),
    reached directly: 3 failures per address."""
    node = Gunicorn(
        app,
        live_smtp.port,
        config=GUNICORN_CONF,
        workers=1,
        env={"ANTRAGSWEG_LOGIN_MAX_FAILURES_PER_ADDRESS": "3"},
        name="direct",
    ).start()
    yield node
    node.stop()


def test_without_trusted_proxies_forged_forwarded_headers_change_nothing(
    direct_node, world, live_smtp, live_mailer
):
    """From 127.0.0.1, whom gunicorn itself would believe by default (its forwarded_allow_ips),
    X-Forwarded-For/-Proto/-Host change neither the address counted, nor the scheme, nor a link."""
    client = HttpUser(direct_node.url)
    statuses = fail_logins(client, 4, headers=lambda n: FORGED | {"X-Forwarded-For": f"198.51.100.{n}"})
    assert statuses == [401, 401, 401, 429]
    assert failure_addresses() == ["127.0.0.1"]
    # Believed, X-Forwarded-Proto: https would make Flask-WTF demand a Referer of https://evil.example.
    token = client.csrf_token("/passwort-vergessen")
    response = client.post(
        "/passwort-vergessen", data={"csrf_token": token, "email": "niemand@example.org"}, headers=FORGED
    )
    assert response.status_code == 200, response.text[:300]
    link = reset_link(client, live_smtp, world.user("partner-hwk").email, headers=FORGED)
    assert link.startswith(direct_node.url + "/passwort/")
    # Not even the Host itself chooses an address the app hands out.
    document = client.get("/api/v1/openapi.json", headers=FORGED | {"Host": "evil.example"}).json()
    assert document["servers"] == [{"url": direct_node.url}]


# -- the setting itself ------------------------------------------------------------------------------


def test_the_default_believes_no_forwarded_header(app, world):
    client = app.test_client()
    response = client.post(
        "/anmelden",
        data={"email": "niemand@example.org", "password": "falsch-falsch"},
        headers=FORGED,
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert response.status_code == 401
    assert failure_addresses() == ["192.0.2.10"]


@pytest.mark.parametrize("value", [-1, "zwei", True, 1.5])
def test_a_wrong_number_of_proxies_stops_the_start(app, value):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app(
            {
                "DATABASE_URL": "sqlite://",
                "SECRET_KEY": "x",
                "INSTANCE_PATH": app.instance_path,
                "TRUSTED_PROXIES": value,
            }
        )


def test_one_trusted_proxy_reads_its_last_values_only(app):
    proxied = create_app(
        {
            "DATABASE_URL": "sqlite://",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": app.instance_path,
            "TRUSTED_PROXIES": 1,
        }
    )
    seen = {}

    def inner(environ, start_response):
        seen.update(addr=environ["REMOTE_ADDR"], scheme=environ["wsgi.url_scheme"], host=environ["HTTP_HOST"])
        start_response("204 No Content", [])
        return []

    proxied.wsgi_app.app = inner  # what ProxyFix hands on
    from werkzeug.test import Client

    Client(proxied.wsgi_app).get(
        "/",
        headers={
            "X-Forwarded-For": "203.0.113.9, 198.51.100.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "antragsweg.example.org",
        },
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen == {"addr": "198.51.100.7", "scheme": "https", "host": "antragsweg.example.org"}
