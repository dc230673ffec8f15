"""Bad input and attacks on the exam endpoints of the live server, with CSRF on
(RELIABILITY.md B1, B3, B4, B6, B12 and A3, A4, A6, A7, A10): each is refused
with a 4xx — never a 500 — and leaves the answers as they were."""

from __future__ import annotations

import json

import sqlalchemy as sa

from lms.domain.attempt_states import AttemptState as S
from lms.extensions import db
from tests.factories import make_user
from tests.faults.harness import (
    Candidate,
    assert_clean,
    finalisations,
    fresh_attempt,
    set_time_left,
    stored_answers,
)
from tests.reliability.test_races import _sweep, answer_rows, deadline_of


def raw_post(candidate: Candidate, path: str, content: bytes, **headers):
    return candidate.http.post(path, content=content, headers={
        "X-CSRFToken": candidate.csrf, "Content-Type": "application/json", **headers})


def test_B1_A24_oversized_and_deeply_nested_answers_are_refused_and_the_answer_kept(server,
                                                                             make_sitting):
    """B1 / A24: a 10 MB essay, 10^5 fields, JSON nested 10^4 deep, 30 MB of body."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    alice.save_until_acked([alice.next_save(0, "keep me")])
    before = answer_rows(alice.attempt_id)
    url = f"{alice.attempt_url}/answers"
    essay = {"saves": [{"slot": 0, "seq": 50, "response": {"s0": ["x" * 10_000_000]}}]}
    fields = {"saves": [{"slot": 0, "seq": 51,
                         "response": {f"s0-{n}": ["x"] for n in range(100_000)}}]}
    deep = b'{"saves": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    many = {"saves": [{"slot": 0, "seq": n, "response": {"s0": ["y"]}}
                      for n in range(100, 100_100)]}
    for body in (json.dumps(essay).encode(), json.dumps(fields).encode(), deep,
                 json.dumps(many).encode()):
        for path in (url, f"{alice.attempt_url}/submit"):
            response = raw_post(alice, path, body)
            assert response.status_code == 400, (path, len(body), response.status_code)
            assert response.json()["error"] == "bad_save"
    huge = b'{"saves": [], "pad": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    assert raw_post(alice, url, huge).status_code == 413
    assert answer_rows(alice.attempt_id) == before
    assert fresh_attempt(alice.attempt_id).state == S.IN_PROGRESS
    assert not server.errors_logged()


def test_B3_A3_a_slot_not_on_the_paper_is_refused_whole(server, make_sitting):
    """B3 / A3: the paper has slots 0–4; nothing of the request is stored."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    for slot in (5, -1, 10**6, 2**63, "0", 1.5, None, True):
        body = [alice.next_save(1, "fine"), {"slot": slot, "seq": 1, "response": {"s0": ["x"]}}]
        response = alice.send(body)
        assert response.status_code == 400, slot
        assert response.json() == {"error": "bad_save", "index": 1, "reason": "slot"}
        assert alice.submit(body).status_code == 400
    assert stored_answers(alice.attempt_id) == {}
    assert fresh_attempt(alice.attempt_id).state == S.IN_PROGRESS
    assert_clean(alice, finalised=False)


