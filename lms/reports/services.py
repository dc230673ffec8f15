"""Exam reports on the database: per session, per organisation subtree, course → exam
funnel, and the lists the reports index offers.

Every report is a fixed number of statements whatever the number of attempts: the
rows come back as plain tuples from one SELECT (aggregates by GROUP BY where a report
has no per-candidate rows), never as ORM objects walked one by one; the numbers
are then computed by `lms.domain.reports`.

Scope (`lms.permissions`): officers and administrators see the sessions of the
exams whose organisation lies in their scope (`can_manage_exam`) and the
organisations of their subtree with the candidates in them; the funnel counts
the candidates of their subtree for the exams in their scope. Platform-wide
roles see everything. An object out of scope is `NotFound` (a 404: its
existence is not confirmed).

What counts (see `lms.domain.reports`): cancelled bookings are left out; an
attempt is *sat* once it ended (``finished_at``); it is *graded* once its result
is final (``passed`` not None) and it was not invalidated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from lms.accounts.models import Organisation, Role, User
from lms.courses.models import Course, Enrollment
from lms.domain.attempt_states import AttemptState
from lms.domain.reports import Outcome, SessionSummary, rate, summarise
from lms.errors import NotFound
from lms.exams.models import Exam, ExamAttempt, ExamSession
from lms.extensions import db
from lms.grading.models import ExamResult
from lms.permissions import (
    ALL,
    EXAM_MANAGERS,
    _within,
    can_manage_exam,
    exams_in_scope_filter,
    organisations_in_scope_filter,
    scope_paths,
)

#: who sees the session, organisation and funnel reports
REPORT_VIEWERS = (Role.OFFICER, Role.ADMIN)

#: a final result that counts (not pending, not invalidated)
_GRADED = sa.and_(ExamResult.passed.is_not(None),
                  ExamAttempt.state != AttemptState.INVALIDATED)


def can_view_reports(actor) -> bool:
    paths = scope_paths(actor, *REPORT_VIEWERS)
    return paths is ALL or bool(paths)


def _in_scope_users(actor):
    """A WHERE clause on `User` for the candidates in ``actor``'s reporting scope."""
    paths = scope_paths(actor, *REPORT_VIEWERS)
    if paths is ALL:
        return sa.true()
    if not paths:
        return sa.false()
    return User.organisation_id.in_(
        sa.select(Organisation.id).where(organisations_in_scope_filter(actor, *REPORT_VIEWERS)))


# ---------------------------------------------------------------- session report


@dataclass(frozen=True)
class CandidateRow:
    attempt_id: int
    name: str
    organisation: str
    number: int
    state: AttemptState
    started_at: datetime | None
    finished_at: datetime | None
    score: Decimal | None
    max_score: Decimal | None
    percent: Decimal | None
    passed: bool | None  #: None while pending (or no result)


@dataclass(frozen=True)
class SessionReport:
    session: ExamSession
    summary: SessionSummary
    rows: tuple[CandidateRow, ...]


def get_session(actor, session_id: int) -> ExamSession:
    """The session, if its exam is in ``actor``'s scope; else NotFound."""
    session = db.session.scalar(
        sa.select(ExamSession).where(ExamSession.id == session_id)
        .options(joinedload(ExamSession.exam).joinedload(Exam.organisation)))
    if session is None or not can_manage_exam(actor, session.exam):
        raise NotFound()
    return session


def session_report(session: ExamSession) -> SessionReport:
    """Every booking of ``session`` but the cancelled ones, with its result: one SELECT."""
    rows = db.session.execute(
        sa.select(ExamAttempt.id, User.real_name, Organisation.name, ExamAttempt.number,
                  ExamAttempt.state, ExamAttempt.started_at, ExamAttempt.finished_at,
                  ExamResult.score, ExamResult.max_score, ExamResult.percent,
                  ExamResult.passed)
        .join(User, User.id == ExamAttempt.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.session_id == session.id,
               ExamAttempt.state != AttemptState.CANCELLED)
        .order_by(User.real_name, ExamAttempt.id)).all()
    candidates = []
    outcomes = []
    for (attempt_id, name, organisation, number, state, started, finished, score, top,
         percent, passed) in rows:
        invalidated = state == AttemptState.INVALIDATED
        final = None if invalidated else passed
        candidates.append(CandidateRow(attempt_id, name, organisation or "", number, state,
                                       started, finished, score, top, percent, final))
        outcomes.append(Outcome(started=started is not None, finished=finished is not None,
                                passed=final, percent=percent, invalidated=invalidated))
    return SessionReport(session, summarise(outcomes), tuple(candidates))


