"""The regrade pages (/regrade) and the appeal pages (/appeals) through HTTP: who may
open them (an officer of another district gets 403 / 404), the preview table, applying
with a reason, CSRF, filing and answering appeals, the candidate's panel (the macro the
result page includes) and the query counts of the pages."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from flask import current_app, render_template_string

from lms.accounts.models import Role
from lms.extensions import db
from lms.grading import appeals
from lms.grading.models import ExamAppeal
from tests.conftest import count_queries
from tests.conftest import login as login_client
from tests.exam_factories import make_session
from tests.factories import make_org, make_user
from tests.regrade_factories import (
    fix_key,
    fixed_question,
    fixed_slot,
    hand_in,
    mark_essays,
    regrade_exam,
    result_of,
)


def login(client, user) -> None:
    user.locale = "en"
    db.session.commit()
    login_client(client, user)


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def district(app):
    return make_org("东城区总工会")


@pytest.fixture
def fixed(district):
    """A's released attempt (29/50, fail) with the key of the third question fixed."""
    exam = regrade_exam(org=district)
    attempt = hand_in(exam, ("b", "b", "c"), name="甲")
    mark_essays()
    question = fixed_question(attempt)
    version = fix_key(question)
    return exam, attempt, question, version


def preview_url(exam, question, version):
    return f"/regrade/exams/{exam.id}/questions/{question.id}/versions/{version.id}"


def test_an_officer_previews_and_applies_a_regrade(client, district, fixed):
    exam, attempt, question, version = fixed
    login(client, make_user(Role.OFFICER, scope=district))
    html = page(client.get(f"/regrade/exams/{exam.id}"))
    assert 'data-testid="correction"' in html and preview_url(exam, question, version) in html
    html = page(client.get(preview_url(exam, question, version)))
    assert "甲" in html and "29.00" in html and "39.00" in html
    assert 'class="table-warning"' in html  # the flip is marked
    response = client.post(preview_url(exam, question, version), data={"reason": " "})
    assert response.status_code == 422
    assert result_of(attempt.id).score == D("29.00")
    response = client.post(preview_url(exam, question, version),
                           data={"reason": "第3题答案更正为C"})
    assert response.status_code == 302
    assert result_of(attempt.id).score == D("39.00")
    html = page(client.get(f"/regrade/exams/{exam.id}"))
    assert 'data-testid="no-corrections"' in html
    assert 'data-testid="flip"' in html and "第3题答案更正为C" in html


def test_an_officer_of_another_district_gets_403(client, fixed):
    exam, attempt, question, version = fixed
    login(client, make_user(Role.OFFICER, scope=make_org("西城区总工会")))
    assert client.get(f"/regrade/exams/{exam.id}").status_code == 403
    assert client.get(preview_url(exam, question, version)).status_code == 403
    assert client.post(preview_url(exam, question, version),
                       data={"reason": "越权"}).status_code == 403
    assert result_of(attempt.id).score == D("29.00")
    login(client, make_user(Role.TRAINER, scope=make_org("培训中心")))
    assert client.get(f"/regrade/exams/{exam.id}").status_code == 403


def test_the_regrade_form_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        district = make_org("东城区总工会")
        exam = regrade_exam(org=district)
        attempt = hand_in(exam, ("b", "b", "c"))
        mark_essays()
        question = fixed_question(attempt)
        version = fix_key(question)
        client = app.test_client()
        login(client, make_user(Role.OFFICER, scope=district))
        url = preview_url(exam, question, version)
        assert client.post(url, data={"reason": "更正"}).status_code == 400
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          page(client.get(url))).group(1)
        assert client.post(url, data={"reason": "更正", "csrf_token": token}).status_code == 302
        assert result_of(attempt.id).score == D("39.00")


def test_the_preview_page_is_constant_in_the_number_of_attempts(client, district):
    exam = regrade_exam(org=district)
    session = make_session(exam)
    first = hand_in(exam, ("b", "b", "c"), session=session)
    mark_essays()
    question = fixed_question(first)
    version = fix_key(question)
    login(client, make_user(Role.OFFICER, scope=district))
    url = preview_url(exam, question, version)
    with count_queries() as one:
        assert client.get(url).status_code == 200
    for n in range(4):
        hand_in(exam, ("b", "b", "b"), session=session, name=f"考生{n}")
    mark_essays()
    with count_queries() as many:
        html = page(client.get(url))
    assert html.count('data-testid="preview-row"') == 5
    assert len(one) == len(many)


# -- appeals ----------------------------------------------------------------------------------


