"""Which level of a qualification a released exam result earns.

A level asks for: its exam passed with a percentage in its band (min ≤ p, and p < max
when a max is set — one exam can serve 初级 / 中级 / 高级 by score), the integrity review
clear, its courses completed, a photo on the profile. A result earns the highest-ranked
level whose every requirement holds; the unmet requirements of the others say why not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class LevelRule:
    level_id: int
    rank: int
    exam_id: int | None
    min_percent: Decimal
    max_percent: Decimal | None = None
    required_courses: tuple[str, ...] = ()
    require_integrity_clear: bool = True
    require_photo: bool = True


@dataclass(frozen=True)
class ResultFacts:
    exam_id: int
    percent: Decimal
    passed: bool
    #: no integrity flags, or an officer cleared them; never an invalidated attempt
    integrity_clear: bool
    completed_courses: frozenset[str] = frozenset()
    has_photo: bool = False


@dataclass(frozen=True)
class Outcome:
    level_id: int | None  # the level earned, None when none
    #: for every level of the exam not earned: level id → unmet requirement codes
    unmet: dict[int, tuple[str, ...]] = field(default_factory=dict)


def unmet_requirements(rule: LevelRule, facts: ResultFacts) -> tuple[str, ...]:
    missing = []
    if rule.exam_id != facts.exam_id or not facts.passed:
        missing.append("exam_not_passed")
    elif facts.percent < rule.min_percent or (
            rule.max_percent is not None and facts.percent >= rule.max_percent):
        missing.append("score_band")
    if rule.require_integrity_clear and not facts.integrity_clear:
        missing.append("integrity")
    courses = [c for c in rule.required_courses if c not in facts.completed_courses]
    if courses:
        missing.append("courses")
    if rule.require_photo and not facts.has_photo:
        missing.append("photo")
    return tuple(missing)


def level_earned(rules: Iterable[LevelRule], facts: ResultFacts) -> Outcome:
    """The highest level ``facts`` meet among the levels that use the result's exam."""
    candidates = sorted((r for r in rules if r.exam_id == facts.exam_id),
                        key=lambda r: r.rank, reverse=True)
    unmet: dict[int, tuple[str, ...]] = {}
    for rule in candidates:
        missing = unmet_requirements(rule, facts)
        if not missing:
            return Outcome(rule.level_id, unmet)
        unmet[rule.level_id] = missing
    return Outcome(None, unmet)
