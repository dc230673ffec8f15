"""Marking a paper (lms.domain.grading): a marking table per item type with its edge
cases, scaling to the paper's points, sections and minimums, the verdict, and
reading the exam page's stored fields."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from lms.domain.grading import (
    GradeItem,
    SlotStatus,
    grade_paper,
    paper_items,
    response_from_fields,
    section_minimums,
)
from lms.domain.items import (
    Blank,
    Choice,
    FillBlankSpec,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    OrderScoring,
    ParametricSpec,
    RoundingMode,
    Scoring,
    Variable,
)
from tests.unit import item_samples as samples

PASS = D(60)


def grade_one(spec, response, *, points=None, seed=7, calculators=None):
    item = GradeItem(0, "main", 1, 1, D(points) if points is not None else spec.points, seed)
    result = grade_paper([item], {1: spec}, {0: response}, pass_percent=PASS,
                         calculators=calculators)
    return result.slots[0]


def multiple_no_floor():
    return MultipleChoiceSpec(
        stem="下列哪些正确？", points=D(2), scoring=Scoring.PARTIAL, floor_at_zero=False,
        choices=(Choice("a", "甲", D(50)), Choice("b", "乙", D(50)), Choice("c", "丙", D(-100)),
                 Choice("d", "丁", D(-100))))


def multiple_all_or_nothing():
    return MultipleChoiceSpec(
        stem="下列哪些正确？", points=D(2), scoring=Scoring.ALL_OR_NOTHING,
        choices=(Choice("a", "甲", D(50)), Choice("b", "乙", D(50)), Choice("c", "丙")))


def fill_punctuation():
    return FillBlankSpec(stem="依据 [[1]] 规定。", points=D(1),
                         blanks=(Blank(1, accepted=("劳动法(第44条),第1款",)),))


def money(tolerance="0"):
    return NumericSpec(stem="应付加班费多少元？", points=D(2), unit="元",
                       answers=(NumericAnswer(D("1234.57"), tolerance=D(tolerance)),))


def money_parametric(rounding=RoundingMode.HALF_UP, tolerance="0"):
    # the raw answer is exactly 1234.565: the rounding mode decides the key
    return ParametricSpec(stem="工资 {a} 厘，合多少元？", points=D(2), unit="元", money=True,
                          variables=(Variable("a", D(1234565), D(1234565)),),
                          expression="a / 1000", rounding=rounding, tolerance=D(tolerance))


def broken_parametric():
    return ParametricSpec(stem="{a} 除以 {b}", points=D(2),
                          variables=(Variable("a", D(1), D(1)), Variable("b", D(0), D(0))),
                          expression="a / b")


def ordering_positions():
    return replace(samples.ordering(), scoring=OrderScoring.POSITIONS)


def ordering_pairs():
    return replace(samples.ordering(), scoring=OrderScoring.ADJACENT_PAIRS)


# (case, spec, raw response, score, reason); every row is auto-marked
TABLE = [
    ("single right", samples.single, "b", "2.00", ""),
    ("single wrong", samples.single, "a", "0.00", ""),
    ("single empty", samples.single, None, "0.00", "unanswered"),
    ("single blank text", samples.single, "", "0.00", "unanswered"),
    ("single unknown choice", samples.single, "z", "0.00", "unknown_choice"),
    ("single wrong shape", samples.single, ["b"], "0.00", "wrong_shape"),
    ("multiple both right", samples.multiple, ["a", "b"], "2.00", ""),
    ("multiple half", samples.multiple, ["a"], "1.00", ""),
    ("multiple all chosen, negative weight", samples.multiple, ["a", "b", "c"], "0.00", ""),
    ("multiple right + wrong, floored", samples.multiple, ["a", "c"], "0.00", ""),
    ("multiple duplicates count once", samples.multiple, ["a", "a", "b"], "2.00", ""),
    ("multiple empty", samples.multiple, None, "0.00", "unanswered"),
    ("multiple all chosen, no floor", multiple_no_floor, ["a", "b", "c", "d"], "-2.00", ""),
    ("multiple right + wrong, no floor", multiple_no_floor, ["a", "c"], "-1.00", ""),
    ("multiple all chosen, all-or-nothing", multiple_all_or_nothing, ["a", "b", "c"], "0.00",
     ""),
    ("multiple exact, all-or-nothing", multiple_all_or_nothing, ["b", "a"], "2.00", ""),
    ("true/false right", samples.true_false, True, "1.00", ""),
    ("true/false in Chinese", samples.true_false, "对", "1.00", ""),
    ("true/false wrong", samples.true_false, "错", "0.00", ""),
    ("true/false empty", samples.true_false, None, "0.00", "unanswered"),
    ("fill both", samples.fill_blank, {"1": "第11条", "2": "abcsecret"}, "2.00", ""),
    ("fill full-width digits", samples.fill_blank, {"1": "第１１条", "2": "ＡＢＣＳＥＣＲＥＴ"},
     "2.00", ""),
    ("fill one of two", samples.fill_blank, {"1": " 第十一条 ", "2": ""}, "1.00", ""),
    ("fill full-width punctuation", fill_punctuation, {"1": "劳动法（第44条），第１款"},
     "1.00", ""),
    ("fill ideographic spaces", fill_punctuation, {"1": "劳动法\u3000(第44条),第1款"},
     "1.00", ""),
    ("fill empty", samples.fill_blank, None, "0.00", "unanswered"),
    ("numeric exact", samples.numeric, "200", "2.00", ""),
    ("numeric full-width digits and unit", samples.numeric, "２００．００元", "2.00", ""),
    ("numeric full-width comma and stop", samples.numeric, "２００。００ 元", "2.00", ""),
    ("numeric within tolerance", samples.numeric, "200.01", "2.00", ""),
    ("numeric outside tolerance", samples.numeric, "200.02", "0.00", ""),
    ("numeric partial answer", samples.numeric, "145", "1.00", ""),
    ("numeric wrong unit", samples.numeric, "200 美元", "0.00", "wrong_unit"),
    ("numeric not a number", samples.numeric, "二百", "0.00", "not_a_number"),
    ("numeric bad grouping", samples.numeric, "２，００", "0.00", "not_a_number"),
    ("numeric empty", samples.numeric, None, "0.00", "unanswered"),
    ("money: key 1234.57, answer 1234.565, no tolerance", money, "1234.565", "0.00", ""),
    ("money: full-width thousands", money, "１，２３４．５７元", "2.00", ""),
    ("money: tolerance 0.005, edge counts", lambda: money("0.005"), "1234.565", "2.00", ""),
    ("money: tolerance 0.005, past the edge", lambda: money("0.005"), "1234.564", "0.00", ""),
    ("parametric half up: 1234.565 → 1234.57", money_parametric, "1234.57", "2.00", ""),
    ("parametric half up: 1234.56 is wrong", money_parametric, "1234.56", "0.00", ""),
    ("parametric unrounded answer is wrong", money_parametric, "1234.565", "0.00", ""),
    ("parametric half even: 1234.565 → 1234.56",
     lambda: money_parametric(RoundingMode.HALF_EVEN), "1234.56", "2.00", ""),
    ("parametric half even: 1234.57 is wrong",
     lambda: money_parametric(RoundingMode.HALF_EVEN), "1234.57", "0.00", ""),
    ("parametric tolerance 0.01 takes 1234.56",
     lambda: money_parametric(tolerance="0.01"), "1234.56", "2.00", ""),
    ("parametric full-width", money_parametric, "１，２３４．５７ 元", "2.00", ""),
    ("parametric empty", money_parametric, None, "0.00", "unanswered"),
    ("matching all", samples.matching, {"l1": "r1", "l2": "r2", "l3": "r3"}, "3.00", ""),
    ("matching one", samples.matching, {"l1": "r1", "l2": "r3"}, "1.00", ""),
    ("matching distractor everywhere", samples.matching, {"l1": "r4", "l2": "r4", "l3": "r4"},
     "0.00", ""),
    ("matching empty", samples.matching, None, "0.00", "unanswered"),
    ("ordering right", samples.ordering, ["k7", "p2", "a9", "m4"], "3.00", ""),
    ("ordering two swapped, all-or-nothing", samples.ordering, ["p2", "k7", "a9", "m4"],
     "0.00", ""),
    ("ordering two swapped, positions", ordering_positions, ["p2", "k7", "a9", "m4"], "1.50",
     ""),
    ("ordering reversed, adjacent pairs", ordering_pairs, ["m4", "a9", "p2", "k7"], "0.00", ""),
    ("ordering not a permutation", samples.ordering, ["k7", "k7", "a9", "m4"], "0.00",
     "not_a_permutation"),
    ("ordering empty", samples.ordering, None, "0.00", "unanswered"),
    ("essay left blank", samples.essay, None, "0.00", "unanswered"),
    ("essay only spaces", samples.essay, " \u3000 ", "0.00", "unanswered"),
    ("case study, objective parts", samples.case_study_auto, {"q1": "b", "q2": ["a"]}, "3.00",
     ""),
    ("case study, all empty", samples.case_study, None, "0.00", ""),
]


@pytest.mark.parametrize(("spec", "response", "score", "reason"),
                         [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_marking_table(spec, response, score, reason):
    grade = grade_one(spec(), response)
    assert grade.status is SlotStatus.AUTO
    assert grade.score == D(score)
    assert grade.result.reason == reason
    assert grade.detail["reason"] == reason


def test_every_item_type_has_a_row():
    types = {row[1]().codec_tag.value for row in TABLE}
    assert types == {"single_choice", "multiple_choice", "true_false", "fill_blank", "numeric",
                     "parametric", "matching", "ordering", "essay", "case_study"}


def test_an_essay_waits_for_a_marker():
    grade = grade_one(samples.essay(), "工会依法参与劳动争议调解……")
    assert grade.status is SlotStatus.PENDING_MANUAL
    assert grade.score is None
    assert grade.points == D("10.00")
    assert grade.detail["needs_marking"] is True
    # the rubric criteria are the parts a marker fills in
    assert [p["key"] for p in grade.detail["parts"]] == ["law", "practice", "writing",
                                                          "word_count"]


def test_a_case_study_with_an_essay_waits_but_keeps_its_auto_parts():
    grade = grade_one(samples.case_study(), {"q1": "b", "q2": {"1": "第11条"}, "q4": "论述"},
                      seed=11)
    assert grade.status is SlotStatus.PENDING_MANUAL and grade.score is None
    parts = {p["key"]: p for p in grade.detail["parts"]}
    assert parts["q1"]["score"] == "2.00"
    assert parts["q2"]["score"] == "1.00"
    assert parts["q3"]["score"] == "0.00" and parts["q3"]["detail"] == "unanswered"
    assert parts["q4"]["score"] is None and parts["q4"]["result"]["needs_marking"]


def test_a_key_that_cannot_be_computed_is_left_to_a_person():
    grade = grade_one(broken_parametric(), "1")
    assert grade.status is SlotStatus.PENDING_MANUAL and grade.score is None
    assert grade.result.reason == "scoring_failed"


# -- the paper's points ---------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "response", "points", "score"), [
    (samples.single, "b", "5", "5.00"),  # written for 2, worth 5 in the exam
    (samples.multiple, ["a"], "3", "1.50"),
    (samples.fill_blank, {"1": "第11条"}, "1", "0.50"),
    (ordering_positions, ["p2", "k7", "a9", "m4"], "1", "0.50"),
    (samples.matching, {"l1": "r1"}, "2", "0.67"),  # 1/3 of 2, half up
    (multiple_no_floor, ["a", "c"], "4", "-2.00"),
])
def test_scores_are_scaled_to_the_paper_points(spec, response, points, score):
    grade = grade_one(spec(), response, points=points)
    assert grade.points == D(points).quantize(D("0.01"))
    assert grade.score == D(score)


# -- sections, total and verdict ----------------------------------------------------------

def paper(sections, responses, *, pass_percent=PASS, minimums=None, spec=None):
    """``sections``: [(key, count, points)]; every item a copy of ``spec`` (single choice)."""
    spec = spec or samples.single()
    items, slot = [], 0
    for key, count, points in sections:
        for _ in range(count):
            items.append(GradeItem(slot, key, 100 + slot, 1, D(points), slot))
            slot += 1
    return grade_paper(items, {1: spec}, dict(enumerate(responses)),
                       pass_percent=D(pass_percent), min_percent=minimums)


def test_a_section_minimum_fails_a_candidate_whose_total_passes():
    result = paper([("law", 2, 10), ("practice", 2, 10)], ["b", "b", "b", "a"],
                   minimums={"practice": D(60)})
    assert (result.score, result.max_score, result.percent) == (D(30), D(40), D("75.00"))
    law, practice = result.sections
    assert (law.key, law.score, law.met) == ("law", D(20), True)
    assert (practice.score, practice.max_score, practice.met) == (D(10), D(20), False)
    assert result.passed is False
    # the same answers without the minimum pass
    assert paper([("law", 2, 10), ("practice", 2, 10)], ["b", "b", "b", "a"]).passed is True


def test_the_pass_mark_is_inclusive_and_compared_unrounded():
    assert paper([("main", 5, 2)], ["b", "b", "b", "a", "a"]).passed is True  # exactly 60 %
    assert paper([("main", 5, 2)], ["b", "b", "a", "a", "a"]).passed is False
    two_thirds = paper([("main", 3, 1)], ["b", "b", "a"], pass_percent="66.67")
    assert two_thirds.percent == D("66.67")  # shown rounded …
    assert two_thirds.passed is False  # … but 66.666… % is below 66.67 %


def test_a_minimum_is_met_exactly_at_its_percentage():
    result = paper([("a", 5, 1), ("b", 1, 1)], ["b", "b", "b", "a", "a", "b"],
                   minimums={"a": D(60)})
    assert result.sections[0].met is True


def test_pending_items_leave_the_verdict_open():
    essay, single = samples.essay(), samples.single()
    items = [GradeItem(0, "objective", 1, 1, D(10), 1), GradeItem(1, "writing", 2, 2, D(10), 2),
             GradeItem(2, "writing", 3, 1, D(10), 3)]
    result = grade_paper(items, {1: single, 2: essay}, {0: "b", 1: "论述", 2: "a"},
                         pass_percent=PASS, min_percent={"writing": D(50)})
    assert result.pending_manual == 1 and not result.complete
    assert result.passed is None
    assert result.score == D(10)  # what is marked so far
    objective, writing = result.sections
    assert objective.met is True
    assert (writing.pending, writing.met) == (1, None)  # the marker may still lift it


def test_a_pending_section_already_over_its_minimum_is_met():
    items = [GradeItem(0, "w", 1, 1, D(10), 1), GradeItem(1, "w", 2, 2, D(10), 2)]
    result = grade_paper(items, {1: samples.single(), 2: samples.essay()}, {0: "b", 1: "文"},
                         pass_percent=PASS, min_percent={"w": D(50)})
    assert result.sections[0].met is True and result.passed is None


def test_an_empty_paper_does_not_pass():
    result = grade_paper([], {}, {}, pass_percent=PASS)
    assert (result.score, result.max_score, result.percent, result.passed) == (0, 0, 0, False)


def test_the_frozen_paper_is_read_back():
    frozen = {"items": [{"section": "main", "question_id": 3, "version_id": 9, "points": "2.5",
                         "seed": 2**63 + 5, "option_order": ["b", "a"], "values": {}}],
              "rules": {"min_percent": {"main": "60", "other": None, "bad": "x"}}}
    assert paper_items(frozen) == [GradeItem(0, "main", 3, 9, D("2.5"), 2**63 + 5)]
    assert section_minimums(frozen) == {"main": D(60)}
    assert paper_items(None) == [] and section_minimums({}) == {}


# -- the exam page's fields -----------------------------------------------------------------

@pytest.mark.parametrize(("spec", "fields", "raw"), [
    (samples.single, {"s3": ["b"]}, "b"),
    (samples.single, {"s3": []}, None),
    (samples.single, {}, None),
    (samples.multiple, {"s3": ["a", "c"]}, ["a", "c"]),
    (samples.multiple, {"s3": []}, None),
    (samples.true_false, {"s3": ["false"]}, False),
    (samples.true_false, {"s3": []}, None),
    (samples.fill_blank, {"s3-1": ["第１１条"], "s3-2": [""]}, {"1": "第１１条", "2": ""}),
    (samples.fill_blank, {"s3-1": [" "], "s3-2": [""]}, None),
    (samples.numeric, {"s3": [" １，２３４．５ "]}, "１，２３４．５"),
    (samples.numeric, {"s3": [""]}, None),
    (samples.matching, {"s3-l1": ["r2"], "s3-l2": [""], "s3-l3": ["r3"]},
     {"l1": "r2", "l2": None, "l3": "r3"}),
    (samples.matching, {"s3-l1": [""]}, None),
    (samples.ordering, {"s3-k7": ["2"], "s3-p2": ["1"], "s3-a9": ["3"], "s3-m4": ["4"]},
     ["p2", "k7", "a9", "m4"]),
    (samples.ordering, {"s3-k7": ["1"], "s3-p2": ["1"]}, []),  # placed, but not a permutation
    (samples.ordering, {"s3-k7": [""]}, None),
    (samples.essay, {"s3": ["论述……"]}, "论述……"),
    (samples.essay, {"s3": ["\u3000 "]}, None),
    (samples.case_study, {"s3.q1": ["b"], "s3.q2-1": ["第11条"], "s3.q2-2": [""],
                          "s3.q3": [""], "s3.q4": ["论述"]},
     {"q1": "b", "q2": {"1": "第11条", "2": ""}, "q4": "论述"}),
    (samples.case_study, {"s3.q1": [], "s3.q4": [""]}, None),
    (samples.single, {"s30": ["b"], "s3x": ["b"]}, None),  # another slot's fields
])
def test_page_fields_become_the_raw_response(spec, fields, raw):
    assert response_from_fields(spec(), fields, "s3") == raw


def test_a_case_study_marked_from_page_fields():
    spec = samples.case_study_auto()
    raw = response_from_fields(spec, {"s0.q1": ["b"], "s0.q2": ["a", "b"]}, "s0")
    assert grade_one(spec, raw).score == D("4.00")
