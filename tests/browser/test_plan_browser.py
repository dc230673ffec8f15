"""On a 390 px phone, a holder finds their training plan from the menu: one progress
bar per cycle (the current one highlighted), nothing wider than the screen, no inline
style the CSP would block; they make a private calendar address that a calendar app
can fetch, and read the reminder in their inbox."""

from __future__ import annotations

import re
from datetime import date, timedelta

import icalendar
from playwright.sync_api import expect

from lms.domain.dates import add_months
from lms.extensions import db
from lms.i18n import local_today
from lms.retraining import inbox
from tests.browser.test_accounts_browser import assert_no_sideways_scrolling
from tests.browser.test_results_browser import log_in
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.factories import make_org
from tests.web.test_retraining_plan import add_policy, credit, published


def test_a_holder_reads_their_plan_on_a_phone_and_subscribes(page, live_server):
    with live_server.app.app_context():
        exam, _ = certified_exam(make_org())
        certificate = certificate_of(sit(exam, 5, name="赵六平"))
        today = local_today()
        start = add_months(date(today.year, today.month, 1), -12)
        certificate.valid_from, certificate.expires_on = start, add_months(start, 36) - \
            timedelta(days=1)
        db.session.commit()
        add_policy(certificate.level_id, exam.id)
        user = certificate.holder
        credit(user, published("law-update", title="年度法律更新", hours="4"),
               start + timedelta(days=30))
        credit(user, published(hours="20"), start + timedelta(days=60))
        credit(user, published(hours="6"), today)
        inbox.post(user.id, "retraining.reminder", "学时提醒", "本周期还差18学时。", "/plan/")
        db.session.commit()
        email, serial = user.email, certificate.serial

    log_in(page, email)
    page.locator(".navbar-toggler").click()
    expect(page.locator("[data-testid=inbox-unread]")).to_have_text(re.compile(r"^1\D"))
    page.get_by_role("link", name="My training plan").or_(
        page.get_by_role("link", name="我的培训计划")).click()
    plan = page.locator(f"[data-testid=plan][data-serial='{serial}']")
    bars = plan.locator("progress.plan-progress")
    expect(bars).to_have_count(3)
    expect(plan.locator(".plan-cycle-current progress")).to_have_attribute("value", "6")
    # the bar spans the card once the style sheets have loaded (a busy machine may
    # lay the page out first without them)
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=plan] progress.plan-progress')[1]"
        ".getBoundingClientRect().width > 250")
    assert page.locator("[style]").count() == 0
    assert_no_sideways_scrolling(page)

    page.locator("[data-testid=new-feed]").click()
    address = page.locator("[data-testid=feed-url]").input_value()
    assert address.startswith("http") and address.endswith(".ics")
    fetched = page.request.get(address.replace("http://localhost", live_server.url))
    assert fetched.ok
    events = icalendar.Calendar.from_ical(fetched.body()).walk("VEVENT")
    assert any(serial in str(e["UID"]) for e in events)

    page.goto("/inbox")
    expect(page.locator("[data-testid=message][data-unread='1']")).to_contain_text("学时提醒")
    page.locator("[data-testid=open]").click()
    expect(page).to_have_url(f"{live_server.url}/plan/")
    expect(page.locator("[data-testid=inbox-unread]")).to_have_count(0)
