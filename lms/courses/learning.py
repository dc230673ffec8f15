"""Studying: catalogue, enrolment, progress, completion and the credit-hours ledger.

Learners only read published versions (`CourseVersion.content`); progress is
keyed by lesson uid so it survives new versions. A course is complete when
every lesson is read and every module practice quiz has a passed attempt
(`lms.courses.practice` runs the quizzes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from lms.clock import utcnow
from lms.courses.models import (
    Course,
    CourseStatus,
    CourseVersion,
    CreditEntry,
    Domain,
    Enrollment,
    LessonProgress,
    Level,
    PracticeAttempt,
)
from lms.domain.practice import QuizStatus
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.extensions import db

#: most seconds one heartbeat may add: a tab left open does not earn hours
HEARTBEAT_MAX_SECONDS = 60


@dataclass
class CatalogueEntry:
    course: Course
    version: CourseVersion
    enrollment: Enrollment | None
    done: int = 0

    @property
    def percent(self) -> int:
        total = self.version.lesson_count
        return round(100 * min(self.done, total) / total) if total else 0


def catalogue(user, *, domain: str = "", level: str = "") -> list[CatalogueEntry]:
    """Published courses (filtered), each with the user's enrolment and progress."""
    query = _card_query(user).where(Course.status == CourseStatus.PUBLISHED) \
        .order_by(Course.code)
    if domain in Domain._value2member_map_:
        query = query.where(CourseVersion.domain == Domain(domain))
    if level in Level._value2member_map_:
        query = query.where(CourseVersion.level == Level(level))
    return _entries(query)


def my_courses(user) -> list[CatalogueEntry]:
    """Courses the user is enrolled in, with progress."""
    return _entries(_card_query(user).where(Enrollment.id.is_not(None))
                    .order_by(Enrollment.enrolled_at.desc()))


def _card_query(user) -> sa.Select:
    """Courses with their published version, what a card shows of its content, and the
    user's enrolment and count of lessons read: one query (each more cost about as much
    as the page's rendering, bench/README.md)."""
    done = (sa.select(LessonProgress.course_id, sa.func.count().label("done"))
            .where(LessonProgress.user_id == user.id, LessonProgress.completed_at.is_not(None))
            .group_by(LessonProgress.course_id).subquery("done"))
    return (sa.select(Course, Enrollment, done.c.done)
            .join(Course.published_version)
            .outerjoin(Enrollment, sa.and_(Enrollment.course_id == Course.id,
                                           Enrollment.user_id == user.id))
            .outerjoin(done, done.c.course_id == Course.id)
            .options(contains_eager(Course.published_version).defer(CourseVersion.content)))


def _entries(query: sa.Select) -> list[CatalogueEntry]:
    return [CatalogueEntry(course, course.published_version, enrollment, done or 0)
            for course, enrollment, done in db.session.execute(query)]


def _enrollments(user, course_ids) -> dict[int, Enrollment]:
    if not user.is_authenticated or not course_ids:
        return {}
    rows = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.user_id == user.id, Enrollment.course_id.in_(course_ids)))
    return {e.course_id: e for e in rows}


def published_course(code: str) -> Course:
    """A course learners may open: published (archived ones stay readable to their
    enrolled learners, checked by the caller)."""
    course = db.session.scalar(
        sa.select(Course).where(Course.code == code)
        .options(sa.orm.joinedload(Course.published_version)))
    if course is None or course.published_version is None:
        raise NotFound()
    return course


