"""The certificate pages: public verification (valid / suspended / revoked / expired,
masked name, allowlisted fields, generic 404, PDF hash check), the machine-readable
addresses, the holder's downloads, the officers' decisions in scope (A19 / C7) and the
public register."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest

from lms import keys
from lms.accounts.models import Role
from lms.certificates.models import Certificate, CertificateStatus, RegisterEntry
from lms.credentials import status_list
from lms.credentials.verify import verify_credential
from lms.db_base import utcnow
from lms.extensions import db
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.conftest import count_queries
from tests.factories import make_org, make_user


@pytest.fixture
def issued(app):
    org = make_org("东城区总工会")
    exam, _ = certified_exam(org)
    attempt = sit(exam, 5, name="张三明")
    return certificate_of(attempt), org


#: what differs between two visits anyway: the signed CSRF tokens, the language form's
#: way back to the address asked for, and the serial typed, kept in the form to correct it
CSRF = re.compile(r'(?<=csrf-token" content=")[^"]*|(?<=name="csrf_token" value=")[^"]*'
                  r'|(?<=name="next" value=")[^"]*|(?<=required type="text" value=")[^"]*')


def verdict_of(response) -> str:
    return re.search(r'data-verdict="(\w+)"', response.get_data(as_text=True)).group(1)


def test_the_verification_page_shows_only_the_allowlisted_fields(client, issued):
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


def test_a_serial_typed_loosely_finds_the_certificate(client, issued):
    certificate, _ = issued
    typed = certificate.serial.lower().replace("-", "")
    response = client.post("/verify", data={"serial": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{certificate.serial}")


@pytest.mark.parametrize("serial", ["NOPE", "0000-0000-0000-0000-0000-0000-0000",
                                    "'; DROP TABLE certificates; --", "%00"])
def test_unknown_and_malformed_serials_get_one_generic_answer(client, issued, serial):
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


def test_suspended_revoked_and_expired_say_so(client, login_as, issued):
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


def test_a_status_change_needs_a_reason_and_a_fresh_page(client, login_as, issued):
    certificate, org = issued
    login_as(officer(org))
    url = f"/certificate-admin/{certificate.serial}/revoke"
    no_reason = client.post(url, data={"reason": " ", "revision": certificate.revision},
                            follow_redirects=True)
    assert "请填写理由" in no_reason.get_data(as_text=True)
    stale = client.post(url, data={"reason": "舞弊", "revision": certificate.revision - 1},
                        follow_redirects=True)
    assert "已被他人更改" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.ACTIVE


def test_officers_outside_the_issuing_organisation_see_a_404(client, login_as, issued):
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


def test_verification_never_shows_valid_after_a_revocation_commits(client, login_as, issued):
    certificate, org = issued
    login_as(officer(org))
    client.post(f"/certificate-admin/{certificate.serial}/revoke",
                data={"reason": "以欺骗手段取得", "revision": certificate.revision})
    assert verdict_of(client.get(f"/verify/{certificate.serial}")) == "revoked"
    listing = client.get("/api/v1/status-lists/revocation-0").get_json()
    bits = status_list.decode(listing["credentialSubject"]["encodedList"])
    assert status_list.is_set(bits, certificate.status_index)
    suspension = client.get("/api/v1/status-lists/suspension-0").get_json()
    assert not status_list.is_set(status_list.decode(
        suspension["credentialSubject"]["encodedList"]), certificate.status_index)


def test_the_served_credential_verifies_with_the_served_status_lists(app, client, issued):
    certificate, _ = issued
    document = client.get(f"/api/v1/credentials/{certificate.serial}").get_json()
    did = client.get("/.well-known/did.json").get_json()
    assert did["id"] == keys.issuer_did(app) == document["issuer"]["id"]

    def fetch(url):
        path = url.removeprefix(app.config["BASE_URL"])
        return client.get(path).get_json()

    verdict = verify_credential(document, now=utcnow(), resolve_key=keys.local_resolver(app),
                                fetch_status_list=fetch)
    assert verdict.ok, verdict.reason
    assert document["credentialSubject"]["identifier"][0]["hashed"] is True
    assert "张三明" not in json.dumps(document, ensure_ascii=False)
    certificate.status = CertificateStatus.SUSPENDED
    certificate.status_changed_at = utcnow()
    db.session.commit()
    assert verify_credential(document, now=utcnow(), resolve_key=keys.local_resolver(app),
                             fetch_status_list=fetch).reason == "suspended"


def test_the_holder_downloads_the_pdf_and_checks_its_hash(client, login_as, issued):
    certificate, _ = issued
    login_as(certificate.holder)
    page = client.get("/certificates/").get_data(as_text=True)
    assert certificate.serial in page and f"/verify/{certificate.serial}" in page
    pdf = client.get(f"/certificates/{certificate.serial}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == certificate.pdf_sha256
    credential = client.get(f"/certificates/{certificate.serial}.json")
    assert json.loads(credential.data)["id"].endswith(certificate.serial)
    matches = client.post(f"/verify/{certificate.serial}",
                          data={"pdf": (io.BytesIO(pdf.data), "c.pdf")},
                          content_type="multipart/form-data")
    assert "正是为该证书签发的" in matches.get_data(as_text=True)
    altered = client.post(f"/verify/{certificate.serial}",
                          data={"sha256": hashlib.sha256(pdf.data + b" ").hexdigest()})
    assert "不是为该证书签发的" in altered.get_data(as_text=True)


def test_another_candidate_cannot_download_a_holders_files(client, login_as, issued):
    certificate, _ = issued
    login_as(make_user(Role.CANDIDATE))
    assert client.get(f"/certificates/{certificate.serial}.pdf").status_code == 404
    assert client.get(f"/certificates/{certificate.serial}.json").status_code == 404
    assert client.post(f"/certificates/{certificate.serial}/photo").status_code == 404


def test_the_photo_shows_only_when_the_holder_opts_in(client, login_as, issued):
    certificate, _ = issued
    login_as(certificate.holder)
    client.post(f"/certificates/{certificate.serial}/photo")
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert f"/verify/{certificate.serial}/photo" in page
    assert client.get(f"/verify/{certificate.serial}/photo").mimetype == "image/jpeg"


def test_the_public_register_lists_only_opted_in_holders_of_valid_certificates(
        client, login_as, issued):
    certificate, org = issued
    assert "张*明" not in client.get("/cadres").get_data(as_text=True)
    login_as(certificate.holder)
    client.post("/certificates/register", data={"listed": "y", "region": "北京市东城区",
                                                "specialities": "集体协商",
                                                "profile": "从事工会工作十年"})
    client.get("/logout")
    found = client.get("/cadres?q=集体协商").get_data(as_text=True)
    assert "张*明" in found and "北京市东城区" in found and certificate.serial in found
    assert "张*明" not in client.get("/cadres?q=劳动争议").get_data(as_text=True)
    login_as(officer(org))
    client.post(f"/certificate-admin/{certificate.serial}/revoke",
                data={"reason": "撤销", "revision": certificate.revision})
    assert db.session.get(RegisterEntry, certificate.holder_id) is None
    assert "张*明" not in client.get("/cadres").get_data(as_text=True)


def test_list_pages_take_a_constant_number_of_queries(client, login_as, app):
    org = make_org()
    exam, _ = certified_exam(org)
    sit(exam, 5, name="甲")
    login_as(officer(org))
    with count_queries() as one:
        client.get("/certificate-admin/")
    for name in ("乙", "丙", "丁"):
        sit(exam, 5, name=name)
    with count_queries() as four:
        assert client.get("/certificate-admin/").status_code == 200
    assert len(four) == len(one)


def test_a_register_entry_too_long_is_explained_and_nothing_typed_is_lost(
        client, login_as, issued):
    certificate, _ = issued
    login_as(certificate.holder)
    response = client.post("/certificates/register", data={
        "listed": "y", "region": "北京市东城区", "specialities": "集体协商",
        "profile": "长" * 1001})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "北京市东城区" in page and "长" * 1001 in page and "1000" in page
    assert db.session.get(RegisterEntry, certificate.holder_id) is None


def test_an_unknown_serial_stays_in_the_form_to_correct(client, issued):
    page = client.get("/verify/ABCD-EFGH").get_data(as_text=True)
    assert 'value="ABCD-EFGH"' in page


def test_verification_is_rate_limited_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/verify", data={"serial": f"NOPE{n}"}).status_code
                for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    looked_up = [client.get(f"/verify/NOPE{n}").status_code for n in range(4)]
    assert looked_up == [404, 404, 404, 429]


@pytest.mark.parametrize("url", ["/cadres?q=%00", "/cadres?level=%00", "/certificate-admin/?q=%00",
                                 "/admin/users?q=%00", "/cadres?q=a%00b", "/verify?x=%00"])
def test_a_nul_character_anywhere_gets_one_clear_400(client, login_as, app, url):
    """PostgreSQL cannot store a NUL: searches and forms anywhere get a clear 400, not a
    500 (the users' search was one)."""
    from tests.factories import make_user

    login_as(make_user("admin"))
    response = client.get(url)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    form = client.post("/verify", data={"serial": "ABC\x00D"})
    assert form.status_code == 400
