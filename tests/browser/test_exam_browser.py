"""Issue 6's browser proof: a candidate sits a proctored exam in Chromium while the
network, the login and the device fail under them (RELIABILITY.md F8–F12), and a
proctor pauses, extends and unlocks from the console.

The exam's strings are not in the Chinese catalogue yet, so the page is read
through ids, data attributes and the texts the page itself carries
(``#exam-text``), never through English or guessed Chinese words. The page's
15-second status poll is driven with Playwright's clock (``clock.run_for``), so
no test waits for it in real time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.accounts.models import Role, User
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.domain.items import (
    Choice,
    EssaySpec,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    RubricCriterion,
    TrueFalseSpec,
)
from lms.exams import attempts, registration
from lms.exams.models import ExamAnswer, ExamAttempt, ExamSession, Layout
from lms.extensions import db
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import PASSWORD, make_user
from tests.practice_factories import add_question, fill_blank, make_bank, single

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
ESSAY = "工会应当依法维护职工的合法权益，组织职工参与民主管理。"

#: the paper, in order (items and options are not shuffled): slot → type
TYPES = ("single_choice", "multiple_choice", "true_false", "fill_blank", "numeric", "essay")
#: what the page posts for the answers `answer_every_type` gives
ANSWERS = {0: {"s0": ["b"]}, 1: {"s1": ["a", "b"]}, 2: {"s2": ["true"]},
           3: {"s3-1": ["上一级工会"]}, 4: {"s4": ["25"]}, 5: {"s5": [ESSAY]}}


def specs():
    return [
        single(1),
        MultipleChoiceSpec(stem="第2题：工会的基本职责包括？", points=D(2), choices=(
            Choice("a", "维护职工合法权益", D(50)), Choice("b", "组织职工参与民主管理", D(50)),
            Choice("c", "代替企业经营管理"))),
        TrueFalseSpec(stem="第3题：工会是职工自愿结合的群众组织。", points=D(1), answer=True),
        fill_blank(4),
        NumericSpec(stem="第5题：会员多少人以上的基层单位应当建立基层工会委员会？",
                    points=D(1), answers=(NumericAnswer(D(25)),), unit="人"),
        EssaySpec(stem="第6题：简述工会维护职工权益的途径。", points=D(5),
                  rubric=(RubricCriterion("c1", "要点", D(5)),)),
    ]


@dataclass
class Setup:
    exam_code: str
    session_id: int
    access_code: str
    candidate: str
    proctor: str


def make_setup(live_server, *, layout: str = "paged", consented: bool = True) -> Setup:
    """An online-proctored exam of one item of each type, an open session, a candidate."""
    with live_server.app.app_context():
        bank = make_bank()
        for spec in specs():
            add_question(bank, spec)
        exam = make_exam(
            bank=bank, layout=Layout(layout), shuffle_items=False, shuffle_options=False,
            sections=[{"key": kind, "title": kind, "count": 1, "points": "2",
                       "filter": {"banks": [bank.code], "types": [kind]}} for kind in TYPES])
        proctor = make_user(Role.PROCTOR, email="proctor@example.cn", name="监考员")
        session = make_session(exam, proctors=[proctor])
        if consented:
            ready_candidate(email="candidate@example.cn", name="考生甲")
        else:
            make_user(email="candidate@example.cn", name="考生甲",
                      id_number_encrypted=b"encrypted", photo_file="photo.jpg")
        return Setup(exam.code, session.id, session.access_code, "candidate@example.cn",
                     "proctor@example.cn")


# -- driving the pages ---------------------------------------------------------------


def log_in(page: Page, email: str, *, landing: str = r"/dashboard$") -> None:
    if "/login" not in page.url:
        page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(landing))


def accept_dialogs(page: Page) -> Page:
    """Confirm every dialog: the hand-in question and "leave with unsent answers?"."""
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def start_directly(page: Page, live_server, setup: Setup) -> int:
    """Book, check in and start through the services; the device cookie goes to the page."""
    with live_server.app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == setup.candidate))
        session = db.session.get(ExamSession, setup.session_id)
        attempt = registration.book(user, session, utcnow())
        attempts.check_in(attempt, setup.access_code, utcnow())
        token = attempts.start(attempt, utcnow())
        db.session.commit()
        attempt_id = attempt.id
    page.context.add_cookies([{
        "name": f"exam_device_{attempt_id}", "value": token, "domain": "127.0.0.1",
        "path": f"/exams/attempts/{attempt_id}", "httpOnly": True, "sameSite": "Strict"}])
    log_in(page, setup.candidate)
    page.goto(f"/exams/attempts/{attempt_id}")
    expect(page.locator("#exam")).to_be_attached()
    return attempt_id


def texts(page: Page) -> dict:
    """The page's own messages (whatever the language)."""
    return json.loads(page.locator("#exam-text").text_content())


