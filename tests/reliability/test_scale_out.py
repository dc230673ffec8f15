"""No state in any one app process (RELIABILITY.md F4; issue 10 item 1).

Two real gunicorn instances, started with the production settings file
(deploy/gunicorn.conf.py, two workers each), serve the same database and Redis on
different ports, as deploy/serve-prod.sh runs them behind nginx. A candidate's
attempt started through one continues through the other, an officer's revocation
through one is what the other says at once, and a rate limit counts requests to both.

Needs Redis on 127.0.0.1:6379 (database 5 is this file's own and is emptied); skipped
when it is unreachable, unless ``LMS_REQUIRE_SERVICES=1``. It runs on SQLite as well
as on PostgreSQL (``LMS_TEST_DATABASE_URL``), the deployment's database.
"""

from __future__ import annotations

import os
import re

import httpx
import pytest
import redis
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from lms.certificates.models import Certificate, CertificateStatus
from lms.credentials import status_list
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.conftest import redis_url
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import PASSWORD, make_org
from tests.faults.harness import (
    GRACE_SECONDS,
    GUNICORN,
    ROOT,
    Candidate,
    LiveServer,
    assert_clean,
    stored_answers,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]

#: the suite's own Redis server: CI runs the SQLite and PostgreSQL suites at once, and
#: their servers' rate limits, counted in one Redis, answered each other's requests 429
REDIS_URL = redis_url(5)
VERIFY_LIMIT = 5


