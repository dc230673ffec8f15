"""Builders for exam tests: an exam drawing from a bank, a session around now, and
a candidate whose profile and consents make them eligible."""

from __future__ import annotations

import itertools
from datetime import timedelta

from lms.accounts.models import ConsentRecord
from lms.clock import utcnow
from lms.exams.models import Exam, ExamSession, ExamStatus, ProctoringMode
from lms.extensions import db
from tests.factories import make_user
from tests.practice_factories import fill_bank, make_bank

_seq = itertools.count(1)


def make_exam(*, items: int = 5, pool: int | None = None, bank=None, **fields) -> Exam:
    """A published exam of one section of ``items`` single-choice items (pool: 2 × items)."""
    if bank is None:
        bank = make_bank()
        fill_bank(bank, pool or items * 2)
    n = next(_seq)
    values = {"code": f"exam-{n}", "title": f"测试考试{n}", "status": ExamStatus.PUBLISHED,
              "sections": [{"key": "main", "title": "单选题", "count": items, "points": "2",
                            "filter": {"banks": [bank.code]}}],
              "duration_minutes": 30, "attempts_allowed": 2, "webcam_required": False,
              "proctoring": ProctoringMode.ONLINE}
    values.update(fields)
    exam = Exam(**values)
    db.session.add(exam)
    db.session.commit()
    return exam


def make_session(exam: Exam, *, mode: ProctoringMode = ProctoringMode.ONLINE, starts_in=-5,
                 minutes: int = 120, capacity: int = 30, proctors=(), code: str = "ABC234",
                 deadline_in=None) -> ExamSession:
    """A session starting ``starts_in`` minutes from now (negative: already open)."""
    now = utcnow()
    starts = now + timedelta(minutes=starts_in)
    session = ExamSession(
        exam=exam, title=f"第{next(_seq)}场", starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        registration_deadline=now + timedelta(minutes=deadline_in if deadline_in is not None
                                              else max(starts_in, 1)),
        mode=mode, capacity=capacity, access_code=code, proctors=list(proctors))
    db.session.add(session)
    db.session.commit()
    return session


def ready_candidate(**fields):
    """A candidate with a complete profile who consented to webcam pictures."""
    user = make_user(id_number_encrypted=b"encrypted", photo_file="photo.jpg", **fields)
    db.session.add(ConsentRecord(user_id=user.id, purpose="proctoring", version="2026-11-24"))
    db.session.commit()
    return user


def sitting_on(client, exam: Exam | None = None):
    """An attempt booked, checked in and started through the services, its candidate
    logged in on ``client`` with the attempt's device cookie (no page posts: the tests
    that turn CSRF on need none)."""
    from lms.exams import attempts, registration
    from tests.conftest import login

    session = make_session(exam or make_exam())
    user = ready_candidate()
    attempt = registration.book(user, session, utcnow())
    attempts.check_in(attempt, session.access_code, utcnow())
    token = attempts.start(attempt, utcnow())
    db.session.commit()
    login(client, user)
    client.set_cookie(f"exam_device_{attempt.id}", token, path=f"/exams/attempts/{attempt.id}")
    return attempt
