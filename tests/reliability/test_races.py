"""Races and edge timings against the live server (RELIABILITY.md L2–L9, A5, A8,
A9): the final seconds with the sweep, concurrent submits, autosave against
submit in both orders, replays, two tabs, two devices, the sweep against the
student, and a start stampede. Every request is real HTTP to gunicorn workers
running in parallel; the database decides who wins."""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta

import sqlalchemy as sa

from lms.clock import utcnow
from lms.domain import timing
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts as attempt_services
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from tests.factories import make_user
from tests.faults.harness import (
    GRACE_SECONDS,
    Candidate,
    assert_clean,
    audit_actions,
    barrier_calls,
    finalisations,
    fresh_attempt,
    in_background,
    in_parallel,
    set_time_left,
    stored_answers,
)

GRACE = timedelta(seconds=GRACE_SECONDS)


def deadline_of(attempt_id: int):
    attempt = fresh_attempt(attempt_id)
    return timing.deadline(attempt_services.clock_of(attempt), utcnow())


def answer_rows(attempt_id: int) -> str:
    """Every stored byte of an attempt's answers, to compare before and after."""
    db.session.rollback()
    rows = db.session.execute(sa.select(ExamAnswer.slot, ExamAnswer.sequence, ExamAnswer.response,
                                        ExamAnswer.saved_at)
                              .where(ExamAnswer.attempt_id == attempt_id)
                              .order_by(ExamAnswer.slot)).all()
    return json.dumps([[r[0], r[1], r[2], r[3].isoformat()] for r in rows], sort_keys=True)


def test_L2_everyone_hands_in_during_the_final_seconds_and_the_sweep_closes_the_rest(
        server, make_sitting):
    """L2 (and B12 for those who answered nothing): ten candidates; seven submit in
    the last three seconds, three walk away; the sweep at the deadline closes those."""
    sitting = make_sitting(server, candidates=10)
    people = sitting.begin(10)
    in_parallel([lambda c=c: c.save_until_acked([c.next_save(0, "early")])
                 for c in people[:8]])
    set_time_left([c.attempt_id for c in people], 3)
    deadline = deadline_of(people[0].attempt_id)
    rng = random.Random(7)

    def last_minute(candidate):
        time.sleep(rng.uniform(0, 2.8))
        return candidate.submit([candidate.next_save(1, "last")])

    submitters, walkers = people[:7], people[7:]
    responses = in_parallel([lambda c=c: last_minute(c) for c in submitters])
    assert [r.json()["ended"] for r in responses] == ["submitted"] * 7
    while utcnow() <= deadline + GRACE:
        time.sleep(0.1)
    result = _sweep()
    assert result.timed_out == 3
    for candidate in submitters:
        attempt = fresh_attempt(candidate.attempt_id)
        assert attempt.ended_as == S.SUBMITTED and attempt.finished_at <= deadline + GRACE
        assert set(stored_answers(attempt.id)) == {"0", "1"}
        assert_clean(candidate)
    for candidate in walkers:  # what they saved counts though they never came back
        attempt = fresh_attempt(candidate.attempt_id)
        assert attempt.ended_as == S.TIMED_OUT
        assert abs(attempt.finished_at - deadline) < timedelta(seconds=1)
        assert_clean(candidate)
    assert set(stored_answers(walkers[0].attempt_id)) == {"0"}
    assert stored_answers(walkers[-1].attempt_id) == {}  # B12: nothing answered, no crash


def _sweep():
    db.session.rollback()
    result = attempt_services.sweep()
    db.session.commit()
    return result


