"""The lowest wage allowed during probation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from lms.domain.wages.common import (
    ZERO,
    Basis,
    Step,
    WageInputError,
    amount,
    floor_to_fen,
    optional_amount,
    positive_amount,
    rate,
    step,
    yuan,
)

PROBATION_SHARE = Decimal("0.8")  # 劳动合同法第20条: 百分之八十

CITATIONS = (Basis.CONTRACT_LAW_20, Basis.CONTRACT_REGS_15)


class ProbationComparison(StrEnum):
    """Which wage the 80 % is taken of; law_facts P10 advises naming just one."""

    AGREED_WAGE = "agreed_wage"  # 劳动合同约定工资
    LOWEST_POST_WAGE = "lowest_post_wage"  # 本单位相同岗位最低档工资


@dataclass(frozen=True)
class ProbationFloor:
    """The floor, and — when a probation wage is given — how far it falls short."""

    comparison: ProbationComparison
    eighty_percent: Decimal
    local_minimum_wage: Decimal
    floor: Decimal
    probation_wage: Decimal | None
    shortfall: Decimal | None  # 0 when the wage is lawful
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


def _comparison(value) -> ProbationComparison:
    try:
        return ProbationComparison(value)
    except ValueError:
        raise WageInputError("comparison", "unknown") from None


def _check_step(paid: Decimal, floor: Decimal) -> tuple[Decimal, Step]:
    shortfall = max(floor - paid, ZERO)
    code = "probation_wage_short" if shortfall else "probation_wage_ok"
    return shortfall, step(code, basis=CITATIONS, paid=yuan(paid), floor=yuan(floor),
                           shortfall=yuan(shortfall))


def probation_wage_floor(*, comparison_wage: Decimal, local_minimum_wage: Decimal,
                         comparison: ProbationComparison = ProbationComparison.AGREED_WAGE,
                         probation_wage: Decimal | None = None) -> ProbationFloor:
    """max(80 % of the comparison wage, the local minimum wage).

    Legal basis: 劳动合同法第20条 — not below 80 % of the lowest wage of the same
    post in the unit *or* of the wage agreed in the contract, and not below the
    local minimum wage; 实施条例第15条 words it as "80 % of the lowest wage of
    the post or 80 % of the agreed wage". The two readings differ when the two
    wages differ, so the caller names one comparison wage (law_facts P10).
    The 80 % figure is a floor and is rounded up to the fen.

    :param probation_wage: the wage actually paid during probation, to check.
    :raises WageInputError: the comparison wage is not above zero, the
        minimum wage or probation wage is negative, or ``comparison`` names
        neither wage.
    """
    wage = positive_amount(comparison_wage, "comparison_wage")
    minimum = amount(local_minimum_wage, "local_minimum_wage")
    paid = optional_amount(probation_wage, "probation_wage")
    comparison = _comparison(comparison)
    eighty = floor_to_fen(wage * PROBATION_SHARE)
    floor = floor_to_fen(max(eighty, minimum))
    steps = [
        step(f"probation_80_{comparison.value}", basis=CITATIONS, wage=yuan(wage),
             share=rate(PROBATION_SHARE), amount=yuan(eighty)),
        step("probation_floor", basis=CITATIONS, eighty_percent=yuan(eighty),
             minimum=yuan(minimum), floor=yuan(floor)),
    ]
    shortfall = None
    if paid is not None:
        shortfall, check = _check_step(paid, floor)
        steps.append(check)
    return ProbationFloor(comparison, eighty, minimum, floor, paid, shortfall, tuple(steps))
