"""Paper assembly: an exam blueprint, a pool of approved question versions and an
attempt seed in; the frozen paper out.

Each section draws its items stratified by difficulty (every difficulty present
in the section's pool gets its proportional share, largest remainders first),
without replacement and never reusing a question another section took. Item
order, option order and parametric values are all derived from the seed, so the
same seed always gives the same paper and two seeds give different ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lms.domain.items import ItemSpec, ParametricSpec
from lms.domain.parametric import instantiate
from lms.domain.presentation import shuffle_options
from lms.domain.seeding import derive_seed, draw_index, rng, stable_shuffle


@dataclass(frozen=True)
class PoolItem:
    """An approved question version that a section may draw."""

    question_id: int
    version_id: int
    type: str
    difficulty: int
    domain: str = ""
    tags: frozenset[str] = frozenset()
    category: str = ""
    bank: str = ""


@dataclass(frozen=True)
class SectionFilter:
    """Which pool items a section accepts; an empty criterion accepts everything."""

    banks: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()  #: any of them
    difficulties: frozenset[int] = frozenset()
    category: str = ""  #: the category or anything below it

    def accepts(self, item: PoolItem) -> bool:
        return ((not self.banks or item.bank in self.banks)
                and (not self.domains or item.domain in self.domains)
                and (not self.types or item.type in self.types)
                and (not self.tags or bool(self.tags & item.tags))
                and (not self.difficulties or item.difficulty in self.difficulties)
                and (not self.category or item.category == self.category
                     or item.category.startswith(self.category + "/")))


@dataclass(frozen=True)
class Section:
    key: str
    count: int
    points_per_item: Decimal
    filter: SectionFilter = field(default_factory=SectionFilter)


@dataclass(frozen=True)
class PaperItem:
    section: str
    question_id: int
    version_id: int
    points: Decimal
    seed: int  #: the item's own seed: option order and parametric values come from it
    option_order: tuple[str, ...] = ()
    values: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Paper:
    items: tuple[PaperItem, ...]

    @property
    def max_score(self) -> Decimal:
        return sum((item.points for item in self.items), Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, to freeze on the attempt."""
        return {"items": [{"section": i.section, "question_id": i.question_id,
                           "version_id": i.version_id, "points": str(i.points), "seed": i.seed,
                           "option_order": list(i.option_order),
                           "values": {k: str(v) for k, v in i.values.items()}}
                          for i in self.items]}


class ShortPool(ValueError):
    """A section cannot be filled: ``shortages`` lists (section, available, needed)."""

    def __init__(self, shortages: list[tuple[str, int, int]]):
        super().__init__("; ".join(f"{key}: {have} of {need}" for key, have, need in shortages))
        self.shortages = shortages


def shortages(sections: Sequence[Section], pool: Sequence[PoolItem]) -> list[tuple[str, int, int]]:
    """Sections whose filter accepts fewer distinct questions than they need.

    Checked section by section on the whole pool; overlapping sections can still
    compete for the same questions, which `assemble` reports when it happens.
    """
    return [(s.key, n, s.count) for s in sections
            if (n := len({p.question_id for p in pool if s.filter.accepts(p)})) < s.count]


def assemble(sections: Sequence[Section], pool: Sequence[PoolItem], seed: int, *,
             specs: Mapping[int, ItemSpec], shuffle_items: bool = True) -> Paper:
    """The paper for one attempt.

    :param specs: version id → item spec, for option order and parametric values.
    :raises ShortPool: when a section cannot be filled.
    """
    problems = shortages(sections, pool)
    if problems:
        raise ShortPool(problems)
    used: set[int] = set()
    items: list[PaperItem] = []
    for section in sections:
        candidates = [p for p in pool if section.filter.accepts(p) and p.question_id not in used]
        drawn = _stratified(candidates, section.count, derive_seed(seed, "section", section.key))
        if len(drawn) < section.count:
            raise ShortPool([(section.key, len(drawn), section.count)])
        used.update(p.question_id for p in drawn)
        items += [_paper_item(section, p, seed, specs) for p in drawn]
    if shuffle_items:
        items = _shuffle_within_sections(items, sections, seed)
    return Paper(tuple(items))


def _stratified(candidates: list[PoolItem], count: int, seed: int) -> list[PoolItem]:
    """``count`` distinct questions, each difficulty getting its proportional share."""
    by_question = {p.question_id: p for p in sorted(candidates, key=lambda p: p.version_id)}
    strata: dict[int, list[PoolItem]] = {}
    for item in sorted(by_question.values(), key=lambda p: p.question_id):
        strata.setdefault(item.difficulty, []).append(item)
    quotas = _quotas({d: len(s) for d, s in strata.items()}, count, seed)
    drawn = []
    for difficulty in sorted(strata):
        drawn += _sample(strata[difficulty], quotas[difficulty],
                         derive_seed(seed, "difficulty", str(difficulty)))
    return drawn


def _quotas(sizes: dict[int, int], count: int, seed: int) -> dict[int, int]:
    """Largest-remainder shares of ``count`` proportional to ``sizes``; ties broken by seed."""
    total = sum(sizes.values())
    if total == 0:
        return {d: 0 for d in sizes}
    exact = {d: Decimal(count * n) / total for d, n in sizes.items()}
    quotas = {d: int(share) for d, share in exact.items()}
    order = stable_shuffle(sorted(sizes), derive_seed(seed, "ties"))
    order = sorted(order, key=lambda d: exact[d] - quotas[d], reverse=True)
    for difficulty in order[:count - sum(quotas.values())]:
        quotas[difficulty] += 1
    return quotas


def _sample(items: list[PoolItem], count: int, seed: int) -> list[PoolItem]:
    """``count`` items without replacement, in the order drawn."""
    remaining, generator, drawn = list(items), rng(seed), []
    for _ in range(min(count, len(remaining))):
        drawn.append(remaining.pop(draw_index(generator, len(remaining))))
    return drawn


def _paper_item(section: Section, item: PoolItem, seed: int,
                specs: Mapping[int, ItemSpec]) -> PaperItem:
    item_seed = derive_seed(seed, "item", str(item.question_id))
    spec = specs[item.version_id]
    values = instantiate(spec, item_seed) if isinstance(spec, ParametricSpec) else {}
    return PaperItem(section=section.key, question_id=item.question_id,
                     version_id=item.version_id, points=section.points_per_item, seed=item_seed,
                     option_order=shuffle_options(spec, item_seed), values=values)


def _shuffle_within_sections(items: list[PaperItem], sections: Sequence[Section],
                             seed: int) -> list[PaperItem]:
    """Sections stay in blueprint order; the items inside each are shuffled."""
    result = []
    for section in sections:
        mine = [i for i in items if i.section == section.key]
        result += stable_shuffle(mine, derive_seed(seed, "order", section.key))
    return result
