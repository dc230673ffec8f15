"""Accounts on a 390 px phone: register, log out, log in, switch language, inline errors.

Chinese is the default interface language. Fields are found by their ids and
buttons by role; where a text must be read it is the Chinese one.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.accounts.models import User
from lms.extensions import db

EMAIL = "zhangsan@example.cn"
NAME = "张三"
PASSWORD = "Zhong-Hua-Gong-Hui-2026"
PHONE_WIDTH = 390


def fill_registration(page: Page) -> None:
    page.locator("#email").fill(EMAIL)
    page.locator("#real_name").fill(NAME)
    page.locator("#mobile").fill("13800138000")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_confirm").fill(PASSWORD)
    page.locator("#consent_personal_info").check()


def submit(page: Page, label: str) -> None:
    page.locator("main form").get_by_role("button", name=label, exact=True).click()


def open_menu(page: Page) -> None:
    """On a phone the navbar is collapsed behind its toggler."""
    toggler = page.locator("button.navbar-toggler[aria-controls=nav]")
    expect(toggler).to_be_visible()
    expect(page.locator("#nav")).to_be_hidden()
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#nav")).to_be_visible()


def assert_no_sideways_scrolling(page: Page) -> None:
    assert page.viewport_size["width"] == PHONE_WIDTH
    page.wait_for_load_state("load")  # stylesheets applied before measuring
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"


def saved_language(live_server) -> str | None:
    with live_server.app.app_context():
        return db.session.scalar(sa.select(User.locale).where(User.email == EMAIL))


def test_register_log_out_log_in_and_switch_language(page: Page, live_server):
    html = page.locator("html")
    nav = page.locator("#nav")
    logout = nav.get_by_role("button", name="退出登录", exact=True)

    page.goto("/register")
    expect(html).to_have_attribute("lang", "zh-CN")
    assert_no_sideways_scrolling(page)
    fill_registration(page)
    submit(page, "注册")

    expect(page).to_have_url(f"{live_server.url}/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    assert_no_sideways_scrolling(page)
    assert saved_language(live_server) == "zh_CN"

    expect(logout).to_be_hidden()
    open_menu(page)
    expect(nav.get_by_role("link", name=NAME)).to_be_visible()
    logout.click()

    expect(page).to_have_url(f"{live_server.url}/login")
    assert_no_sideways_scrolling(page)
    page.goto("/dashboard")  # the session really ended
    expect(page).to_have_url(re.compile(r"/login\?next="))

    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    submit(page, "登录")
    expect(page).to_have_url(f"{live_server.url}/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)

    open_menu(page)
    expect(logout).to_have_text("退出登录")
    expect(nav.get_by_test_id("lang-zh_CN")).to_have_count(0)
    nav.get_by_test_id("lang-en").click()

    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}/dashboard")
    open_menu(page)
    expect(nav.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    expect(nav.get_by_test_id("lang-en")).to_have_count(0)
    expect(nav.get_by_test_id("lang-zh_CN")).to_be_visible()
    assert_no_sideways_scrolling(page)
    assert saved_language(live_server) == "en"


def test_id_number_with_wrong_check_digit_is_shown_inline(page: Page, live_server):
    page.goto("/register")
    fill_registration(page)
    page.locator("details > summary").click()
    page.locator("#id_number").fill("110105194912310021")  # ...002X would be valid
    page.locator("#consent_id_number").check()
    submit(page, "注册")

    id_number = page.locator("#id_number")
    expect(id_number).to_have_class(re.compile(r"\bis-invalid\b"))
    feedback = page.locator("#id_number ~ .invalid-feedback")
    expect(feedback).to_have_count(1)
    expect(feedback).to_be_visible()
    expect(feedback).to_have_text(re.compile(r"\S"))
    expect(page.locator(".is-invalid")).to_have_count(1)  # the only complaint

    expect(page).to_have_url(f"{live_server.url}/register")
    expect(page.locator("#email")).to_have_value(EMAIL)
    expect(page.locator("#real_name")).to_have_value(NAME)
    expect(id_number).to_have_value("110105194912310021")
    assert_no_sideways_scrolling(page)
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