def badge(page: Page):
    return page.locator("#exam-save")


def expect_status(page: Page, kind: str) -> None:
    expect(badge(page)).to_have_attribute("data-status", kind)
    expect(badge(page)).to_have_text(texts(page)[kind])


def show(page: Page, slot: int) -> None:
    """Bring an item into view through the navigator (paged: its page)."""
    page.locator(f'.exam-nav-item[data-goto="{slot}"]').click()
    expect(page.locator(f"#item-{slot}")).to_be_visible()


def answer(page: Page, slot: int) -> None:
    """Give item ``slot`` the answer recorded in `ANSWERS`."""
    show(page, slot)
    item = page.locator(f"#item-{slot}")
    if slot == 0:
        item.locator("input[value=b]").check()
    elif slot == 1:
        item.locator("input[value=a]").check()
        item.locator("input[value=b]").check()
    elif slot == 2:
        item.locator("input[value=true]").check()
    elif slot == 3:
        item.locator("#s3-1").fill("上一级工会")
    elif slot == 4:
        item.locator("#s4").fill("25")
    else:
        item.locator("#s5").fill(ESSAY)


def expect_filled(page: Page, slots) -> None:
    """The fields show the `ANSWERS` of ``slots`` (checked state or value)."""
    for slot in slots:
        item = page.locator(f"#item-{slot}")
        for name, values in ANSWERS[slot].items():
            fields = item.locator(f'[name="{name}"]')
            if fields.first.get_attribute("type") in ("radio", "checkbox"):
                for value in ("a", "b", "c", "true", "false"):
                    field = item.locator(f'[name="{name}"][value="{value}"]')
                    if field.count():
                        (expect(field).to_be_checked if value in values
                         else expect(field).not_to_be_checked)()
            else:
                expect(fields).to_have_value(values[0])


def local_ledger(page: Page, attempt_id: int) -> dict | None:
    return page.evaluate(f"JSON.parse(localStorage.getItem('exam:{attempt_id}'))")


def stored(live_server, attempt_id: int) -> dict[int, dict]:
    with live_server.app.app_context():
        return {a.slot: a.response for a in db.session.scalars(
            sa.select(ExamAnswer).where(ExamAnswer.attempt_id == attempt_id))}


