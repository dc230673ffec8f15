"""Courses.

Authors edit a mutable draft (`Course` → `Module` → `Lesson`). Publishing
freezes the draft into an immutable `CourseVersion` whose ``content`` holds
the whole outline with the lessons already rendered and sanitised; learners
only ever read versions. Lessons keep a ``uid`` across versions, so progress
(`LessonProgress`, keyed by course and lesson uid) survives republishing.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db_base import TimestampMixin, UTCDateTime, enum_column
from lms.extensions import db


class Domain(enum.StrEnum):
    UNION_LAW = "union_law"  # 工会法
    LABOR_LAW = "labor_law"  # 劳动法律法规
    WAGE_ACCOUNTING = "wage_accounting"  # 工资核算与财会
    NEGOTIATION = "negotiation"  # 集体协商与谈判
    OTHER = "other"


class Level(enum.StrEnum):
    BASIC = "basic"  # 初级
    INTERMEDIATE = "intermediate"  # 中级
    ADVANCED = "advanced"  # 高级


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"  # never published
    PUBLISHED = "published"
    ARCHIVED = "archived"  # hidden from the catalogue; learners keep their records


class Course(TimestampMixin, db.Model):
    """A course's identity and its editable draft."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[Domain] = mapped_column(enum_column(Domain))
    level: Mapped[Level] = mapped_column(enum_column(Level), default=Level.BASIC)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    credit_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal("1"))
    #: content hash of the cover image in the attachment store
    cover_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[CourseStatus] = mapped_column(enum_column(CourseStatus),
                                                 default=CourseStatus.DRAFT)
    #: draft differs from the published version (set on every edit, cleared on publish)
    has_unpublished_changes: Mapped[bool] = mapped_column(default=True)
    published_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_versions.id", use_alter=True))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: bumped on every structural edit; a reorder names the revision it saw
    revision: Mapped[int] = mapped_column(default=0)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan")
    published_version: Mapped[CourseVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True)
    prerequisites: Mapped[list[Course]] = relationship(
        secondary="course_prerequisites",
        primaryjoin="Course.id == course_prerequisites.c.course_id",
        secondaryjoin="Course.id == course_prerequisites.c.requires_id",
        order_by="Course.code")

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


course_prerequisites = sa.Table(
    "course_prerequisites",
    db.metadata,
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("requires_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)


class Module(db.Model):
    __tablename__ = "course_modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    #: stable across versions (the file format's ``key``)
    uid: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    # The module's practice quiz (none while ``quiz_bank_id`` is None): items
    # drawn from the bank's approved questions carrying any of ``quiz_tags``.
    # `authoring.snapshot` freezes these into the published content.
    quiz_bank_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question_banks.id"))
    #: knowledge points (QuestionTag) to draw from; a question with any of them qualifies
    quiz_tags: Mapped[list] = mapped_column(sa.JSON, default=list,
                                            server_default=sa.text("'[]'"))
    #: items per attempt
    quiz_count: Mapped[int | None]
    #: least percentage of the points that passes (inclusive)
    quiz_pass_percent: Mapped[int | None]

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan")


class Lesson(db.Model):
    __tablename__ = "course_lessons"
    __table_args__ = (sa.UniqueConstraint("course_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: denormalised from the module so lesson uids are unique per course
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    module_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_modules.id", ondelete="CASCADE"), index=True)
    #: stable across versions: progress is keyed by it
    uid: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    body_md: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[int] = mapped_column(default=10)
    #: [{"law": …, "version": "2021-12-24", "articles": ["第十一条", …]}]
    statutes: Mapped[list] = mapped_column(sa.JSON, default=list)

    module: Mapped[Module] = relationship(back_populates="lessons")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="lesson", order_by="Attachment.id", cascade="all, delete-orphan")


class Attachment(db.Model):
    """A file attached to a draft lesson; the bytes live in the content-addressed store."""

    __tablename__ = "course_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_lessons.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]

    lesson: Mapped[Lesson] = relationship(back_populates="attachments")


class CourseVersion(db.Model):
    """An immutable published version; ``content`` is what learners see."""

    __tablename__ = "course_versions"
    __table_args__ = (sa.UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    number: Mapped[int]
    # Copied out of ``content`` for catalogue queries and the credit ledger.
    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[Domain] = mapped_column(enum_column(Domain), index=True)
    level: Mapped[Level] = mapped_column(enum_column(Level), index=True)
    credit_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    lesson_count: Mapped[int]
    #: what a catalogue card shows: reading it out of ``content`` on PostgreSQL parsed
    #: every course's whole JSON (12 ms for four courses, bench/pages.py)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    cover_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    #: the frozen outline: modules, lessons (rendered HTML), attachments
    content: Mapped[dict] = mapped_column(sa.JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    course: Mapped[Course] = relationship(foreign_keys=[course_id])


class Enrollment(db.Model):
    __tablename__ = "course_enrollments"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: where "continue" takes the learner
    last_lesson_uid: Mapped[str | None] = mapped_column(sa.String(64))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_versions.id"))

    course: Mapped[Course] = relationship()


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", "lesson_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    lesson_uid: Mapped[str] = mapped_column(sa.String(64))
    first_opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: time on the lesson from the reader's heartbeat (capped per beat)
    seconds_spent: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PracticeAttempt(db.Model):
    """One go at a module's practice quiz.

    The attempt freezes what it showed: the course version (whose content holds
    the quiz settings), the seed and the exact question versions drawn, so an
    edit of a question or a new course version never changes it.
    """

    __tablename__ = "practice_attempts"
    __table_args__ = (sa.Index("ix_practice_attempts_user_course", "user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    module_uid: Mapped[str] = mapped_column(sa.String(64))
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_versions.id"))
    #: the attempt's seed (below 2**63); each item's is derived from it
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    #: QuestionVersion ids in the order shown
    question_version_ids: Mapped[list] = mapped_column(sa.JSON)
    #: {"<version id>": raw response} once submitted
    responses: Mapped[dict | None] = mapped_column(sa.JSON)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    max_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    passed: Mapped[bool | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course_version: Mapped[CourseVersion] = relationship()


class CreditEntry(db.Model):
    """The credit-hours (学时) ledger the retraining area reads. Append-only."""

    __tablename__ = "credit_entries"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_versions.id"))
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    domain: Mapped[Domain] = mapped_column(enum_column(Domain))
    earned_on: Mapped[date] = mapped_column(sa.Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course_version: Mapped[CourseVersion] = relationship()


class CourseAssignment(db.Model):
    """A course an officer assigned to one user or to an organisation subtree."""

    __tablename__ = "course_assignments"
    __table_args__ = (sa.CheckConstraint("(user_id IS NULL) != (organisation_id IS NULL)",
                                         name="one_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()
    organisation = relationship("Organisation")
    user = relationship("User", foreign_keys=[user_id])


__all__ = ["Attachment", "Course", "CourseAssignment", "CourseStatus", "CourseVersion",
           "CreditEntry", "Domain", "Enrollment", "Lesson", "LessonProgress", "Level", "Module",
           "PracticeAttempt", "course_prerequisites"]
