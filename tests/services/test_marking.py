"""Auto-marking on the database: a hand-in, a time-out and a termination are marked
through the real services; marking is idempotent, set-based and race-safe; essays
leave the attempt waiting; immediate release; a lost task is caught by the sweep."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts, registration
from lms.exams.models import ExamAttempt, Release
from lms.extensions import db
from lms.grading import marking
from lms.grading.models import ExamResult, ItemScore
from tests.conftest import count_queries
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_user
from tests.practice_factories import add_question, fill_bank, make_bank
from tests.unit import item_samples as samples

pytestmark = pytest.mark.usefixtures("app")


def started(exam=None, now=None):
    exam = exam or make_exam()
    session = make_session(exam)
    now = now or utcnow()
    attempt = registration.book(ready_candidate(), session, now)
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    db.session.commit()
    return attempt, token


def answers(attempt, pick):
    """Saves answering every slot with ``pick(slot, spec_key)``: "b" is right for these banks."""
    return [attempts.Save(slot, 1, {f"s{slot}": [pick(slot)]}) for slot in
            range(attempt.item_count)]


def result_of(attempt_id):
    db.session.expire_all()
    return db.session.get(ExamResult, attempt_id)


def scores_of(attempt_id):
    return db.session.scalars(sa.select(ItemScore).where(ItemScore.attempt_id == attempt_id)
                              .order_by(ItemScore.slot)).all()


def audited(action):
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == action))


def finish_quietly(attempt, state=S.SUBMITTED):
    """Finish an attempt without the marking task (as if the task were lost)."""
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id)
                       .values(state=state, finished_at=utcnow()))
    db.session.commit()


def test_a_hand_in_is_marked_at_once():
    attempt, token = started()  # 5 single-choice items worth 2 each (written for 1)
    right = {0, 1, 3}
    assert attempts.submit(attempt, token, answers(attempt, lambda s: "b" if s in right else "a"),
                           utcnow())
    db.session.commit()
    result = result_of(attempt.id)
    assert (result.score, result.max_score, result.percent) == (D(6), D(10), D(60))
    assert result.passed is True and result.pending_manual == 0
    assert result.graded_at is not None
    assert result.section_scores == [{"key": "main", "score": "6.00", "max": "10.00",
                                      "min_percent": None, "met": True, "pending": 0}]
    rows = scores_of(attempt.id)
    paper = attempt.paper["items"]
    assert [(r.slot, r.score, r.status) for r in rows] == [
        (s, D(2) if s in right else D(0), "auto") for s in range(5)]
    assert [(r.question_id, r.version_id, r.section, r.points) for r in rows] == [
        (i["question_id"], i["version_id"], "main", D(2)) for i in paper]
    assert rows[0].detail["parts"][0]["key"] == "b"
    assert attempt.state == S.GRADED  # the review release waits for an officer
    assert audited("exam_attempt.marked") == 1


def test_marking_twice_changes_nothing():
    attempt, token = started()
    attempts.submit(attempt, token, answers(attempt, lambda s: "b"), utcnow())
    db.session.commit()
    before = [(r.slot, r.score, r.marked_at) for r in scores_of(attempt.id)]
    assert marking.mark_attempt(attempt.id) is None
    assert marking.mark_pending() == []
    db.session.commit()
    assert [(r.slot, r.score, r.marked_at) for r in scores_of(attempt.id)] == before
    assert audited("exam_attempt.marked") == 1
    assert result_of(attempt.id).revision == 1


def test_two_concurrent_markings_write_one_set_of_rows(app, monkeypatch):
    """The second marker read the attempt as unmarked, then lost the claim."""
    attempt, _ = started()
    finish_quietly(attempt)
    claim = marking._claim
    raced = []

    def racing_claim(grades, now):
        if not raced:
            raced.append(1)
            with app.app_context():  # another worker, with a session of its own
                assert marking.mark_attempt(attempt.id) is not None
                db.session.commit()
        return claim(grades, now)

    monkeypatch.setattr(marking, "_claim", racing_claim)
    assert marking.mark_attempt(attempt.id) is None  # lost: writes nothing
    db.session.commit()
    assert len(scores_of(attempt.id)) == attempt.item_count
    assert audited("exam_attempt.marked") == 1
    assert db.session.get(ExamAttempt, attempt.id).state == S.GRADED


def test_a_time_out_found_by_the_sweep_is_marked():
    attempt, token = started()
    attempts.save_answers(attempt, token, [attempts.Save(0, 1, {"s0": ["b"]})], utcnow())
    db.session.commit()
    result = attempts.sweep(attempt.started_at + timedelta(minutes=31))
    assert result.timed_out == 1
    marked = result_of(attempt.id)
    assert (marked.score, marked.passed) == (D(2), False)
    rows = scores_of(attempt.id)
    assert rows[0].score == D(2)
    assert [r.detail["reason"] for r in rows[1:]] == ["unanswered"] * 4
    assert db.session.get(ExamAttempt, attempt.id).state == S.GRADED


def test_a_terminated_attempt_is_marked():
    attempt, token = started()
    attempts.save_answers(attempt, token, answers(attempt, lambda s: "b"), utcnow())
    attempts.terminate(attempt, make_user(), "使用手机", utcnow())
    db.session.commit()
    assert result_of(attempt.id).score == D(10)
    assert db.session.get(ExamAttempt, attempt.id).state == S.GRADED


def test_a_lost_marking_task_is_caught_by_the_sweep():
    first, _ = started()
    exam = first.exam
    second, _ = started(exam)
    finish_quietly(first)
    finish_quietly(second, S.TERMINATED)
    assert result_of(first.id) is None
    result = attempts.sweep()
    assert (result.timed_out, result.cancelled, result.marked) == (0, 0, 2)
    assert result_of(first.id).score == D(0) and result_of(second.id) is not None
    assert attempts.sweep().marked == 0


def test_a_rolled_back_hand_in_is_not_marked():
    attempt, token = started()
    attempts.submit(attempt, token, [], utcnow())
    db.session.rollback()
    assert db.session.get(ExamAttempt, attempt.id).state == S.IN_PROGRESS
    assert result_of(attempt.id) is None


def test_a_failing_marking_never_breaks_the_hand_in(monkeypatch):
    attempt, token = started()

    def broken(*args, **kwargs):
        raise RuntimeError("marking bug")

    monkeypatch.setattr(marking, "mark_attempts", broken)
    assert attempts.submit(attempt, token, answers(attempt, lambda s: "b"), utcnow())
    db.session.commit()  # the hand-in stands
    assert db.session.get(ExamAttempt, attempt.id).state == S.SUBMITTED
    assert result_of(attempt.id) is None
    monkeypatch.undo()
    assert attempts.sweep().marked == 1
    assert result_of(attempt.id).score == D(10)


def essay_exam(**fields):
    objective, writing = make_bank(), make_bank()
    fill_bank(objective, 4)
    add_question(writing, samples.essay())
    return make_exam(bank=objective, sections=[
        {"key": "objective", "title": "单选", "count": 3, "points": "10",
         "filter": {"banks": [objective.code]}},
        {"key": "essay", "title": "论述", "count": 1, "points": "20", "min_percent": 50,
         "filter": {"banks": [writing.code]}}], **fields)


def test_an_essay_leaves_the_attempt_waiting_for_a_marker():
    attempt, token = started(essay_exam(shuffle_items=False))
    saves = [attempts.Save(s, 1, {f"s{s}": ["b"]}) for s in range(3)]
    saves.append(attempts.Save(3, 1, {"s3": ["工会在劳动争议调解中……"]}))
    attempts.submit(attempt, token, saves, utcnow())
    db.session.commit()
    result = result_of(attempt.id)
    assert (result.score, result.max_score, result.pending_manual) == (D(30), D(50), 1)
    assert result.passed is None and result.graded_at is None
    assert [s["met"] for s in result.section_scores] == [True, None]
    essay = scores_of(attempt.id)[3]
    assert (essay.section, essay.score, essay.status, essay.points) == (
        "essay", None, "pending_manual", D(20))
    assert essay.detail["needs_marking"] is True
    assert db.session.get(ExamAttempt, attempt.id).state == S.SUBMITTED  # not graded yet
    assert marking.pending_ids() == []  # marked as far as a machine can


def test_a_blank_essay_scores_zero_and_the_section_minimum_fails():
    attempt, token = started(essay_exam(shuffle_items=False))
    attempts.submit(attempt, token, [attempts.Save(s, 1, {f"s{s}": ["b"]}) for s in range(3)],
                    utcnow())
    db.session.commit()
    result = result_of(attempt.id)
    assert (result.score, result.percent, result.pending_manual) == (D(30), D(60), 0)
    assert result.passed is False  # 60 % overall, but the essay section is under its 50 %
    assert db.session.get(ExamAttempt, attempt.id).state == S.GRADED


def test_an_immediate_release_exam_is_released_at_once():
    attempt, token = started(make_exam(release=Release.IMMEDIATE))
    attempts.submit(attempt, token, answers(attempt, lambda s: "b"), utcnow())
    db.session.commit()
    assert db.session.get(ExamAttempt, attempt.id).state == S.RELEASED
    assert result_of(attempt.id).passed is True
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action ==
                                                          "exam_attempt.marked"))
    assert entry.after["state"] == "released" and entry.object_id == str(attempt.id)


def test_an_invalidated_attempt_is_not_marked():
    attempt, _ = started()
    finish_quietly(attempt, S.INVALIDATED)
    assert marking.mark_attempt(attempt.id) is None
    assert marking.pending_ids() == []


def marking_statements(items: int) -> int:
    bank = make_bank()
    fill_bank(bank, items)
    attempt, token = started(make_exam(items=items, bank=bank))
    attempts.save_answers(attempt, token, answers(attempt, lambda s: "b"), utcnow())
    db.session.commit()
    finish_quietly(attempt)
    with count_queries() as counter:
        marked = marking.mark_attempt(attempt.id)
        db.session.commit()
    assert marked.score == D(2 * items)
    return len(counter)


def test_marking_uses_the_same_statements_for_5_and_60_answers():
    assert marking_statements(5) == marking_statements(60) <= 9


def test_bulk_marking_uses_the_same_statements_for_1_and_6_attempts():
    exam = make_exam()
    ids = []
    for _ in range(6):
        attempt, _ = started(exam)
        ids.append(attempt.id)
        finish_quietly(attempt)
    with count_queries() as one:
        assert len(marking.mark_attempts([ids[0]])) == 1
        db.session.commit()
    with count_queries() as five:
        assert len(marking.mark_pending()) == 5
        db.session.commit()
    assert len(five) == len(one) + 1  # + the query for the pending ids


def test_the_cli_marks_one_attempt_or_all_left_over(runner):
    first, _ = started()
    second, _ = started(first.exam)
    finish_quietly(first)
    finish_quietly(second)
    out = runner.invoke(args=["lms", "grading", "mark", "--attempt", str(first.id)])
    assert out.exit_code == 0 and "marked 1 attempt(s)" in out.output
    out = runner.invoke(args=["lms", "grading", "mark", "--json"])
    assert out.exit_code == 0 and f'"attempt_id": {second.id}' in out.output
    assert runner.invoke(args=["lms", "grading", "mark"]).output.strip() == "marked 0 attempt(s)"
