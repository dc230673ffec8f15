"""Load and concurrency beyond the exam pages (RELIABILITY.md L10): two officers at
once on one certificate, the verify page never valid after a revoke commits."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.certificates import ledger, status
from lms.certificates.models import Certificate, CertificateStatus, LedgerEvent
from lms.credentials import status_list
from lms.errors import ValidationFailed
from lms.extensions import db
from tests.certificate_factories import certificate_of, certified_exam, officer, sit
from tests.factories import make_org
from tests.web.test_certificate_pages import verdict_of


@pytest.fixture
def issued(app):
    """A certificate of one district's exam (as in tests/web/test_certificate_pages.py)."""
    org = make_org("东城区总工会")
    exam, _ = certified_exam(org)
    return certificate_of(sit(exam, 5, name="张三明")), org


def test_L10_verification_never_shows_valid_after_a_revocation_commits(client, login_as, issued):
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


def test_L10_two_officers_at_once_leave_one_consistent_audited_state(make_app, tmp_path):
    """One revokes while the other suspends, each in its own app and connection: exactly
    one change wins, the other is refused, and the ledger stays one chain."""
    app = make_app()
    with app.app_context():
        org = make_org()
        exam, _ = certified_exam(org)
        serial = certificate_of(sit(exam, 5)).serial
        officer_ids = [officer(org).id, officer(org).id]
    outcomes = {}
    barrier = threading.Barrier(2)

    def act(action, officer_id):
        with app.app_context():
            from lms.accounts.models import User

            who = db.session.get(User, officer_id)
            cert = db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))
            seen = cert.revision  # both officers look at the same page
            barrier.wait()
            try:
                status.change(cert, action, who, f"{action} 理由", seen_revision=seen)
                db.session.commit()
                outcomes[action] = "done"
            except ValidationFailed as exc:
                db.session.rollback()
                outcomes[action] = exc.reason
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(a, i))
               for a, i in zip(("revoke", "suspend"), officer_ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        cert = db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))
        assert sorted(outcomes.values()) == ["changed", "done"]
        winner = next(a for a, o in outcomes.items() if o == "done")
        assert cert.status == {"revoke": CertificateStatus.REVOKED,
                               "suspend": CertificateStatus.SUSPENDED}[winner]
        assert ledger.verify() is None
        done = {"revoke": "revoked", "suspend": "suspended"}[winner]
        kinds = db.session.scalars(sa.select(LedgerEvent.kind).order_by(LedgerEvent.seq)).all()
        assert kinds == ["issued", done]
        audited = db.session.scalars(sa.select(AuditEntry.action)
                                     .where(AuditEntry.action.in_(["certificate.revoked",
                                                                   "certificate.suspended"])))
        assert list(audited) == [f"certificate.{done}"]
