"""The database fails under a running exam (RELIABILITY.md F5–F7, F15, F18).

PostgreSQL is shared on this machine (and by the suite's other tests), so it is
never restarted here: what a restart does to the app — every pooled connection
dies — is done with ``pg_terminate_backend`` (F5), and an outage is a gate the
test owns between the live server and PostgreSQL that refuses and cuts every
connection while closed (F6, F7). On SQLite the outage it can have is a write
lock held by another process past the busy timeout: every write fails. Outages
last seconds, not the catalogue's 60 s, to keep CI fast; the behaviour under test
does not depend on the length.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lms.domain.attempt_states import AttemptState as S
from lms.extensions import db
from tests.faults.harness import (
    GRACE_SECONDS,
    LiveServer,
    assert_clean,
    fresh_attempt,
    in_background,
    in_parallel,
    set_time_left,
    stored_answers,
)

LEVELS = {"FULL": "2", "NORMAL": "1"}


def needs_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server restart; SQLite has no server or pooled "
                    "connections to lose (its outage is F6/F7's write lock, its crashes "
                    "F1–F3 and F18)")


class DatabaseGate:
    """A TCP relay between the live server and PostgreSQL that the test can close:
    while closed it refuses new connections and cuts the open ones, as a database
    that is down does."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_open = True
        self.links: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        self.is_open = False
        with self._lock:
            links, self.links = self.links, []
        for link in links:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
            link.close()

    def up(self) -> None:
        self.is_open = True

    def stop(self) -> None:
        self.down()
        self.listener.close()

    def url_for(self, database_url: str) -> str:
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)


class SqliteWriteLock:
    """Another process holding SQLite's write lock: while it is down every write of
    the server waits out its busy timeout (5 s) and fails."""

    def __init__(self, path: str):
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def down(self) -> None:
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def up(self) -> None:
        if self.conn is not None:
            self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None

    def stop(self) -> None:
        self.up()


@pytest.fixture
def outage(database_url, app, make_server, tmp_path):
    """A live server and a switch (``down()`` / ``up()``) for its database."""
    if database_url.startswith("postgresql"):
        app.config["EXAM_SAVE_GRACE_SECONDS"] = GRACE_SECONDS
        url = make_url(database_url)
        switch = DatabaseGate((url.host or "127.0.0.1", url.port or 5432))
        server = LiveServer(switch.url_for(database_url), tmp_path / "gated")
        server.start()
    else:
        switch = SqliteWriteLock(make_url(database_url).database)
        server = make_server()
    yield server, switch
    switch.stop()
    server.stop()


