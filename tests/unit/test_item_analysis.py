"""Item analysis: a hand-worked paper, numpy/scipy on random papers, degenerate cases."""

import math
import random
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lms.domain.item_analysis import (
    Bin,
    ChoiceResponses,
    Flag,
    ReliabilityMethod,
    Thresholds,
    analyse,
    group_weights,
    histogram,
)

# ---------------------------------------------------------------- the hand-worked paper
#
# Ten candidates A–J, five 1-point items, everyone had every item:
#
#        i1 i2 i3 i4 i5   total
#   A     1  1  1  1  1     5
#   B     1  1  1  1  0     4
#   C     1  1  1  0  0     3
#   D     1  1  0  1  0     3
#   E     1  0  1  1  0     3
#   F     1  1  0  0  0     2
#   G     1  0  1  0  0     2
#   H     0  1  0  0  0     1
#   I     1  0  0  0  0     1
#   J     0  0  0  0  1     1
#
# Facility p = correct / 10:  i1 8/10 = .8, i2 .6, i3 .5, i4 .4, i5 .2 (Σ = 25 = Σ totals).
# Item SD (population) = √(pq): .4, √.24 = .48990, .5, .48990, .4.
#
# Groups: g = ⌊.27·10 + .5⌋ = 3.
#   Upper: sorted down 5, 4, 3, 3, 3 … the cut (3rd) is 3; A and B are above it and
#   count fully, C, D, E are tied at it and share the one place left: 1/3 each.
#   Lower: sorted up 1, 1, 1 — H, I, J, weight 1 each, no tie beyond them.
#   p_upper = (A + B + (C + D + E)/3) / 3, p_lower = (H + I + J) / 3:
#   i1: (1 + 1 + 3/3)/3 = 1        − 1/3 (I)  → D = 2/3
#   i2: (1 + 1 + 2/3)/3 = 8/9      − 1/3 (H)  → D = 5/9
#   i3: (1 + 1 + 2/3)/3 = 8/9      − 0        → D = 8/9
#   i4: (1 + 1 + 2/3)/3 = 8/9      − 0        → D = 8/9
#   i5: (1 + 0 + 0)/3  = 1/3       − 1/3 (J)  → D = 0   → low discrimination
#
# Item-rest r = Sxy / √(Sxx·Syy), rest = total − item, S.. = Σ products − n·means:
#   i1: rest 4 3 2 2 2 1 1 1 0 1, Σ = 17; Σx·rest = 15; Sxy = 15 − 10·.8·1.7 = 1.4;
#       Sxx = 10·.16 = 1.6; Σrest² = 41, Syy = 41 − 28.9 = 12.1; r = 1.4/√19.36 = 1.4/4.4 = 7/22
#   i2: rest 4 3 2 2 3 1 2 0 1 1, Σ = 19; Σx·rest = 12; Sxy = 12 − 11.4 = .6; Sxx = 2.4;
#       Σrest² = 49, Syy = 12.9; r = .6/√30.96 = .107833
#   i3: rest 4 3 2 3 2 2 1 1 1 1, Σ = 20; Σx·rest = 12; Sxy = 12 − 10 = 2; Sxx = 2.5;
#       Σrest² = 50, Syy = 10; r = 2/√25 = .4
#   i4: rest 4 3 3 2 2 2 2 1 1 1, Σ = 21; Σx·rest = 11; Sxy = 11 − 8.4 = 2.6; Sxx = 2.4;
#       Σrest² = 53, Syy = 8.9; r = 2.6/√21.36 = .562565
#   i5: rest 4 4 3 3 3 2 2 1 1 0, Σ = 23; Σx·rest = 4; Sxy = 4 − 4.6 = −.6; Sxx = 1.6;
#       Σrest² = 69, Syy = 16.1; r = −.6/√25.76 = −.118217
#
# Totals: mean 25/10 = 2.5; median of 1 1 1 2 2 3 3 3 4 5 = (2 + 3)/2 = 2.5.
#   Σ(total − 2.5)² = 6.25 + 2.25 + 3·.25 + 2·.25 + 3·2.25 = 16.5;
#   sample SD = √(16.5/9) = √(11/6) = 1.354006; population variance σ² = 1.65.
# KR-20 (all items 0/1): Σpq = .16 + .24 + .25 + .24 + .16 = 1.05;
#   5/4 · (1 − 1.05/1.65) = 5/4 · 4/11 = 5/11 = .454545
# SEM = √(11/6) · √(1 − 5/11) = √(11/6 · 6/11) = 1.
#
# Options of i5 (key c): chosen  A c, B b, C b, D a, E b, F a, G d, H a, I d, J c.
#   b: overall 3/10; upper (B + (C + E)/3)/3 = (5/3)/3 = 5/9; lower 0 → a distractor the
#      upper group prefers: flagged.
#   a: .3, upper (D/3)/3 = 1/9, lower H 1/3;  c: .2, 1/3, 1/3;  d: .2, 0, I 1/3.
# Options of i1 (key a): A–G and I chose a, H chose b, J nothing:
#   a .8 (upper 1, lower 1/3), b .1 (0, 1/3), c 0, d 0; omitted .1.