def attempt_row(live_server, attempt_id: int) -> ExamAttempt:
    with live_server.app.app_context():
        attempt = db.session.get(ExamAttempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def move_start_back(live_server, attempt_id: int, seconds: int) -> None:
    """As if the attempt had started ``seconds`` earlier (wall time passed elsewhere)."""
    shift = timedelta(seconds=seconds)
    with live_server.app.app_context():
        attempt = db.session.get(ExamAttempt, attempt_id)
        attempt.started_at -= shift
        attempt.deadline_at -= shift
        db.session.commit()


def open_console(new_page, setup: Setup) -> Page:
    desk = new_page(**DESKTOP)
    log_in(desk, setup.proctor)
    desk.goto(f"/proctor/sessions/{setup.session_id}")
    return desk


def proctor_action(desk: Page, attempt_id: int, action: str) -> None:
    desk.locator(f'tr[data-attempt="{attempt_id}"] form[action$="/{action}"] button').click()
    expect(desk.locator(".alert-success")).to_be_visible()


def clock_seconds(page: Page) -> int:
    text = page.locator("#exam-clock").text_content()
    parts = [int(p) for p in text.split(":")]
    return sum(value * 60 ** power for power, value in enumerate(reversed(parts)))


# -- the scenarios ------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["paged", "single"])
def test_book_check_in_answer_every_type_and_reload(new_page, live_server, layout):
    setup = make_setup(live_server, layout=layout, consented=False)
    page = accept_dialogs(new_page())
    log_in(page, setup.candidate)

    # book the online session: it needs the consent to webcam pictures
    page.goto(f"/exams/{setup.exam_code}")
    row = page.locator(f'[data-session="{setup.session_id}"]')
    row.locator("input[name=consent_proctoring]").check()
    row.locator("form[action$='/book'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/exams/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])

    # check in with the session's access code (case and spaces do not matter), start
    page.locator("#code").fill(" " + setup.access_code.lower())
    page.locator("form[action$='/check-in'] button").click()
    page.locator("form[action$='/start'] button").click()
    expect(page.locator("#exam")).to_have_attribute("data-layout", layout)
    expect(page.locator(".exam-item")).to_have_count(6)
    if layout == "paged":
        expect(page.locator("#item-1")).to_be_hidden()
    else:
        expect(page.locator("#item-5")).to_be_visible()

    # "saved" only once the server has acknowledged: hold the first save
    held = []
    page.route("**/answers", lambda route: held.append(route))
    answer(page, 0)
    expect(badge(page)).to_have_attribute("data-status", "saving")
    page.wait_for_timeout(300)  # the page has every chance to claim it is saved
    assert len(held) == 1
    assert stored(live_server, attempt_id) == {}
    expect_status(page, "saving")
    held[0].continue_()
    page.unroute("**/answers")
    expect_status(page, "saved")
    assert stored(live_server, attempt_id) == {0: ANSWERS[0]}

    for slot in range(1, 6):
        answer(page, slot)
        expect_status(page, "saved")
    assert stored(live_server, attempt_id) == ANSWERS

    # mark item 3 for review; the navigator shows answered and flagged items
    show(page, 2)
    page.locator("#flag-2").check()
    nav = page.locator(".exam-nav-item")
    for slot in range(6):
        expect(nav.nth(slot)).to_have_attribute("data-answered", "true")
    expect(nav.nth(2)).to_have_attribute("data-flagged", "true")
    expect(nav.nth(0)).to_have_attribute("data-flagged", "false")
    expect(nav.nth(2)).to_have_accessible_name(re.compile(re.escape(texts(page)["nav_flagged"])))
    expect(page.locator("#exam-summary")).to_have_text(
        texts(page)["all_answered"] + " " + texts(page)["flagged"].replace("{list}", "3"))

    # the navigator by keyboard: Tab to a question's button, Enter goes to its item
    nav.nth(0).focus()
    page.keyboard.press("Tab")
    expect(nav.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#item-1 legend")).to_be_focused()
    if layout == "paged":
        expect(page.locator("#item-1")).to_be_visible()
        expect(page.locator("#item-0")).to_be_hidden()
        expect(nav.nth(1)).to_have_attribute("aria-current", "step")

    # a reload keeps everything; with this device's copy gone, the server's answers return
    page.reload()
    expect(page.locator("#flag-2")).to_be_checked()
    expect_filled(page, range(6))
    page.evaluate("localStorage.clear()")
    page.reload()
    expect_filled(page, range(6))
    expect_status(page, "saved")
    expect(nav.nth(5)).to_have_attribute("data-answered", "true")
    with live_server.app.app_context():
        assert db.session.get(ExamAttempt, attempt_id).state == S.IN_PROGRESS


def test_F8_F10_offline_answers_are_kept_and_resent_after_a_reload(new_page, live_server):
    """F8 and F10: a save fails while offline, the page is reloaded, the answers still go."""
    setup = make_setup(live_server)
    page = accept_dialogs(new_page())
    attempt_id = start_directly(page, live_server, setup)
    answer(page, 0)
    expect_status(page, "saved")

    page.context.set_offline(True)
    expect_status(page, "offline")
    answer(page, 1)
    answer(page, 4)
    expect_status(page, "offline")
    ledger = local_ledger(page, attempt_id)["slots"]
    assert ledger["1"]["response"] == ANSWERS[1] and ledger["1"]["acked"] is False
    assert ledger["4"]["acked"] is False and ledger["0"]["acked"] is True

    # back online, but the saves still fail (the server is unreachable): then a reload
    page.route("**/answers", lambda route: route.abort("connectionrefused"))
    page.context.set_offline(False)
    expect_status(page, "unsent")
    page.reload()
    expect_filled(page, (0, 1, 4))  # restored from this device, not from the server
    expect_status(page, "unsent")
    assert local_ledger(page, attempt_id)["slots"]["1"]["acked"] is False
    assert stored(live_server, attempt_id) == {0: ANSWERS[0]}

    # the server can be reached again: the restored answers are re-sent by the retry
    page.unroute("**/answers")
    expect_status(page, "saved")
    assert stored(live_server, attempt_id) == {s: ANSWERS[s] for s in (0, 1, 4)}
    assert not any(not entry["acked"] for entry in local_ledger(page, attempt_id)["slots"].values())


def test_F9_offline_across_the_deadline_the_server_closes_and_nothing_is_resent(new_page,
                                                                            live_server):
    """F9: the attempt ends on the server while the browser is away."""
    setup = make_setup(live_server)
    page = accept_dialogs(new_page())
    attempt_id = start_directly(page, live_server, setup)
    answer(page, 0)
    expect_status(page, "saved")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    page.context.set_offline(True)
    answer(page, 1)
    expect_status(page, "offline")
    move_start_back(live_server, attempt_id, 31 * 60)  # 30 minutes and the grace are over
    with live_server.app.app_context():
        assert attempts.sweep().timed_out == 1

    page.context.set_offline(False)
    notice = page.locator("#exam-notice")
    expect(notice).to_have_attribute("data-kind", "time_up")
    expect(notice).to_have_text(texts(page)["time_up"])
    expect(page.locator("[data-ended=timed_out]")).to_be_visible()  # the attempt page
    assert not [url for url in posts if url.endswith("/submit")]
    assert stored(live_server, attempt_id) == {0: ANSWERS[0]}  # what was acknowledged
    row = attempt_row(live_server, attempt_id)
    assert row.ended_as == S.TIMED_OUT and row.finished_at == row.deadline_at
    assert local_ledger(page, attempt_id) is None  # no answers left behind on the device


def test_F11_a_new_device_waits_for_the_proctor_then_resumes(new_page, live_server):
    """F11 with device binding: close the browser, open the exam elsewhere."""
    setup = make_setup(live_server)
    first = accept_dialogs(new_page())
    attempt_id = start_directly(first, live_server, setup)
    for slot in (0, 2, 3):
        answer(first, slot)
    expect_status(first, "saved")
    first.context.close()
    move_start_back(live_server, attempt_id, 10 * 60)  # ten minutes pass before they are back

    second = accept_dialogs(new_page())
    log_in(second, setup.candidate)
    response = second.goto(f"/exams/attempts/{attempt_id}")
    assert response.status == 409
    expect(second.locator("#exam")).to_have_count(0)

    desk = open_console(new_page, setup)
    proctor_action(desk, attempt_id, "unlock")

    second.reload()
    expect(second.locator("#exam")).to_be_attached()
    expect_filled(second, (0, 2, 3))
    remaining = int(second.locator("#exam").get_attribute("data-remaining"))
    assert 19 * 60 < remaining <= 20 * 60
    expect(second.locator("#exam-clock")).to_have_text(re.compile(r"^(19|20):\d\d$"))
    answer(second, 4)
    expect_status(second, "saved")
    assert stored(live_server, attempt_id) == {s: ANSWERS[s] for s in (0, 2, 3, 4)}


@pytest.mark.parametrize("back_in", ["from_the_notice", "in_the_other_tab"])
def test_F12_a_lost_login_resumes_the_same_attempt(new_page, live_server, back_in):
    """F12: logged out in another tab mid-exam; logging in again resumes the attempt.

    Logging in again elsewhere gives a new session, so the exam tab's CSRF token
    is stale: the page must say so too rather than retry for ever.
    """
    setup = make_setup(live_server)
    page = accept_dialogs(new_page())
    attempt_id = start_directly(page, live_server, setup)
    answer(page, 0)
    expect_status(page, "saved")

    other = page.context.new_page()
    other.goto("/dashboard")
    # the log-out form itself (clicking through the phone's collapsing menu raced its
    # animation on a loaded machine)
    other.locator("form[action='/logout']").evaluate("form => form.submit()")
    expect(other).to_have_url(re.compile(r"/login$"))
    if back_in == "in_the_other_tab":
        log_in(other, setup.candidate)
    other.close()

    answer(page, 1)
    notice = page.locator("#exam-notice")
    expect(notice).to_have_attribute("data-kind", "signed_out")
    expect(notice).to_contain_text(texts(page)["signed_out"])
    expect_status(page, "unsent")
    assert local_ledger(page, attempt_id)["slots"]["1"]["acked"] is False
    assert stored(live_server, attempt_id) == {0: ANSWERS[0]}
    notice.get_by_role("link", name=texts(page)["open_again"]).click()
    if back_in == "from_the_notice":
        expect(page).to_have_url(re.compile(r"/login\?next="))
        log_in(page, setup.candidate, landing=rf"/exams/attempts/{attempt_id}$")

    expect(page.locator("#exam")).to_have_attribute("data-attempt", str(attempt_id))
    expect_filled(page, (0, 1))
    expect_status(page, "saved")
    assert stored(live_server, attempt_id) == {0: ANSWERS[0], 1: ANSWERS[1]}
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ExamAttempt.id))) == 1


