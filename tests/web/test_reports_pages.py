"""Report pages and their exports: numbers, charts, formula escaping in CSV and XLSX,
Chinese headings, scope (403/404 and absent rows), statements constant in the number
of attempts, and the question bank's item-statistics column."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from lms.accounts.models import Role
from lms.extensions import db
from lms.questions.models import Question
from lms.reports import statistics
from tests.conftest import count_queries, login
from tests.factories import make_org, make_user
from tests.report_factories import fixed_exam, new_session, right, sit

NASTY = ['=HYPERLINK("http://evil.example","点我")', "@SUM(1)", "+1", "-2+3"]


@pytest.fixture
def world(app):
    fed = make_org("总工会", code="f")
    a = make_org("甲区总工会", parent=fed, code="a")
    b = make_org("乙区总工会", parent=fed, code="b")
    exam_a = fixed_exam(organisation=a)
    session_a = new_session(exam_a, capacity=40)
    for n, name in enumerate(NASTY):
        sit(session_a, right(n + 2), name=name, org=a)
    exam_b = fixed_exam(organisation=b)
    session_b = new_session(exam_b)
    sit(session_b, right(5), name="乙区考生", org=b)
    return {"fed": fed, "a": a, "b": b, "exam_a": exam_a, "session_a": session_a,
            "exam_b": exam_b, "session_b": session_b,
            "officer_a": make_user(Role.OFFICER, scope=a),
            "admin": make_user(Role.ADMIN)}


def test_the_session_page_has_the_summary_and_the_histogram(client, world):
    login(client, world["officer_a"])
    page = client.get(f"/reports/sessions/{world['session_a'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-histogram"' in html
    assert 'data-testid="pass-rate">75.0 %' in html  # 6, 8, 10 of 10 pass; 4 of 10 fails
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in html  # escaped, as text
    assert "style=" not in html


def test_an_officer_of_another_district_sees_neither_the_session_nor_its_rows(client, world):
    login(client, world["officer_a"])
    for url in (f"/reports/sessions/{world['session_b'].id}",
                f"/reports/sessions/{world['session_b'].id}/export.csv",
                f"/reports/organisations/{world['b'].id}",
                f"/reports/organisations/{world['fed'].id}",
                "/reports/organisations/",
                f"/reports/exams/{world['exam_b'].id}/items"):
        assert client.get(url).status_code == 404, url
    page = client.get(f"/reports/organisations/{world['a'].id}").get_data(as_text=True)
    assert "甲区总工会" in page and "乙区总工会" not in page
    index = client.get("/reports/").get_data(as_text=True)
    assert world["session_a"].title in index and world["session_b"].title not in index
    assert world["exam_b"].title not in index
    # the platform-wide admin sees both districts' rows
    login(client, world["admin"])
    response = client.get(f"/reports/organisations/{world['fed'].id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert "甲区总工会" in names and "乙区总工会" in names


def test_the_statistics_page_has_both_charts_and_the_items(client, world):
    login(client, world["officer_a"])
    page = client.get(f"/reports/exams/{world['exam_a'].id}/items")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "chart-histogram" in html and "chart-scatter" in html
    assert html.count('data-testid="item-row"') == 5
    assert "KR-20" in html
    response = client.get(f"/reports/exams/{world['exam_a'].id}/items/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.max_row == 6 and sheet["E1"].value == "难度（通过率 p）"


def test_the_funnel_page(client, world):
    from lms.courses.models import Enrollment
    from tests.factories import make_course

    course = make_course(code="law-basics", title="工会法基础")
    world["exam_a"].required_courses = [course.code]
    db.session.add(Enrollment(user_id=world["officer_a"].id, course_id=course.id))
    db.session.commit()
    login(client, world["officer_a"])
    assert "工会法基础" in client.get("/reports/").get_data(as_text=True)
    page = client.get(f"/reports/courses/{course.id}/funnel")
    assert page.status_code == 200 and 'data-testid="funnel-row"' in page.get_data(as_text=True)
    csv_body = client.get(f"/reports/courses/{course.id}/funnel/export.csv").data
    assert "报名课程" in csv_body.decode("utf-8-sig").splitlines()[0]


def _statements(client, url) -> int:
    with count_queries() as counter:
        assert client.get(url).status_code == 200, url
    return len(counter)


def test_pages_take_the_same_statements_for_2_and_20_attempts(client, app):
    fed = make_org("总工会", code="f")
    exam = fixed_exam(organisation=fed)
    session = new_session(exam, capacity=40)
    officer = make_user(Role.OFFICER, scope=fed)
    urls = [f"/reports/sessions/{session.id}", f"/reports/organisations/{fed.id}",
            f"/reports/exams/{exam.id}/items", f"/reports/sessions/{session.id}/export.xlsx",
            f"/reports/organisations/{fed.id}/export.csv"]
    for n in range(2):
        sit(session, right(n % 6), org=fed)
    login(client, officer)
    few = [_statements(client, url) for url in urls]
    for n in range(2, 20):
        sit(session, [("b", "a", "c")[(n + k) % 3] for k in range(5)], org=fed)
    assert [_statements(client, url) for url in urls] == few


def test_the_bank_column_takes_one_statement_whatever_the_items(client, app):
    exam = fixed_exam()
    session = new_session(exam)
    sit(session, right(5))
    sit(session, right(1))
    question = db.session.get(Question, 1)
    bank = question.bank
    trainer = make_user(Role.TRAINER)
    login(client, trainer)
    url = f"/questions/banks/{bank.code}"
    before = _statements(client, url)
    assert 'data-flag=' not in client.get(url).get_data(as_text=True)
    statistics.refresh(exam)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert page.count("p 1.00 · D") == 1 and page.count("p 0.50 · D") == 4
    assert _statements(client, url) == before  # five items with statistics, no more SELECTs
    # and the page draws them: difficulty against discrimination, one point per item
    assert 'data-testid="bank-scatter"' in page
    chart = page.split('data-testid="bank-scatter"', 1)[1].split("</details>", 1)[0]
    assert chart.count('class="chart-point') == 5
