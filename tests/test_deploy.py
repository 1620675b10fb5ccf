"""What deploy/ ships cannot rot: nginx accepts the site file inside Debian's own nginx.conf,
systemd verifies every unit in deploy/systemd/ (whoever added it) on a machine root where the
commands exist, the units follow the conventions and run commands the app has, the environment
file names only settings the app knows, and the nightly backup really rotates."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests import stored
from tests.deploy_files import (
    APP_ROOT,
    DEPLOY,
    UNITS,
    env_file_settings,
    exec_start,
    read_unit,
    stub_programs,
    unit_files,
)
from tests.nginx import (
    GUNICORN_CONF,
    MACHINE,
    NGINX,
    SITE,
    TestCA,
    debian_nginx_conf,
    nginx_warnings,
    require_nginx,
)
from workflow import PROJECT_ROOT
from workflow.config import Defaults
from workflow.models.types import utcnow
from workflow.services.backup import ARCHIVE_NAME

SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze"
READ_BEFORE_THE_CONFIG = {"INSTANCE_PATH"}  # create_app reads it to find instance/config.py


def debian_nginx(root: Path, certificate: Path, key: Path) -> Path:
    """Debian's /etc/nginx under `root`, the site linked into sites-enabled in place of Debian's
    default site, and the four machine files as shipped, with the certificate of this test.
    Returns its nginx.conf."""
    main = debian_nginx_conf(root)
    etc = main.parent
    (etc / "sites-enabled" / "default").unlink(missing_ok=True)
    (etc / "sites-enabled" / "antragsweg.conf").symlink_to(SITE)
    shutil.copytree(MACHINE, etc / "antragsweg")
    https = etc / "antragsweg" / "https.conf"
    https.write_text(
        re.sub(
            r"^ssl_certificate_key .*;",
            f"ssl_certificate_key {key};",
            re.sub(r"^ssl_certificate .*;", f"ssl_certificate {certificate};", https.read_text(), flags=re.M),
            flags=re.M,
        )
    )
    return main


def test_nginx_accepts_the_site_file_inside_debians_nginx_conf(tmp_path):
    require_nginx()
    certificate, key = TestCA(tmp_path / "ca").server_certificate(
        tmp_path / "tls", ("antragsweg.example.org",)
    )
    main = debian_nginx(tmp_path / "machine", certificate, key)
    completed = subprocess.run(
        [
            NGINX,
            "-t",
            "-p",
            str(tmp_path / "machine"),
            "-c",
            str(main),
            "-e",
            str(tmp_path / "machine" / "error.log"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "test is successful" in completed.stderr
    assert not nginx_warnings(completed.stderr), completed.stderr
    # The include really is the shipped file, and what it includes are the shipped machine files.
    assert (main.parent / "sites-enabled" / "antragsweg.conf").resolve() == SITE
    assert [p.name for p in sorted(MACHINE.glob("*.conf"))] == [
        "http.conf",
        "https.conf",
        "site.conf",
        "upstream.conf",
    ]


# The longest an export of the table takes (100,000 rows, bench/exports.py): nginx and gunicorn
# wait for it with room to spare.
EXPORT_SECONDS = 80


def test_the_exports_may_take_longer_than_nginxs_default_and_stream_unbuffered(app):
    import runpy

    from flask import url_for

    site = SITE.read_text()
    found = re.search(r"location ~ (\S+) \{([^}]*)\}", site)
    assert found, "no location for the exports in the site file"
    pattern, block = found.groups()
    with app.test_request_context():
        exports = [url_for("dashboard.export", fmt=fmt) for fmt in ("csv", "xlsx")]
        table = url_for("dashboard.table")
    assert all(re.search(pattern, path) for path in exports) and not re.search(pattern, table)
    settings = dict(re.findall(r"^\s*(proxy_\w+) ([^;]+);", block, flags=re.M))
    assert settings["proxy_pass"] == "http://antragsweg"
    assert settings["proxy_buffering"] == "off"
    read_timeout = int(settings["proxy_read_timeout"].removesuffix("s"))
    gunicorn_timeout = runpy.run_path(str(GUNICORN_CONF))["timeout"]
    assert read_timeout == gunicorn_timeout >= EXPORT_SECONDS * 1.25
    # Everything else keeps nginx's default: a stuck request ends after a minute.
    assert "proxy_read_timeout" not in site.replace(found.group(0), "")


def test_the_suites_nginx_runs_the_very_site_file(nginx_proxy):
    assert f"include {SITE};" in nginx_proxy.main_conf.read_text()
    assert not nginx_warnings(nginx_proxy.test_config())


# -- systemd ---------------------------------------------------------------------------------------


def systemd_root(root: Path) -> Path:
    """A machine root for `systemd-analyze verify --root`: systemd's own units, the account
    (deploy/sysusers.d), the environment file, and every program the units name (the app's in
    /srv/antragsweg/.venv/bin as stand-ins; the system's must exist on this machine)."""
    (root / "usr" / "lib" / "systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    units = root / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    for unit in unit_files():
        shutil.copy(unit, units / unit.name)
    subprocess.run(
        ["systemd-sysusers", f"--root={root}", str(DEPLOY / "sysusers.d" / "antragsweg.conf")],
        check=True,
        capture_output=True,
    )
    (root / "etc" / "antragsweg").mkdir()
    shutil.copy(DEPLOY / "antragsweg.env", root / "etc" / "antragsweg" / "antragsweg.env")
    stub_programs(root, unit_files())
    return units


def verify(root: Path, names: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", f"--root={root}", *names], capture_output=True, text=True, check=False
    )


def test_systemd_verifies_every_unit_in_deploy_without_a_word(tmp_path):
    if not Path(SYSTEMD_ANALYZE).exists():
        pytest.skip("systemd-analyze is not installed")
    units = systemd_root(tmp_path / "root")
    names = [unit.name for unit in unit_files()]
    assert {"antragsweg-web.service", "antragsweg-tick.timer", "antragsweg-backup.timer"} <= set(names)
    completed = verify(tmp_path / "root", names)
    assert completed.returncode == 0 and not (completed.stdout + completed.stderr).strip(), (
        completed.stdout + completed.stderr
    )
    # The check hears a mistake: a misspelt key, a program that is not there.
    broken = units / "antragsweg-tick.service"
    broken.write_text(broken.read_text().replace("User=", "Usr=", 1))
    (tmp_path / "root" / "srv" / "antragsweg" / ".venv" / "bin" / "gunicorn").unlink()
    output = verify(tmp_path / "root", ["antragsweg-tick.service", "antragsweg-web.service"])
    assert "Unknown key 'Usr'" in output.stderr + output.stdout
    assert "gunicorn is not executable" in output.stderr + output.stdout


def app_commands(app) -> set[str]:
    return set(app.cli.list_commands(None))


def test_units_follow_the_conventions_and_run_commands_the_app_has(app):
    commands = app_commands(app)
    services = {unit.stem: read_unit(unit) for unit in unit_files() if unit.suffix == ".service"}
    timers = {unit.stem: read_unit(unit) for unit in unit_files() if unit.suffix == ".timer"}
    for name, unit in services.items():
        service = unit["Service"]
        assert name.startswith("antragsweg-"), name
        assert service["User"] == "antragsweg", name
        assert service["WorkingDirectory"] == APP_ROOT, name
        assert service["EnvironmentFile"] == "/etc/antragsweg/antragsweg.env", name
        argv = exec_start(f"{name}.service", root=APP_ROOT)
        assert argv[0].startswith(f"{APP_ROOT}/.venv/bin/"), name
        if argv[0].endswith("/flask"):
            assert argv[1:3] == ["--app", "wsgi"] and argv[3] in commands, (name, argv)
        elif argv[0].endswith("/gunicorn"):
            assert argv[1:3] == ["-c", f"{APP_ROOT}/deploy/gunicorn.conf.py"] and argv[-1] == "wsgi:app", argv
        # Started at boot, or by its timer.
        assert unit.has_section("Install") or name in timers, f"{name}: neither [Install] nor a timer"
    for name, unit in timers.items():
        assert name in services, f"{name}.timer has no {name}.service"
        assert unit["Install"]["WantedBy"] == "timers.target", name


@pytest.mark.parametrize(
    ("timer", "normalized", "step"),
    [
        ("antragsweg-tick.timer", "*-*-* *:00/5:00", timedelta(minutes=5)),
        ("antragsweg-backup.timer", "*-*-* 02:30:00", timedelta(days=1)),
    ],
)
def test_the_timers_run_tick_every_five_minutes_and_the_backup_nightly(timer, normalized, step):
    calendar = read_unit(UNITS / timer)["Timer"]["OnCalendar"]
    completed = subprocess.run(
        [SYSTEMD_ANALYZE, "calendar", "--iterations=3", calendar],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"TZ": "UTC"},
    )
    assert re.search(rf"Normalized form: {re.escape(normalized)}$", completed.stdout, flags=re.M), (
        completed.stdout
    )
    times = re.findall(r"(?:Next elapse|Iter\. #\d+): \w{3} (\S+ \S+) UTC", completed.stdout)
    moments = [datetime.fromisoformat(t) for t in times]
    assert len(moments) == 3 and all(b - a == step for a, b in zip(moments, moments[1:], strict=False))


def test_gunicorn_accepts_its_configuration_with_the_app(tmp_path):
    completed = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn"),
            "--check-config",
            "-c",
            str(GUNICORN_CONF),
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=os.environ | {"ANTRAGSWEG_INSTANCE_PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# -- the environment file ------------------------------------------------------------------------


def test_the_environment_file_names_only_settings_the_app_has_with_their_types():
    settings = env_file_settings()
    assert settings, "deploy/antragsweg.env is empty"
    for key, value in settings.items():
        assert key.startswith("ANTRAGSWEG_"), key
        name = key.removeprefix("ANTRAGSWEG_")
        if name in READ_BEFORE_THE_CONFIG:
            continue
        assert hasattr(Defaults, name), f"deploy/antragsweg.env: {key} is no setting of workflow/config.py"
        default = getattr(Defaults, name)
        try:
            parsed = json.loads(value)  # as Flask's from_prefixed_env reads it
        except json.JSONDecodeError:
            parsed = value
        if default is not None:
            assert type(parsed) is type(default), (key, value, type(default))
    assert settings["ANTRAGSWEG_BASE_URL"].startswith("https://")
    assert json.loads(settings["ANTRAGSWEG_TRUSTED_PROXIES"]) == 1


# -- the nightly backup and its rotation -------------------------------------------------------------


def test_backup_into_a_folder_deletes_only_its_archives_older_than_the_days_kept(app, world, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    now = utcnow()
    ages = {20: True, 15: True, 14.01: True, 13.9: False, 1: False}  # days → deleted?
    old = {days: folder / ARCHIVE_NAME.format(now - timedelta(days=days)) for days in ages}
    for path in old.values():
        path.write_bytes(b"old")
    others = [
        folder / "notizen.txt",
        folder / "antragsweg-handmade.tar.gz",
        folder / "other-2020-01-01T000000Z.tar.gz",
    ]
    for path in others:
        path.write_text("not ours")
    result = app.test_cli_runner().invoke(args=["backup", str(folder), "--keep-days", "14"])
    assert result.exit_code == 0, result.output
    for days, deleted in ages.items():
        assert old[days].exists() is not deleted, days
        assert (f"Alte Sicherung gelöscht: {old[days]}" in result.output) is deleted
    assert all(path.exists() for path in others)
    (new,) = set(folder.glob("antragsweg-*Z.tar.gz")) - set(old.values())
    assert f"Sicherung geschrieben: {new}" in result.output
    assert not list(folder.glob(".*"))  # no partial file left


def test_a_failed_backup_deletes_nothing_and_leaves_no_archive(app, world, tmp_path):
    import io

    from tests.conftest import make_pdf
    from workflow.services import documents

    application = world.application("long_form_draft")
    document = documents.store(
        application,
        "long_form",
        documents.inspect(io.BytesIO(make_pdf(1)), (documents.PDF,)),
        "Langfassung.pdf",
        world.user("applicant-bildungswerk"),
    )
    stored.remove(document.storage_key)  # the archive cannot be completed
    folder = tmp_path / "backups"
    folder.mkdir()
    ancient = folder / ARCHIVE_NAME.format(utcnow() - timedelta(days=400))
    ancient.write_bytes(b"old")
    result = app.test_cli_runner().invoke(args=["backup", str(folder), "--keep-days", "14"])
    assert result.exit_code != 0
    assert list(folder.iterdir()) == [ancient]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--keep-days", "0"], "mindestens 1"), (["--keep-days", "3"], "braucht einen Ordner")],
)
def test_backup_rotation_refuses_what_it_cannot_do(app, world, tmp_path, args, message):
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder if "0" in args else folder / "eine.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(target), *args])
    assert result.exit_code != 0 and message in result.output
    assert list(folder.iterdir()) == []


def test_the_backup_units_command_writes_and_rotates(app, world, live_node, tmp_path):
    """The nightly service's ExecStart as systemd runs it, with the suite's database and a
    temporary folder in place of /var/lib/antragsweg/backups."""
    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / ARCHIVE_NAME.format(utcnow() - timedelta(days=30))
    stale.write_bytes(b"old")
    argv = [
        part.replace("/var/lib/antragsweg/backups", str(folder))
        for part in exec_start("antragsweg-backup.service")
    ]
    assert str(folder) in argv
    completed = subprocess.run(
        argv, cwd=PROJECT_ROOT, env=live_node.env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    (archive,) = folder.glob("antragsweg-*.tar.gz")
    assert archive != stale and not stale.exists()
    import tarfile

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["rows"]["users"] == len(world.people)
