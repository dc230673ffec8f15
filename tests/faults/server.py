"""The application as the fault tests serve it: ``gunicorn tests.faults.server:app``.

The configuration is a production-like one (CSRF on, errors not propagated,
``LMS_*`` variables read from the environment) with a fixed secret key, so a
login survives a restart of the server, and with rate limits off (the fault
tests log in dozens of candidates from one address; rate limits have tests of
their own).

Fault points exist only in this module, never in the application: a request
carrying ``X-Test-Fault`` stops or slows at a chosen place so the test can
SIGKILL the server there or race another request past it.

- ``hang-before-commit`` / ``hang-after-commit``: at the request's first
  commit, before the database commits / after it has committed (the response
  is not yet sent), write ``<FAULT_SIGNAL_DIR>/<point>`` and wait for the kill.
- ``delay-answers:<seconds>``: sleep before the statement that writes answers.
- ``delay-finalise:<seconds>``: sleep before the statement that changes the
  attempt's state (submit or time-out).

``FAULT_SQLITE_SYNCHRONOUS`` (FULL, NORMAL) overrides SQLite's synchronous setting
(lms.config.configure_sqlite uses NORMAL), for the durability test F18.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms import create_app
from lms.config import Config

HANG_SECONDS = 600


class FaultServerConfig(Config):
    ENV_NAME = "fault-test"
    SECRET_KEY = "fault-test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False


def _fault() -> str:
    return request.headers.get("X-Test-Fault", "") if has_request_context() else ""


def _hang(point: str) -> None:
    """Tell the test where the request stands, then wait to be killed."""
    signal_dir = Path(os.environ["FAULT_SIGNAL_DIR"])
    (signal_dir / point).write_text(str(os.getpid()))
    time.sleep(HANG_SECONDS)


def _first_commit() -> bool:
    if g.get("_fault_commit_seen"):
        return False
    g._fault_commit_seen = True
    return True


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    if _fault() == "hang-before-commit" and _first_commit():
        _hang("hang-before-commit")


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if _fault() == "hang-after-commit" and _first_commit():
        _hang("hang-after-commit")


@event.listens_for(Engine, "before_cursor_execute")
def _before_statement(conn, cursor, statement, parameters, context, executemany):
    point, _, seconds = _fault().partition(":")
    head = statement.lstrip()[:40].upper()
    if ((point == "delay-answers" and head.startswith("INSERT INTO EXAM_ANSWERS"))
            or (point == "delay-finalise" and head.startswith("UPDATE EXAM_ATTEMPTS SET STATE"))):
        time.sleep(float(seconds))


app = create_app(FaultServerConfig)

if synchronous := os.environ.get("FAULT_SQLITE_SYNCHRONOUS"):
    from lms.extensions import db

    assert synchronous in ("FULL", "NORMAL", "EXTRA"), synchronous

    def _synchronous(dbapi_conn, _record):
        # after lms.config.configure_sqlite's listener, so this one has the last word
        dbapi_conn.execute(f"PRAGMA synchronous={synchronous}")
        level = dbapi_conn.execute("PRAGMA synchronous").fetchone()[0]
        (Path(os.environ["FAULT_SIGNAL_DIR"]) / "synchronous").write_text(str(level))

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _synchronous)
