"""Issuing certificates from released exam results, and the officers' approval queue.

`issue_for_attempts` is what the queue runs once results are released (a whole session
at once): for each released attempt it finds the highest level the result earns
(`lms.domain.qualification_rules`) and issues the certificate — or files a request in
the approval queue when the qualification asks for an officer (and, with four eyes, a
second one). It is idempotent: a certificate and a request are unique per attempt and
level, so running it twice issues nothing the second time.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.certificates import artefacts, ledger
from lms.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateStatus,
    Issuance,
    Qualification,
    QualificationLevel,
    RequestKind,
    RequestStatus,
)
from lms.clock import utcnow
from lms.courses.models import Course, Enrollment
from lms.domain import qualification_rules as rules
from lms.domain import serials
from lms.domain.attempt_states import AttemptState
from lms.domain.dates import add_months
from lms.errors import ValidationFailed
from lms.exams import integrity
from lms.exams.models import ExamAttempt
from lms.extensions import db
from lms.grading.models import ExamResult
from lms.i18n import local_today
from lms.notifications.services import queue_mail

#: entries per status list (the W3C minimum, for herd privacy); lists stay at most half
#: full so a random free slot is found at the first or second draw
STATUS_LIST_SIZE = 131_072


@dataclass
class IssueReport:
    issued: list[str]  # serials
    queued: list[int]  # request ids
    not_earned: dict[int, dict[int, tuple[str, ...]]]  # attempt → level → unmet


def expiry(valid_from: date, months: int) -> date:
    """The last day a certificate of ``months`` validity is valid."""
    return add_months(valid_from, months) - timedelta(days=1)


# -- evaluating released results -------------------------------------------------------------


def issue_for_attempts(attempt_ids: list[int], *, now: datetime | None = None) -> IssueReport:
    """Issue (or queue) the certificates the released results of ``attempt_ids`` earn.
    The caller commits."""
    now = now or utcnow()
    report = IssueReport([], [], {})
    attempts = db.session.scalars(
        sa.select(ExamAttempt).where(ExamAttempt.id.in_(attempt_ids),
                                     ExamAttempt.state == AttemptState.RELEASED)
        .options(joinedload(ExamAttempt.exam), joinedload(ExamAttempt.session))).all()
    if not attempts:
        return report
    levels = db.session.scalars(
        sa.select(QualificationLevel)
        .where(QualificationLevel.exam_id.in_({a.exam_id for a in attempts}))
        .options(joinedload(QualificationLevel.qualification)
                 .joinedload(Qualification.organisation))).all()
    if not levels:
        return report
    results = {r.attempt_id: r for r in db.session.scalars(
        sa.select(ExamResult).where(ExamResult.attempt_id.in_([a.id for a in attempts])))}
    users = {u.id: u for u in db.session.scalars(
        sa.select(User).where(User.id.in_({a.user_id for a in attempts})))}
    completed = _completed_courses({a.user_id for a in attempts},
                                   {c for lv in levels for c in lv.required_courses or ()})
    flags = integrity.flags_for(attempts, now)
    done = _already_decided([a.id for a in attempts])
    by_id = {lv.id: lv for lv in levels}
    level_rules = [rules.LevelRule(lv.id, lv.rank, lv.exam_id, lv.min_percent, lv.max_percent,
                                   tuple(lv.required_courses or ()), lv.require_integrity_clear,
                                   lv.require_photo) for lv in levels]
    used = None
    for attempt in attempts:
        result = results.get(attempt.id)
        if result is None or result.passed is None:
            continue
        user = users[attempt.user_id]
        facts = rules.ResultFacts(
            exam_id=attempt.exam_id, percent=result.percent, passed=bool(result.passed),
            integrity_clear=attempt.review_decision == "clear" or (
                attempt.review_decision is None and not flags.get(attempt.id)),
            completed_courses=frozenset(completed.get(user.id, ())),
            has_photo=bool(user.photo_file))
        outcome = rules.level_earned(level_rules, facts)
        if outcome.unmet:
            report.not_earned[attempt.id] = outcome.unmet
        if outcome.level_id is None or (attempt.id, outcome.level_id) in done:
            continue
        level = by_id[outcome.level_id]
        evidence = _evidence(attempt, result, level)
        if level.qualification.issuance == Issuance.APPROVAL:
            report.queued.append(_file_request(user, level, attempt, evidence).id)
            continue
        if used is None:
            used = _used_status_indices()
        report.issued.append(_issue(user, level, attempt.id, evidence, now=now, used=used).serial)
    return report


def act_on_flips(*, now: datetime | None = None) -> IssueReport:
    """Act on regrades and upheld appeals that turned a pass into a fail or back
    (`lms.grading.regrade.open_flips`): a new pass is certified like any released
    result; a certificate whose result is no longer a pass goes to the officers as a
    revocation request (they confirm or reject it: the holder may have other evidence).
    Each flip is stamped as acted on."""
    from lms.grading.models import ResultChange
    from lms.grading.regrade import open_flips

    now = now or utcnow()
    report = IssueReport([], [], {})
    while flips := open_flips():
        passed = [f.attempt_id for f in flips if f.after_passed]
        if passed:
            done = issue_for_attempts(passed, now=now)
            report.issued += done.issued
            report.queued += done.queued
        lost = {f.attempt_id: f for f in flips if not f.after_passed}
        for certificate in db.session.scalars(
                sa.select(Certificate).where(
                    Certificate.attempt_id.in_(list(lost)),
                    Certificate.status.in_((CertificateStatus.ACTIVE,
                                            CertificateStatus.SUSPENDED)))):
            flip = lost[certificate.attempt_id]
            request = CertificateRequest(
                kind=RequestKind.REVOKE, holder_id=certificate.holder_id,
                qualification_id=certificate.qualification_id, level_id=certificate.level_id,
                certificate=certificate,
                reason=f"成绩更正后不再合格（{flip.before_score} → {flip.after_score}）："
                       f"{flip.reason}"[:500])
            db.session.add(request)
            db.session.flush()
            report.queued.append(request.id)
            audit.record("certificate.revocation_requested", obj=certificate,
                         after={"reason": request.reason, "request": request.id,
                                "result_change": flip.id})
        db.session.execute(sa.update(ResultChange)
                           .where(ResultChange.id.in_([f.id for f in flips]))
                           .values(acted_on_at=now))
    return report


def issue_for_exams(exam_ids: list[int], *, batch: int = 500) -> IssueReport:
    """`issue_for_attempts` over every released result of ``exam_ids``, in batches."""
    total = IssueReport([], [], {})
    last = 0
    while ids := list(db.session.scalars(
            sa.select(ExamAttempt.id)
            .where(ExamAttempt.exam_id.in_(exam_ids), ExamAttempt.state == AttemptState.RELEASED,
                   ExamAttempt.id > last)
            .order_by(ExamAttempt.id).limit(batch))):
        report = issue_for_attempts(ids)
        total.issued += report.issued
        total.queued += report.queued
        total.not_earned.update(report.not_earned)
        last = ids[-1]
    return total


def _completed_courses(user_ids: set[int], codes: set[str]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    if not codes:
        return found
    for user_id, code in db.session.execute(
            sa.select(Enrollment.user_id, Course.code)
            .join(Course, Course.id == Enrollment.course_id)
            .where(Enrollment.user_id.in_(user_ids), Enrollment.completed_at.is_not(None),
                   Course.code.in_(codes))):
        found[user_id].add(code)
    return found


def _already_decided(attempt_ids: list[int]) -> set[tuple[int, int]]:
    issued = db.session.execute(sa.select(Certificate.attempt_id, Certificate.level_id)
                                .where(Certificate.attempt_id.in_(attempt_ids)))
    queued = db.session.execute(
        sa.select(CertificateRequest.attempt_id, CertificateRequest.level_id)
        .where(CertificateRequest.attempt_id.in_(attempt_ids),
               CertificateRequest.kind == RequestKind.ISSUE))
    return {tuple(row) for row in (*issued, *queued)}


def _evidence(attempt: ExamAttempt, result: ExamResult, level: QualificationLevel) -> dict:
    return {"attempt": attempt.id, "exam": attempt.exam.title, "exam_id": attempt.exam_id,
            "percent": str(result.percent), "finished_at": (attempt.finished_at or utcnow())
            .isoformat(), "courses": list(level.required_courses or [])}


def _file_request(user: User, level: QualificationLevel, attempt: ExamAttempt,
                  evidence: dict) -> CertificateRequest:
    request = CertificateRequest(kind=RequestKind.ISSUE, holder_id=user.id,
                                 qualification_id=level.qualification_id, level_id=level.id,
                                 attempt_id=attempt.id, evidence=evidence)
    db.session.add(request)
    db.session.flush()
    audit.record("certificate_request.filed", obj=request,
                 after={"level": level.id, "attempt": attempt.id})
    return request


# -- issuing ---------------------------------------------------------------------------------


def _used_status_indices() -> set[int]:
    return set(db.session.scalars(sa.select(Certificate.status_index)))


def _draw_status_index(used: set[int]) -> int:
    lists = len(used) // (STATUS_LIST_SIZE // 2) + 1
    while True:
        index = secrets.randbelow(lists * STATUS_LIST_SIZE)
        if index not in used:
            used.add(index)
            return index


def _issue(user: User, level: QualificationLevel, attempt_id: int | None, evidence: dict, *,
           now: datetime, used: set[int], actor=None, approvers: list[int] | None = None,
           ) -> Certificate:
    """Create the certificate with its PDF and credential, and its ledger events. A
    concurrent run that issued the same result and level meanwhile makes the flush fail
    on the unique key: the whole transaction rolls back and the task is retried, which
    then finds it issued. (No savepoint: pysqlite commits a SAVEPOINT opened before any
    write of the transaction when it is released.)"""
    valid_from = local_today(now)
    certificate = Certificate(
        serial=serials.new_serial(), holder=user, qualification=level.qualification,
        level=level, attempt_id=attempt_id, evidence=evidence, issued_at=now,
        valid_from=valid_from, expires_on=expiry(valid_from, level.months),
        status=CertificateStatus.ACTIVE, status_changed_at=now,
        status_index=_draw_status_index(used))
    db.session.add(certificate)
    db.session.flush()
    if approvers:
        ledger.append("approved", certificate, actor=actor, at=now,
                      data={"approvers": approvers})
    ledger.append("issued", certificate, actor=actor, at=now, data=_ledger_data(certificate))
    audit.record("certificate.issued", actor=actor, obj=certificate,
                 after={"serial": certificate.serial, "level": level.id})
    artefacts.produce(certificate)
    queue_mail("certificate_issued", user.email, locale=user.locale, user=user,
               certificate=certificate, link=artefacts.holder_link())
    return certificate


def issue_without_exam(user: User, level: QualificationLevel, evidence: dict, *,
                       actor=None, now: datetime | None = None) -> Certificate:
    """A certificate that no exam result earned: for the demo data and for migrating
    holders of certificates issued before the platform (the evidence says which)."""
    return _issue(user, level, None, evidence, now=now or utcnow(),
                  used=_used_status_indices(), actor=actor)


def _ledger_data(certificate: Certificate) -> dict:
    return {"holder": certificate.holder_id, "qualification": certificate.qualification.code,
            "level": certificate.level.code, "valid_from": certificate.valid_from.isoformat(),
            "expires_on": certificate.expires_on.isoformat(),
            "attempt": certificate.attempt_id, "pdf_sha256": certificate.pdf_sha256}


# -- the approval queue ----------------------------------------------------------------------


def approve(request: CertificateRequest, officer, *, now: datetime | None = None
            ) -> Certificate | None:
    """An officer approves a queued issue: the certificate is issued — or, under four
    eyes, the first approval is recorded and a second officer must confirm. Refused
    (`ValidationFailed`) when the request was decided meanwhile or the same officer
    tries to be both pairs of eyes."""
    now = now or utcnow()
    if request.status != RequestStatus.PENDING:
        raise ValidationFailed("request", "decided")
    four_eyes = request.qualification.four_eyes
    if four_eyes and request.first_by_id == officer.id:
        raise ValidationFailed("request", "same_officer")
    if four_eyes and request.first_by_id is None:
        _claim(request, status=RequestStatus.PENDING, first_by_id=officer.id, first_at=now)
        audit.record("certificate_request.first_approval", actor=officer, obj=request,
                     after={"level": request.level_id})
        return None
    _claim(request, status=RequestStatus.DONE, decided_by_id=officer.id, decided_at=now)
    approvers = [i for i in (request.first_by_id, officer.id) if i is not None]
    certificate = _issue(request.holder, request.level, request.attempt_id, request.evidence,
                         now=now, used=_used_status_indices(), actor=officer,
                         approvers=approvers)
    request.certificate = certificate
    audit.record("certificate_request.approved", actor=officer, obj=request,
                 after={"serial": certificate.serial})
    return certificate


def reject(request: CertificateRequest, officer, reason: str, *,
           now: datetime | None = None) -> None:
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ValidationFailed("reason", "required")
    if request.status != RequestStatus.PENDING:
        raise ValidationFailed("request", "decided")
    _claim(request, status=RequestStatus.REJECTED, decided_by_id=officer.id,
           decided_at=now or utcnow(), reason=reason)
    audit.record("certificate_request.rejected", actor=officer, obj=request,
                 after={"reason": reason})


def _claim(request: CertificateRequest, **values) -> None:
    """Move a pending request on, guarded by its revision: of two officers deciding at
    once, one wins and the other is told the request was decided meanwhile."""
    moved = db.session.execute(
        sa.update(CertificateRequest)
        .where(CertificateRequest.id == request.id,
               CertificateRequest.revision == request.revision,
               CertificateRequest.status == RequestStatus.PENDING)
        .values(revision=CertificateRequest.revision + 1, **values)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise ValidationFailed("request", "decided")
    db.session.refresh(request)


def pending_requests(scope_filter) -> list[CertificateRequest]:
    return list(db.session.scalars(
        sa.select(CertificateRequest)
        .join(Qualification, Qualification.id == CertificateRequest.qualification_id)
        .where(CertificateRequest.status == RequestStatus.PENDING, scope_filter)
        .order_by(CertificateRequest.created_at, CertificateRequest.id)
        .options(joinedload(CertificateRequest.holder).joinedload(User.organisation),
                 joinedload(CertificateRequest.level), joinedload(CertificateRequest.first_by),
                 joinedload(CertificateRequest.certificate),
                 selectinload(CertificateRequest.qualification))))
