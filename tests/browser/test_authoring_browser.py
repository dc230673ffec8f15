"""Course authoring on a 390 px phone: the outline, reordering and the live preview."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

from lms.accounts.models import Role
from lms.extensions import db
from tests.browser.test_accounts_browser import assert_no_sideways_scrolling
from tests.factories import PASSWORD, make_course, make_user

LONG_TITLE = "集体合同的订立、变更、解除和终止以及集体协商代表的产生办法与职责" * 2


def log_in_as_trainer(page: Page, live_server) -> tuple[int, int]:
    """Log a trainer in; returns the ids of a course and of its first lesson."""
    with live_server.app.app_context():
        trainer = make_user(Role.TRAINER, email="trainer@example.cn")
        course = make_course(trainer, code="collective-bargaining", title=LONG_TITLE,
                             lessons=[["第一课", "第二课"], ["第三课"]])
        lesson = course.modules[0].lessons[0]
        lesson.title = LONG_TITLE
        db.session.commit()
        ids = course.id, lesson.id
    page.goto("/login")
    page.locator("#email").fill("trainer@example.cn")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/dashboard")
    return ids


def screenshot(page: Page, name: str) -> None:
    """With LMS_AUTHOR_SCREENSHOTS=dir, keep a full-page picture for a human to look at."""
    folder = os.environ.get("LMS_AUTHOR_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_trainer_reorders_and_previews_on_a_phone(page: Page, live_server):
    course_id, lesson_id = log_in_as_trainer(page, live_server)

    page.goto("/author/courses")
    assert_no_sideways_scrolling(page)
    screenshot(page, "courses")

    page.goto(f"/author/courses/{course_id}")
    assert_no_sideways_scrolling(page)
    screenshot(page, "course")
    second_module = page.locator("#outline .card").nth(1)
    expect(second_module.locator("h3")).to_contain_text("第2单元")
    second_module.get_by_role("button", name="将“第2单元”上移").click()
    expect(page.locator("#outline .card").first.locator("h3")).to_contain_text("第2单元")

    page.goto(f"/author/lessons/{lesson_id}")
    assert_no_sideways_scrolling(page)
    preview = page.locator("#lesson-preview")
    expect(preview).to_contain_text("第一课")
    page.locator("#body_md").fill("## 小标题\n\n**会员的权利**\n\n<script>alert(1)</script>")
    expect(preview.locator("strong")).to_have_text("会员的权利")  # the live preview
    expect(preview.locator("h2")).to_have_text("小标题")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text
    expect(page.locator("#preview-state")).to_have_text("尚未保存")
    page.locator("#statutes").fill("中华人民共和国工会法 | 2021年 | 第三条")
    expect(page.locator("#preview-state")).to_contain_text("第 1 行")
    assert_no_sideways_scrolling(page)
    screenshot(page, "lesson")

    page.locator("#statutes").fill("中华人民共和国工会法 | 2021-12-24 | 第三条")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("课已保存")
    expect(preview).to_contain_text("第三条")
    expect(preview.locator("strong")).to_have_text("会员的权利")
