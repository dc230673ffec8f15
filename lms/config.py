"""Configuration classes. Nothing here touches the disk or the environment at
import time: `create_app` reads ``LMS_*`` variables and the instance folder."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event


class Config:
    """Defaults for every environment; each can be overridden by ``LMS_<NAME>``."""

    ENV_NAME = "default"
    DATABASE_URL: str | None = None  # default: SQLite file in the instance folder
    SECRET_KEY: str | None = None  # default: generated once into the instance folder
    ID_ENCRYPTION_KEY: str | None = None  # Fernet key for ID numbers and photos
    REDIS_URL: str | None = None
    BASE_URL = "http://127.0.0.1:5000"
    # Credentials: the key ring folder (default: instance/credential_keys) and the
    # issuer identity, "web" (did:web of BASE_URL, keys published at
    # /.well-known/did.json) or "key" (did:key of the active key: no web server needed,
    # but the issuer id changes at every key rotation)
    SIGNING_KEY_DIR: str | None = None
    CREDENTIAL_ISSUER_DID = "web"
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM = "UnionCadre Academy <noreply@unioncadre.local>"
    SMTP_TIMEOUT = 10
    SMTP_STARTTLS = False
    #: seconds; delivery retries back off 1, 2, 4 … minutes up to this cap
    OUTBOX_MAX_BACKOFF = 3600
    OUTBOX_MAX_ATTEMPTS = 12

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "简体中文", "en": "English"}

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session: long exams stay valid
    # Question files may be 20 MB (lms.questions.formats.base.MAX_FILE_BYTES); 1 MB more
    # for the form around them. Attachment uploads raise it further for authors only.
    MAX_CONTENT_LENGTH = 21 * 1024 * 1024
    PHOTO_MAX_BYTES = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # An exam must never be cut short by an expiring login (RELIABILITY.md 7.3.x).
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    PASSWORD_RESET_MAX_AGE = 3600

    # Exams: a save sent just before the deadline may arrive this much later and
    # still count; candidates may check in this long before the session starts.
    EXAM_SAVE_GRACE_SECONDS = 10
    #: "database": every app server and worker keeps time by the database's clock, so
    #: deadlines agree across machines (lms.clock); "local": this machine's clock
    CLOCK_SOURCE = "database"
    EXAM_CHECK_IN_EARLY_MINUTES = 30
    # Webcam pictures are deleted this long after the exam (review and appeals first).
    EXAM_SNAPSHOT_RETENTION_DAYS = 90
    #: ID photos of people who have not used the platform for this long are deleted
    #: (PIPL art. 19; see lms.accounts.privacy for the exact rule)
    ID_PHOTO_RETENTION_DAYS = 730
    #: where `lms backup` writes when given no --output (default: instance/backups)
    BACKUP_DIR: str | None = None
    #: mark attempts automatically when they finish (a task) and in the exam sweep; off,
    #: only ``flask lms grading mark`` marks them
    GRADING_AUTO_MARK = True

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # A test centre puts a whole class behind one address (NAT): the address limit
    # is generous, and brute force is stopped per account instead.
    LOGIN_RATE_LIMIT = "60 per minute;600 per hour"
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute;30 per hour"
    REGISTER_RATE_LIMIT = "100 per hour"
    PASSWORD_RESET_RATE_LIMIT = "30 per hour"  # noqa: S105 - a rate, not a secret
    # Serials carry 135 random bits, so guessing is hopeless anyway; the limit keeps a
    # scraper from hammering the page (a federation checking a list stays well below).
    VERIFY_RATE_LIMIT = "30 per minute;300 per hour"
    #: per API token (lms/api): an integration syncing a federation pages through
    #: thousands of certificates, but one runaway client must not starve the others
    API_RATE_LIMIT = "120 per minute;3000 per hour"
    #: issue certificates automatically when results are released (a task); off, only
    #: ``flask lms certificates issue`` and the officers' button issue them
    CERTIFICATES_AUTO_ISSUE = True

    BOOTSTRAP_SERVE_LOCAL = True
    TESTING = False

    #: how many reverse proxies stand in front (nginx: 1); their X-Forwarded-For and
    #: -Proto are trusted only then, since rate limits key on the client address
    PROXY_FIX = 0
    #: ``/metrics`` answers loopback, or anyone sending ``Authorization: Bearer <it>``
    METRICS_TOKEN: str | None = None


class DevConfig(Config):
    ENV_NAME = "development"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    WTF_CSRF_ENABLED = False  # the tests that check CSRF turn it back on
    RATELIMIT_ENABLED = False  # the tests that check rate limits turn it back on
    # tests move time with time-machine, which the database's clock does not follow
    # (the F14 tests run app servers on the database's clock)
    CLOCK_SOURCE = "local"
    SERVER_NAME = "localhost"
    BASE_URL = "http://localhost"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {"development": DevConfig, "test": TestConfig, "production": ProductionConfig}


def load_secret(instance_path: str, name: str, generate) -> str:
    """Read a secret kept in the instance folder, creating it (mode 0600) once."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def generate_secret_key() -> str:
    return secrets.token_urlsafe(48)


def generate_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "lms.sqlite3")


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
