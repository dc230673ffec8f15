"""Officers kept to their scope and candidates kept off officer pages (RELIABILITY.md
A18, A19), and exports safe to open in a spreadsheet (B9); moved here from tests/web."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from lms.accounts.models import Role
from lms.clock import utcnow
from lms.exams import registration
from lms.extensions import db
from tests.conftest import login
from tests.conftest import login as login_client
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_org, make_user
from tests.web.test_exam_admin import page
from tests.web.test_reports_pages import (
    NASTY,
)


def test_A19_district_officers_manage_their_own_exams_only(client, app):
    """RELIABILITY.md A19: an officer of one district cannot open, publish, schedule,
    proctor or review another district's exam, nor the platform's."""
    federation = make_org("市总工会")
    east, west = make_org("东城区总工会", parent=federation), make_org("西城区总工会",
                                                                   parent=federation)
    officer = make_user(Role.OFFICER, org=east, scope=east)
    ours = make_exam(organisation_id=east.id, code="east-exam", title="东城考试")
    theirs = make_exam(organisation_id=west.id, code="west-exam", title="西城考试")
    platform = make_exam(code="platform-exam", title="全市考试")
    their_session = make_session(theirs)
    candidate = ready_candidate()
    attempt = registration.book(candidate, their_session, utcnow())
    db.session.commit()
    login_client(client, officer)

    listing = page(client.get("/exam-admin/"))
    assert "东城考试" in listing and "西城考试" not in listing and "全市考试" not in listing
    assert client.get(f"/exam-admin/exams/{ours.id}").status_code == 200
    for exam in (theirs, platform):
        assert client.get(f"/exam-admin/exams/{exam.id}").status_code == 403
        assert client.get(f"/exam-admin/exams/{exam.id}/sessions").status_code == 403
        assert client.post(f"/exam-admin/exams/{exam.id}/archive").status_code == 403
    assert client.post(f"/exam-admin/sessions/{their_session.id}/rotate-code").status_code == 403
    assert client.get(f"/proctor/sessions/{their_session.id}").status_code == 403
    assert client.get(f"/proctor/attempts/{attempt.id}").status_code == 403
    assert client.post(f"/proctor/attempts/{attempt.id}/review",
                       data={"decision": "invalidate", "reason": "越权"}).status_code == 403
    assert f"/proctor/sessions/{their_session.id}" not in page(client.get("/proctor/"))
    db.session.refresh(attempt)
    assert attempt.review_decision is None

    # the federation's officer manages both districts' exams, and the platform's not
    above = make_user(Role.OFFICER, org=federation, scope=federation)
    login_client(client, above)
    listing = page(client.get("/exam-admin/"))
    assert "东城考试" in listing and "西城考试" in listing and "全市考试" not in listing
    assert client.get(f"/proctor/sessions/{their_session.id}").status_code == 200


def test_A18_candidates_and_proctors_get_403_on_officer_reports(client, world):
    for role in (Role.CANDIDATE, Role.PROCTOR):
        login(client, make_user(role))
        assert client.get("/reports/").status_code == 403
    trainer = make_user(Role.TRAINER, scope=world["a"])
    login(client, trainer)
    assert client.get(f"/reports/sessions/{world['session_a'].id}").status_code == 404
    assert client.get(f"/reports/exams/{world['exam_a'].id}/items").status_code == 200


def test_B9_exports_escape_formulas_and_carry_chinese_headings(client, world):
    login(client, world["officer_a"])
    url = f"/reports/sessions/{world['session_a'].id}/export"
    response = client.get(url + ".csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "session-report-" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["学员", "组织"]  # "Candidate", "Organisation" in Chinese
    names = [row[0] for row in rows[1:]]
    assert sorted(names) == sorted("'" + name for name in NASTY)

    response = client.get(url + ".xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(response.data))
    table = book.worksheets[0]
    headings = [cell.value for cell in table[1]]
    assert headings[:2] == ["学员", "组织"] and "得分率" in headings
    cells = [row[0].value for row in table.iter_rows(min_row=2)]
    assert sorted(cells) == sorted("'" + name for name in NASTY)
    assert all(row[0].data_type == "s" for row in table.iter_rows(min_row=2))
    scores = [row[4].value for row in table.iter_rows(min_row=2)]
    assert sorted(scores) == [4, 6, 8, 10]  # numbers stay numbers
    summary = {row[0].value: row[1].value for row in book.worksheets[1].iter_rows(min_row=2)}
    assert summary["合格率（％）"] == 75.0 and summary["已评定"] == 4
