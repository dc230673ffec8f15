"""Suspending, reinstating and revoking certificates.

Each change is one guarded UPDATE (the certificate must still be in a state the change
starts from), a ledger event, an audit entry and a mail to the holder, in one
transaction: of two officers acting at once exactly one wins, the other is told the
certificate changed meanwhile. The status lists and the verification page read the
certificate row itself, so once a revocation commits nothing shows the certificate as
valid. Under four eyes a revocation waits for a second officer's confirmation.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from lms.audit import services as audit
from lms.certificates import artefacts, ledger, register
from lms.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateStatus,
    RequestKind,
    RequestStatus,
)
from lms.clock import utcnow
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.notifications.services import queue_mail
from lms.retraining import tallies

A, S, R, E = (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED, CertificateStatus.REVOKED,
              CertificateStatus.EXPIRED)

#: change → (states it starts from, state it ends in, ledger kind)
CHANGES = {
    "suspend": ((A,), S, "suspended"),
    "reinstate": ((S,), A, "reinstated"),
    "revoke": ((A, S), R, "revoked"),
    # only the daily tick: retraining not done within grace and suspension, or no
    # retraining policy and the validity is over
    "expire": ((A, S), E, "expired"),
}


def change(certificate: Certificate, action: str, officer, reason: str, *,
           seen_revision: int | None = None, now: datetime | None = None
           ) -> CertificateRequest | None:
    """Apply ``action`` (suspend / reinstate / revoke) with a reason (required). A
    revocation under four eyes files a request instead and returns it.

    ``seen_revision`` is the revision the officer decided on (the page they saw): if the
    certificate changed since, the change is refused rather than applied blindly."""
    if action not in CHANGES:
        raise ValueError(action)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ValidationFailed("reason", "required")
    now = now or utcnow()
    starts, _target, _kind = CHANGES[action]
    if certificate.status not in starts:
        raise ValidationFailed("status", "not_allowed")
    seen = certificate.revision if seen_revision is None else seen_revision
    if seen != certificate.revision:
        raise ValidationFailed("status", "changed")
    if action == "revoke" and certificate.qualification.four_eyes:
        return _request_revocation(certificate, officer, reason, now)
    _apply(certificate, action, officer, reason, now, seen=seen)
    return None


def _apply(certificate: Certificate, action: str, officer, reason: str, now: datetime,
           *, seen: int | None = None, data: dict | None = None) -> None:
    """The guarded UPDATE: still in a state the change starts from and, when ``seen`` is
    given, still at that revision — of two officers at once, the second is refused."""
    starts, target, kind = CHANGES[action]
    before = certificate.status
    guard = [Certificate.id == certificate.id, Certificate.status.in_(starts)]
    if seen is not None:
        guard.append(Certificate.revision == seen)
    moved = db.session.execute(
        sa.update(Certificate)
        .where(*guard)
        .values(status=target, status_reason=reason, status_changed_at=now,
                revision=Certificate.revision + 1)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise ValidationFailed("status", "changed")
    db.session.refresh(certificate)
    ledger.append(kind, certificate, actor=officer, at=now,
                  data={"reason": reason, "from": before.value, **(data or {})})
    audit.record(f"certificate.{kind}", actor=officer, obj=certificate,
                 before={"status": before.value}, after={"status": target.value,
                                                         "reason": reason})
    if target in (R, E):
        register.drop_unqualified([certificate.holder_id])
    if target == R:  # the retraining dashboard counts no revoked certificate, from now on
        tallies.refresh_tallies([certificate.qualification_id])
    holder = certificate.holder
    queue_mail("certificate_status", holder.email, locale=holder.locale, user=holder,
               certificate=certificate, action=kind, reason=reason,
               link=artefacts.holder_link())


def by_system(certificate: Certificate, action: str, reason: str, now: datetime) -> bool:
    """A change the daily tick decides (suspend, expire): the same guarded UPDATE, ledger
    event, audit entry and mail as an officer's, with no actor. False when the
    certificate changed meanwhile (an officer acted first)."""
    try:
        _apply(certificate, action, None, reason, now)
    except ValidationFailed:
        return False
    return True


def _request_revocation(certificate: Certificate, officer, reason: str,
                        now: datetime) -> CertificateRequest:
    pending = db.session.scalar(
        sa.select(CertificateRequest).where(CertificateRequest.certificate_id == certificate.id,
                                            CertificateRequest.kind == RequestKind.REVOKE,
                                            CertificateRequest.status == RequestStatus.PENDING))
    if pending is not None:
        raise ValidationFailed("request", "pending")
    request = CertificateRequest(kind=RequestKind.REVOKE, holder_id=certificate.holder_id,
                                 qualification_id=certificate.qualification_id,
                                 level_id=certificate.level_id, certificate=certificate,
                                 reason=reason, first_by_id=officer.id, first_at=now)
    db.session.add(request)
    db.session.flush()
    audit.record("certificate.revocation_requested", actor=officer, obj=certificate,
                 after={"reason": reason, "request": request.id})
    return request


def confirm_revocation(request: CertificateRequest, officer, *,
                       now: datetime | None = None) -> None:
    """The second officer confirms a revocation another officer asked for."""
    from lms.certificates.issuance import _claim

    now = now or utcnow()
    if request.kind != RequestKind.REVOKE or request.status != RequestStatus.PENDING:
        raise ValidationFailed("request", "decided")
    if request.first_by_id == officer.id:
        raise ValidationFailed("request", "same_officer")
    _claim(request, status=RequestStatus.DONE, decided_by_id=officer.id, decided_at=now)
    _apply(request.certificate, "revoke", officer, request.reason, now,
           data={"approvers": [request.first_by_id, officer.id]})


def confirm_suspension(request: CertificateRequest, officer, *,
                       now: datetime | None = None) -> None:
    """An officer approves a suspension review (filed by the appraisal rule): the
    certificate is suspended with the review's reason. Refused when the certificate is no
    longer active (the officer rejects the review instead)."""
    from lms.certificates.issuance import _claim

    now = now or utcnow()
    if request.kind != RequestKind.SUSPEND or request.status != RequestStatus.PENDING:
        raise ValidationFailed("request", "decided")
    _claim(request, status=RequestStatus.DONE, decided_by_id=officer.id, decided_at=now)
    change(request.certificate, "suspend", officer, request.reason, now=now)


def pending_revocation(certificate: Certificate) -> CertificateRequest | None:
    return db.session.scalar(
        sa.select(CertificateRequest).where(CertificateRequest.certificate_id == certificate.id,
                                            CertificateRequest.kind == RequestKind.REVOKE,
                                            CertificateRequest.status == RequestStatus.PENDING))
