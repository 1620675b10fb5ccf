"""Debian's nginx in front of gunicorn, over HTTPS with a certificate made at test time (pytest
plugin, loaded by tests/conftest.py).

nginx runs as the test's own process (`daemon off`, unprivileged ports, its prefix, pid, logs and
temporary files in a tmp folder) with the site file an administrator installs,
deploy/nginx/antragsweg.conf, unchanged; only the four machine files it includes
(deploy/nginx/antragsweg/*.conf: upstream nodes, host name and folder, ports, certificate) are
written for the test, from the shipped ones (`machine_files`). The certificate comes from a test CA
(openssl): clients verify it against that CA, nothing is switched off.

Fixtures: `test_ca`, `proxied_node` (a gunicorn node configured as behind the proxy), `nginx_proxy`
(nginx in front of it, for the whole run), `https(key)` (a real HTTP client through nginx, signed in
like `http`). Several nodes: `Nginx(..., upstreams=[node_a.url, node_b.url])`, and
`set_upstreams()` + `reload()` to change them while it runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.deploy_files import DEPLOY, env_file_settings
from tests.live import Gunicorn, HttpUser, die_with_the_suite, free_port
from workflow import PROJECT_ROOT

NGINX = "/usr/sbin/nginx"
SITE = DEPLOY / "nginx" / "antragsweg.conf"
MACHINE = DEPLOY / "nginx" / "antragsweg"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
EXAMPLE_HOST = "antragsweg.example.org"
# The settings of deploy/antragsweg.env that make a node one behind the proxy (the rest, database,
# paths and mail, are the suite's).
PROXY_SETTINGS = (
    "ANTRAGSWEG_TRUSTED_PROXIES",
    "ANTRAGSWEG_SESSION_COOKIE_SECURE",
    "ANTRAGSWEG_REMEMBER_COOKIE_SECURE",
)


def require_nginx() -> None:
    if not Path(NGINX).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (make system-packages); CI needs the proxy tests")
        pytest.skip("nginx is not installed (make system-packages installs it)")


def openssl(*args: str, cwd: Path | None = None) -> str:
    completed = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


class TestCA:
    """A certificate authority for one test run: `issue(csr)` signs a request for the names given
    (as a CA does after checking them); `server_certificate(...)` makes key, request and chain."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.key = folder / "ca.key"
        self.cert = folder / "ca.pem"
        openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
            "-keyout", str(self.key), "-out", str(self.cert), "-days", "3",
            "-subj", "/O=Antragsweg tests/CN=Antragsweg Test-CA",
            "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip

    def issue(self, csr: Path, chain: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Path:
        """Sign `csr` for `names` (DNS names or IP addresses) and write certificate + CA to `chain`."""
        alt = ",".join(f"IP:{n}" if re.fullmatch(r"[\d.]+|[0-9a-f:]+", n) else f"DNS:{n}" for n in names)
        extensions = self.folder / f"{chain.name}.ext"
        extensions.write_text(
            f"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            f"extendedKeyUsage=serverAuth\nsubjectAltName={alt}\n"
        )
        leaf = self.folder / f"{chain.name}.leaf"
        openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
            "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(leaf),
        )  # fmt: skip
        chain.parent.mkdir(parents=True, exist_ok=True)
        chain.write_text(leaf.read_text() + self.cert.read_text())
        return chain

    def server_certificate(self, folder: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")):
        """(chain, key) for `names`, the way the README makes them: key and request with openssl,
        signed by the CA."""
        folder.mkdir(parents=True, exist_ok=True)
        key, csr = folder / "server.key", folder / "server.csr"
        openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
            "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={names[0]}",
        )  # fmt: skip
        return self.issue(csr, folder / "server.pem", names), key

    def spki_sha256(self, chain: Path) -> str:
        """The base64 SHA-256 of the leaf's public key (what chromium's SPKI list takes)."""
        der = subprocess.run(
            ["openssl", "x509", "-in", str(chain), "-noout", "-pubkey"], capture_output=True, check=True
        ).stdout
        der = subprocess.run(
            ["openssl", "pkey", "-pubin", "-outform", "der"], input=der, capture_output=True, check=True
        ).stdout
        digest = subprocess.run(
            ["openssl", "dgst", "-sha256", "-binary"], input=der, capture_output=True, check=True
        ).stdout
        return (
            subprocess.run(["openssl", "base64"], input=digest, capture_output=True, check=True)
            .stdout.decode()
            .strip()
        )


