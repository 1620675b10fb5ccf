"""The README's section for administrators, run from top to bottom like a person at the machine's
terminal would: every command of its `sh` blocks, in order, on a temporary machine root.

Each command goes to the one handler below whose pattern it matches; a command no handler knows
fails the test, and so does a handler no command used any more (the README and this file are
checked both ways). What the suite changes, and why, is said in each handler:
- the machine: a temporary root in place of /etc, /var and /srv (files go there; the checkout of
  the suite is /srv/antragsweg, already installed by `make setup`; `git` works in a fresh clone);
- the host name is `localhost`, the ports free ones on loopback (the README's 80, 443 and 8000
  would clash), the certificate is signed by the suite's test CA;
- PostgreSQL is the suite's server (role and database get names of their own, dropped after);
- root's jobs that would change this machine run in their offline form: apt is asked whether
  Debian's archive has each package, `systemd-sysusers --root`, `systemctl --root enable`; the account exists in the temporary root
  only, so `runuser -u antragsweg --` and the owner options of `install` are dropped;
- systemd itself is not running: starting a unit runs the unit file's own ExecStart with its
  EnvironmentFile, Environment and WorkingDirectory (a timer's service runs once when the timer is
  enabled, instead of five minutes or a night later); gunicorn gets a free port and one worker."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.deploy_files import env_file_settings, read_unit, stub_programs
from tests.live import die_with_the_suite, free_port
from tests.nginx import (
    EXAMPLE_HOST,
    NGINX,
    NginxProcess,
    TestCA,
    debian_nginx_conf,
    machine_files,
    main_conf,
    nginx_warnings,
    require_nginx,
)
from workflow import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
SECTION = "## Running Antragsweg as a service (administrators)"
HOST = "localhost"
PASSWORD = "Koordination-Probe-2026-Lüneburg"
PG_BASE = os.environ.get("ANTRAGSWEG_CI_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def guide_commands() -> list[str]:
    """Every command of the section's ```sh blocks (continued lines joined, comments dropped)."""
    text = README.read_text()
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", section, flags=re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def _debian_package(program: str) -> tuple[str, str] | None:
    """(package, priority) of the Debian package that ships `program` on this machine, if any."""
    path = shutil.which(program, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        return None
    for candidate in dict.fromkeys((path, os.path.realpath(path), path.replace("/usr/", "/", 1))):
        found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            package = found.stdout.split(":")[0].strip()
            priority = subprocess.run(
                ["dpkg-query", "-W", "-f=${Priority}", package], capture_output=True, text=True, check=True
            ).stdout
            return package, priority
    return None


def test_the_guide_installs_every_program_it_calls_that_a_fresh_debian_lacks():
    """A program of a command (or run by `runuser … --`) from a package of priority optional or
    extra (not on a fresh Debian: curl, git, nginx…) comes with the apt-get line: named there,
    or a dependency of a package named there."""
    commands = guide_commands()
    [install] = [c for c in commands if c.startswith("apt-get install -y ")]
    named = set(install.removeprefix("apt-get install -y ").split())
    programs = set()
    for command in commands:
        words = command.split()
        while words and re.match(r"^[A-Z_]+=", words[0]):  # HOST=… sets a variable
            words = words[1:]
        if words[:1] == ["runuser"] and "--" in words:
            words = words[words.index("--") + 1 :]
        if words and not words[0].startswith((".", "/")):
            programs.add(words[0])
    assert {"curl", "openssl", "git", "nginx"} <= programs
    # What the named packages bring with them (their dependencies, as apt installs them).
    closure = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts"]
        + ["--no-breaks", "--no-replaces", "--no-enhances", *sorted(named)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {line.strip("<>") for line in closure.splitlines() if line and not line[0].isspace()}
    for program in sorted(programs):
        found = _debian_package(program)
        if found is not None and found[1] in ("optional", "extra"):
            assert found[0] in installed, f"{program} (Debian package {found[0]}) is not in: {install}"


# -- the machine ---------------------------------------------------------------------------------------


class Machine:
    """The temporary machine the guide is run on, and what runs on it."""

    def __init__(self, root: Path, ca: TestCA, smtp_port: int):
        self.root = root
        self.ca = ca
        self.smtp_port = smtp_port
        self.checkout = PROJECT_ROOT
        self.clone = root / "clone"
        self.cwd = root
        self.shell_env: dict[str, str] = {}
        self.http_port, self.https_port, self.web_port = free_port(), free_port(), free_port()
        self.url = f"https://{HOST}:{self.https_port}"
        self.tag = "antragsweg_guide_" + uuid.uuid4().hex[:8]  # PostgreSQL role and database
        self.pg = urlsplit(PG_BASE.replace("postgresql+psycopg://", "postgresql://"))
        self.nginx: NginxProcess | None = None
        self.nginx_configured = False
        self.running: dict[str, tuple[subprocess.Popen, object]] = {}  # long-running units
        self.timers: set[str] = set()
        self.outputs: dict[str, list[str]] = {}
        for folder in ("etc", "var/lib", "var/cache", "srv"):
            (root / folder).mkdir(parents=True, exist_ok=True)

    # where things are -----------------------------------------------------------------------------

    def path(self, text: str) -> str:
        """The machine's paths in a command or file, moved to this machine."""
        text = text.replace("/srv/antragsweg", str(self.checkout))
        return re.sub(r"(?<![\w./-])/(etc|var)/", lambda m: f"{self.root}/{m.group(1)}/", text)

    def etc(self, *parts: str) -> Path:
        return self.root.joinpath("etc", *parts)

    @property
    def env_file(self) -> Path:
        return self.etc("antragsweg", "antragsweg.env")

    def base_env(self) -> dict[str, str]:
        """What systemd gives a unit before its own settings: a plain PATH, no ANTRAGSWEG_*."""
        return {
            "PATH": os.environ["PATH"],
            "LANG": "C.UTF-8",
            "HOME": str(self.root / "var" / "lib" / "antragsweg"),
        }

    def sh(self, command: str, *, cwd: Path | None = None, stdin: str | None = None, env=None):
        completed = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=cwd or self.cwd,
            env=(env or os.environ) | self.shell_env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert completed.returncode == 0, (command, completed.stdout, completed.stderr)
        return completed

    # PostgreSQL ------------------------------------------------------------------------------------

    def pg_env(self) -> dict[str, str]:
        return os.environ | {
            "PGHOST": self.pg.hostname or "127.0.0.1",
            "PGPORT": str(self.pg.port or 5432),
            "PGUSER": self.pg.username or "postgres",
        }

    def database_url(self) -> str:
        return f"postgresql+psycopg://{self.tag}@{self.pg.hostname}:{self.pg.port or 5432}/{self.tag}"

    def drop_database(self) -> None:
        for command in (
            ["dropdb", "--if-exists", "--force", self.tag],
            ["dropuser", "--if-exists", self.tag],
        ):
            subprocess.run(command, env=self.pg_env(), capture_output=True, check=False)

    # units -----------------------------------------------------------------------------------------

    def unit(self, name: str):
        path = self.etc("systemd", "system", name)
        assert path.exists(), f"{name} is not installed in /etc/systemd/system"
        return read_unit(path)

    def unit_env(self, service) -> dict[str, str]:
        env = self.base_env()
        env |= env_file_settings(Path(self.path(service["EnvironmentFile"])))
        for line in service.get("Environment", "").split("\n"):
            if line.strip():
                key, _, value = line.strip().partition("=")
                env[key] = self.path(value)
        return env

    def prepare(self, service) -> None:
        """The folders systemd makes for a unit (StateDirectory=, CacheDirectory=)."""
        for key, base in (("StateDirectory", "var/lib"), ("CacheDirectory", "var/cache")):
            for name in service.get(key, "").split():
                (self.root / base / name).mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *, first: bool = False) -> None:
        if name.endswith(".timer"):
            self.unit(name)
            self.timers.add(name)
            if first:  # its first elapse, now instead of in five minutes or tonight
                self.run_oneshot(name.removesuffix(".timer") + ".service")
            return
        service = self.unit(name)["Service"]
        if service.get("Type") == "oneshot":
            self.run_oneshot(name)
            return
        # A long-running service: its process runs until the unit is stopped.
        self.prepare(service)
        argv = [self.path(part) for part in shlex.split(service["ExecStart"])]
        web = name == "antragsweg-web.service"
        if web:  # the README's 127.0.0.1:8000 may be taken here; one worker spares the machine
            argv += ["--bind", f"127.0.0.1:{self.web_port}", "--workers", "1"]
        log = open(self.root / f"{name}.log", "a")  # noqa: SIM115 - closed by stop()
        process = subprocess.Popen(
            argv,
            cwd=self.path(service["WorkingDirectory"]),
            env=self.unit_env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_the_suite,  # noqa: PLW1509 - before exec, no locks taken
        )
        self.running[name] = (process, log)
        for _ in range(300):
            assert process.poll() is None, (name, (self.root / f"{name}.log").read_text())
            if not web:
                return
            try:
                requests.get(f"http://127.0.0.1:{self.web_port}/healthz", timeout=1)
                return
            except requests.RequestException:
                subprocess.run(["sleep", "0.1"], check=True)
        raise AssertionError(f"{name} did not start: " + (self.root / f"{name}.log").read_text())

    def run_oneshot(self, name: str) -> None:
        service = self.unit(name)["Service"]
        assert service.get("Type") == "oneshot", name
        self.prepare(service)
        argv = [self.path(part) for part in shlex.split(service["ExecStart"])]
        completed = subprocess.run(
            argv,
            cwd=self.path(service["WorkingDirectory"]),
            env=self.unit_env(service),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert completed.returncode == 0, (name, completed.stdout, completed.stderr)
        self.outputs.setdefault(name, []).append(completed.stdout)

    def stop(self, name: str) -> None:
        if name.endswith(".timer"):
            self.timers.discard(name)
        elif name in self.running:
            process, log = self.running.pop(name)
            process.terminate()
            process.wait(timeout=30)
            log.close()
        else:
            self.unit(name)  # a oneshot that is not running: nothing to stop

    def shutdown(self) -> None:
        for name in list(self.running):
            self.stop(name)
        if self.nginx:
            self.nginx.stop()
        self.drop_database()


# -- the handlers: one per kind of command --------------------------------------------------------------

HANDLERS: list[tuple[re.Pattern, object]] = []


def handles(pattern: str):
    def register(function):
        HANDLERS.append((re.compile(pattern), function))
        return function

    return register


@handles(r"^(HOST|COORDINATOR)=(\S+)$")
def choose(machine: Machine, command: str, match: re.Match) -> None:
    name, value = match.groups()
    if name == "HOST":
        # The README's example name is the one the shipped files carry (the sed replaces it).
        assert value == EXAMPLE_HOST
        value = HOST
    machine.shell_env[name] = value


@handles(r"^apt-get install -y (.+)$")
def install_packages(machine: Machine, command: str, match: re.Match) -> None:
    # Each package must come from this Debian release's archive (asked of apt; a simulation on an
    # empty machine would take 10 s of CPU for npm's 400 dependencies).
    packages = match.group(1).split()
    release = re.search(r"^VERSION_CODENAME=(\w+)$", Path("/etc/os-release").read_text(), flags=re.M).group(1)
    completed = subprocess.run(["apt-cache", "policy", *packages], capture_output=True, text=True, check=True)
    blocks = dict(re.findall(r"^(\S+):\n((?:\s.*\n?)*)", completed.stdout, flags=re.M))
    for package in packages:
        assert re.search(rf"https?://\S*debian\S* {release}\S*/main", blocks.get(package, "")), (
            f"{package} is not in Debian {release}'s archive here (apt-get update?)"
        )
    # The libraries WeasyPrint loads come from packages named here.
    for library in ("libpango-1.0.so.0", "libpangoft2-1.0.so.0", "libharfbuzz-subset.so.0"):
        found = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True, check=False).stdout
        owners = {line.split(":")[0] for line in found.splitlines()}
        assert owners & set(packages), f"{library} comes from {owners}, which apt-get does not install"
    # What the packages would have put on the machine, as far as later commands need it.
    debian_nginx_conf(machine.root)  # with Debian's default site enabled
    for folder in ("ssl/certs", "ssl/private", "systemd/system"):
        machine.etc(*folder.split("/")).mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        "/usr/lib/systemd/system", machine.root / "usr" / "lib" / "systemd" / "system", symlinks=True
    )


