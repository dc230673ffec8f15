"""Key correction and regrade on the database, on a hand-checkable example.

The exam: three single-choice items worth 10 points ("b" right), an essay worth 20
marked 9.00 for everyone; pass mark 60 % of 50. The key of slot 2 is wrong: the
trainer's fix makes "c" right and "b" wrong.

    candidate  answers   before            after the fix
    A          b b c     20 + 9 = 29 58 %  30 + 9 = 39 78 %   fail → pass
    B          b b b     30 + 9 = 39 78 %  20 + 9 = 29 58 %   pass → fail
    C          a a a      0 + 9 =  9 18 %   0 + 9 =  9 18 %   unchanged score
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.domain.attempt_states import AttemptState as S
from lms.domain.items import EssaySpec
from lms.errors import DomainError
from lms.extensions import db
from lms.grading import regrade
from lms.grading.models import ResultChange
from lms.notifications.models import OutboxMessage
from lms.questions import services
from tests.conftest import count_queries
from tests.exam_factories import make_session
from tests.regrade_factories import (
    ESSAY_SLOT,
    fix_key,
    fixed_question,
    fixed_slot,
    hand_in,
    mark_essays,
    question_at,
    regrade_exam,
    result_of,
    slot_of,
)

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def example():
    exam = regrade_exam()
    session = make_session(exam)
    a = hand_in(exam, ("b", "b", "c"), session=session, name="甲")
    b = hand_in(exam, ("b", "b", "b"), session=session, name="乙")
    c = hand_in(exam, ("a", "a", "a"), session=session, name="丙")
    mark_essays()
    question = fixed_question(a)
    assert fixed_question(b).id == question.id == fixed_question(c).id
    old_version = question.approved_version_id
    version = fix_key(question)
    return exam, (a, b, c), question, old_version, version


def officer():
    from lms.accounts.models import Role
    from tests.factories import make_user

    return make_user(Role.OFFICER, name="考务员")


def test_the_example_before_the_fix(example):
    _exam, (a, b, c), *_ = example
    assert [(result_of(x.id).score, result_of(x.id).passed) for x in (a, b, c)] == [
        (D("29.00"), False), (D("39.00"), True), (D("9.00"), False)]
    assert all(result_of(x.id).revision == 2 for x in (a, b, c))  # the essay mark bumped it


def test_corrections_list_the_fixed_question(example):
    exam, _attempts, question, old_version, version = example
    (found,) = regrade.corrections_for(exam)
    assert (found.question_id, found.used_version_id, found.used_number,
            found.approved_version_id, found.approved_number, found.attempts) == (
        question.id, old_version, 1, version.id, 2, 3)


def test_preview_shows_score_and_verdict_before_and_after(example):
    exam, (a, b, c), question, _old, version = example
    preview = regrade.preview(exam, question.id, version.id)
    rows = {r.attempt_id: r.change for r in preview.rows}
    assert [(rows[x.id].before.score, rows[x.id].after.score, rows[x.id].before.passed,
             rows[x.id].after.passed, rows[x.id].flipped) for x in (a, b, c)] == [
        (D("29.00"), D("39.00"), False, True, True),
        (D("39.00"), D("29.00"), True, False, True),
        (D("9.00"), D("9.00"), False, False, False)]
    assert rows[a.id].after.percent == D("78.00")
    assert {r.attempt_id for r in preview.flips} == {a.id, b.id}
    assert preview.version_number == 2
    # a preview writes nothing
    assert result_of(a.id).score == D("29.00")


def test_apply_regrades_records_flips_audits_and_mails(example):
    exam, (a, b, c), question, old_version, version = example
    actor = officer()
    done = regrade.apply(exam, question.id, version.id, actor, "第3题答案有误，已更正为C")
    db.session.commit()
    assert sorted(ch.attempt_id for ch in done.changed) == sorted([a.id, b.id, c.id])
    assert sorted(done.flips) == sorted([a.id, b.id])
    assert sorted(done.notified) == sorted([a.id, b.id])  # C's score did not change

    ra = result_of(a.id)
    assert (ra.score, ra.percent, ra.passed, ra.revision) == (D("39.00"), D("78.00"), True, 3)
    assert [s["score"] for s in ra.section_scores] == ["30.00", "9.00"]
    rb = result_of(b.id)
    assert (rb.score, rb.passed, rb.revision) == (D("29.00"), False, 3)
    fixed = slot_of(a.id, fixed_slot(a))
    assert (fixed.score, fixed.status, fixed.version_id) == (D("10.00"), "auto", version.id)
    assert fixed.detail["correct"] is True
    assert slot_of(c.id, fixed_slot(c)).version_id == version.id
    # manual essay marks untouched
    essay = slot_of(a.id, ESSAY_SLOT)
    assert (essay.score, essay.status) == (D("9.00"), "manual")

    flips = db.session.scalars(sa.select(ResultChange).order_by(ResultChange.attempt_id)).all()
    assert [(f.attempt_id, f.before_passed, f.after_passed, f.source, f.actor_id)
            for f in flips] == [(a.id, False, True, "regrade", actor.id),
                                (b.id, True, False, "regrade", actor.id)]
    assert flips[0].reason == "第3题答案有误，已更正为C"
    # the certificates acted on them once the regrade committed (no qualification here)
    assert all(f.acted_on_at is not None for f in flips) and regrade.open_flips() == []

    entries = {e.object_id: e for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "exam_result.regraded"))}
    assert set(entries) == {str(a.id), str(b.id), str(c.id)}
    entry = entries[str(a.id)]
    assert entry.actor_id == actor.id
    assert entry.before == {"score": "29.00", "percent": "58.00", "passed": False,
                            "pending_manual": 0, "revision": 2,
                            "slots": [{"slot": fixed_slot(a), "score": "0.00", "status": "auto",
                                       "version_id": old_version}]}
    assert entry.after == {"score": "39.00", "percent": "78.00", "passed": True,
                           "pending_manual": 0, "revision": 3,
                           "slots": [{"slot": fixed_slot(a), "score": "10.00", "status": "auto",
                                      "version_id": version.id}],
                           "reason": "第3题答案有误，已更正为C", "question_id": question.id,
                           "version_id": version.id}

    mails = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "result_changed").order_by(OutboxMessage.id)).all()
    assert sorted(m.to_address for m in mails) == sorted([a.user.email, b.user.email])
    mail_a = next(m for m in mails if m.to_address == a.user.email)
    assert "29.00" in mail_a.body_text and "39.00" in mail_a.body_text
    assert "第3题答案有误" in mail_a.body_text
    assert f"/attempts/{a.id}/result" in mail_a.body_text
    assert regrade.corrections_for(exam) == []


def test_a_second_apply_changes_nothing(example):
    exam, (a, _b, _c), question, _old, version = example
    regrade.apply(exam, question.id, version.id, officer(), "更正答案")
    db.session.commit()
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    again = regrade.apply(exam, question.id, version.id, officer(), "更正答案")
    db.session.commit()
    assert again.changed == [] and again.flips == []
    assert result_of(a.id).revision == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audits
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResultChange)) == 2
    assert all(not r.change.changed for r in regrade.preview(exam, question.id,
                                                             version.id).rows)


def test_a_regrade_of_the_essay_never_touches_manual_marks(example):
    exam, (a, *_), *_ = example
    essay = question_at(a, ESSAY_SLOT)
    old = services.spec_of(essay.approved_version)
    spec = EssaySpec(stem=old.stem + "（修订）", points=old.points, rubric=old.rubric,
                     word_limit=old.word_limit)
    from lms.accounts.models import Role
    from tests.factories import make_user

    services.edit_question(essay, spec, services.metadata_of(essay.approved_version),
                           actor=make_user(Role.TRAINER))
    services.approve(essay, reviewer=make_user(Role.TRAINER))
    db.session.commit()
    done = regrade.apply(exam, essay.id, essay.approved_version_id, officer(), "修订题干")
    db.session.commit()
    assert done.changed == []
    row = slot_of(a.id, ESSAY_SLOT)
    assert (row.score, row.status) == (D("9.00"), "manual")
    assert result_of(a.id).revision == 2


def test_only_the_approved_version_and_a_reason_are_accepted(example):
    exam, (a, *_), question, old_version, version = example
    with pytest.raises(regrade.NotApproved):
        regrade.preview(exam, question.id, old_version)
    with pytest.raises(DomainError):
        regrade.apply(exam, question.id, version.id, officer(), "  ")
    other = question_at(a, 1 if fixed_slot(a) == 0 else 0)
    from lms.errors import NotFound

    with pytest.raises(NotFound):
        regrade.preview(exam, other.id, version.id)  # not a version of that question


def test_invalidated_attempts_are_left_alone(example):
    exam, (a, b, _c), question, _old, version = example
    from lms.exams.models import ExamAttempt

    db.session.get(ExamAttempt, a.id).state = S.INVALIDATED
    db.session.commit()
    preview = regrade.preview(exam, question.id, version.id)
    assert a.id not in {r.attempt_id for r in preview.rows}
    regrade.apply(exam, question.id, version.id, officer(), "更正答案")
    db.session.commit()
    assert result_of(a.id).score == D("29.00")
    assert result_of(b.id).score == D("29.00")


def _counts(exam, question, version):
    ids = exam.id, question.id, version.id  # loaded before counting
    with count_queries() as preview_q:
        regrade.preview(exam, *ids[1:])
    with count_queries() as apply_q:
        regrade.apply(exam, *ids[1:], officer_id_only, "更正答案")
    assert ids
    db.session.rollback()
    return len(preview_q), len(apply_q)


officer_id_only = None  # the system: no actor row to load


def test_preview_and_apply_use_a_constant_number_of_queries():
    exam = regrade_exam()
    session = make_session(exam)
    first = hand_in(exam, ("b", "b", "c"), session=session)
    mark_essays()
    question = fixed_question(first)
    version = fix_key(question)
    one = _counts(exam, question, version)
    for n in range(4):
        hand_in(exam, ("b", "b", "c") if n % 2 else ("b", "b", "b"), session=session)
    mark_essays()
    many = _counts(exam, question, version)
    assert one == many
    assert one[0] <= 6


def test_a_fixed_key_completes_an_attempt_waiting_for_it():
    """A slot whose key could not be computed (``scoring_failed``) waits for a fixed key:
    the regrade scores it and, with nothing else pending, grades and releases the attempt."""
    from lms.exams.models import ExamAttempt
    from lms.grading.models import ExamResult, ItemScore

    exam = regrade_exam()
    a = hand_in(exam, ("b", "b", "c"))
    mark_essays()
    slot = fixed_slot(a)
    # as marking leaves a slot whose key failed for this candidate
    row = db.session.get(ItemScore, (a.id, slot))
    row.score, row.status = None, "pending_manual"
    row.detail = {**row.detail, "score": None, "needs_marking": True,
                  "reason": "scoring_failed"}
    result = db.session.get(ExamResult, a.id)
    result.score, result.percent, result.passed, result.pending_manual = (
        D("29.00"), D("58.00"), None, 1)
    db.session.get(ExamAttempt, a.id).state = S.SUBMITTED
    db.session.commit()
    version = fix_key(fixed_question(a))
    done = regrade.apply(exam, fixed_question(a).id, version.id, officer(), "答案已修正")
    db.session.commit()
    assert [c.attempt_id for c in done.changed] == [a.id] and done.flips == []
    fixed = slot_of(a.id, slot)
    assert (fixed.score, fixed.status) == (D("10.00"), "auto")
    after = result_of(a.id)
    assert (after.score, after.passed, after.pending_manual) == (D("39.00"), True, 0)
    assert after.graded_at is not None
    db.session.expire_all()
    assert db.session.get(ExamAttempt, a.id).state == S.RELEASED  # the exam releases at once
    assert db.session.get(ExamResult, a.id).released_at is not None
