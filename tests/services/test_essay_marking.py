"""Essay marking on the database: single and double marking, reconciliation, who may
mark what, invalid marks, claims and races, the queue's statements, the audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts, registration
from lms.exams.models import ExamAttempt, Release
from lms.extensions import db
from lms.grading import essays
from lms.grading.essays import MarkingInvalid, MarkNotNeeded
from lms.grading.models import EssayClaim, EssayMark, ExamResult, ItemScore
from tests.conftest import count_queries
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_org, make_user
from tests.practice_factories import add_question, fill_bank, make_bank
from tests.unit import item_samples as samples

pytestmark = pytest.mark.usefixtures("app")
ESSAY_SLOT = 3
#: the sample essay's rubric is law 4 + practice 4 + writing 2 = 10 points; the paper
#: makes it worth 20, so every mark counts double in the paper's points
FULL = {"law": "4", "practice": "4", "writing": "2"}


def essay_exam(**fields):
    objective, writing = make_bank(), make_bank()
    fill_bank(objective, 4)
    add_question(writing, samples.essay())
    return make_exam(bank=objective, shuffle_items=False, sections=[
        {"key": "objective", "title": "单选", "count": 3, "points": "10",
         "filter": {"banks": [objective.code]}},
        {"key": "essay", "title": "论述", "count": 1, "points": "20",
         "filter": {"banks": [writing.code]}}], **fields)


def handed_in(exam, *, org=None, text="工会在劳动争议调解中发挥重要作用……", session=None):
    """A candidate's attempt with the 3 choices right (30 points) and an essay."""
    session = session or make_session(exam)
    now = utcnow()
    candidate = ready_candidate(org=org, name="张三丰")
    attempt = registration.book(candidate, session, now)
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    saves = [attempts.Save(s, 1, {f"s{s}": ["b"]}) for s in range(3)]
    saves.append(attempts.Save(ESSAY_SLOT, 1, {f"s{ESSAY_SLOT}": [text]}))
    assert attempts.submit(attempt, token, saves, now)
    db.session.commit()
    return attempt


def marker(role=Role.TRAINER, **kwargs):
    return make_user(role, name="阅卷人", **kwargs)


def mark(who, marks, *, exam_id=None, now=None, **kwargs):
    claim = essays.next_for(who, exam_id=exam_id, now=now)
    assert claim is not None, "nothing to mark"
    claim_id, round_ = claim.id, claim.round
    result = essays.submit_mark(who, claim_id, marks, now=now, **kwargs)
    db.session.commit()
    assert result.round.value == round_
    return result


def result_of(attempt_id):
    db.session.expire_all()
    return db.session.get(ExamResult, attempt_id)


def essay_score(attempt_id):
    return db.session.get(ItemScore, (attempt_id, ESSAY_SLOT))


def state_of(attempt_id):
    return db.session.get(ExamAttempt, attempt_id).state


def marks_stored():
    return db.session.scalar(sa.select(sa.func.count()).select_from(EssayMark))


def audited(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


# -- single marking ---------------------------------------------------------------------------


def test_single_marking_finalises_the_essay_and_grades_the_attempt():
    attempt = handed_in(essay_exam())
    assert result_of(attempt.id).pending_manual == 1
    trainer = marker()
    done = mark(trainer, {"law": "3", "practice": "2.5", "writing": "1"},
                comments={"law": "引用了第二十一条"}, comment="结构清楚")
    assert (done.total, done.final, done.method.value) == (D("13.00"), D("13.00"), "single")
    row = essay_score(attempt.id)
    assert (row.score, row.status) == (D("13.00"), "manual")
    assert row.detail["score"] == "6.50" and row.detail["needs_marking"] is False
    assert [p["score"] for p in row.detail["parts"][:3]] == ["3.00", "2.50", "1.00"]
    result = result_of(attempt.id)
    assert (result.score, result.pending_manual, result.passed) == (D("43.00"), 0, True)
    assert result.revision == 2 and result.graded_at is not None
    assert [s["score"] for s in result.section_scores] == ["30.00", "13.00"]
    assert state_of(attempt.id) == S.GRADED
    stored = db.session.scalar(sa.select(EssayMark))
    assert stored.marks == {"law": "3.00", "practice": "2.50", "writing": "1.00"}
    assert stored.comments == {"law": "引用了第二十一条", "practice": "", "writing": ""}
    assert (stored.comment, stored.round, stored.marker_id) == ("结构清楚", "first", trainer.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EssayClaim)) == 0
    assert essays.next_for(marker()) is None  # nothing left


