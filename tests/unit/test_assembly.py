"""Paper assembly: blueprint met, stratified, reproducible, different per candidate."""

import json
from collections import Counter
from decimal import Decimal

import pytest

from lms.domain.assembly import (
    PoolItem,
    Section,
    SectionFilter,
    ShortPool,
    assemble,
    shortages,
)
from lms.domain.items import Choice, ParametricSpec, SingleChoiceSpec, Variable


def choice_spec(n: int) -> SingleChoiceSpec:
    return SingleChoiceSpec(stem=f"题{n}", points=Decimal(1), choices=tuple(
        Choice(id=c, text=f"{c}{n}", weight=Decimal(100 if c == "a" else 0)) for c in "abcd"))


PARAMETRIC = ParametricSpec(stem="月工资 {w} 元", points=Decimal(2), variables=(
    Variable(name="w", min=Decimal(4000), max=Decimal(9000), step=Decimal(100), money=True),),
    expression="w / 21.75", places=2)


def make_pool(size: int = 200, *, difficulties=(1, 2, 3, 4, 5)):
    pool, specs = [], {}
    for n in range(1, size + 1):
        kind = "parametric" if n % 10 == 0 else "single_choice"
        item = PoolItem(question_id=n, version_id=1000 + n, type=kind,
                        difficulty=difficulties[n % len(difficulties)], domain="union_law",
                        tags=frozenset({"经费" if n % 2 else "建会"}),
                        category="组织/建会" if n % 3 else "经费")
        pool.append(item)
        specs[item.version_id] = PARAMETRIC if kind == "parametric" else choice_spec(n)
    return pool, specs


BLUEPRINT = (
    Section("choice", 20, Decimal(1), SectionFilter(types=frozenset({"single_choice"}))),
    Section("calc", 5, Decimal("2.5"), SectionFilter(types=frozenset({"parametric"}))),
)


def test_the_paper_meets_the_blueprint():
    pool, specs = make_pool()
    paper = assemble(BLUEPRINT, pool, 42, specs=specs)
    counts = Counter(item.section for item in paper.items)
    assert counts == {"choice": 20, "calc": 5}
    assert len({item.question_id for item in paper.items}) == 25  # nothing twice
    by_id = {p.question_id: p for p in pool}
    assert all(by_id[i.question_id].type == "parametric" for i in paper.items
               if i.section == "calc")
    assert paper.max_score == Decimal("32.5")
    assert [i.section for i in paper.items] == ["choice"] * 20 + ["calc"] * 5


def test_the_same_seed_gives_the_same_paper():
    pool, specs = make_pool()
    assert assemble(BLUEPRINT, pool, 7, specs=specs) == assemble(BLUEPRINT, pool, 7, specs=specs)


def test_two_candidates_get_different_papers_with_little_overlap():
    pool, specs = make_pool(400)
    section = (Section("all", 20, Decimal(1)),)
    papers = [{i.question_id for i in assemble(section, pool, seed, specs=specs).items}
              for seed in range(1, 41)]
    overlaps = [len(a & b) for n, a in enumerate(papers) for b in papers[n + 1:]]
    assert max(overlaps) < 10  # never half the paper
    assert sum(overlaps) / len(overlaps) < 3  # expected 20 × 20 / 400 = 1
    orders = {tuple(i.question_id for i in assemble(section, pool, s, specs=specs).items)
              for s in (1, 2)}
    assert len(orders) == 2


def test_difficulties_get_proportional_shares():
    pool, specs = make_pool(100)
    paper = assemble((Section("s", 10, Decimal(1)),), pool, 3, specs=specs)
    by_id = {p.question_id: p for p in pool}
    assert Counter(by_id[i.question_id].difficulty for i in paper.items) == {
        1: 2, 2: 2, 3: 2, 4: 2, 5: 2}


def test_filters_by_tag_and_category_subtree():
    pool, specs = make_pool()
    section = Section("s", 8, Decimal(1), SectionFilter(tags=frozenset({"经费"}),
                                                         category="组织"))
    paper = assemble((section,), pool, 5, specs=specs)
    by_id = {p.question_id: p for p in pool}
    for item in paper.items:
        assert "经费" in by_id[item.question_id].tags
        assert by_id[item.question_id].category.startswith("组织/")


def test_a_short_pool_is_refused_with_what_is_missing():
    pool, specs = make_pool(30)
    blueprint = (Section("calc", 5, Decimal(1), SectionFilter(types=frozenset({"parametric"}))),)
    assert shortages(blueprint, pool) == [("calc", 3, 5)]
    with pytest.raises(ShortPool) as err:
        assemble(blueprint, pool, 1, specs=specs)
    assert err.value.shortages == [("calc", 3, 5)]


def test_overlapping_sections_that_run_dry_are_refused():
    pool, specs = make_pool(20)
    blueprint = (Section("a", 15, Decimal(1)), Section("b", 10, Decimal(1)))
    with pytest.raises(ShortPool):
        assemble(blueprint, pool, 1, specs=specs)


def test_options_and_parametric_values_come_from_the_item_seed():
    pool, specs = make_pool()
    paper = assemble(BLUEPRINT, pool, 11, specs=specs)
    choice = next(i for i in paper.items if i.section == "choice")
    assert sorted(choice.option_order) == ["a", "b", "c", "d"]
    calc = next(i for i in paper.items if i.section == "calc")
    assert set(calc.values) == {"w"} and Decimal(4000) <= calc.values["w"] <= Decimal(9000)
    again = assemble(BLUEPRINT, pool, 11, specs=specs)
    assert again.items[0].option_order == paper.items[0].option_order
    orders = {i.option_order for i in paper.items if i.section == "choice"}
    assert len(orders) > 1  # not every item shows its options the same way


def test_the_paper_freezes_to_json():
    pool, specs = make_pool()
    frozen = assemble(BLUEPRINT, pool, 9, specs=specs).to_dict()
    assert json.loads(json.dumps(frozen)) == frozen
    assert len(frozen["items"]) == 25
