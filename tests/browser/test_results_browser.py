"""Issue 7's browser proof: a trainer marks an essay blind, the officer releases the
session's results, the candidate reads their breakdown; then a trainer fixes a wrong
key, the officer regrades, and the candidate is told and sees the new score."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.accounts.models import Role, User
from lms.domain.attempt_states import AttemptState as S
from lms.exams.models import ExamAttempt
from lms.extensions import db
from lms.grading.models import ExamResult
from lms.notifications.models import OutboxMessage
from lms.questions.models import Question
from tests.factories import PASSWORD, make_user
from tests.regrade_factories import question_at
from tests.services.test_essay_marking import essay_exam, handed_in

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
CANDIDATE = "欧阳明月"


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def test_mark_blind_release_and_read_the_result(new_page, live_server):
    with live_server.app.app_context():
        exam = essay_exam(review_options={"score": True, "responses": True, "key": True})
        attempt = handed_in(exam)
        attempt.user.real_name = CANDIDATE
        candidate_email = attempt.user.email
        make_user(Role.TRAINER, email="trainer@example.cn", name="阅卷老师")
        make_user(Role.TRAINER, email="reviewer@example.cn", name="审题老师")
        make_user(Role.OFFICER, email="officer@example.cn", name="认证官")
        db.session.commit()
        attempt_id, session_id = attempt.id, attempt.session_id
        assert attempt.state == S.SUBMITTED  # the essay waits for a marker

    # the trainer marks the essay without seeing who wrote it
    desk = new_page(**DESKTOP)
    log_in(desk, "trainer@example.cn")
    desk.goto("/marking")
    desk.locator("form[action$='/marking/next'] button").first.click()
    expect(desk.locator("input.mark-input").first).to_be_visible()
    assert CANDIDATE not in desk.content() and candidate_email not in desk.content()
    for field, value in zip(desk.locator("input.mark-input").all(), ("3", "3", "2"), strict=True):
        field.fill(value)
    desk.locator("button[name=then][value=queue]").click()
    expect(desk.locator(".alert-success")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(ExamAttempt, attempt_id).state == S.GRADED
        result = db.session.get(ExamResult, attempt_id)
        assert result.score == 30 + 16  # three choices right (30), the essay 8 of 10 → 16

    # the officer releases the session's results
    office = new_page(**DESKTOP)
    log_in(office, "officer@example.cn")
    office.goto(f"/results/sessions/{session_id}")
    expect(office.locator(f'tr[data-attempt="{attempt_id}"]')).to_have_attribute(
        "data-hold", "ready")
    office.locator("form[action$='/release'] button").first.click()
    expect(office.locator(f'tr[data-attempt="{attempt_id}"]')).to_have_attribute(
        "data-hold", "released")
    with live_server.app.app_context():
        mail = db.session.scalar(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "result_released"))
        assert mail is not None and mail.to_address == candidate_email

    # the candidate follows the link from the exam page to the breakdown
    page = new_page()
    log_in(page, candidate_email)
    page.goto(f"/exams/attempts/{attempt_id}")
    page.locator("[data-result-link]").click()
    expect(page.locator("[data-result]")).to_have_attribute("data-result", "pass")
    expect(page.locator("[data-section]")).to_have_count(2)
    expect(page.locator("[data-review-item]")).to_have_count(4)
    expect(page.locator("[data-section=essay]")).to_contain_text("16")

    # a trainer fixes a wrong key in the question editor: question 1's right answer is
    # "c", not "b"; a second trainer approves the new version
    with live_server.app.app_context():
        attempt = db.session.get(ExamAttempt, attempt_id)
        question = question_at(attempt, 0)
        question_id, exam_id = question.id, attempt.exam_id
        question.bank.owner_id = db.session.scalar(  # the trainer keeps this bank
            sa.select(User.id).where(User.email == "trainer@example.cn"))
        db.session.commit()
    desk.goto(f"/questions/{question_id}/edit")
    desk.locator("#correct-2").check()
    desk.get_by_role("button", name="保存", exact=True).click()
    expect(desk.locator(".alert-success")).to_contain_text("第 2 版已保存")
    desk.goto(f"/questions/{question_id}")
    desk.get_by_role("button", name="提交第 2 版审核").click()
    reviewer = new_page(**DESKTOP)
    log_in(reviewer, "reviewer@example.cn")
    reviewer.goto(f"/questions/{question_id}")
    reviewer.get_by_test_id("approve").click()
    with live_server.app.app_context():
        assert db.session.get(Question, question_id).approved_version.number == 2

    # the officer previews the regrade and applies it with a reason
    office.goto(f"/exam-admin/exams/{exam_id}")
    office.locator(f"a[href='/regrade/exams/{exam_id}']").click()
    office.locator("[data-testid=correction] a").first.click()
    office.locator("#reason").fill("第1题答案更正为C")
    office.locator("[data-testid=apply-form] button[type=submit]").click()
    expect(office.locator(".alert-success")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(ExamResult, attempt_id).score == 36  # 46 − 10
        changed = db.session.scalar(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "result_changed"))
        assert changed is not None and changed.to_address == candidate_email
        assert "第1题答案更正为C" in changed.body_text

    # the candidate sees the new score
    page.reload()
    expect(page.locator("[data-result]")).to_contain_text("36.00")
