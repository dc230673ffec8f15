"""Pages of lists that grow without bound (users, the audit log): the total is counted
only up to a limit, so a page costs the same at 100,000 rows as at 1,000."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from lms.extensions import db

#: totals above this show as "10,000+"; the pager reaches this many rows
COUNT_LIMIT = 10_000


def paginate(query: sa.Select, *, page: int, per_page: int,
             limit: int = COUNT_LIMIT) -> Pagination:
    """`db.paginate`, but counting at most ``limit`` + 1 rows: counting all 100,000 users
    was half the user list's time on PostgreSQL, and grows with them. ``more`` tells
    whether there are more than ``total``."""
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=False)
    rows = query.order_by(None).with_only_columns(sa.literal_column("1"),
                                                  maintain_column_froms=True)
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(
        rows.limit(limit + 1).subquery()))
    result.total, result.more = min(counted, limit), counted > limit
    return result