def test_L3_A8_ten_concurrent_submits_finalise_once(server, make_sitting):
    """L3 / A8: a double click times five, from two tabs; one finalisation, the rest
    are told it is handed in (idempotent) or refused — never a 500."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    alice.save_until_acked([alice.next_save(0, "a")])
    final = [alice.next_save(1, "b")]
    tabs = [alice.tab() for _ in range(10)]
    counter = iter(tabs)
    responses = barrier_calls(lambda: next(counter).submit(final), 10)
    assert {r.status_code for r in responses} <= {200, 409}
    assert all(r.json()["ended"] == "submitted" for r in responses)
    assert finalisations(alice.attempt_id) == 1
    assert audit_actions(alice.attempt_id).count("exam_attempt.submitted") == 1
    assert_clean(alice)
    assert not server.errors_logged()


def test_L4_an_autosave_in_flight_when_the_submit_lands_is_never_written_after_it(
        server, make_sitting):
    """L4, first order: the autosave is inside its request, about to write, when the
    submit arrives. Either the save is written first and is part of the hand-in, or
    it is refused; the answers never change after the hand-in."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    alice.save_until_acked([alice.next_save(0, "a")])
    late_tab = alice.tab()
    saving = in_background(lambda: late_tab.save(2, "in flight", fault="delay-answers:1.5"))
    time.sleep(0.5)  # the autosave is now inside its request
    assert alice.submit([alice.next_save(1, "b")]).json()["ended"] == "submitted"
    at_hand_in = answer_rows(alice.attempt_id)
    response = saving.result(timeout=30)
    assert response.status_code in (200, 409)
    assert answer_rows(alice.attempt_id) == at_hand_in  # no write after finalisation
    assert ("2" in stored_answers(alice.attempt_id)) == (response.status_code == 200)
    assert_clean(alice)


def test_L4_an_autosave_arriving_while_the_submit_is_in_flight_is_kept_or_refused(
        server, make_sitting):
    """L4, second order: the submit is inside its request when an autosave arrives.
    Either the save lands before the hand-in (and is in the final answers) or it is
    refused; an acknowledged save is never missing."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    other_tab = alice.tab()
    submitting = in_background(lambda: alice.submit([alice.next_save(0, "final")],
                                                    fault="delay-finalise:1.5"))
    time.sleep(0.5)
    save = other_tab.save(1, "meanwhile")
    assert submitting.result(timeout=30).json()["ended"] == "submitted"
    assert save.status_code in (200, 409)
    assert ("1" in stored_answers(alice.attempt_id)) == (save.status_code == 200)
    assert_clean(alice)


def test_L5_A5_a_replayed_autosave_after_submit_is_refused_and_changes_no_byte(server,
                                                                              make_sitting):
    """L5 / A5: captured autosave requests replayed after hand-in."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    captured = [alice.next_save(0, "a"), alice.next_save(1, "b")]
    alice.save_until_acked(captured)
    alice.submit()
    before = answer_rows(alice.attempt_id)
    newer = [{**captured[0], "seq": 99, "response": {"s0": ["changed"]}}]
    for body in (captured, newer, captured + newer):
        response = alice.send(body)
        assert response.status_code == 409 and response.json()["error"] == "finished"
    assert answer_rows(alice.attempt_id) == before
    assert_clean(alice)


def test_L6_two_tabs_keep_both_questions_and_a_stale_tab_never_overwrites(server, make_sitting):
    """L6: two tabs of one browser, each with its own sequence counter."""
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    first, second = alice, alice.tab()
    assert first.save(0, "tab one").status_code == 200
    assert second.save(1, "tab two").status_code == 200
    for value in ("x", "y", "z"):
        first.save(2, value)  # tab one is at sequence 3 of question 3
    stale = second.save(2, "stale")  # tab two still counts from 0: sequence 1
    assert stale.status_code == 200
    stored = stored_answers(alice.attempt_id)
    assert {k: v.value for k, v in stored.items()} == {
        "0": {"s0": ["tab one"]}, "1": {"s1": ["tab two"]}, "2": {"s2": ["z"]}}
    assert stale.json()["stale"] == [{"slot": 2, "seq": 1, "current": 3}]
    first.submit()
    assert_clean(alice)


