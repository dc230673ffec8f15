"""Appeals on the database: filing within the window (not after, not twice, not on
someone else's attempt), who sees and answers them, upheld with a corrected score
(the result recomputed as a regrade does, audited, the candidate mailed) and rejected
(the answer visible to the candidate).

The example of tests/regrade_factories.py: three single-choice items worth 10, an
essay worth 20 marked 9; candidate A has 29 of 50 (58 %, a fail at 60 %)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.errors import NotFound, ValidationFailed
from lms.extensions import db
from lms.grading import appeals, regrade
from lms.grading.models import ExamAppeal, ExamResult, ResultChange
from lms.notifications.models import OutboxMessage
from tests.conftest import count_queries
from tests.exam_factories import make_session
from tests.factories import make_org, make_user
from tests.regrade_factories import (
    fix_key,
    fixed_question,
    fixed_slot,
    hand_in,
    mark_essays,
    regrade_exam,
    result_of,
    slot_of,
    state_of,
)

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def district():
    return make_org("东城区总工会")


@pytest.fixture
def released(district):
    """A's released attempt (29 of 50, a fail) in an exam of ``district``."""
    exam = regrade_exam(org=district)
    attempt = hand_in(exam, ("b", "b", "c"), name="甲")
    mark_essays()
    assert state_of(attempt.id).value == "released"
    return attempt


def candidate_of(attempt):
    return attempt.user


def officer(scope=None):
    return make_user(Role.OFFICER, name="考务员", scope=scope)


def test_a_candidate_appeals_a_question_and_the_whole_score_once_each(released):
    a = released
    slot = fixed_slot(a)
    appeal = appeals.file(candidate_of(a), a.id, slot, "第3题C也应是正确答案")
    db.session.commit()
    assert (appeal.slot, appeal.status, appeal.reason) == (slot, "open", "第3题C也应是正确答案")
    with pytest.raises(appeals.AppealExists):
        appeals.file(candidate_of(a), a.id, slot, "再申诉一次")
    db.session.rollback()
    whole = appeals.file(candidate_of(a), a.id, None, "总分有误")
    db.session.commit()
    with pytest.raises(appeals.AppealExists):
        appeals.file(candidate_of(a), a.id, None, "总分有误")
    db.session.rollback()
    mine, window_open = appeals.for_candidate(a)
    assert [x.id for x in mine] == [appeal.id, whole.id] and window_open
    filed = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "exam_appeal.filed")).all()
    assert [e.actor_id for e in filed] == [a.user_id, a.user_id]
    assert filed[0].after == {"attempt_id": a.id, "slot": slot, "reason": "第3题C也应是正确答案"}


