"""How much of a month's wage may be kept back to repay a loss the employee caused."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from lms.domain.wages.common import (
    ZERO,
    Basis,
    Step,
    amount,
    cap_to_fen,
    months,
    optional_amount,
    rate,
    step,
    yuan,
)

DEDUCTION_SHARE = Decimal("0.2")  # 工资支付暂行规定第16条: 20%

CITATIONS = (Basis.WAGE_PAYMENT_16,)


@dataclass(frozen=True)
class DeductionLimit:
    """This month's limit and, when a loss is given, how it would be repaid."""

    twenty_percent: Decimal
    above_minimum: Decimal  # wage − minimum wage, never negative
    limit: Decimal
    loss: Decimal | None
    deduction: Decimal | None  # min(limit, loss)
    remaining: Decimal | None  # loss still to repay after this month
    months_to_repay: int | None  # at this month's limit; None if it cannot be repaid
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


def _repayment(loss: Decimal, limit: Decimal) -> tuple[Decimal, Decimal, int | None, Step]:
    deduction = min(limit, loss)
    remaining = loss - deduction
    if limit == 0 and loss > 0:
        return deduction, remaining, None, step(
            "deduction_not_possible", basis=CITATIONS, loss=yuan(loss))
    count = int((loss / limit).to_integral_value(rounding=ROUND_CEILING)) if loss else 0
    return deduction, remaining, count, step(
        "deduction_repayment", basis=CITATIONS, loss=yuan(loss), deduction=yuan(deduction),
        remaining=yuan(remaining), months=months(count))


def damage_deduction_limit(*, monthly_wage: Decimal, local_minimum_wage: Decimal,
                           loss: Decimal | None = None) -> DeductionLimit:
    """The most that may be deducted this month for a loss the employee caused.

    Legal basis: 工资支付暂行规定第16条 — no more than 20 % of the month's wage,
    and what is left may not fall below the local monthly minimum wage. The
    limit is min(20 % × wage, wage − minimum wage), never negative, rounded
    down to the fen as it is a cap. With ``loss``, the months needed assume the
    same wage every month (law_facts §5.2).

    :raises WageInputError: a negative wage, minimum wage or loss.
    """
    wage = amount(monthly_wage, "monthly_wage")
    minimum = amount(local_minimum_wage, "local_minimum_wage")
    owed = optional_amount(loss, "loss")
    twenty = cap_to_fen(wage * DEDUCTION_SHARE)
    above_minimum = cap_to_fen(max(wage - minimum, ZERO))
    limit = min(twenty, above_minimum)
    steps = [
        step("deduction_twenty_percent", basis=CITATIONS, wage=yuan(wage),
             share=rate(DEDUCTION_SHARE), amount=yuan(twenty)),
        step("deduction_minimum_remainder" if wage >= minimum else "wage_below_minimum",
             basis=CITATIONS, wage=yuan(wage), minimum=yuan(minimum),
             amount=yuan(above_minimum)),
        step("deduction_limit", basis=CITATIONS, twenty_percent=yuan(twenty),
             above_minimum=yuan(above_minimum), limit=yuan(limit)),
    ]
    deduction = remaining = count = None
    if owed is not None:
        deduction, remaining, count, repayment = _repayment(owed, limit)
        steps.append(repayment)
    return DeductionLimit(twenty, above_minimum, limit, owed, deduction, remaining, count,
                          tuple(steps))
