"""The pure rules of regrade and score corrections (lms.domain.regrade)."""

from decimal import Decimal as D

import pytest

from lms.domain.grading import GradeItem, SlotStatus
from lms.domain.items import Choice, SingleChoiceSpec
from lms.domain.regrade import (
    CorrectionError,
    ResultBefore,
    attempt_change,
    corrected,
    regradable,
    rescore,
    stored_grade,
)

OLD = SingleChoiceSpec(stem="?", points=D(1), choices=(
    Choice("a", "甲"), Choice("b", "乙", D(100)), Choice("c", "丙")))
NEW = SingleChoiceSpec(stem="?", points=D(1), choices=(
    Choice("a", "甲"), Choice("b", "乙"), Choice("c", "丙", D(100))))


def slots(scores, statuses=None):
    statuses = statuses or ["auto"] * len(scores)
    return [stored_grade(n, "main", 100 + n, 1000 + n, D(10),
                         None if s is None else D(s), st) for n, (s, st) in
            enumerate(zip(scores, statuses, strict=True))]


def before(score, passed, revision=1):
    return ResultBefore(D(score), D(score) * 100 / 30, passed, 0, revision)


def test_only_machine_slots_and_failed_keys_are_regradable():
    assert regradable("auto", "")
    assert regradable("pending_manual", "scoring_failed")
    assert not regradable("pending_manual", "")  # waits for an essay marker
    assert not regradable("manual", "")


def test_a_manual_slot_is_never_rescored():
    grade = slots(["7"], ["manual"])[0]
    item = GradeItem(0, "main", 100, 2000, D(10), 1)
    assert rescore(grade, item, NEW, "c") is None


def test_a_fixed_key_turns_a_fail_into_a_pass():
    current = slots(["10", "10", "0"])
    item = GradeItem(2, "main", 102, 2002, D(10), 1)
    new = rescore(current[2], item, NEW, "c")
    assert (new.score, new.status, new.version_id) == (D("10.00"), SlotStatus.AUTO, 2002)
    change = attempt_change(7, before("20.00", False), current, {2: new},
                            pass_percent=D(80))
    assert (change.after.score, change.after.passed, change.flipped) == (D("30.00"), True, True)
    assert change.delta == D("10.00")
    assert [(s.slot, s.score_before, s.score_after) for s in change.slots] == [
        (2, D("0"), D("10.00"))]


def test_the_same_grade_again_changes_nothing():
    current = slots(["10"])
    current = [current[0].__class__(**{**current[0].__dict__, "version_id": 2000})]
    item = GradeItem(0, "main", 100, 2000, D(10), 1)
    again = rescore(current[0], item, OLD, "b")
    change = attempt_change(1, before("10.00", True), current, {0: again},
                            pass_percent=D(60))
    assert not change.changed and not change.flipped


def test_a_version_that_cannot_be_settled_leaves_the_slot_as_it_is():
    from lms.domain.items import EssaySpec, RubricCriterion

    essay = EssaySpec(stem="?", points=D(1), rubric=(RubricCriterion("x", "x", D(1)),))
    current = slots(["10"])
    item = GradeItem(0, "main", 100, 2000, D(10), 1)
    change = attempt_change(1, before("10.00", True), current,
                            {0: rescore(current[0], item, essay, "文字")}, pass_percent=D(60))
    assert not change.changed and change.unscorable == 1


def test_a_pending_result_getting_a_verdict_is_not_a_flip():
    current = slots(["10", None], ["auto", "pending_manual"])
    change = attempt_change(1, ResultBefore(D(10), D(50), None, 1, 1), current,
                            {1: corrected(current[1], D(10))}, pass_percent=D(60))
    assert change.after.passed is True and not change.flipped


@pytest.mark.parametrize(("score", "code"), [
    (D("-1"), "out_of_range"), (D("10.01"), "out_of_range"), (D("1.005"), "too_precise"),
    (D("NaN"), "not_a_number")])
def test_a_corrected_score_stays_within_the_slot(score, code):
    with pytest.raises(CorrectionError, match=code):
        corrected(slots(["5"])[0], score)


def test_a_corrected_score_is_manual():
    grade = corrected(slots(["5"])[0], D("7.5"))
    assert (grade.score, grade.status) == (D("7.50"), SlotStatus.MANUAL)