def test_B4_odd_ids_in_paths_are_not_found_never_a_crash(server, make_sitting):
    """B4: negative, zero, huge and non-numeric ids on every exam URL."""
    proctor = make_user("proctor")
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    desk = Candidate(server, proctor.email)
    desk.login()
    ids = ["-1", "0", "99999999999999999999999", str(2**63), str(2**63 - 1), str(2**31),
           str(2**31 - 1), "abc", "1e3", "%20", "1.0"]
    for bad in ids:
        for who, method, path in (
                (alice, "get", f"/exams/attempts/{bad}"),
                (alice, "get", f"/exams/attempts/{bad}/status"),
                (alice, "post", f"/exams/attempts/{bad}/answers"),
                (alice, "post", f"/exams/attempts/{bad}/submit"),
                (alice, "post", f"/exams/attempts/{bad}/start"),
                (alice, "post", f"/exams/attempts/{bad}/check-in"),
                (alice, "post", f"/exams/attempts/{bad}/cancel"),
                (alice, "post", f"/exams/sessions/{bad}/book"),
                (desk, "get", f"/proctor/sessions/{bad}"),
                (desk, "get", f"/proctor/sessions/{bad}/live.json"),
                (desk, "post", f"/proctor/sessions/{bad}/rotate-code"),
                (desk, "post", f"/proctor/attempts/{bad}/terminate")):
            if method == "get":
                response = who.http.get(path)
            else:
                response = who.http.post(path, data={"csrf_token": who.csrf},
                                         headers={"X-CSRFToken": who.csrf})
            assert response.status_code == 404, (path, response.status_code)
    assert not server.errors_logged()


def proctor_of(attempt_id: int, proctor) -> None:
    """Assign ``proctor`` to the session of the attempt."""
    db.session.rollback()
    session = fresh_attempt(attempt_id).session  # held: the session is weakly referenced
    session.proctors.append(db.session.merge(proctor))
    db.session.commit()


def test_B6_A10_every_exam_post_needs_the_csrf_token_of_its_own_session(server, make_sitting):
    """B6 / A10: no token, or another candidate's token, on every form and JSON
    endpoint of the exam and the proctor's console: 400, and nothing changes."""
    proctor = make_user("proctor")
    sitting = make_sitting(server, candidates=3)
    alice, bob = sitting.begin(2)
    proctor_of(alice.attempt_id, proctor)
    alice.save_until_acked([alice.next_save(0, "a")])
    carol = sitting.candidate()
    carol.login()  # booked nothing yet
    desk = Candidate(server, proctor.email)
    desk.login()
    before = answer_rows(alice.attempt_id)
    a = alice.attempt_url
    forms = [(alice, f"/exams/sessions/{sitting.session_id}/book"),
             (carol, f"/exams/sessions/{sitting.session_id}/book"),
             (alice, f"{a}/cancel"), (alice, f"{a}/check-in"), (alice, f"{a}/start"),
             (alice, f"{a}/submit"), (desk, f"/proctor/sessions/{sitting.session_id}/rotate-code")]
    forms += [(desk, f"/proctor/attempts/{alice.attempt_id}/{action}")
              for action in ("admit", "reject", "pause", "resume", "extend", "terminate",
                             "unlock")]
    for token in (None, bob.csrf):  # missing, or valid for another session
        for who, path in forms:
            data = {"code": sitting.code, "reason": "x", "minutes": "10", "s0": "b"}
            if token:
                data["csrf_token"] = token
            response = who.http.post(path, data=data)
            assert response.status_code == 400, (path, token, response.status_code)
        for path in (f"{a}/answers", f"{a}/submit"):
            body = {"saves": [{"slot": 0, "seq": 9, "response": {"s0": ["forged"]}}]}
            headers = {"X-CSRFToken": token} if token else {}
            response = alice.http.post(path, json=body, headers=headers)
            assert response.status_code == 400, (path, token)
    assert answer_rows(alice.attempt_id) == before
    assert fresh_attempt(alice.attempt_id).state == S.IN_PROGRESS
    assert fresh_attempt(alice.attempt_id).device_digest is not None
    assert finalisations(alice.attempt_id) == 0
    db.session.rollback()
    from lms.exams.models import ExamAttempt
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAttempt)) == 2
    assert alice.save(0, "with the token").status_code == 200  # the real thing still works


