"""Issue 4's proof, as people would do it: a trainer imports a GIFT file (one item is
broken), edits an imported item, a second trainer approves it, and a candidate
takes a practice quiz drawn from it and reads the explanation with its article."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.accounts.models import Role
from lms.extensions import db
from lms.questions import services
from lms.questions.models import Question, QuestionStatus
from tests.browser.test_accounts_browser import fill_registration, submit
from tests.factories import PASSWORD, make_user

GIFT = """\
// [id:gift-1]
// [tag:建会条件]
::建会人数::会员多少人以上的基层单位应当建立基层工会委员会？{
=二十五人
~五十人
~一百人
####依据《工会法》第十一条，会员二十五人以上的，应当建立基层工会委员会。
}

// [id:gift-2]
::坏题::这道题的答案块没有闭合 {=甲 ~乙
"""


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def log_out(page: Page) -> None:
    page.locator("form[action='/logout'] button").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_import_edit_approve_and_practise(new_page, live_server, tmp_path):
    with live_server.app.app_context():
        author = make_user(Role.TRAINER, email="author@example.cn", name="出题人")
        make_user(Role.TRAINER, email="reviewer@example.cn", name="审题人")
        services.create_bank(code="demo-bank", title="演示题库", domain="union_law",
                             actor=author)
        db.session.commit()
    gift = tmp_path / "questions.gift"
    gift.write_text(GIFT, encoding="utf-8")
    page = new_page(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False)

    # the author imports: the preview names the broken item, the valid one comes in
    log_in(page, "author@example.cn")
    page.goto("/questions/banks/demo-bank/import")
    page.locator("input[type=file]").set_input_files(str(gift))
    page.get_by_role("button", name="检查文件").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("questions.gift:")
    page.get_by_role("button", name=re.compile("仅导入 1 道有效题目")).click()
    with live_server.app.app_context():
        question_id = db.session.scalar(sa.select(Question.id).where(
            Question.external_id == "gift-1"))
        assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 1

    # the author edits it: a new version, then sends it for review
    page.goto(f"/questions/{question_id}/edit")
    page.locator("#choices-2-text").fill("二百人")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("第 2 版已保存")
    page.goto(f"/questions/{question_id}")
    expect(page.get_by_test_id("approve")).to_have_count(0)  # never one's own version
    page.get_by_role("button", name="提交第 2 版审核").click()
    log_out(page)

    # a second trainer approves
    log_in(page, "reviewer@example.cn")
    page.goto(f"/questions/{question_id}")
    page.get_by_test_id("approve").click()
    with live_server.app.app_context():
        question = db.session.get(Question, question_id)
        assert question.status == QuestionStatus.APPROVED
        assert question.approved_version.number == 2
        from tests.practice_factories import quiz_course
        code = quiz_course(None, question.bank, count=1, pass_percent=100,
                           title="建会练习").code
    log_out(page)

    # a candidate takes the module's practice quiz on a phone
    phone = new_page()
    phone.goto("/register")
    fill_registration(phone)
    submit(phone, "注册")
    phone.goto(f"/courses/{code}")
    phone.get_by_role("button", name="报名学习").click()
    phone.get_by_role("button", name="标记为已学，进入练习测验").click()
    phone.locator("label.quiz-option", has_text="五十人").click()
    phone.get_by_role("button", name="提交答案").click()
    expect(phone.get_by_test_id("quiz-summary")).to_contain_text("未通过")
    expect(phone.get_by_text(re.compile("依据《工会法》第十一条")).first).to_be_visible()
    expect(phone.locator("main")).to_contain_text("二百人")  # the approved version 2
