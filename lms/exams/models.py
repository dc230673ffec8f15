"""Proctored exams.

An `Exam` is a definition: a blueprint of sections drawn from the question
banks, the clock, the pass mark and the integrity settings. An `ExamSession`
is a sitting of it in a time window, with proctors and an access code. A
candidate's `ExamAttempt` is born when they book a session (state
``registered``) and carries everything the exam froze for them at the start —
the paper, the pass mark, the duration — so later edits of the exam or of a
question never change an attempt. Answers (`ExamAnswer`) are one row per paper
slot, replaced only by a save with a higher sequence number.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Organisation, User
from lms.clock import utcnow
from lms.db_base import TimestampMixin, UTCDateTime, enum_column
from lms.domain.attempt_states import AttemptState
from lms.extensions import db

#: states in which a candidate holds a place in an exam (one at a time per exam)
OPEN_STATES = (AttemptState.REGISTERED, AttemptState.ADMITTED, AttemptState.IN_PROGRESS,
               AttemptState.PAUSED)


class ExamStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # sessions may be scheduled and booked
    ARCHIVED = "archived"


class ProctoringMode(enum.StrEnum):
    NONE = "none"  # unproctored (practice or low-stakes)
    ONLINE = "online"  # remote, webcam snapshots
    CENTRE = "centre"  # at a test centre, proctor admits in person


class Navigation(enum.StrEnum):
    FREE = "free"
    SEQUENTIAL = "sequential"  # no going back


class Layout(enum.StrEnum):
    PAGED = "paged"  # one question per page
    SINGLE = "single"  # all questions on one page


class Release(enum.StrEnum):
    IMMEDIATE = "immediate"
    REVIEW = "review"  # after an officer's review


class Exam(TimestampMixin, db.Model):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: the qualification the exam counts for (the certificates issue links it)
    qualification: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ExamStatus] = mapped_column(enum_column(ExamStatus), default=ExamStatus.DRAFT)
    #: [{"key", "title", "count", "points", "min_percent"|None,
    #:   "filter": {"banks", "domains", "types", "tags", "difficulties", "category"}}]
    sections: Mapped[list] = mapped_column(sa.JSON, default=list)
    duration_minutes: Mapped[int] = mapped_column(default=90)
    #: least percentage of the points that passes (inclusive)
    pass_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(60))
    attempts_allowed: Mapped[int] = mapped_column(default=3)
    cooldown_days: Mapped[int] = mapped_column(default=0)
    #: codes of the courses a candidate must have completed
    required_courses: Mapped[list] = mapped_column(sa.JSON, default=list)
    navigation: Mapped[Navigation] = mapped_column(enum_column(Navigation),
                                                   default=Navigation.FREE)
    layout: Mapped[Layout] = mapped_column(enum_column(Layout), default=Layout.PAGED)
    shuffle_items: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    proctoring: Mapped[ProctoringMode] = mapped_column(enum_column(ProctoringMode),
                                                       default=ProctoringMode.ONLINE)
    webcam_required: Mapped[bool] = mapped_column(default=True)
    snapshot_interval_seconds: Mapped[int] = mapped_column(default=60)
    fullscreen_required: Mapped[bool] = mapped_column(default=False)
    block_copy_paste: Mapped[bool] = mapped_column(default=True)
    #: focus losses beyond this raise a flag
    focus_loss_limit: Mapped[int] = mapped_column(default=5)
    release: Mapped[Release] = mapped_column(enum_column(Release), default=Release.REVIEW)
    #: what a candidate may see after release: {"score", "responses", "key", "explanations"}
    review_options: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # essay marking (lms.domain.essay_marking): two independent marks per essay, which
    # agree within ``marking_tolerance_percent`` % of the essay's points, else a third
    # marker reconciles; and whether markers are kept from their own organisation's
    # candidates (their organisation and every one below it)
    double_marking: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    marking_tolerance_percent: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), default=Decimal(10), server_default="10")
    exclude_own_organisation: Mapped[bool] = mapped_column(default=False,
                                                           server_default=sa.false())
    #: days after release in which a candidate may appeal their result (0: no appeals)
    appeal_days: Mapped[int] = mapped_column(default=14, server_default="14")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: who runs the exam: officers whose scope holds it manage its sessions, proctoring
    #: and results; None = the platform's own (platform-wide officers only)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"),
                                                        index=True)

    organisation: Mapped[Organisation | None] = relationship()
    sessions: Mapped[list[ExamSession]] = relationship(
        back_populates="exam", order_by="ExamSession.starts_at")

    def __repr__(self) -> str:
        return f"<Exam {self.code}>"


exam_session_proctors = sa.Table(
    "exam_session_proctors",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("exam_sessions.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class ExamSession(TimestampMixin, db.Model):
    __tablename__ = "exam_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"),
                                         index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[ProctoringMode] = mapped_column(enum_column(ProctoringMode))
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    capacity: Mapped[int] = mapped_column(default=30)
    #: what candidates type to check in; proctors may rotate it at any time
    access_code: Mapped[str] = mapped_column(sa.String(16))
    access_code_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    exam: Mapped[Exam] = relationship(back_populates="sessions")
    proctors: Mapped[list[User]] = relationship(secondary=exam_session_proctors,
                                                order_by="User.id")


class Accommodation(db.Model):
    """Extra time an officer granted a candidate, for one exam or (exam None) for all."""

    __tablename__ = "exam_accommodations"
    __table_args__ = (sa.UniqueConstraint("user_id", "exam_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    exam_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"))
    extra_percent: Mapped[int] = mapped_column(default=0)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExamAttempt(db.Model):
    __tablename__ = "exam_attempts"
    __table_args__ = (
        # one open attempt per candidate and exam, enforced by the database
        sa.Index("uq_exam_attempts_one_open", "user_id", "exam_id", unique=True,
                 sqlite_where=sa.text("state IN ('registered', 'admitted', 'in_progress', "
                                      "'paused')"),
                 postgresql_where=sa.text("state IN ('registered', 'admitted', "
                                          "'in_progress', 'paused')")),
        sa.UniqueConstraint("user_id", "exam_id", "number"),
        sa.Index("ix_exam_attempts_session_state", "session_id", "state"),
        # an exam's statistics and reports read its attempts (migration 0012)
        sa.Index("ix_exam_attempts_exam_state", "exam_id", "state"),
        sa.Index("ix_exam_attempts_state_deadline", "state", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id",
                                                          ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: 1 for the candidate's first attempt at this exam, and so on
    number: Mapped[int]
    state: Mapped[AttemptState] = mapped_column(enum_column(AttemptState),
                                                default=AttemptState.REGISTERED)
    #: below 2**63; the paper and every item's options and values derive from it
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    # frozen at the start: lms.domain.assembly.Paper.to_dict(), and the rules in force
    paper: Mapped[dict | None] = mapped_column(sa.JSON)
    #: number of slots in the paper (saves name a slot 0 … item_count − 1)
    item_count: Mapped[int] = mapped_column(default=0)
    #: sequential navigation (frozen at the start): once a later slot holds an answer,
    #: earlier ones are closed; ``furthest_slot`` is the latest slot answered
    sequential: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    furthest_slot: Mapped[int] = mapped_column(default=0, server_default="0")
    max_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    pass_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    # the clock (lms.domain.timing): the deadline is always recomputed from these
    duration_seconds: Mapped[int | None]
    allowance_seconds: Mapped[int] = mapped_column(default=0)
    extension_seconds: Mapped[int] = mapped_column(default=0)
    #: time spent in closed pauses; an open pause started at ``paused_at``
    paused_seconds: Mapped[int] = mapped_column(default=0)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: denormalised from the clock for the sweep; stale while paused
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: submitted, timed_out or terminated: how it ended, whatever marking does later
    ended_as: Mapped[str | None] = mapped_column(sa.String(16))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: entered the access code; at a test centre the proctor admits from here
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: why a check-in was rejected or an attempt terminated
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: SHA-256 of the token (a cookie) of the one device allowed to answer
    device_digest: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    #: an officer's review of a finished attempt: "clear" or "invalidate" (with a reason)
    review_decision: Mapped[str | None] = mapped_column(sa.String(16))
    review_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    exam: Mapped[Exam] = relationship()
    session: Mapped[ExamSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ExamAnswer(db.Model):
    """The latest saved answer of one paper slot (0-based position in the paper)."""

    __tablename__ = "exam_answers"

    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: the client's per-slot counter; only a higher one replaces the answer (64 bits: a
    #: plain form hand-in uses `attempts.FORM_SEQUENCE`, 2**52)
    sequence: Mapped[int] = mapped_column(sa.BigInteger)
    response: Mapped[object | None] = mapped_column(sa.JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntegrityEvent(db.Model):
    """Something the exam page (or the server) noticed: see lms.domain.proctoring.EventKind."""

    __tablename__ = "exam_integrity_events"
    __table_args__ = (sa.Index("ix_exam_integrity_events_attempt", "attempt_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_attempts.id",
                                                          ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: when it happened, as the page reported it (clamped to the request's time)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Snapshot(db.Model):
    """A webcam picture, encrypted at rest; the file is deleted after the retention time."""

    __tablename__ = "exam_snapshots"
    __table_args__ = (sa.Index("ix_exam_snapshots_attempt", "attempt_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_attempts.id",
                                                          ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    #: encrypted file under instance/snapshots/; None once purged
    file_name: Mapped[str | None] = mapped_column(sa.String(80))
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AttemptMessage(db.Model):
    """A proctor's warning, shown to the candidate on the exam page."""

    __tablename__ = "exam_attempt_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_attempts.id",
                                                          ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "OPEN_STATES",
    "Accommodation",
    "AttemptMessage",
    "Exam",
    "ExamAnswer",
    "ExamAttempt",
    "ExamSession",
    "ExamStatus",
    "IntegrityEvent",
    "Layout",
    "Navigation",
    "ProctoringMode",
    "Release",
    "Snapshot",
    "exam_session_proctors",
]
