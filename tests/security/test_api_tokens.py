"""API tokens against the catalogue: A18 (privilege escalation: a token or a
non-admin reaching beyond its grant) and A19 (cross-scope: a token of one
organisation reading another's certificates, results or plans)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.api.models import ApiToken
from lms.certificates.models import Certificate, CertificateStatus
from lms.extensions import db
from tests.api_factories import ALL_SCOPES, api_token, bearer
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.factories import make_org, make_user
from tests.retraining_factories import current_policy


@pytest.fixture
def two_districts(app):
    """东城 (with a street union below it) and 西城, each issuing a certificate to a
    member of its own; a certificate policy on both levels."""
    dongcheng = make_org("东城区总工会")
    street = make_org("东华门街道工会", parent=dongcheng)
    xicheng = make_org("西城区总工会")
    out = {}
    for key, org, member_of in (("east", dongcheng, street), ("west", xicheng, xicheng)):
        exam, _ = certified_exam(org)
        certificate = certificate_of(sit(exam, 5, org=member_of))
        current_policy(certificate.level)
        out[key] = (certificate, exam)
    out["orgs"] = (dongcheng, street, xicheng)
    return out


# -- A18: privilege escalation ------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/certificate-admin/"),
    ("GET", "/admin/users"),
    ("GET", "/admin/api-tokens"),
    ("GET", "/results"),
    ("POST", "/admin/api-tokens"),
])
def test_A18_a_token_is_no_login_for_the_officers_pages(client, method, url):
    _token, secret = api_token(None, ALL_SCOPES)
    response = client.open(url, method=method, headers=bearer(secret),
                           data={"name": "x", "scopes": ["plans:read"], "organisation_id": ""})
    assert response.status_code in (302, 401)  # to the login page: no one is logged in
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


def test_A18_a_token_reads_nothing_beyond_its_scopes_and_is_logged(client, two_districts,
                                                                   caplog):
    certificate, _exam = two_districts["east"]
    token, secret = api_token(None, ["register:read"])
    with caplog.at_level(logging.WARNING, logger="lms.api.views"):
        for url in ("/api/v1/certificates", f"/api/v1/certificates/{certificate.serial}",
                    f"/api/v1/users/{certificate.holder_id}/results",
                    f"/api/v1/users/{certificate.holder_id}/plan"):
            response = client.get(url, headers=bearer(secret))
            assert response.status_code == 403, url
            assert certificate.serial not in response.get_data(as_text=True)
    assert len(caplog.records) == 4 and token.prefix in caplog.text
    assert secret not in caplog.text


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.PROCTOR, Role.TRAINER, Role.OFFICER])
def test_A18_only_admins_create_or_revoke_tokens(login_as, app, role):
    token, secret = api_token(None, ALL_SCOPES)
    client = login_as(make_user(role))
    created = client.post("/admin/api-tokens", data={
        "name": "提权", "scopes": ALL_SCOPES, "organisation_id": ""})
    revoked = client.post(f"/admin/api-tokens/{token.id}/revoke")
    assert (created.status_code, revoked.status_code) == (403, 403)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
    assert client.get("/api/v1/register", headers=bearer(secret)).status_code == 200


def test_A18_a_scoped_admin_cannot_mint_a_wider_token(login_as, two_districts):
    dongcheng, _street, xicheng = two_districts["orgs"]
    client = login_as(make_user(Role.ADMIN, scope=dongcheng, org=dongcheng))
    for target in ("", str(xicheng.id)):  # platform-wide, another district
        response = client.post("/admin/api-tokens", data={
            "name": "越权", "scopes": ALL_SCOPES, "organisation_id": target})
        assert response.status_code == 200 and 'id="new-token"' not in response.get_data(
            as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_A18_a_token_cannot_change_anything(client, two_districts):
    certificate, _exam = two_districts["east"]
    _token, secret = api_token(None, ALL_SCOPES)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.open(f"/api/v1/certificates/{certificate.serial}", method=method,
                               headers=bearer(secret), json={"status": "revoked"})
        assert response.status_code == 405
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.ACTIVE


# -- A19: cross-scope ---------------------------------------------------------------------


def test_A19_a_districts_token_sees_only_its_subtrees_certificates(client, two_districts):
    east, _exam = two_districts["east"]
    west, _exam = two_districts["west"]
    dongcheng, _street, _xicheng = two_districts["orgs"]
    _token, secret = api_token(dongcheng, ALL_SCOPES)
    listed = client.get("/api/v1/certificates", headers=bearer(secret)).get_json()
    assert [c["serial"] for c in listed["items"]] == [east.serial]
    assert client.get(f"/api/v1/certificates/{east.serial}",
                      headers=bearer(secret)).status_code == 200
    other = client.get(f"/api/v1/certificates/{west.serial}", headers=bearer(secret))
    assert other.status_code == 404 and other.get_json()["error"] == "not_found"


def test_A19_another_districts_candidate_is_404_for_results_and_plan(client, two_districts):
    east, _exam = two_districts["east"]
    west, _exam = two_districts["west"]
    dongcheng, _street, _xicheng = two_districts["orgs"]
    _token, secret = api_token(dongcheng, ALL_SCOPES)
    for kind in ("results", "plan"):
        mine = client.get(f"/api/v1/users/{east.holder_id}/{kind}", headers=bearer(secret))
        theirs = client.get(f"/api/v1/users/{west.holder_id}/{kind}", headers=bearer(secret))
        assert mine.status_code == 200 and mine.get_json()["items"]  # the street below
        assert theirs.status_code == 404 and west.serial not in theirs.get_data(as_text=True)


def test_A19_a_member_in_scope_shows_only_the_results_and_plans_of_exams_in_scope(
        client, two_districts):
    """A 东城 member who also sat 西城's exam: 东城's token sees neither that attempt
    nor that certificate's plan, as 东城's officer would not."""
    east, _exam = two_districts["east"]
    _west, west_exam = two_districts["west"]
    dongcheng, street, _xicheng = two_districts["orgs"]
    outside = certificate_of(sit(west_exam, 5, org=street))
    _token, secret = api_token(dongcheng, ALL_SCOPES)
    results = client.get(f"/api/v1/users/{outside.holder_id}/results",
                         headers=bearer(secret)).get_json()
    plans = client.get(f"/api/v1/users/{outside.holder_id}/plan",
                       headers=bearer(secret)).get_json()
    assert results["items"] == [] and plans["items"] == []
    assert east.holder_id != outside.holder_id


def test_A19_a_revoked_or_expired_grant_reads_nothing(client, two_districts, login_as):
    east, _exam = two_districts["east"]
    dongcheng, _street, _xicheng = two_districts["orgs"]
    token, secret = api_token(dongcheng, ALL_SCOPES)
    login_as(make_user(Role.ADMIN)).post(f"/admin/api-tokens/{token.id}/revoke")
    for url in ("/api/v1/certificates", f"/api/v1/users/{east.holder_id}/plan"):
        assert client.get(url, headers=bearer(secret)).status_code == 401
