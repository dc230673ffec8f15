"""The exam through HTTP: booking to hand-in, statement budgets, what the browser
may receive before release, and who may touch an attempt."""

from __future__ import annotations

import contextlib
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from lms.accounts.models import User
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts
from lms.exams.models import ExamAnswer, ExamAttempt, ProctoringMode
from lms.extensions import db
from tests.conftest import count_queries, login
from tests.exam_factories import make_exam, make_session, ready_candidate, sitting_on
from tests.factories import make_user

SECRET_EXPLANATION = "解析绝密"


def begin(client, exam=None, user=None):
    """Book, check in and start through the pages, as the candidate does."""
    exam = exam or make_exam()
    session = make_session(exam)
    user = user or ready_candidate()
    login(client, user)
    response = client.post(f"/exams/sessions/{session.id}/book")
    attempt = db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.user_id == user.id))
    assert response.status_code == 302 and attempt.state == S.REGISTERED
    client.post(f"/exams/attempts/{attempt.id}/check-in", data={"code": session.access_code})
    response = client.post(f"/exams/attempts/{attempt.id}/start")
    assert response.status_code == 302
    db.session.refresh(attempt)
    assert attempt.state == S.IN_PROGRESS
    return attempt


def saves(*entries):
    return {"saves": [{"slot": slot, "seq": seq, "response": {f"s{slot}": [value]}}
                      for slot, seq, value in entries]}


@contextlib.contextmanager
def count_commits():
    commits = []
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        yield commits
    finally:
        event.remove(db.engine, "commit", listener)


