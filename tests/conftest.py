"""Fixtures shared by the service, web and browser tiers.

The schema is built once per run by the real migrations, on SQLite (a file in
a temporary folder) or on the PostgreSQL database named by
``LMS_TEST_DATABASE_URL``; each test gets a fresh app and every table is
emptied after it.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import event

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db
from tests import factories

# the live-server fixtures serve tests/faults, tests/reliability and tests/security;
# the scorecard records the catalogue tests' outcomes (RELIABILITY.md part (b))
pytest_plugins = ["tests.scorecard", "tests.faults.fixtures"]

SHARED = Path(__file__).resolve().parents[2] / "shared"

# CI must be reproducible: property tests draw the same examples every run and
# have no per-example deadline (a loaded machine is not a bug). Run with
# HYPOTHESIS_PROFILE=explore to search afresh.
hypothesis_settings.register_profile("default", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", deadline=None, max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    compile_catalogues()


def compile_catalogues() -> None:
    """Compile the .po catalogues, so the suite never runs on stale .mo files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parents[1] / "lms" / "translations").glob(
            "*/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            catalogue = read_po(fh)
        # written aside and renamed: CI runs two suites at once from one checkout
        partial = po.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as fh:
            write_mo(fh, catalogue)
        partial.replace(po.with_suffix(".mo"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not url:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    return url


def _config(url: str, overrides: dict):
    return type("Cfg", (TestConfig,), {"DATABASE_URL": url, **overrides})


def reset_schema(url: str, instance: Path) -> None:
    """Drop whatever the database holds and build it with the migrations."""
    from flask_migrate import upgrade

    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    app = create_app(_config(url, {}))
    with app.app_context():
        meta = sa.MetaData()
        meta.reflect(db.engine)
        meta.drop_all(db.engine)
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    reset_schema(database_url, tmp_path_factory.mktemp("instance"))
    return database_url


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        # a live server of the test may still be finishing work (marking after a
        # hand-in): PostgreSQL then picks the TRUNCATE as a deadlock's victim; again
        for attempt in range(5):
            try:
                db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                break
            except sa.exc.OperationalError as exc:
                db.session.rollback()
                if "deadlock" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.5)
    else:
        # courses ↔ course_versions refer to each other: check keys at commit
        db.session.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        # audit entries may only be deleted while audit_maintenance holds a row
        gate = db.metadata.tables["audit_maintenance"]
        db.session.execute(gate.insert())
        for table in tables:
            if table is not gate:
                db.session.execute(table.delete())
        db.session.execute(gate.delete())
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Runs each request in contexts of its own, as a real server does.

    Without this, requests would share the test's app context: ``g`` (where
    Flask-Login caches the user) and the database session would leak from one
    request to the next and hide bugs. After each request the test's session
    is rolled back, so the test reads what the request committed. Like a server,
    it reads the response to the end and closes it, which runs the work a view
    leaves for after the response (``call_on_close``: marking after a hand-in).
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.rollback()
        return response


@pytest.fixture
def make_app(_schema, tmp_path, monkeypatch):
    """Build an app on the test database with config overrides; cleaned up after."""
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    apps = []

    def build(**overrides):
        app = create_app(_config(_schema, overrides))
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield build
    for app in [a for a in apps if a.config["DATABASE_URL"] == _schema][:1]:
        with app.app_context():
            db.session.remove()
            _empty_tables()
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    return factories.make_user


@pytest.fixture
def make_org(app):
    return factories.make_org


def login(client, user) -> None:
    """Log ``user`` in on ``client`` without posting the form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def login_as(client):
    def do(user):
        login(client, user)
        return client

    return do


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)


@contextlib.contextmanager
def count_queries(engine=None):
    """Count the SQL statements run inside the block (no N+1 on list pages)."""
    engine = engine or db.engine
    counter = QueryCounter()

    def before(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA", "BEGIN")):
            counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


class SmtpServer:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts.

    ``stop()`` leaves the port closed, so a client gets "connection refused" as
    from a server that is down; ``start()`` listens on the same port again.
    """

    def __init__(self, port: int):
        self.port = port
        self.messages: list[EmailMessage] = []
        self.envelopes: list = []
        self._controller = None
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self._arrived:
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                          server_hostname="localhost")
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages once at least ``count`` have arrived, or after ``timeout`` seconds."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)


def empty_database_beside(url: str, suffix: str) -> str:
    """The URL of database ``<name>_<suffix>`` on the PostgreSQL server of ``url``,
    created if missing and emptied (a restore or migration target of its own)."""
    url = sa.make_url(url)
    target = url.set(database=f"{url.database}_{suffix}")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": target.database}):
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = sa.create_engine(target)
    meta = sa.MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()
    return target.render_as_string(hide_password=False)


def redis_url(database: int) -> str:
    """Database ``database`` of the tests' Redis server: ``LMS_TEST_REDIS_URL`` names the
    server (CI runs the SQLite and PostgreSQL suites at once, each with its own)."""
    server = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    return f"{server}/{database}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A running `SmtpServer` on a free loopback port; stopped after the test."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()
