"""Login, logout, sessions, rate limits and CSRF."""


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


def test_successful_logins_do_not_use_up_the_account_limit(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
    with app.app_context():
        user = make_user()
        for _ in range(4):
            client = app.test_client()
            assert post_login(client, user.email).status_code == 302


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
