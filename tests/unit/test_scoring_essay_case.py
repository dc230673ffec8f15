from decimal import Decimal as D

import pytest

from lms.domain.codec import PathError
from lms.domain.parametric import compute_answer, instantiate
from lms.domain.scoring import (
    ItemResult,
    MarkingError,
    mark_case_study,
    mark_essay,
    score_item,
    total_rubric_marking,
    word_count,
)
from lms.domain.seeding import derive_seed
from tests.unit import item_samples as samples

MARKS = {"law": "3.5", "practice": D(4), "writing": 1}


@pytest.mark.parametrize(("text", "count"), [
    ("工会法第十一条", 7),
    ("工会，职工。", 6),  # full-width punctuation counts
    ("PDCA 循环", 3),  # a Latin word is one
    ("2024年", 2),
    ("trade union's role", 3),
    ("  \n", 0),
])
def test_word_count_counts_chinese_characters(text, count):
    assert word_count(text) == count


def test_essay_needs_marking():
    result = score_item(samples.essay(), "工会在劳动争议调解中发挥重要作用。")
    assert (result.score, result.max_score, result.correct, result.needs_marking) == (
        None, D("10.00"), None, True)
    assert [p.key for p in result.parts] == ["law", "practice", "writing", "word_count"]
    assert result.parts[-1].detail == "17/500"


def test_essay_over_the_word_limit_is_flagged_for_the_marker():
    result = score_item(samples.essay(), "工" * 501)
    assert result.needs_marking and result.reason == "over_word_limit"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_essay_scores_zero_without_marking(raw):
    result = score_item(samples.essay(), raw)
    assert (result.score, result.needs_marking, result.reason) == (D(0), False, "unanswered")


def test_rubric_marking_totals_and_checks_each_criterion():
    assert total_rubric_marking(samples.essay(), MARKS) == D("8.5")
    final = mark_essay(samples.essay(), MARKS)
    assert (final.score, final.correct, final.needs_marking) == (D("8.50"), None, False)
    assert [(p.key, p.score) for p in final.parts] == [
        ("law", D("3.50")), ("practice", D("4.00")), ("writing", D("1.00"))]


@pytest.mark.parametrize(("marks", "key", "code"), [
    (MARKS | {"law": 5}, "law", "out_of_range"),
    (MARKS | {"law": -1}, "law", "out_of_range"),
    (MARKS | {"law": "1.255"}, "law", "too_precise"),
    (MARKS | {"law": "many"}, "law", "not_a_number"),
    (MARKS | {"law": True}, "law", "not_a_number"),
    ({"law": 1, "practice": 1}, "writing", "missing"),
    (MARKS | {"style": 1}, "style", "unknown_criterion"),
])
def test_bad_marks_are_refused(marks, key, code):
    with pytest.raises(MarkingError) as err:
        total_rubric_marking(samples.essay(), marks)
    assert (err.value.key, err.value.code) == (key, code)


def _case_answers(seed):
    sub = samples.parametric()
    expected = compute_answer(sub, instantiate(sub, derive_seed(seed, "q3")))
    return {"q1": "b", "q2": ["第十一条", "nope"], "q3": str(expected), "q4": "我的论述……"}


def test_case_study_sums_sub_items_and_waits_for_the_essay():
    result = score_item(samples.case_study(), _case_answers(8), seed=8)
    assert (result.score, result.needs_marking, result.correct) == (None, True, None)
    parts = {p.key: p for p in result.parts}
    assert parts["q1"].score == D(2) and parts["q2"].score == D(1)
    assert parts["q3"].score == D(3)  # the sub-item's seed is derive_seed(seed, "q3")
    assert parts["q4"].score is None and parts["q4"].result.needs_marking
    final = mark_case_study(samples.case_study(), result, {"q4": MARKS})
    assert (final.score, final.needs_marking, final.max_score) == (D("14.50"), False, D("17.00"))


def test_case_study_marking_must_cover_exactly_the_waiting_essays():
    result = score_item(samples.case_study(), _case_answers(8), seed=8)
    with pytest.raises(MarkingError) as err:
        mark_case_study(samples.case_study(), result, {})
    assert (err.value.key, err.value.code) == ("q4", "missing")
    with pytest.raises(MarkingError) as err:
        mark_case_study(samples.case_study(), result, {"q4": MARKS, "q1": {}})
    assert (err.value.key, err.value.code) == ("q1", "not_awaiting_marking")


def test_case_study_without_essays_is_scored_at_once():
    result = score_item(samples.case_study_auto(), {"q1": "b", "q2": ["a", "b"]})
    assert (result.score, result.correct, result.needs_marking) == (D(4), True, False)
    half = score_item(samples.case_study_auto(), {"q1": "b", "q2": ["a"]})
    assert (half.score, half.correct) == (D(3), None)


def test_garbage_in_one_sub_item_costs_only_that_sub_item():
    result = score_item(samples.case_study_auto(), {"q1": "b", "q2": "garbage", "zz": 1})
    assert result.score == D(2)
    assert result.parts[1].detail == "wrong_shape"


@pytest.mark.parametrize("raw", [None, "b", ["b"], 3])
def test_case_study_of_the_wrong_shape_scores_zero(raw):
    result = score_item(samples.case_study_auto(), raw)
    assert result.score == 0 and not result.needs_marking


def test_description_is_never_scored():
    result = score_item(samples.description(), "anything")
    assert (result.score, result.max_score, result.correct, result.reason) == (
        D(0), D(0), None, "not_scored")


def test_item_results_round_trip_through_dicts():
    result = score_item(samples.case_study(), _case_answers(8), seed=8)
    assert ItemResult.from_dict(result.to_dict()) == result
    assert result.to_dict()["parts"][0]["result"]["score"] == "2.00"
    with pytest.raises(PathError):
        ItemResult.from_dict({"score": "x"})