def test_an_immediate_release_exam_is_released_by_the_last_mark():
    attempt = handed_in(essay_exam(release=Release.IMMEDIATE))
    assert state_of(attempt.id) == S.SUBMITTED
    assert mark(marker(), FULL).attempt_state == S.RELEASED
    assert state_of(attempt.id) == S.RELEASED


def test_every_mark_is_audited_with_before_and_after():
    attempt = handed_in(essay_exam(double_marking=True))
    first, second = marker(), marker()
    mark(first, FULL)
    mark(second, {"law": "4", "practice": "3.5", "writing": "2"})
    entries = audited("essay.marked")
    assert [(e.actor_id, e.object_id) for e in entries] == [(first.id, str(attempt.id)),
                                                             (second.id, str(attempt.id))]
    assert entries[0].before == {"slot": 3, "score": None, "status": "pending_manual"}
    assert entries[0].after == {"slot": 3, "round": "first", "total": "20.00",
                                "score": None, "status": "pending_manual"}
    assert entries[1].after == {"slot": 3, "round": "second", "total": "19.00",
                                "score": "19.50", "status": "manual", "method": "mean"}
    graded = audited("exam_attempt.graded")
    assert len(graded) == 1 and graded[0].actor_id == second.id
    assert graded[0].before["pending_manual"] == 1
    assert graded[0].after["score"] == "49.50" and graded[0].after["state"] == "graded"


# -- double marking ----------------------------------------------------------------------------


def test_double_marks_within_tolerance_give_their_mean_rounded_half_up():
    # tolerance 10 % of the 20 points the essay is worth: 2.00 points
    attempt = handed_in(essay_exam(double_marking=True))
    one = mark(marker(), {"law": "3", "practice": "3", "writing": "1.01"})  # 14.02
    assert (one.final, one.needs_reconciliation) == (None, False)
    assert essay_score(attempt.id).status == "pending_manual"
    assert state_of(attempt.id) == S.SUBMITTED
    assert result_of(attempt.id).revision == 1  # nothing final yet
    two = mark(marker(), {"law": "3", "practice": "2", "writing": "1"})  # 12.00: 2.02 apart
    assert two.needs_reconciliation  # just beyond the tolerance
    attempt2 = handed_in(essay_exam(double_marking=True))
    mark(marker(), {"law": "3", "practice": "3", "writing": "1.01"}, exam_id=attempt2.exam_id)
    done = mark(marker(), {"law": "3", "practice": "2", "writing": "1.02"},
                exam_id=attempt2.exam_id)  # 12.04 vs 14.02: 1.98 apart, agree
    assert (done.final, done.method.value) == (D("13.03"), "mean")  # 13.03 exactly
    row = essay_score(attempt2.id)
    assert (row.score, row.status) == (D("13.03"), "manual")
    # the detail holds each criterion's mean: (1.01 + 1.02) / 2 = 1.015 → 1.02 half up
    assert [p["score"] for p in row.detail["parts"][:3]] == ["3.00", "2.50", "1.02"]
    assert state_of(attempt2.id) == S.GRADED


def test_marks_exactly_at_the_tolerance_agree_and_the_mean_rounds_half_up():
    attempt = handed_in(essay_exam(double_marking=True))
    mark(marker(), {"law": "2", "practice": "2", "writing": "1.01"})  # 10.02
    done = mark(marker(), {"law": "2", "practice": "2", "writing": "2"})  # 12.00: 1.98
    assert done.final == D("11.01")  # (10.02 + 12.00) / 2 = 11.01
    attempt = handed_in(essay_exam(double_marking=True, marking_tolerance_percent=D(5)))
    mark(marker(), {"law": "2", "practice": "2", "writing": "1"}, exam_id=attempt.exam_id)
    done = mark(marker(), {"law": "2", "practice": "2.5", "writing": "1"},
                exam_id=attempt.exam_id)  # 10 vs 11: 1.00 = 5 % of 20, agree
    assert done.final == D("10.50")


