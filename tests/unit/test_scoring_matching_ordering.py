from dataclasses import replace
from decimal import Decimal as D

import pytest

from lms.domain.items import OrderScoring, Scoring
from lms.domain.scoring import score_item
from tests.unit import item_samples as samples

KEY = {"l1": "r1", "l2": "r2", "l3": "r3"}


def test_matching_all_right():
    result = score_item(samples.matching(), KEY)
    assert (result.score, result.correct) == (D("3.00"), True)


def test_matching_partial_credit_per_pair():
    result = score_item(samples.matching(), {"l1": "r1", "l2": "r4", "l3": None})
    assert (result.score, result.correct) == (D("1.00"), None)
    assert [(p.key, p.score, p.correct, p.detail) for p in result.parts] == [
        ("l1", D("1.00"), True, ""), ("l2", D(0), False, ""), ("l3", D(0), False, "blank")]


def test_matching_distractor_rights_and_reuse_count_as_wrong():
    assert score_item(samples.matching(), {"l1": "r4", "l2": "r4", "l3": "r4"}).score == 0


def test_matching_all_or_nothing():
    spec = replace(samples.matching(), scoring=Scoring.ALL_OR_NOTHING)
    assert score_item(spec, KEY).score == 3
    assert score_item(spec, KEY | {"l3": "r4"}).score == 0


KEY_ORDER = ["k7", "p2", "a9", "m4"]


@pytest.mark.parametrize(("scoring", "sequence", "score"), [
    (OrderScoring.ALL_OR_NOTHING, KEY_ORDER, D(3)),
    (OrderScoring.ALL_OR_NOTHING, ["p2", "k7", "a9", "m4"], D(0)),
    # positions: k7 and a9… are judged by absolute place
    (OrderScoring.POSITIONS, KEY_ORDER, D(3)),
    (OrderScoring.POSITIONS, ["p2", "k7", "a9", "m4"], D("1.50")),  # 2 of 4 in place
    (OrderScoring.POSITIONS, ["m4", "k7", "p2", "a9"], D(0)),  # all shifted by one
    # adjacent pairs: k7>p2, p2>a9, a9>m4
    (OrderScoring.ADJACENT_PAIRS, ["m4", "k7", "p2", "a9"], D(2)),  # shifted, 2 of 3 pairs kept
    (OrderScoring.ADJACENT_PAIRS, ["m4", "a9", "p2", "k7"], D(0)),  # reversed
    (OrderScoring.ADJACENT_PAIRS, KEY_ORDER, D(3)),
])
def test_ordering(scoring, sequence, score):
    result = score_item(replace(samples.ordering(), scoring=scoring), sequence)
    assert result.score == score


def test_ordering_parts_name_positions_or_pairs():
    spec = replace(samples.ordering(), scoring=OrderScoring.ADJACENT_PAIRS)
    parts = score_item(spec, ["m4", "k7", "p2", "a9"]).parts
    assert [(p.key, p.correct) for p in parts] == [
        ("k7>p2", True), ("p2>a9", True), ("a9>m4", False)]
    parts = score_item(samples.ordering(), KEY_ORDER).parts
    assert [p.key for p in parts] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("raw", [None, "k7,p2,a9,m4", ["k7", "p2"], {"0": "k7"}])
def test_ordering_garbage_scores_zero(raw):
    result = score_item(samples.ordering(), raw)
    assert result.score == 0 and result.reason
