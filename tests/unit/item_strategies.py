"""Hypothesis strategies for valid item specs of every type, and for raw responses."""

from __future__ import annotations

import string
from decimal import Decimal as D
from itertools import pairwise

from hypothesis import strategies as st

from lms.domain.items import (
    Blank,
    CaseStudySpec,
    Choice,
    DescriptionSpec,
    Entry,
    EssaySpec,
    FillBlankSpec,
    MatchingSpec,
    MatchPair,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    OrderingSpec,
    OrderScoring,
    ParametricSpec,
    RoundingMode,
    RubricCriterion,
    Scoring,
    SingleChoiceSpec,
    SubItem,
    ToleranceKind,
    TrueFalseSpec,
    UnitPolicy,
    Variable,
)

ids = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=6)
texts = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())
points = st.decimals(D("0.01"), D(50), places=2)
percent = st.decimals(D(-100), D(100), places=2)
numbers = st.decimals(D(-100000), D(100000), places=3)
common = {"stem": texts, "points": points, "explanation": st.text(max_size=12)}


@st.composite
def choices(draw, positive: list[D], negative_others: bool):
    n = draw(st.integers(len(positive) + (1 if negative_others else 0), len(positive) + 3))
    keys = draw(st.lists(ids, min_size=max(n, 2), max_size=max(n, 2), unique=True))
    weights = list(positive) + [
        draw(st.decimals(D(-100), D("-0.01"), places=2) if negative_others else st.just(D(0)))
        for _ in range(len(keys) - len(positive))]
    order = draw(st.permutations(weights))
    return tuple(Choice(key, draw(texts), weight) for key, weight in zip(keys, order, strict=True))


@st.composite
def single_choice(draw):
    positive = [D(100), *draw(st.lists(st.decimals(D(-100), D(100), places=2), max_size=2))]
    return SingleChoiceSpec(**draw(st.fixed_dictionaries(common)),
                            choices=draw(choices(positive, False)), shuffle=draw(st.booleans()),
                            floor_at_zero=draw(st.booleans()))


@st.composite
def multiple_choice(draw):
    scoring = draw(st.sampled_from(Scoring))
    if scoring is Scoring.PARTIAL:
        cuts = sorted(draw(st.sets(st.integers(1, 99), max_size=3)))
        bounds = [0, *cuts, 100]
        positive = [D(b - a) for a, b in pairwise(bounds)]
    else:
        positive = [D(100)] * draw(st.integers(1, 3))
    return MultipleChoiceSpec(**draw(st.fixed_dictionaries(common)), scoring=scoring,
                              choices=draw(choices(positive, scoring is Scoring.PARTIAL)),
                              floor_at_zero=draw(st.booleans()))


@st.composite
def fill_blank(draw):
    count = draw(st.integers(1, 3))
    blanks = tuple(Blank(i + 1, accepted=tuple(draw(st.lists(texts, min_size=1, max_size=3))),
                         pattern=draw(st.sampled_from([None, "[0-9]+", r"第\s*[0-9]+\s*条"])),
                         weight=draw(st.decimals(D("0.5"), D(5), places=1)),
                         case_sensitive=draw(st.booleans()), fold_width=draw(st.booleans()),
                         ignore_spaces=draw(st.booleans()))
                   for i in range(count))
    stem = draw(texts).replace("[[", "") + "".join(f" [[{b.number}]]" for b in blanks)
    return FillBlankSpec(**draw(st.fixed_dictionaries({**common, "stem": st.just(stem)})),
                         blanks=blanks, scoring=draw(st.sampled_from(Scoring)))


numeric_answers = st.builds(NumericAnswer, value=numbers,
                            tolerance=st.decimals(D(0), D(5), places=2),
                            tolerance_kind=st.sampled_from(ToleranceKind),
                            weight=st.decimals(D(1), D(100), places=0))


