"""Attacks on a candidate's exam and results (RELIABILITY.md A1, A2, A6, A7, A19, A26,
I1): other people's attempts are 404, the server's clock alone decides, nothing
the browser receives holds a key; moved here from tests/web."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from lms.accounts.models import Role
from lms.domain.attempt_states import AttemptState as S
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from tests.conftest import login
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_org, make_user
from tests.web.test_exam_pages import SECRET_EXPLANATION, begin, saves
from tests.web.test_results import (
    sit,
)


def test_A1_A2_another_candidate_cannot_see_save_or_submit_an_attempt(client, app):
    attempt = begin(client)
    intruder = ready_candidate()
    other = app.test_client()
    login(other, intruder)
    for method, url in (("get", ""), ("post", "/answers"), ("get", "/status"),
                        ("post", "/submit"), ("post", "/start"), ("post", "/cancel"),
                        ("post", "/check-in")):
        response = getattr(other, method)(f"/exams/attempts/{attempt.id}{url}",
                                          json=saves((0, 5, "x")))
        assert response.status_code == 404, (method, url)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAnswer)) == 0


def test_A1_a_candidate_cannot_open_anothers_result(client, officer):
    session = make_session(make_exam(review_options={"score": True}))
    attempt = sit(session, right={0})
    login(client, officer)
    client.post(f"/results/sessions/{session.id}/release")
    login(client, ready_candidate())
    assert client.get(f"/exams/attempts/{attempt.id}/result").status_code == 404


@pytest.mark.parametrize(("offset", "accepted"), [(-1, True), (0, True), ("grace", True),
                                                  ("grace+1", False)])
def test_A6_A7_the_servers_clock_alone_decides_at_the_deadline(client, app, offset, accepted):
    """Travel the server's clock to T−1 s, T, T+grace and T+grace+1 s (RELIABILITY A6)."""
    attempt = begin(client)
    grace = app.config["EXAM_SAVE_GRACE_SECONDS"]
    seconds = {"grace": grace, "grace+1": grace + 1}.get(offset, offset)
    deadline = attempt.started_at + timedelta(minutes=30)
    url = f"/exams/attempts/{attempt.id}"
    with time_machine.travel(deadline + timedelta(seconds=seconds), tick=False):
        response = client.post(f"{url}/answers", json={**saves((0, 1, "a")),
                                                       "timeup": False, "now": 0})
    stored = db.session.get(ExamAttempt, attempt.id)
    if accepted:
        assert response.status_code == 200 and stored.state == S.IN_PROGRESS
    else:
        assert response.status_code == 409 and response.json["error"] == "time_up"
        # timed out at the deadline, then auto-marked after the response
        assert stored.state == S.GRADED and stored.finished_at == deadline
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAnswer)) == 0


def test_A26_I1_nothing_the_browser_receives_holds_keys_explanations_or_scores(client):
    from tests.practice_factories import add_question, make_bank, single

    bank = make_bank()
    for n in range(1, 6):
        add_question(bank, single(n, explanation=f"{SECRET_EXPLANATION}{n}：第十一条"))
    attempt = begin(client, exam=make_exam(items=5, bank=bank))
    bodies = [client.get(f"/exams/attempts/{attempt.id}").text,
              client.post(f"/exams/attempts/{attempt.id}/answers",
                          json=saves((0, 1, "b"))).text,
              client.get(f"/exams/attempts/{attempt.id}/status").text,
              client.post(f"/exams/attempts/{attempt.id}/submit", json={"saves": []}).text,
              client.get(f"/exams/attempts/{attempt.id}").text]
    for body in bodies:
        assert SECRET_EXPLANATION not in body
        assert not re.search(r'"(weight|explanation|answer_key|key|score|correct)"\s*:', body)
        assert "weight" not in body.lower()


def test_A19_an_officer_of_another_district_cannot_see_release_or_invalidate(client):
    east, west = make_org("东城区总工会"), make_org("西城区总工会")
    exam = make_exam(organisation_id=west.id)
    session = make_session(exam)
    attempt = sit(session, right={0, 1, 2})
    login(client, make_user(Role.OFFICER, org=east, scope=east))
    assert client.get(f"/results/sessions/{session.id}").status_code == 403
    assert client.post(f"/results/sessions/{session.id}/release").status_code == 403
    assert client.post(f"/results/attempts/{attempt.id}/release").status_code == 403
    assert client.post(f"/results/attempts/{attempt.id}/invalidate",
                       data={"reason": "x"}).status_code == 403
    assert f"/results/sessions/{session.id}" not in client.get("/results").text
    db.session.expire_all()
    assert db.session.get(ExamAttempt, attempt.id).state == S.GRADED
    login(client, make_user(Role.OFFICER, org=west, scope=west))
    assert client.get(f"/results/sessions/{session.id}").status_code == 200