def test_hand_in_lists_the_unanswered_and_happens_once(new_page, live_server):
    setup = make_setup(live_server)
    page = new_page()
    attempt_id = start_directly(page, live_server, setup)
    answer(page, 0)
    answer(page, 2)
    expect_status(page, "saved")
    show(page, 5)
    summary = page.locator("#exam-summary")
    expect(summary).to_have_text(texts(page)["unanswered"].replace("{list}", "2、4、5、6"))

    # cancelling the confirmation hands nothing in
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#exam-submit").click()
    expect(page.locator("#exam-submit")).to_be_enabled()
    assert attempt_row(live_server, attempt_id).state == S.IN_PROGRESS

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#exam-submit").click()
    expect(page.locator("[data-ended=submitted]")).to_be_visible()
    first = attempt_row(live_server, attempt_id)
    assert first.ended_as == S.SUBMITTED
    assert local_ledger(page, attempt_id) is None

    # back to the exam: the page is gone; a second hand-in changes nothing
    page.go_back()
    expect(page.locator("#exam")).to_have_count(0)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    again = page.request.post(f"/exams/attempts/{attempt_id}/submit", headers={
        "X-CSRFToken": csrf, "Accept": "application/json"},
        data={"saves": [{"slot": 1, "seq": 9, "response": ANSWERS[1]}]})
    assert again.status == 200 and again.json()["ended"] == "submitted"
    assert attempt_row(live_server, attempt_id).finished_at == first.finished_at
    assert stored(live_server, attempt_id) == {0: ANSWERS[0], 2: ANSWERS[2]}
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "exam_attempt.submitted")) == 1