@handles(r"^git clone (\S+) /srv/antragsweg$")
def clone(machine: Machine, command: str, match: re.Match) -> None:
    # The suite's own repository stands in for the address (a real clone: what is committed).
    machine.sh(f"git clone --quiet {shlex.quote(str(PROJECT_ROOT))} {machine.clone}")
    for name in (
        "wsgi.py",
        "Makefile",
        "setup.cfg",
        "deploy/gunicorn.conf.py",
        "deploy/nginx/antragsweg.conf",
    ):
        assert (machine.clone / name).exists(), f"{name} is not committed"


@handles(r"^cd /srv/antragsweg$")
def change_directory(machine: Machine, command: str, match: re.Match) -> None:
    machine.cwd = machine.checkout


@handles(r"^make install$")
def make_install(machine: Machine, command: str, match: re.Match) -> None:
    # In the suite's checkout, which `make setup` (run by `make test`) installed the same way.
    machine.sh("make --no-print-directory install")
    assert (machine.checkout / ".venv" / "bin" / "gunicorn").exists()


@handles(r"^systemd-sysusers$")
def create_account(machine: Machine, command: str, match: re.Match) -> None:
    machine.sh(f"systemd-sysusers --root={machine.root}")  # reads the root's /etc/sysusers.d
    passwd = machine.etc("passwd").read_text()
    assert re.search(
        r"^antragsweg:x:\d+:\d+:[^:]*:/var/lib/antragsweg:/usr/sbin/nologin$", passwd, flags=re.M
    )