def test_a_candidate_books_checks_in_answers_and_hands_in(client):
    attempt = begin(client)
    page = client.get(f"/exams/attempts/{attempt.id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.text.count('class="exam-item') == 5
    response = client.post(f"/exams/attempts/{attempt.id}/answers", json=saves((0, 1, "a")))
    assert response.status_code == 200
    assert response.json["acked"] == [{"slot": 0, "seq": 1}]
    assert 0 < response.json["remaining"] <= 30 * 60
    response = client.post(f"/exams/attempts/{attempt.id}/submit", json=saves((1, 1, "b")))
    assert response.status_code == 200 and response.json["ended"] == "submitted"
    again = client.post(f"/exams/attempts/{attempt.id}/submit", json={"saves": []})
    # idempotent; marked since the first hand-in was answered
    assert again.status_code == 200 and again.json["ended"] == "submitted"
    assert again.json["state"] == "graded"
    stored = {a.slot: a.response for a in db.session.scalars(sa.select(ExamAnswer))}
    assert stored == {0: {"s0": ["a"]}, 1: {"s1": ["b"]}}
    late = client.post(f"/exams/attempts/{attempt.id}/answers", json=saves((2, 1, "c")))
    assert late.status_code == 409 and late.json["error"] == "finished"
    assert 'data-state="graded"' in client.get(f"/exams/attempts/{attempt.id}").text


def test_a_plain_form_post_hands_in_without_the_script(client):
    attempt = begin(client)
    response = client.post(f"/exams/attempts/{attempt.id}/submit",
                           data={"s0": "b", "s3": "a", "csrf_token": "x", "evil": "1"})
    assert response.status_code == 302
    stored = {a.slot: (a.sequence, a.response) for a in db.session.scalars(sa.select(ExamAnswer))}
    assert stored == {0: (attempts.FORM_SEQUENCE, {"s0": ["b"]}),
                      3: (attempts.FORM_SEQUENCE, {"s3": ["a"]})}


def test_ineligible_candidates_read_why(client):
    exam = make_exam()
    make_session(exam)
    login(client, make_user())
    page = client.get(f"/exams/{exam.code}").text
    assert 'data-reason="profile_incomplete"' in page
    assert "consent_needed" in page


def test_autosave_is_two_statements_and_one_commit(client):
    """The issue's budget is three; the attempt's query checks the login itself."""
    attempt = begin(client)
    body, url = saves((0, 1, "a"), (1, 1, "b"), (2, 1, "c")), f"/exams/attempts/{attempt.id}"
    with count_queries() as queries, count_commits() as commits:
        response = client.post(f"{url}/answers", json=body)
    assert response.status_code == 200
    work = [s for s in queries.statements if not s.startswith("BEGIN")]
    assert len(work) == 2, queries.statements
    assert len(commits) == 1


def test_autosave_leaves_the_session_cookie_alone_and_the_status_poll_renews_it(client):
    attempt = begin(client)
    with client.session_transaction() as session:
        session.permanent = True  # as a real log-in makes it (auth.start_session)
    url = f"/exams/attempts/{attempt.id}"
    cookie = client.application.config["SESSION_COOKIE_NAME"]
    saved = client.post(f"{url}/answers", json=saves((0, 1, "a")))
    assert saved.status_code == 200
    assert not any(h.startswith(f"{cookie}=") for h in saved.headers.getlist("Set-Cookie"))
    polled = client.get(f"{url}/status")
    assert any(h.startswith(f"{cookie}=") for h in polled.headers.getlist("Set-Cookie"))


def test_autosave_of_a_login_ended_elsewhere_is_refused_and_not_stored(client):
    """The attempt query checks the session generation as the login does: after a
    log-out on another device this cookie saves nothing."""
    attempt = begin(client)
    url = f"/exams/attempts/{attempt.id}"
    user = db.session.get(User, attempt.user_id)
    user.session_generation += 1
    db.session.commit()
    for response in (client.post(f"{url}/answers", json=saves((0, 1, "a"))),
                     client.get(f"{url}/status")):
        assert response.status_code in (302, 401), response.status_code
    assert db.session.scalars(sa.select(ExamAnswer)).all() == []


@pytest.mark.parametrize("items", [10, 100])
def test_the_exam_page_costs_the_same_statements_whatever_its_length(client, items):
    attempt = begin(client, exam=make_exam(items=items, pool=items))
    url = f"/exams/attempts/{attempt.id}"
    client.post(f"{url}/answers", json=saves((0, 1, "a")))
    with count_queries() as queries:
        page = client.get(url)
    assert page.status_code == 200 and page.text.count('class="exam-item') == items
    assert len(queries) <= 4, [s[:60] for s in queries.statements]


def test_a_second_device_is_stopped_until_the_proctor_unlocks(client, app):
    attempt = begin(client)
    second = app.test_client()
    login(second, attempt.user)
    assert second.get(f"/exams/attempts/{attempt.id}").status_code == 409
    refused = second.post(f"/exams/attempts/{attempt.id}/answers", json=saves((0, 1, "x")))
    assert refused.status_code == 409 and refused.json["error"] == "other_device"
    proctor = make_user("proctor")
    attempt.session.proctors.append(proctor)
    db.session.commit()
    desk = app.test_client()
    login(desk, proctor)
    assert desk.post(f"/proctor/attempts/{attempt.id}/unlock").status_code == 302
    assert second.get(f"/exams/attempts/{attempt.id}").status_code == 200
    assert second.post(f"/exams/attempts/{attempt.id}/answers",
                       json=saves((0, 1, "x"))).status_code == 200
    assert client.post(f"/exams/attempts/{attempt.id}/answers",
                       json=saves((0, 2, "y"))).status_code == 409


def test_json_writes_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        attempt = sitting_on(client)
        response = client.post(f"/exams/attempts/{attempt.id}/answers", json=saves((0, 1, "a")))
        assert response.status_code == 400
        page = client.get(f"/exams/attempts/{attempt.id}").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        response = client.post(f"/exams/attempts/{attempt.id}/answers", json=saves((0, 1, "a")),
                               headers={"X-CSRFToken": csrf})
        assert response.status_code == 200


def test_the_proctor_console_is_for_the_sessions_proctors(client, app):
    attempt = begin(client)
    outsider, assigned = make_user("proctor"), make_user("proctor")
    attempt.session.proctors.append(assigned)
    db.session.commit()
    desk = app.test_client()
    login(desk, outsider)
    assert desk.get(f"/proctor/sessions/{attempt.session_id}").status_code == 403
    assert desk.post(f"/proctor/attempts/{attempt.id}/terminate",
                     data={"reason": "x"}).status_code == 403
    login(desk, assigned)
    live = desk.get(f"/proctor/sessions/{attempt.session_id}/live.json").json["rows"]
    assert [(r["id"], r["state"], r["items"]) for r in live] == [(attempt.id, "in_progress", 5)]
    desk.post(f"/proctor/attempts/{attempt.id}/pause")
    status = client.get(f"/exams/attempts/{attempt.id}/status").json
    assert status["state"] == "paused"
    desk.post(f"/proctor/attempts/{attempt.id}/resume")
    desk.post(f"/proctor/attempts/{attempt.id}/extend", data={"minutes": "10"})
    assert client.get(f"/exams/attempts/{attempt.id}/status").json["remaining"] > 30 * 60


def test_a_test_centre_candidate_waits_for_admission(client, app):
    proctor = make_user("proctor")
    exam = make_exam()
    session = make_session(exam, mode=ProctoringMode.CENTRE, proctors=[proctor])
    user = ready_candidate()
    login(client, user)
    client.post(f"/exams/sessions/{session.id}/book")
    attempt = db.session.scalar(sa.select(ExamAttempt))
    client.post(f"/exams/attempts/{attempt.id}/check-in", data={"code": "abc234"})
    waiting = client.get(f"/exams/attempts/{attempt.id}").text
    assert 'name="code"' not in waiting and "data-waiting" in waiting
    desk = app.test_client()
    login(desk, proctor)
    assert 'data-state="registered"' in desk.get(f"/proctor/sessions/{session.id}").text
    desk.post(f"/proctor/attempts/{attempt.id}/admit")
    db.session.refresh(attempt)
    assert attempt.state == S.ADMITTED
    rows = desk.get(f"/proctor/sessions/{session.id}/live.json").json["rows"]
    assert [r["state"] for r in rows] == ["admitted"]


def test_a_sequential_exam_reports_a_change_to_a_closed_question(client):
    from lms.exams.models import Navigation

    attempt = begin(client, exam=make_exam(navigation=Navigation.SEQUENTIAL))
    url = f"/exams/attempts/{attempt.id}/answers"
    client.post(url, json=saves((1, 1, "a")))
    response = client.post(url, json=saves((0, 1, "b"), (1, 2, "c")))
    assert response.status_code == 200
    assert response.json["closed"] == [{"slot": 0, "seq": 1}]
    assert response.json["stale"] == []
    stored = {a.slot: a.response for a in db.session.scalars(sa.select(ExamAnswer))}
    assert stored == {1: {"s1": ["c"]}}
