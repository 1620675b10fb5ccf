"""Defaults in code. Overridden by instance/config.py, then by ANTRAGSWEG_* environment variables."""

from datetime import timedelta


class Defaults:
    # Relative SQLite paths resolve inside the instance folder (see create_app).
    DATABASE_URL = "sqlite:///antragsweg.sqlite3"
    SECRET_KEY = None  # generated into instance/secret_key on first start when not configured
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    TIMEZONE = "Europe/Berlin"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (instance/config.py or environment)
    REMEMBER_COOKIE_SECURE = False  # likewise (Flask-Login's cookie, should one be set)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    # argon2id cost (argon2-cffi's RFC 9106 low-memory profile); tests lower it to stay fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    # Mail (SMTP). Without MAIL_SERVER, mail waits in the outbox (nothing is lost).
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SENDER = "Antragsweg <antragsweg@localhost>"
    MAIL_TIMEOUT = 10
    # Links mailed to people: how long each stays valid (seconds); each works once.
    CONFIRM_LINK_MAX_AGE = 3 * 24 * 3600
    INVITE_LINK_MAX_AGE = 7 * 24 * 3600
    RESET_LINK_MAX_AGE = 2 * 3600
    SIGN_IN_LINK_MAX_AGE = 15 * 60
    # How the app is reached from outside: every absolute address it hands out (links in mails,
    # calendar feeds, webhook cards, the OpenAPI document's server) starts with it, never with
    # the Host a request names.
    BASE_URL = "http://127.0.0.1:5000"
    # Reverse proxies in front of the app (nginx: 1). Only that many X-Forwarded-For/-Proto/-Host
    # values are believed (werkzeug's ProxyFix); 0 believes none, whatever a client sends.
    TRUSTED_PROXIES = 0
    # Where uploaded documents, statements and letters are kept (services/storage.py): "folder"
    # (DOCUMENT_STORAGE, default instance/documents: one node) or "database" (the bytes in the
    # database: every node behind the proxy reads them). `flask move-documents --to …` moves them.
    DOCUMENT_STORE = "folder"
    DOCUMENT_STORAGE = None
    # Login throttling: failures counted over a window, per account and per address.
    LOGIN_THROTTLE_MINUTES = 15
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    # Roles that must use a second factor (TOTP); others may enable it on their account page.
    TOTP_REQUIRED_ROLES = ("coordinator",)
    TOTP_ISSUER = "Antragsweg"
    # Who hears about accessibility barriers (BITV 2.0 feedback contact).
    ACCESSIBILITY_CONTACT = "barrierefreiheit@fachkraefteallianz-non.de"
    # GDPR: decision records are kept this many years after the end of the funding period.
    DATA_RETENTION_YEARS = 10
    # Benchmarks only: report each request's SQL statement count in an X-Query-Count header.
    QUERY_COUNT_HEADER = False
    # Operations. ENV "production" (ANTRAGSWEG_ENV, set by the systemd unit) refuses to start with
    # a configuration that would lose data or leak (workflow/production.py); anything else is
    # development, as `make run` and the tests. Logs are JSON lines on stderr at LOG_LEVEL.
    ENV = "development"
    LOG_LEVEL = "INFO"
    # /metrics (Prometheus) is served only to these addresses or networks (e.g. ["127.0.0.1"]) or
    # with `Authorization: Bearer <METRICS_TOKEN>`; with neither set it is not served at all.
    METRICS_ALLOWED_ADDRESSES = ()
    METRICS_TOKEN = None
    # Error reports to Sentry (or a compatible service) when set; personal data is scrubbed.
    SENTRY_DSN = None
    # Webhooks: seconds to wait for a receiver; internal addresses (loopback, private networks) are
    # refused as targets unless allowed here (tests use a receiver on loopback).
    WEBHOOK_TIMEOUT = 10
    WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    # Where the front-end packages installed by npm live (served under /assets, never from a CDN).
    NODE_MODULES = None  # default: node_modules beside the package
    # Electronic signatures (PAdES) of statements and letters, services/signing.py. The private key
    # of each alliance's certificate is stored in the database encrypted (AES-256-GCM) with a key
    # derived from SIGNING_KEY_SECRET; without it, the secret is generated into
    # instance/signing_key_secret on first use (keep it with the configuration, not the backups).
    SIGNING_KEY_SECRET = None
    # Trust roots for verification: files (PEM/DER, several certificates per file allowed) or folders
    # of them; default instance/trust-roots.
    SIGNING_TRUST_ROOTS = None
    # A timestamp authority (RFC 3161): with one, signatures are PAdES B-T instead of B-B.
    SIGNING_TSA_URL = None
    SIGNING_TSA_TIMEOUT = 10
    # A TrueType font for the visible signature field (embedded, as PDF/A wants); default: the
    # document font found by fontconfig (Liberation Sans, else DejaVu Sans).
    SIGNATURE_FONT = None
    # The public authenticity page (/echtheit): upload limit and checks per address and window.
    AUTHENTICITY_MAX_BYTES = 10 * 1024 * 1024
    AUTHENTICITY_THROTTLE_MINUTES = 15
    AUTHENTICITY_CHECKS_PER_ADDRESS = 30
