"""The item statistics an exam's analysis last found, per question and exam.

`ItemStatistic` (``item_statistics``) is a cache written by
`lms.reports.statistics.refresh` each time an exam's statistics are computed
(its statistics page, ``flask lms reports item-stats``). The question-bank
browser reads it in one query for the whole page, so a trainer sees each item's
facility and discrimination without the analysis of every exam it was used in
being recomputed. ``used_until`` is when the latest of the analysed attempts
ended: the bank shows the row of the exam that used the item last.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.db_base import UTCDateTime
from lms.extensions import db


class ItemStatistic(db.Model):
    __tablename__ = "item_statistics"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    exam_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True, autoincrement=False,
        index=True)
    #: the attempts that had the item, and all the analysed attempts of the exam
    responses: Mapped[int]
    attempts: Mapped[int]
    facility: Mapped[float | None] = mapped_column(sa.Float)
    discrimination: Mapped[float | None] = mapped_column(sa.Float)
    item_rest_r: Mapped[float | None] = mapped_column(sa.Float)
    #: `lms.domain.item_analysis.Flag` values
    flags: Mapped[list] = mapped_column(sa.JSON, default=list)
    used_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = ["ItemStatistic"]
