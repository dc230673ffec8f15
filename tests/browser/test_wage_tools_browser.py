"""The wage calculators on a 390 px phone, with and without JavaScript."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from lms.tools.wage_calculators import CALCULATORS
from tests.browser.test_accounts_browser import assert_no_sideways_scrolling


def test_every_calculator_fits_a_phone(page: Page):
    page.goto("/tools/wages")
    assert_no_sideways_scrolling(page)
    for slug in CALCULATORS:
        page.goto(f"/tools/wages/{slug}")
        assert_no_sideways_scrolling(page)


def test_income_tax_result_and_steps_fit_a_phone(page: Page):
    """law_facts §6.3: the longest step sentence must wrap, not widen the page."""
    page.goto("/tools/wages/income-tax")
    page.locator("#month").select_option("3")
    page.locator("#cumulative_income").fill("90000")
    page.locator("#cumulative_special_deductions").fill("9000")
    page.locator("#cumulative_special_additional_deductions").fill("6000")
    page.locator("#tax_withheld_before").fill("1480")
    page.get_by_role("button", name="计算", exact=True).click()
    expect(page.locator("#result")).to_contain_text("本月应预扣预缴税额 2,000.00 元")
    assert_no_sideways_scrolling(page)


def test_picker_and_calculation_work_without_javascript(new_page, live_server):
    page = new_page(java_script_enabled=False)
    page.goto("/tools/wages/overtime")
    page.locator("#calculator-picker").select_option("damage-deduction")
    page.get_by_role("button", name="打开", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/tools/wages/damage-deduction")
    page.locator("#monthly_wage").fill("2600")
    page.locator("#local_minimum_wage").fill("2300")
    page.get_by_role("button", name="计算", exact=True).click()
    expect(page.locator("#result")).to_contain_text("本月最多可扣除 300.00 元")
    expect(page.locator("#monthly_wage")).to_have_value("2600")
