"""Production mode: with `ANTRAGSWEG_ENV=production` (set by the systemd unit) the app refuses to
start with a configuration that would lose data, leak or lock everyone out, and says why in German.

`create_app` runs the checks of the configuration itself (every process: gunicorn's workers and
each `flask --app wsgi …` command); gunicorn's configuration (deploy/gunicorn.conf.py) runs
`python -m workflow.production --workers N` in its master before any worker boots, which adds the
check that needs the number of workers. A refusal exits with EXIT_CODE, never a half-started server.
"""

from __future__ import annotations

import argparse
import hmac
import sys
from collections.abc import Mapping
from pathlib import Path

from workflow.config import Defaults

# gunicorn's "App failed to load": a worker exiting with it stops the whole server (any other code
# would make gunicorn start the worker again and again).
EXIT_CODE = 4
MIN_SECRET_KEY_LENGTH = 32
GENERATE_KEY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


class ConfigurationError(RuntimeError):
    """The configuration is not fit for production; `problems` names each reason in German."""

    def __init__(self, problems: list[str], config: Mapping | None = None):
        self.problems = problems
        self.config = config or {}
        super().__init__(self.report())

    def report(self) -> str:
        lines = "\n".join(f"  – {problem}" for problem in self.problems)
        return (
            "Antragsweg startet nicht: die Konfiguration ist für den Produktionsbetrieb "
            f"(ANTRAGSWEG_ENV=production) nicht geeignet.\n{lines}\n"
            "Bitte in /etc/antragsweg/antragsweg.env (oder instance/config.py) korrigieren und neu starten.\n"
        )


def is_production(config: Mapping) -> bool:
    return str(config.get("ENV") or "").strip().lower() == "production"