HAND = ["11111", "11110", "11100", "11010", "10110", "11000", "10100", "01000", "10000",
        "00001"]
HAND_SCORES = [[int(c) for c in row] for row in HAND]
I5_CHOSEN = ["c", "b", "b", "a", "b", "a", "d", "a", "d", "c"]
I1_CHOSEN = ["a"] * 7 + ["b", "a", None]


def _hand():
    return analyse(HAND_SCORES, [1] * 5, item_ids=["i1", "i2", "i3", "i4", "i5"], choices={
        0: ChoiceResponses(["a", "b", "c", "d"], {"a"}, I1_CHOSEN),
        4: ChoiceResponses(["a", "b", "c", "d"], {"c"}, I5_CHOSEN)})


def test_hand_worked_item_statistics():
    items = _hand().items
    assert [i.item_id for i in items] == ["i1", "i2", "i3", "i4", "i5"]
    assert [i.n for i in items] == [10] * 5
    assert [i.facility for i in items] == pytest.approx([.8, .6, .5, .4, .2])
    assert [i.sd for i in items] == pytest.approx([.4, math.sqrt(.24), .5, math.sqrt(.24), .4])
    assert [i.upper_facility for i in items] == pytest.approx([1, 8 / 9, 8 / 9, 8 / 9, 1 / 3])
    assert [i.lower_facility for i in items] == pytest.approx([1 / 3, 1 / 3, 0, 0, 1 / 3])
    assert [i.discrimination for i in items] == pytest.approx([2 / 3, 5 / 9, 8 / 9, 8 / 9, 0])
    assert [i.item_rest_r for i in items] == pytest.approx(
        [7 / 22, .6 / math.sqrt(30.96), .4, 2.6 / math.sqrt(21.36), -.6 / math.sqrt(25.76)])
    assert all(i.dichotomous for i in items)
    # i5's D is exactly 0 (1/3 − 1/3 is not allowed to come out as −5.6e-17): low, not negative
    assert items[4].discrimination == 0
    assert items[4].flags == (Flag.LOW_DISCRIMINATION, Flag.DISTRACTOR_FAVOURS_UPPER)
    # p = .2 is not below the "too hard" threshold .2; nothing else is flagged
    assert [i.flags for i in items[:4]] == [(), (), (), ()]


def test_hand_worked_distractors():
    items = _hand().items
    i5 = {o.key: o for o in items[4].options}
    assert [o.key for o in items[4].options] == ["a", "b", "c", "d"]
    assert [x for k in "abcd" for x in (i5[k].share, i5[k].share_upper, i5[k].share_lower)] \
        == pytest.approx([.3, 1 / 9, 1 / 3, .3, 5 / 9, 0, .2, 1 / 3, 1 / 3, .2, 0, 1 / 3])
    assert [i5[k].flagged for k in "abcd"] == [False, True, False, False]
    assert [i5[k].correct for k in "abcd"] == [False, False, True, False]
    assert items[4].omitted == 0
    i1 = items[0].options
    assert [o.key for o in i1] == ["a", "b", "c", "d"]
    assert [x for o in i1 for x in (o.share, o.share_upper, o.share_lower)] == pytest.approx(
        [.8, 1, 1 / 3, .1, 0, 1 / 3, 0, 0, 0, 0, 0, 0])
    assert items[0].omitted == pytest.approx(.1)
    assert not any(o.flagged for o in i1)
    assert items[1].options == () and items[1].omitted is None


def test_hand_worked_paper():
    paper = _hand().paper
    assert paper.attempts == 10
    assert paper.mean == pytest.approx(2.5)
    assert paper.median == pytest.approx(2.5)
    assert paper.sd == pytest.approx(math.sqrt(11 / 6))
    assert paper.reliability_method is ReliabilityMethod.KR20
    assert paper.reliability_items == 5
    assert paper.reliability == pytest.approx(5 / 11)
    assert paper.reliability_sd == pytest.approx(paper.sd)
    assert paper.sem == pytest.approx(1)


