"""The holder's training plan page, the calendar download and the private feed.

The holder's certificate (valid 2025-01-01 – 2027-12-31) falls under a policy of
three yearly cycles of 24 hours with the mandatory course "law-update" and a
recertification exam; they earned 24 hours (the course included) in 2025 and 6 in
2026. Today is 15 March 2026."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import icalendar
import pytest
import sqlalchemy as sa
import time_machine

from lms.audit.models import AuditEntry
from lms.certificates.models import Certificate
from lms.courses import authoring
from lms.courses.models import CreditEntry
from lms.domain import serials
from lms.extensions import db
from lms.retraining.models import CalendarToken, PolicyStatus, RetrainingPolicy
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.conftest import count_queries, login
from tests.factories import make_course, make_org, make_user

TODAY = datetime(2026, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()


def published(code: str | None = None, *, title: str = "测试课程", hours: str = "1"):
    course = make_course(code=code, title=title, credit_hours=hours)
    authoring.publish(course, actor=None)
    db.session.commit()
    return course


def credit(user, course, earned_on: date) -> None:
    """The holder completed ``course`` on ``earned_on`` (its hours enter the ledger)."""
    version = course.published_version
    db.session.add(CreditEntry(user_id=user.id, course_id=course.id,
                               course_version_id=version.id, hours=version.credit_hours,
                               domain=version.domain, earned_on=earned_on))
    db.session.commit()


def add_policy(level_id: int, exam_id: int | None = None, **fields) -> RetrainingPolicy:
    policy = RetrainingPolicy(
        level_id=level_id, status=PolicyStatus.CURRENT, validity_months=36, cycle_months=12,
        hours_per_cycle=Decimal(24), mandatory_courses=["law-update"], recert_exam_id=exam_id,
        recert_window_days=180, reminder_offsets=[90, 30, 7, 0], **fields)
    db.session.add(policy)
    db.session.commit()
    return policy


def another_certificate(of: Certificate, holder_id: int | None = None) -> Certificate:
    """A second certificate of the same level (as a renewal elsewhere would leave)."""
    copy = Certificate(serial=serials.new_serial(), holder_id=holder_id or of.holder_id,
                       qualification_id=of.qualification_id, level_id=of.level_id,
                       valid_from=of.valid_from, expires_on=of.expires_on,
                       status_index=of.status_index + 7919 * (1 + db.session.scalar(
                           sa.select(sa.func.count()).select_from(Certificate))))
    db.session.add(copy)
    db.session.commit()
    return copy


@pytest.fixture
def holder(app):
    """(certificate, exam): the certificate of the story above."""
    exam, _ = certified_exam(make_org())
    certificate = certificate_of(sit(exam, 5, name="李四海"))
    certificate.valid_from, certificate.expires_on = date(2025, 1, 1), date(2027, 12, 31)
    db.session.commit()
    add_policy(certificate.level_id, exam.id)
    user = certificate.holder
    credit(user, published("law-update", title="年度法律更新", hours="4"), date(2025, 6, 1))
    credit(user, published(hours="20"), date(2025, 9, 1))
    credit(user, published(hours="6"), date(2026, 2, 1))
    return certificate, exam


def progress_bars(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<progress class="plan-progress[^"]*" value="([\d.]+)" max="([\d.]+)"',
                      page)


def test_the_plan_page_shows_each_cycle_as_a_bar_with_the_hours(client, holder, today):
    certificate, _ = holder
    certificate.holder.locale = "en"
    db.session.commit()
    login(client, certificate.holder)
    page = client.get("/plan/").text
    assert progress_bars(page) == [("24", "24"), ("6", "24"), ("0", "24")]
    # the cycle today falls in is the highlighted one
    current = re.findall(r'class="plan-cycle plan-cycle-current" data-testid="cycle" '
                         r'data-number="(\d)"', page)
    assert current == ["2"]
    assert 'data-standing="good"' in page and "In good standing" in page
    assert "6 / 24 hours" in page
    assert "Dec 31, 2027" in page  # the expiry
    # the next step: the mandatory course of this cycle, due at its end
    step = re.search(r'data-testid="next-step">(.*?)</p>', page, re.S).group(1)
    assert "年度法律更新" in step and "Dec 31, 2026" in step
    # the past cycle in the history, met
    history = re.search(r'data-testid="history">(.*?)</table>', page, re.S).group(1)
    assert "24 / 24" in history and "Met" in history and "Not met" not in history


def test_the_plan_links_the_missing_mandatory_course_and_the_exam(client, holder, today):
    certificate, exam = holder
    login(client, certificate.holder)
    page = client.get("/plan/").text
    assert re.search(r'href="/courses/law-update" data-testid="course-link">年度法律更新<',
                     page)
    exam_link = re.search(r'href="([^"]+)" data-testid="exam-link"', page).group(1)
    assert exam_link in (f"/exams/{exam.code}", "/exams")
    assert client.get(exam_link).status_code == 200
    assert "2027年7月4日" in page  # the recertification window opens 180 days before expiry


def test_the_standing_moves_to_due_soon_and_overdue_as_the_days_pass(client, holder):
    certificate, _ = holder
    with time_machine.travel(datetime(2026, 11, 1, 2, tzinfo=UTC), tick=False):
        login(client, certificate.holder)  # a session does not last for months
        assert 'data-standing="due_soon"' in client.get("/plan/").text
    with time_machine.travel(datetime(2027, 1, 10, 2, tzinfo=UTC), tick=False):
        login(client, certificate.holder)
        page = client.get("/plan/").text
    assert 'data-standing="overdue"' in page
    assert "plan-progress plan-progress-late" in page  # cycle 2 ended short


def test_a_holder_without_a_policy_sees_no_plan(client, app):
    exam, _ = certified_exam(make_org())
    certificate = certificate_of(sit(exam, 5))
    login(client, certificate.holder)
    page = client.get("/plan/").text
    assert 'data-testid="no-plan"' in page and certificate.serial not in page


def test_the_plan_page_and_calendar_cost_the_same_queries_for_one_or_four_certificates(
        client, holder, today):
    certificate, _ = holder
    login(client, certificate.holder)
    client.get("/plan/")
    with count_queries() as one:
        assert client.get("/plan/").status_code == 200
    with count_queries() as one_ics:
        client.get("/plan/calendar.ics")
    for _ in range(3):
        another_certificate(certificate)
    with count_queries() as four:
        page = client.get("/plan/").text
    with count_queries() as four_ics:
        client.get("/plan/calendar.ics")
    assert page.count('data-testid="plan"') == 4
    assert len(four) == len(one), [s[:70] for s in four.statements]
    assert len(four_ics) == len(one_ics)


def parse(body: bytes) -> list:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def by_uid(events) -> dict:
    return {str(e["UID"]): e for e in events}


def test_the_calendar_holds_cycle_ends_courses_window_and_expiry_with_alarms(
        client, holder, today):
    certificate, _ = holder
    login(client, certificate.holder)
    response = client.get("/plan/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    events = by_uid(parse(response.data))
    serial = certificate.serial

    def event(kind: str, day: date):
        return events[f"{serial}-{kind}-{day:%Y%m%d}@unioncadre-academy"]

    def alarms(e) -> list[timedelta]:
        return sorted(a["TRIGGER"].dt for a in e.walk("VALARM"))

    offsets = [timedelta(days=-90), timedelta(days=-30), timedelta(days=-7), timedelta(0)]
    for end in (date(2025, 12, 31), date(2026, 12, 31), date(2027, 12, 31)):
        assert event("cycle_end", end)["DTSTART"].dt == end
    assert alarms(event("cycle_end", date(2025, 12, 31))) == []  # met: nothing to remind
    assert alarms(event("cycle_end", date(2026, 12, 31))) == offsets
    assert alarms(event("course-law-update", date(2026, 12, 31))) == offsets
    assert alarms(event("course-law-update", date(2025, 12, 31))) == []  # completed
    window = event("recert_window", date(2027, 7, 4))
    assert window["DTEND"].dt == date(2028, 1, 1)  # all-day: the end is exclusive
    expiry = event("expiry", date(2027, 12, 31))
    assert alarms(expiry) == offsets
    assert "年度法律更新" in str(event("course-law-update", date(2026, 12, 31))["SUMMARY"])
    # fetched again, the same UIDs: calendar apps update rather than duplicate
    assert by_uid(parse(client.get("/plan/calendar.ics").data)).keys() == events.keys()
    assert len(events) == 3 + 3 + 1 + 1


def feed_url_on(page: str) -> str | None:
    found = re.search(r'id="feed-url" value="([^"]+)"', page)
    return found.group(1) if found else None


def test_the_private_feed_works_without_login_and_a_new_token_revokes_the_old(
        client, app, holder, today):
    certificate, _ = holder
    login(client, certificate.holder)
    assert client.post("/plan/calendar-feed").status_code == 302
    page = client.get("/plan/").text
    first = feed_url_on(page)
    assert first and re.fullmatch(r"http://localhost/calendar/[\w-]{43}\.ics", first)
    assert feed_url_on(client.get("/plan/").text) is None  # shown once
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    row = db.session.get(CalendarToken, certificate.holder_id)
    assert row.token_hash != token and token not in row.token_hash and len(row.token_hash) == 64

    stranger = app.test_client()
    path = first.removeprefix("http://localhost")
    feed = stranger.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert any(certificate.serial in str(e["UID"]) for e in parse(feed.data))

    client.post("/plan/calendar-feed")
    second = feed_url_on(client.get("/plan/").text)
    assert second and second != first
    assert stranger.get(path).status_code == 404
    assert stranger.get(second.removeprefix("http://localhost")).status_code == 200
    assert stranger.get("/calendar/not-a-token.ics").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "calendar.token_created")) == 2

    client.post("/plan/calendar-feed/stop")
    assert stranger.get(second.removeprefix("http://localhost")).status_code == 404


def test_the_feed_form_needs_the_csrf_token(make_app, holder):
    app = make_app(WTF_CSRF_ENABLED=True)
    certificate, _ = holder
    client = app.test_client()
    login(client, certificate.holder)
    assert client.post("/plan/calendar-feed").status_code == 400
    assert db.session.get(CalendarToken, certificate.holder_id) is None


def test_another_holders_plan_never_appears(client, app, holder, today):
    mine, exam = holder
    theirs = certificate_of(sit(exam, 5, name="王五"))
    theirs.valid_from, theirs.expires_on = date(2025, 1, 1), date(2027, 12, 31)
    db.session.commit()
    login(client, mine.holder)
    client.post("/plan/calendar-feed")
    my_feed = feed_url_on(client.get("/plan/").text).removeprefix("http://localhost")

    other = app.test_client()
    login(other, theirs.holder)
    their_page = other.get("/plan/").text
    assert theirs.serial in their_page and mine.serial not in their_page
    their_ics = other.get("/plan/calendar.ics").data.decode()
    assert theirs.serial in their_ics and mine.serial not in their_ics
    assert "<progress" in their_page and feed_url_on(their_page) is None

    my_ics = app.test_client().get(my_feed).data.decode()
    assert mine.serial in my_ics and theirs.serial not in my_ics


def test_pages_need_a_login(client):
    for url in ("/plan/", "/plan/calendar.ics", "/inbox"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/plan/calendar-feed").status_code == 302


def test_the_nav_links_the_plan_for_logged_in_users(client, app):
    login(client, make_user())
    assert 'href="/plan/"' in client.get("/plan/").text