@handles(r"^runuser -u postgres -- (createuser|createdb)( --owner antragsweg)? antragsweg$")
def create_database(machine: Machine, command: str, match: re.Match) -> None:
    owner = ["--owner", machine.tag] if match.group(2) else []
    completed = subprocess.run(
        [match.group(1), *owner, machine.tag],
        env=machine.pg_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr


@handles(r"^install (-[dD] )?-m (0\d{3}) (?:-o antragsweg )?(?:-g antragsweg )?(.+)$")
def install_files(machine: Machine, command: str, match: re.Match) -> None:
    directory, mode, paths = match.groups()
    machine.sh(f"install {directory or ''}-m {mode} {machine.path(paths)}")
    target = Path(machine.path(paths.split()[-1]))
    assert oct(target.stat().st_mode & 0o777) == oct(int(mode, 8))
    if target == machine.env_file:
        # This machine's database, folders, mail server and HTTPS port, before the guide's own
        # edits (the host name, the secret key) follow.
        text = target.read_text()
        for pattern, value in (
            (r"^ANTRAGSWEG_DATABASE_URL=.*$", f"ANTRAGSWEG_DATABASE_URL={machine.database_url()}"),
            (
                r"^ANTRAGSWEG_INSTANCE_PATH=/var/lib/antragsweg$",
                "ANTRAGSWEG_INSTANCE_PATH=" + machine.path("/var/lib/antragsweg"),
            ),
            (r"^ANTRAGSWEG_MAIL_PORT=25$", f"ANTRAGSWEG_MAIL_PORT={machine.smtp_port}"),
            (
                rf"^ANTRAGSWEG_BASE_URL=https://{re.escape(EXAMPLE_HOST)}$",
                f"ANTRAGSWEG_BASE_URL=https://{EXAMPLE_HOST}:{machine.https_port}",
            ),
        ):
            text, count = re.subn(pattern, value, text, flags=re.M)
            assert count == 1, pattern
        target.write_text(text)


@handles(r"^(echo|sed|cp|ln|rm|ls) ")
def file_command(machine: Machine, command: str, match: re.Match) -> None:
    completed = machine.sh(machine.path(command))
    if match.group(1) == "ls":
        assert "antragsweg-" in completed.stdout, completed.stdout  # the backups are there


@handles(r"^runuser -u antragsweg -- \.venv/bin/flask --env-file (\S+) --app wsgi (\S+)(.*)$")
def flask_command(machine: Machine, command: str, match: re.Match) -> None:
    env_file, name, rest = match.groups()
    flask = f".venv/bin/flask --env-file {machine.path(env_file)} --app wsgi"
    if name == "restore":  # work done after the newest backup, which the restore must undo
        sql(machine, "UPDATE users SET name = 'nach der Sicherung geändert'")
    stdin = f"{PASSWORD}\n{PASSWORD}\n" if name == "create-alliance" else None
    completed = machine.sh(f"{flask} {name}{machine.path(rest)}", stdin=stdin, env=machine.base_env())
    machine.outputs.setdefault(name, []).append(completed.stdout)
    if name == "restore":
        coordinator = machine.shell_env["COORDINATOR"]
        assert sql(machine, "SELECT email, name FROM users") == [(coordinator, coordinator)]


def sql(machine: Machine, statement: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(machine.database_url().replace("+psycopg", "")) as connection:
        cursor = connection.execute(statement)
        return cursor.fetchall() if cursor.description else []


@handles(r"^openssl req .* -out (\S+) .*$")
def certificate_request(machine: Machine, command: str, match: re.Match) -> None:
    machine.sh(machine.path(command))
    # The CA's part: it signs the request; the chain goes where https.conf expects it.
    https = machine.etc("nginx", "antragsweg", "https.conf").read_text()
    (chain,) = re.findall(r"^ssl_certificate (\S+);", https, flags=re.M)
    machine.ca.issue(Path(machine.path(match.group(1))), Path(machine.path(chain)), (HOST,))


def configure_nginx(machine: Machine) -> None:
    """The installed machine files with this machine's ports, checkout and certificate paths."""
    folder = machine.etc("nginx", "antragsweg")
    https = (folder / "https.conf").read_text()
    (certificate,) = re.findall(r"^ssl_certificate (\S+);", https, flags=re.M)
    (key,) = re.findall(r"^ssl_certificate_key (\S+);", https, flags=re.M)
    files = machine_files(
        upstreams=[f"http://127.0.0.1:{machine.web_port}"],
        host=HOST,
        http_port=machine.http_port,
        https_port=machine.https_port,
        certificate=Path(machine.path(certificate)),
        key=Path(machine.path(key)),
        source=folder,
        named=HOST,
    )
    for name, text in files.items():
        (folder / name).write_text(text)
    machine.nginx_configured = True


@handles(r"^nginx -t$")
def nginx_test(machine: Machine, command: str, match: re.Match) -> None:
    require_nginx()
    if not machine.nginx_configured:
        configure_nginx(machine)
    main = machine.etc("nginx", "nginx.conf")  # Debian's, as installed
    completed = subprocess.run(
        [NGINX, "-t", "-p", str(machine.root), "-c", str(main), "-e", str(machine.root / "nginx-error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0 and not nginx_warnings(completed.stderr), completed.stderr


@handles(r"^systemctl reload nginx$")
def nginx_reload(machine: Machine, command: str, match: re.Match) -> None:
    if machine.nginx is None:  # the first time: nginx starts with the sites enabled so far
        prefix = machine.root / "nginx"
        prefix.mkdir()
        conf = machine.etc("nginx", "nginx-suite.conf")  # beside nginx.conf: same relative includes
        conf.write_text(main_conf(prefix, str(machine.etc("nginx", "sites-enabled")) + "/*"))
        machine.nginx = NginxProcess(prefix, conf, machine.url, machine.ca.cert).start()
    else:
        machine.nginx.reload()


@handles(r"^systemctl daemon-reload$")
def daemon_reload(machine: Machine, command: str, match: re.Match) -> None:
    # No systemd to re-read the units: systemd's own check of them, as installed, instead.
    installed = sorted(machine.etc("systemd", "system").glob("antragsweg-*"))
    assert installed, "no units installed"
    stub_root = machine.root / "verify"
    if stub_root.exists():
        shutil.rmtree(stub_root)
    shutil.copytree(machine.root / "usr", stub_root / "usr", symlinks=True)
    shutil.copytree(machine.etc("systemd"), stub_root / "etc" / "systemd", symlinks=True)
    stub_programs(stub_root, installed)
    completed = subprocess.run(
        ["systemd-analyze", "verify", f"--root={stub_root}", *[p.name for p in installed]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0 and not (completed.stdout + completed.stderr).strip(), completed.stderr


@handles(r"^systemctl enable --now (.+)$")
def enable_units(machine: Machine, command: str, match: re.Match) -> None:
    units = match.group(1).split()
    machine.sh(f"systemctl --root={machine.root} enable {' '.join(units)}")
    for unit in units:
        wanted = read_unit(machine.etc("systemd", "system", unit))["Install"]["WantedBy"]
        assert machine.etc("systemd", "system", f"{wanted}.wants", unit).is_symlink(), unit
    for unit in units:
        machine.start(unit, first=True)


@handles(r"^systemctl (start|stop) (.+)$")
def start_or_stop(machine: Machine, command: str, match: re.Match) -> None:
    for unit in match.group(2).split():
        getattr(machine, match.group(1))(unit)


@handles(r"^curl --fail https://\$HOST/(\S*)$")
def fetch(machine: Machine, command: str, match: re.Match) -> None:
    completed = machine.sh(
        f"curl --fail --silent --show-error --cacert {machine.ca.cert} {machine.url}/{match.group(1)}"
    )
    if match.group(1) == "readyz":  # the node can serve: database, schema at head, store writable
        assert json.loads(completed.stdout)["status"] == "ready", completed.stdout
    else:
        assert completed.stdout.strip() == "ok"


@handles(r"^git pull --ff-only$")
def pull(machine: Machine, command: str, match: re.Match) -> None:
    # In the clone, whose origin is the suite's repository: the update a release brings.
    completed = machine.sh(command, cwd=machine.clone)
    assert "Already up to date" in completed.stdout or "Fast-forward" in completed.stdout, completed.stdout


def handler_for(command: str):
    found = [(pattern, function) for pattern, function in HANDLERS if pattern.search(command)]
    assert found, f"README: no test runs this command yet (add a handler in {__file__}): {command}"
    assert len(found) == 1, (command, [f.__name__ for _, f in found])
    pattern, function = found[0]
    return function, pattern.search(command)


# -- the test ---------------------------------------------------------------------------------------------


def test_every_command_of_the_guide_has_a_handler_and_every_handler_a_command():
    used = {handler_for(command)[0].__name__ for command in guide_commands()}
    unused = {function.__name__ for _, function in HANDLERS} - used
    assert not unused, f"handlers for commands the README no longer has: {sorted(unused)}"


@pytest.fixture
def postgres():
    try:
        import psycopg

        psycopg.connect(
            PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres", connect_timeout=3
        ).close()
    except Exception as error:  # noqa: BLE001 - any reason it is not there
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"PostgreSQL at {PG_BASE} is unreachable; CI needs the administrators' guide run ({error})"
            )
        pytest.skip(f"PostgreSQL at {PG_BASE} is unreachable")


def test_the_administrators_guide_runs_from_top_to_bottom(tmp_path, test_ca, live_smtp, postgres):
    require_nginx()
    machine = Machine(tmp_path / "machine", test_ca, live_smtp.port)
    try:
        for command in guide_commands():
            function, match = handler_for(command)
            function(machine, command, match)
            if function is enable_units:  # the service as a person reaches it, right after starting
                check_the_running_service(machine)
        check_the_restore_and_the_backups(machine)
    finally:
        machine.shutdown()


def check_the_running_service(machine: Machine) -> None:
    verify = str(machine.ca.cert)
    plain = requests.get(f"http://{HOST}:{machine.http_port}/anmelden", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"] == f"{machine.url}/anmelden"
    session = requests.Session()
    page = session.get(f"{machine.url}/anmelden", verify=verify, timeout=30)
    assert page.status_code == 200 and "Strict-Transport-Security" in page.headers
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{machine.url}/anmelden",
        data={"csrf_token": token, "email": machine.shell_env["COORDINATOR"], "password": PASSWORD},
        headers={"Referer": f"{machine.url}/anmelden"},
        verify=verify,
        allow_redirects=False,
        timeout=60,
    )
    # The coordinator made by create-alliance signs in; the second factor is next.
    assert response.status_code == 302 and response.headers["Location"] == "/anmelden/zwei-faktor-einrichten"
    assert "Sicherung geschrieben" in machine.outputs["antragsweg-backup.service"][0]


def check_the_restore_and_the_backups(machine: Machine) -> None:
    """The restore brought back the state of the newest archive; the upgrade's backup is there."""
    backups = sorted(machine.root.joinpath("var", "lib", "antragsweg", "backups").glob("antragsweg-*.tar.gz"))
    assert len(backups) >= 2  # the first night's (timer) and the upgrade's
    with tarfile.open(backups[-1]) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
    assert manifest["rows"]["users"] == 1 and manifest["dialect"] == "postgresql"
    assert "Wiederhergestellt: " in machine.outputs["restore"][0]
