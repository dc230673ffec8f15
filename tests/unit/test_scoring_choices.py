from dataclasses import replace
from decimal import Decimal as D

import pytest

from lms.domain.items import Choice, MultipleChoiceSpec, Scoring, SingleChoiceSpec
from lms.domain.responses import SingleChoiceResponse, TrueFalseResponse
from lms.domain.scoring import score_item
from tests.unit import item_samples as samples


def test_single_choice_right_and_wrong():
    right = score_item(samples.single(), "b")
    assert (right.score, right.max_score, right.correct) == (D("2.00"), D("2.00"), True)
    assert str(right.score) == "2.00"
    wrong = score_item(samples.single(), "a")
    assert (wrong.score, wrong.correct, wrong.reason) == (D("0.00"), False, "")
    assert wrong.parts[0].key == "a" and wrong.parts[0].correct is False


def test_single_choice_accepts_typed_responses():
    assert score_item(samples.single(), SingleChoiceResponse("b")).correct is True


def test_single_choice_half_credit_and_penalty_weights():
    spec = SingleChoiceSpec(stem="s", points=D(3), choices=(
        Choice("a", "right", D(100)), Choice("b", "nearly", D("33.33")),
        Choice("c", "harmful", D(-50))))
    half = score_item(spec, "b")
    assert (half.score, half.correct) == (D("1.00"), None)  # 0.9999 rounds to the cent
    assert score_item(spec, "c").score == 0  # floored by default
    penalised = score_item(replace(spec, floor_at_zero=False), "c")
    assert (penalised.score, penalised.correct) == (D("-1.50"), False)


@pytest.mark.parametrize(("chosen", "score", "correct"), [
    (["a", "b"], D("2.00"), True),
    (["a"], D("1.00"), None),
    (["b"], D("1.00"), None),
    (["a", "c"], D("0.00"), False),  # 50 - 100 = -50 %, floored at zero
    (["a", "b", "c"], D("0.00"), False),  # choosing everything earns nothing
    (["c"], D("0.00"), False),
    ([], D("0.00"), False),
])
def test_multiple_choice_moodle_weights(chosen, score, correct):
    result = score_item(samples.multiple(), chosen)
    assert (result.score, result.correct) == (score, correct)


def test_multiple_choice_negative_total_without_floor():
    spec = replace(samples.multiple(), floor_at_zero=False)
    assert score_item(spec, ["a", "c"]).score == D("-1.00")
    assert score_item(spec, ["c"]).score == D("-2.00")


def test_multiple_choice_parts_explain_each_choice():
    parts = {p.key: p for p in score_item(samples.multiple(), ["a", "c"]).parts}
    assert (parts["a"].score, parts["a"].correct, parts["a"].detail) == (D("1.00"), True,
                                                                         "selected")
    assert (parts["b"].score, parts["b"].correct, parts["b"].detail) == (D(0), False,
                                                                         "not_selected")
    assert (parts["c"].score, parts["c"].correct) == (D("-2.00"), False)


def _all_or_nothing():
    return MultipleChoiceSpec(stem="s", points=D(2), scoring=Scoring.ALL_OR_NOTHING, choices=(
        Choice("a", "x", D(100)), Choice("b", "y", D(100)), Choice("c", "z")))


@pytest.mark.parametrize(("chosen", "score"), [
    (["a", "b"], D(2)), (["b", "a", "a"], D(2)), (["a"], D(0)), (["a", "b", "c"], D(0)),
    ([], D(0)),
])
def test_multiple_choice_all_or_nothing(chosen, score):
    assert score_item(_all_or_nothing(), chosen).score == score


def test_multiple_choice_all_or_nothing_parts_are_not_scored_individually():
    parts = score_item(_all_or_nothing(), ["a", "c"]).parts
    assert [(p.key, p.score, p.correct) for p in parts] == [
        ("a", None, True), ("b", None, False), ("c", None, False)]


@pytest.mark.parametrize(("raw", "score"), [
    (True, D(1)), ("true", D(1)), ("对", D(1)), ("√", D(1)), (False, D(0)), ("错", D(0)),
    (TrueFalseResponse(True), D(1)),
])
def test_true_false(raw, score):
    assert score_item(samples.true_false(), raw).score == score


@pytest.mark.parametrize(("raw", "reason"), [
    (None, "unanswered"), ("z", "unknown_choice"), (["b"], "wrong_shape"),
    ({"b": True}, "wrong_shape"), (3.5, "wrong_shape"),
    (TrueFalseResponse(True), "wrong_response_type"),
])
def test_garbage_scores_zero_with_a_reason(raw, reason):
    result = score_item(samples.single(), raw)
    assert (result.score, result.correct, result.reason) == (D(0), False, reason)
    assert result.max_score == D("2.00") and not result.needs_marking
