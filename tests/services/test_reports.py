"""Reports on the database against numbers worked by hand: a session, an organisation
subtree and a course → exam funnel over attempts marked through the real services;
scope; statements constant in the number of attempts."""

from __future__ import annotations

import math
from decimal import Decimal as D

import pytest

from lms.accounts.models import Role
from lms.clock import utcnow
from lms.courses.models import Enrollment
from lms.domain.attempt_states import AttemptState as S
from lms.errors import NotFound
from lms.exams import attempts
from lms.extensions import db
from lms.reports import services
from tests.conftest import count_queries
from tests.factories import make_course, make_org, make_user
from tests.report_factories import book, fixed_exam, invalidate, new_session, right, sit

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def world():
    """Federation F with districts A (street A1 below it) and B; an exam of A with one
    session sat by five candidates, and an exam of B."""
    fed = make_org("总工会", code="f")
    a = make_org("甲区总工会", parent=fed, code="a")
    a1 = make_org("甲区一街道", parent=a, code="a1")
    b = make_org("乙区总工会", parent=fed, code="b")
    admin = make_user(Role.ADMIN)
    exam_a = fixed_exam(organisation=a)
    session_a = new_session(exam_a)
    sit(session_a, right(5), name="张三", org=a1)  # 100 % pass
    sit(session_a, right(3), name="李四", org=a)  # 60 % pass
    sit(session_a, right(2), name="王五", org=a1)  # 40 % fail
    cheat = sit(session_a, right(4), name="赵六", org=b)  # 80 %, invalidated
    invalidate(cheat, admin)
    book(session_a, name="孙七", org=a)  # never came
    gone = book(session_a, name="周八", org=a)
    attempts.cancel(gone)
    db.session.commit()
    exam_b = fixed_exam(organisation=b)
    session_b = new_session(exam_b)
    sit(session_b, right(5), name="吴九", org=b)
    return {"fed": fed, "a": a, "a1": a1, "b": b, "admin": admin, "exam_a": exam_a,
            "session_a": session_a, "exam_b": exam_b, "session_b": session_b}


def test_session_report_by_hand(world):
    report = services.session_report(world["session_a"])
    s = report.summary
    assert (s.registered, s.attended, s.finished) == (5, 4, 4)
    assert (s.graded, s.pending, s.invalidated, s.passed, s.failed) == (3, 0, 1, 2, 1)
    assert s.pass_rate == pytest.approx(2 / 3)
    assert s.mean == pytest.approx(200 / 3)
    assert s.median == 60
    mean = 200 / 3
    assert s.sd == pytest.approx(math.sqrt(((100 - mean) ** 2 + (60 - mean) ** 2
                                            + (40 - mean) ** 2) / 2))
    assert [b.count for b in s.distribution] == [0, 0, 0, 0, 1, 0, 1, 0, 0, 1]
    rows = {r.name: r for r in report.rows}
    assert set(rows) == {"张三", "李四", "王五", "赵六", "孙七"}  # the cancelled one is out
    assert (rows["张三"].score, rows["张三"].max_score, rows["张三"].percent,
            rows["张三"].passed) == (D(10), D(10), D(100), True)
    assert rows["张三"].organisation == "甲区一街道"
    assert (rows["王五"].percent, rows["王五"].passed) == (D(40), False)
    assert rows["赵六"].state == S.INVALIDATED and rows["赵六"].passed is None
    assert rows["孙七"].state == S.REGISTERED and rows["孙七"].score is None


def test_an_essay_waiting_for_a_marker_is_pending():
    from tests.services.test_marking import essay_exam

    exam = essay_exam(shuffle_items=False)
    session = new_session(exam)
    sit(session, ["b", "b", "b", "工会在劳动争议调解中……"])
    s = services.session_report(session).summary
    assert (s.finished, s.graded, s.pending, s.pass_rate, s.mean) == (1, 0, 1, None, None)


def test_organisation_report_by_hand(world):
    report = services.organisation_report(world["fed"])
    rows = {r.code: r for r in report.rows}
    assert list(rows) == ["f", "a", "b"]  # the federation's own candidates first
    assert (rows["f"].candidates, rows["f"].sat) == (0, 0)
    a = rows["a"]
    assert (a.candidates, a.sat, a.graded, a.passed) == (3, 3, 3, 2)
    assert a.pass_rate == pytest.approx(2 / 3) and a.mean == pytest.approx(200 / 3)
    b = rows["b"]  # 赵六 (invalidated) and 吴九 (100 %, exam B)
    assert (b.candidates, b.sat, b.graded, b.passed, b.pass_rate, b.mean) == (
        2, 2, 1, 1, 1.0, 100.0)
    t = report.total
    assert (t.candidates, t.sat, t.graded, t.passed) == (5, 5, 4, 3)
    assert t.mean == pytest.approx(300 / 4) and t.pass_rate == 0.75
    assert [code for _, code, _ in report.exams] == sorted(
        [world["exam_a"].code, world["exam_b"].code])


def test_organisation_report_of_one_exam_and_one_district(world):
    report = services.organisation_report(world["fed"], exam=world["exam_a"])
    rows = {r.code: r for r in report.rows}
    assert (rows["b"].sat, rows["b"].graded) == (1, 0)
    report = services.organisation_report(world["a"])
    rows = {r.code: r for r in report.rows}
    assert list(rows) == ["a", "a1"]
    assert (rows["a"].candidates, rows["a"].graded, rows["a"].mean) == (1, 1, 60.0)
    assert (rows["a1"].candidates, rows["a1"].passed, rows["a1"].mean) == (2, 1, 70.0)
    assert report.total.candidates == 3


