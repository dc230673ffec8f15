"""The essay-marking pages: who may open them, blindness (response bodies), save and
next, invalid marks, CSRF, claims outside the marker's reach, the exam settings."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.domain.attempt_states import AttemptState as S
from lms.exams.models import Exam, ExamAttempt
from lms.extensions import db
from lms.grading import essays
from lms.grading.models import EssayClaim, EssayMark, ItemScore
from tests.conftest import count_queries
from tests.conftest import login as login_client
from tests.exam_factories import make_session
from tests.factories import make_org, make_user
from tests.services.test_essay_marking import ESSAY_SLOT, essay_exam, handed_in

CANDIDATE_NAME = "欧阳明月"
ORG_NAME = "朝阳区第七建筑工会"
ANSWER = "工会依法参与劳动争议调解，维护职工合法权益。"
MARKS = {"m-law": "3", "m-practice": "3.5", "m-writing": "2", "c-law": "依据充分",
         "comment": "论述完整"}


def login(client, user) -> None:
    user.locale = "en"
    db.session.commit()
    login_client(client, user)


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def candidate_org(app):
    return make_org(ORG_NAME)


def blind_attempt(exam, org, **kwargs):
    attempt = handed_in(exam, org=org, text=ANSWER, **kwargs)
    user = attempt.user
    user.real_name = CANDIDATE_NAME
    user.email = f"ouyang{attempt.id}@mingyue.cn"
    user.phone = "13912345678" if hasattr(user, "phone") else None
    db.session.commit()
    return attempt


def identity_of(attempt) -> list[str]:
    user = db.session.get(ExamAttempt, attempt.id).user
    values = [CANDIDATE_NAME, user.email, ORG_NAME, "photo.jpg", "ouyang"]
    if getattr(user, "phone", None):
        values.append(user.phone)
    return values


def answer_key(client, url) -> str:
    return re.search(r'name="answer" value="([^"]+)"', page(client.get(url))).group(1)


def post_marks(client, url, data):
    """Post ``data`` from the marking page (with the answer key the page carries)."""
    return client.post(url, data={**data, "answer": answer_key(client, url)})


def claim_url(response) -> str:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert re.search(r"/marking/claims/\d+$", location), location
    return location


@pytest.mark.parametrize(("role", "status"), [
    (Role.CANDIDATE, 403), (Role.PROCTOR, 403), (Role.TRAINER, 200), (Role.OFFICER, 200),
    (Role.ADMIN, 200)])
def test_who_may_open_the_queue(client, role, status):
    login(client, make_user(role))
    assert client.get("/marking/").status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/marking/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_marking_is_blind_and_save_and_next_moves_on(client, candidate_org):
    exam = essay_exam()
    session = make_session(exam)
    first = blind_attempt(exam, candidate_org, session=session)
    second = blind_attempt(exam, candidate_org, session=session)
    secrets = identity_of(first) + identity_of(second)
    trainer = make_user(Role.TRAINER, name="阅卷老师")
    login(client, trainer)

    queue = page(client.get("/marking/"))
    assert exam.title in queue and session.title in queue
    url = claim_url(client.post("/marking/next", data={"exam_id": exam.id,
                                                       "session_id": session.id}))
    html = page(client.get(url))
    assert ANSWER in html and "论述工会在劳动争议调解中的作用" in html  # answer and stem
    assert "法律依据" in html and "RUBRICSECRET 引用第二十一条" in html  # rubric, descriptor
    code = essays.anonymous_code(first.id)
    assert code in html
    for secret in secrets:
        assert secret not in html and secret not in queue, secret
    assert 'style="' not in html and "<script>" not in html

    response = post_marks(client, url, {**MARKS, "then": "next"})
    next_url = claim_url(response)
    assert next_url != url
    row = db.session.get(ItemScore, (first.id, ESSAY_SLOT))
    assert (row.score, row.status) == (D("17.00"), "manual")
    assert db.session.get(ExamAttempt, first.id).state == S.GRADED
    mark = db.session.scalar(sa.select(EssayMark))
    assert mark.comments["law"] == "依据充分" and mark.comment == "论述完整"
    html = page(client.get(next_url))
    assert essays.anonymous_code(second.id) in html and code not in html
    for secret in secrets:
        assert secret not in html, secret
    done = post_marks(client, next_url, {**MARKS, "then": "next"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/marking/")
    assert "Nothing more is waiting" in page(client.get("/marking/"))


def test_invalid_marks_are_shown_and_nothing_is_stored(client, candidate_org):
    exam = essay_exam()
    attempt = blind_attempt(exam, candidate_org)
    login(client, make_user(Role.TRAINER))
    url = claim_url(client.post("/marking/next"))
    response = post_marks(client, url, {"m-law": "5", "m-practice": "abc", "m-writing": "",
                                        "c-law": "保留的评语"})
    html = page(response)
    assert response.status_code == 422
    assert "The mark for “法律依据” must be between 0 and 4." in html
    assert "The mark for “实践举措” must be a number" in html
    assert "Give a mark for “表达”." in html
    assert 'value="保留的评语"' in html and 'value="abc"' in html  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EssayMark)) == 0
    assert db.session.get(ItemScore, (attempt.id, ESSAY_SLOT)).status == "pending_manual"
    for secret in identity_of(attempt):
        assert secret not in html
    negative = post_marks(client, url, {"m-law": "-1", "m-practice": "1", "m-writing": "1"})
    assert negative.status_code == 422 and "between 0 and 4" in page(negative)


def test_marks_posted_from_an_outdated_page_are_not_stored(client, candidate_org):
    blind_attempt(essay_exam(), candidate_org)
    login(client, make_user(Role.TRAINER))
    url = claim_url(client.post("/marking/next"))
    response = client.post(url, data={**MARKS, "answer": "ABCDEFGH-4-first"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EssayMark)) == 0


def test_a_claim_of_another_marker_is_not_found(client, candidate_org):
    blind_attempt(essay_exam(), candidate_org)
    owner = make_user(Role.TRAINER)
    claim = essays.next_for(owner)
    db.session.commit()
    login(client, make_user(Role.TRAINER))
    assert client.get(f"/marking/claims/{claim.id}").status_code == 404
    assert client.post(f"/marking/claims/{claim.id}", data=MARKS).status_code == 404
    assert client.post(f"/marking/claims/{claim.id}/release").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EssayMark)) == 0


def test_a_claim_outside_the_markers_scope_is_not_found(client, candidate_org):
    attempt = blind_attempt(essay_exam(), candidate_org)
    elsewhere = make_org("远方工会")
    scoped = make_user(Role.TRAINER, scope=elsewhere)
    forged = EssayClaim(attempt_id=attempt.id, slot=ESSAY_SLOT, round="first",
                        marker_id=scoped.id, expires_at=essays.utcnow())
    db.session.add(forged)
    db.session.commit()
    login(client, scoped)
    assert client.get(f"/marking/claims/{forged.id}").status_code == 404
    assert client.post("/marking/next").headers["Location"].endswith("/marking/")


def test_reconciler_sees_both_marks_without_names(client, candidate_org):
    attempt = blind_attempt(essay_exam(double_marking=True), candidate_org)
    one, two = make_user(Role.TRAINER, name="甲老师"), make_user(Role.TRAINER, name="乙老师")
    for who, marks in ((one, {"law": "4", "practice": "4", "writing": "2"}),
                       (two, {"law": "0", "practice": "1", "writing": "0"})):
        claim = essays.next_for(who)
        essays.submit_mark(who, claim.id, marks, comment=f"{who.real_name}的意见")
        db.session.commit()
    login(client, make_user(Role.OFFICER))
    html = page(client.get(claim_url(client.post("/marking/next"))))
    assert "Reconciling mark" in html and "20.00 points" in html and "2.00 points" in html
    assert "甲老师的意见" in html  # the comments, not who wrote them
    assert 'data-testid="prior-marks"' in html
    for secret in identity_of(attempt):
        assert secret not in html


def test_a_second_marker_does_not_see_the_first_mark(client, candidate_org):
    blind_attempt(essay_exam(double_marking=True), candidate_org)
    first = make_user(Role.TRAINER)
    claim = essays.next_for(first)
    essays.submit_mark(first, claim.id, {"law": "1.25", "practice": "4", "writing": "2"},
                       comment="FIRST-MARKER-NOTE")
    db.session.commit()
    login(client, make_user(Role.TRAINER))
    html = page(client.get(claim_url(client.post("/marking/next"))))
    assert "FIRST-MARKER-NOTE" not in html and "1.25" not in html and "14.50" not in html
    assert 'data-testid="prior-marks"' not in html


def test_marking_forms_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        blind_attempt(essay_exam(), make_org(ORG_NAME))
        login(client, make_user(Role.TRAINER))
        assert client.post("/marking/next").status_code == 400
        html = page(client.get("/marking/"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        url = claim_url(client.post("/marking/next", data={"csrf_token": token}))
        assert client.post(url, data=MARKS).status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EssayMark)) == 0
        key = answer_key(client, url)
        assert client.post(url, data={**MARKS, "csrf_token": token,
                                      "answer": key}).status_code == 302
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EssayMark)) == 1


def test_the_queue_page_uses_the_same_queries_for_1_and_6_attempts(client, candidate_org):
    exam = essay_exam()
    session = make_session(exam)
    blind_attempt(exam, candidate_org, session=session)
    login(client, make_user(Role.TRAINER))
    client.get("/marking/")
    with count_queries() as one:
        assert client.get("/marking/").status_code == 200
    for _ in range(5):
        blind_attempt(exam, candidate_org, session=session)
    blind_attempt(essay_exam(), candidate_org)
    with count_queries() as six:
        html = page(client.get("/marking/"))
    assert html.count('data-testid="queue-row"') == 2
    assert len(one) == len(six)


def test_the_exam_settings_carry_the_marking_rules(client):
    exam = essay_exam()
    officer = make_user(Role.OFFICER)
    login(client, officer)
    html = page(client.get(f"/exam-admin/exams/{exam.id}"))
    assert 'name="double_marking"' in html and 'name="marking_tolerance_percent"' in html
    assert 'name="exclude_own_organisation"' in html
    form = {"title": exam.title, "duration_minutes": "30", "pass_percent": "60",
            "attempts_allowed": "2", "cooldown_days": "0", "navigation": "free",
            "layout": "paged", "proctoring": "online", "focus_loss_limit": "5",
            "snapshot_interval_seconds": "60", "release": "review",
            "review_options": ["score"], "double_marking": "y",
            "marking_tolerance_percent": "12.5", "exclude_own_organisation": "y"}
    assert client.post(f"/exam-admin/exams/{exam.id}", data=form).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Exam, exam.id)
    assert (saved.double_marking, saved.marking_tolerance_percent,
            saved.exclude_own_organisation) == (True, D("12.50"), True)
    wrong = client.post(f"/exam-admin/exams/{exam.id}",
                        data={**form, "marking_tolerance_percent": "150"})
    assert wrong.status_code == 200
    assert "The tolerance is a percentage from 0 to 100" in page(wrong)
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).marking_tolerance_percent == D("12.50")
    empty = {**{k: v for k, v in form.items() if k != "double_marking"},
             "marking_tolerance_percent": ""}  # a browser posts the empty field
    assert client.post(f"/exam-admin/exams/{exam.id}", data=empty).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Exam, exam.id)
    assert (saved.double_marking, saved.marking_tolerance_percent) == (False, D("10.00"))


def test_a_case_study_page_shows_the_scenario_and_its_essay_part(client, candidate_org):
    from lms.exams import attempts, registration
    from tests.exam_factories import make_exam, ready_candidate
    from tests.practice_factories import add_question, make_bank
    from tests.unit import item_samples as samples

    cases = make_bank()
    add_question(cases, samples.case_study())
    exam = make_exam(bank=cases, shuffle_items=False, sections=[
        {"key": "case", "title": "案例", "count": 1, "points": "17",
         "filter": {"banks": [cases.code]}}])
    session = make_session(exam)
    now = essays.utcnow()
    attempt = registration.book(ready_candidate(org=candidate_org, name=CANDIDATE_NAME),
                                session, now)
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    attempts.submit(attempt, token, [attempts.Save(0, 1, {
        "s0.q1": ["b"], "s0.q4": ["集体协商是工会的法定职责。"]})], now)
    db.session.commit()
    login(client, make_user(Role.TRAINER))
    url = claim_url(client.post("/marking/next"))
    html = page(client.get(url))
    assert "某公司拒绝与工会进行集体协商" in html and "集体协商是工会的法定职责。" in html
    assert 'name="m-q4-law"' in html and "Parts scored automatically" in html
    for secret in identity_of(attempt):
        assert secret not in html
    response = post_marks(client, url, {"m-q4-law": "4", "m-q4-practice": "4",
                                        "m-q4-writing": "9", "then": "queue"})
    assert response.status_code == 422
    assert "The mark for “表达” must be between 0 and 2." in page(response)
    response = post_marks(client, url, {"m-q4-law": "4", "m-q4-practice": "4",
                                        "m-q4-writing": "2", "c-q4-law": "好",
                                        "then": "queue"})
    assert response.status_code == 302
    row = db.session.get(ItemScore, (attempt.id, 0))
    assert row.status == "manual" and row.detail["parts"][3]["score"] == "10.00"
    stored = db.session.scalar(sa.select(EssayMark))
    assert stored.marks == {"q4": {"law": "4.00", "practice": "4.00", "writing": "2.00"}}
    assert stored.comments["q4"]["law"] == "好"