def test_hand_worked_histogram():
    # totals 5 4 3 3 3 2 2 1 1 1 of 5 → 100, 80, 60 ×3, 40 ×2, 20 ×3 per cent
    analysis = _hand()
    assert analysis.percentages == pytest.approx((100, 80, 60, 60, 60, 40, 40, 20, 20, 20))
    assert [b.count for b in analysis.histogram()] == [0, 0, 3, 0, 2, 0, 3, 0, 1, 1]
    assert [(b.low, b.high) for b in analysis.histogram(5)] == [
        (0, 20), (20, 40), (40, 60), (60, 80), (80, 100)]
    assert [b.count for b in analysis.histogram(5)] == [0, 3, 2, 3, 2]


def test_alpha_for_partial_credit_by_hand():
    # i1 (max 2): 2 1 1 0, mean 1, σ² = (1 + 0 + 0 + 1)/4 = .5
    # i2 (max 1): 1 1 0 0, σ² = pq = .25
    # S: 3 2 1 0, mean 1.5, σ² = (2.25 + .25 + .25 + 2.25)/4 = 1.25
    # alpha = 2/1 · (1 − .75/1.25) = .8 (i1 scores 1 of 2, so not KR-20)
    # sample SD = √(5/3); SEM = √(5/3 · .2) = √(1/3)
    paper = analyse([[2, 1], [1, 1], [1, 0], [0, 0]], [2, 1]).paper
    assert paper.reliability_method is ReliabilityMethod.ALPHA
    assert paper.reliability == pytest.approx(.8)
    assert paper.sd == pytest.approx(math.sqrt(5 / 3))
    assert paper.sem == pytest.approx(math.sqrt(1 / 3))


def test_kr20_for_dichotomous_items_worth_more_than_one_point():
    # a 2-point item scored 0 or 2 is dichotomous: KR-20 with m²pq, the same number as alpha
    ones = analyse(HAND_SCORES, [1] * 5).paper
    doubled = analyse([[2 * x for x in row] for row in HAND_SCORES], [2] * 5).paper
    assert doubled.reliability_method is ReliabilityMethod.KR20
    assert doubled.reliability == pytest.approx(ones.reliability)
    assert doubled.sem == pytest.approx(2 * ones.sem)


def test_multiple_choice_sets_and_keys_outside_the_options():
    # four attempts, totals 3 2 1 0 → g = ⌊1.08 + .5⌋ = 1: upper is the first, lower the last.
    # The item (correct a + b) has options a b c; "x" is a key the options do not list.
    scores = [[1, 2], [1, 1], [0, 1], [0, 0]]
    chosen = [{"a", "b"}, ["a", "c", "a"], "x", set()]
    item = analyse(scores, [1, 2], choices={
        0: ChoiceResponses(["a", "b", "c"], {"a", "b"}, chosen)}).items[0]
    options = {o.key: o for o in item.options}
    assert [o.key for o in item.options] == ["a", "b", "c", "x"]
    assert [options[k].share for k in "abcx"] == [.5, .25, .25, .25]  # a chosen once per attempt
    assert [options[k].share_upper for k in "abcx"] == [1, 1, 0, 0]
    assert [options[k].share_lower for k in "abcx"] == [0, 0, 0, 0]
    assert [options[k].correct for k in "abcx"] == [True, True, False, False]
    assert not any(o.flagged for o in item.options)
    assert item.omitted == .25


# ---------------------------------------------------------------- groups, ties, flags


def test_ties_at_the_cut_share_the_remaining_places():
    # 10 attempts, g = 3. Upper: 9 counts fully, the four 7s share 2 places (.5 each).
    # Lower: the 1 counts fully, the three 2s share the two places left (2/3 each).
    totals = [9, 7, 7, 7, 7, 5, 2, 2, 2, 1]
    upper, lower = group_weights(totals)
    assert upper == pytest.approx([1, .5, .5, .5, .5, 0, 0, 0, 0, 0])
    assert lower == pytest.approx([0, 0, 0, 0, 0, 0, 2 / 3, 2 / 3, 2 / 3, 1])
    assert sum(upper) == pytest.approx(3) and sum(lower) == pytest.approx(3)
    # the order of the rows does not matter
    shuffled = [7, 2, 9, 7, 1, 2, 7, 5, 2, 7]
    upper2, _ = group_weights(shuffled)
    assert sorted(zip(shuffled, upper2, strict=True)) == sorted(zip(totals, upper, strict=True))


