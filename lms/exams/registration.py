"""Booking a session: gathering the facts `lms.domain.eligibility` decides on,
the booking itself, and officers' accommodations."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import ConsentRecord, User
from lms.audit import services as audit
from lms.courses.models import Course, Enrollment
from lms.domain import eligibility
from lms.domain.attempt_states import AttemptState
from lms.domain.seeding import check_seed
from lms.exams.models import (
    OPEN_STATES,
    Accommodation,
    Exam,
    ExamAttempt,
    ExamSession,
    ProctoringMode,
)
from lms.extensions import db

S = AttemptState
#: attempts that used up one of the allowed attempts
COUNTED_STATES = (S.IN_PROGRESS, S.PAUSED, S.SUBMITTED, S.TIMED_OUT, S.TERMINATED, S.GRADED,
                  S.RELEASED, S.INVALIDATED)
FINISHED_STATES = (S.SUBMITTED, S.TIMED_OUT, S.TERMINATED, S.GRADED, S.RELEASED,
                   S.INVALIDATED)
ACCESS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


class NotEligible(Exception):
    def __init__(self, reasons: list[eligibility.Reason]):
        super().__init__(", ".join(r.code for r in reasons))
        self.reasons = reasons


def new_access_code(length: int = 6) -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(length))


def has_consent(user: User, purpose: str) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord).where(
        ConsentRecord.user_id == user.id, ConsentRecord.purpose == purpose,
        ConsentRecord.withdrawn_at.is_(None))) > 0


def candidate_facts(user: User, exam: Exam) -> eligibility.CandidateFacts:
    required = list(exam.required_courses or [])
    completed = set(db.session.scalars(
        sa.select(Course.code).join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id, Enrollment.completed_at.is_not(None),
               Course.code.in_(required)))) if required else set()
    titles = {code: title for code, title in db.session.execute(
        sa.select(Course.code, Course.title).where(Course.code.in_(required)))}
    mine = db.session.execute(
        sa.select(ExamAttempt.state, ExamAttempt.finished_at)
        .where(ExamAttempt.user_id == user.id, ExamAttempt.exam_id == exam.id)).all()
    finished = [at for state, at in mine if state in FINISHED_STATES and at is not None]
    missing = tuple(name for name, present in (
        ("real_name", bool((user.real_name or "").strip())),
        ("id_number", user.id_number_encrypted is not None),
        ("photo", user.photo_file is not None)) if not present)
    return eligibility.CandidateFacts(
        missing_courses=tuple(titles.get(code, code) for code in required
                              if code not in completed),
        attempts_used=sum(state in COUNTED_STATES for state, _ in mine),
        attempts_allowed=exam.attempts_allowed,
        last_finished_at=max(finished, default=None),
        cooldown=timedelta(days=exam.cooldown_days),
        has_open_attempt=any(state in OPEN_STATES for state, _ in mine),
        profile_missing=missing,
        proctoring_consent=has_consent(user, "proctoring"))


def seats_taken(session: ExamSession) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ExamAttempt).where(
        ExamAttempt.session_id == session.id,
        ExamAttempt.state.not_in([S.CANCELLED, S.REJECTED]))) or 0


def session_facts(session: ExamSession) -> eligibility.SessionFacts:
    return eligibility.SessionFacts(
        remote_proctored=session.mode == ProctoringMode.ONLINE,
        registration_deadline=session.registration_deadline, ends_at=session.ends_at,
        seats_left=session.capacity - seats_taken(session))


def reasons_for(user: User, session: ExamSession, now: datetime) -> list[eligibility.Reason]:
    return eligibility.session_reasons(candidate_facts(user, session.exam),
                                       session_facts(session), now)


def book(user: User, session: ExamSession, now: datetime) -> ExamAttempt:
    """Register ``user`` for ``session``; `NotEligible` with every reason if they may not.

    The session row is locked (PostgreSQL) while seats are counted, so two
    candidates cannot both take the last seat; the partial unique index on open
    attempts stops a double booking from two tabs.
    """
    db.session.execute(sa.select(ExamSession.id).where(ExamSession.id == session.id)
                       .with_for_update())
    reasons = reasons_for(user, session, now)
    if reasons:
        raise NotEligible(reasons)
    number = (db.session.scalar(sa.select(sa.func.max(ExamAttempt.number)).where(
        ExamAttempt.user_id == user.id, ExamAttempt.exam_id == session.exam_id)) or 0) + 1
    attempt = ExamAttempt(exam_id=session.exam_id, session_id=session.id, user_id=user.id,
                          number=number, state=S.REGISTERED, registered_at=now,
                          seed=check_seed(secrets.randbelow(2**63)))
    db.session.add(attempt)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise NotEligible([eligibility.Reason("already_registered")]) from None
    audit.record("exam_attempt.booked", actor=user, obj=attempt,
                 after={"session": session.id})
    return attempt


def grant_accommodation(officer: User, users: list[User], exam: Exam | None, *,
                        extra_percent: int = 0, extra_minutes: int = 0,
                        note: str = "") -> list[Accommodation]:
    """Extra time for each of ``users`` (one person, or a whole group at once).

    The accommodations they already have are read in one query, however many
    people the group holds.
    """
    if not (0 <= extra_percent <= 200 and 0 <= extra_minutes <= 600
            and (extra_percent or extra_minutes)):
        raise ValueError("extra_time")
    existing = {row.user_id: row for row in db.session.scalars(sa.select(Accommodation).where(
        Accommodation.user_id.in_([user.id for user in users]),
        Accommodation.exam_id.is_(None) if exam is None else Accommodation.exam_id == exam.id))}
    granted = []
    for user in users:
        row = existing.get(user.id)
        before = None if row is None else {"extra_percent": row.extra_percent,
                                           "extra_minutes": row.extra_minutes}
        if row is None:
            row = Accommodation(user_id=user.id, exam_id=exam and exam.id)
            db.session.add(row)
        row.extra_percent, row.extra_minutes = extra_percent, extra_minutes
        row.note, row.granted_by_id = note.strip()[:500], officer.id
        granted.append((user, row, before))
    db.session.flush()  # one flush for the group: the audit entries need the ids
    for user, row, before in granted:
        audit.record("exam_accommodation.granted", actor=officer, obj=row, before=before,
                     after={"user": user.id, "exam": exam and exam.id,
                            "extra_percent": extra_percent, "extra_minutes": extra_minutes})
    return [row for _, row, _ in granted]


def move_to_session(officer: User, attempt: ExamAttempt, session: ExamSession) -> None:
    """An alternative session for a booked candidate (same exam, not yet started)."""
    if session.exam_id != attempt.exam_id or attempt.state not in (S.REGISTERED, S.ADMITTED):
        raise ValueError("alternative_session")
    before = attempt.session_id
    result = db.session.execute(
        sa.update(ExamAttempt)
        .where(ExamAttempt.id == attempt.id, ExamAttempt.state == attempt.state)
        .values(session_id=session.id, state=S.REGISTERED, checked_in_at=None,
                admitted_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ValueError("alternative_session")
    db.session.expire(attempt)
    audit.record("exam_attempt.moved", actor=officer, obj=attempt,
                 before={"session": before}, after={"session": session.id})