def _replace(text: str, pattern: str, replacement: str, name: str) -> str:
    """One substitution in a shipped machine file; a file that no longer has the line fails here
    instead of being run unchanged."""
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count, f"deploy/nginx/antragsweg/{name} has no line matching {pattern!r}"
    return new


def machine_files(
    *,
    upstreams: list[str],
    host: str,
    http_port: int,
    https_port: int,
    certificate: Path,
    key: Path,
    root: Path = PROJECT_ROOT,
    address: str = "127.0.0.1",
    source: Path = MACHINE,
    named: str = EXAMPLE_HOST,
) -> dict[str, str]:
    """The four files deploy/nginx/antragsweg.conf includes, as shipped in deploy/nginx/antragsweg/
    (or as installed in `source`, naming the host `named`) with this machine's values: the nodes,
    the host (with the port, as clients name it), the checkout, ports on loopback (IPv4 only: CI
    may have no IPv6) and the certificate."""
    files = {path.name: path.read_text() for path in sorted(source.glob("*.conf"))}
    assert set(files) == {"upstream.conf", "site.conf", "http.conf", "https.conf"}, sorted(files)
    servers = "".join(f"server {re.sub(r'^https?://', '', url)};\n" for url in upstreams)
    files["upstream.conf"] = _replace(files["upstream.conf"], r"^server .*;\n", servers, "upstream.conf")
    site = files["site.conf"]
    site = _replace(site, rf"^server_name {re.escape(named)};", f"server_name {host};", "site.conf")
    site = _replace(
        site,
        rf"^set \$antragsweg_host {re.escape(named)};",
        f"set $antragsweg_host {host}:{https_port};",
        "site.conf",
    )
    files["site.conf"] = _replace(
        site, r"^set \$antragsweg_root /srv/antragsweg;", f"set $antragsweg_root {root};", "site.conf"
    )
    http = _replace(files["http.conf"], r"^listen 80;", f"listen {address}:{http_port};", "http.conf")
    files["http.conf"] = _replace(http, r"^listen \[::\]:80;\n", "", "http.conf")
    https = _replace(files["https.conf"], r"^listen 443 ", f"listen {address}:{https_port} ", "https.conf")
    https = _replace(https, r"^listen \[::\]:443 .*\n", "", "https.conf")
    https = _replace(https, r"^ssl_certificate .*;", f"ssl_certificate {certificate};", "https.conf")
    files["https.conf"] = _replace(
        https, r"^ssl_certificate_key .*;", f"ssl_certificate_key {key};", "https.conf"
    )
    return files


