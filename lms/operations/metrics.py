"""Prometheus metrics at ``/metrics``.

Per-request figures (latency by endpoint, autosaves) are counted in the process
that served the request with prometheus_client. Under gunicorn each worker is a
process of its own, so ``PROMETHEUS_MULTIPROC_DIR`` (set by deploy/gunicorn.conf.py)
makes them write to shared files that any worker adds up when scraped — no network
round trip per request and nothing to run for it, which counters in Redis would
cost; each app instance (port) is its own Prometheus target. What is true of the
whole system — mail waiting in the outbox, tasks waiting in the Celery queue,
attempts being sat — is read from the database and Redis at scrape time, so every
instance reports the same.

The page is for the monitoring system only: requests from loopback that did not
come through the proxy, or with ``Authorization: Bearer <LMS_METRICS_TOKEN>``.
Anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

AUTOSAVE_ENDPOINT = "exams.save"
#: headers a reverse proxy adds: a request carrying one is not a local scraper's
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")

REQUEST_SECONDS = Histogram(
    "lms_http_request_duration_seconds", "Time to answer a request, by Flask endpoint",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
REQUESTS = Counter("lms_http_requests", "Requests answered, by endpoint and status",
                   ["endpoint", "method", "status"])
AUTOSAVES = Counter("lms_exam_autosaves", "Autosave requests from exam pages, by status",
                    ["status"])

bp = Blueprint("operations", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_observe)


def _observe(response):
    started = g.get("request_started")
    if started is None:
        return response
    # 404s have no endpoint; the label must not take the (unbounded) path instead
    endpoint = request.endpoint or "none"
    REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if endpoint == AUTOSAVE_ENDPOINT:
        AUTOSAVES.labels(str(response.status_code)).inc()
    return response


@bp.get("/metrics")
def metrics():
    if not may_scrape():
        abort(404)
    registry = CollectorRegistry()
    registry.register(SystemCollector(current_app._get_current_object()))
    body = generate_latest(_process_registry()) + generate_latest(registry)
    return current_app.response_class(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                                      headers={"Cache-Control": "no-store"})


def may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(
            header.removeprefix("Bearer ").encode(), str(token).encode()):
        return True
    if any(name in request.headers for name in PROXY_HEADERS):
        return False  # nginx runs on loopback too: its clients are not local
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _process_registry():
    """The request metrics of this instance: all its workers' files in multiprocess
    mode, else this process's own."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class SystemCollector:
    """Gauges read at scrape time from the database and the broker."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from lms.exams.models import AttemptState, ExamAttempt
        from lms.extensions import db
        from lms.notifications.models import OutboxMessage, OutboxStatus

        pending = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == OutboxStatus.PENDING))
        yield GaugeMetricFamily("lms_outbox_pending", "Mails waiting in the outbox",
                                value=pending)
        counts = dict(db.session.execute(
            sa.select(ExamAttempt.state, sa.func.count()).where(
                ExamAttempt.state.in_([AttemptState.IN_PROGRESS, AttemptState.PAUSED]))
            .group_by(ExamAttempt.state)).all())
        attempts = GaugeMetricFamily("lms_exam_attempts_open",
                                     "Exam attempts being sat, by state", labels=["state"])
        for state in (AttemptState.IN_PROGRESS, AttemptState.PAUSED):
            attempts.add_metric([state.value], counts.get(state, 0))
        yield attempts
        queued = self._celery_queue_length()
        if queued is not None:
            yield GaugeMetricFamily("lms_celery_queue_length",
                                    "Tasks waiting in the Celery queue in Redis", value=queued)

    def _celery_queue_length(self) -> int | None:
        """Messages in the default queue (a Redis list); None without Redis or when it
        cannot be reached (the scrape still answers, the gauge is absent)."""
        url = self.app.config.get("REDIS_URL")
        if not url:
            return None
        import redis

        celery = self.app.extensions["celery"]
        queue = celery.conf.task_default_queue or "celery"
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            try:
                return int(client.llen(queue))
            finally:
                client.close()
        except redis.exceptions.RedisError as exc:
            log.warning("metrics: Celery queue length unavailable: %s", exc)
            return None