def reportable_sessions(actor, limit: int = 100) -> list[tuple]:
    """(session, exam code, exam title, bookings, sat) of the exams in scope, latest first:
    one SELECT."""
    counts = (sa.select(ExamAttempt.session_id,
                        sa.func.count().label("booked"),
                        sa.func.count(ExamAttempt.finished_at).label("sat"))
              .where(ExamAttempt.state != AttemptState.CANCELLED)
              .group_by(ExamAttempt.session_id).subquery())
    return db.session.execute(
        sa.select(ExamSession.id, ExamSession.title, ExamSession.starts_at, Exam.id, Exam.code,
                  Exam.title, sa.func.coalesce(counts.c.booked, 0),
                  sa.func.coalesce(counts.c.sat, 0))
        .join(Exam, Exam.id == ExamSession.exam_id)
        .outerjoin(counts, counts.c.session_id == ExamSession.id)
        .where(exams_in_scope_filter(actor, *EXAM_MANAGERS))
        .order_by(ExamSession.starts_at.desc(), ExamSession.id.desc())
        .limit(limit)).all()


# ---------------------------------------------------------------- organisation report


@dataclass(frozen=True)
class OrganisationRow:
    organisation_id: int | None  #: None: the candidates of the organisation itself
    code: str
    name: str
    candidates: int  #: who sat at least one attempt
    sat: int  #: attempts that ended
    graded: int
    passed: int
    pass_rate: float | None
    mean: float | None  #: mean percentage of the graded attempts


@dataclass(frozen=True)
class OrganisationReport:
    organisation: Organisation | None  #: None: the whole platform
    exam: Exam | None  #: the report is limited to this exam
    rows: tuple[OrganisationRow, ...]
    total: OrganisationRow
    exams: tuple[tuple[int, str, str], ...]  #: (id, code, title) the filter offers


def get_organisation(actor, organisation_id: int | None) -> Organisation | None:
    """The organisation (None: the platform, for platform-wide roles) in scope, else
    NotFound."""
    paths = scope_paths(actor, *REPORT_VIEWERS)
    if organisation_id is None:
        if paths is not ALL:
            raise NotFound()
        return None
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not _within(paths, organisation):
        raise NotFound()
    return organisation


def scope_organisations(actor) -> list[Organisation]:
    """The roots of ``actor``'s reporting scope (their assignments' organisations, the
    top-level ones for platform-wide roles), without one inside another."""
    paths = scope_paths(actor, *REPORT_VIEWERS)
    if paths is ALL:
        where = Organisation.parent_id.is_(None)
    elif not paths:
        return []
    else:
        roots = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
        where = Organisation.path.in_(roots)
    return list(db.session.scalars(sa.select(Organisation).where(where)
                                   .order_by(Organisation.path)))