def test_group_size_rounds_27_percent_half_up():
    assert sum(group_weights(list(range(100)))[0]) == 27
    assert sum(group_weights([1, 2])[0]) == 1  # ⌊.54 + .5⌋
    assert sum(group_weights([1])[0]) == 0
    assert sum(group_weights(list(range(50)), fraction=.5)[0]) == 25


def test_flags_follow_the_thresholds():
    # item 0: everybody in the top half right, bottom half wrong (D = 1, p = .5);
    # item 1: the reverse of item 0 on a third item's ranking → negative D
    scores = [[1, 0, 1], [1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 1, 0], [0, 1, 0]]
    items = analyse(scores, [1, 1, 1]).items
    assert items[1].discrimination < 0
    assert items[1].flags == (Flag.NEGATIVE_DISCRIMINATION,)
    assert items[0].flags == ()
    easy = analyse([[1]] * 19 + [[0]], [1]).items[0]  # p = .95: not above .95
    assert Flag.TOO_EASY not in easy.flags
    easier = analyse([[1]] * 20, [1]).items[0]
    assert Flag.TOO_EASY in easier.flags
    hard = [[1]] + [[0]] * 9  # p = .1
    assert Flag.TOO_HARD in analyse(hard, [1]).items[0].flags
    at_threshold = Thresholds(too_hard=.1)
    assert Flag.TOO_HARD not in analyse(hard, [1], thresholds=at_threshold).items[0].flags
    strict = Thresholds(low_discrimination=.95)
    assert analyse(scores, [1, 1, 1], thresholds=strict).items[0].flags == ()
    lenient = analyse(HAND_SCORES, [1] * 5, thresholds=Thresholds(low_discrimination=.6)).items
    assert [Flag.LOW_DISCRIMINATION in i.flags for i in lenient] == [
        False, True, False, False, True]


# ---------------------------------------------------------------- degenerate cases


def test_everyone_right_on_everything():
    analysis = analyse([[1, 2]] * 6, [1, 2])
    for item in analysis.items:
        assert item.facility == 1 and item.sd == 0
        assert item.item_rest_r is None  # zero variance
        assert item.discrimination == 0  # every total tied: both groups are everyone
        assert item.flags == (Flag.LOW_DISCRIMINATION, Flag.TOO_EASY)
    paper = analysis.paper
    assert paper.sd == 0 and paper.median == 3
    assert paper.reliability is None and paper.reliability_method is None and paper.sem is None
    assert paper.reliability_items == 2


def test_one_attempt():
    analysis = analyse([[1, 0, Decimal("0.5")]], [1, 1, 1])
    item = analysis.items[0]
    assert item.n == 1 and item.facility == 1 and item.sd == 0
    assert item.discrimination is None and item.upper_facility is None
    assert item.item_rest_r is None
    assert item.flags == (Flag.TOO_EASY,)
    paper = analysis.paper
    assert paper.attempts == 1 and paper.mean == 1.5 and paper.median == 1.5
    assert paper.sd is None and paper.reliability is None and paper.sem is None
    assert [b.count for b in analysis.histogram()] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]


def test_no_attempts_and_an_item_nobody_had():
    empty = analyse([], [1, 2])
    assert [i.n for i in empty.items] == [0, 0]
    assert empty.items[0].facility is None and empty.items[0].flags == ()
    assert empty.paper.attempts == 0 and empty.paper.mean is None and empty.paper.sd is None
    assert empty.histogram()[0].count == 0
    missing = analyse([[1, None], [0, None], [1, None]], [1, 1])
    assert missing.items[1].n == 0 and missing.items[1].discrimination is None
    assert missing.paper.reliability_items == 1 and missing.paper.reliability is None
    assert analyse([[None, None]], [1, 1]).percentages == (None,)


def test_reliability_uses_only_the_items_every_attempt_had():
    # items 0 and 1 on every paper, item 2 on some: alpha over items 0 and 1 only
    full = [[1, 1], [1, 0], [0, 1], [0, 0], [1, 1]]
    pooled = [[1, 1, None], [1, 0, 1], [0, 1, None], [0, 0, 0], [1, 1, 1]]
    assert analyse(pooled, [1, 1, 1]).paper.reliability == pytest.approx(
        analyse(full, [1, 1]).paper.reliability)
    assert analyse(pooled, [1, 1, 1]).paper.reliability_items == 2


