"""A real app server in a subprocess, candidates driving it over HTTP, and the
answer ledger that proves no acknowledged answer was lost.

`LiveServer` runs gunicorn (``tests.faults.server:app``) on a free loopback
port against the test database, and can be SIGKILLed and started again on the
same port. `Candidate` logs in through the login form, books, checks in and
starts through the pages, and autosaves with per-slot sequence numbers,
recording every save it sends as `lms.domain.answer_ledger.Sent`
(acknowledged or not). `ledger_report` compares that record with what the
database finally holds.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain import timing
from lms.domain.answer_ledger import LedgerReport, Sent, Stored, audit_ledger
from lms.exams import attempts as attempt_services
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from tests import scorecard
from tests.conftest import free_port
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
FINALISATIONS = ("exam_attempt.submitted", "exam_attempt.timed_out", "exam_attempt.terminated")
#: how long a client keeps retrying one request across a server restart
RETRY_FOR = 30.0
#: the live server's save grace (EXAM_SAVE_GRACE_SECONDS), short to keep tests quick
GRACE_SECONDS = 2


class LiveServer:
    """gunicorn serving the app on ``127.0.0.1:<port>``; SIGKILL and restart at will."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 2, threads: int = 4,
                 env: dict | None = None):
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.signal_dir = workdir / "signals"
        self.signal_dir.mkdir(parents=True, exist_ok=True)
        self.instance = workdir / "instance"
        self.extra_env = dict(env or {})
        self.log = workdir / "server.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        #: every client made for this server, closed with it
        self.clients: list[httpx.Client] = []
        self._log_from = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
        env.update({
            "PYTHONPATH": str(ROOT),
            "LMS_DATABASE_URL": self.database_url,
            "LMS_INSTANCE_PATH": str(self.instance),
            "LMS_EXAM_SAVE_GRACE_SECONDS": str(GRACE_SECONDS),
            "FAULT_SIGNAL_DIR": str(self.signal_dir),
        })
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        return [str(GUNICORN), "--preload", "-w", str(self.workers), "-k", "gthread",
                "--threads", str(self.threads), "-b", f"127.0.0.1:{self.port}",
                "--graceful-timeout", "2", "--timeout", "120", "tests.faults.server:app"]

    def start(self) -> None:
        assert self.process is None, "already running"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self._env(), stdout=log, stderr=log,
                start_new_session=True)
        self.starts += 1
        until = time.monotonic() + 30
        while time.monotonic() < until:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the server did not come up:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole server (master and workers): a crash, nothing flushed."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def close_clients(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()

    def mark_log(self) -> None:
        """`errors_logged` counts from here on (a server shared by several tests)."""
        self._log_from = self.log.stat().st_size if self.log.exists() else 0

    def stop(self) -> None:
        """End the server for good (a kill: a graceful stop costs seconds per test)."""
        self.close_clients()
        if self.process is not None:
            self.kill()

    def wait_for_point(self, point: str, timeout: float = 15.0) -> None:
        """Block until a request reached fault ``point`` (see tests.faults.server)."""
        marker = self.signal_dir / point
        until = time.monotonic() + timeout
        while not marker.exists():
            if time.monotonic() > until:
                raise AssertionError(f"no request reached {point}:\n{self.log_tail()}")
            time.sleep(0.02)
        marker.unlink()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def errors_logged(self) -> list[str]:
        """Lines of unhandled errors the app logged (500s) since `mark_log`."""
        with self.log.open("rb") as fh:
            fh.seek(self._log_from)
            text = fh.read().decode(errors="replace")
        return [line for line in text.splitlines()
                if "unhandled error" in line or "Traceback" in line]


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


