"""Overtime pay for one month: 150 % / 200 % / 300 % of the hourly wage."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lms.domain.wages.common import (
    ZERO,
    Basis,
    Step,
    bounded,
    hours,
    positive_amount,
    rate,
    step,
    to_fen,
    yuan,
)
from lms.domain.wages.conversion import (
    PAY_HOURS_PER_MONTH,
    exact_hourly_wage,
    hourly_wage_step,
    pay_days_step,
)

WORKDAY_MULTIPLIER = Decimal("1.5")  # 劳动法第44条第（一）项
REST_DAY_MULTIPLIER = Decimal(2)  # 第（二）项, only when no time off in lieu is arranged
HOLIDAY_MULTIPLIER = Decimal(3)  # 第（三）项, whether or not time off is arranged
MONTHLY_LIMIT_HOURS = 36  # 劳动法第41条
#: no month has more hours than 31 × 24; anything above is a typing error
MAX_HOURS = Decimal(31 * 24)

CITATIONS = (Basis.LABOUR_LAW_44, Basis.WAGE_PAYMENT_13, Basis.WAGE_CONVERSION,
             Basis.LABOUR_LAW_41)


@dataclass(frozen=True)
class OvertimePay:
    """The minimum overtime pay for a month, by kind of day, and the 36-hour check."""

    hourly_wage: Decimal
    workday_pay: Decimal
    rest_day_pay: Decimal
    holiday_pay: Decimal
    total: Decimal
    total_hours: Decimal
    exceeds_monthly_limit: bool
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


def _pay(monthly: Decimal, multiplier: Decimal, worked: Decimal) -> Decimal:
    # multiply before dividing by 174, so a quotient that terminates stays exact
    return to_fen(monthly * multiplier * worked / PAY_HOURS_PER_MONTH)


def _pay_step(code: str, monthly: Decimal, multiplier: Decimal, worked: Decimal,
              pay: Decimal) -> Step:
    return step(code, basis=(Basis.LABOUR_LAW_44, Basis.WAGE_PAYMENT_13),
                hourly=yuan(exact_hourly_wage(monthly)), multiplier=rate(multiplier),
                hours=hours(worked), pay=yuan(pay))


def _paid_hours(code: str, monthly: Decimal, multiplier: Decimal,
                worked: Decimal) -> tuple[Decimal, list[Step]]:
    pay = _pay(monthly, multiplier, worked)
    return pay, [_pay_step(code, monthly, multiplier, worked, pay)] if worked else []


def _rest_day(monthly: Decimal, worked: Decimal, time_off: bool) -> tuple[Decimal, list[Step]]:
    if not time_off:
        return _paid_hours("rest_day_overtime", monthly, REST_DAY_MULTIPLIER, worked)
    # time off in lieu replaces the 200 % (劳动法第44条第（二）项)
    return ZERO, [step("rest_day_time_off", basis=(Basis.LABOUR_LAW_44,),
                       hours=hours(worked))] if worked else []


def _limit_step(total_hours: Decimal) -> Step:
    code = "monthly_limit_exceeded" if total_hours > MONTHLY_LIMIT_HOURS else "monthly_limit_ok"
    return step(code, basis=(Basis.LABOUR_LAW_41,), total_hours=hours(total_hours),
                limit=hours(MONTHLY_LIMIT_HOURS))


def overtime_pay(monthly_wage: Decimal, *, workday_hours: Decimal = ZERO,
                 rest_day_hours: Decimal = ZERO, rest_day_time_off: bool = False,
                 holiday_hours: Decimal = ZERO) -> OvertimePay:
    """Overtime pay at not less than 150 %, 200 % and 300 % of the hourly wage.

    Legal basis: 劳动法第44条 (the three rates; 200 % only when the rest-day work
    cannot be compensated with time off — with ``rest_day_time_off`` it earns no
    overtime pay); 工资支付暂行规定第13条 (the base is the hourly wage of the
    contract); the hourly wage is monthly ÷ (21.75 × 8) per 劳社部发〔2008〕3号.
    The amounts are statutory minimums. The month's total hours are checked
    against the 36-hour limit of 劳动法第41条 (rest-day hours with time off
    count: they are still hours worked beyond the standard week).

    Holiday pay is commonly paid on top of the normal monthly wage, because
    holidays are paid days; law_facts §2.2 marks that reading as not found word
    for word (❓), so this function only computes the 300 % amount.

    :raises WageInputError: the wage is not above zero, or hours are outside
        0–744.
    """
    monthly = positive_amount(monthly_wage, "monthly_wage")
    workday = bounded(workday_hours, "workday_hours", ZERO, MAX_HOURS)
    rest_day = bounded(rest_day_hours, "rest_day_hours", ZERO, MAX_HOURS)
    holiday = bounded(holiday_hours, "holiday_hours", ZERO, MAX_HOURS)

    workday_pay, workday_steps = _paid_hours("workday_overtime", monthly, WORKDAY_MULTIPLIER,
                                             workday)
    rest_day_pay, rest_day_steps = _rest_day(monthly, rest_day, rest_day_time_off)
    holiday_pay, holiday_steps = _paid_hours("holiday_overtime", monthly, HOLIDAY_MULTIPLIER,
                                             holiday)
    total = workday_pay + rest_day_pay + holiday_pay
    total_hours = workday + rest_day + holiday
    steps = (
        pay_days_step(), hourly_wage_step(monthly), *workday_steps, *rest_day_steps,
        *holiday_steps,
        step("overtime_total", workday_pay=yuan(workday_pay), rest_day_pay=yuan(rest_day_pay),
             holiday_pay=yuan(holiday_pay), total=yuan(total)),
        _limit_step(total_hours),
    )
    return OvertimePay(
        hourly_wage=to_fen(exact_hourly_wage(monthly)), workday_pay=workday_pay,
        rest_day_pay=rest_day_pay, holiday_pay=holiday_pay, total=total,
        total_hours=total_hours, exceeds_monthly_limit=total_hours > MONTHLY_LIMIT_HOURS,
        steps=steps)