def test_B12_an_empty_exam_at_the_deadline_is_handed_in_with_nothing_answered(server,
                                                                         make_sitting):
    """B12: one candidate hands in a blank exam in the grace, one leaves it blank;
    both close, nothing crashes, the console shows 0 answered."""
    proctor = make_user("proctor")
    sitting = make_sitting(server, candidates=2)
    blank, gone = sitting.begin(2)
    proctor_of(blank.attempt_id, proctor)
    set_time_left([blank.attempt_id], -1)  # in the grace
    set_time_left([gone.attempt_id], -3)
    response = blank.submit()
    assert response.status_code == 200 and response.json()["ended"] == "submitted"
    assert _sweep().timed_out == 1
    for candidate, ending in ((blank, S.SUBMITTED), (gone, S.TIMED_OUT)):
        attempt = fresh_attempt(candidate.attempt_id)
        assert attempt.ended_as == ending and stored_answers(attempt.id) == {}
        assert_clean(candidate)
        assert candidate.page().status_code == 200
    desk = Candidate(server, proctor.email)
    desk.login()
    rows = desk.http.get(f"/proctor/sessions/{sitting.session_id}/live.json").json()["rows"]
    assert sorted((r["ended"], r["answered"]) for r in rows) == [("submitted", 0),
                                                                ("timed_out", 0)]
    assert not server.errors_logged()


def test_A4_extra_fields_cannot_set_state_score_deadline_or_owner(server, make_sitting):
    """A4: mass assignment on autosave and submit; only the answers are taken."""
    sitting = make_sitting(server, candidates=2)
    alice, bob = sitting.begin(2)
    before = fresh_attempt(alice.attempt_id)
    clock = (before.started_at, before.duration_seconds, before.deadline_at, before.user_id)
    forged = {"state": "submitted", "score": 100, "deadline_at": "2099-01-01T00:00:00Z",
              "user_id": bob.attempt_id, "attempt_id": bob.attempt_id, "remaining": 99999,
              "duration_seconds": 999999, "extension_seconds": 99999}
    save = {**alice.next_save(0, "a"), **forged}
    response = alice.json_post(f"{alice.attempt_url}/answers", {"saves": [save], **forged})
    assert response.status_code == 200
    assert response.json()["remaining"] <= 30 * 60  # A7: the server's clock, not the body's
    alice._record([save], {(0, save["seq"])})
    after = fresh_attempt(alice.attempt_id)
    assert (after.state, after.started_at, after.duration_seconds, after.deadline_at,
            after.user_id, after.extension_seconds) == (S.IN_PROGRESS, *clock[:3], clock[3], 0)
    assert after.max_score == before.max_score
    assert {k: v.value for k, v in stored_answers(alice.attempt_id).items()} == {
        "0": {"s0": ["a"]}}
    assert stored_answers(bob.attempt_id) == {}
    assert alice.submit().json()["ended"] == "submitted"
    assert_clean(alice)


def test_A6_A7_after_deadline_and_grace_forged_client_time_changes_nothing(server, make_sitting):
    """A6 / A7: a save and a submit one second past deadline + grace, claiming an
    earlier client time, a 'timeup' flag and a longer clock; refused, and the
    attempt closes at its deadline."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    alice.save_until_acked([alice.next_save(0, "in time")])
    set_time_left([alice.attempt_id], -3)  # deadline + 2 s grace + 1 s
    deadline = deadline_of(alice.attempt_id)
    lies = {"client_time": "2020-01-01T00:00:00Z", "timeup": 0, "remaining": 3600,
            "now": "2020-01-01T00:00:00Z"}
    save = alice.next_save(1, "too late")
    response = alice.json_post(f"{alice.attempt_url}/answers", {"saves": [save], **lies},
                               headers={"Date": "Wed, 01 Jan 2020 00:00:00 GMT"})
    assert response.status_code == 409 and response.json()["error"] == "time_up"
    alice._record([save], set())
    late = alice.submit([alice.next_save(2, "too late")])
    assert late.json()["ended"] == "timed_out"
    attempt = fresh_attempt(alice.attempt_id)
    assert attempt.ended_as == S.TIMED_OUT and attempt.finished_at == deadline
    assert set(stored_answers(alice.attempt_id)) == {"0"}
    assert_clean(alice)
    page = alice.page().text
    assert 'data-ended="timed_out"' in page
