"""Exam attempts on the database: booking and eligibility, check-in, the frozen
paper, autosave ordering, the deadline and the sweep, proctor actions, races."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.domain.attempt_states import IllegalTransition
from lms.exams import attempts, blueprints, registration
from lms.exams.models import ExamAnswer, ExamAttempt, ProctoringMode
from lms.extensions import db
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_course, make_user

pytestmark = pytest.mark.usefixtures("app")


def started(exam=None, session=None, user=None, now=None):
    """A booked, checked-in and started attempt, with its device token."""
    exam = exam or make_exam()
    session = session or make_session(exam)
    user = user or ready_candidate()
    now = now or utcnow()
    attempt = registration.book(user, session, now)
    attempts.check_in(attempt, session.access_code.lower(), now)
    token = attempts.start(attempt, now)
    db.session.commit()
    return attempt, token


def save(slot, seq, value):
    return attempts.Save(slot, seq, {f"s{slot}": [value]})


def codes(reasons):
    return [r.code for r in reasons]


# -- eligibility ------------------------------------------------------------------------

def test_a_candidate_is_told_every_reason_at_once():
    course = make_course(title="劳动法律法规")
    exam = make_exam(required_courses=[course.code])
    session = make_session(exam)
    user = make_user()  # no ID number, no photo, no consent
    with pytest.raises(registration.NotEligible) as refused:
        registration.book(user, session, utcnow())
    assert codes(refused.value.reasons) == ["courses_incomplete", "profile_incomplete",
                                            "consent_needed"]
    assert refused.value.reasons[0].params["courses"] == "劳动法律法规"
    assert refused.value.reasons[1].params["missing"] == ("id_number", "photo")


def test_without_image_consent_a_test_centre_session_is_the_alternative():
    exam = make_exam()
    online, centre = make_session(exam), make_session(exam, mode=ProctoringMode.CENTRE)
    user = make_user(id_number_encrypted=b"x", photo_file="p.jpg")
    assert codes(registration.reasons_for(user, online, utcnow())) == ["consent_needed"]
    assert registration.reasons_for(user, centre, utcnow()) == []


def test_full_closed_and_over_sessions_are_refused():
    exam = make_exam()
    full = make_session(exam, capacity=1)
    registration.book(ready_candidate(), full, utcnow())
    closed = make_session(exam, starts_in=60, deadline_in=-1)
    user = ready_candidate()
    assert codes(registration.reasons_for(user, full, utcnow())) == ["session_full"]
    assert codes(registration.reasons_for(user, closed, utcnow())) == ["registration_closed"]
    later = utcnow() + timedelta(days=1)
    assert "session_over" in codes(registration.reasons_for(user, full, later))


def test_one_open_booking_per_exam_and_attempts_and_cooldown_count():
    exam = make_exam(attempts_allowed=2, cooldown_days=7)
    user = ready_candidate()
    attempt, token = started(exam=exam, user=user)
    second = make_session(exam)
    assert codes(registration.reasons_for(user, second, utcnow())) == ["already_registered"]
    attempts.submit(attempt, token, [], utcnow())
    db.session.commit()
    assert codes(registration.reasons_for(user, second, utcnow())) == ["cooldown"]
    in_a_week = utcnow() + timedelta(days=7, minutes=1)
    next_month = make_session(exam, minutes=60 * 24 * 30, deadline_in=60 * 24 * 29)
    assert registration.reasons_for(user, next_month, in_a_week) == []


def test_the_database_refuses_a_second_open_attempt_even_past_the_checks():
    exam = make_exam()
    session = make_session(exam)
    user = ready_candidate()
    registration.book(user, session, utcnow())
    db.session.commit()
    db.session.add(ExamAttempt(exam_id=exam.id, session_id=session.id, user_id=user.id,
                               number=2, seed=1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


# -- check-in and the paper --------------------------------------------------------------

def test_check_in_needs_the_current_code_and_a_centre_waits_for_the_proctor():
    exam = make_exam()
    proctor = make_user("proctor")
    centre = make_session(exam, mode=ProctoringMode.CENTRE, proctors=[proctor])
    attempt = registration.book(ready_candidate(), centre, utcnow())
    with pytest.raises(attempts.AttemptRefused) as refused:
        attempts.check_in(attempt, "WRONG1", utcnow())
    assert refused.value.code == "wrong_code"
    assert attempts.check_in(attempt, " abc 234 ", utcnow()) == S.REGISTERED
    assert attempt.checked_in_at is not None
    attempts.admit(attempt, proctor, utcnow())
    db.session.commit()
    assert attempt.state == S.ADMITTED and attempt.admitted_by_id == proctor.id


def test_a_section_with_too_few_approved_items_is_reported():
    exam = make_exam(items=5, pool=3)
    assert blueprints.shortages(exam) == [("main", 3, 5)]


def test_accommodations_add_time_to_the_clock():
    exam = make_exam(duration_minutes=60)
    user = ready_candidate()
    officer = make_user("officer")
    registration.grant_accommodation(officer, [user], exam, extra_percent=25, extra_minutes=5)
    attempt, _ = started(exam=exam, user=user)
    assert attempt.allowance_seconds == (15 + 5) * 60
    assert attempts.remaining_seconds(attempt, attempt.started_at) == 80 * 60
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "exam_accommodation.granted")) is not None


# -- autosave ---------------------------------------------------------------------------

def test_only_a_higher_sequence_replaces_an_answer():
    attempt, token = started()
    now = utcnow()
    attempts.save_answers(attempt, token, [save(0, 2, "b")], now)
    attempts.save_answers(attempt, token, [save(0, 1, "a")], now)  # late, older
    attempts.save_answers(attempt, token, [save(0, 2, "a")], now)  # a retry of seq 2
    attempts.save_answers(attempt, token, [save(1, 1, "c"), save(1, 3, "d"), save(1, 2, "e")],
                          now)
    db.session.commit()
    stored = {a.slot: (a.sequence, a.response) for a in db.session.scalars(sa.select(ExamAnswer))}
    assert stored == {0: (2, {"s0": ["b"]}), 1: (3, {"s1": ["d"]})}


def test_saves_from_another_device_or_after_submit_are_refused():
    attempt, token = started()
    with pytest.raises(attempts.AttemptRefused) as refused:
        attempts.save_answers(attempt, "stolen", [save(0, 1, "a")], utcnow())
    assert refused.value.code == "other_device"
    assert attempts.submit(attempt, token, [save(0, 1, "a")], utcnow()) is True
    db.session.commit()
    assert attempts.submit(attempt, token, [], utcnow()) is False  # idempotent
    with pytest.raises(attempts.AttemptRefused) as refused:
        attempts.save_answers(attempt, token, [save(0, 2, "b")], utcnow())
    assert refused.value.code == "finished"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "exam_attempt.submitted")) == 1


@pytest.mark.parametrize("bad", [
    [{"slot": 5, "seq": 1, "response": {}}],  # the paper has slots 0–4
    [{"slot": 0, "seq": 0, "response": {}}],
    [{"slot": 0, "seq": 2**52 + 1, "response": {}}],  # above the form hand-in
    [{"slot": 0, "seq": 1, "response": {"s0": "a"}}],
    [{"slot": True, "seq": 1, "response": {}}],
    [{"slot": 0, "seq": 1, "response": {"s0": ["x" * 20_001]}}],
    "not a list",
])
def test_malformed_saves_are_refused_whole(bad):
    with pytest.raises(attempts.BadSave):
        attempts.parse_saves(bad, 5)


# -- the clock ----------------------------------------------------------------------------

def test_saves_count_until_deadline_plus_grace_and_the_attempt_then_times_out(app):
    attempt, token = started()
    deadline = attempt.started_at + timedelta(minutes=30)
    grace = timedelta(seconds=app.config["EXAM_SAVE_GRACE_SECONDS"])
    for moment in (deadline - timedelta(seconds=1), deadline, deadline + grace):
        attempts.save_answers(attempt, token, [save(0, 1, "a")], moment)
    assert attempts.check_deadline(attempt, deadline + grace) is False
    late = deadline + grace + timedelta(seconds=1)
    with pytest.raises(attempts.AttemptRefused) as refused:
        attempts.save_answers(attempt, token, [save(0, 2, "b")], late)
    assert refused.value.code == "time_up"
    assert attempts.check_deadline(attempt, late) is True
    # timed out at the deadline, then auto-marked once that committed
    assert attempt.state == S.GRADED and attempt.finished_at == deadline


def test_the_sweep_times_out_abandoned_attempts_once_and_cancels_no_shows(app):
    attempt, _ = started()
    exam = attempt.exam
    booked = registration.book(ready_candidate(), make_session(exam, minutes=10), utcnow())
    db.session.commit()
    later = attempt.started_at + timedelta(minutes=31)
    result = attempts.sweep(later)
    assert (result.timed_out, result.cancelled) == (1, 1)
    assert attempts.sweep(later) == attempts.SweepResult(0, 0)
    db.session.refresh(attempt)
    db.session.refresh(booked)
    assert attempt.state == S.GRADED and booked.state == S.CANCELLED  # timed out, then marked


def test_pause_stops_the_clock_and_extensions_add_exactly_their_minutes():
    attempt, token = started()
    proctor = make_user("proctor")
    start = attempt.started_at
    attempts.pause(attempt, proctor, start + timedelta(minutes=10))
    db.session.commit()
    assert attempts.remaining_seconds(attempt, start + timedelta(minutes=25)) == 20 * 60
    with pytest.raises(attempts.AttemptRefused) as refused:
        attempts.save_answers(attempt, token, [save(0, 1, "a")], start + timedelta(minutes=11))
    assert refused.value.code == "paused"
    with pytest.raises(attempts.AttemptRefused) as refused:
        attempts.submit(attempt, token, [], start + timedelta(minutes=12))
    assert refused.value.code == "paused"
    attempts.resume(attempt, proctor, start + timedelta(minutes=25))
    attempts.extend(attempt, proctor, 5, start + timedelta(minutes=26))
    db.session.commit()
    assert attempt.deadline_at == start + timedelta(minutes=30 + 15 + 5)
    assert attempts.remaining_seconds(attempt, start + timedelta(minutes=26)) == 24 * 60
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"exam_attempt.paused", "exam_attempt.resumed", "exam_attempt.extended"} <= actions


def test_a_stale_transition_loses_the_race():
    attempt, _ = started()
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id)
                       .values(state=S.TERMINATED)  # the proctor, in another request
                       .execution_options(synchronize_session=False))
    db.session.commit()
    stale = db.session.get(ExamAttempt, attempt.id)
    set_committed_value(stale, "state", S.IN_PROGRESS)  # what the candidate's request read
    with pytest.raises(attempts.AttemptConflict):
        attempts.apply(stale, attempts.E.SUBMIT, finished_at=utcnow())
    fresh = db.session.get(ExamAttempt, attempt.id)
    assert fresh.state == S.TERMINATED
    with pytest.raises(IllegalTransition):
        attempts.apply(fresh, attempts.E.SUBMIT)


@pytest.mark.parametrize(("change", "refusal"), [
    ({"state": S.TERMINATED}, "finished"),
    ({"state": S.PAUSED}, "paused"),
    ({"device_digest": attempts.device_digest("another device")}, "other_device"),
])
def test_a_save_checked_against_an_attempt_that_changed_meanwhile_writes_nothing(
        change, refusal):
    """The autosave reads the attempt before SQLite's write lock is taken (its upsert
    takes it): a proctor's or a hand-in's change committed in between must be seen by
    the upsert itself, and the save refused as if it had come after."""
    attempt, token = started()
    read = {column: getattr(attempt, column) for column in change}
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id)
                       .values(**change).execution_options(synchronize_session=False))
    db.session.commit()
    stale = db.session.get(ExamAttempt, attempt.id)
    for column, value in read.items():  # what the candidate's request read
        set_committed_value(stale, column, value)
    with pytest.raises(attempts.AttemptRefused) as refused:
        attempts.save_answers(stale, token, [save(0, 1, "a")], utcnow())
    assert refused.value.code == refusal
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAnswer)) == 0


def test_a_sequential_save_read_before_the_candidate_moved_on_is_closed():
    from lms.exams.models import Navigation

    attempt, token = started(exam=make_exam(navigation=Navigation.SEQUENTIAL))
    attempts.save_answers(attempt, token, [save(3, 1, "d")], utcnow())  # another tab
    db.session.commit()
    stale = db.session.get(ExamAttempt, attempt.id)
    set_committed_value(stale, "furthest_slot", 0)
    late = attempts.save_answers(stale, token, [save(1, 1, "b")], utcnow())
    db.session.commit()
    assert [(s.slot, s.closed) for s in late] == [(1, True)]
    assert {a.slot for a in db.session.scalars(sa.select(ExamAnswer))} == {3}
    assert db.session.get(ExamAttempt, attempt.id).furthest_slot == 3


def test_an_unlocked_attempt_moves_to_the_next_device():
    attempt, token = started()
    proctor = make_user("proctor")
    assert attempts.claim_device(attempt) is None  # still held by the first device
    attempts.unlock_device(attempt, proctor)
    new_token = attempts.claim_device(attempt)
    db.session.commit()
    assert new_token and new_token != token
    attempts.save_answers(attempt, new_token, [save(0, 1, "a")], utcnow())
    with pytest.raises(attempts.AttemptRefused):
        attempts.save_answers(attempt, token, [save(0, 2, "b")], utcnow())


def test_a_sequential_exam_closes_the_questions_a_candidate_has_moved_past():
    from lms.exams.models import Navigation

    attempt, token = started(exam=make_exam(navigation=Navigation.SEQUENTIAL))
    assert attempt.sequential
    now = utcnow()
    assert attempts.save_answers(attempt, token, [save(0, 1, "a"), save(2, 1, "c")], now) == []
    db.session.commit()
    assert attempt.furthest_slot == 2
    late = attempts.save_answers(attempt, token, [save(0, 2, "b"), save(2, 2, "d")], now)
    db.session.commit()
    assert [(s.slot, s.closed) for s in late] == [(0, True)]
    stored = {a.slot: a.response for a in db.session.scalars(sa.select(ExamAnswer))}
    assert stored == {0: {"s0": ["a"]}, 2: {"s2": ["d"]}}  # slot 0 kept its answer


def test_free_navigation_lets_the_candidate_go_back():
    attempt, token = started()
    now = utcnow()
    attempts.save_answers(attempt, token, [save(3, 1, "a")], now)
    assert attempts.save_answers(attempt, token, [save(0, 1, "b")], now) == []
    db.session.commit()
    assert not attempt.sequential and attempt.furthest_slot == 0


def test_extra_time_for_a_group_reads_its_existing_grants_in_one_query():
    from tests.conftest import count_queries

    exam = make_exam()
    officer = make_user("officer")

    def selects_for(size):
        people = [make_user() for _ in range(size)]
        registration.grant_accommodation(officer, people[:1], exam, extra_minutes=5)
        for person in people:  # loaded, as the organisation's query hands them over
            db.session.refresh(person)
        with count_queries() as queries:
            registration.grant_accommodation(officer, people, exam, extra_percent=10)
        db.session.commit()
        return sum(s.lstrip().upper().startswith("SELECT") for s in queries.statements)

    assert selects_for(3) == selects_for(12)
    rows = db.session.scalars(sa.select(registration.Accommodation)).all()
    assert len(rows) == 15 and {r.extra_percent for r in rows} == {10}
