"""The pure rules of essay marking: tolerance, the mean, open rounds, the anonymous code."""

from decimal import Decimal as D

from lms.domain import essay_marking as rules
from lms.domain.essay_marking import GivenMark, Method, Round
from lms.domain.scoring import mark_essay, score_item
from tests.unit import item_samples as samples


def given(*marks):
    return [GivenMark(Round(r), who, D(total)) for r, who, total in marks]


def state(marks, *, double=True, points="20", percent="10"):
    return rules.slot_state(given(*marks), double=double, points=D(points),
                            tolerance_percent=D(percent))


def test_tolerance_is_a_share_of_the_slots_points_compared_exactly():
    assert rules.agree(D("12"), D("14"), D(20), D(10))
    assert not rules.agree(D("12"), D("14.01"), D(20), D(10))
    assert rules.agree(D("14.01"), D("12.01"), D(20), D(10))
    assert rules.agree(D("3"), D("3"), D(20), D(0))
    assert not rules.agree(D("3"), D("3.01"), D(20), D(0))
    assert rules.tolerance_points(D(15), D("12.5")) == D("1.88")


def test_the_mean_rounds_half_up_to_the_cent():
    assert rules.mean(D("12.00"), D("12.01")) == D("12.01")
    assert rules.mean(D("0.01"), D("0.02")) == D("0.02")
    assert rules.mean(D("7"), D("8")) == D("7.50")


def test_single_marking_the_first_mark_is_final():
    assert state([], double=False).open_rounds == (Round.FIRST,)
    done = state([("first", 1, "13.5")], double=False)
    assert (done.final, done.method, done.open_rounds) == (D("13.5"), Method.SINGLE, ())


def test_double_marking_rounds():
    assert state([]).open_rounds == (Round.FIRST, Round.SECOND)
    assert state([("second", 2, "10")]).open_rounds == (Round.FIRST,)
    agreed = state([("first", 1, "10"), ("second", 2, "11.99")])
    assert (agreed.final, agreed.method) == (D("11.00"), Method.MEAN)  # 10.995 → 11.00
    apart = state([("first", 1, "10"), ("second", 2, "12.01")])
    assert apart.open_rounds == (Round.RECONCILE,) and apart.disagree and not apart.decided
    done = state([("first", 1, "10"), ("second", 2, "20"), ("reconcile", 3, "14")])
    assert (done.final, done.method) == (D("14"), Method.RECONCILED)


def test_a_marker_gives_one_mark_per_slot():
    marks = given(("first", 1, "10"), ("second", 2, "20"))
    assert not rules.may_mark(1, marks, Round.RECONCILE)
    assert rules.may_mark(3, marks, Round.RECONCILE)
    assert not rules.may_mark(3, marks, Round.FIRST)


def test_the_mean_detail_averages_each_criterion():
    spec = samples.essay()
    base = score_item(spec, "工会的作用……")
    one = mark_essay(spec, {"law": "4", "practice": "1.01", "writing": "2"}, base)
    two = mark_essay(spec, {"law": "3", "practice": "1.02", "writing": "2"}, base)
    mean = rules.mean_result(one, two)
    assert mean.score == D("6.52")  # (7.01 + 6.02) / 2 = 6.515 → 6.52 half up
    assert [(p.key, p.score) for p in mean.parts[:3]] == [
        ("law", D("3.50")), ("practice", D("1.02")), ("writing", D("2.00"))]
    assert mean.parts[3].key == "word_count"


def test_the_anonymous_code_is_stable_short_and_secret_dependent():
    code = rules.anonymous_code("secret", 42)
    assert code == rules.anonymous_code("secret", 42) and len(code) == 8
    assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # base32
    assert code != rules.anonymous_code("secret", 43)
    assert code != rules.anonymous_code("other", 42)
