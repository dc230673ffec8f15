"""The server dies mid-exam (RELIABILITY.md F1–F4, F17): SIGKILL of the whole
gunicorn at a chosen point of an autosave or a submit, at random moments of a
stream of saves, a restart with 50 candidates at work, and mail down at hand-in.
Each test ends with the answer ledger clean: lost = phantom = late-accepted =
double-finalised = 0."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from lms.clock import utcnow
from lms.domain import timing
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts as attempt_services
from lms.exams.models import ExamAttempt
from lms.extensions import db
from lms.notifications.models import OutboxMessage, OutboxStatus
from tests.conftest import SmtpServer, free_port
from tests.faults.harness import (
    assert_clean,
    finalisations,
    fresh_attempt,
    in_background,
    in_parallel,
    stored_answers,
)


def test_F1_an_autosave_killed_before_its_commit_is_retried_until_acknowledged(
        own_server, make_sitting):
    autosave_killed_mid_request(own_server, make_sitting, "hang-before-commit")


def test_F2_an_autosave_killed_after_its_commit_is_applied_once_on_retry(own_server,
                                                                         make_sitting):
    autosave_killed_mid_request(own_server, make_sitting, "hang-after-commit")


def autosave_killed_mid_request(server, make_sitting, point):
    """F1 (killed before the commit) and F2 (after the commit, before the response)."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    assert alice.save_until_acked([alice.next_save(0, "first")]).status_code == 200
    saves = [alice.next_save(0, "second"), alice.next_save(1, "other")]
    retried = in_background(lambda: alice.save_until_acked(saves, fault=point))
    server.wait_for_point(point)
    server.kill()
    on_disk = {slot: answer.value for slot, answer in stored_answers(alice.attempt_id).items()}
    if point == "hang-before-commit":  # nothing of the killed request was kept
        assert on_disk == {"0": {"s0": ["first"]}}
    else:  # committed, but the browser never heard so
        assert on_disk == {"0": {"s0": ["second"]}, "1": {"s1": ["other"]}}
    assert not any(s.acknowledged for s in alice.sent if s.slot == "1")
    server.start()
    response = retried.result(timeout=60)
    assert response.status_code == 200
    assert response.json()["acked"] == [{"slot": 0, "seq": 2}, {"slot": 1, "seq": 1}]
    stored = stored_answers(alice.attempt_id)
    assert {k: (v.sequence, v.value) for k, v in stored.items()} == {
        "0": (2, {"s0": ["second"]}), "1": (1, {"s1": ["other"]})}  # applied once
    assert alice.submit().json()["ended"] == "submitted"
    assert_clean(alice)


@pytest.mark.parametrize("point", ["hang-before-commit", "hang-after-commit"])
def test_F3_a_submit_killed_mid_request_finalises_exactly_once(own_server, make_sitting, point):
    """F3: before the commit the attempt stays open and the retry submits it; after
    the commit the retry is told it is handed in. One finalisation either way."""
    server = own_server
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    alice.save_until_acked([alice.next_save(0, "a")])
    last = [alice.next_save(1, "b")]
    retried = in_background(lambda: alice.submit_until_answered(last, fault=point))
    server.wait_for_point(point)
    server.kill()
    attempt = fresh_attempt(alice.attempt_id)
    if point == "hang-before-commit":
        assert attempt.state == S.IN_PROGRESS and finalisations(attempt.id) == 0
        assert set(stored_answers(attempt.id)) == {"0"}
    else:
        assert attempt.ended_as == S.SUBMITTED and finalisations(attempt.id) == 1
        assert set(stored_answers(attempt.id)) == {"0", "1"}
    server.start()
    response = retried.result(timeout=60)
    assert response.status_code == 200 and response.json()["ended"] == "submitted"
    again = alice.submit(last)  # a further retry changes nothing
    assert again.status_code == 200 and again.json()["ended"] == "submitted"
    assert fresh_attempt(alice.attempt_id).ended_as == S.SUBMITTED
    assert_clean(alice)


