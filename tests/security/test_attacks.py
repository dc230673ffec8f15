"""Attacks RELIABILITY.md §2.4 lists that had no test yet: reflected XSS in search and
filter parameters (A13), SQL in them (A14), state changes through GET (A11), duplicate
parameters on a single-choice answer (A25/B5) and exam content opened outside the
attempt's window (A27/I3)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role, User
from lms.domain.attempt_states import AttemptState as S
from lms.domain.grading import response_from_fields
from lms.domain.items import item_from_dict
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from lms.questions.models import QuestionVersion
from tests.conftest import login
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_user
from tests.web.test_exam_pages import begin, saves

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
SQL = ["' OR 1=1--", "x'; DROP TABLE users;--", "1 UNION SELECT password_hash FROM users",
       "%' AND 1=(SELECT 1)--"]

#: every officer/admin list page that filters on what the address says
FILTERED_PAGES = ["/admin/users?q={v}&role={v}", "/admin/audit/?action={v}&object_type={v}"
                  "&object_id={v}", "/certificate-admin/?q={v}&status={v}",
                  "/retraining-admin/appraisals?q={v}", "/cadres?q={v}&level={v}",
                  "/courses?domain={v}&level={v}", "/appeals/?status={v}"]


@pytest.fixture
def admin_client(client, app):
    login(client, make_user(Role.ADMIN, name="管理员"))
    return client


def test_A13_search_and_filter_parameters_are_escaped_on_every_list_page(admin_client):
    for template in FILTERED_PAGES:
        response = admin_client.get(template.format(v=XSS))
        assert response.status_code == 200, template
        body = response.get_data(as_text=True)
        assert "<script>alert(1)" not in body and "<img src=x" not in body, template
        # and were it ever echoed raw, the policy forbids inline script
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize("payload", SQL)
def test_A14_sql_in_search_and_filter_parameters_is_only_text(admin_client, payload):
    make_user(name="王小红", email="wang@example.cn")
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    for template in [*FILTERED_PAGES, "/admin/users?q={v}&sort={v}&order={v}"]:
        response = admin_client.get(template.format(v=payload))
        assert response.status_code in (200, 400, 404), (template, response.status_code)
    listing = admin_client.get(f"/admin/users?q={payload}").get_data(as_text=True)
    assert "王小红" not in listing  # the payload matched nobody: it was never SQL
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users


def test_A11_state_changes_through_get_are_not_allowed(client):
    attempt = begin(client)
    for action in ("submit", "answers", "start", "cancel", "check-in"):
        response = client.get(f"/exams/attempts/{attempt.id}/{action}?confirm=1")
        assert response.status_code == 405, action
    db.session.refresh(attempt)
    assert attempt.state == S.IN_PROGRESS


def test_A25_B5_a_repeated_parameter_on_a_single_choice_counts_as_one_answer(client):
    """Documented handling: a slot holds one stored answer; of two values posted for a
    single choice the first is read, every time (lms.domain.practice.response_from_form)."""
    attempt = begin(client)
    response = client.post(f"/exams/attempts/{attempt.id}/answers", json={"saves": [
        {"slot": 0, "seq": 1, "response": {"s0": ["a", "b"]}}]})
    assert response.status_code in (200, 400, 422)
    # the same slot twice in one request: one row, the same one on a replay
    client.post(f"/exams/attempts/{attempt.id}/answers", json=saves((1, 1, "a"), (1, 1, "b")))
    first = [r.response for r in db.session.scalars(sa.select(ExamAnswer)
                                                     .where(ExamAnswer.slot == 1))]
    client.post(f"/exams/attempts/{attempt.id}/answers", json=saves((1, 1, "a"), (1, 1, "b")))
    again = [r.response for r in db.session.scalars(sa.select(ExamAnswer)
                                                     .where(ExamAnswer.slot == 1))]
    assert len(first) == 1 and again == first
    # the plain form (no script) with the answer twice
    response = client.post(f"/exams/attempts/{attempt.id}/submit",
                           data={"s0": ["a", "b"], "s2": "c"})
    assert response.status_code in (302, 400, 422)
    db.session.rollback()
    rows = db.session.scalars(sa.select(ExamAnswer).where(ExamAnswer.slot == 0)).all()
    assert len(rows) == 1
    item = attempt.paper["items"][0]
    spec = item_from_dict(db.session.get(QuestionVersion, item["version_id"]).spec)
    for row in rows:
        read = response_from_fields(spec, row.response, "s0")
        assert isinstance(read, str) and read == row.response["s0"][0]


def test_A27_I3_exam_content_is_not_served_outside_the_attempt_window(client, app):
    exam = make_exam()
    stem = "STEM-MARKER"
    session = make_session(exam)
    user = ready_candidate()
    login(client, user)
    client.post(f"/exams/sessions/{session.id}/book")
    attempt = db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.user_id == user.id))

    def questions_shown() -> bool:
        body = client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True)
        return 'name="s0"' in body or 'data-slot="0"' in body or stem in body

    assert not questions_shown()  # booked, not started
    client.post(f"/exams/attempts/{attempt.id}/check-in", data={"code": session.access_code})
    assert not questions_shown()  # checked in, not started
    client.post(f"/exams/attempts/{attempt.id}/start")
    assert questions_shown()  # the one time it is shown
    client.post(f"/exams/attempts/{attempt.id}/submit", json={"saves": []})
    assert not questions_shown()  # handed in
    other = app.test_client()
    login(other, ready_candidate())
    assert other.get(f"/exams/attempts/{attempt.id}").status_code == 404