def main_conf(prefix: Path, include: str) -> str:
    """A main nginx.conf for a test's own nginx: in the foreground, pid, logs and temporary files
    under `prefix`; the http block includes `include` (the site file, or sites-enabled/*)."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / sub).mkdir(parents=True, exist_ok=True)
    temp = prefix / "temp"
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers read the checkout and tmp
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n"
        f"    client_body_temp_path {temp / 'body'};\n    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {include};\n"
        "}\n"
    )


def debian_nginx_conf(root: Path) -> Path:
    """Debian's /etc/nginx as the package installs it, copied to `root`/etc/nginx, its absolute
    paths (its own folder, pid, logs) moved under `root`. Returns its nginx.conf."""
    etc = root / "etc" / "nginx"
    if not etc.exists():
        shutil.copytree("/etc/nginx", etc, symlinks=True)
    main = etc / "nginx.conf"
    text = main.read_text()
    for old, new in (
        ("/etc/nginx/", f"{etc}/"),
        ("/run/nginx.pid", f"{root}/nginx.pid"),
        ("/var/log/nginx/", f"{root}/"),
    ):
        text = text.replace(old, new)
    main.write_text(text)
    return main


def nginx_warnings(output: str) -> list[str]:
    """What `nginx -t` said beyond "syntax is ok" and "test is successful"."""
    lines = [line for line in output.splitlines() if re.search(r"\[(warn|emerg|alert|crit|error)\]", line)]
    if os.geteuid() != 0:  # Debian's `user www-data;` only means something to root
        lines = [line for line in lines if '"user" directive makes sense only' not in line]
    return lines


class NginxProcess:
    """nginx in the foreground as the test's own process: `prefix` for pid, logs and temporary
    files, `main_conf` (relative includes resolve beside it). Ready once `url`/healthz answers
    over HTTPS with a certificate of `ca_cert`."""

    def __init__(self, prefix: Path, main_conf: Path, url: str, ca_cert: Path):
        require_nginx()
        self.folder, self.main_conf, self.url, self.ca_cert = prefix, main_conf, url, ca_cert
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"

    def _nginx(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [NGINX, "-p", str(self.folder), "-c", str(self.main_conf), "-e", str(self.error_log), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    def test_config(self) -> str:
        """`nginx -t` on this configuration; its output (it fails the test unless successful)."""
        completed = self._nginx("-t")
        assert completed.returncode == 0, completed.stderr
        return completed.stderr

    def start(self, timeout: float = 10.0) -> NginxProcess:
        self._log = open(self.folder / "nginx.out", "a")  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(self.main_conf), "-e", str(self.error_log)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_the_suite,  # noqa: PLW1509 - before exec, no locks taken
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(self.url + "/healthz", timeout=2, verify=str(self.ca_cert))
                return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"nginx did not start: {self.error_log.read_text() if self.error_log.exists() else ''}"
        )

    def reload(self) -> None:
        """Re-read the configuration (SIGHUP), as `systemctl reload nginx` does."""
        self.test_config()
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish their requests
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log:
            self._log.close()
            self._log = None


class Nginx(NginxProcess):
    """Debian's nginx in `folder` with deploy/nginx/antragsweg.conf in front of `upstreams` (base
    URLs of gunicorn nodes); `set_upstreams()` and `reload()` change them while it runs."""

    def __init__(self, folder: Path, ca: TestCA, upstreams: list[str], *, host: str = "127.0.0.1"):
        self.conf = folder / "conf"
        self.ca = ca
        self.host = host
        self.http_port, self.https_port = free_port(), free_port()
        self.http_url = f"http://{host}:{self.http_port}"
        super().__init__(folder, self.conf / "nginx.conf", f"https://{host}:{self.https_port}", ca.cert)
        self.certificate, self.key = ca.server_certificate(folder / "tls", (host, "localhost"))
        self.upstreams = list(upstreams)
        self.write_config()

    def write_config(self) -> None:
        (self.conf / "antragsweg").mkdir(parents=True, exist_ok=True)
        self.main_conf.write_text(main_conf(self.folder, str(SITE)))
        files = machine_files(
            upstreams=self.upstreams,
            host=self.host,
            http_port=self.http_port,
            https_port=self.https_port,
            certificate=self.certificate,
            key=self.key,
        )
        for name, text in files.items():
            (self.conf / "antragsweg" / name).write_text(text)

    def set_upstreams(self, upstreams: list[str]) -> None:
        self.upstreams = list(upstreams)
        self.write_config()


class FromAddress(HTTPAdapter):
    """Connect from another loopback address (127.0.0.2): a client that is not the proxy."""

    def __init__(self, address: str, **kwargs):
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def from_address(client: requests.Session, address: str) -> requests.Session:
    for prefix in ("http://", "https://"):
        client.mount(prefix, FromAddress(address))
    return client


def proxied_env(base_url: str) -> dict[str, str]:
    """The settings of deploy/antragsweg.env that put a node behind the proxy, with its address."""
    settings = env_file_settings()
    missing = [key for key in PROXY_SETTINGS if key not in settings]
    assert not missing, f"deploy/antragsweg.env lacks {missing}"
    return {key: settings[key] for key in PROXY_SETTINGS} | {"ANTRAGSWEG_BASE_URL": base_url}


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def nginx_proxy(app, live_smtp, test_ca, tmp_path_factory):
    """nginx (HTTPS, the site file unchanged) in front of one gunicorn node started as the unit
    starts it (deploy/gunicorn.conf.py) with deploy/antragsweg.env's proxy settings; for the run.
    `.url` is the https address, `.node` the gunicorn behind it."""
    require_nginx()
    proxy = Nginx(tmp_path_factory.mktemp("nginx"), test_ca, upstreams=[])
    node = Gunicorn(
        app,
        live_smtp.port,
        config=GUNICORN_CONF,
        env=proxied_env(proxy.url) | {"ANTRAGSWEG_LOGIN_MAX_FAILURES_PER_ADDRESS": "3"},
        name="proxied",
    ).start()
    proxy.set_upstreams([node.url])
    proxy.node = node
    try:
        proxy.test_config()
        proxy.start()
        yield proxy
    finally:
        proxy.stop()
        node.stop()


@pytest.fixture
def https(nginx_proxy, world):
    """https("coordinator") → a real HTTP client through nginx over HTTPS (verifying the test
    CA), signed in as that demo person; https(None) → anonymous."""
    clients: list[HttpUser] = []

    def _https(key: str | None = None) -> HttpUser:
        client = HttpUser(nginx_proxy.url, verify=str(nginx_proxy.ca.cert))
        clients.append(client)
        return client.login(world.people[key].email) if key else client

    yield _https
    for client in clients:
        client.close()
