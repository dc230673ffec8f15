"""The extra wage owed for working without a written contract (二倍工资)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from lms.domain.dates import add_months
from lms.domain.wages.common import (
    ZERO,
    Basis,
    Step,
    WageInputError,
    days,
    months,
    on,
    positive_amount,
    step,
    to_fen,
    yuan,
)

CITATIONS = (Basis.CONTRACT_LAW_82, Basis.CONTRACT_REGS_6_7)
ONE_DAY = timedelta(days=1)
#: 实施条例第7条: the double wage runs at most to the day before the first
#: anniversary; from the anniversary an open-ended contract is deemed made.
MONTHS_TO_DEEMED_CONTRACT = 12
#: dates outside this window are typing errors (and would overflow ``date``)
EARLIEST, LATEST = date(1950, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class DoubleWage:
    """The period of double wages and the extra ("另一倍") wage owed for it.

    ``part_month_pay`` pays the days after the last whole month pro rata to
    calendar days — an estimate: no national rule says how a part month is
    paid (law_facts §9.12 ❓).
    """

    period_start: date  # the day after one month of employment
    period_end: date | None  # None: no double wage is owed
    full_months: int
    extra_days: int
    full_month_pay: Decimal
    part_month_pay: Decimal
    extra_wage: Decimal
    deemed_open_ended_on: date | None
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


def _check_dates(start, signed, as_of) -> None:
    if start is None:
        raise WageInputError("employment_start", "required")
    for name, value in (("employment_start", start), ("contract_signed", signed),
                        ("as_of", as_of)):
        if value is not None and not isinstance(value, date):
            raise TypeError(f"{name} must be a date")
        if value is not None and not EARLIEST <= value <= LATEST:
            raise WageInputError(name, "out_of_range", low=EARLIEST, high=LATEST)
    if signed is None and as_of is None:
        raise WageInputError("as_of", "required")
    if signed is None and as_of < start:
        raise WageInputError("as_of", "before_start")


def _period_end(start: date, signed: date | None, as_of: date | None) -> tuple[date, Step]:
    """The last day of double wages, and the step saying why it is that day."""
    last_possible = add_months(start, MONTHS_TO_DEEMED_CONTRACT) - ONE_DAY
    if signed is not None and signed - ONE_DAY <= last_possible:
        end = signed - ONE_DAY
        return end, step("double_wage_end_signed", basis=(Basis.CONTRACT_REGS_6_7,),
                         signed=on(signed), end=on(end))
    if signed is None and as_of <= last_possible:
        return as_of, step("double_wage_end_as_of", basis=(Basis.CONTRACT_LAW_82,),
                           end=on(as_of))
    return last_possible, step("double_wage_end_capped", basis=(Basis.CONTRACT_REGS_6_7,),
                               anniversary=on(last_possible + ONE_DAY), end=on(last_possible))


def _whole_months(start: date, end: date) -> int:
    """Whole months of double wages; month k runs from start + k months."""
    count = 0
    while count < MONTHS_TO_DEEMED_CONTRACT - 1 and add_months(start, count + 2) - ONE_DAY <= end:
        count += 1
    return count


@dataclass(frozen=True)
class _Pay:
    full_months: int
    extra_days: int
    full_month_pay: Decimal
    part_month_pay: Decimal
    steps: tuple[Step, ...]


def _pay(start: date, end: date, wage: Decimal) -> _Pay:
    full = _whole_months(start, end)
    part_from = add_months(start, full + 1)
    extra_days = (end - part_from).days + 1 if part_from <= end else 0
    month_days = (add_months(start, full + 2) - part_from).days
    full_pay = to_fen(wage * full)
    part_pay = to_fen(wage * extra_days / month_days)
    steps = [
        step("double_wage_period", basis=(Basis.CONTRACT_REGS_6_7,),
             start=on(add_months(start, 1)), end=on(end), months=months(full),
             days=days(extra_days)),
        step("double_wage_full_months", basis=(Basis.CONTRACT_LAW_82,), wage=yuan(wage),
             months=months(full), amount=yuan(full_pay)),
    ]
    if extra_days:
        steps.append(step("double_wage_part_month", wage=yuan(wage), days=days(extra_days),
                          month_days=days(month_days), amount=yuan(part_pay)))
    return _Pay(full, extra_days, full_pay, part_pay, tuple(steps))


def no_contract_double_wage(*, employment_start: date, monthly_wage: Decimal,
                            contract_signed: date | None = None,
                            as_of: date | None = None) -> DoubleWage:
    """The extra month's wage for each month worked without a written contract.

    Legal basis: 劳动合同法第82条第1款 (more than one month and less than a year
    without a written contract: twice the wage each month); 实施条例第6条 (from
    the day after one month of employment to the day before the contract is
    signed) and 第7条 (at most to the day before the first anniversary, when an
    open-ended contract is deemed made: at most 11 months). The dates follow
    law_facts 算例 3-D: employment from 2024-03-01 gives double wages from
    2024-04-01, and at most to 2025-02-28.

    The result is the *extra* wage (the normal wage is assumed paid). Give
    ``contract_signed``, or, if none has been signed, ``as_of``: the last day
    to count.

    :raises WageInputError: the wage is not above zero; a date outside
        1950–2099; ``as_of`` is missing without a signing date, or before the
        start of employment.
    """
    wage = positive_amount(monthly_wage, "monthly_wage")
    _check_dates(employment_start, contract_signed, as_of)
    first_day = add_months(employment_start, 1)
    end, end_step = _period_end(employment_start, contract_signed, as_of)
    steps = [step("double_wage_start", basis=(Basis.CONTRACT_REGS_6_7,),
                  employment_start=on(employment_start), first_day=on(first_day)), end_step]
    anniversary = add_months(employment_start, MONTHS_TO_DEEMED_CONTRACT)
    deemed = anniversary if (contract_signed or as_of) >= anniversary else None
    if end < first_day:
        steps.append(step("double_wage_none", basis=(Basis.CONTRACT_REGS_6_7,)))
        return DoubleWage(first_day, None, 0, 0, ZERO, ZERO, ZERO, deemed, tuple(steps))
    pay = _pay(employment_start, end, wage)
    extra_wage = pay.full_month_pay + pay.part_month_pay
    steps += [*pay.steps, step("double_wage_total", full_months=yuan(pay.full_month_pay),
                               part_month=yuan(pay.part_month_pay), total=yuan(extra_wage))]
    if deemed:
        steps.append(step("deemed_open_ended", basis=(Basis.CONTRACT_REGS_6_7,),
                          anniversary=on(deemed)))
    return DoubleWage(first_day, end, pay.full_months, pay.extra_days, pay.full_month_pay,
                      pay.part_month_pay, extra_wage, deemed, tuple(steps))