def test_marks_beyond_tolerance_wait_for_a_third_marker_who_reconciles():
    attempt = handed_in(essay_exam(double_marking=True))
    first, second, third = marker(), marker(), marker()
    mark(first, {"law": "4", "practice": "4", "writing": "2"}, comment="很好")  # 20
    two = mark(second, {"law": "1", "practice": "2", "writing": "1"})  # 8
    assert two.needs_reconciliation and two.final is None
    assert essay_score(attempt.id).status == "pending_manual"
    assert result_of(attempt.id).passed is None and state_of(attempt.id) == S.SUBMITTED
    # neither of the two may reconcile
    assert essays.next_for(first) is None and essays.next_for(second) is None
    claim = essays.next_for(third)
    assert claim.round == "reconcile"
    view = essays.marking_view(third, claim.id)
    assert [(p.round.value, p.total, p.comment) for p in view.prior] == [
        ("first", D("20.00"), "很好"), ("second", D("8.00"), "")]
    done = essays.submit_mark(third, claim.id, {"law": "3", "practice": "3", "writing": "1.5"})
    db.session.commit()
    assert (done.final, done.method.value) == (D("15.00"), "reconciled")
    assert essay_score(attempt.id).score == D("15.00")
    assert result_of(attempt.id).score == D("45.00")
    assert state_of(attempt.id) == S.GRADED
    assert marks_stored() == 3


def test_the_first_markers_do_not_see_each_others_marks():
    handed_in(essay_exam(double_marking=True))
    first, second = marker(), marker()
    mark(first, FULL, comment="SECRET-COMMENT-ONE")
    claim = essays.next_for(second)
    assert claim.round == "second"
    view = essays.marking_view(second, claim.id)
    assert view.prior == ()


def test_the_same_marker_cannot_give_the_second_mark():
    attempt = handed_in(essay_exam(double_marking=True))
    trainer = marker()
    mark(trainer, FULL)
    assert essays.next_for(trainer) is None
    # nor by forging a claim on the second round
    forged = EssayClaim(attempt_id=attempt.id, slot=ESSAY_SLOT, round="second",
                        marker_id=trainer.id, expires_at=utcnow() + timedelta(minutes=5))
    db.session.add(forged)
    db.session.commit()
    with pytest.raises(MarkNotNeeded):
        essays.submit_mark(trainer, forged.id, FULL)
    db.session.rollback()
    assert marks_stored() == 1
    assert essay_score(attempt.id).status == "pending_manual"


def test_two_markers_work_on_both_rounds_at_once():
    handed_in(essay_exam(double_marking=True))
    first, second = marker(), marker()
    one, two = essays.next_for(first), essays.next_for(second)
    assert {one.round, two.round} == {"first", "second"}
    assert essays.next_for(marker()) is None  # both rounds are taken
    assert essays.next_for(first).id == one.id  # a marker gets their own claim back


# -- who marks what ------------------------------------------------------------------------------


def test_markers_never_get_their_own_organisations_candidates_when_the_exam_says_so():
    district = make_org("东城区总工会")
    other = make_org("西城区总工会")
    exam = essay_exam(exclude_own_organisation=True)
    own = handed_in(exam, org=district)
    colleague = marker(org=district)
    claim = essays.next_for(colleague)
    assert claim is None
    outsider = marker(org=other)
    assert essays.next_for(outsider).attempt_id == own.id
    # an exam that does not ask for it hands them out
    free = handed_in(essay_exam(), org=district)
    assert essays.next_for(colleague).attempt_id == free.id


def test_a_scoped_marker_reaches_only_their_subtree():
    city = make_org("北京市总工会")
    district = make_org("东城区总工会", parent=city)
    elsewhere = make_org("上海市总工会")
    exam = essay_exam()
    far = handed_in(exam, org=elsewhere)
    near = handed_in(exam, org=district)
    scoped = marker(Role.OFFICER, scope=city)
    claim = essays.next_for(scoped)
    assert claim.attempt_id == near.id
    essays.submit_mark(scoped, claim.id, FULL)
    db.session.commit()
    assert essays.next_for(scoped) is None
    assert [row.waiting for row in essays.queue(scoped)] == [0]
    # a claim on the far attempt is refused as not found
    forged = EssayClaim(attempt_id=far.id, slot=ESSAY_SLOT, round="first", marker_id=scoped.id,
                        expires_at=utcnow() + timedelta(minutes=5))
    db.session.add(forged)
    db.session.commit()
    with pytest.raises(essays.NotFound):
        essays.marking_view(scoped, forged.id)
    with pytest.raises(essays.NotFound):
        essays.submit_mark(scoped, forged.id, FULL)


