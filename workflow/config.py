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
    # How the app is reached from outside (links in mails and calendar feeds).
    BASE_URL = "http://127.0.0.1:5000"
    # Uploaded documents (default: instance/documents).
    DOCUMENT_STORAGE = None
    # Webhooks: seconds to wait for a receiver; internal addresses (loopback, private networks) are
    # refused as targets unless allowed here (tests use a receiver on loopback).
    WEBHOOK_TIMEOUT = 10
    WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    # Where the front-end packages installed by npm live (served under /assets, never from a CDN).
    NODE_MODULES = None  # default: node_modules beside the package