def test_the_proctor_pauses_resumes_and_extends(new_page, live_server):
    setup = make_setup(live_server)
    page = accept_dialogs(new_page())
    page.clock.install()  # the page's status poll is driven below, not waited for
    attempt_id = start_directly(page, live_server, setup)
    answer(page, 0)
    answer(page, 1)
    expect_status(page, "saved")

    desk = open_console(new_page, setup)
    row = desk.locator(f'tr[data-attempt="{attempt_id}"]')
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "in_progress")
    expect(row.locator('[data-field="answered"]')).to_have_text("2 / 6")
    for action, field in (("extend", "minutes"), ("terminate", "reason")):
        expect(row.locator(f'form[action$="/{action}"] input[name="{field}"]')).to_be_editable()

    # pause: within one poll the candidate sees it, cannot answer, and the clock stops
    proctor_action(desk, attempt_id, "pause")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "paused")
    page.clock.run_for(15_000)
    notice = page.locator("#exam-notice")
    expect(notice).to_have_attribute("data-kind", "paused")
    expect(notice).to_have_text(texts(page)["paused"])
    expect(page.locator("#item-1 input[value=c]")).to_be_disabled()
    page.clock.run_for(1_000)
    frozen = page.locator("#exam-clock").text_content()
    page.clock.run_for(60_000)
    expect(page.locator("#exam-clock")).to_have_text(frozen)

    # resume and add ten minutes: the next poll brings the candidate's clock along
    proctor_action(desk, attempt_id, "resume")
    proctor_action(desk, attempt_id, "extend")
    page.clock.run_for(15_000)
    expect(notice).to_be_hidden()
    expect(page.locator("#exam-clock")).to_have_text(re.compile(r"^(39|40):\d\d$"))
    assert 38 * 60 < clock_seconds(page) <= 40 * 60
    answer(page, 2)
    expect_status(page, "saved")
    row = attempt_row(live_server, attempt_id)
    assert row.extension_seconds == 600 and row.paused_at is None



