"""API v1: personal access tokens (created and revoked by admins, audited, stored as
hashes, shown once) and the read endpoints, each scoped like an officer's pages."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.api import tokens
from lms.api.models import ApiToken
from lms.audit.models import AuditEntry
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.i18n import local_today
from tests.api_factories import api_token, bearer
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.factories import make_org, make_user
from tests.retraining_factories import current_policy


@pytest.fixture
def issued(app):
    """A certificate of a qualification of 东城区总工会, its holder a member there."""
    org = make_org("东城区总工会")
    exam, _ = certified_exam(org)
    attempt = sit(exam, 5, name="张三明", org=org)
    return certificate_of(attempt), org


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


# -- tokens: the service ---------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash_and_audited_without_the_secret(app):
    org = make_org()
    admin = make_user(Role.ADMIN)
    token, secret = tokens.create_token(admin, name="会员系统", scopes=["plans:read"],
                                        organisation=org, expires_on=None,
                                        today=date(2026, 11, 24))
    db.session.commit()
    stored = db.session.get(ApiToken, token.id)
    assert secret.startswith("uca_") and len(secret) > 40
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(db.session.execute(sa.select(ApiToken.__table__)).all())
    [entry] = audit_entries("api_token.created")
    assert entry.actor_id == admin.id and entry.object_id == str(token.id)
    assert entry.after["scopes"] == ["plans:read"] and entry.after["organisation_id"] == org.id
    assert secret not in str(entry.after) and stored.token_hash not in str(entry.after)


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": "  "}, "name"),
    ({"scopes": []}, "scopes"),
    ({"scopes": ["certificates:write"]}, "scopes"),
    ({"expires_on": date(2026, 11, 24)}, "expires_on"),
])
def test_create_token_refuses_bad_input(app, fields, field):
    admin = make_user(Role.ADMIN)
    values = {"name": "会员系统", "scopes": ["plans:read"], "organisation": None,
              "expires_on": None, **fields}
    with pytest.raises(ValidationFailed) as refused:
        tokens.create_token(admin, today=date(2026, 11, 24), **values)
    assert refused.value.field == field


def test_a_scoped_admin_cannot_create_a_token_beyond_their_subtree(app):
    mine, other = make_org(), make_org()
    admin = make_user(Role.ADMIN, scope=mine, org=mine)
    for organisation in (other, None):
        with pytest.raises(ValidationFailed):
            tokens.create_token(admin, name="x", scopes=["plans:read"],
                                organisation=organisation, expires_on=None,
                                today=date(2026, 11, 24))
    child = make_org(parent=mine)
    token, _secret = tokens.create_token(admin, name="x", scopes=["plans:read"],
                                         organisation=child, expires_on=None,
                                         today=date(2026, 11, 24))
    assert token.organisation_id == child.id


# -- tokens: the admin pages -----------------------------------------------------------------


def test_admin_creates_a_token_and_sees_its_secret_only_once(login_as, app):
    org = make_org("东城区总工会")
    client = login_as(make_user(Role.ADMIN))
    response = client.post("/admin/api-tokens", data={
        "name": "东城会员系统", "scopes": ["certificates:read", "plans:read"],
        "organisation_id": str(org.id), "expires_on": ""})
    page = response.get_data(as_text=True)
    [token] = db.session.scalars(sa.select(ApiToken)).all()
    secret = page.split('id="new-token">')[1].split("<")[0]
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert token.token_hash == tokens.digest(secret) and token.organisation_id == org.id
    assert token.scopes == ["certificates:read", "plans:read"]
    assert "Set-Cookie" not in response.headers or secret not in response.headers["Set-Cookie"]
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "东城会员系统" in listing and token.prefix in listing and secret not in listing
    assert len(audit_entries("api_token.created")) == 1


def test_admin_revokes_a_token_which_stops_working_at_once(login_as, app):
    token, secret = api_token()
    admin = make_user(Role.ADMIN)
    client = login_as(admin)
    assert client.get("/api/v1/register", headers=bearer(secret)).status_code == 200
    response = client.post(f"/admin/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/register", headers=bearer(secret)).status_code == 401
    [entry] = audit_entries("api_token.revoked")
    assert entry.actor_id == admin.id and entry.after["revoked"] is True
    client.post(f"/admin/api-tokens/{token.id}/revoke")  # twice: recorded once
    assert len(audit_entries("api_token.revoked")) == 1


def test_a_scoped_admin_neither_sees_nor_revokes_another_subtrees_token(login_as, app):
    mine, other = make_org("我的工会"), make_org("别的工会")
    theirs, _secret = api_token(other, name="别人的系统")
    api_token(mine, name="我们的系统")
    client = login_as(make_user(Role.ADMIN, scope=mine, org=mine))
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "我们的系统" in listing and "别人的系统" not in listing
    assert client.post(f"/admin/api-tokens/{theirs.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, theirs.id).revoked_at is None


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.OFFICER, Role.TRAINER])
def test_only_admins_open_the_token_pages(login_as, app, role):
    token, _secret = api_token()
    client = login_as(make_user(role))
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post("/admin/api-tokens", data={"name": "x", "scopes": ["plans:read"],
                                                  "organisation_id": ""}).status_code == 403
    assert client.post(f"/admin/api-tokens/{token.id}/revoke").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


def test_the_token_form_needs_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = make_user(Role.ADMIN)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = admin.get_id()
        response = client.post("/admin/api-tokens", data={
            "name": "x", "scopes": ["plans:read"], "organisation_id": ""})
        assert response.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


# -- authentication --------------------------------------------------------------------------


def _error_of(response) -> str:
    body = response.get_json()
    assert set(body) == {"error", "message"} and body["message"]
    return body["error"]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer uca_not-a-real-token"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer " + "x" * 5000},
])
def test_a_missing_or_unknown_token_is_401(client, headers):
    response = client.get("/api/v1/certificates", headers=headers)
    assert response.status_code == 401 and _error_of(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401_from_the_day_after_its_expiry(client):
    today = local_today()
    _token, lasts = api_token(expires_on=today)
    _token, ended = api_token(expires_on=today - timedelta(days=1))
    assert client.get("/api/v1/register", headers=bearer(lasts)).status_code == 200
    assert client.get("/api/v1/register", headers=bearer(ended)).status_code == 401


def test_a_session_cookie_is_no_credential_for_the_api(login_as, app):
    client = login_as(make_user(Role.ADMIN))
    assert client.get("/api/v1/certificates").status_code == 401
    assert client.get("/api/v1/register").status_code == 401


def test_a_token_without_the_scope_is_403(client):
    _token, secret = api_token(scopes=["register:read"])
    for url in ("/api/v1/certificates", "/api/v1/users/1/results", "/api/v1/users/1/plan"):
        response = client.get(url, headers=bearer(secret))
        assert response.status_code == 403 and _error_of(response) == "forbidden"


def test_last_use_is_recorded(client):
    token, secret = api_token()
    assert token.last_used_at is None
    client.get("/api/v1/register", headers=bearer(secret))
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_requests_are_rate_limited_per_token(make_app):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute")
    with app.app_context():
        _token, first = api_token()
        _token, second = api_token()
        client = app.test_client()
        statuses = [client.get("/api/v1/register", headers=bearer(first)).status_code
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.get("/api/v1/register", headers=bearer(first))
        assert _error_of(limited) == "rate_limited"
        assert client.get("/api/v1/register", headers=bearer(second)).status_code == 200


def test_errors_have_one_shape(client):
    _token, secret = api_token()
    missing = client.get("/api/v1/no-such-thing", headers=bearer(secret))
    assert missing.status_code == 404 and _error_of(missing) == "not_found"
    wrong = client.post("/api/v1/certificates", headers=bearer(secret))
    assert wrong.status_code == 405 and _error_of(wrong) == "method_not_allowed"
    bad = client.get("/api/v1/certificates?per_page=1000", headers=bearer(secret))
    assert bad.status_code == 400 and _error_of(bad) == "invalid_parameter"
    bad = client.get("/api/v1/certificates?status=lost", headers=bearer(secret))
    assert bad.status_code == 400 and _error_of(bad) == "invalid_parameter"
    nul = client.get("/api/v1/register?q=a%00b", headers=bearer(secret))
    assert nul.status_code == 400 and _error_of(nul) == "bad_request"


# -- the read endpoints --------------------------------------------------------------------


def test_certificates_lists_those_in_scope_with_their_status(client, issued):
    certificate, org = issued
    other_exam, _ = certified_exam(make_org("西城区总工会"))
    certificate_of(sit(other_exam, 5, name="李四"))
    _token, secret = api_token(org, ["certificates:read"])
    body = client.get("/api/v1/certificates", headers=bearer(secret)).get_json()
    assert [c["serial"] for c in body["items"]] == [certificate.serial]
    [item] = body["items"]
    assert item["verdict"] == "valid" and item["status"] == "active"
    assert item["holder"] == {"id": certificate.holder_id, "name": "张三明"}
    assert item["issuer"] == "东城区总工会" and item["level"]["code"] == "intermediate"
    assert body["has_more"] is False and body["page"] == 1
    one = client.get(f"/api/v1/certificates/{certificate.serial}", headers=bearer(secret))
    assert one.status_code == 200 and one.get_json() == item


def test_certificates_page_through_and_filter_by_status(client):
    org = make_org()
    exam, _ = certified_exam(org)
    certificate = certificate_of(sit(exam, 5, name="张三明", org=org))
    second = certificate_of(sit(exam, 5, name="王五", org=org))
    _token, secret = api_token(org, ["certificates:read"])
    first_page = client.get("/api/v1/certificates?per_page=1", headers=bearer(secret)).get_json()
    second_page = client.get("/api/v1/certificates?per_page=1&page=2",
                             headers=bearer(secret)).get_json()
    assert [c["serial"] for c in first_page["items"]] == [second.serial]
    assert first_page["has_more"] is True and second_page["has_more"] is False
    assert [c["serial"] for c in second_page["items"]] == [certificate.serial]
    revoked = client.get("/api/v1/certificates?status=revoked", headers=bearer(secret))
    assert revoked.get_json()["items"] == []


def test_no_id_number_or_email_reaches_any_endpoint(client, issued):
    certificate, org = issued
    current_policy(certificate.level)
    holder = certificate.holder
    _token, secret = api_token(org)
    bodies = [client.get(url, headers=bearer(secret)).get_data(as_text=True) for url in (
        "/api/v1/certificates", f"/api/v1/certificates/{certificate.serial}",
        f"/api/v1/users/{holder.id}/results", f"/api/v1/users/{holder.id}/plan")]
    for body in bodies:
        assert holder.email not in body and "id_number" not in body
        assert "encrypted" not in body and "password" not in body


def test_results_of_a_candidate_in_scope(client, issued):
    certificate, org = issued
    _token, secret = api_token(org, ["results:read"])
    response = client.get(f"/api/v1/users/{certificate.holder_id}/results",
                          headers=bearer(secret))
    [attempt] = response.get_json()["items"]
    assert attempt["attempt_id"] == certificate.attempt_id and attempt["state"] == "released"
    assert attempt["result"]["percent"] == "100.00" and attempt["result"]["passed"] is True


def test_the_plan_of_a_holder_in_scope(client, issued):
    certificate, org = issued
    current_policy(certificate.level)
    _token, secret = api_token(org, ["plans:read"])
    body = client.get(f"/api/v1/users/{certificate.holder_id}/plan",
                      headers=bearer(secret)).get_json()
    [plan] = body["items"]
    assert body["user_id"] == certificate.holder_id
    assert plan["certificate"]["serial"] == certificate.serial
    assert plan["standing"] == "good" and len(plan["cycles"]) == 3
    assert plan["cycles"][0]["hours_required"] == "10.00"


def test_the_register_as_the_public_page_shows_it(client, issued):
    from lms.certificates.register import save_entry

    certificate, _org = issued
    save_entry(certificate.holder, listed=True, region="东城区", specialities="劳动法",
               profile="十年调解经验", show_full_name=False)
    db.session.commit()
    _token, secret = api_token(None, ["register:read"])
    body = client.get("/api/v1/register?q=劳动法", headers=bearer(secret)).get_json()
    [entry] = body["items"]
    assert entry["name"] == "张*明" and entry["region"] == "东城区"
    assert entry["certificates"][0]["serial"] == certificate.serial
    empty = client.get("/api/v1/register?q=木工", headers=bearer(secret)).get_json()
    assert empty["items"] == []


def test_the_openapi_document_describes_every_api_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    routes = {rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/")}
    documented = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    as_rules = {rule.replace("<int:", "<") for rule in routes}
    assert as_rules <= documented
    assert "/.well-known/did.json" in document["paths"]


def test_a_status_list_number_in_other_digits_is_404_not_500(client):
    """"²".isdigit() holds but int("²") fails: the list id must be ASCII digits."""
    for list_id in ("revocation-²", "revocation-٣", "suspension-１"):
        response = client.get(f"/api/v1/status-lists/{list_id}")
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