@dataclass
class Outline:
    """A version's content with the learner's progress laid over it."""

    course: Course
    version: CourseVersion
    enrollment: Enrollment | None
    progress: dict[str, LessonProgress] = field(default_factory=dict)
    #: uids of completed lessons, kept apart from the rows so reading them after a
    #: commit (which expires the rows) costs no query per lesson
    done: set[str] = field(default_factory=set)
    #: module uid → the learner's record on that module's practice quiz
    quizzes: dict[str, QuizStatus] = field(default_factory=dict)
    #: the version's content (modules, lessons), set from ``version``
    content: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        self.done = {uid for uid, p in self.progress.items() if p.completed_at is not None}
        # read once: after the lesson page's commit (which expires the version) every
        # read of ``version.content`` loaded and decoded the whole course again, twice
        # per view, about half the page's CPU (bench/pages.py)
        self.content = self.version.content

    @property
    def lessons(self) -> list[dict]:
        return [lesson for m in self.content["modules"] for lesson in m["lessons"]]

    def is_done(self, uid: str) -> bool:
        return uid in self.done

    @property
    def done_count(self) -> int:
        return sum(1 for lesson in self.lessons if self.is_done(lesson["uid"]))

    @property
    def percent(self) -> int:
        total = len(self.lessons)
        return round(100 * self.done_count / total) if total else 0

    @property
    def quiz_modules(self) -> list[dict]:
        """The modules that have a practice quiz (their content carries ``quiz``)."""
        return [m for m in self.content["modules"] if m.get("quiz")]

    def quiz_status(self, module_uid: str) -> QuizStatus:
        return self.quizzes.get(module_uid) or QuizStatus()

    @property
    def passed_quiz_count(self) -> int:
        return sum(1 for m in self.quiz_modules if self.quiz_status(m["uid"]).passed)

    @property
    def quizzes_passed(self) -> bool:
        return self.passed_quiz_count == len(self.quiz_modules)

    @property
    def requirements_met(self) -> bool:
        """Every lesson read and every module quiz passed: the course is complete."""
        return self.done_count == len(self.lessons) and self.quizzes_passed

    def find_module(self, uid: str) -> dict:
        module = next((m for m in self.content["modules"] if m["uid"] == uid), None)
        if module is None:
            raise NotFound()
        return module

    def quiz_after(self, lesson_uid: str) -> dict | None:
        """The module whose quiz comes right after ``lesson_uid`` (its last lesson)."""
        module, _lesson, _index = self.find(lesson_uid)
        if module.get("quiz") and module["lessons"][-1]["uid"] == lesson_uid:
            return module
        return None

    def find(self, uid: str) -> tuple[dict, dict, int]:
        """(module, lesson, index among all lessons) for ``uid``, or NotFound."""
        index = 0
        for module in self.content["modules"]:
            for lesson in module["lessons"]:
                if lesson["uid"] == uid:
                    return module, lesson, index
                index += 1
        raise NotFound()

    def neighbours(self, uid: str) -> tuple[dict | None, dict | None]:
        lessons = self.lessons
        _m, _l, index = self.find(uid)
        return (lessons[index - 1] if index > 0 else None,
                lessons[index + 1] if index + 1 < len(lessons) else None)

    def resume_uid(self) -> str:
        """Where "continue" goes: the last lesson opened, else the first unread one."""
        uids = [lesson["uid"] for lesson in self.lessons]
        last = self.enrollment.last_lesson_uid if self.enrollment else None
        if last in uids:
            return last
        return next((u for u in uids if not self.is_done(u)), uids[0])


def outline(user, course: Course) -> Outline:
    """The published outline and this user's progress: two queries (three with quizzes)."""
    enrollment = _enrollments(user, [course.id]).get(course.id)
    progress, quizzes = {}, {}
    if enrollment is not None:
        rows = db.session.scalars(sa.select(LessonProgress).where(
            LessonProgress.user_id == user.id, LessonProgress.course_id == course.id))
        progress = {p.lesson_uid: p for p in rows}
        if any(m.get("quiz") for m in course.published_version.content["modules"]):
            quizzes = quiz_statuses(user, course)
    return Outline(course, course.published_version, enrollment, progress, quizzes=quizzes)


def quiz_statuses(user, course: Course) -> dict[str, QuizStatus]:
    """Module uid → the user's submitted practice attempts summed up, in one query.

    A pass counts whichever course version it was made on, like lesson progress.
    """
    rows = db.session.execute(
        sa.select(PracticeAttempt.module_uid, sa.func.count(),
                  sa.func.max(PracticeAttempt.percent),
                  sa.func.max(sa.case((PracticeAttempt.passed, 1), else_=0)))
        .where(PracticeAttempt.user_id == user.id, PracticeAttempt.course_id == course.id,
               PracticeAttempt.submitted_at.is_not(None))
        .group_by(PracticeAttempt.module_uid))
    return {uid: QuizStatus(count, best, bool(passed)) for uid, count, best, passed in rows}


def missing_prerequisites(user, course: Course) -> list[Course]:
    required = course.prerequisites
    if not required:
        return []
    completed = set(db.session.scalars(sa.select(Enrollment.course_id).where(
        Enrollment.user_id == user.id, Enrollment.completed_at.is_not(None),
        Enrollment.course_id.in_([c.id for c in required]))))
    return [c for c in required if c.id not in completed]