def test_at_a_test_centre_the_proctor_compares_a_live_picture_and_admits(new_page,
                                                                         live_server):
    """Check-in (issue 6, item 5): the waiting page sends the fake camera's picture, the
    console shows it beside the registered photo, and the admission reaches the page."""
    import io

    from PIL import Image

    from lms.accounts import personal_data
    from lms.exams.models import ProctoringMode, Snapshot

    setup = make_setup(live_server)
    with live_server.app.app_context():
        db.session.get(ExamSession, setup.session_id).mode = ProctoringMode.CENTRE
        photo = io.BytesIO()
        Image.new("RGB", (300, 400), (90, 60, 40)).save(photo, format="JPEG")
        candidate = db.session.scalar(sa.select(User).where(User.email == setup.candidate))
        candidate.photo_file = personal_data.store_photo(photo.getvalue())
        db.session.commit()
    page = new_page()
    log_in(page, setup.candidate)
    page.goto(f"/exams/{setup.exam_code}")
    page.locator(f'[data-session="{setup.session_id}"] form[action$="/book"] '
                 'button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/exams/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    page.clock.install()  # the waiting page's timers are driven below
    page.locator("#code").fill(setup.access_code)
    page.locator("form[action$='/check-in'] button").click()
    expect(page.locator("#check-in-preview")).to_be_visible()
    with page.expect_response(re.compile(r"/check-in/picture$")) as sent:
        page.clock.run_for(2_000)
    assert sent.value.status == 201
    with live_server.app.app_context():
        snapshot_id = db.session.scalar(sa.select(Snapshot.id).where(
            Snapshot.attempt_id == attempt_id))
    assert snapshot_id is not None

    desk = open_console(new_page, setup)
    row = desk.locator(f'tr[data-attempt="{attempt_id}"]')
    expect(row.locator(".check-in-compare img")).to_have_count(2)
    live = row.locator('[data-field="live_picture"] img')
    expect(live).to_have_attribute("src", f"/proctor/snapshots/{snapshot_id}")
    # both pictures really load: the fake camera's 320×240 frame, the 300×400 photo
    sizes = row.locator(".check-in-compare img").evaluate_all(
        "(imgs) => Promise.all(imgs.map((img) => img.decode().then(() => img.naturalWidth)))")
    assert sorted(sizes) == [300, 320]
    proctor_action(desk, attempt_id, "admit")

    page.clock.run_for(5_000)  # the next status poll sees the admission and reloads
    expect(page.locator("form[action$='/start'] button")).to_be_visible()


def test_the_exam_page_sends_webcam_pictures_and_the_console_shows_the_latest(new_page,
                                                                             live_server):
    """Integrity (issue 6, item 8): with the webcam required, the exam page posts the fake
    camera's picture soon after it opens; the proctor's console shows it."""
    from lms.exams.models import Exam, Snapshot

    setup = make_setup(live_server)
    with live_server.app.app_context():
        exam = db.session.scalar(sa.select(Exam).where(Exam.code == setup.exam_code))
        exam.webcam_required, exam.snapshot_interval_seconds = True, 60
        db.session.commit()
    page = new_page()
    with page.expect_response(re.compile(r"/snapshots$"), timeout=15_000) as sent:
        attempt_id = start_directly(page, live_server, setup)
    assert sent.value.status == 201
    with live_server.app.app_context():
        snapshot_id = db.session.scalar(sa.select(Snapshot.id).where(
            Snapshot.attempt_id == attempt_id))
    desk = open_console(new_page, setup)
    picture = desk.locator(f'tr[data-attempt="{attempt_id}"] [data-field="snapshot"] img')
    expect(picture).to_have_attribute("src", f"/proctor/snapshots/{snapshot_id}")
    assert picture.evaluate("(img) => img.decode().then(() => img.naturalWidth)") == 320
