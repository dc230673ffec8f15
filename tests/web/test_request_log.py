"""The per-request log line (lms.operations.request_log): its request id, its fields, and
what never reaches it — passwords, ID numbers, tokens, query strings (RELIABILITY.md
P4) — and lines a user cannot forge (A29)."""

from __future__ import annotations

import json
import logging

import pytest

from lms.extensions import db
from lms.operations.logsafe import EscapingFormatter, escape
from lms.retraining import ical
from tests.factories import PASSWORD, make_user

ID_NUMBER = "11010519491231002X"
FORGED = "\n2026-01-01 INFO admin login ok"


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def request_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "lms.requests"]


def everything_logged(caplog) -> str:
    """Every record as the production formatter writes it (deploy/gunicorn.conf.py)."""
    formatter = EscapingFormatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_each_request_gets_one_line_with_its_id_and_the_user_id(client, logs):
    user = make_user(email="line@example.cn")
    logs.clear()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    [line] = request_lines(logs)
    assert line["rid"] == response.headers["X-Request-ID"] and len(line["rid"]) == 32
    assert {k: line[k] for k in ("method", "path", "endpoint", "status", "user")} == {
        "method": "POST", "path": "/login", "endpoint": "accounts.login", "status": 302,
        "user": user.id}
    assert line["ms"] >= 0
    assert user.email not in everything_logged(logs)


@pytest.mark.parametrize(("incoming", "kept"), [
    ("7f1c2e9a0b4d4e5f8a6b3c2d1e0f9a8b", True),  # nginx's $request_id
    ("3c5e0a52-6d0e-4c43-9f2b-0b9c1f8f6d11", True),
    ("bad id", False), ("x" * 65, False), ("abc\tINFO forged", False), ("abc\x1b[2Jx", False),
    ("", False)])
def test_a_well_formed_incoming_request_id_is_kept_any_other_replaced(client, logs, incoming,
                                                                      kept):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    rid = response.headers["X-Request-ID"]
    assert (rid == incoming) is kept
    if not kept:
        assert len(rid) == 32 and rid.isalnum()
    assert request_lines(logs)[-1]["rid"] == rid


def test_P4_a_password_at_login_is_never_logged(client, logs):
    user = make_user(email="secret@example.cn")
    client.post("/login", data={"email": user.email, "password": "wrong-Pa55word!"})
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    text = everything_logged(logs)
    assert request_lines(logs)
    assert "wrong-Pa55word!" not in text and PASSWORD not in text and user.email not in text


def test_P4_an_id_number_saved_in_the_profile_is_never_logged(client, login_as, logs):
    user = make_user()
    login_as(user)
    response = client.post("/account/profile?id_number=" + ID_NUMBER, data={
        "real_name": "张三", "locale": "zh_CN", "id_number": ID_NUMBER,
        "consent_id_number": "y"})
    assert response.status_code == 302
    [line] = request_lines(logs)
    assert line["path"] == "/account/profile" and line["user"] == user.id
    assert ID_NUMBER not in everything_logged(logs)
    assert ID_NUMBER[:6] + "*" not in everything_logged(logs)


def test_P4_a_calendar_feed_token_is_never_logged(client, logs):
    user = make_user()
    token = ical.new_token(user)
    db.session.commit()
    logs.clear()
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    assert client.get(f"/calendar/{token}x.ics?token={token}").status_code == 404
    lines = request_lines(logs)
    assert [line["path"] for line in lines] == ["/calendar/[redacted].ics"] * 2
    assert token not in everything_logged(logs)


def test_P4_a_reset_link_token_and_a_serial_are_redacted(client, logs):
    client.get("/password/reset/tok-3f9a8b7c6d5e")
    client.get("/verify/SERIAL9Q8W7E6R5T")
    text = everything_logged(logs)
    assert "tok-3f9a8b7c6d5e" not in text and "SERIAL9Q8W7E6R5T" not in text
    assert [line["path"] for line in request_lines(logs)] == [
        "/password/reset/[redacted]", "/verify/[redacted]"]


def test_A29_a_username_with_a_newline_cannot_forge_a_log_line(client, logs):
    username = "alice" + FORGED
    client.post("/login", data={"email": username, "password": "x"})
    client.get("/no-such-page" + FORGED.replace("\n", "%0A"),
               headers={"X-Request-ID": "abc\x1b[2J"})
    logging.getLogger("lms.test").warning("login failed for %s", username)
    text = everything_logged(logs)
    lines = text.splitlines()
    assert len(lines) == len(logs.records)  # each record is one line
    assert not any(line.startswith("2026-01-01") for line in lines)
    assert "\\n2026-01-01 INFO admin login ok" in text  # still there to read, escaped


def test_escape_makes_every_control_character_visible():
    assert escape("a\nb\rc\td\x00e\x1bf\u2028g") == "a\\nb\\rc\\td\\x00e\\x1bf\\u2028g"
    assert escape("工会干部 ok") == "工会干部 ok"
