"""A new candidate studies the shipped 工会法 course on a 390 px phone."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.courses.models import CreditEntry
from lms.extensions import db
from lms.seed import seed_courses
from tests.browser.test_accounts_browser import (
    assert_no_sideways_scrolling,
    fill_registration,
    submit,
)


def progress_text(page: Page) -> str:
    return page.get_by_test_id("progress-text").first.inner_text()


def test_candidate_studies_union_law_on_a_phone(page: Page, live_server):
    with live_server.app.app_context():
        assert "union-law" in seed_courses()
        db.session.commit()

    page.goto("/register")
    fill_registration(page)
    submit(page, "注册")
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.goto("/courses?domain=union_law")
    page.get_by_role("link", name="工会法", exact=True).click()
    page.get_by_role("button", name="报名学习").click()
    expect(page).to_have_url(re.compile(r"/courses/union-law/lessons/"))
    assert progress_text(page).startswith("0/")
    first_lesson = page.url
    assert_no_sideways_scrolling(page)

    page.get_by_role("button", name="标记为已学，继续下一课").click()
    expect(page.get_by_test_id("progress-text").first).to_have_text(re.compile(r"^1/"))
    second_lesson = page.url
    assert second_lesson != first_lesson
    assert_no_sideways_scrolling(page)

    # leave, and come back to the same place
    page.goto("/dashboard")
    page.get_by_role("link", name="继续学习").click()
    expect(page).to_have_url(second_lesson)

    page.get_by_role("button", name="标记为已学，继续下一课").click()
    expect(page.get_by_test_id("progress-text").first).to_have_text(re.compile(r"^2/"))

    page.goto("/courses/union-law")
    expect(page.get_by_test_id("progress")).to_have_attribute("aria-valuenow",
                                                               re.compile(r"^[1-9]\d*$"))
    # read the rest and finish
    page.get_by_role("link", name=re.compile("继续")).click()
    for _ in range(100):
        finish = page.get_by_role("button", name="标记为已学，完成课程")
        if finish.count():
            finish.click()
            break
        page.get_by_role("button", name=re.compile("标记为已学")).click()
    expect(page.get_by_text(re.compile("已于 .* 完成，记入 .* 学时"))).to_be_visible()
    page.get_by_role("link", name="我的学时").first.click()
    expect(page.get_by_text("工会法").first).to_be_visible()
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CreditEntry.id))) == 1


def choose(item, word: str) -> None:
    """Tap the option of a practice_factories.single item whose text starts with ``word``."""
    item.locator("label.quiz-option", has_text=re.compile(word + r"\d")).first.click()


def test_candidate_passes_a_practice_quiz_on_a_phone(page: Page, live_server):
    from tests.practice_factories import fill_bank, make_bank, quiz_course

    with live_server.app.app_context():
        bank = make_bank()
        fill_bank(bank, 6)
        course = quiz_course(None, bank, count=3, pass_percent=100, title="练习测验课程")
        code = course.code

    page.goto("/register")
    fill_registration(page)
    submit(page, "注册")
    page.goto(f"/courses/{code}")
    page.get_by_role("button", name="报名学习").click()
    page.get_by_role("button", name="标记为已学，进入练习测验").click()
    expect(page.get_by_role("heading", name=re.compile("练习测验"))).to_be_visible()
    assert_no_sideways_scrolling(page)
    assert page.locator("input[type=radio]").count() == 9  # three questions of three choices
    # one wrong answer first: not passed, the key and explanation are shown
    for index, item in enumerate(page.locator("fieldset.quiz-item").all()):
        choose(item, "错误" if index == 0 else "正确")
    page.get_by_role("button", name="提交答案").click()
    expect(page.get_by_test_id("quiz-summary")).to_contain_text("未通过")
    expect(page.get_by_text("解析").first).to_be_visible()
    assert_no_sideways_scrolling(page)
    # a new set, all right: passed, and with the lesson read the course is complete
    page.get_by_role("link", name=re.compile("再练一次")).first.click()
    for item in page.locator("fieldset.quiz-item").all():
        choose(item, "正确")
    page.get_by_role("button", name="提交答案").click()
    expect(page.get_by_test_id("quiz-summary")).to_contain_text("已通过")
    expect(page.get_by_text(re.compile("恭喜"))).to_be_visible()
    page.get_by_role("link", name="返回课程").first.click()
    expect(page.get_by_text(re.compile("已于 .* 完成"))).to_be_visible()
    expect(page.get_by_test_id("quiz-progress")).to_have_text("练习测验已通过 1/1 个。")