class Candidate:
    """One person at one browser: a cookie jar, a CSRF token and a ledger of saves."""

    def __init__(self, server: LiveServer, email: str, password: str = PASSWORD, *,
                 ledger: list[Sent] | None = None):
        self.server, self.email, self.password = server, email, password
        # idle connections are dropped before gunicorn's 2 s keep-alive ends them: reusing
        # one the server is closing is a reset that a browser would retry unseen
        self.http = httpx.Client(base_url=server.base_url, timeout=10.0,
                                 limits=httpx.Limits(keepalive_expiry=1.0))
        server.clients.append(self.http)
        self.csrf = ""
        self.attempt_id: int | None = None
        #: every save this person sent, from any tab or device (shared by `tab`)
        self.sent: list[Sent] = [] if ledger is None else ledger
        self._seq: dict[int, int] = defaultdict(int)
        self._lock = threading.Lock()

    def tab(self) -> Candidate:
        """Another tab of the same browser: the same cookies (login and device) and
        ledger, its own sequence counters (each page keeps its own in memory)."""
        other = Candidate(self.server, self.email, self.password, ledger=self.sent)
        other.http.cookies = httpx.Cookies(self.http.cookies)
        other.csrf, other.attempt_id = self.csrf, self.attempt_id
        other._seq.update(self._seq)
        other._lock = self._lock
        return other

    # -- pages ----------------------------------------------------------------------
    def login(self) -> None:
        page = self.http.get("/login")
        token = CSRF_FIELD.search(page.text).group(1)
        response = self.http.post("/login", data={"email": self.email,
                                                  "password": self.password,
                                                  "csrf_token": token})
        assert response.status_code == 302, (response.status_code, response.text[:300])
        self.refresh_csrf()

    def refresh_csrf(self) -> None:
        """The token of the current session, as the exam page's meta tag gives it."""
        self.csrf = CSRF_META.search(self.http.get("/exams").text).group(1)

    def form_post(self, path: str, data: dict | None = None, **kwargs) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def json_post(self, path: str, body, *, fault: str | None = None,
                  headers: dict | None = None) -> httpx.Response:
        headers = {"X-CSRFToken": self.csrf, **(headers or {})}
        if fault:
            headers["X-Test-Fault"] = fault
        return self.http.post(path, json=body, headers=headers)

    def book(self, session_id: int) -> int:
        response = self.form_post(f"/exams/sessions/{session_id}/book")
        assert response.status_code == 302, response.text[:300]
        match = re.search(r"/exams/attempts/(\d+)$", response.headers["location"])
        assert match, f"booking refused: {response.headers['location']}"
        self.attempt_id = int(match.group(1))
        return self.attempt_id

    def check_in(self, code: str) -> httpx.Response:
        return self.form_post(f"{self.attempt_url}/check-in", {"code": code})

    def start(self) -> httpx.Response:
        return self.form_post(f"{self.attempt_url}/start")

    def begin(self, session_id: int, code: str) -> int:
        """Log in, book, check in and start: the attempt id."""
        self.login()
        self.book(session_id)
        assert self.check_in(code).status_code == 302
        assert self.start().status_code == 302
        assert self.page().status_code == 200
        return self.attempt_id

    @property
    def attempt_url(self) -> str:
        return f"/exams/attempts/{self.attempt_id}"

    def page(self) -> httpx.Response:
        return self.http.get(self.attempt_url)

    def status(self) -> dict:
        return self.http.get(f"{self.attempt_url}/status").json()

    # -- saves ----------------------------------------------------------------------
    def next_save(self, slot: int, value: str) -> dict:
        with self._lock:
            self._seq[slot] += 1
            return {"slot": slot, "seq": self._seq[slot], "response": {f"s{slot}": [value]}}

    def _record(self, saves: list[dict], acked: set[tuple[int, int]]) -> None:
        with self._lock:
            self.sent.extend(Sent(str(s["slot"]), s["seq"], s["response"],
                                  (s["slot"], s["seq"]) in acked) for s in saves)

    def send(self, saves: list[dict], *, fault: str | None = None) -> httpx.Response:
        """POST one autosave request and record each save, acknowledged or not.

        A network error is recorded (unacknowledged) and re-raised.
        """
        try:
            response = self.json_post(f"{self.attempt_url}/answers", {"saves": saves},
                                      fault=fault)
        except httpx.TransportError:
            self._record(saves, set())
            raise
        acked = set()
        if response.status_code == 200:
            # a save another tab overtook is reported stale: the client knows it
            # was not kept, so it does not count as acknowledged
            body = response.json()
            acked = ({(a["slot"], a["seq"]) for a in body["acked"]}
                     - {(a["slot"], a["seq"]) for a in body.get("stale", [])})
        self._record(saves, acked)
        return response

    def save(self, slot: int, value: str, **kwargs) -> httpx.Response:
        return self.send([self.next_save(slot, value)], **kwargs)

    def save_until_acked(self, saves: list[dict], *, fault: str | None = None,
                         retry_for: float = RETRY_FOR) -> httpx.Response:
        """What the exam page does: keep the saves dirty and retry until acknowledged
        (or refused for good with a 4xx). Only the first try carries ``fault``."""
        until = time.monotonic() + retry_for
        while True:
            try:
                response = self.send(saves, fault=fault)
                if response.status_code < 500:
                    return response
            except httpx.TransportError:
                pass
            fault = None
            if time.monotonic() > until:
                raise AssertionError(f"saves never acknowledged: {saves}")
            time.sleep(0.2)

    def submit(self, saves: list[dict] | None = None, *,
               fault: str | None = None) -> httpx.Response:
        """Hand in with the last saves; they count as acknowledged only when the
        answer says the attempt is submitted."""
        saves = saves or []
        try:
            response = self.json_post(f"{self.attempt_url}/submit", {"saves": saves},
                                      fault=fault)
        except httpx.TransportError:
            self._record(saves, set())
            raise
        ok = response.status_code == 200 and response.json().get("ended") == "submitted"
        self._record(saves, {(s["slot"], s["seq"]) for s in saves} if ok else set())
        return response

    def submit_until_answered(self, saves: list[dict] | None = None, *,
                              fault: str | None = None) -> httpx.Response:
        until = time.monotonic() + RETRY_FOR
        while True:
            try:
                response = self.submit(saves, fault=fault)
                if response.status_code < 500:
                    return response
            except httpx.TransportError:
                pass
            fault = None
            if time.monotonic() > until:
                raise AssertionError("submit never answered")
            time.sleep(0.2)


