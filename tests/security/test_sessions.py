"""Attacks on logins and sessions, and account-level bad input (RELIABILITY.md A1,
A10, A11, A15–A17, A23, A28, B6, B8, B10): moved here from tests/web."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role, User
from lms.audit.models import AuditEntry
from lms.extensions import db
from tests.factories import PASSWORD
from tests.web.test_admin import audit_entries
from tests.web.test_auth import post_login, session_cookie
from tests.web.test_registration import PHOTO, count, register


def test_A11_logout_needs_post(client, make_user):
    user = make_user()
    post_login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


def test_A10_B6_form_post_without_csrf_token_is_rejected(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user()
        response = app.test_client().post("/login", data={"email": user.email,
                                                          "password": PASSWORD})
        assert response.status_code == 400
        assert "表单已过期" in response.get_data(as_text=True)
        assert user.last_login_at is None


def test_A10_B6_json_write_needs_the_csrf_header(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user()
        client = app.test_client()
        client.get("/login")
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        page = client.get("/dashboard").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        refused = client.post("/language", json={"locale": "en"})
        assert refused.status_code == 400
        assert refused.get_json()["status"] == 400
        accepted = client.post("/language", data={"locale": "en"},
                               headers={"X-CSRFToken": token})
        assert accepted.status_code == 302
        assert user.locale == "en"


def test_A15_wrong_password_and_unknown_email_get_the_same_generic_error(client, make_user):
    user = make_user()
    wrong = post_login(client, user.email, "not the password at all").get_data(as_text=True)
    unknown = post_login(client, "nobody@example.cn").get_data(as_text=True)
    for page in (wrong, unknown):
        assert "电子邮件地址或密码错误" in page
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["auth.login_failed", "auth.login_failed"]


def test_A15_login_is_rate_limited_per_address(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="5 per minute",
                   LOGIN_ACCOUNT_RATE_LIMIT="100 per minute")
    with app.app_context():
        user = make_user()
        client = app.test_client()
        statuses = [post_login(client, user.email, "wrong password!").status_code
                    for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        blocked = post_login(client, user.email)  # even the right password waits
        assert blocked.status_code == 429
        assert "尝试次数过多" in blocked.get_data(as_text=True)


def test_A15_failed_logins_on_one_account_are_limited_from_any_address(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute",
                   LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    with app.app_context():
        user = make_user()
        bystander = make_user()
        statuses = []
        for n in range(4):
            client = app.test_client()
            statuses.append(client.post("/login", data={"email": user.email.upper(),
                                                        "password": "wrong password!"},
                                        environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code)
        assert statuses == [200, 200, 200, 429]
        # another account is not locked out by the attack on this one
        assert post_login(app.test_client(), bystander.email).status_code == 302


def test_A15_a_class_behind_one_address_can_all_log_in(make_app, make_user):
    """A test centre: forty candidates log in through one NAT address within a minute."""
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        users = [make_user() for _ in range(40)]
        statuses = {post_login(app.test_client(), u.email).status_code for u in users}
        assert statuses == {302}


def test_A16_session_is_renewed_at_login(client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"  # session fixation attempt
    before = session_cookie(client)
    post_login(client, user.email)
    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}.0"


def test_A17_logout_invalidates_the_session_server_side(client, make_user, app):
    user = make_user()
    post_login(client, user.email)
    stolen = session_cookie(client)  # a copy of the cookie, e.g. on another device
    assert client.post("/logout").status_code == 302
    other = app.test_client()
    other.set_cookie("session", stolen, domain="localhost")
    response = other.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_A17_deactivation_ends_the_users_sessions_and_is_audited(client, login_as, make_user, app):
    target = make_user()
    their_client = app.test_client()
    their_client.post("/login", data={"email": target.email, "password": PASSWORD})
    assert their_client.get("/dashboard").status_code == 200

    login_as(make_user(Role.ADMIN))
    client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    assert not target.active
    assert their_client.get("/dashboard").status_code == 302
    [entry] = audit_entries("user.deactivated")
    assert (entry.before, entry.after) == ({"active": True}, {"active": False})


def test_A28_pages_carry_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_A1_user_ids_in_urls_cannot_be_walked(client, login_as, make_user):
    other = make_user()
    login_as(make_user(Role.CANDIDATE))
    assert client.get(f"/admin/users/{other.id}").status_code == 403
    assert client.get("/admin/users/999999").status_code in (403, 404)


@pytest.mark.parametrize(("payload", "message"), [
    (b"%PDF-1.7 not an image", "JPEG、PNG 或 WebP"),
    (b"\xff\xd8\xff\xe0" + b"0" * 100, "JPEG、PNG 或 WebP"),
    (PHOTO + b"\0" * 200_000, "大于 0.125 MB"),
])
def test_A23_B10_non_image_or_oversized_photo_is_refused(make_app, payload, message):
    # A smaller limit keeps the upload in memory (the test client spools big ones to disk).
    app = make_app(PHOTO_MAX_BYTES=2**17)
    client = app.test_client()
    response = register(client, photo=(io.BytesIO(payload), "me.jpg"), consent_photo="y")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(User) == 0
    photos = Path(app.instance_path) / "photos"
    assert not photos.exists() or not any(photos.iterdir())


def test_B8_login_accepts_email_in_other_case_and_width(client, make_user):
    make_user(email="li.ming@example.cn")
    assert post_login(client, "ＬＩ.Ming@Example.cn").status_code == 302


@pytest.mark.parametrize("email", ["ZHANG.SAN@example.cn", "ｚｈａｎｇ.ｓａｎ@example.cn",
                                   "  Zhang.San@EXAMPLE.cn "])
def test_B8_duplicate_email_in_another_case_or_width_is_refused(client, make_user, email):
    make_user(email="zhang.san@example.cn")
    response = register(client, email=email)
    assert response.status_code == 200
    assert "该电子邮件地址已被注册" in response.get_data(as_text=True)
    assert count(User) == 1
