"""Celery on a real Redis broker: a worker, not the request, delivers the outbox.

Needs the tests' Redis server (`tests.conftest.redis_url`; database 14 is this file's
own and is emptied); skipped when it is unreachable, unless ``LMS_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import time

import pytest
import redis
from celery import signals
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state

from lms.extensions import db
from lms.notifications.models import OutboxMessage, OutboxStatus
from lms.notifications.services import queue_mail
from tests import factories
from tests.conftest import free_port, redis_url

pytestmark = pytest.mark.redis

REDIS_URL = redis_url(14)
TASK = "lms.tasks.deliver_outbox"


def _redis(url: str) -> redis.Redis:
    """A client for ``url`` with the database emptied, or skip (fail if required)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        reason = f"Redis at {url} is unreachable ({exc})"
    else:
        client.flushdb()
        return client
    if os.environ.get("LMS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and LMS_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


@pytest.fixture
def broker():
    client = _redis(REDIS_URL)
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def redis_app(make_app, smtp_server, broker):
    app = make_app(REDIS_URL=REDIS_URL, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    yield app


@pytest.fixture
def worker(redis_app):
    """A real Celery worker consuming from Redis in a thread of this process."""

    def keep_pytest_logging(**kwargs):
        """Connected, it stops Celery from replacing the root logger's handlers."""

    signals.setup_logging.connect(keep_pytest_logging, weak=False)
    try:
        with start_worker(redis_app.extensions["celery"], pool="solo",
                          perform_ping_check=False, shutdown_timeout=10) as started:
            yield started
    finally:
        signals.setup_logging.disconnect(keep_pytest_logging)


def _wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _status(message_id: int) -> OutboxStatus:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id).status


def test_worker_on_redis_delivers_committed_mail(redis_app, worker, smtp_server):
    done_before = worker_state.total_count[TASK]
    with redis_app.app_context():
        assert redis_app.extensions["celery"].conf.task_always_eager is False
        message = queue_mail("password_reset", "wang.wu@example.cn",
                             user=factories.make_user(name="王五"), link="http://localhost/x")
        db.session.commit()

        [mail] = smtp_server.wait_for(1, timeout=10)
        assert mail["To"] == "wang.wu@example.cn"
        assert "王五" in mail.get_content()
        assert _wait_until(lambda: _status(message.id) == OutboxStatus.SENT)
        assert _wait_until(lambda: worker_state.total_count[TASK] == done_before + 1)


def test_commit_publishes_delivery_to_the_redis_broker(redis_app, broker):
    with redis_app.app_context():
        message = queue_mail("password_reset", "a@example.cn", user=factories.make_user(),
                             link="http://localhost/x")
        db.session.commit()

        assert broker.llen("celery") == 1  # waiting for a worker, not run in the request
        assert _status(message.id) == OutboxStatus.PENDING


def test_commit_succeeds_and_mail_waits_when_broker_is_down(make_app, broker, caplog):
    first = make_app(REDIS_URL=REDIS_URL)
    first.extensions["celery"].send_task(TASK)  # opens pooled connections to a live broker
    down = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/14", SMTP_HOST="127.0.0.1")
    with down.app_context():
        message = queue_mail("password_reset", "a@example.cn", user=factories.make_user(),
                             link="http://localhost/x")
        db.session.commit()

        assert _status(message.id) == OutboxStatus.PENDING
    assert "could not enqueue outbox delivery; beat will retry" in caplog.messages
    assert broker.llen("celery") == 1  # not sent to the first app's broker either


def test_app_without_redis_url_runs_tasks_eagerly_again(redis_app, make_app, smtp_server):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    with app.app_context():
        assert app.extensions["celery"].conf.task_always_eager is True
        queue_mail("password_reset", "a@example.cn", user=factories.make_user(),
                   link="http://localhost/x")
        db.session.commit()

        assert len(smtp_server.messages) == 1
