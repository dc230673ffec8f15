from decimal import Decimal as D

import pytest

from lms.domain.responses import (
    CaseStudyResponse,
    EssayResponse,
    FillBlankResponse,
    MatchingResponse,
    MultipleChoiceResponse,
    NumericResponse,
    OrderingResponse,
    ResponseError,
    SingleChoiceResponse,
    TrueFalseResponse,
    parse_number,
    parse_response,
)
from tests.unit import item_samples as samples


@pytest.mark.parametrize(("spec", "raw", "typed"), [
    (samples.single(), "b", SingleChoiceResponse("b")),
    (samples.multiple(), ["b", "a", "b"], MultipleChoiceResponse(("a", "b"))),
    (samples.multiple(), [], MultipleChoiceResponse(())),
    (samples.true_false(), False, TrueFalseResponse(False)),
    (samples.true_false(), " 对 ", TrueFalseResponse(True)),
    (samples.true_false(), "×", TrueFalseResponse(False)),
    (samples.fill_blank(), {"2": "x"}, FillBlankResponse(("", "x"))),
    (samples.fill_blank(), ["a", "b"], FillBlankResponse(("a", "b"))),
    (samples.fill_blank(), {"1": None, 2: "y"}, FillBlankResponse(("", "y"))),
    (samples.numeric(), "200 元", NumericResponse("200 元", D(200), "元")),
    (samples.numeric(), 200, NumericResponse("200", D(200), "")),
    (samples.parametric(), "1,234.5", NumericResponse("1,234.5", D("1234.5"), "")),
    (samples.matching(), {"l2": "r2", "l1": "r4", "l3": None},
     MatchingResponse((("l1", "r4"), ("l2", "r2")))),
    (samples.ordering(), ["m4", "a9", "p2", "k7"], OrderingResponse(("m4", "a9", "p2", "k7"))),
    (samples.essay(), "工会……", EssayResponse("工会……")),
    (samples.case_study(), {"q1": "b", "q4": None},
     CaseStudyResponse((("q1", SingleChoiceResponse("b")),))),
])
def test_raw_input_becomes_the_typed_response_and_back(spec, raw, typed):
    assert parse_response(spec, raw) == typed
    assert parse_response(spec, typed.to_raw()) == typed
    assert parse_response(spec, typed) == typed


@pytest.mark.parametrize(("spec", "raw", "code"), [
    (samples.single(), None, "unanswered"),
    (samples.single(), "", "unanswered"),
    (samples.single(), "z", "unknown_choice"),
    (samples.single(), ["b"], "wrong_shape"),
    (samples.multiple(), "a", "wrong_shape"),
    (samples.multiple(), ["a", "z"], "unknown_choice"),
    (samples.multiple(), [["a"]], "wrong_shape"),
    (samples.true_false(), "maybe", "wrong_shape"),
    (samples.true_false(), 1, "wrong_shape"),
    (samples.fill_blank(), {"3": "x"}, "unknown_blank"),
    (samples.fill_blank(), {"one": "x"}, "unknown_blank"),
    (samples.fill_blank(), ["a", "b", "c"], "unknown_blank"),
    (samples.fill_blank(), {"1": 5}, "wrong_shape"),
    (samples.fill_blank(), {"1": "x" * 101}, "too_long"),
    (samples.numeric(), "二百", "not_a_number"),
    (samples.numeric(), float("nan"), "not_a_number"),
    (samples.numeric(), 10 ** 400, "not_a_number"),
    (samples.numeric(), True, "wrong_shape"),
    (samples.matching(), {"l9": "r1"}, "unknown_id"),
    (samples.matching(), {"l1": "r9"}, "unknown_id"),
    (samples.matching(), ["r1"], "wrong_shape"),
    (samples.ordering(), ["k7", "p2", "a9"], "not_a_permutation"),
    (samples.ordering(), ["k7", "p2", "a9", "a9"], "not_a_permutation"),
    (samples.ordering(), ["k7", "p2", "a9", 4], "wrong_shape"),
    (samples.essay(), "x" * 50_001, "too_long"),
    (samples.essay(), {"text": "x"}, "wrong_shape"),
    (samples.case_study(), {"q9": "a"}, "unknown_sub_item"),
    (samples.case_study(), ["b"], "wrong_shape"),
    (samples.description(), "anything", "no_response_expected"),
])
def test_bad_raw_input_raises_a_response_error_with_a_code(spec, raw, code):
    with pytest.raises(ResponseError) as err:
        parse_response(spec, raw)
    assert err.value.code == code


def test_a_bad_sub_answer_names_its_sub_item():
    with pytest.raises(ResponseError) as err:
        parse_response(samples.case_study(), {"q1": "z"})
    assert (err.value.code, err.value.path) == ("unknown_choice", "q1")


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("1234.5", D("1234.5"), ""),
    ("１２３４．５", D("1234.5"), ""),  # full-width digits and point
    ("1234。5", D("1234.5"), ""),  # ideographic full stop typed as the point
    ("1,234,567.89", D("1234567.89"), ""),
    ("1，234", D(1234), ""),  # full-width comma
    ("－12", D(-12), ""),
    ("−12.5", D("-12.5"), ""),  # U+2212 minus
    ("+3", D(3), ""),
    (".5", D("0.5"), ""),
    ("  200元 ", D(200), "元"),
    ("200 元", D(200), "元"),
    ("15%", D(15), "%"),
    ("15％", D(15), "%"),
    ("12.50 元/小时", D("12.50"), "元/小时"),
])
def test_numbers_are_read_as_candidates_type_them(text, value, unit):
    assert parse_number(text) == (value, unit)
    assert str(parse_number(text)[0]) == str(value)


@pytest.mark.parametrize("text", ["", "元", "1,5", "1,2345", "12 34", "1.", "1.2.3",
                                  "NaN", "Infinity", "- ", "١٢", "1" * 30])
def test_things_that_are_not_numbers(text):
    with pytest.raises(ResponseError) as err:
        parse_number(text)
    assert err.value.code == "not_a_number"


def test_scientific_notation_is_not_read_as_a_number():
    # "1e5" is the number 1 followed by the unit "e5", which no item declares
    assert parse_number("1e5") == (D(1), "e5")