def in_background(fn):
    """Run ``fn`` in a thread; ``.result()`` joins it and returns its value."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn)
    pool.shutdown(wait=False)
    return future


def in_parallel(calls, workers: int = 16) -> list:
    """Run the callables at once (threads); results in order, exceptions re-raised."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [f.result() for f in [pool.submit(call) for call in calls]]


def barrier_calls(fn, count: int) -> list:
    """``count`` calls of ``fn`` released together, to make them race."""
    gate = threading.Barrier(count)

    def call():
        gate.wait()
        return fn()

    return in_parallel([call] * count, workers=count)


# -- what the database holds -------------------------------------------------------------

def fresh_attempt(attempt_id: int) -> ExamAttempt:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(ExamAttempt, attempt_id)


def stored_answers(attempt_id: int) -> dict[str, Stored]:
    db.session.rollback()
    return {str(a.slot): Stored(a.sequence, a.response, a.saved_at)
            for a in db.session.scalars(sa.select(ExamAnswer)
                                        .where(ExamAnswer.attempt_id == attempt_id))}


def finalisations(attempt_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "exam_attempts", AuditEntry.object_id == str(attempt_id),
        AuditEntry.action.in_(FINALISATIONS)))


def audit_actions(attempt_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == "exam_attempts", AuditEntry.object_id == str(attempt_id))
        .order_by(AuditEntry.id)))


def ledger_report(candidate: Candidate, grace_seconds: int = GRACE_SECONDS) -> LedgerReport:
    """The ledger of ``candidate``'s attempt against the database, with the cutoff
    the server applies (the deadline plus its grace)."""
    attempt = fresh_attempt(candidate.attempt_id)
    cutoff = (timing.deadline(attempt_services.clock_of(attempt), utcnow())
              + timedelta(seconds=grace_seconds))
    report = audit_ledger(candidate.sent, stored_answers(attempt.id), cutoff=cutoff,
                          finalisations=finalisations(attempt.id))
    scorecard.record_ledger(report, acked=sum(s.acknowledged for s in candidate.sent))
    return report


def assert_clean(candidate: Candidate, *, finalised: bool = True) -> LedgerReport:
    report = ledger_report(candidate)
    assert report.clean, report
    if finalised:
        assert finalisations(candidate.attempt_id) == 1
    acked = {s.slot for s in candidate.sent if s.acknowledged}
    assert acked <= set(stored_answers(candidate.attempt_id))
    return report


def set_time_left(attempt_ids, seconds: float) -> None:
    """Move the attempts back in time so that ``seconds`` remain on their clocks:
    the candidates started (and saved what they saved) that much earlier. The
    server reads the clock from the row, so this is all it takes."""
    db.session.rollback()
    now = utcnow()
    for attempt in db.session.scalars(sa.select(ExamAttempt)
                                      .where(ExamAttempt.id.in_(list(attempt_ids)))):
        total = attempt.duration_seconds + attempt.allowance_seconds
        started = now + timedelta(seconds=seconds) - timedelta(seconds=total)
        shift = started - attempt.started_at
        attempt.started_at = started
        attempt.deadline_at = now + timedelta(seconds=seconds)
        for answer in db.session.scalars(sa.select(ExamAnswer)
                                         .where(ExamAnswer.attempt_id == attempt.id)):
            answer.saved_at += shift
    db.session.commit()