def enrol(user, course: Course) -> Enrollment:
    """Enrol in a published course whose prerequisites the user has completed."""
    existing = _enrollments(user, [course.id]).get(course.id)
    if existing is not None:
        return existing
    if course.status != CourseStatus.PUBLISHED:
        raise InvalidTransition("course not open for enrolment")
    missing = missing_prerequisites(user, course)
    if missing:
        raise ValidationFailed("course", "prerequisites",
                               courses="、".join(c.title for c in missing))
    enrollment = Enrollment(user_id=user.id, course_id=course.id)
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def require_enrollment(view: Outline) -> Enrollment:
    if view.enrollment is None:
        raise ValidationFailed("course", "not_enrolled")
    return view.enrollment


def _progress_row(user, course: Course, uid: str, view: Outline) -> LessonProgress:
    row = view.progress.get(uid)
    if row is None:
        row = LessonProgress(user_id=user.id, course_id=course.id, lesson_uid=uid)
        db.session.add(row)
        view.progress[uid] = row
    return row


def open_lesson(user, view: Outline, uid: str) -> None:
    """Record that the learner is reading ``uid`` (for "continue where I left off")."""
    enrollment = require_enrollment(view)
    view.find(uid)
    row = _progress_row(user, view.course, uid, view)
    row.last_seen_at = utcnow()
    enrollment.last_lesson_uid = uid


def heartbeat(user, view: Outline, uid: str, seconds: int) -> int:
    """Add reading time to a lesson (at most `HEARTBEAT_MAX_SECONDS` per beat)."""
    require_enrollment(view)
    view.find(uid)
    row = _progress_row(user, view.course, uid, view)
    row.seconds_spent = (row.seconds_spent or 0) + max(0, min(int(seconds),
                                                              HEARTBEAT_MAX_SECONDS))
    row.last_seen_at = utcnow()
    return row.seconds_spent


def complete_lesson(user, view: Outline, uid: str, *, today: date) -> bool:
    """Mark a lesson read; completes the course once its requirements are met.

    Returns True when this call completed the course.
    """
    require_enrollment(view)
    view.find(uid)
    row = _progress_row(user, view.course, uid, view)
    if row.completed_at is None:
        row.completed_at = utcnow()
    view.done.add(uid)
    return complete_if_done(user, view, today=today)


def complete_if_done(user, view: Outline, *, today: date) -> bool:
    """Complete the course if every lesson is read and every module quiz passed.

    Called after each lesson read and each quiz passed; True when it completed now.
    """
    enrollment = require_enrollment(view)
    if enrollment.completed_at is None and view.requirements_met:
        complete_course(user, enrollment, view.version, today=today)
        return True
    return False


def complete_course(user, enrollment: Enrollment, version: CourseVersion, *,
                    today: date) -> CreditEntry:
    """Record completion and write the credit hours to the ledger (once per version)."""
    enrollment.completed_at = utcnow()
    enrollment.completed_version_id = version.id
    entry = CreditEntry(user_id=user.id, course_id=version.course_id,
                        course_version_id=version.id, hours=version.credit_hours,
                        domain=version.domain, earned_on=today)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class CreditSummary:
    entries: list[CreditEntry]
    #: {year: {domain: hours}}
    by_year: dict[int, dict[str, Decimal]]
    total: Decimal


def credit_total(user) -> Decimal:
    """The user's credit hours in all (one SUM; the dashboard needs no more)."""
    total = db.session.scalar(sa.select(sa.func.sum(CreditEntry.hours)).where(
        CreditEntry.user_id == user.id))
    return Decimal(str(total or 0))


def credit_summary(user) -> CreditSummary:
    """The user's ledger, newest first, with totals by year and domain."""
    entries = list(db.session.scalars(
        sa.select(CreditEntry).where(CreditEntry.user_id == user.id)
        .options(sa.orm.joinedload(CreditEntry.course_version))
        .order_by(CreditEntry.earned_on.desc(), CreditEntry.id.desc())))
    by_year: dict[int, dict[str, Decimal]] = {}
    for entry in entries:
        year = by_year.setdefault(entry.earned_on.year, {})
        year[entry.domain.value] = year.get(entry.domain.value, Decimal("0")) + entry.hours
    return CreditSummary(entries, by_year, sum((e.hours for e in entries), Decimal("0")))


