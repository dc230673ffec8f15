"""Marked attempts for report tests, through the real booking, exam and marking services.

The exams here have a fixed paper: a single section of ``items`` single-choice items
drawn from a bank of exactly that many, 2 points each, in the authored order, pass
mark 60 %. Choice "b" is right on every item ("a" and "c" are wrong).
"""

from __future__ import annotations

from lms.clock import utcnow
from lms.exams import attempts, integrity, registration
from lms.extensions import db
from tests.exam_factories import make_exam, make_session, ready_candidate


def fixed_exam(items: int = 5, **fields):
    fields.setdefault("shuffle_items", False)
    fields.setdefault("release", "review")
    return make_exam(items=items, pool=items, **fields)


def book(session, *, name: str = "考生", org=None, user=None):
    user = user or ready_candidate(name=name, org=org)
    attempt = registration.book(user, session, utcnow())
    db.session.commit()
    return attempt


def sit(session, picks, *, name: str = "考生", org=None, user=None):
    """A candidate books ``session``, starts and hands in choosing ``picks[slot]`` ("b" is
    right, None leaves a slot empty) — or ``picks(question_id)`` when ``picks`` is a
    function (papers are drawn in a random order); marking runs after the commit."""
    attempt = book(session, name=name, org=org, user=user)
    now = utcnow()
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    db.session.commit()
    if callable(picks):
        picks = [picks(item["question_id"]) for item in attempt.paper["items"]]
    saves = [attempts.Save(slot, 1, {f"s{slot}": [pick]})
             for slot, pick in enumerate(picks) if pick is not None]
    assert attempts.submit(attempt, token, saves, utcnow())
    db.session.commit()
    return attempt


def right(count: int, items: int = 5) -> list[str]:
    """Picks with the first ``count`` slots right and the rest "a" (wrong)."""
    return ["b"] * count + ["a"] * (items - count)


def invalidate(attempt, officer):
    integrity.review(attempt, officer, "invalidate", "使用手机", utcnow())
    db.session.commit()


def new_session(exam, **kwargs):
    return make_session(exam, **kwargs)