def test_L7_a_second_device_is_blocked_and_logged_until_the_proctor_unlocks(server, make_sitting,
                                                                          app):
    """L7: device binding; the refusal and the unlock are audited."""
    proctor = make_user("proctor")
    sitting = make_sitting(server)
    [laptop] = sitting.begin()
    db.session.rollback()
    attempt = fresh_attempt(laptop.attempt_id)
    attempt.session.proctors.append(db.session.get(type(proctor), proctor.id))
    db.session.commit()
    laptop.save_until_acked([laptop.next_save(0, "laptop")])
    phone = Candidate(server, laptop.email, ledger=laptop.sent)
    phone.login()
    phone.attempt_id = laptop.attempt_id
    assert phone.page().status_code == 409
    refused = phone.save(1, "phone")
    assert refused.status_code == 409 and refused.json()["error"] == "other_device"
    assert "exam_attempt.device_refused" in audit_actions(laptop.attempt_id)
    desk = Candidate(server, proctor.email)
    desk.login()
    assert desk.form_post(f"/proctor/attempts/{laptop.attempt_id}/unlock").status_code == 302
    assert phone.page().status_code == 200  # the phone takes the attempt over
    phone._seq.update(laptop._seq)
    assert phone.save(1, "phone").status_code == 200
    assert laptop.save(0, "laptop again").json()["error"] == "other_device"
    assert phone.submit().json()["ended"] == "submitted"
    actions = audit_actions(laptop.attempt_id)
    assert actions.count("exam_attempt.device_unlocked") == 1
    from lms.audit.models import AuditEntry
    unlocked = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "exam_attempt.device_unlocked"))
    assert unlocked.actor_id == proctor.id
    assert_clean(laptop)


def test_L8_the_sweep_and_a_late_submit_make_one_transition(server, make_sitting):
    """L8: the sweep runs while submits are inside their requests — one within the
    grace, one already overdue — and after a candidate it closed comes back to
    submit. One transition each, the finish time right, no 500."""
    sitting = make_sitting(server, candidates=3)
    within_grace, overdue, returning = sitting.begin(3)
    for candidate in (within_grace, overdue, returning):
        candidate.save_until_acked([candidate.next_save(0, "a")])
    set_time_left([within_grace.attempt_id], -1)  # 1 s past the deadline, grace is 2 s
    set_time_left([overdue.attempt_id, returning.attempt_id], -3)  # past deadline + grace
    deadlines = {c.attempt_id: deadline_of(c.attempt_id)
                 for c in (within_grace, overdue, returning)}
    first = in_background(lambda: within_grace.submit(fault="delay-finalise:2.5"))
    second = in_background(lambda: overdue.submit(fault="delay-finalise:2.5"))
    time.sleep(1.5)  # both submits hold their attempt, about to change its state
    swept = _sweep()
    late = returning.submit([returning.next_save(1, "too late")])
    assert late.status_code in (200, 409) and late.json()["ended"] == "timed_out"
    states = {}
    for candidate, response in ((within_grace, first.result(timeout=30)),
                                (overdue, second.result(timeout=30)), (returning, late)):
        assert response.status_code in (200, 409), response.text
        attempt = fresh_attempt(candidate.attempt_id)
        assert response.json()["ended"] == attempt.ended_as  # the candidate is told the truth
        states[candidate] = attempt.ended_as
        deadline = deadlines[attempt.id]
        if attempt.ended_as == S.TIMED_OUT:
            assert abs(attempt.finished_at - deadline) < timedelta(seconds=1)
        else:
            assert attempt.ended_as == S.SUBMITTED and attempt.finished_at <= deadline + GRACE
        assert_clean(candidate)
    assert states[overdue] == states[returning] == S.TIMED_OUT
    assert 1 <= swept.timed_out <= 3  # the returning candidate's, at least
    assert "1" not in stored_answers(returning.attempt_id)
    assert not server.errors_logged()


def test_L9_A9_twenty_parallel_starts_make_one_attempt(server, make_sitting):
    """L9 / A9: one candidate, twenty tabs pressing Start at once."""
    sitting = make_sitting(server)
    alice = sitting.candidate()
    alice.login()
    alice.book(sitting.session_id)
    assert alice.check_in(sitting.code).status_code == 302
    tabs = iter([alice.tab() for _ in range(20)])
    responses = barrier_calls(lambda: next(tabs).start(), 20)
    assert {r.status_code for r in responses} == {302}
    with_device = [r for r in responses if "exam_device_" in r.headers.get("set-cookie", "")]
    assert len(with_device) == 1  # one start won and bound its device
    db.session.rollback()
    rows = db.session.scalars(sa.select(ExamAttempt)).all()
    assert [(a.id, a.state) for a in rows] == [(alice.attempt_id, S.IN_PROGRESS)]
    assert not server.errors_logged()
