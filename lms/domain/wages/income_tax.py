"""Individual income tax on wages: cumulative withholding, month by month."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lms.domain.wages.common import (
    ZERO,
    Basis,
    Step,
    amount,
    months,
    number,
    rate,
    step,
    to_fen,
    whole_number,
    yuan,
)

#: 个人所得税法第6条: 60,000 a year; the withholding method spreads it as
#: 5,000 for each month worked for this employer in the year (公告2018年第61号).
MONTHLY_BASIC_DEDUCTION = Decimal(5000)

CITATIONS = (Basis.IIT_WITHHOLDING, Basis.IIT_LAW_6, Basis.IIT_RATE_TABLE, Basis.IIT_LAW_11)


@dataclass(frozen=True)
class Bracket:
    """One band of the comprehensive-income table; ``upper`` is inclusive."""

    level: int
    upper: Decimal | None
    rate: Decimal
    quick_deduction: Decimal


#: 综合所得税率表 = 预扣率表一 (law_facts §6.2, 🔶: the transcribed statute lacks
#: the table; the bands agree across sources and every quick deduction checks
#: out as previous + lower bound × (rate − previous rate)).
BRACKETS = (
    Bracket(1, Decimal(36_000), Decimal("0.03"), Decimal(0)),
    Bracket(2, Decimal(144_000), Decimal("0.10"), Decimal(2_520)),
    Bracket(3, Decimal(300_000), Decimal("0.20"), Decimal(16_920)),
    Bracket(4, Decimal(420_000), Decimal("0.25"), Decimal(31_920)),
    Bracket(5, Decimal(660_000), Decimal("0.30"), Decimal(52_920)),
    Bracket(6, Decimal(960_000), Decimal("0.35"), Decimal(85_920)),
    Bracket(7, None, Decimal("0.45"), Decimal(181_920)),
)


@dataclass(frozen=True)
class Withholding:
    """The tax to withhold in month ``month`` and how it follows from the totals."""

    month: int
    basic_deduction: Decimal
    taxable_income: Decimal
    bracket: Bracket
    cumulative_tax: Decimal
    tax_withheld_before: Decimal
    difference: Decimal  # may be negative: withheld too much so far
    tax_this_month: Decimal  # never negative
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


def bracket_for(taxable_income: Decimal) -> Bracket:
    """The band a cumulative taxable income falls in ("不超过" = inclusive)."""
    for bracket in BRACKETS:
        if bracket.upper is None or taxable_income <= bracket.upper:
            return bracket
    raise AssertionError("the last bracket has no upper bound")


def tax_on(taxable_income: Decimal) -> Decimal:
    """Taxable income × rate − quick deduction, to the fen; 0 for none."""
    if taxable_income <= 0:
        return ZERO
    bracket = bracket_for(taxable_income)
    return to_fen(taxable_income * bracket.rate - bracket.quick_deduction)


@dataclass(frozen=True)
class _Totals:
    income: Decimal
    tax_free: Decimal
    special: Decimal
    additional: Decimal
    other: Decimal
    relief: Decimal
    withheld: Decimal


def _taxable_step(t: _Totals, basic: Decimal, taxable: Decimal) -> Step:
    return step("cumulative_taxable_income", basis=(Basis.IIT_WITHHOLDING, Basis.IIT_LAW_6),
                income=yuan(t.income), tax_free=yuan(t.tax_free), basic=yuan(basic),
                special=yuan(t.special), additional=yuan(t.additional), other=yuan(t.other),
                taxable=yuan(taxable))


def _tax_steps(taxable: Decimal, gross: Decimal, tax: Decimal, relief: Decimal) -> list[Step]:
    if taxable <= 0:
        return [step("no_taxable_income", basis=(Basis.IIT_LAW_6,), taxable=yuan(taxable))]
    bracket = bracket_for(taxable)
    steps = [
        step("tax_bracket", basis=(Basis.IIT_RATE_TABLE,), taxable=yuan(taxable),
             level=number(bracket.level), rate=rate(bracket.rate),
             quick_deduction=yuan(bracket.quick_deduction)),
        step("cumulative_tax", basis=(Basis.IIT_WITHHOLDING,), taxable=yuan(taxable),
             rate=rate(bracket.rate), quick_deduction=yuan(bracket.quick_deduction),
             tax=yuan(gross)),
    ]
    if relief:
        steps.append(step("tax_relief", basis=(Basis.IIT_WITHHOLDING,), gross=yuan(gross),
                          relief=yuan(relief), tax=yuan(tax)))
    return steps


def _month_steps(tax: Decimal, withheld: Decimal, difference: Decimal) -> list[Step]:
    steps = [step("tax_this_month", basis=(Basis.IIT_WITHHOLDING,), cumulative_tax=yuan(tax),
                  withheld=yuan(withheld), difference=yuan(difference))]
    if difference < 0:
        steps.append(step("negative_not_refunded",
                          basis=(Basis.IIT_WITHHOLDING, Basis.IIT_LAW_11),
                          difference=yuan(difference)))
    return steps


def monthly_withholding(*, month: int, cumulative_income: Decimal,
                        cumulative_special_deductions: Decimal = ZERO,
                        cumulative_special_additional_deductions: Decimal = ZERO,
                        cumulative_other_deductions: Decimal = ZERO,
                        tax_withheld_before: Decimal = ZERO,
                        cumulative_tax_free_income: Decimal = ZERO,
                        cumulative_tax_relief: Decimal = ZERO) -> Withholding:
    """Tax to withhold from wages in month N by the cumulative method.

    Legal basis: 个人所得税法第6条第1款第（一）项 (60,000 a year, special and special
    additional deductions, other deductions) and 第11条 (monthly withholding,
    annual reconciliation); the method is 国家税务总局公告2018年第61号第六条
    (🔶 in law_facts §6.14):

    taxable = income − tax-free income − 5,000 × N − special deductions −
    special additional deductions − other deductions (all cumulative, this
    employer, this year); tax = taxable × rate − quick deduction (§6.2 table)
    − cumulative relief; this month = tax − tax already withheld. A negative
    balance is not refunded by the employer ("暂不退税"): this month is 0 and
    the annual reconciliation settles it.

    :param month: N, the months worked for this employer so far this year,
        counting this one (the calendar month for a whole-year employee).
    :param cumulative_special_deductions: the employee's social insurance and
        housing fund contributions (专项扣除).
    :raises WageInputError: ``month`` outside 1–12, or a negative amount.
    """
    n = whole_number(month, "month", 1, 12)
    t = _Totals(
        income=amount(cumulative_income, "cumulative_income"),
        tax_free=amount(cumulative_tax_free_income, "cumulative_tax_free_income"),
        special=amount(cumulative_special_deductions, "cumulative_special_deductions"),
        additional=amount(cumulative_special_additional_deductions,
                          "cumulative_special_additional_deductions"),
        other=amount(cumulative_other_deductions, "cumulative_other_deductions"),
        relief=amount(cumulative_tax_relief, "cumulative_tax_relief"),
        withheld=amount(tax_withheld_before, "tax_withheld_before"),
    )
    basic = MONTHLY_BASIC_DEDUCTION * n
    taxable = t.income - t.tax_free - basic - t.special - t.additional - t.other
    gross = tax_on(taxable)
    tax = max(gross - t.relief, ZERO)
    difference = tax - t.withheld
    steps = [step("basic_deduction", basis=(Basis.IIT_WITHHOLDING, Basis.IIT_LAW_6),
                  monthly=yuan(MONTHLY_BASIC_DEDUCTION), months=months(n), basic=yuan(basic)),
             _taxable_step(t, basic, taxable),
             *_tax_steps(taxable, gross, tax, t.relief),
             *_month_steps(tax, t.withheld, difference)]
    return Withholding(
        month=n, basic_deduction=basic, taxable_income=max(taxable, ZERO),
        bracket=bracket_for(max(taxable, ZERO)),
        cumulative_tax=tax, tax_withheld_before=t.withheld, difference=difference,
        tax_this_month=max(difference, ZERO), steps=tuple(steps))


def withholding_schedule(*, monthly_income: Decimal, monthly_special_deductions: Decimal = ZERO,
                         monthly_special_additional_deductions: Decimal = ZERO,
                         monthly_other_deductions: Decimal = ZERO,
                         through_month: int = 12) -> tuple[Withholding, ...]:
    """Months 1 … ``through_month`` for a wage and deductions that stay the same.

    Same legal basis as `monthly_withholding`, which it applies month by
    month, carrying forward the tax actually withheld.
    """
    last = whole_number(through_month, "through_month", 1, 12)
    income = amount(monthly_income, "monthly_income")
    special = amount(monthly_special_deductions, "monthly_special_deductions")
    additional = amount(monthly_special_additional_deductions,
                        "monthly_special_additional_deductions")
    other = amount(monthly_other_deductions, "monthly_other_deductions")
    withheld = ZERO
    schedule = []
    for n in range(1, last + 1):
        result = monthly_withholding(
            month=n, cumulative_income=income * n, cumulative_special_deductions=special * n,
            cumulative_special_additional_deductions=additional * n,
            cumulative_other_deductions=other * n,
            tax_withheld_before=withheld)
        withheld += result.tax_this_month
        schedule.append(result)
    return tuple(schedule)
