"""Load on the live server (RELIABILITY.md L1, L11, F16), scaled to keep CI quick:
tens of candidates, seconds of saving. Latencies are not asserted (no timed
assertions in tests: bench/exam_autosave.py measures them against a baseline);
what is asserted is that nothing fails, nothing is lost and no clock is cut short."""

from __future__ import annotations

import random
import threading
import time

import httpx
import sqlalchemy as sa

from lms.clock import utcnow
from lms.domain import timing
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts as attempt_services
from lms.exams.models import ExamAttempt
from lms.extensions import db
from tests.faults.harness import (
    assert_clean,
    barrier_calls,
    in_background,
    in_parallel,
    stored_answers,
)

STARTERS = 20


def test_L1_candidates_starting_in_the_same_second_all_get_their_full_time(server,
                                                                          make_sitting):
    sitting = make_sitting(server, candidates=STARTERS)
    people = [sitting.candidate() for _ in range(STARTERS)]

    def ready(candidate):
        candidate.login()
        candidate.book(sitting.session_id)
        assert candidate.check_in(sitting.code).status_code == 302

    in_parallel([lambda c=c: ready(c) for c in people], workers=8)
    queue = iter(people)
    lock = threading.Lock()

    def start():
        with lock:
            candidate = next(queue)
        return candidate.start().status_code

    assert barrier_calls(start, STARTERS) == [302] * STARTERS  # released together
    db.session.rollback()
    now = utcnow()
    rows = db.session.scalars(sa.select(ExamAttempt)).all()
    assert len(rows) == STARTERS and {a.state for a in rows} == {S.IN_PROGRESS}
    for attempt in rows:  # nobody's clock is shortened by the crowd
        remaining = timing.remaining(attempt_services.clock_of(attempt), now).total_seconds()
        assert attempt.duration_seconds - 60 < remaining <= attempt.duration_seconds
    assert server.errors_logged() == []


def test_L11_sustained_autosaves_never_surface_a_locked_database(server, make_sitting):
    """Ten candidates each saving every 0.1 s for 3 s: about 300 saves, far above the
    catalogue's 1 per 10 s per candidate; every save is acknowledged at once."""
    sitting = make_sitting(server, candidates=10, items=5)
    people = sitting.begin(10)
    stop = threading.Event()

    def work(candidate, rng):
        refused = []
        count = 0
        while not stop.is_set():
            response = candidate.save(rng.randrange(5), f"v{count}")
            if response.status_code != 200:
                refused.append((response.status_code, response.text[:200]))
            count += 1
            time.sleep(0.1)
        return count, refused

    runs = [in_background(lambda c=c, i=i: work(c, random.Random(i)))
            for i, c in enumerate(people)]
    time.sleep(3)
    stop.set()
    results = [r.result(timeout=60) for r in runs]
    assert sum(count for count, _ in results) >= 100
    assert [r for _, refused in results for r in refused] == []
    assert not [line for line in server.errors_logged() if "locked" in line.lower()]
    for candidate in people:
        assert candidate.submit().json()["ended"] == "submitted"
        assert_clean(candidate)


class FlakyTransport(httpx.HTTPTransport):
    """10 % of requests never leave, 5 % lose their answer on the way back: a bad
    mobile network, decided by a seeded random generator."""

    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng

    def handle_request(self, request):
        if request.url.path.endswith("/answers"):
            roll = self.rng.random()
            if roll < 0.10:
                raise httpx.ConnectError("dropped on the way out", request=request)
            response = super().handle_request(request)
            if roll < 0.15:
                response.read()
                raise httpx.ReadError("dropped on the way back", request=request)
            return response
        return super().handle_request(request)


def test_F16_slow_and_lossy_network_keeps_the_newest_save_never_a_late_older_one(
        server, make_sitting):
    sitting = make_sitting(server, items=3)
    [alice] = sitting.begin()
    cookies = alice.http.cookies
    alice.http = httpx.Client(base_url=server.base_url, timeout=10.0,
                              transport=FlakyTransport(random.Random(16)), cookies=cookies)
    server.clients.append(alice.http)
    # an older save held up in the network arrives after a newer one of the same slot
    slow = in_background(lambda: alice.save_until_acked([alice.next_save(0, "older")],
                                                        fault="delay-answers:1.5"))
    time.sleep(0.3)
    newer = alice.save_until_acked([alice.next_save(0, "newer")])
    assert newer.status_code == 200
    slow.result(timeout=30)
    # then a stream of saves over the lossy link, retried until acknowledged
    for n in range(30):
        alice.save_until_acked([alice.next_save(n % 3, f"v{n}")])
    stored = stored_answers(alice.attempt_id)
    assert {k: v.value for k, v in stored.items()} == {
        "0": {"s0": ["v27"]}, "1": {"s1": ["v28"]}, "2": {"s2": ["v29"]}}
    assert any(not s.acknowledged for s in alice.sent)  # the link really lost some
    assert alice.submit().json()["ended"] == "submitted"
    assert_clean(alice)
