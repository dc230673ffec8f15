"""Economic compensation (N) on termination, and damages (2N) when unlawful."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lms.domain.wages.common import (
    Basis,
    Step,
    days,
    months,
    number,
    optional_amount,
    positive_amount,
    step,
    to_fen,
    whole_number,
    years,
    yuan,
)

#: 劳动合同法第47条第2款: the wage is capped at three times the local average…
AVERAGE_WAGE_MULTIPLE = 3
#: …and, for those capped, the years paid at twelve.
MAX_YEARS_WHEN_CAPPED = 12
HALF = Decimal("0.5")
MAX_SERVICE_YEARS = 80

CITATIONS = (Basis.CONTRACT_LAW_47, Basis.CONTRACT_REGS_27)
DAMAGES_CITATIONS = (Basis.CONTRACT_LAW_87, Basis.CONTRACT_REGS_25, *CITATIONS)


@dataclass(frozen=True)
class Compensation:
    """N months of pay for the years served, after the caps of Art. 47.

    ``notice_pay`` is the extra month's wage of Art. 40 when one is owed
    (``None`` otherwise); ``total`` adds it to the compensation.
    """

    months_earned: Decimal  # N before the 12-year cap
    months_paid: Decimal  # N after it
    monthly_wage: Decimal  # after the minimum-wage floor
    base: Decimal  # after the 3 × average cap
    capped: bool
    compensation: Decimal
    notice_pay: Decimal | None
    total: Decimal
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = CITATIONS


@dataclass(frozen=True)
class Damages:
    """Twice the economic compensation, which it replaces."""

    compensation: Compensation
    damages: Decimal
    steps: tuple[Step, ...]
    citations: tuple[Basis, ...] = DAMAGES_CITATIONS


def compensation_months(service_years: int, extra_months: int, extra_days: int = 0) -> Decimal:
    """N: one month per full year; a remainder of 6 months or more counts as a
    year, any shorter remainder as half a month (劳动合同法第47条第1款).

    ``extra_months`` and ``extra_days`` are the time beyond the last full year.
    The statute sets no minimum remainder, so 1 year and 10 days gives 1.5;
    no service at all is read as "less than six months": half a month.

    :raises WageInputError: years outside 0–80, months outside 0–11, days
        outside 0–30.
    """
    whole_number(service_years, "service_years", 0, MAX_SERVICE_YEARS)
    whole_number(extra_months, "extra_months", 0, 11)
    whole_number(extra_days, "extra_days", 0, 30)
    if extra_months >= 6:
        return Decimal(service_years + 1)
    if extra_months or extra_days or not service_years:
        return service_years + HALF
    return Decimal(service_years)


def _service_step(service_years: int, extra_months: int, extra_days: int, n: Decimal) -> Step:
    if extra_months >= 6:
        code = "service_six_months_or_more"
    elif n == service_years:
        code = "service_whole_years"
    else:
        code = "service_under_six_months"
    return step(code, basis=(Basis.CONTRACT_LAW_47,), years=years(service_years),
                months=months(extra_months), days=days(extra_days), n=months(n))


def _wage_after_floor(wage: Decimal, minimum: Decimal | None) -> tuple[Decimal, list[Step]]:
    if minimum is None or wage >= minimum:
        return wage, []
    return minimum, [step("minimum_wage_floor", basis=(Basis.CONTRACT_REGS_27,),
                          wage=yuan(wage), minimum=yuan(minimum))]


def _cap(wage: Decimal, average: Decimal, n: Decimal) -> tuple[Decimal, Decimal, list[Step]]:
    """The base and months paid once the 3 × average and 12-year caps apply."""
    cap = average * AVERAGE_WAGE_MULTIPLE
    figures = {"wage": yuan(wage), "average": yuan(average),
               "multiple": number(AVERAGE_WAGE_MULTIPLE), "cap": yuan(cap)}
    # "高于" three times the average: a wage exactly at the cap is not capped
    if wage <= cap:
        return wage, n, [step("wage_not_above_cap", basis=(Basis.CONTRACT_LAW_47,), **figures)]
    steps = [step("wage_capped", basis=(Basis.CONTRACT_LAW_47,), **figures)]
    paid = min(n, Decimal(MAX_YEARS_WHEN_CAPPED))
    if paid < n:
        steps.append(step("years_capped", basis=(Basis.CONTRACT_LAW_47,), n=months(n),
                          limit=months(MAX_YEARS_WHEN_CAPPED)))
    return cap, paid, steps


def economic_compensation(*, service_years: int, extra_months: int, extra_days: int = 0,
                          monthly_wage: Decimal,
                          local_average_monthly_wage: Decimal,
                          local_minimum_wage: Decimal | None = None,
                          notice_pay_wage: Decimal | None = None) -> Compensation:
    """Economic compensation N × monthly wage, with the caps of Art. 47.

    Legal basis: 劳动合同法第47条 — one month's wage per full year of service,
    6 months or more counted as a year, under 6 months half a month; a monthly
    wage *above* 3 × the local average monthly wage of last year (published by
    the city government: an input) is paid at 3 × that average and for at most
    12 years. 实施条例第27条 — the monthly wage is the average wage due over the
    last 12 months, and no less than the local minimum wage (pass
    ``local_minimum_wage`` to apply that floor).

    ``notice_pay_wage``: when the contract is ended under 劳动合同法第40条 without
    30 days' written notice, one extra month's wage at last month's rate
    (实施条例第20条) is added to the total.

    Service before 2008-01-01 follows the rules of its time (第97条) and is not
    handled: give only service from 2008 on.

    :raises WageInputError: years outside 0–80, months outside 0–11, days
        outside 0–30, a wage or average not above zero, a negative minimum
        wage or notice pay.
    """
    whole_years = whole_number(service_years, "service_years", 0, MAX_SERVICE_YEARS)
    part_months = whole_number(extra_months, "extra_months", 0, 11)
    part_days = whole_number(extra_days, "extra_days", 0, 30)
    wage = positive_amount(monthly_wage, "monthly_wage")
    average = positive_amount(local_average_monthly_wage, "local_average_monthly_wage")
    minimum = optional_amount(local_minimum_wage, "local_minimum_wage")
    notice_wage = optional_amount(notice_pay_wage, "notice_pay_wage")

    n = compensation_months(whole_years, part_months, part_days)
    wage, floor_steps = _wage_after_floor(wage, minimum)
    base, paid, cap_steps = _cap(wage, average, n)
    compensation = to_fen(paid * base)
    steps = [_service_step(whole_years, part_months, part_days, n), *floor_steps, *cap_steps,
             step("compensation", basis=(Basis.CONTRACT_LAW_47,), n=months(paid),
                  base=yuan(base), compensation=yuan(compensation))]
    total = compensation
    if notice_wage is not None:
        total += notice_wage
        steps.append(step("notice_pay", basis=(Basis.CONTRACT_LAW_40, Basis.CONTRACT_REGS_20),
                          compensation=yuan(compensation), notice_pay=yuan(notice_wage),
                          total=yuan(total)))
    return Compensation(
        months_earned=n, months_paid=paid, monthly_wage=wage, base=base, capped=base < wage,
        compensation=compensation, notice_pay=notice_wage, total=total, steps=tuple(steps))


def unlawful_termination_damages(*, service_years: int, extra_months: int,
                                 extra_days: int = 0, monthly_wage: Decimal,
                                 local_average_monthly_wage: Decimal,
                                 local_minimum_wage: Decimal | None = None) -> Damages:
    """Damages of twice the economic compensation for an unlawful termination.

    Legal basis: 劳动合同法第87条 (2 × the compensation of 第47条, with its caps)
    and 第48条 (when the employee does not ask to continue, or cannot);
    实施条例第25条 — the years count from the first day of employment, and no
    economic compensation is paid on top.

    :raises WageInputError: as `economic_compensation`.
    """
    compensation = economic_compensation(
        service_years=service_years, extra_months=extra_months, extra_days=extra_days,
        monthly_wage=monthly_wage,
        local_average_monthly_wage=local_average_monthly_wage,
        local_minimum_wage=local_minimum_wage)
    damages = compensation.compensation * 2
    steps = (*compensation.steps,
             step("damages", basis=(Basis.CONTRACT_LAW_87, Basis.CONTRACT_REGS_25),
                  compensation=yuan(compensation.compensation), damages=yuan(damages)))
    return Damages(compensation=compensation, damages=damages, steps=steps)

