"""Calendar arithmetic shared by the wage calculators and certificate validity."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, count: int) -> date:
    """The same day ``count`` months later, or that month's last day if shorter."""
    month_index = start.month - 1 + count
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
