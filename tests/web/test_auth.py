"""Login, logout, sessions, rate limits and CSRF."""

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.extensions import db
from tests.factories import PASSWORD


def post_login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_login_page_is_chinese(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page and "电子邮件" in page


def test_user_logs_in_and_sees_dashboard(client, make_user):
    user = make_user(name="李明")
    response = post_login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert "李明，您好" in client.get("/dashboard").get_data(as_text=True)
    assert user.last_login_at is not None


def test_login_accepts_email_in_other_case_and_width(client, make_user):
    make_user(email="li.ming@example.cn")
    assert post_login(client, "ＬＩ.Ming@Example.cn").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_generic_error(client, make_user):
    user = make_user()
    wrong = post_login(client, user.email, "not the password at all").get_data(as_text=True)
    unknown = post_login(client, "nobody@example.cn").get_data(as_text=True)
    for page in (wrong, unknown):
        assert "电子邮件地址或密码错误" in page
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["auth.login_failed", "auth.login_failed"]


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user(active=False)
    assert post_login(client, user.email).status_code == 200


def test_login_redirect_never_leaves_the_site(client, make_user):
    user = make_user()
    response = client.post("/login?next=//evil.example/x",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/dashboard"
    client.post("/logout")
    response = client.post("/login?next=/account/profile",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account/profile"


def test_session_is_renewed_at_login(client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"  # session fixation attempt
    before = session_cookie(client)
    post_login(client, user.email)
    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}.0"


def test_logout_invalidates_the_session_server_side(client, make_user, app):
    user = make_user()
    post_login(client, user.email)
    stolen = session_cookie(client)  # a copy of the cookie, e.g. on another device
    assert client.post("/logout").status_code == 302
    other = app.test_client()
    other.set_cookie("session", stolen, domain="localhost")
    response = other.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_needs_post(client, make_user):
    user = make_user()
    post_login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


def test_password_change_ends_other_sessions_but_keeps_this_one(client, make_user, app):
    user = make_user()
    post_login(client, user.email)
    other = app.test_client()
    post_login(other, user.email)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "Zhong-Hua-Gong-Hui-2026",
        "password_confirm": "Zhong-Hua-Gong-Hui-2026"})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302


def test_login_is_rate_limited_per_address(make_app, make_user):
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


def test_failed_logins_on_one_account_are_limited_from_any_address(make_app, make_user):
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


def test_successful_logins_do_not_use_up_the_account_limit(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
    with app.app_context():
        user = make_user()
        for _ in range(4):
            client = app.test_client()
            assert post_login(client, user.email).status_code == 302


def test_form_post_without_csrf_token_is_rejected(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user()
        response = app.test_client().post("/login", data={"email": user.email,
                                                          "password": PASSWORD})
        assert response.status_code == 400
        assert "表单已过期" in response.get_data(as_text=True)
        assert user.last_login_at is None


def test_form_post_with_csrf_token_is_accepted(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302


def test_json_write_needs_the_csrf_header(make_app, make_user):
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


def test_language_switch_is_kept_for_the_user(client, make_user):
    user = make_user()
    post_login(client, user.email)
    client.post("/language", data={"locale": "en", "next": "/dashboard"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log out" in page
    assert user.locale == "en"
    client.post("/logout")
    # a fresh login elsewhere keeps the preference
    fresh = client.application.test_client()
    post_login(fresh, user.email)
    assert "Log out" in fresh.get("/dashboard").get_data(as_text=True)


def test_anonymous_language_switch_lasts_the_session(client):
    client.post("/language", data={"locale": "en"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"locale": "xx"})  # unknown codes are ignored
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_remember_cookie_dies_with_the_session_generation(client, make_user, app):
    user = make_user()
    post_login(client, user.email, remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    # a device that kept only the long-lived remember cookie
    device = app.test_client()
    device.set_cookie("remember_token", remember.value, domain="localhost")
    assert device.get("/dashboard").status_code == 200
    client.post("/logout")
    later = app.test_client()
    later.set_cookie("remember_token", remember.value, domain="localhost")
    assert later.get("/dashboard").status_code == 302


def test_a_class_behind_one_address_can_all_log_in(make_app, make_user):
    """A test centre: forty candidates log in through one NAT address within a minute."""
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        users = [make_user() for _ in range(40)]
        statuses = {post_login(app.test_client(), u.email).status_code for u in users}
        assert statuses == {302}
