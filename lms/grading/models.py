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


__all__ = ["ExamResult", "ItemScore"]
