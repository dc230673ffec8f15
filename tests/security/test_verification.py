"""The public verification page and the certificate pages under attack (RELIABILITY.md
A19, A20, A22, B2, C2, C3, C6, C7, L12); moved here from tests/web/test_certificate_pages.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.certificates.models import Certificate, CertificateStatus
from lms.extensions import db
from tests.certificate_factories import officer
from tests.factories import make_org, make_user
from tests.web.test_certificate_pages import (
    CSRF,
    verdict_of,
)


def test_C6_the_verification_page_shows_only_the_allowlisted_fields(client, issued):
    certificate, _ = issued
    response = client.get(f"/verify/{certificate.serial}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and verdict_of(response) == "valid"
    assert "有效" in page and "张*明" in page and "张三明" not in page
    assert "工会干部职业资格（中级）" in page and "东城区总工会" in page
    holder = certificate.holder
    assert holder.email not in page  # C6: no e-mail, no ID number, no photo by default
    assert f"/verify/{certificate.serial}/photo" not in page
    assert client.get(f"/verify/{certificate.serial}/photo").status_code == 404


@pytest.mark.parametrize("serial", ["NOPE", "0000-0000-0000-0000-0000-0000-0000",
                                    "'; DROP TABLE certificates; --", "%00"])
def test_C3_A20_unknown_and_malformed_serials_get_one_generic_answer(client, issued, serial):
    """C3: the same status and body whatever is wrong with the serial."""
    certificate, _ = issued
    wrong_check = certificate.serial[:-1] + ("0" if certificate.serial[-1] != "0" else "1")
    bodies = set()
    for attempt in (serial, wrong_check):
        response = client.get(f"/verify/{attempt}")
        assert response.status_code == 404
        bodies.add(CSRF.sub("", response.get_data(as_text=True)))
    assert len(bodies) == 1
    api = client.get(f"/api/v1/credentials/{serial}")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"


def test_C2_A22_suspended_revoked_and_expired_say_so(client, login_as, issued):
    certificate, org = issued
    who = officer(org)
    login_as(who)
    page = client.get(f"/certificate-admin/{certificate.serial}").get_data(as_text=True)
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)
    client.post(f"/certificate-admin/{certificate.serial}/suspend",
                data={"reason": "年度考核不合格，待复核", "revision": revision})
    client.get("/logout")
    public = client.get(f"/verify/{certificate.serial}")
    assert verdict_of(public) == "suspended" and "已暂停" in public.get_data(as_text=True)
    db.session.expire_all()
    cert = db.session.get(Certificate, certificate.id)
    cert.status, cert.revision = CertificateStatus.REVOKED, cert.revision + 1
    db.session.commit()
    assert "已撤销" in client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    cert.status = CertificateStatus.ACTIVE
    cert.expires_on = cert.valid_from - timedelta(days=1)
    db.session.commit()
    expired = client.get(f"/verify/{certificate.serial}")
    assert verdict_of(expired) == "expired" and "已过期" in expired.get_data(as_text=True)


def test_A19_C7_officers_outside_the_issuing_organisation_see_a_404(client, login_as, issued):
    """A19 / C7: another district's officer can neither see nor revoke the certificate."""
    certificate, _ = issued
    login_as(officer(make_org("西城区总工会")))
    assert client.get(f"/certificate-admin/{certificate.serial}").status_code == 404
    response = client.post(f"/certificate-admin/{certificate.serial}/revoke",
                           data={"reason": "越权", "revision": certificate.revision})
    assert response.status_code == 404
    assert client.get(f"/certificates/{certificate.serial}.pdf").status_code == 404
    listed = client.get("/certificate-admin/").get_data(as_text=True)
    assert certificate.serial not in listed


def test_A20_L12_verification_is_rate_limited_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/verify", data={"serial": f"NOPE{n}"}).status_code
                for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    looked_up = [client.get(f"/verify/NOPE{n}").status_code for n in range(4)]
    assert looked_up == [404, 404, 404, 429]


@pytest.mark.parametrize("url", ["/cadres?q=%00", "/cadres?level=%00", "/certificate-admin/?q=%00",
                                 "/admin/users?q=%00", "/cadres?q=a%00b", "/verify?x=%00"])
def test_B2_a_nul_character_anywhere_gets_one_clear_400(client, login_as, app, url):
    """PostgreSQL cannot store a NUL: searches and forms anywhere get a clear 400, not a
    500 (the users' search was one)."""

    login_as(make_user("admin"))
    response = client.get(url)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    form = client.post("/verify", data={"serial": "ABC\x00D"})
    assert form.status_code == 400
