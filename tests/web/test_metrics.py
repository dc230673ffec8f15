"""``/metrics`` (lms.operations.metrics): Prometheus text with request latency by endpoint,
autosaves, the outbox and Celery queue lengths and the attempts being sat; only for
loopback or a bearer token; and the proxy headers trusted only with LMS_PROXY_FIX."""

from __future__ import annotations

import pytest
from flask import request
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from lms.extensions import db
from lms.notifications.models import OutboxMessage
from tests.exam_factories import sitting_on

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict[tuple, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_latency_is_measured_per_endpoint(client):
    before = sample("lms_http_request_duration_seconds_count", endpoint="core.healthz",
                    method="GET")
    for _ in range(3):
        client.get("/healthz")
    client.get("/no-such-page")
    metrics = scrape(client)
    key = ("lms_http_request_duration_seconds_count",
           (("endpoint", "core.healthz"), ("method", "GET")))
    assert metrics[key] == before + 3
    bucket = ("lms_http_request_duration_seconds_bucket",
              (("endpoint", "core.healthz"), ("le", "+Inf"), ("method", "GET")))
    assert metrics[bucket] == metrics[key]
    # an unknown address is one label, not one per path typed
    assert ("lms_http_requests_total", (("endpoint", "none"), ("method", "GET"),
                                        ("status", "404"))) in metrics
    assert not any("no-such-page" in str(labels) for _name, labels in metrics)


def test_autosaves_open_attempts_and_the_outbox_are_counted(client, app):
    attempt = sitting_on(client)
    saved = sample("lms_exam_autosaves_total", status="200")
    for seq in (1, 2):
        response = client.post(f"/exams/attempts/{attempt.id}/answers", json={
            "saves": [{"slot": 0, "seq": seq, "response": {"s0": ["a"]}}]})
        assert response.status_code == 200
    db.session.add_all(OutboxMessage(kind="notice", to_address=f"p{n}@example.cn",
                                     subject="主题", body_text="正文") for n in range(2))
    db.session.commit()
    metrics = scrape(client)
    assert metrics[("lms_exam_autosaves_total", (("status", "200"),))] == saved + 2
    assert metrics[("lms_exam_attempts_open", (("state", "in_progress"),))] == 1
    assert metrics[("lms_exam_attempts_open", (("state", "paused"),))] == 0
    assert metrics[("lms_outbox_pending", ())] == 2
    # no Redis configured: no queue to measure, and no error either
    assert not any(name == "lms_celery_queue_length" for name, _ in metrics)


@pytest.mark.parametrize(("environ", "headers", "status"), [
    ({}, {}, 200),                                       # loopback
    (OUTSIDE, {}, 404),                                  # anyone else
    (OUTSIDE, {"Authorization": "Bearer s3cret-metrics"}, 200),
    (OUTSIDE, {"Authorization": "Bearer wrong"}, 404),
    (OUTSIDE, {"Authorization": "s3cret-metrics"}, 404),
    # through the proxy on the same machine: the client is not local
    ({}, {"X-Forwarded-For": "203.0.113.9"}, 404),
    ({}, {"X-Real-IP": "203.0.113.9"}, 404),
])
def test_only_loopback_or_the_bearer_token_may_scrape(make_app, environ, headers, status):
    app = make_app(METRICS_TOKEN="s3cret-metrics")
    with app.app_context():
        response = app.test_client().get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == status


def test_without_a_token_configured_no_bearer_opens_it(client):
    response = client.get("/metrics", environ_base=OUTSIDE,
                          headers={"Authorization": "Bearer "})
    assert response.status_code == 404


@pytest.mark.parametrize(("proxy_fix", "limited"), [(0, True), (1, False)])
def test_forwarded_addresses_count_only_behind_a_configured_proxy(make_app, proxy_fix,
                                                                  limited):
    """Rate limits key on the client address: without LMS_PROXY_FIX a forged
    X-Forwarded-For changes nothing; with it, nginx's last address is the client."""
    app = make_app(PROXY_FIX=proxy_fix, RATELIMIT_ENABLED=True,
                   VERIFY_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        statuses = [client.get(f"/verify/NOPE{n}",
                               headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
                    for n in range(3)]
    assert (statuses[-1] == 429) is limited


@pytest.mark.parametrize(("proxy_fix", "seen"), [(0, "http 127.0.0.1"),
                                                 (1, "https 198.51.100.7")])
def test_the_forwarded_scheme_and_address_are_seen_only_with_proxy_fix(make_app, proxy_fix,
                                                                        seen):
    app = make_app(PROXY_FIX=proxy_fix)
    app.add_url_rule("/_seen", "seen", lambda: f"{request.scheme} {request.remote_addr}")
    with app.app_context():
        response = app.test_client().get("/_seen", headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.1, 198.51.100.7"})
    assert response.text == seen


def test_with_proxy_fix_a_forwarded_loopback_address_cannot_scrape(make_app):
    app = make_app(PROXY_FIX=1)
    with app.app_context():
        response = app.test_client().get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert response.status_code == 404