def problems(config: Mapping, instance_path: str | Path) -> list[str]:
    """Every reason why this configuration must not serve in production."""
    found: list[str] = []
    key = config.get("SECRET_KEY")
    development_key = Path(instance_path) / "secret_key"
    if not key:
        found.append(
            "SECRET_KEY ist nicht gesetzt. Legen Sie einen zufälligen Schlüssel als ANTRAGSWEG_SECRET_KEY "
            f"fest, z. B. erzeugt mit {GENERATE_KEY}."
        )
    elif development_key.is_file() and hmac.compare_digest(
        development_key.read_text().strip().encode(), str(key).strip().encode()
    ):
        found.append(
            "SECRET_KEY ist der beim Entwickeln erzeugte Schlüssel aus instance/secret_key. Legen Sie einen "
            f"eigenen fest (z. B. {GENERATE_KEY}) und löschen Sie instance/secret_key."
        )
    elif len(str(key)) < MIN_SECRET_KEY_LENGTH:
        found.append(f"SECRET_KEY ist zu kurz: mindestens {MIN_SECRET_KEY_LENGTH} zufällige Zeichen.")
    signing_secret = str(config.get("SIGNING_KEY_SECRET") or "")
    if len(signing_secret) < MIN_SECRET_KEY_LENGTH:
        # Without it each node generates its own into its instance folder: a second node, or a
        # restore on a new machine, could not decrypt the alliances' signing keys.
        found.append(
            "SIGNING_KEY_SECRET ist nicht gesetzt oder kürzer als "
            f"{MIN_SECRET_KEY_LENGTH} Zeichen: damit sind die Schlüssel der Signaturzertifikate "
            "verschlüsselt, und jeder Knoten (und jede Wiederherstellung) braucht denselben. Legen Sie "
            f"einen fest (z. B. {GENERATE_KEY}) und bewahren Sie ihn bei der Konfiguration auf, nicht bei "
            "den Sicherungen."
        )
    store = config.get("DOCUMENT_STORE") or "folder"
    if store not in ("folder", "database"):
        found.append(
            f"DOCUMENT_STORE ist {store!r}: erlaubt sind \"folder\" (ein Knoten) und \"database\" (die "
            "Dokumente in der Datenbank, für mehrere Knoten). Kein Dokument ließe sich speichern oder laden."
        )
    if config.get("DEBUG"):
        found.append(
            "DEBUG ist eingeschaltet (ANTRAGSWEG_DEBUG oder FLASK_DEBUG): Fehlerseiten zeigten Quelltext "
            "und Einstellungen. Im Produktionsbetrieb abschalten."
        )
    if config.get("TESTING"):
        found.append(
            "TESTING ist eingeschaltet: das ist nur für die Testsuite. Im Produktionsbetrieb abschalten."
        )
    base_url = str(config.get("BASE_URL") or "")
    secure_cookies = bool(config.get("SESSION_COOKIE_SECURE") or config.get("REMEMBER_COOKIE_SECURE"))
    if not base_url or base_url == Defaults.BASE_URL:
        found.append(
            f"BASE_URL ist nicht gesetzt (Voreinstellung {Defaults.BASE_URL}): Links in E-Mails und "
            "Kalendern zeigten dorthin. Setzen Sie die öffentliche Adresse, z. B. https://antragsweg.example.de."
        )
    elif base_url.startswith("http://") and secure_cookies:
        found.append(
            "BASE_URL beginnt mit http://, die Cookies sind aber als Secure markiert "
            "(SESSION_COOKIE_SECURE/REMEMBER_COOKIE_SECURE): der Browser schickte sie über diese Adresse "
            "nie zurück, niemand könnte sich anmelden. Setzen Sie die https://-Adresse des Proxys."
        )
    elif base_url.startswith("https://") and not config.get("SESSION_COOKIE_SECURE"):
        found.append(
            "BASE_URL beginnt mit https://, SESSION_COOKIE_SECURE ist aber aus: das Sitzungscookie ginge "
            "auch über unverschlüsseltes http. Setzen Sie ANTRAGSWEG_SESSION_COOKIE_SECURE=true."
        )
    if not config.get("MAIL_SERVER"):
        found.append(
            "E-Mail ist nicht eingerichtet (MAIL_SERVER): Bestätigungslinks, Einladungen und Erinnerungen "
            "blieben für immer in der Warteschlange."
        )
    elif str(config.get("MAIL_SENDER") or "") == Defaults.MAIL_SENDER:
        found.append(
            f"MAIL_SENDER ist noch die Voreinstellung ({Defaults.MAIL_SENDER}): Mailserver weisen solche "
            "Absender ab. Setzen Sie die Absenderadresse der Allianz."
        )
    return found


def worker_problems(config: Mapping, workers: int) -> list[str]:
    """What gunicorn's master knows and the app does not: how many worker processes will serve."""
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or config.get("DATABASE_URL") or "")
    if workers > 1 and url.startswith("sqlite"):
        return [
            f"Die Datenbank ist SQLite, gunicorn startet aber {workers} Worker-Prozesse: gleichzeitige "
            "Schreibzugriffe warteten aufeinander oder schlügen fehl. Nutzen Sie PostgreSQL "
            "(ANTRAGSWEG_DATABASE_URL) oder einen einzigen Worker (WEB_CONCURRENCY=1)."
        ]
    return []


def check(app) -> None:
    """Called by create_app once the configuration is read; raises ConfigurationError."""
    if is_production(app.config):
        found = problems(app.config, app.instance_path)
        if found:
            raise ConfigurationError(found, app.config)


def main(argv: list[str] | None = None) -> int:
    """`python -m workflow.production --workers N`: the checks gunicorn's master runs before any
    worker boots. Prints the reasons and returns EXIT_CODE, or returns 0 when all is well."""
    parser = argparse.ArgumentParser(prog="python -m workflow.production")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    from workflow import create_app

    try:
        config, found = create_app().config, []
    except ConfigurationError as error:
        config, found = error.config, error.problems
    if is_production(config):
        found = found + worker_problems(config, args.workers)
    if found:
        sys.stderr.write(ConfigurationError(found).report())
        return EXIT_CODE
    return 0


if __name__ == "__main__":
    from workflow.production import main as _main  # the package's module, not a second copy

    sys.exit(_main())
