"""`flask lms certificates list|export|issue`, `flask lms ledger verify` against rows
tampered with directly in the database (edit, delete, reorder, truncate), and
`flask lms credentials verify` on an exported credential before and after revocation."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from lms.certificates import status
from lms.certificates.credentials import status_list_document
from lms.extensions import db
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.factories import make_org


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["lms", *args])


@pytest.fixture
def history(app):
    """Three certificates and a suspension, a reinstatement and a revocation: 6 events."""
    org = make_org()
    exam, _ = certified_exam(org)
    certs = [certificate_of(sit(exam, 5, name=n)) for n in ("张三明", "李四", "王五")]
    who = officer(org)
    status.change(certs[0], "suspend", who, "待复核")
    status.change(certs[0], "reinstate", who, "复核通过")
    status.change(certs[1], "revoke", who, "舞弊")
    db.session.commit()
    return certs


def test_list_json_masks_holders(app, history):
    result = invoke(app, "certificates", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["holder"] for r in rows] == ["张*明", "李*", "王*"]
    assert {r["status"] for r in rows} == {"active", "revoked"}
    assert set(rows[0]) >= {"serial", "status", "holder", "qualification", "valid_from",
                            "expires_on"}


def test_export_writes_the_stored_pdf_and_credential(app, history, tmp_path):
    cert = history[0]
    pdf, credential = tmp_path / "c.pdf", tmp_path / "c.json"
    result = invoke(app, "certificates", "export", cert.serial.lower(), "--pdf", str(pdf),
                    "--credential", str(credential))
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == cert.pdf_sha256
    assert json.loads(credential.read_text("utf-8"))["proof"]["type"] == "DataIntegrityProof"
    assert invoke(app, "certificates", "export", "NOPE", "--pdf", str(pdf)).exit_code == 1


def test_the_issue_command_is_idempotent(app, history):
    result = invoke(app, "certificates", "issue", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == {"issued": 0, "queued": 0}


def test_an_intact_ledger_verifies(app, history):
    result = invoke(app, "ledger", "verify")
    assert result.exit_code == 0, result.output
    assert "6 events" in result.output


def tamper(sql: str, **params) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.commit()


def test_credentials_verify_reports_revoked_from_a_status_list_file(app, history, tmp_path):
    revoked, active = history[1], history[0]
    for cert, expected in ((active, (0, "valid")), (revoked, (1, "revoked"))):
        path = tmp_path / f"{cert.serial}.json"
        path.write_text(json.dumps(cert.credential, ensure_ascii=False), encoding="utf-8")
        lists = []
        for purpose in ("revocation", "suspension"):
            listing = tmp_path / f"{purpose}.json"
            listing.write_text(json.dumps(status_list_document(f"{purpose}-0")),
                               encoding="utf-8")
            lists += ["--status-list", str(listing)]
        result = invoke(app, "credentials", "verify", str(path), "--no-fetch", *lists)
        assert result.exit_code == expected[0], result.output
        assert expected[1] in result.output


def test_a_certificate_is_printed_without_an_unreadable_photo(app, tmp_path):
    """A purged photo file must not stop a whole session's issuing."""
    import os

    from lms.accounts import personal_data
    from lms.certificates import artefacts

    org = make_org()
    exam, _ = certified_exam(org)
    certificate = certificate_of(sit(exam, 5))
    os.remove(personal_data.photo_dir() / certificate.holder.photo_file)
    assert artefacts.render_pdf(certificate).startswith(b"%PDF")
