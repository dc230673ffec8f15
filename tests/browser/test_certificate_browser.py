"""Issue 8's browser proof: a candidate who passed downloads the certificate PDF, opens
the QR code's link and sees it valid; an officer revokes it; the same link shows it
revoked; and `flask lms credentials verify` on the downloaded JSON reports revoked
(fetching the status list from the running server)."""

from __future__ import annotations

import hashlib
import io
import json
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from lms.accounts.models import Role
from lms.extensions import db
from tests.browser.test_results_browser import DESKTOP, log_in
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.factories import make_org, make_user


def test_download_verify_revoke_and_verify_again(new_page, live_server, tmp_path):
    with live_server.app.app_context():
        org = make_org("东城区总工会")
        exam, _ = certified_exam(org)
        attempt = sit(exam, 5, name="欧阳明华")
        certificate = certificate_of(attempt)
        serial, candidate, stored_hash = (certificate.serial, attempt.user.email,
                                          certificate.pdf_sha256)
        make_user(Role.OFFICER, email="officer@example.cn", name="认证官", scope=org, org=org)
        db.session.commit()

    # the candidate downloads the PDF and the credential from their certificates page
    page = new_page()
    log_in(page, candidate)
    page.goto("/certificates/")
    expect(page.locator("[data-testid=serial]")).to_have_text(serial)
    with page.expect_download() as pdf_download:
        page.locator("[data-testid=download-pdf]").click()
    pdf = (tmp_path / "certificate.pdf")
    pdf_download.value.save_as(pdf)
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == stored_hash
    with page.expect_download() as json_download:
        page.locator("[data-testid=download-credential]").click()
    credential = tmp_path / "credential.json"
    json_download.value.save_as(credential)

    # the QR code's link, as printed on the PDF, says the certificate is valid
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "欧阳明华" in text and serial in text
    link = f"{live_server.url}/verify/{serial}"
    assert link in text.replace("\n", "")
    public = new_page()
    public.goto(link)
    expect(public.locator("[data-testid=verdict]")).to_have_text("有效")
    expect(public.locator("[data-testid=holder]")).to_have_text("欧**华")

    # an officer revokes it, with a reason
    office = new_page(**DESKTOP)
    log_in(office, "officer@example.cn")
    office.goto(f"/certificate-admin/{serial}")
    office.locator("#reason").fill("经查，考试存在替考行为")
    office.get_by_role("button", name="撤销").click()
    expect(office.locator(".alert-success")).to_contain_text("证书已撤销")

    # the same link now says revoked
    public.reload()
    expect(public.locator("[data-testid=verdict]")).to_have_text("已撤销")

    # and the downloaded credential, verified offline, fetches the list and is revoked
    with live_server.app.app_context():
        result = live_server.app.test_cli_runner().invoke(
            args=["lms", "credentials", "verify", str(credential), "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output[result.output.index("{"):])["reason"] == "revoked"
    assert re.search(r"revoked", result.output)
