"""Builders for retraining tests: a current policy for a qualification level, a
certificate moved to a chosen validity, and credit hours earned on chosen days."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal as D

import sqlalchemy as sa

from lms.accounts.models import Role
from lms.certificates.issuance import expiry
from lms.courses import authoring
from lms.courses.models import CourseVersion, CreditEntry
from lms.extensions import db
from lms.retraining.models import PolicyStatus, RetrainingPolicy
from tests.factories import make_course, make_user

_seq = itertools.count(1)


def current_policy(level, **fields) -> RetrainingPolicy:
    values = {"validity_months": 36, "cycle_months": 12, "hours_per_cycle": D(10),
              "reminder_offsets": [30, 7, 0], "grace_days": 60, "suspension_days": 90,
              "status": PolicyStatus.CURRENT}
    values.update(fields)
    policy = RetrainingPolicy(level_id=level.id, **values)
    db.session.add(policy)
    db.session.commit()
    return policy


def set_validity(certificate, start: date, months: int = 36):
    certificate.valid_from, certificate.expires_on = start, expiry(start, months)
    db.session.commit()
    return certificate


def earn(user, hours, on: date, *, domain: str = "union_law", code: str | None = None):
    """``hours`` credit hours earned on ``on`` by completing a course (a new published
    version each time: the ledger holds one entry per user and course version)."""
    author = make_user(Role.TRAINER)
    course = make_course(author, code=code or f"ce-{next(_seq)}", domain=domain,
                         credit_hours=str(hours))
    authoring.publish(course, actor=author)
    db.session.commit()
    version = db.session.scalar(sa.select(CourseVersion)
                                .where(CourseVersion.course_id == course.id))
    db.session.add(CreditEntry(user_id=user.id, course_id=course.id,
                               course_version_id=version.id, hours=D(str(hours)),
                               domain=domain, earned_on=on))
    db.session.commit()