@pytest.mark.slow
def test_F1_F2_kills_at_random_moments_of_a_stream_of_saves_lose_nothing(own_server, make_sitting):
    """F1/F2 without aiming: five candidates save continuously while the server is
    SIGKILLed twice at random moments; every client retries until acknowledged."""
    server = own_server
    sitting = make_sitting(server, candidates=5, items=10)
    people = sitting.begin(5)
    stop = threading.Event()

    def work(candidate, rng):
        count = 0
        while not stop.is_set():
            slot = rng.randrange(10)
            candidate.save_until_acked([candidate.next_save(slot, f"v{count}")])
            count += 1
        return count

    rng = random.Random(20261124)
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = [pool.submit(work, c, random.Random(i)) for i, c in enumerate(people)]
        for _ in range(2):
            time.sleep(rng.uniform(0.3, 1.0))
            server.restart()
        time.sleep(0.5)
        stop.set()
        counts = [f.result(timeout=90) for f in futures]
    assert server.starts == 3 and all(counts)
    unacked_tries = sum(not s.acknowledged for c in people for s in c.sent)
    for candidate in people:
        assert candidate.submit().json()["ended"] == "submitted"
        assert_clean(candidate)
    assert unacked_tries > 0  # some saves really were cut off by a kill


@pytest.mark.slow
def test_F4_fifty_candidates_resume_after_a_restart_with_their_deadlines_unchanged(
        own_server, make_sitting):
    """F4: the whole server is killed and started again in the middle of an exam."""
    server = own_server
    sitting = make_sitting(server, candidates=50)
    people = sitting.begin(50)
    ids = [c.attempt_id for c in people]
    in_parallel([lambda c=c: c.save_until_acked([c.next_save(0, "before")]) for c in people])

    def deadlines():
        db.session.rollback()
        now = utcnow()
        rows = db.session.scalars(sa.select(ExamAttempt).where(ExamAttempt.id.in_(ids)))
        return {a.id: (a.state, a.number, timing.deadline(attempt_services.clock_of(a), now))
                for a in rows}

    before = deadlines()
    in_flight = [in_background(lambda c=c: c.save_until_acked([c.next_save(1, "during")]))
                 for c in people[:10]]
    server.restart()
    for future in in_flight:
        assert future.result(timeout=60).status_code == 200
    assert deadlines() == before  # same attempts, still running, same deadlines

    def resume(candidate):
        page = candidate.page()
        status = candidate.status()
        saved = candidate.save_until_acked([candidate.next_save(2, "after")])
        return page.status_code, status["state"], saved.status_code, status["remaining"]

    results = in_parallel([lambda c=c: resume(c) for c in people], workers=10)
    assert {r[:3] for r in results} == {(200, "in_progress", 200)}
    assert all(0 < r[3] <= 30 * 60 for r in results)
    in_parallel([lambda c=c: c.submit() for c in people], workers=10)
    for candidate in people:
        assert_clean(candidate)
        assert set(stored_answers(candidate.attempt_id)) >= {"0", "2"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAttempt)) == 50


def test_F17_the_submit_succeeds_and_the_receipt_waits_while_mail_is_down(make_server,
                                                                      make_sitting, app):
    """F17: SMTP unreachable at hand-in; the receipt stays in the outbox and goes out
    once the mail server is back."""
    smtp_port = free_port()  # nothing listens here: connection refused
    server = make_server(env={"LMS_SMTP_HOST": "127.0.0.1", "LMS_SMTP_PORT": str(smtp_port),
                              "LMS_SMTP_TIMEOUT": "3"})
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    alice.save_until_acked([alice.next_save(0, "a")])
    response = alice.submit([alice.next_save(1, "b")])
    assert response.status_code == 200 and response.json()["ended"] == "submitted"
    assert_clean(alice)
    # delivery is tried once the response has gone out (tasks.after_response)
    deadline = time.monotonic() + 20
    while True:
        db.session.rollback()
        [receipt] = db.session.scalars(sa.select(OutboxMessage)).all()
        if receipt.attempts or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert receipt.kind == "exam_submitted" and receipt.to_address == alice.email
    assert receipt.status == OutboxStatus.PENDING
    assert receipt.attempts == 1 and receipt.last_error  # delivery was tried and failed

    from lms.notifications.services import deliver_due

    mail = SmtpServer(smtp_port)
    mail.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port)
        assert deliver_due(now=utcnow() + timedelta(minutes=2)) == {"sent": 1, "failed": 0}
        [message] = mail.wait_for(1)
    finally:
        mail.stop()
    assert message["To"] == alice.email
    db.session.rollback()
    assert db.session.get(OutboxMessage, receipt.id).status == OutboxStatus.SENT


def test_a_connection_refused_is_what_a_killed_server_gives(own_server):
    """The harness itself: after a kill nothing answers on the port, after a start it does."""
    server = own_server
    server.kill()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/healthz", timeout=2)
    server.start()
    assert httpx.get(f"{server.base_url}/healthz", timeout=2).json()["db"] == "ok"
