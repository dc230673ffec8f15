"""The pure rules of practice quizzes: drawing, the verdict, the form, the key."""

from decimal import Decimal as D

import pytest

from lms.domain import practice as rules
from lms.domain.presentation import candidate_view
from lms.domain.scoring import ItemResult, score_item
from tests.unit import item_samples


def test_draw_is_a_reproducible_sample_without_replacement():
    pool = list(range(100, 140))
    drawn = rules.draw(pool, 10, seed=7)
    assert len(drawn) == len(set(drawn)) == 10 and set(drawn) <= set(pool)
    assert rules.draw(reversed(pool), 10, seed=7) == drawn  # the pool's order does not matter
    assert rules.draw(pool, 10, seed=8) != drawn
    assert sorted(rules.draw(pool[:4], 10, seed=7)) == pool[:4]  # a small pool: all of it
    assert rules.draw(pool, 0, seed=7) == ()


@pytest.mark.parametrize(("score", "maximum", "threshold", "passed"), [
    ("3", "5", 60, True),  # exactly at the threshold
    ("2.99", "5", 60, False),
    ("7.9998", "10", 80, False),  # would round to 80.00 %, still short
    ("10", "10", 100, True),
    ("0", "0", 1, False),
])
def test_passes_compares_exactly(score, maximum, threshold, passed):
    assert rules.passes(D(score), D(maximum), threshold) is passed


def test_summarise_adds_up_and_rounds_only_the_shown_percentage():
    results = [ItemResult(D("1.00"), D("1.00"), True), ItemResult(D("0.00"), D("2.00"), False),
               ItemResult(D("0.00"), D("0.00"), None, reason="not_scorable")]
    summary = rules.summarise(results, 33)
    assert (summary.score, summary.max_score, summary.percent) == (D("1.00"), D("3.00"),
                                                                   D("33.33"))
    assert summary.passed


def test_quiz_status_states():
    assert rules.QuizStatus().state == "not_started"
    assert rules.QuizStatus(2, D("40.00"), False).state == "attempted"
    assert rules.QuizStatus(3, D("80.00"), True).state == "passed"


def view_and_spec(name: str, seed: int = 5):
    spec = item_samples.ALL[name]()
    return spec, candidate_view(spec, seed=seed)


def test_the_form_becomes_responses_that_score():
    spec, view = view_and_spec("fill_blank")
    raw = rules.response_from_form(spec, view, {"q1-1": [" 第11条 "], "q1-2": ["abcsecret"]},
                                   "q1")
    assert score_item(spec, raw).correct
    spec, view = view_and_spec("matching")
    form = {"q2-l1": ["r1"], "q2-l2": ["r2"], "q2-l3": [""]}
    raw = rules.response_from_form(spec, view, form, "q2")
    assert raw == {"l1": "r1", "l2": "r2", "l3": None}
    assert score_item(spec, raw).score == D("2.00")
    spec, view = view_and_spec("multiple_choice")
    assert rules.response_from_form(spec, view, {"q3": ["a", "b"]}, "q3") == ["a", "b"]
    assert rules.response_from_form(spec, view, {}, "q3") == []
    spec, view = view_and_spec("true_false")
    assert rules.response_from_form(spec, view, {"q4": ["false"]}, "q4") is False
    assert rules.response_from_form(spec, view, {}, "q4") is None
    spec, view = view_and_spec("numeric")
    assert rules.response_from_form(spec, view, {"q5": ["  "]}, "q5") is None


def test_ordering_positions_must_be_a_permutation():
    spec, view = view_and_spec("ordering")
    right = {"q1-k7": ["1"], "q1-p2": ["2"], "q1-a9": ["3"], "q1-m4": ["4"]}
    raw = rules.response_from_form(spec, view, right, "q1")
    assert raw == ["k7", "p2", "a9", "m4"] and score_item(spec, raw).correct
    shared = {**right, "q1-m4": ["3"]}
    assert rules.response_from_form(spec, view, shared, "q1") == []
    assert score_item(spec, []).reason == "not_a_permutation"
    assert rules.response_from_form(spec, view, {}, "q1") is None


def test_answer_key_for_feedback():
    assert rules.answer_key(item_samples.single(), 1) == {"choices": ["b"]}
    assert rules.answer_key(item_samples.multiple(), 1) == {"choices": ["a", "b"]}
    assert rules.answer_key(item_samples.true_false(), 1) == {"answer": True}
    assert rules.answer_key(item_samples.fill_blank(), 1)["blanks"][1] == (2, ["ABCSECRET"])
    assert rules.answer_key(item_samples.numeric(), 1) == {"values": ["200.00 ± 0.01"],
                                                            "unit": "元"}
    spec = item_samples.parametric()
    [value] = rules.answer_key(spec, 9)["values"]
    expected = score_item(spec, "0", seed=9).parts[0].detail  # the scorer's expected value
    assert value == expected
    assert rules.answer_key(item_samples.ordering(), 1) == {"sequence": ["k7", "p2", "a9",
                                                                         "m4"]}


def test_practice_types_leave_out_what_a_marker_must_mark():
    names = {t.value for t in rules.PRACTICE_TYPES}
    assert not names & {"essay", "case_study", "description"}
    assert {"single_choice", "parametric", "matching", "ordering"} <= names