def test_the_platform_report_has_the_federations_and_the_unorganised():
    fed = make_org("总工会", code="f")
    exam = fixed_exam()
    session = new_session(exam)
    sit(session, right(5), org=fed)
    sit(session, right(1))  # no organisation
    report = services.organisation_report(None)
    rows = {r.code: r for r in report.rows}
    assert (rows[""].candidates, rows[""].passed) == (1, 0)
    assert (rows["f"].candidates, rows["f"].passed) == (1, 1)


def test_an_officer_sees_only_their_scope(world):
    officer = make_user(Role.OFFICER, scope=world["a"])
    assert services.get_session(officer, world["session_a"].id) == world["session_a"]
    with pytest.raises(NotFound):
        services.get_session(officer, world["session_b"].id)
    assert services.get_organisation(officer, world["a1"].id) == world["a1"]
    for other in (world["b"].id, world["fed"].id, None):
        with pytest.raises(NotFound):
            services.get_organisation(officer, other)
    assert [o.code for o in services.scope_organisations(officer)] == ["a"]
    sessions = services.reportable_sessions(officer)
    assert [row[0] for row in sessions] == [world["session_a"].id]
    assert sessions[0][-2:] == (5, 4)  # booked (not cancelled), sat
    assert [o.code for o in services.scope_organisations(world["admin"])] == ["f"]
    trainer = make_user(Role.TRAINER, scope=world["a"])
    assert not services.can_view_reports(trainer)
    with pytest.raises(NotFound):
        services.get_session(trainer, world["session_a"].id)


def test_funnel_by_hand():
    a = make_org("甲区总工会", code="a")
    b = make_org("乙区总工会", code="b")
    course = make_course(code="law-basics")
    exam = fixed_exam(organisation=a, required_courses=[course.code])
    other = fixed_exam(organisation=b, required_courses=[course.code])
    session = new_session(exam)
    now = utcnow()

    def enrolled(org, completed=True):
        from tests.exam_factories import ready_candidate

        user = ready_candidate(org=org)
        db.session.add(Enrollment(user_id=user.id, course_id=course.id,
                                  completed_at=now if completed else None))
        db.session.commit()
        return user

    sit(session, right(5), user=enrolled(a))  # passed
    sit(session, right(1), user=enrolled(a))  # failed
    book(session, user=enrolled(a))  # booked, never came
    enrolled(a, completed=False)
    sit(session, right(5), user=enrolled(b))  # another district

    admin = make_user(Role.ADMIN)
    assert [(c.code, codes) for c, codes in services.funnel_courses(admin)] == [
        (course.code, sorted([exam.code, other.code]))]
    f = services.funnel(admin, course)
    assert (f.enrolled, f.completed) == (5, 4)
    rows = {r.exam_code: r for r in f.rows}
    assert (rows[exam.code].booked, rows[exam.code].sat, rows[exam.code].passed) == (4, 3, 2)
    assert (rows[other.code].booked, rows[other.code].sat) == (0, 0)

    officer = make_user(Role.OFFICER, scope=a)
    f = services.funnel(officer, services.get_course(officer, course.id))
    assert (f.enrolled, f.completed) == (4, 3)
    assert [(r.exam_code, r.booked, r.sat, r.passed) for r in f.rows] == [
        (exam.code, 3, 2, 1)]  # exam B is not in their scope, nor B's candidate
    unrelated = make_course(code="unrelated")
    with pytest.raises(NotFound):
        services.get_course(officer, unrelated.id)


def _statements(do) -> int:
    db.session.expire_all()
    with count_queries() as counter:
        do()
    return len(counter)


def test_reports_take_a_fixed_number_of_statements():
    """The same statements for 2 attempts as for 20 (the objects the reports are about
    are expired first, so their reloads are counted too)."""
    fed = make_org("总工会", code="f")
    a = make_org("甲区总工会", parent=fed, code="a")
    course = make_course(code="law-basics")
    exam = fixed_exam(organisation=a, required_courses=[course.code])
    session = new_session(exam, capacity=40)
    admin = make_user(Role.ADMIN)

    def candidate(n):
        from tests.exam_factories import ready_candidate

        user = ready_candidate(org=a if n % 2 else fed)
        db.session.add(Enrollment(user_id=user.id, course_id=course.id, completed_at=utcnow()))
        db.session.commit()
        sit(session, right(n % 6), user=user)

    def measure():
        return (_statements(lambda: services.session_report(session)),
                _statements(lambda: services.organisation_report(fed)),
                _statements(lambda: services.organisation_report(fed, exam=exam)),
                _statements(lambda: services.funnel(admin, course)))

    for n in range(2):
        candidate(n)
    few = measure()
    for n in range(2, 20):
        candidate(n)
    assert measure() == few
    assert services.session_report(session).summary.graded == 20
    # the report's own SELECTs (1, 3, 3, 3), plus reloading what expire_all expired (the
    # session, organisation, exam, course, the admin's role assignments)
    assert few == (2, 4, 5, 6), few
