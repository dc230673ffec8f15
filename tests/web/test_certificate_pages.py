"""The certificate pages: public verification (valid / suspended / revoked / expired,
masked name, allowlisted fields, generic 404, PDF hash check), the machine-readable
addresses, the holder's downloads, the officers' decisions in scope (A19 / C7) and the
public register."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest

from lms import keys
from lms.accounts.models import Role
from lms.certificates.models import Certificate, CertificateStatus, RegisterEntry
from lms.clock import utcnow
from lms.credentials.verify import verify_credential
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


def test_a_serial_typed_loosely_finds_the_certificate(client, issued):
    certificate, _ = issued
    typed = certificate.serial.lower().replace("-", "")
    response = client.post("/verify", data={"serial": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{certificate.serial}")


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
