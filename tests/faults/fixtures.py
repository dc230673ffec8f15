"""Fixtures of the fault, reliability and security tests (a plugin of
tests/conftest.py, so every folder has them and one shared live server): a live
server on the test database and an exam whose candidates are ready to book
(RELIABILITY.md F, L, B and A items)."""

from __future__ import annotations

import pytest

from lms.exams.models import ExamSession
from lms.extensions import db
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.faults.harness import GRACE_SECONDS, Candidate, LiveServer, in_parallel


@pytest.fixture
def make_server(app, database_url, tmp_path):
    """Build (and start) `LiveServer`s on the test database; stopped after the test,
    before the tables are emptied. The test's own app (which runs the sweep) gets
    the server's grace."""
    app.config["EXAM_SAVE_GRACE_SECONDS"] = GRACE_SECONDS
    servers = []

    def build(**kwargs) -> LiveServer:
        server = LiveServer(database_url, tmp_path / f"server{len(servers)}", **kwargs)
        servers.append(server)
        server.start()
        return server

    yield build
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def _shared_server(_schema, tmp_path_factory):
    server = LiveServer(_schema, tmp_path_factory.mktemp("shared-server"))
    yield server
    server.stop()


@pytest.fixture
def server(_shared_server, app) -> LiveServer:
    """A live server shared by the tests that do not kill it (a start costs seconds);
    started again if a test left it down. Tests that kill take `own_server`."""
    app.config["EXAM_SAVE_GRACE_SECONDS"] = GRACE_SECONDS
    if _shared_server.process is None or _shared_server.process.poll() is not None:
        _shared_server.process = None
        _shared_server.start()
    _shared_server.mark_log()
    yield _shared_server
    _shared_server.close_clients()


@pytest.fixture
def own_server(make_server) -> LiveServer:
    """A live server of the test's own, to SIGKILL and restart at will."""
    return make_server()


class Sitting:
    """An exam with an open online session and its candidates, all ready to book."""

    def __init__(self, server: LiveServer, session: ExamSession, emails: list[str]):
        self.server, self.session_id = server, session.id
        self.code = session.access_code
        self.emails = emails
        self.candidates: list[Candidate] = []

    def candidate(self, email: str | None = None) -> Candidate:
        candidate = Candidate(self.server, email or self.emails[len(self.candidates)])
        self.candidates.append(candidate)
        return candidate

    def begin(self, count: int = 1) -> list[Candidate]:
        """``count`` more candidates logged in, booked, checked in and started, in parallel."""
        fresh = [self.candidate() for _ in range(count)]
        in_parallel([lambda c=c: c.begin(self.session_id, self.code) for c in fresh],
                    workers=8)
        return fresh


@pytest.fixture
def make_sitting(app):
    def build(server: LiveServer, *, candidates: int = 1, items: int = 5, **exam) -> Sitting:
        exam = make_exam(items=items, **exam)
        session = make_session(exam, capacity=max(candidates, 1))
        users = [ready_candidate() for _ in range(candidates)]
        sitting = Sitting(server, session, [u.email for u in users])
        db.session.commit()
        return sitting

    return build
