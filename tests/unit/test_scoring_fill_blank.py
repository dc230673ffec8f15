import time
from dataclasses import replace
from decimal import Decimal as D

import pytest

from lms.domain.items import Blank, FillBlankSpec, Scoring
from lms.domain.scoring import blank_accepts, normalise_blank, score_item
from tests.unit import item_samples as samples


@pytest.mark.parametrize(("text", "accepted"), [
    ("第十一条", True),
    ("第 十一 条", True),  # inner spaces are ignored by default
    ("  第十一条　", True),  # so are surrounding ones, the ideographic space included
    ("第１１条", True),  # full-width digits fold to "第11条"
    ("第十二条", False),
    ("", False),
])
def test_blank_normalisation_by_default(text, accepted):
    assert blank_accepts(Blank(1, accepted=("第十一条", "第11条")), text) is accepted


def test_full_width_letters_and_case_fold_by_default():
    blank = Blank(1, accepted=("abc",))
    assert blank_accepts(blank, "ＡＢＣ")
    assert blank_accepts(blank, "A b C")


@pytest.mark.parametrize(("options", "text", "accepted"), [
    ({"case_sensitive": True}, "ABC", False),
    ({"case_sensitive": True}, "abc", True),
    ({"fold_width": False}, "ａｂｃ", False),
    ({"ignore_spaces": False}, "a bc", False),
    ({"ignore_spaces": False}, "  abc  ", True),
])
def test_normalisation_is_configurable_per_blank(options, text, accepted):
    assert blank_accepts(Blank(1, accepted=("abc",), **options), text) is accepted


def test_inner_spaces_collapse_when_kept():
    blank = Blank(1, accepted=("trade union",), ignore_spaces=False)
    assert normalise_blank("Trade \u3000  Union", blank) == "trade union"
    assert blank_accepts(blank, "trade   union")
    assert not blank_accepts(blank, "tradeunion")


def test_patterns_match_the_whole_normalised_answer():
    blank = Blank(1, pattern=r"第(十一|11)条")
    assert blank_accepts(blank, "第 11 条")
    assert blank_accepts(blank, "第十一条")
    assert not blank_accepts(blank, "第十一条款")  # fullmatch, not search
    assert blank_accepts(Blank(1, pattern="ABC"), "abc")  # case folded unless case_sensitive
    assert not blank_accepts(Blank(1, pattern="ABC", case_sensitive=True), "abc")


def test_pattern_work_is_bounded_by_the_answer_length_cap():
    blank = Blank(1, pattern=".*.*.*.*x")  # polynomial, refused patterns aside
    started = time.perf_counter()
    assert not blank_accepts(blank, "a" * 100)
    assert time.perf_counter() - started < 2


def test_partial_credit_per_blank():
    spec = samples.fill_blank()
    both = score_item(spec, {"1": "第 十一 条", "2": "abcsecret"})
    assert (both.score, both.correct) == (D("2.00"), True)
    one = score_item(spec, ["第11条", "wrong"])
    assert (one.score, one.correct) == (D("1.00"), None)
    assert [(p.key, p.score, p.correct) for p in one.parts] == [
        ("1", D("1.00"), True), ("2", D(0), False)]
    blank = score_item(spec, {"1": "第11条"})
    assert blank.parts[1].detail == "blank"


def test_blank_weights_share_the_points():
    spec = FillBlankSpec(stem="[[1]] [[2]] [[3]]", points=D(1), blanks=(
        Blank(1, accepted=("a",)), Blank(2, accepted=("b",)), Blank(3, accepted=("c",),
                                                                    weight=D(2))))
    assert score_item(spec, ["a", "x", "x"]).score == D("0.25")
    assert score_item(spec, ["x", "x", "c"]).score == D("0.50")
    thirds = replace(spec, blanks=tuple(replace(b, weight=D(1)) for b in spec.blanks))
    assert score_item(thirds, ["a", "x", "x"]).score == D("0.33")
    assert score_item(thirds, ["a", "b", "c"]).score == D("1.00")  # not 0.99


def test_all_or_nothing_blanks():
    spec = replace(samples.fill_blank(), scoring=Scoring.ALL_OR_NOTHING)
    wrong = score_item(spec, ["第11条", "wrong"])
    assert wrong.score == 0
    assert [(p.score, p.correct) for p in wrong.parts] == [(None, True), (None, False)]
    assert score_item(spec, ["第11条", "ABCSECRET"]).score == D(2)


@pytest.mark.parametrize("raw", [None, "第十一条", {"1": ["x"]}, {"9": "x"}, 42])
def test_wrong_shapes_score_zero(raw):
    result = score_item(samples.fill_blank(), raw)
    assert result.score == 0 and result.reason