@st.composite
def numeric(draw):
    answers = [draw(numeric_answers.map(lambda a: NumericAnswer(a.value, a.tolerance,
                                                                a.tolerance_kind, D(100))))]
    answers += draw(st.lists(numeric_answers, max_size=2))
    unit = draw(st.sampled_from([None, "元", "%", "天"]))
    policy = draw(st.sampled_from(UnitPolicy)) if unit else UnitPolicy.OPTIONAL
    return NumericSpec(**draw(st.fixed_dictionaries(common)), answers=tuple(answers), unit=unit,
                       unit_policy=policy)


@st.composite
def variables(draw):
    names = draw(st.lists(st.sampled_from(["a", "b", "hours", "monthly"]), min_size=1,
                          max_size=3, unique=True))
    result = []
    for name in names:
        low = draw(st.decimals(D(1), D(1000), places=1))
        step = draw(st.sampled_from([D("0.5"), D(1), D(10)]))
        result.append(Variable(name, low, low + step * draw(st.integers(0, 50)), step,
                               draw(st.booleans())))
    return tuple(result)


@st.composite
def parametric(draw):
    declared = draw(variables())
    names = [v.name for v in declared]
    formula = draw(st.sampled_from(["{0} * 2", "{0} + 1.5", "round({0} / 3, 2)",
                                    "max({0}, 10) - min({0}, 3)"])).format(names[0])
    unit = draw(st.sampled_from([None, "元"]))
    return ParametricSpec(
        **draw(st.fixed_dictionaries({**common, "stem": st.just(f"计算 {{{names[0]}}}")})),
        variables=declared, expression=formula, places=draw(st.integers(0, 4)),
        rounding=draw(st.sampled_from(RoundingMode)),
        tolerance=draw(st.decimals(D(0), D(1), places=2)),
        tolerance_kind=draw(st.sampled_from(ToleranceKind)), unit=unit, money=draw(st.booleans()),
        unit_policy=draw(st.sampled_from(UnitPolicy)) if unit else UnitPolicy.OPTIONAL)


def entries(min_size: int, max_size: int):
    return st.lists(ids, min_size=min_size, max_size=max_size, unique=True).flatmap(
        lambda keys: st.tuples(*[st.builds(Entry, st.just(k), texts) for k in keys]))


@st.composite
def matching(draw):
    lefts = draw(entries(2, 4))
    rights = draw(entries(2, 5))
    pairs = tuple(MatchPair(left.id, draw(st.sampled_from(rights)).id) for left in lefts)
    return MatchingSpec(**draw(st.fixed_dictionaries(common)), lefts=lefts, rights=rights,
                        pairs=pairs, scoring=draw(st.sampled_from(Scoring)),
                        shuffle=draw(st.booleans()))


ordering = st.builds(OrderingSpec, stem=texts, points=points, explanation=st.text(max_size=5),
                     items=entries(2, 5), scoring=st.sampled_from(OrderScoring))


@st.composite
def essay(draw):
    keys = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    rubric = tuple(RubricCriterion(k, draw(texts), draw(points), draw(st.text(max_size=8)))
                   for k in keys)
    return EssaySpec(stem=draw(texts), points=sum(c.points for c in rubric), rubric=rubric,
                     word_limit=draw(st.none() | st.integers(1, 2000)))


true_false = st.builds(TrueFalseSpec, stem=texts, points=points, answer=st.booleans())
description = st.builds(DescriptionSpec, stem=texts, explanation=st.text(max_size=5))

scored_items = st.one_of(single_choice(), multiple_choice(), true_false, fill_blank(),
                         numeric(), parametric(), matching(), ordering, essay())
simple_items = scored_items | description


@st.composite
def case_study(draw):
    keys = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    # the first sub-item carries points, so the case study is worth something
    subs = tuple(SubItem(k, draw(scored_items if i == 0 else simple_items))
                 for i, k in enumerate(keys))
    return CaseStudySpec(stem=draw(texts), scenario=draw(texts), sub_items=subs,
                         points=sum(s.spec.points for s in subs))


any_item = st.one_of(simple_items, case_study())

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
raw_responses = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=12)
