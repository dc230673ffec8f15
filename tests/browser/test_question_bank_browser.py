"""The question bank on a 390 px phone: browser, question page, editor."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from lms.accounts.models import Role
from lms.extensions import db
from lms.questions import services
from tests.browser.test_accounts_browser import assert_no_sideways_scrolling
from tests.browser.test_authoring_browser import screenshot
from tests.factories import PASSWORD, make_user
from tests.unit import item_samples

LONG_CATEGORY = "集体合同的订立变更解除和终止/集体协商代表的产生办法与职责/" * 2


def test_trainer_browses_previews_and_edits_on_a_phone(page: Page, live_server):
    with live_server.app.app_context():
        trainer = make_user(Role.TRAINER, email="trainer@example.cn")
        bank = services.create_bank(code="union-law", title="工会法题库", domain="union_law",
                                    actor=trainer)
        ids = {}
        for name in ("single_choice", "fill_blank", "matching", "case_study", "essay"):
            question = services.create_question(
                bank, item_samples.ALL[name](), services.Metadata(
                    knowledge_points=("建会条件", "集体协商代表的产生办法")),
                actor=trainer, category=LONG_CATEGORY.strip("/"))
            ids[name] = question.id
        db.session.commit()
    page.goto("/login")
    page.locator("#email").fill("trainer@example.cn")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/dashboard")

    page.goto("/questions/")
    assert_no_sideways_scrolling(page)
    screenshot(page, "question-banks")

    page.goto("/questions/banks/union-law")
    assert_no_sideways_scrolling(page)
    screenshot(page, "question-bank")
    page.get_by_label("全选本页").check()  # static/js/question-bank.js
    expect(page.locator('input[name="ids"]:checked')).to_have_count(5)

    for name in ("case_study", "fill_blank", "matching"):
        page.goto(f"/questions/{ids[name]}")
        assert_no_sideways_scrolling(page)
        screenshot(page, f"question-{name}")
    expect(page.get_by_test_id("candidate-preview").locator("select").first).to_be_disabled()

    page.goto(f"/questions/{ids['single_choice']}/edit")
    assert_no_sideways_scrolling(page)
    screenshot(page, "question-edit")
    page.locator("#choices-3-text").fill("六年")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("第 2 版已保存")

    page.goto(f"/questions/{ids['essay']}/edit")
    assert_no_sideways_scrolling(page)
    screenshot(page, "question-edit-yaml")
