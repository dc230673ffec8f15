"""Results (issue 7, item 3): the officer reviews a session's results beside the
integrity flags, releases them or invalidates an attempt; the candidate sees their
result exactly as the exam's review options allow — never more, never earlier."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts, registration
from lms.exams.models import ExamAttempt, IntegrityEvent
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from tests.conftest import count_queries, login
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_user
from tests.practice_factories import fill_bank, make_bank

KEY_MARKS = ("list-group-item-success", "correct answer", "正确答案")


def sit(session, *, right: set[int], name: str = "考生", flagged: bool = False) -> ExamAttempt:
    """A candidate books, sits and hands in through the services: slots in ``right``
    answered "b" (the key), the others "a"; marking runs after the commit."""
    now = utcnow() - timedelta(minutes=5)
    attempt = registration.book(ready_candidate(name=name), session, now)
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    db.session.commit()
    if flagged:  # one paste is a flag under the default rules
        db.session.add(IntegrityEvent(attempt_id=attempt.id, kind="paste",
                                      occurred_at=now + timedelta(minutes=1)))
    saves = [attempts.Save(slot, 1, {f"s{slot}": ["b" if slot in right else "a"]})
             for slot in range(attempt.item_count)]
    assert attempts.submit(attempt, token, saves, utcnow())
    db.session.commit()
    db.session.expire_all()
    return db.session.get(ExamAttempt, attempt.id)


@pytest.fixture
def officer(app):
    return make_user(Role.OFFICER, name="认证官")


def test_the_candidate_sees_score_sections_and_own_answers_but_not_the_key(client, officer):
    bank = make_bank()
    fill_bank(bank, 10)
    exam = make_exam(bank=bank, review_options={"score": True, "responses": True},
                     sections=[{"key": "main", "title": "单选题", "count": 5, "points": "2",
                                "min_percent": "50", "filter": {"banks": [bank.code]}}])
    session = make_session(exam)
    attempt = sit(session, right={0, 1, 2})
    login(client, officer)
    client.post(f"/results/sessions/{session.id}/release")
    login(client, attempt.user)
    page = client.get(f"/exams/attempts/{attempt.id}/result").text
    assert 'data-result="pass"' in page and "6.00" in page and "10.00" in page
    assert 'data-section="main"' in page and 'data-domain="union_law"' in page
    assert re.search(r'data-section="main">.*?50(\.0)?%.*?✓', page, re.S)  # minimum met
    assert page.count("data-review-item=") == 5
    assert page.count("badge text-bg-light border") >= 5  # "your choice" on every item
    assert not any(mark in page for mark in KEY_MARKS)
    assert "解析" not in page  # explanations are not among the review options

    # the appeal form sits under the result; an appeal filed there is listed with its status
    assert 'data-testid="appeal-form"' in page
    filed = client.post(f"/appeals/attempts/{attempt.id}", data={"slot": "3",
                                                                  "reason": "第4题答案有争议"})
    assert filed.status_code == 302
    page = client.get(f"/exams/attempts/{attempt.id}/result").text
    assert "第4题答案有争议" in page and 'data-testid="appeal-panel"' in page


def test_with_every_review_option_the_key_and_explanations_show(client, officer):
    exam = make_exam(review_options={"score": True, "responses": True, "key": True,
                                     "explanations": True})
    session = make_session(exam)
    attempt = sit(session, right={0})
    login(client, officer)
    client.post(f"/results/sessions/{session.id}/release")
    login(client, attempt.user)
    page = client.get(f"/exams/attempts/{attempt.id}/result").text
    assert 'data-result="fail"' in page
    assert page.count("list-group-item-success") == 5 and "解析" in page


def test_invalidating_needs_a_reason_and_tells_the_candidate(client, officer):
    session = make_session(make_exam())
    attempt = sit(session, right={0, 1, 2})
    login(client, officer)
    client.post(f"/results/attempts/{attempt.id}/invalidate", data={"reason": " "})
    db.session.expire_all()
    assert db.session.get(ExamAttempt, attempt.id).state == S.GRADED
    client.post(f"/results/attempts/{attempt.id}/invalidate", data={"reason": "替考"})
    db.session.expire_all()
    assert db.session.get(ExamAttempt, attempt.id).state == S.INVALIDATED
    [mail] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "result_invalidated")).all()
    assert "替考" in mail.body_text
    login(client, attempt.user)
    assert "替考" in client.get(f"/exams/attempts/{attempt.id}/result").text


def test_the_session_results_page_costs_the_same_statements_for_any_size(client, officer):
    statements = []
    for count in (2, 6):
        session = make_session(make_exam())
        for n in range(count):
            sit(session, right={0, 1}, flagged=n % 2 == 0)
        login(client, officer)
        with count_queries() as queries:
            page = client.get(f"/results/sessions/{session.id}")
        assert page.status_code == 200 and page.text.count("data-hold=") == count
        statements.append(len(queries))
    assert statements[0] == statements[1], statements
