"""Issue 9's browser proof: a holder sees their plan with progress bars, completes a
course and watches the hours move; the daily tick runs; an officer records the
holder's annual appraisal and sees them on the retraining dashboard."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from lms.accounts.models import Role
from lms.domain.dates import add_months
from lms.extensions import db
from lms.i18n import local_today
from lms.retraining.tick import tick
from tests.browser.test_results_browser import DESKTOP, log_in
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.factories import make_course, make_org, make_user
from tests.retraining_factories import current_policy


def test_plan_hours_move_then_appraisal_and_dashboard(new_page, live_server):
    with live_server.app.app_context():
        org = make_org("东城区总工会")
        exam, _ = certified_exam(org)
        certificate = certificate_of(sit(exam, 5, name="孙丽华", org=org))
        today = local_today()
        start = add_months(date(today.year, today.month, 1), -6)
        certificate.valid_from = start
        certificate.expires_on = add_months(start, 36) - timedelta(days=1)
        db.session.commit()
        current_policy(certificate.level, hours_per_cycle=24, reminder_offsets=[90, 30, 7, 0])
        from lms.courses import authoring

        author = make_user(Role.TRAINER)
        course = make_course(author, code="ce-labour-2027", title="劳动合同法更新",
                             credit_hours="6", lessons=[["第一课正文"]])
        authoring.publish(course, actor=author)
        make_user(Role.OFFICER, email="officer@example.cn", name="认证官", scope=org, org=org)
        db.session.commit()
        tick(today)
        db.session.commit()
        email, serial = certificate.holder.email, certificate.serial

    # the holder sees an empty bar for the current cycle
    page = new_page()
    log_in(page, email)
    page.goto("/plan/")
    plan = page.locator(f"[data-testid=plan][data-serial='{serial}']")
    current = plan.locator(".plan-cycle-current progress")
    expect(current).to_have_attribute("value", "0")
    expect(current).to_have_attribute("max", "24")

    # completes a six-hour course
    page.goto("/courses/ce-labour-2027")
    page.get_by_role("button", name="报名学习").click()
    page.get_by_role("button", name="标记为已学，完成课程").click()
    expect(page.get_by_text(re.compile("已于 .* 完成，记入 .* 学时"))).to_be_visible()

    # and watches the hours move
    page.goto("/plan/")
    expect(plan.locator(".plan-cycle-current progress")).to_have_attribute("value", "6")
    expect(plan).to_contain_text("6")

    # the daily tick records it; the officer appraises and reads the dashboard
    with live_server.app.app_context():
        tick(local_today() + timedelta(days=1))
        db.session.commit()
    office = new_page(**DESKTOP)
    log_in(office, "officer@example.cn")
    office.goto("/retraining-admin/appraisals")
    office.get_by_role("link", name=re.compile("孙丽华")).or_(
        office.locator("tr", has_text="孙丽华").get_by_role("link").first).first.click()
    form = office.locator("[data-testid=appraisal-form]")
    form.locator("#year").fill(str(today.year))
    for part, score in (("plan", "88"), ("process", "92"), ("results", "95")):
        form.locator(f"#{part}_score").fill(score)
        form.locator(f"#{part}_comment").fill("工作扎实，成效明显。")
    form.locator("#outcome").select_option("excellent")
    form.get_by_role("button", name="保存考核").click()
    expect(office.locator(".alert-success")).to_contain_text("考核已保存")

    office.goto("/retraining-admin/")
    expect(office.locator("[data-testid=standing-counts]")).to_be_visible()
    expect(office.locator("[data-testid=hours-histogram] svg")).to_be_visible()
    expect(office.locator("[data-testid=count-good]")).to_have_text("1")

    # the holder reads the appraisal
    page.goto("/appraisals/")
    expect(page.locator("main")).to_contain_text("优秀")
