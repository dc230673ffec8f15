"""Appeals against released results, the pure part.

A candidate may appeal within the exam's ``appeal_days`` after their result was
released (0: the exam takes no appeals): one question (a paper slot) or the whole
score, with a reason. An appeal is open until someone who may answer it upholds or
rejects it, always with an answer the candidate reads; an upheld appeal on a question
comes with the slot's corrected score (`lms.domain.regrade.corrected`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

MAX_REASON = 2000
MAX_ANSWER = 4000


class AppealStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


def window_closes(released_at: datetime | None, appeal_days: int) -> datetime | None:
    """When the appeal window closes; None when there is none (not released, or 0 days)."""
    if released_at is None or appeal_days <= 0:
        return None
    return released_at + timedelta(days=appeal_days)


def window_open(released_at: datetime | None, appeal_days: int, now: datetime) -> bool:
    closes = window_closes(released_at, appeal_days)
    return closes is not None and _naive(now) < _naive(closes)


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def check_text(text: str | None, limit: int) -> str:
    """The text trimmed; raises ValueError ``required`` or ``too_long``."""
    text = (text or "").strip()
    if not text:
        raise ValueError("required")
    if len(text) > limit:
        raise ValueError("too_long")
    return text
