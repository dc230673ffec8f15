"""Long lists count their total only up to a limit (`lms.paging`)."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.paging import paginate
from tests.factories import make_user


def test_the_total_is_counted_up_to_the_limit_and_says_there_are_more(app):
    people = [make_user(name=f"用户{n}") for n in range(7)]
    newest_first = sa.select(User).order_by(User.id.desc())
    page = paginate(newest_first, page=1, per_page=3, limit=5)
    assert (page.total, page.more, page.pages) == (5, True, 2)
    assert [u.id for u in page.items] == [p.id for p in people[::-1][:3]]
    assert [u.id for u in paginate(newest_first, page=3, per_page=3, limit=5).items] == [
        people[0].id]  # the rows past the counted ones are still there
    few = paginate(newest_first.where(User.real_name.in_(["用户1", "用户2"])), page=1,
                   per_page=3, limit=5)
    assert (few.total, few.more, len(few.items)) == (2, False, 2)
    exact = paginate(newest_first, page=1, per_page=3, limit=7)
    assert (exact.total, exact.more) == (7, False)
