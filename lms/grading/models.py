"""Scores of exam attempts.

`ItemScore` (``exam_item_scores``) is one row per paper slot of a marked attempt:
what the slot is worth, what it earned (None while a marker still has to mark
it), how (``status``: see `lms.domain.grading.SlotStatus`) and the scoring
detail (the unscaled `lms.domain.scoring.ItemResult` as JSON: parts and reason
codes, which essay marking completes and a candidate's review reads). It names
the question and version, indexed, so a key correction finds the attempts it
affects and item analysis reads one version's scores without opening papers.

`ExamResult` (``exam_results``) is the attempt's outcome, 1:1 with the attempt:
total, percentage, verdict, per-section scores and how many slots wait for a
marker. A table of its own rather than columns on ``exam_attempts``: the
attempt row is the hot row of a running exam (every transition and the
sequential autosave update it) and results are written after the exam, by
other roles, repeatedly (essay marks, regrades, appeals); its primary key is
also what makes marking idempotent — the first marker to insert the row owns
the marking, a concurrent one inserts nothing and stops.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.db_base import UTCDateTime
from lms.extensions import db


class ExamResult(db.Model):
    __tablename__ = "exam_results"

    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    #: marked points so far; final once ``pending_manual`` is 0
    score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    max_score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    #: None while anything waits for a marker
    passed: Mapped[bool | None]
    #: [{"key", "score", "max", "min_percent", "met", "pending"}] in paper order
    section_scores: Mapped[list] = mapped_column(sa.JSON, default=list)
    pending_manual: Mapped[int] = mapped_column(default=0)
    #: when the machine marked it; ``graded_at`` when the last mark made it final
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped by every later change (essay marks, regrade), for optimistic updates
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    #: when the result reached the candidate (the appeal window counts from it)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ItemScore(db.Model):
    __tablename__ = "exam_item_scores"

    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"), index=True)
    section: Mapped[str] = mapped_column(sa.String(64))
    #: what the slot is worth in this exam (the paper's points)
    points: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    status: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EssayMark(db.Model):
    """One marker's rubric marks for one essay slot (an essay, or a case study's essay
    parts) of an attempt. ``round`` is first | second | reconcile (see
    `lms.domain.essay_marking`); a marker gives at most one mark per slot, and each
    round of a slot is given once — both enforced by the database."""

    __tablename__ = "essay_marks"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "slot", "marker_id"),
        sa.UniqueConstraint("attempt_id", "slot", "round"),
        sa.Index("ix_essay_marks_marker", "marker_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"))
    slot: Mapped[int]
    marker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    round: Mapped[str] = mapped_column(sa.String(16))
    #: criterion id → mark as a string ("2.50"); a case study: sub-item id → {criterion: mark}
    marks: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: same keys as ``marks``, the marker's comment per criterion ("" when none)
    comments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: the mark in the paper's points (auto-scored parts of a case study included)
    total: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EssayClaim(db.Model):
    """A marker's short hold on one round of one slot, so two markers do not write the
    same mark at once. Unique per (attempt, slot, round): the INSERT that wins owns it;
    an expired claim is taken over by a guarded UPDATE (``WHERE expires_at <= now``).
    The marking page is addressed by the claim's id, never by the attempt."""

    __tablename__ = "essay_claims"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "slot", "round"),
        sa.Index("ix_essay_claims_marker", "marker_id"),
        # ids are never reused (the marking page's URL), on SQLite too
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"))
    slot: Mapped[int]
    round: Mapped[str] = mapped_column(sa.String(16))
    marker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResultChange(db.Model):
    """A regrade or an upheld appeal that turned a pass into a fail or back: the
    certificates issue acts on it (issues or withdraws) and stamps ``acted_on_at``."""

    __tablename__ = "result_changes"
    __table_args__ = (sa.Index("ix_result_changes_open", "acted_on_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"), index=True)
    before_passed: Mapped[bool]
    after_passed: Mapped[bool]
    before_score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    after_score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    #: regrade | appeal
    source: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acted_on_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExamAppeal(db.Model):
    """A candidate's appeal against a released result: one question (``slot``) or the
    whole score (``slot`` None). At most one open appeal per (attempt, slot) — enforced
    by partial unique indexes (NULL slots are distinct in a plain unique index)."""

    __tablename__ = "exam_appeals"
    __table_args__ = (
        sa.Index("uq_exam_appeals_open_slot", "attempt_id", "slot", unique=True,
                 sqlite_where=sa.text("status = 'open' AND slot IS NOT NULL"),
                 postgresql_where=sa.text("status = 'open' AND slot IS NOT NULL")),
        sa.Index("uq_exam_appeals_open_whole", "attempt_id", unique=True,
                 sqlite_where=sa.text("status = 'open' AND slot IS NULL"),
                 postgresql_where=sa.text("status = 'open' AND slot IS NULL")),
        sa.Index("ix_exam_appeals_status", "status", "created_at"),
        sa.Index("ix_exam_appeals_attempt", "attempt_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"))
    #: the paper slot appealed (0-based); None = the whole score
    slot: Mapped[int | None]
    reason: Mapped[str] = mapped_column(sa.Text)
    #: open | upheld | rejected
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    answer: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: the slot's score before and after an upheld appeal on a question
    score_before: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    score_after: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = ["EssayClaim", "EssayMark", "ExamAppeal", "ExamResult", "ItemScore",
           "ResultChange"]