class ProductionServer(LiveServer):
    """One app instance as deploy/serve-prod.sh starts it: gunicorn with the
    production settings file, no preload (each worker builds its own app)."""

    def command(self) -> list[str]:
        return [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                "tests.faults.server:app"]

    def _env(self) -> dict:
        env = super()._env()
        env.update({"GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "2",
                    "GUNICORN_THREADS": "4", "GUNICORN_GRACEFUL_TIMEOUT": "2",
                    "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "metrics")})
        return env


@pytest.fixture
def broker() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        reason = f"Redis at {REDIS_URL} is unreachable ({exc})"
        if os.environ.get("LMS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and LMS_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def servers(app, database_url, broker, tmp_path):
    """Two instances on one database and one Redis, sharing what a deployment shares:
    the secret key (tests.faults.server's), the ID number key and the signing keys
    (this test's instance folder, so the factories' data reads the same)."""
    app.config["EXAM_SAVE_GRACE_SECONDS"] = GRACE_SECONDS
    shared = {"LMS_REDIS_URL": REDIS_URL, "LMS_INSTANCE_PATH": app.instance_path,
              "LMS_RATELIMIT_ENABLED": "true",
              "LMS_VERIFY_RATE_LIMIT": f"{VERIFY_LIMIT} per minute"}
    pair = [ProductionServer(database_url, tmp_path / name, env=shared) for name in "ab"]
    yield from running(pair)


def running(servers: list[LiveServer]):
    """Start ``servers``, yield them, stop them all (a fixture's body)."""
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def through(candidate: Candidate, server: LiveServer) -> Candidate:
    """The same browser, its requests now sent to ``server`` (as nginx may route the
    next request): same cookies, CSRF token, sequence counters and ledger."""
    moved = candidate.tab()
    moved.http.close()
    moved.http = httpx.Client(base_url=server.base_url, timeout=10.0,
                              cookies=httpx.Cookies(candidate.http.cookies))
    server.clients.append(moved.http)
    moved.server = server
    return moved


def test_F4_an_attempt_started_through_one_instance_continues_through_the_other(servers):
    one, other = servers
    exam = make_exam(items=4)
    session = make_session(exam)
    person = ready_candidate()
    db.session.commit()
    first = Candidate(one, person.email)
    first.begin(session.id, session.access_code)
    assert first.save_until_acked([first.next_save(0, "a")]).status_code == 200

    second = through(first, other)
    assert second.page().status_code == 200
    assert second.save_until_acked([second.next_save(1, "b"),
                                    second.next_save(0, "c")]).status_code == 200
    # each instance sees what the other stored, and the same clock
    status_one, status_two = first.status(), second.status()
    assert status_one["state"] == status_two["state"] == "in_progress"
    assert abs(status_one["remaining"] - status_two["remaining"]) <= 5
    assert first.save_until_acked([first.next_save(2, "d")]).status_code == 200
    assert second.submit_until_answered([second.next_save(3, "a")]).json()["ended"] == \
        "submitted"

    assert assert_clean(first).clean
    assert {slot: s.value for slot, s in stored_answers(first.attempt_id).items()} == {
        "0": {"s0": ["c"]}, "1": {"s1": ["b"]}, "2": {"s2": ["d"]}, "3": {"s3": ["a"]}}
    # the other instance knows it is over: no further save is taken
    assert first.save(0, "b").status_code == 409
    assert not one.errors_logged() and not other.errors_logged()


def _verdict(response: httpx.Response) -> str:
    return re.search(r'data-verdict="(\w+)"', response.text).group(1)


def _revoked_in_list(server: LiveServer, index: int) -> bool:
    listing = httpx.get(f"{server.base_url}/api/v1/status-lists/revocation-0").json()
    return status_list.is_set(status_list.decode(listing["credentialSubject"]["encodedList"]),
                              index)


def test_F4_a_revocation_through_one_instance_is_seen_by_the_other_at_once(servers):
    one, other = servers
    org = make_org("东城区总工会")
    exam, _ = certified_exam(org)
    certificate = certificate_of(sit(exam, 5))
    who = officer(org)
    serial, index = certificate.serial, certificate.status_index
    # both instances have answered (and could have cached) the certificate as valid
    for server in servers:
        assert _verdict(httpx.get(f"{server.base_url}/verify/{serial}")) == "valid"
        assert not _revoked_in_list(server, index)

    desk = Candidate(one, who.email, PASSWORD)
    desk.login()
    page = desk.http.get(f"/certificate-admin/{serial}").text
    desk.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)
    response = desk.form_post(f"/certificate-admin/{serial}/revoke",
                              {"reason": "以欺骗手段取得", "revision": revision})
    assert response.status_code == 302

    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.REVOKED
    assert _verdict(httpx.get(f"{other.base_url}/verify/{serial}")) == "revoked"
    assert _revoked_in_list(other, index)
    assert _revoked_in_list(one, index)
    assert not one.errors_logged() and not other.errors_logged()


def test_F4_a_rate_limit_counts_requests_to_both_instances(servers, broker):
    """Limits live in Redis: a client spreading requests over the instances gets no
    more than the limit in all."""
    statuses = [httpx.get(f"{servers[n % 2].base_url}/verify/NOPE{n}").status_code
                for n in range(VERIFY_LIMIT + 2)]
    assert statuses == [404] * VERIFY_LIMIT + [429, 429]
    assert any(key.startswith(b"LIMITS") for key in broker.scan_iter())


def _healthz_count(server: LiveServer) -> float:
    text = httpx.get(f"{server.base_url}/metrics").text
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples
               if s.name == "lms_http_requests_total"
               and s.labels == {"endpoint": "core.healthz", "method": "GET", "status": "200"})


def test_metrics_add_up_every_worker_of_an_instance(servers):
    """Whichever worker answers the scrape counts the requests all workers served."""
    one = servers[0]
    before = _healthz_count(one)
    sent = 0
    while sent < 200:
        for _ in range(10):
            assert httpx.get(f"{one.base_url}/healthz").status_code == 200
        sent += 10
        workers = {path.stem.rsplit("_", 1)[-1]
                   for path in (one.workdir / "metrics").glob("counter_*.db")}
        if len(workers) >= 2:
            break
    assert len(workers) >= 2, "one worker served every request"
    assert _healthz_count(one) == before + sent


SKEW_SECONDS = 5


class SkewedServer(ProductionServer):
    def command(self) -> list[str]:
        return [*super().command()[:-1], "tests.reliability.skewed_server:app"]


@pytest.fixture
def skewed_pair(app, database_url, broker, tmp_path):
    """An instance on the machine's clock and one whose clock is 5 s ahead."""
    app.config["EXAM_SAVE_GRACE_SECONDS"] = GRACE_SECONDS
    shared = {"LMS_REDIS_URL": REDIS_URL, "LMS_INSTANCE_PATH": app.instance_path}
    pair = [ProductionServer(database_url, tmp_path / "on-time", env=shared),
            SkewedServer(database_url, tmp_path / "ahead",
                         env={**shared, "FAULT_CLOCK_SKEW": str(SKEW_SECONDS)})]
    yield from running(pair)


def _begun(server: LiveServer, items: int = 3) -> Candidate:
    exam = make_exam(items=items)
    session = make_session(exam)
    person = ready_candidate()
    db.session.commit()
    candidate = Candidate(server, person.email)
    candidate.begin(session.id, session.access_code)
    return candidate


def test_F14_an_attempt_started_ahead_and_handed_in_behind_has_no_negative_duration(
        skewed_pair):
    """Started through the server 5 s ahead, handed in at once through the other:
    the hand-in must not come before the start (Moodle MDL-21111)."""
    on_time, ahead = skewed_pair
    started = _begun(ahead)
    assert started.save_until_acked([started.next_save(0, "a")]).status_code == 200
    behind = through(started, on_time)
    for status in (started.status(), behind.status()):
        assert status["remaining"] >= 0
    response = behind.submit_until_answered([behind.next_save(1, "b")])
    assert response.json()["ended"] == "submitted"
    attempt = db.session.get(ExamAttempt, started.attempt_id)
    db.session.refresh(attempt)
    assert attempt.finished_at >= attempt.started_at
    assert all(a.saved_at >= attempt.started_at for a in db.session.scalars(
        sa.select(ExamAnswer).where(ExamAnswer.attempt_id == attempt.id)))
    assert_clean(started)


def test_F14_both_instances_count_down_from_one_clock(skewed_pair):
    """Each instance keeps time by the database's clock (lms.clock): the time left
    shown does not jump by the skew when requests alternate between them."""
    on_time, ahead = skewed_pair
    started = _begun(on_time)
    elsewhere = through(started, ahead)
    shown = [started.status()["remaining"], elsewhere.status()["remaining"],
             started.status()["remaining"]]
    # the two reads through the first instance bracket the one through the second
    assert shown[2] - 1 <= shown[1] <= shown[0] + 1
