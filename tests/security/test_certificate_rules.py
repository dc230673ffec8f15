"""Certificates that cannot be forged or issued wrongly, and a ledger that shows
tampering (RELIABILITY.md A21, A30, C1, C4, C7, I4, I5); moved here from tests/services
and tests/unit."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lms.certificates import issuance, ledger, status
from lms.certificates.models import CertificateStatus, LedgerEvent
from lms.certificates.pdf import render_certificate_pdf
from lms.domain import serials
from lms.errors import ValidationFailed
from lms.extensions import db
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.certificates.test_pdf import make_cert, text_of
from tests.factories import make_org
from tests.services.test_certificate_cli import (
    invoke,
    tamper,
)
from tests.services.test_certificates import (
    mails,
)


def test_C7_nothing_is_issued_before_the_officer_releases_the_result(app):
    """C7: no certificate without a passed, finalised and released result; the officer's
    release of the session issues it (the task runs after the release commits)."""
    from lms.exams.models import ExamSession, Release
    from lms.grading import results

    org = make_org()
    exam, _ = certified_exam(org, release=Release.REVIEW)
    attempt = sit(exam, 5)
    assert certificate_of(attempt) is None
    assert issuance.issue_for_attempts([attempt.id]).issued == []  # graded, not released
    session = db.session.get(ExamSession, attempt.session_id)
    results.release(session, officer(org))
    db.session.commit()
    assert certificate_of(attempt).level.title == "中级"


def test_C7_I4_suspend_reinstate_revoke_each_need_a_reason_and_are_chained(issued):
    certificate, org = issued
    who = officer(org)
    with pytest.raises(ValidationFailed) as no_reason:
        status.change(certificate, "suspend", who, "")
    assert no_reason.value.field == "reason"
    status.change(certificate, "suspend", who, "年度考核待复核")
    status.change(certificate, "reinstate", who, "复核通过")
    status.change(certificate, "revoke", who, "考试舞弊经查属实")
    db.session.commit()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.status_reason == "考试舞弊经查属实"
    with pytest.raises(ValidationFailed) as final:
        status.change(certificate, "reinstate", who, "再议")
    assert final.value.reason == "not_allowed"
    kinds = db.session.scalars(sa.select(LedgerEvent.kind).order_by(LedgerEvent.seq)).all()
    assert kinds == ["issued", "suspended", "reinstated", "revoked"]
    assert ledger.verify() is None
    assert [m.subject for m in mails("certificate_status")] and len(
        mails("certificate_status")) == 3


@pytest.mark.parametrize("field", ["name", "validUntil", "credentialSubject", "issuer"])
def test_A21_C1_an_altered_issued_credential_fails_verification(app, history, tmp_path, field):
    """C1: change any field of a credential the platform issued and it no longer verifies."""
    document = json.loads(json.dumps(history[0].credential))
    if field == "credentialSubject":
        document[field]["identifier"][0]["identityHash"] = "sha256$" + "0" * 64
    elif field == "issuer":
        document[field]["name"] = "伪造的工会"
    elif field == "validUntil":
        document[field] = "2099-12-31T23:59:59+08:00"
    else:
        document[field] = "工会干部职业资格（高级）"
    path = tmp_path / "altered.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = invoke(app, "credentials", "verify", str(path), "--no-fetch")
    assert result.exit_code == 1 and "bad_signature" in result.output


@pytest.mark.parametrize(("sql", "broken"), [
    # edit: a revocation turned into a reinstatement
    ("UPDATE ledger_events SET kind = 'reinstated' WHERE seq = 6", "event 6: edited"),
    # edit of the data only (the reason)
    ("UPDATE ledger_events SET serial = 'XXXX' WHERE seq = 2", "event 2: edited"),
    # delete an event in the middle
    ("DELETE FROM ledger_events WHERE seq = 4", "event 4: missing"),
    # truncate: the last event gone (the head row still says 6)
    ("DELETE FROM ledger_events WHERE seq = 6", "event 6: missing_tail"),
])
def test_I5_A30_tampering_is_caught_and_named(app, history, sql, broken):
    tamper(sql)
    result = invoke(app, "ledger", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at {broken}" in result.output


def test_I5_A30_reordering_two_events_is_caught(app, history):
    """Swap the sequence numbers of events 2 and 3 (through a free number)."""
    tamper("UPDATE ledger_events SET seq = 1000 WHERE seq = 2")
    tamper("UPDATE ledger_events SET seq = 2 WHERE seq = 3")
    tamper("UPDATE ledger_events SET seq = 3 WHERE seq = 1000")
    result = invoke(app, "ledger", "verify")
    assert result.exit_code == 1 and "BROKEN at event 2" in result.output


def test_I5_a_rewritten_tail_with_a_forged_head_is_caught_by_the_kept_head(app, history):
    kept = ledger.head().hash
    tamper("DELETE FROM ledger_events WHERE seq = 6")
    last = db.session.scalar(sa.select(LedgerEvent.hash).where(LedgerEvent.seq == 5))
    tamper("UPDATE ledger_head SET seq = 5, hash = :h WHERE id = 1", h=last)
    assert invoke(app, "ledger", "verify").exit_code == 0  # the chain alone looks whole
    result = invoke(app, "ledger", "verify", "--head", kept)
    assert result.exit_code == 1 and "missing_tail" in result.output


def test_C4_a_serial_is_135_random_bits_in_groups_of_four_with_a_check_character():
    serial = serials.new_serial()
    groups = serial.split("-")
    assert [len(g) for g in groups] == [4] * 7
    assert serials.normalise(serial) == serial
    assert len({serials.new_serial() for _ in range(2000)}) == 2000


@pytest.mark.parametrize("name", ["张" * 500, "Alexandra-" * 50, "李小👷‍♀️🎉明" * 20],
                         ids=["500-chinese", "500-latin", "emoji"])
def test_B11_extremely_long_names_and_emoji_render_on_one_page(app, name):
    pdf = render_certificate_pdf(make_cert(holder_name=name))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1  # wrapped or cut, never a second page
    if "👷" not in name:  # an emoji font's glyphs do not extract as text
        assert name[:10] in text_of(pdf).replace("\n", "")
