"""Counts for `flask lms stats`: later areas add their own keys here."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import Organisation, Role, RoleAssignment, User
from lms.courses.models import Course, Domain, Lesson, Module
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.questions.models import Question, QuestionStatus


def _grouped(column) -> dict[str, int]:
    rows = db.session.execute(sa.select(column, sa.func.count()).group_by(column))
    return {str(getattr(key, "value", key)): n for key, n in rows}


def collect_stats() -> dict:
    users_by_role = {role.value: 0 for role in Role}
    rows = db.session.execute(
        sa.select(RoleAssignment.role, sa.func.count(sa.distinct(RoleAssignment.user_id)))
        .group_by(RoleAssignment.role))
    users_by_role.update({role.value: n for role, n in rows})
    return {
        "users": db.session.scalar(sa.select(sa.func.count(User.id))),
        "users_by_role": users_by_role,
        "organisations": db.session.scalar(sa.select(sa.func.count(Organisation.id))),
        "organisations_by_kind": _grouped(Organisation.kind),
        "outbox_by_status": _grouped(OutboxMessage.status),
        **_course_counts(),
        **_question_counts(),
        **_exam_counts(),
        **_certificate_counts(),
    }


def _certificate_counts() -> dict:
    from lms.certificates.models import Certificate, LedgerEvent, Qualification

    return {"qualifications": db.session.scalar(sa.select(sa.func.count(Qualification.id))),
            "certificates_by_status": _grouped(Certificate.status),
            "ledger_events": db.session.scalar(sa.select(sa.func.count(LedgerEvent.id)))}


def _exam_counts() -> dict:
    from lms.exams.models import Exam, ExamAttempt, ExamSession

    return {"exams_by_status": _grouped(Exam.status),
            "exam_sessions": db.session.scalar(sa.select(sa.func.count(ExamSession.id))),
            "exam_attempts_by_state": _grouped(ExamAttempt.state)}


def _question_counts() -> dict:
    """Approved questions by domain and by type, and questions by status."""
    approved = Question.status == QuestionStatus.APPROVED
    by_domain = {d.value: 0 for d in Domain}
    by_domain.update({d.value: n for d, n in db.session.execute(
        sa.select(Question.domain, sa.func.count()).where(approved).group_by(Question.domain))})
    by_type = dict(db.session.execute(
        sa.select(Question.type, sa.func.count()).where(approved).group_by(Question.type)).all())
    return {"questions_approved": by_domain, "questions_approved_by_type": by_type,
            "questions_by_status": _grouped(Question.status)}


def _course_counts() -> dict:
    """Courses, modules and lessons per domain (every domain listed, zeros included)."""
    def per_domain(query) -> dict[str, int]:
        counts = {d.value: 0 for d in Domain}
        counts.update({d.value: n for d, n in db.session.execute(query)})
        return counts

    return {
        "courses": per_domain(sa.select(Course.domain, sa.func.count()).group_by(Course.domain)),
        "courses_by_status": _grouped(Course.status),
        "modules": per_domain(sa.select(Course.domain, sa.func.count(Module.id))
                              .join(Module, Module.course_id == Course.id)
                              .group_by(Course.domain)),
        "lessons": per_domain(sa.select(Course.domain, sa.func.count(Lesson.id))
                              .join(Lesson, Lesson.course_id == Course.id)
                              .group_by(Course.domain)),
    }
