"""URL × role → status, and organisation scope: lists and detail pages agree."""

import pytest

from lms.accounts.models import Role

PUBLIC = ["/", "/login", "/register", "/password/forgot", "/healthz", "/consent/personal_info",
          "/tools/wages", "/tools/wages/overtime", "/verify", "/cadres"]
LOGGED_IN = ["/dashboard", "/account/profile", "/account/password", "/certificates/"]
ADMIN_OR_OFFICER = ["/admin/users", "/certificate-admin/", "/certificate-admin/requests",
                    "/certificate-admin/qualifications", "/certificate-admin/qualifications/new"]
ADMIN_ONLY = ["/admin/organisations", "/admin/audit/"]
AUTHORS = ["/author/courses", "/author/courses/new",  # trainers and admins
           "/questions/", "/questions/banks/new", "/questions/retire-by-law"]
EXAM_EDITORS = ["/exam-admin/", "/exam-admin/exams/new"]  # officers, admins and trainers

ROLES = [None, Role.CANDIDATE, Role.TRAINER, Role.PROCTOR, Role.OFFICER, Role.ADMIN]


GUEST_PAGES = ["/", "/login", "/register"]  # a logged-in user is sent to the dashboard


def expected(url, role):
    if url in GUEST_PAGES and role is not None:
        return 302
    if url in PUBLIC:
        return 200
    if role is None:
        return 302  # to the login page
    if url in LOGGED_IN:
        return 200
    if url in ADMIN_OR_OFFICER:
        return 200 if role in (Role.ADMIN, Role.OFFICER) else 403
    if url in AUTHORS:
        return 200 if role in (Role.ADMIN, Role.TRAINER) else 403
    if url in EXAM_EDITORS:
        return 200 if role in (Role.ADMIN, Role.OFFICER, Role.TRAINER) else 403
    return 200 if role == Role.ADMIN else 403


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "guest")
@pytest.mark.parametrize("url", PUBLIC + LOGGED_IN + ADMIN_OR_OFFICER + ADMIN_ONLY + AUTHORS
                         + EXAM_EDITORS)
def test_access_matrix(client, login_as, make_user, url, role):
    if role is not None:
        login_as(make_user(role))
    response = client.get(url)
    assert response.status_code == expected(url, role)
    if response.status_code == 403:
        assert "您没有权限访问此页面" in response.get_data(as_text=True)


@pytest.fixture
def two_districts(make_org):
    city = make_org("市总工会")
    district_a = make_org("甲区总工会", parent=city)
    district_b = make_org("乙区总工会", parent=city)
    street_a = make_org("甲区街道工会", parent=district_a)
    return city, district_a, district_b, street_a


def test_officer_of_district_a_sees_only_district_a(client, login_as, make_user, two_districts):
    _city, district_a, district_b, street_a = two_districts
    in_a = make_user(name="甲区学员", org=street_a)
    in_b = make_user(name="乙区学员", org=district_b)
    login_as(make_user(Role.OFFICER, scope=district_a, org=district_a, name="甲区认证官"))
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "甲区学员" in listing and "乙区学员" not in listing
    assert client.get(f"/admin/users/{in_a.id}").status_code == 200
    assert client.get(f"/admin/users/{in_b.id}").status_code == 403
    # the search cannot be used to reach across either
    assert "乙区学员" not in client.get(f"/admin/users?org={district_b.id}").get_data(
        as_text=True)


def test_officer_cannot_change_users_even_in_scope(client, login_as, make_user, two_districts):
    _city, district_a, _b, street_a = two_districts
    target = make_user(org=street_a)
    login_as(make_user(Role.OFFICER, scope=district_a))
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code \
        == 403
    assert target.active


def test_scoped_admin_manages_only_their_subtree(client, login_as, make_user, two_districts):
    city, district_a, district_b, street_a = two_districts
    in_a = make_user(org=street_a)
    in_b = make_user(org=district_b)
    login_as(make_user(Role.ADMIN, scope=district_a, org=district_a))
    assert client.post(f"/admin/users/{in_b.id}/active", data={"active": "0"}).status_code == 403
    assert in_b.active
    # cannot grant a role over an organisation outside the subtree, nor platform-wide
    for org_id in (district_b.id, city.id, ""):
        response = client.post(f"/admin/users/{in_a.id}/roles",
                               data={"role": "officer", "organisation_id": org_id})
        assert response.status_code == 403
    assert in_a.roles == {Role.CANDIDATE}
    response = client.post(f"/admin/users/{in_a.id}/roles",
                           data={"role": "proctor", "organisation_id": street_a.id})
    assert response.status_code == 302
    assert Role.PROCTOR in in_a.roles


def test_missing_page_is_a_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "您访问的页面不存在" in response.get_data(as_text=True)


def test_server_error_is_a_chinese_500(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "系统出现错误" in body and "kaboom" not in body