def test_a_candidate_files_an_appeal_and_reads_the_answer(client, district, fixed):
    _exam, attempt, _question, _version = fixed
    slot = fixed_slot(attempt)
    candidate = attempt.user
    login(client, candidate)
    response = client.post(f"/appeals/attempts/{attempt.id}",
                           data={"slot": str(slot), "reason": "C 也正确"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/attempts/{attempt.id}/result#appeals")
    appeal = db.session.scalar(sa.select(ExamAppeal))
    assert (appeal.slot, appeal.reason, appeal.status) == (slot, "C 也正确", "open")
    # the whole score, then a second one on the same question is refused
    client.post(f"/appeals/attempts/{attempt.id}", data={"slot": "whole", "reason": "总分"})
    client.post(f"/appeals/attempts/{attempt.id}", data={"slot": str(slot), "reason": "再来"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAppeal)) == 2
    assert client.get("/appeals/").status_code == 403  # a candidate answers nothing

    officer = make_user(Role.OFFICER, scope=district)
    login(client, officer)
    html = page(client.get("/appeals/"))
    assert html.count('data-testid="appeal-row"') == 2 and "甲" in html
    response = client.post(f"/appeals/{appeal.id}", data={"outcome": "upheld",
                                                         "answer": "成立", "score": "11"})
    assert response.status_code == 422 and "between 0 and 10.00" in page(response)
    response = client.post(f"/appeals/{appeal.id}", data={"outcome": "upheld",
                                                         "answer": "申诉成立", "score": "10"})
    assert response.status_code == 302
    assert result_of(attempt.id).score == D("39.00")
    assert "申诉成立" in page(client.get(f"/appeals/{appeal.id}"))

    # the candidate's panel, as the result page includes it
    mine, window_open = appeals.for_candidate(attempt)
    with current_app.test_request_context():
        html = render_template_string(
            '{% from "appeals/_candidate.html" import appeal_panel %}'
            "{{ appeal_panel(attempt, appeals, window_open, slots) }}",
            attempt=attempt, appeals=mine, window_open=window_open, slots=range(4))
    assert html.count('data-testid="appeal"') == 2
    assert 'data-testid="appeal-answer"' in html and "申诉成立" in html
    assert "0.00 → 10.00" in html
    assert 'data-testid="appeal-form"' in html and f'value="{slot}"' in html
    assert f"/appeals/attempts/{attempt.id}" in html


def test_no_appeal_on_someone_elses_attempt(client, fixed):
    _exam, attempt, *_ = fixed
    login(client, make_user(name="王五"))
    response = client.post(f"/appeals/attempts/{attempt.id}",
                           data={"slot": "whole", "reason": "不是我的"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAppeal)) == 0


def test_appeals_outside_ones_reach_are_404(client, fixed):
    _exam, attempt, *_ = fixed
    appeal = appeals.file(attempt.user, attempt.id, None, "总分")
    db.session.commit()
    login(client, make_user(Role.OFFICER, scope=make_org("西城区总工会")))
    assert 'data-testid="appeal-row"' not in page(client.get("/appeals/"))
    assert client.get(f"/appeals/{appeal.id}").status_code == 404
    assert client.post(f"/appeals/{appeal.id}", data={"outcome": "rejected",
                                                     "answer": "越权"}).status_code == 404
    assert db.session.get(ExamAppeal, appeal.id).status == "open"


def test_the_exam_settings_carry_the_appeal_window(client):
    from lms.exams.models import Exam

    exam = regrade_exam()
    login(client, make_user(Role.OFFICER))
    html = page(client.get(f"/exam-admin/exams/{exam.id}"))
    assert 'name="appeal_days"' in html and f"/regrade/exams/{exam.id}" in html
    form = {"title": exam.title, "duration_minutes": "30", "pass_percent": "60",
            "attempts_allowed": "2", "cooldown_days": "0", "navigation": "free",
            "layout": "paged", "proctoring": "online", "focus_loss_limit": "5",
            "snapshot_interval_seconds": "60", "release": "review",
            "review_options": ["score"], "marking_tolerance_percent": "10",
            "appeal_days": "0"}
    assert client.post(f"/exam-admin/exams/{exam.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).appeal_days == 0
    wrong = client.post(f"/exam-admin/exams/{exam.id}", data={**form, "appeal_days": "400"})
    assert wrong.status_code == 200 and "Appeals: from 0 (none) to 365 days" in page(wrong)
    assert client.post(f"/exam-admin/exams/{exam.id}",
                       data={**form, "appeal_days": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).appeal_days == 14