def test_decimals_and_floats_give_the_same_numbers():
    rows = [[Decimal("1.5"), Decimal("0"), None], [Decimal("0.75"), Decimal("1"), Decimal("2")],
            [Decimal("0"), Decimal("1"), Decimal("1.25")], [Decimal("1.5"), Decimal("0"), None]]
    floats = [[None if x is None else float(x) for x in row] for row in rows]
    assert analyse(rows, [Decimal("1.5"), 1, 2]) == analyse(floats, [1.5, 1.0, 2.0])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="row has 1 scores for 2"):
        analyse([[1, 0], [1]], [1, 1])
    with pytest.raises(ValueError, match="positive"):
        analyse([[0]], [0])
    with pytest.raises(ValueError, match="item_ids"):
        analyse([[0]], [1], item_ids=["a", "b"])


def test_histogram_edges_and_clamping():
    bins = histogram([0, 9.999, 10, 30.000000000001, 99.9, 100, -5, 130])
    assert [b.count for b in bins] == [3, 1, 0, 1, 0, 0, 0, 0, 0, 3]
    assert bins[0] == Bin(0, 10, 3)
    with pytest.raises(ValueError):
        histogram([1], bins=0)


# ---------------------------------------------------------------- against numpy / scipy


def _weights_np(totals: np.ndarray, fraction: float = .27) -> tuple[np.ndarray, np.ndarray]:
    count = len(totals)
    size = int(np.floor(fraction * count + .5)) if count >= 2 else 0
    result = []
    for key in (totals, -totals):  # upper: highest totals; lower: highest of −total
        if size == 0:
            result.append(np.zeros(count))
            continue
        cut = np.sort(key)[::-1][size - 1]
        beyond = key > cut
        tied = key == cut
        result.append(beyond + tied * (size - beyond.sum()) / tied.sum())
    return result[0], result[1]


def _reference(matrix: np.ndarray, maxima: np.ndarray, chosen: dict, keys: dict):
    """The same statistics straight from numpy and scipy, item by item."""
    count, width = matrix.shape
    have = ~np.isnan(matrix)
    totals = np.nansum(matrix, axis=1)
    upper, lower = _weights_np(totals)
    items = []
    for j in range(width):
        mask = have[:, j]
        xs = matrix[mask, j]
        n = len(xs)
        if n == 0:
            items.append(None)
            continue
        rest = totals[mask] - xs
        r = None
        if n >= 2 and np.ptp(xs) > 0 and np.ptp(rest) > 0:
            r = stats.pearsonr(xs, rest).statistic
            if set(np.unique(xs)) <= {0.0, 1.0}:
                assert stats.pointbiserialr(xs, rest).statistic == pytest.approx(r)
        wu, wl = upper[mask], lower[mask]
        p_u = (wu * xs).sum() / (wu.sum() * maxima[j]) if wu.sum() else None
        p_l = (wl * xs).sum() / (wl.sum() * maxima[j]) if wl.sum() else None
        item = {"n": n, "facility": xs.mean() / maxima[j], "sd": np.std(xs), "r": r,
                "D": None if p_u is None or p_l is None else p_u - p_l}
        if j in chosen:
            picks = np.array([chosen[j][i] for i in range(count)], dtype=object)[mask]
            item["options"] = [
                ((picks == k).mean(),
                 (wu * (picks == k)).sum() / wu.sum() if wu.sum() else None,
                 (wl * (picks == k)).sum() / wl.sum() if wl.sum() else None)
                for k in keys[j]]
        items.append(item)
    paper = {"mean": totals.mean() if count else None,
             "median": np.median(totals) if count else None,
             "sd": np.std(totals, ddof=1) if count >= 2 else None,
             "reliability": None, "sem": None}
    common = have.all(axis=0) if count else np.zeros(width, dtype=bool)
    k = int(common.sum())
    if k >= 2:
        subset = matrix[:, common]
        score = subset.sum(axis=1)
        if np.var(score) > 0:
            alpha = k / (k - 1) * (1 - np.var(subset, axis=0, ddof=1).sum()
                                   / np.var(score, ddof=1))
            if all(set(np.unique(subset[:, c])) <= {0.0, maxima[common][c]} for c in range(k)):
                p = subset.mean(axis=0) / maxima[common]
                kr20 = k / (k - 1) * (1 - (maxima[common] ** 2 * p * (1 - p)).sum()
                                      / np.var(score))
                assert kr20 == pytest.approx(alpha)
            paper["reliability"] = alpha
            paper["sem"] = np.std(score, ddof=1) * np.sqrt(1 - alpha)
    return items, paper