def test_a_candidate_cannot_mark():
    handed_in(essay_exam())
    assert essays.next_for(make_user(Role.CANDIDATE)) is None


def test_an_invalidated_attempt_is_not_handed_out():
    attempt = handed_in(essay_exam())
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id)
                       .values(state=S.INVALIDATED))
    db.session.commit()
    assert essays.next_for(marker()) is None


# -- invalid marks ----------------------------------------------------------------------------


@pytest.mark.parametrize(("marks", "expected"), [
    ({"law": "5", "practice": "4", "writing": "2"}, [("law", "out_of_range")]),
    ({"law": "-1", "practice": "4", "writing": "2"}, [("law", "out_of_range")]),
    ({"law": "abc", "practice": "4", "writing": "2"}, [("law", "not_a_number")]),
    ({"law": "NaN", "practice": "4", "writing": "2"}, [("law", "not_a_number")]),
    ({"law": "4", "practice": "4"}, [("writing", "missing")]),
    ({"law": "4", "practice": " ", "writing": "2"}, [("practice", "missing")]),
    ({"law": "1.005", "practice": "4", "writing": "2"}, [("law", "too_precise")]),
    ({"law": "4", "practice": "4", "writing": "2", "style": "1"},
     [("style", "unknown_criterion")]),
    ({"law": "9", "practice": "x"}, [("law", "out_of_range"), ("practice", "not_a_number"),
                                    ("writing", "missing")]),
])
def test_invalid_marks_are_refused_and_nothing_is_stored(marks, expected):
    attempt = handed_in(essay_exam())
    trainer = marker()
    claim = essays.next_for(trainer)
    db.session.commit()
    with pytest.raises(MarkingInvalid) as caught:
        essays.submit_mark(trainer, claim.id, marks)
    db.session.rollback()
    assert [(path, code) for path, code, _params in caught.value.errors] == expected
    assert marks_stored() == 0
    assert essay_score(attempt.id).status == "pending_manual"
    assert result_of(attempt.id).revision == 1
    assert audited("essay.marked") == []
    assert essays.next_for(trainer).id == claim.id  # still theirs


# -- claims and races ------------------------------------------------------------------------------


def test_a_claimed_slot_is_not_handed_to_another_until_the_claim_expires():
    handed_in(essay_exam())
    first, second = marker(), marker()
    now = utcnow()
    claim = essays.next_for(first, now=now)
    db.session.commit()
    assert essays.next_for(second, now=now) is None
    later = now + timedelta(minutes=essays.CLAIM_MINUTES, seconds=1)
    taken = essays.next_for(second, now=later)
    db.session.commit()
    assert taken.id == claim.id and taken.marker_id == second.id
    with pytest.raises(essays.NotFound):  # the first marker's page is gone
        essays.submit_mark(first, claim.id, FULL)
    essays.submit_mark(second, taken.id, FULL)
    db.session.commit()
    assert marks_stored() == 1


def test_two_markers_racing_for_the_last_slot_do_not_both_finalise_it(app, monkeypatch):
    """The first marker's claim expired; the second took it over and submitted while the
    first was about to submit: the first one's mark is refused under the lock."""
    attempt = handed_in(essay_exam())
    first, second = marker(), marker()
    now = utcnow()
    claim = essays.next_for(first, now=now)
    db.session.commit()
    first_id, second_id, claim_id = first.id, second.id, claim.id
    real = essays.check_marks
    raced = []

    def racing(*args):
        if not raced:
            raced.append(1)
            with app.app_context():  # another marker, another session, commits first
                other = db.session.get(type(second), second_id)
                later = now + timedelta(minutes=essays.CLAIM_MINUTES + 1)
                taken = essays.next_for(other, now=later)
                assert taken.id == claim_id
                essays.submit_mark(other, taken.id, {"law": "1", "practice": "1",
                                                     "writing": "1"}, now=later)
                db.session.commit()
        return real(*args)

    monkeypatch.setattr(essays, "check_marks", racing)
    with pytest.raises((MarkNotNeeded, essays.NotFound)):
        essays.submit_mark(db.session.get(type(first), first_id), claim_id, FULL)
    db.session.rollback()
    assert marks_stored() == 1
    assert essay_score(attempt.id).score == D("6.00")
    assert len(audited("exam_attempt.graded")) == 1
    assert result_of(attempt.id).revision == 2


