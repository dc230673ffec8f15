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

from lms.db_base import UTCDateTime, utcnow
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


__all__ = ["EssayClaim", "EssayMark", "ExamResult", "ItemScore"]
