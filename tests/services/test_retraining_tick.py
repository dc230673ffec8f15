"""The daily tick, time-travelled: a cohort of three holders walks through three years of
continuing education — one on time, one late, one never — with a policy change in the
first cycle, reminders through a real SMTP server on loopback (exactly once per
deadline and offset), renewal, suspension after grace, expiry and exit from the public
register; every day is ticked twice and the second run changes nothing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
import time_machine

from lms.certificates import ledger
from lms.certificates.models import (
    Certificate,
    CertificateStatus,
    LedgerEvent,
    RegisterEntry,
)
from lms.extensions import db
from lms.retraining.models import CertificatePlan, PolicyStatus, RetrainingPolicy
from lms.retraining.tick import tick
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.retraining_factories import current_policy, earn, set_validity

START = date(2027, 1, 1)


def day_at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in China


def run(day: date):
    with time_machine.travel(day_at(day), tick=False):
        first = tick(day)
        second = tick(day)
    assert second.examined == 0 and second.reminders == 0  # idempotent per day
    return first


@pytest.fixture
def cohort(make_app, smtp_server):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    with app.app_context():
        exam, qualification = certified_exam()
        level = qualification.levels[-1]  # 中级: everyone scores 100 %
        policy = current_policy(level)
        holders = {}
        for name in ("准时", "迟到", "从不"):
            certificate = set_validity(certificate_of(sit(exam, 5, name=name)), START)
            holders[name] = certificate
            db.session.add(RegisterEntry(user_id=certificate.holder_id, region="北京市东城区"))
        db.session.commit()
        smtp_server.messages.clear()
        yield app, holders, policy, smtp_server


def test_three_years_of_a_cohort(cohort):
    _app, holders, policy, smtp = cohort
    on_time, late, never = (holders[n] for n in ("准时", "迟到", "从不"))
    # what each does: hours by day (the policy asks 10 a year, 12 from June 2027)
    earning = {
        date(2027, 3, 1): [(on_time, 6)], date(2027, 9, 1): [(on_time, 4)],
        date(2027, 12, 10): [(on_time, 2)],  # after the 30-day reminder of the raise
        date(2028, 1, 20): [(late, 12)],  # cycle 1 caught up late
        date(2028, 3, 1): [(on_time, 12)], date(2028, 6, 1): [(late, 12)],
        date(2029, 3, 1): [(on_time, 12)], date(2029, 5, 1): [(late, 12)],
    }
    standings: dict[str, list[tuple[date, str]]] = {n: [] for n in holders}
    day = START
    while day <= date(2030, 6, 2):
        for certificate, hours in earning.get(day, []):
            earn(certificate.holder, hours, day)
        if day == date(2027, 6, 1):  # the officer raises the hours mid-cycle
            policy.status = PolicyStatus.RETIRED
            db.session.flush()
            current_policy(policy.level, version=2, hours_per_cycle=D(12))
        run(day)
        for name, certificate in holders.items():
            plan = db.session.get(CertificatePlan, certificate.id)
            if not standings[name] or standings[name][-1][1] != plan.standing.value:
                standings[name].append((day, plan.standing.value))
        db.session.expire_all()
        day += timedelta(days=1)

    # the one who never trains walks the whole way out
    assert standings["从不"] == [
        (date(2027, 1, 1), "good"), (date(2027, 12, 1), "due_soon"),
        (date(2028, 1, 1), "overdue"), (date(2030, 1, 1), "in_grace"),
        (date(2030, 3, 2), "suspended"), (date(2030, 5, 31), "expired")]
    # late: overdue until the hours came, then good again; renewed before expiry
    assert standings["迟到"][:4] == [
        (date(2027, 1, 1), "good"), (date(2027, 12, 1), "due_soon"),
        (date(2028, 1, 1), "overdue"), (date(2028, 1, 20), "good")]
    assert ("overdue" not in [s for _d, s in standings["准时"]])

    for name in ("准时", "迟到"):
        certificate = db.session.get(Certificate, holders[name].id)
        assert certificate.status == CertificateStatus.ACTIVE
        assert (certificate.valid_from, certificate.expires_on) == (date(2030, 1, 1),
                                                                    date(2032, 12, 31))
        assert certificate.credential["validUntil"].startswith("2032-12-31")
    gone = db.session.get(Certificate, never.id)
    assert gone.status == CertificateStatus.EXPIRED
    assert db.session.get(RegisterEntry, never.holder_id) is None
    assert db.session.get(RegisterEntry, on_time.holder_id) is not None
    kinds = Counter(db.session.scalars(sa.select(LedgerEvent.kind)))
    assert kinds["renewed"] == 2 and kinds["suspended"] == 1 and kinds["expired"] == 1
    assert ledger.verify() is None

    # reminders through SMTP: exactly once per deadline and offset
    reminders = Counter()
    for message in smtp.messages:
        body = message.get_payload(decode=True).decode()
        if "继续教育" in message["Subject"]:
            deadline = re.search(r"(\d{4})年(\d+)月(\d+)日", body).groups()
            reminders[(message["To"], deadline)] += 1
    def of(certificate):
        return {d: n for (to, d), n in reminders.items() if to == certificate.holder.email}

    cycle_ends = [("2027", "12", "31"), ("2028", "12", "31"), ("2029", "12", "31")]
    assert of(on_time) == {cycle_ends[0]: 1}  # the raise: 30 days before, then met
    assert of(late) == {cycle_ends[0]: 3}  # 30, 7 and 0 days before cycle 1's end
    assert of(never) == dict.fromkeys(cycle_ends, 3)  # three deadlines × three offsets


def test_the_tick_query_count_does_not_grow_with_certificates(app):
    from tests.conftest import count_queries

    exam, qualification = certified_exam()
    level = qualification.levels[-1]
    current_policy(level)
    certificates = [set_validity(certificate_of(sit(exam, 5, name=f"甲{n}")), START)
                    for n in range(2)]
    tick(START)
    with count_queries() as few:
        assert tick(START + timedelta(days=1)).examined == 2
    for n in range(6):
        certificates.append(set_validity(certificate_of(sit(exam, 5, name=f"乙{n}")), START))
    tick(START + timedelta(days=2))  # the six get their plans
    with count_queries() as many:
        assert tick(START + timedelta(days=3)).examined == 8
    assert len(many) == len(few)


def test_a_policy_version_is_one_current_per_level(app):
    _, qualification = certified_exam()
    level = qualification.levels[0]
    current_policy(level)
    with pytest.raises(sa.exc.IntegrityError):
        current_policy(level, version=2)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(RetrainingPolicy.id))) == 1


def test_mandatory_courses_are_assigned_when_a_cycle_starts(app):
    from lms.courses import authoring
    from lms.courses.models import CourseAssignment
    from tests.factories import make_course, make_user

    author = make_user("trainer")
    course = make_course(author, code="law-update", title="年度法律更新")
    authoring.publish(course, actor=author)
    db.session.commit()
    exam, qualification = certified_exam()
    current_policy(qualification.levels[-1], mandatory_courses=["law-update"])
    certificate = set_validity(certificate_of(sit(exam, 5)), START)
    tick(START)
    tick(START + timedelta(days=30))  # same cycle: nothing new
    tick(date(2028, 1, 1))  # the second cycle starts
    due = sorted(db.session.scalars(
        sa.select(CourseAssignment.due_on).where(
            CourseAssignment.user_id == certificate.holder_id,
            CourseAssignment.course_id == course.id)))
    assert due == [date(2027, 12, 31), date(2028, 12, 31)]
