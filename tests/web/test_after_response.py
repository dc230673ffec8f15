"""Work a request leaves for after its response (without a queue): a hand-in's receipt
mail and its marking run once the response has gone out, so an SMTP server that
accepts the connection and never answers cannot hold the candidate's hand-in."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from lms.clock import utcnow
from lms.exams import attempts, registration
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import PASSWORD


@pytest.fixture
def black_hole():
    """An "SMTP server" that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], held
    listener.close()
    for connection in held:
        connection.close()


def test_a_hand_in_answers_before_a_silent_smtp_server_gives_up(make_app, black_hole):
    port, held = black_hole
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=8)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with app.app_context():
            session = make_session(make_exam())
            user = ready_candidate(email="receipt@example.cn")
            attempt = registration.book(user, session, utcnow())
            attempts.check_in(attempt, session.access_code, utcnow())
            token = attempts.start(attempt, utcnow())
            db.session.commit()
            attempt_id = attempt.id
        with httpx.Client(base_url=base, timeout=30) as browser:
            browser.post("/login", data={"email": "receipt@example.cn", "password": PASSWORD})
            browser.cookies.set(f"exam_device_{attempt_id}", token, domain="127.0.0.1",
                                path=f"/exams/attempts/{attempt_id}")
            response = browser.post(f"/exams/attempts/{attempt_id}/submit", json={"saves": []})
        assert response.status_code == 200 and response.json()["ended"] == "submitted"
        with app.app_context():
            receipt = db.session.scalar(sa.select(OutboxMessage).where(
                OutboxMessage.kind == "exam_submitted"))
            # the candidate has the answer while the delivery still waits for the server
            assert receipt is not None and receipt.attempts == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # let the delivery give up before teardown
            with app.app_context():
                db.session.expire_all()
                if db.session.get(OutboxMessage, receipt.id).attempts == 1:
                    break
            time.sleep(0.2)
        assert held, "the delivery did try the silent server"
    finally:
        server.shutdown()
        server.server_close()