def test_the_database_refuses_a_second_open_appeal(released):
    a = released
    db.session.add(ExamAppeal(attempt_id=a.id, slot=None, reason="一", status="open"))
    db.session.commit()
    db.session.add(ExamAppeal(attempt_id=a.id, slot=None, reason="二", status="open"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_no_appeal_after_the_window_or_when_the_exam_takes_none(released):
    a = released
    result = db.session.get(ExamResult, a.id)
    result.released_at = utcnow() - timedelta(days=14, minutes=1)
    db.session.commit()
    with pytest.raises(appeals.AppealClosed):
        appeals.file(candidate_of(a), a.id, None, "晚了")
    assert appeals.for_candidate(a)[1] is False
    # just inside the window
    appeals.file(candidate_of(a), a.id, None, "还来得及",
                 now=result.released_at + timedelta(days=13, hours=23))
    db.session.rollback()
    a.exam.appeal_days = 0
    result.released_at = utcnow()
    db.session.commit()
    with pytest.raises(appeals.AppealClosed):
        appeals.file(candidate_of(a), a.id, None, "本考试不受理申诉")


def test_no_appeal_on_someone_elses_or_an_unreleased_attempt(released, district):
    a = released
    other = make_user(name="王五")
    with pytest.raises(NotFound):
        appeals.file(other, a.id, None, "不是我的")
    exam = regrade_exam(org=district, release="review")
    graded = hand_in(exam, name="乙")
    mark_essays()
    assert state_of(graded.id).value == "graded"
    with pytest.raises(NotFound):
        appeals.file(graded.user, graded.id, None, "尚未公布")
    with pytest.raises(ValidationFailed):
        appeals.file(candidate_of(a), a.id, 99, "没有这道题")
    with pytest.raises(ValidationFailed):
        appeals.file(candidate_of(a), a.id, None, "   ")


def test_who_sees_and_answers_appeals(released, district):
    a = released
    slot_appeal = appeals.file(candidate_of(a), a.id, fixed_slot(a), "第3题")
    whole = appeals.file(candidate_of(a), a.id, None, "总分")
    db.session.commit()
    in_scope, elsewhere = officer(scope=district), officer(scope=make_org("西城区总工会"))
    assert {r.appeal.id for r in appeals.queue(in_scope)} == {slot_appeal.id, whole.id}
    assert all(r.candidate == "甲" for r in appeals.queue(in_scope))
    assert appeals.queue(elsewhere) == []
    with pytest.raises(NotFound):
        appeals.decide(elsewhere, whole.id, "rejected", "无权")
    # a trainer who edits the question's bank sees the question's appeal, anonymously
    bank_owner = make_user(Role.TRAINER)
    question = fixed_question(a)
    question.bank.owner_id = bank_owner.id
    db.session.commit()
    rows = appeals.queue(bank_owner)
    assert [r.appeal.id for r in rows] == [slot_appeal.id]
    assert rows[0].candidate != "甲" and not rows[0].manager
    assert rows[0].points == D("10.00") and rows[0].score == D("0.00")
    assert appeals.queue(make_user(Role.TRAINER)) == []


def test_an_upheld_appeal_corrects_the_score_as_a_regrade_does(released, district):
    a = released
    slot = fixed_slot(a)
    appeal = appeals.file(candidate_of(a), a.id, slot, "C 也符合工会法第十一条")
    db.session.commit()
    actor = officer(scope=district)
    with pytest.raises(ValidationFailed):
        appeals.decide(actor, appeal.id, "upheld", "成立", score="10.5")  # over the points
    db.session.rollback()
    assert db.session.get(ExamAppeal, appeal.id).status == "open"
    done = appeals.decide(actor, appeal.id, "upheld", "申诉成立，C 亦正确", score="10")
    db.session.commit()
    assert done.change.flipped
    result = result_of(a.id)
    assert (result.score, result.percent, result.passed, result.revision) == (
        D("39.00"), D("78.00"), True, 3)
    row = slot_of(a.id, slot)
    assert (row.score, row.status) == (D("10.00"), "manual")
    decided = db.session.get(ExamAppeal, appeal.id)
    assert (decided.status, decided.answer, decided.decided_by_id, decided.score_before,
            decided.score_after) == ("upheld", "申诉成立，C 亦正确", actor.id, D("0.00"),
                                     D("10.00"))
    corrected = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "exam_result.corrected"))
    assert corrected.before["score"] == "29.00" and corrected.after["score"] == "39.00"
    assert corrected.after["reason"] == "申诉成立，C 亦正确"
    assert corrected.after["slots"] == [{"slot": slot, "score": "10.00", "status": "manual",
                                         "version_id": row.version_id}]
    decision = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "exam_appeal.decided"))
    assert decision.after["status"] == "upheld" and decision.after["score"] == "10.00"
    flip = db.session.scalar(sa.select(ResultChange))
    assert (flip.source, flip.before_passed, flip.after_passed) == ("appeal", False, True)
    kinds = db.session.scalars(sa.select(OutboxMessage.kind).where(
        OutboxMessage.to_address == a.user.email,
        OutboxMessage.kind.not_in(("exam_submitted", "result_released")))).all()
    assert kinds == ["appeal_decided"]  # one mail: the answer says the new score
    mail = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "appeal_decided"))
    assert "申诉成立，C 亦正确" in mail.body_text and "39.00" in mail.body_text
    with pytest.raises(appeals.AlreadyDecided):
        appeals.decide(actor, appeal.id, "rejected", "再答一次")
    db.session.rollback()
    # a later key fix leaves the person's mark alone
    version = fix_key(fixed_question(a))
    regrade.apply(a.exam, fixed_question(a).id, version.id, actor, "更正答案")
    db.session.commit()
    assert slot_of(a.id, slot).score == D("10.00") and result_of(a.id).score == D("39.00")


def test_a_rejected_appeal_is_visible_to_the_candidate(released, district):
    a = released
    appeal = appeals.file(candidate_of(a), a.id, None, "总分偏低")
    db.session.commit()
    appeals.decide(officer(scope=district), appeal.id, "rejected", "经复核，总分无误")
    db.session.commit()
    (seen,), window_open = appeals.for_candidate(a)
    assert (seen.status, seen.answer) == ("rejected", "经复核，总分无误")
    assert window_open  # a new appeal may be filed while the window lasts
    assert result_of(a.id).revision == 2  # nothing changed
    mail = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "appeal_decided"))
    assert "经复核，总分无误" in mail.body_text


def test_a_trainer_cannot_answer_an_appeal_on_the_whole_score(released):
    a = released
    whole = appeals.file(candidate_of(a), a.id, None, "总分")
    db.session.commit()
    with pytest.raises(NotFound):
        appeals.decide(make_user(Role.TRAINER), whole.id, "rejected", "不行")


def test_for_candidate_is_one_query(released):
    a = released
    for slot in range(3):
        appeals.file(candidate_of(a), a.id, slot, f"第{slot + 1}题")
    db.session.commit()
    attempt_id = a.id
    assert attempt_id
    with count_queries() as queries:
        mine, window_open = appeals.for_candidate(a)
    assert len(queries) == 1 and len(mine) == 3 and window_open


def test_the_queue_is_constant_in_the_number_of_appeals(district):
    exam = regrade_exam(org=district)
    session = make_session(exam)
    first = hand_in(exam, session=session)
    mark_essays()
    appeals.file(first.user, first.id, 0, "一")
    db.session.commit()
    viewer = officer(scope=district)
    with count_queries() as one:
        appeals.queue(viewer)
    for n in range(3):
        other = hand_in(exam, session=session, name=f"考生{n}")
        mark_essays()
        appeals.file(other.user, other.id, 1, "二")
    db.session.commit()
    with count_queries() as many:
        rows = appeals.queue(viewer)
    assert len(rows) == 4 and len(one) == len(many)