def test_a_decided_slot_refuses_a_late_mark_even_with_a_claim():
    attempt = handed_in(essay_exam())
    first, late = marker(), marker()
    mark(first, FULL)
    forged = EssayClaim(attempt_id=attempt.id, slot=ESSAY_SLOT, round="first",
                        marker_id=late.id, expires_at=utcnow() + timedelta(minutes=5))
    db.session.add(forged)
    db.session.commit()
    with pytest.raises(MarkNotNeeded):
        essays.submit_mark(late, forged.id, {"law": "0", "practice": "0", "writing": "0"})
    db.session.rollback()
    assert essay_score(attempt.id).score == D("20.00") and marks_stored() == 1


def test_a_released_claim_goes_back_to_the_queue():
    handed_in(essay_exam())
    first, second = marker(), marker()
    claim = essays.next_for(first)
    assert essays.release_claim(first, claim.id)
    db.session.commit()
    assert essays.next_for(second) is not None


# -- case studies ----------------------------------------------------------------------------------


def test_a_case_study_is_marked_on_its_essay_part():
    objective, cases = make_bank(), make_bank()
    fill_bank(objective, 1)
    add_question(cases, samples.case_study())
    exam = make_exam(bank=objective, shuffle_items=False, sections=[
        {"key": "case", "title": "案例", "count": 1, "points": "17",
         "filter": {"banks": [cases.code]}}])
    session = make_session(exam)
    now = utcnow()
    attempt = registration.book(ready_candidate(), session, now)
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    attempts.submit(attempt, token, [attempts.Save(0, 1, {
        "s0.q1": ["b"], "s0.q4": ["集体协商是工会的职责……"]})], now)
    db.session.commit()
    trainer = marker()
    claim = essays.next_for(trainer, exam_id=exam.id)
    db.session.commit()
    claim_id = claim.id
    view = essays.marking_view(trainer, claim_id)
    assert [sub for sub, _spec in view.essays] == ["q4"]
    assert view.sub_answer("q4").startswith("集体协商")
    with pytest.raises(MarkingInvalid) as caught:
        essays.submit_mark(trainer, claim_id, {"q4": {"law": "5", "practice": "1"}})
    assert [(p, c) for p, c, _ in caught.value.errors] == [("q4.law", "out_of_range"),
                                                            ("q4.writing", "missing")]
    db.session.rollback()
    done = essays.submit_mark(trainer, claim_id,
                              {"q4": {"law": "4", "practice": "3", "writing": "1"}})
    db.session.commit()
    # q1 right (its points) + the essay's 8 of 10; the other sub-items unanswered
    row = db.session.get(ItemScore, (attempt.id, 0))
    assert row.status == "manual" and done.final == row.score
    assert row.detail["parts"][3]["score"] == "8.00"
    assert row.score == D(row.detail["score"])  # spec points = paper points here
    assert state_of(attempt.id) == S.GRADED


# -- the queue -------------------------------------------------------------------------------------


def test_the_queue_shows_progress_per_exam_and_session():
    exam = essay_exam(double_marking=True)
    session = make_session(exam)
    a, b, c = (handed_in(exam, session=session) for _ in range(3))
    first, second = marker(), marker()
    mark(first, FULL)
    mark(second, {"law": "0", "practice": "0", "writing": "0"})  # disagree on one slot
    mark(first, FULL)
    mark(second, FULL)  # agree on another
    rows = essays.queue(marker())
    assert [(r.session_id, r.marked, r.waiting, r.reconcile) for r in rows] == [
        (session.id, 1, 1, 1)]
    assert {a.id, b.id, c.id}


def test_the_queue_uses_one_query_whatever_the_number_of_attempts():
    exam = essay_exam()
    session = make_session(exam)
    handed_in(exam, session=session)
    viewer = marker()
    with count_queries() as one:
        essays.queue(viewer)
    for _ in range(4):
        handed_in(exam, session=session)
    handed_in(essay_exam())
    with count_queries() as many:
        rows = essays.queue(viewer)
    assert sum(r.waiting for r in rows) == 6
    assert len(one) == len(many) <= 3  # the marker's roles, then the one query