def test_F5_every_pooled_connection_killed_costs_no_request(make_server, make_sitting,
                                                           database_url):
    """What ``pg_ctl restart -m fast`` does to the app: all its connections end. With
    pool_pre_ping the next request of every candidate succeeds at the first try."""
    needs_postgresql(database_url)
    # a server of its own, named, so that only its connections are ended
    named = make_url(database_url).update_query_dict({"application_name": "lms-f5-server"})
    server = make_server(env={"LMS_DATABASE_URL": named.render_as_string(hide_password=False)})
    sitting = make_sitting(server, candidates=4)
    people = sitting.begin(4)
    for candidate in people:  # every worker thread holds a pooled connection now
        assert candidate.save(0, "before").status_code == 200
    db.session.rollback()
    killed = db.session.scalar(sa.text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'lms-f5-server'"))
    db.session.rollback()
    assert killed >= 1
    for candidate in people:
        assert candidate.save(1, "after").status_code == 200  # no retry needed
        assert candidate.submit().json()["ended"] == "submitted"
        assert_clean(candidate)
    assert server.errors_logged() == []


def test_F6_during_an_outage_saves_fail_cleanly_and_all_are_saved_after_it(outage,
                                                                          make_sitting):
    server, database = outage
    sitting = make_sitting(server, candidates=3)
    people = sitting.begin(3)
    for candidate in people:
        assert candidate.save_until_acked([candidate.next_save(0, "before")]).status_code == 200
    database.down()
    during = in_parallel([lambda c=c: c.save(1, "during") for c in people])
    assert {r.status_code for r in during} <= {500, 503}
    for response in during:
        assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    # the page keeps them dirty and retries; the database comes back
    retries = [in_background(lambda c=c: c.save_until_acked([c.next_save(1, "during")]))
               for c in people]
    time.sleep(2)
    database.up()
    for retry in retries:
        assert retry.result(timeout=60).status_code == 200
    for candidate in people:
        assert {k: v.value for k, v in stored_answers(candidate.attempt_id).items()} == {
            "0": {"s0": ["before"]}, "1": {"s1": ["during"]}}
        assert candidate.submit().json()["ended"] == "submitted"
        assert_clean(candidate)


def test_F7_down_across_the_deadline_closes_at_the_deadline_keeping_what_was_acked(
        outage, make_sitting):
    server, database = outage
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    assert alice.save_until_acked([alice.next_save(0, "acked")]).status_code == 200
    set_time_left([alice.attempt_id], 2)
    deadline = fresh_attempt(alice.attempt_id).deadline_at
    database.down()
    with contextlib.suppress(httpx.TransportError):
        assert alice.save(1, "never acked").status_code >= 500
    time.sleep(2 + GRACE_SECONDS + 1)  # the deadline and its grace pass while it is down
    database.up()
    late = alice.save_until_acked([alice.next_save(1, "after the deadline")], retry_for=20)
    assert late.status_code in (200, 409, 410)
    if late.status_code == 200:
        assert late.json()["acked"] == [] or late.json().get("state") != "in_progress"
    attempt = fresh_attempt(alice.attempt_id)
    assert attempt.ended_as == S.TIMED_OUT and attempt.finished_at == deadline
    assert {k: v.value for k, v in stored_answers(alice.attempt_id).items()} == {
        "0": {"s0": ["acked"]}}
    assert_clean(alice)


def test_F15_disk_full_during_autosave():
    pytest.skip("filling the database's disk needs a volume of its own (a small tmpfs "
                "mount, root); this machine's disk is shared. Nearest cases that run: F6 "
                "(every write fails: a clean 5xx, nothing half-written, all saved after) and "
                "F18 (PRAGMA integrity_check after crashes)")


def test_F18_power_loss_with_synchronous_full_and_normal():
    pytest.skip("a power loss (kill of the whole machine or VM) cannot be caused from a "
                "test here; the nearest that runs is the SIGKILL of the server under each "
                "setting (test_F18_sigkill_...): an application crash loses no acknowledged "
                "answer with FULL or NORMAL; only FULL also survives power loss (SQLite docs)")


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
def test_F18_sigkill_of_the_server_under_sqlite_synchronous_loses_no_acked_answer(
        make_server, make_sitting, database_url, synchronous):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's synchronous setting; PostgreSQL keeps fsync and "
                    "synchronous_commit on")
    server = make_server(env={"FAULT_SQLITE_SYNCHRONOUS": synchronous})
    sitting = make_sitting(server, candidates=3, items=6)
    people = sitting.begin(3)
    stop = threading.Event()

    def work(candidate):
        count = 0
        while not stop.is_set():
            candidate.save_until_acked([candidate.next_save(count % 6, f"v{count}")])
            count += 1
        return count

    workers = [in_background(lambda c=c: work(c)) for c in people]
    time.sleep(0.5)
    server.kill()  # saves in flight, some committed and unanswered
    server.start()
    time.sleep(0.5)
    stop.set()
    assert all(w.result(timeout=90) for w in workers)
    assert (server.signal_dir / "synchronous").read_text() == LEVELS[synchronous]
    for candidate in people:
        assert candidate.submit().json()["ended"] == "submitted"
        assert_clean(candidate)
    file = Path(make_url(database_url).database)
    with contextlib.closing(sqlite3.connect(file)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
