"""Issuing certificates from released results, the approval queue with four eyes,
suspension / reinstatement / revocation, and the ledger they write (on SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.certificates import issuance, ledger, status
from lms.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateStatus,
    Issuance,
    LedgerEvent,
    RequestStatus,
)
from lms.domain import serials
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.factories import make_org


def mails(kind):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


def test_a_released_pass_issues_the_level_of_its_score_band(app):
    exam, _ = certified_exam()
    top, low, failed = sit(exam, 5), sit(exam, 3, name="李四"), sit(exam, 2, name="王五")
    high_cert, low_cert = certificate_of(top), certificate_of(low)
    assert high_cert.level.title == "中级" and low_cert.level.title == "初级"
    assert certificate_of(failed) is None
    assert serials.normalise(high_cert.serial) == high_cert.serial
    assert high_cert.status == CertificateStatus.ACTIVE
    assert (high_cert.expires_on - high_cert.valid_from).days in range(1094, 1097)  # 36 months
    assert high_cert.evidence["attempt"] == top.id and high_cert.evidence["percent"] == "100.00"
    assert len(high_cert.pdf_sha256) == 64 and high_cert.credential["proof"]["cryptosuite"] == \
        "eddsa-rdfc-2022"
    assert high_cert.status_index != low_cert.status_index
    assert {m.to_address for m in mails("certificate_issued")} == {top.user.email,
                                                                   low.user.email}


def test_issuing_twice_issues_nothing_more(app):
    exam, _ = certified_exam()
    attempt = sit(exam, 5)
    again = issuance.issue_for_attempts([attempt.id])
    db.session.commit()
    assert again.issued == [] and again.queued == []
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1
    assert ledger.verify() is None


@pytest.fixture
def manual_app(make_app):
    """Certificates issued only when a test asks (CERTIFICATES_AUTO_ISSUE off)."""
    app = make_app(CERTIFICATES_AUTO_ISSUE=False)
    with app.app_context():
        yield app


def test_no_certificate_without_a_photo(manual_app):
    exam, qualification = certified_exam()
    attempt = sit(exam, 5)
    assert certificate_of(attempt) is None  # auto issue is off
    attempt.user.photo_file = None  # e.g. removed from the profile since booking
    report = issuance.issue_for_attempts([attempt.id])
    top = max(qualification.levels, key=lambda lv: lv.rank)
    assert report.issued == [] and report.not_earned[attempt.id][top.id] == ("photo",)


def test_an_attempt_whose_integrity_review_was_not_clear_earns_nothing(manual_app):
    exam, qualification = certified_exam(issuance=Issuance.APPROVAL)
    attempt = sit(exam, 5)
    attempt.review_decision = "invalidate"
    report = issuance.issue_for_attempts([attempt.id])
    top = max(qualification.levels, key=lambda lv: lv.rank)
    assert report.queued == [] and report.not_earned[attempt.id][top.id] == ("integrity",)


def test_approval_queue_with_four_eyes(app):
    org = make_org()
    exam, _ = certified_exam(org, issuance=Issuance.APPROVAL, four_eyes=True)
    attempt = sit(exam, 5)
    assert certificate_of(attempt) is None
    request = db.session.scalar(sa.select(CertificateRequest))
    first, second = officer(org), officer(org)
    assert issuance.approve(request, first) is None
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        issuance.approve(request, first)
    assert refused.value.reason == "same_officer"
    db.session.rollback()
    certificate = issuance.approve(request, second)
    db.session.commit()
    assert certificate.serial and request.status == RequestStatus.DONE
    kinds = db.session.scalars(sa.select(LedgerEvent.kind).order_by(LedgerEvent.seq)).all()
    assert kinds == ["approved", "issued"]
    approved = db.session.scalar(sa.select(LedgerEvent).where(LedgerEvent.kind == "approved"))
    assert approved.data["approvers"] == [first.id, second.id]
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"certificate_request.first_approval", "certificate_request.approved",
            "certificate.issued"} <= actions


def test_a_rejection_needs_a_reason_and_issues_nothing(app):
    org = make_org()
    exam, _ = certified_exam(org, issuance=Issuance.APPROVAL)
    attempt = sit(exam, 5)
    request = db.session.scalar(sa.select(CertificateRequest))
    with pytest.raises(ValidationFailed):
        issuance.reject(request, officer(org), "  ")
    issuance.reject(request, officer(org), "照片与本人不符")
    db.session.commit()
    assert certificate_of(attempt) is None and request.status == RequestStatus.REJECTED


@pytest.fixture
def issued(app):
    org = make_org()
    exam, _ = certified_exam(org)
    attempt = sit(exam, 5)
    return certificate_of(attempt), officer(org)


def test_revocation_under_four_eyes_waits_for_a_second_officer(app):
    org = make_org()
    exam, _ = certified_exam(org, four_eyes=True, issuance=Issuance.AUTOMATIC)
    certificate = certificate_of(sit(exam, 5))
    first, second = officer(org), officer(org)
    request = status.change(certificate, "revoke", first, "伪造学历")
    db.session.commit()
    assert request is not None and certificate.status == CertificateStatus.ACTIVE
    with pytest.raises(ValidationFailed):
        status.confirm_revocation(request, first)
    db.session.rollback()
    status.confirm_revocation(request, second)
    db.session.commit()
    db.session.refresh(certificate)
    assert certificate.status == CertificateStatus.REVOKED
    revoked = db.session.scalar(sa.select(LedgerEvent).where(LedgerEvent.kind == "revoked"))
    assert revoked.data["approvers"] == [first.id, second.id]


def test_a_regrade_that_fails_a_holder_asks_the_officers_to_revoke(app):
    """A flip recorded by a regrade or an upheld appeal (`result_changes`): the holder's
    certificate goes to the queue as a revocation request; confirming it revokes."""
    from decimal import Decimal as D

    from lms.grading.models import ResultChange

    org = make_org()
    exam, _ = certified_exam(org)
    certificate = certificate_of(sit(exam, 5))
    db.session.add(ResultChange(attempt_id=certificate.attempt_id, before_passed=True,
                                after_passed=False, before_score=D(10), after_score=D(4),
                                source="regrade", reason="第3题答案更正"))
    db.session.commit()
    report = issuance.act_on_flips()
    db.session.commit()
    request = db.session.get(CertificateRequest, report.queued[0])
    assert request.kind.value == "revoke" and "第3题答案更正" in request.reason
    assert certificate.status == CertificateStatus.ACTIVE  # an officer decides
    assert issuance.act_on_flips().queued == []  # acted on once
    status.confirm_revocation(request, officer(org))
    db.session.commit()
    db.session.refresh(certificate)
    assert certificate.status == CertificateStatus.REVOKED