def organisation_report(organisation: Organisation | None, *,
                        exam: Exam | None = None) -> OrganisationReport:
    """One row per child of ``organisation`` (its subtree's candidates), one for the
    candidates of the organisation itself, and the total: three SELECTs (children,
    the aggregate grouped by child, the exams the filter offers)."""
    member = aliased(Organisation)
    child = aliased(Organisation)
    if organisation is None:
        children_where = Organisation.parent_id.is_(None)
        child_on = sa.and_(child.parent_id.is_(None), member.path.startswith(child.path))
        in_subtree = sa.true()
    else:
        children_where = Organisation.parent_id == organisation.id
        child_on = sa.and_(child.parent_id == organisation.id,
                           member.path.startswith(child.path))
        in_subtree = member.path.startswith(organisation.path)
    children = db.session.execute(
        sa.select(Organisation.id, Organisation.code, Organisation.name)
        .where(children_where).order_by(Organisation.code)).all()

    base = (sa.select()
            .select_from(ExamAttempt)
            .join(User, User.id == ExamAttempt.user_id)
            .outerjoin(member, member.id == User.organisation_id)
            .where(in_subtree, ExamAttempt.finished_at.is_not(None)))
    limited = base.where(ExamAttempt.exam_id == exam.id) if exam is not None else base
    grouped = db.session.execute(
        limited.add_columns(
            child.id,
            sa.func.count(sa.distinct(ExamAttempt.user_id)),
            sa.func.count(ExamAttempt.id),
            sa.func.sum(sa.case((_GRADED, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(_GRADED, ExamResult.passed.is_(True)), 1), else_=0)),
            sa.func.sum(sa.case((_GRADED, ExamResult.percent), else_=None)))
        .outerjoin(child, child_on)
        .outerjoin(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
        .group_by(child.id)).all()
    exams = db.session.execute(
        sa.select(Exam.id, Exam.code, Exam.title)
        .where(Exam.id.in_(base.add_columns(ExamAttempt.exam_id).distinct()))
        .order_by(Exam.code)).all()

    found = {key: (candidates, sat, int(graded or 0), int(passed or 0),
                   float(total) if total is not None else 0.0)
             for key, candidates, sat, graded, passed, total in grouped}

    def row(key, code, name):
        candidates, sat, graded, passed, total = found.get(key, (0, 0, 0, 0, 0.0))
        return OrganisationRow(key, code, name, candidates, sat, graded, passed,
                               rate(passed, graded), total / graded if graded else None)

    rows = [row(None, organisation.code if organisation else "",
                organisation.name if organisation else "")]
    rows += [row(key, code, name) for key, code, name in children]
    sums = [sum(getattr(r, f) for r in rows) for f in ("candidates", "sat", "graded", "passed")]
    mean_total = sum(found[k][4] for k in found)
    total = OrganisationRow(None, "", "", *sums, rate(sums[3], sums[2]),
                            mean_total / sums[2] if sums[2] else None)
    return OrganisationReport(organisation, exam, tuple(rows), total,
                              tuple(tuple(e) for e in exams))


# ---------------------------------------------------------------- course → exam funnel


@dataclass(frozen=True)
class FunnelRow:
    exam_id: int
    exam_code: str
    exam_title: str
    enrolled: int
    completed: int
    booked: int  #: enrolled candidates who booked the exam (any attempt not cancelled)
    sat: int  #: … who started it
    passed: int  #: … who passed it (a final, valid result)


@dataclass(frozen=True)
class Funnel:
    course: Course
    enrolled: int
    completed: int
    rows: tuple[FunnelRow, ...]


def _exams_in_scope(actor) -> list[tuple[int, str, str, list]]:
    return db.session.execute(
        sa.select(Exam.id, Exam.code, Exam.title, Exam.required_courses)
        .where(exams_in_scope_filter(actor, *EXAM_MANAGERS)).order_by(Exam.code)).all()


def funnel_courses(actor) -> list[tuple[Course, list[str]]]:
    """The courses that exams in ``actor``'s scope require, with those exams' codes: two
    SELECTs."""
    needed: dict[str, list[str]] = {}
    for _id, code, _title, required in _exams_in_scope(actor):
        for course_code in required or ():
            needed.setdefault(course_code, []).append(code)
    if not needed:
        return []
    courses = db.session.scalars(sa.select(Course).where(Course.code.in_(needed))
                                 .order_by(Course.code))
    return [(course, needed[course.code]) for course in courses]


def get_course(actor, course_id: int) -> Course:
    """The course, if an exam in ``actor``'s scope requires it; else NotFound."""
    course = db.session.get(Course, course_id)
    if course is None or not any(course.code in (required or ())
                                 for *_, required in _exams_in_scope(actor)):
        raise NotFound()
    return course


def funnel(actor, course: Course) -> Funnel:
    """Enrolled → completed → booked → sat → passed for each exam in scope requiring
    ``course``, over the candidates in ``actor``'s scope enrolled in it: three SELECTs."""
    exams = [(i, c, t) for i, c, t, required in _exams_in_scope(actor)
             if course.code in (required or ())]
    cohort = sa.and_(Enrollment.course_id == course.id, _in_scope_users(actor))
    enrolled, completed = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(Enrollment.completed_at))
        .select_from(Enrollment).join(User, User.id == Enrollment.user_id)
        .where(cohort)).one()
    counts = {}
    if exams:
        user = ExamAttempt.user_id

        def distinct_when(condition):
            return sa.func.count(sa.distinct(sa.case((condition, user), else_=None)))

        counts = {exam_id: (booked, sat, passed) for exam_id, booked, sat, passed in
                  db.session.execute(
                      sa.select(ExamAttempt.exam_id,
                                distinct_when(ExamAttempt.state != AttemptState.CANCELLED),
                                distinct_when(ExamAttempt.started_at.is_not(None)),
                                distinct_when(sa.and_(_GRADED, ExamResult.passed.is_(True))))
                      .select_from(Enrollment)
                      .join(User, User.id == Enrollment.user_id)
                      .join(ExamAttempt, ExamAttempt.user_id == Enrollment.user_id)
                      .outerjoin(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
                      .where(cohort, ExamAttempt.exam_id.in_([e[0] for e in exams]))
                      .group_by(ExamAttempt.exam_id))}
    rows = tuple(FunnelRow(exam_id, code, title, enrolled, completed,
                           *counts.get(exam_id, (0, 0, 0)))
                 for exam_id, code, title in exams)
    return Funnel(course, enrolled, completed, rows)


__all__ = [
    "REPORT_VIEWERS",
    "CandidateRow",
    "Funnel",
    "FunnelRow",
    "OrganisationReport",
    "OrganisationRow",
    "SessionReport",
    "can_view_reports",
    "funnel",
    "funnel_courses",
    "get_course",
    "get_organisation",
    "get_session",
    "organisation_report",
    "reportable_sessions",
    "scope_organisations",
    "session_report",
]