def _close(actual, expected):
    if expected is None:
        return actual is None
    return actual is not None and actual == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


def _compare(scores, maxima, chosen=None, keys=None, correct=None):
    chosen, keys, correct = chosen or {}, keys or {}, correct or {}
    choices = {j: ChoiceResponses(keys[j], correct[j], chosen[j]) for j in chosen}
    analysis = analyse(scores, maxima, choices=choices)
    matrix = np.array([[np.nan if x is None else float(x) for x in row] for row in scores],
                      dtype=float).reshape(len(scores), len(maxima))
    items, paper = _reference(matrix, np.array([float(m) for m in maxima]), chosen, keys)
    for ours, theirs in zip(analysis.items, items, strict=True):
        if theirs is None:
            assert ours.n == 0
            continue
        assert ours.n == theirs["n"]
        for name, key in (("facility", "facility"), ("sd", "sd"), ("item_rest_r", "r"),
                          ("discrimination", "D")):
            assert _close(getattr(ours, name), theirs[key]), (ours.index, name)
        if "options" in theirs:
            for option, (share, up, low) in zip(ours.options, theirs["options"], strict=True):
                assert _close(option.share, share)
                assert _close(option.share_upper, up) and _close(option.share_lower, low)
    for name in ("mean", "median", "sd", "reliability", "sem"):
        assert _close(getattr(analysis.paper, name), paper[name]), name
    return analysis


def _random_paper(seed: int):
    """A latent-ability paper: some items fixed, the rest drawn at random, some partial credit."""
    rng = random.Random(seed)
    count = rng.choice([1, 2, 3, 5, 11, 40, 97])
    width = rng.randint(1, 12)
    fixed = rng.randint(0, width)
    maxima = [rng.choice([1, 1, 1, 2, 5]) for _ in range(width)]
    partial = [m > 1 and rng.random() < .5 for m in maxima]
    difficulty = [rng.gauss(0, 1) for _ in range(width)]
    slope = [rng.uniform(-.5, 2) for _ in range(width)]
    keys = {j: ["a", "b", "c", "d"] for j in range(width) if maxima[j] == 1 and j % 2 == 0}
    scores, chosen = [], {j: [] for j in keys}
    for _ in range(count):
        ability = rng.gauss(0, 1)
        row = []
        for j in range(width):
            if j >= fixed and rng.random() < .3:
                row.append(None)
                if j in chosen:
                    chosen[j].append(rng.choice("abcd"))  # ignored: not on the paper
                continue
            chance = 1 / (1 + math.exp(-1.7 * slope[j] * (ability - difficulty[j])))
            if partial[j]:
                score = sum(rng.random() < chance for _ in range(maxima[j]))
            else:
                score = maxima[j] if rng.random() < chance else 0
            row.append(Decimal(score) if rng.random() < .2 else score)
            if j in chosen:
                chosen[j].append("a" if score else rng.choice(["b", "c", "d", None]))
        scores.append(row)
    return scores, maxima, chosen, keys, {j: {"a"} for j in keys}


@pytest.mark.parametrize("seed", range(60))
def test_random_papers_agree_with_numpy_and_scipy(seed):
    _compare(*_random_paper(seed))


def test_a_large_fixed_form_agrees_with_numpy():
    rng = np.random.default_rng(7)
    ability = rng.normal(size=(400, 1))
    difficulty = rng.normal(size=(1, 30))
    matrix = (rng.random((400, 30)) < 1 / (1 + np.exp(-1.7 * (ability - difficulty)))) * 1
    analysis = _compare(matrix.tolist(), [1] * 30)
    assert analysis.paper.reliability_method is ReliabilityMethod.KR20
    assert analysis.paper.reliability > .7
    assert all(i.discrimination > 0 and i.item_rest_r > 0 for i in analysis.items)


cells = st.sampled_from([None, 0, 1, 2])


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4).flatmap(
    lambda width: st.lists(st.lists(cells, min_size=width, max_size=width), max_size=9)))
def test_small_degenerate_papers_agree_with_numpy(rows):
    width = len(rows[0]) if rows else 2
    _compare(rows, [2] * width)
