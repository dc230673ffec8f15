"""Put the calculators' steps into words: one message per step code, figures
printed in yuan with two decimals, and the provisions each step applies."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.domain.wages import Basis, Figure, Step, Unit
from lms.templating import format_dt

FEN = Decimal("0.01")

CITATIONS = {
    Basis.WAGE_CONVERSION: _l("Notice on wage conversion (劳社部发〔2008〕3号), part 2"),
    Basis.LABOUR_LAW_41: _l("Labour Law, Art. 41"),
    Basis.LABOUR_LAW_44: _l("Labour Law, Art. 44"),
    Basis.WAGE_PAYMENT_13: _l("Provisional Regulations on Wage Payment, Art. 13"),
    Basis.WAGE_PAYMENT_16: _l("Provisional Regulations on Wage Payment, Art. 16"),
    Basis.IIT_LAW_6: _l("Individual Income Tax Law, Art. 6"),
    Basis.IIT_LAW_11: _l("Individual Income Tax Law, Art. 11"),
    Basis.IIT_RATE_TABLE: _l("Individual Income Tax Law, rate table 1 (comprehensive income)"),
    Basis.IIT_WITHHOLDING: _l("State Taxation Administration Announcement No. 61 of 2018, "
                              "Art. 6 (cumulative withholding)"),
    Basis.SOCIAL_INSURANCE_LAW_12: _l("Social Insurance Law, Art. 12"),
    Basis.SOCIAL_INSURANCE_LAW_23: _l("Social Insurance Law, Art. 23"),
    Basis.SOCIAL_INSURANCE_LAW_33_53: _l("Social Insurance Law, Arts. 33 and 53"),
    Basis.SOCIAL_INSURANCE_LAW_44: _l("Social Insurance Law, Art. 44"),
    Basis.HOUSING_FUND_16_18: _l("Regulations on Housing Provident Fund, Arts. 16 and 18"),
    Basis.CONTRACT_LAW_20: _l("Labour Contract Law, Art. 20"),
    Basis.CONTRACT_LAW_40: _l("Labour Contract Law, Art. 40"),
    Basis.CONTRACT_LAW_47: _l("Labour Contract Law, Art. 47"),
    Basis.CONTRACT_LAW_82: _l("Labour Contract Law, Art. 82"),
    Basis.CONTRACT_LAW_87: _l("Labour Contract Law, Art. 87"),
    Basis.CONTRACT_REGS_6_7: _l("Implementing Regulations of the Labour Contract Law, "
                                "Arts. 6 and 7"),
    Basis.CONTRACT_REGS_15: _l("Implementing Regulations of the Labour Contract Law, Art. 15"),
    Basis.CONTRACT_REGS_20: _l("Implementing Regulations of the Labour Contract Law, Art. 20"),
    Basis.CONTRACT_REGS_25: _l("Implementing Regulations of the Labour Contract Law, Art. 25"),
    Basis.CONTRACT_REGS_27: _l("Implementing Regulations of the Labour Contract Law, Art. 27"),
}

#: step code → sentence; the placeholders are the step's figures.
STEPS = {
    # conversion (劳社部发〔2008〕3号)
    "monthly_pay_days": _l("Monthly pay days = (%(days_in_year)s − %(rest_days)s of rest) "
                           "÷ 12 = %(pay_days)s; statutory holidays are paid, so they are not "
                           "taken out"),
    "daily_wage": _l("Daily wage = monthly wage %(monthly)s ÷ %(pay_days)s = %(daily)s"),
    "hourly_wage": _l("Hourly wage = monthly wage %(monthly)s ÷ (%(pay_days)s × "
                      "%(hours_per_day)s) = %(hourly)s"),
    # overtime
    "workday_overtime": _l("Overtime on working days: %(hourly)s × %(multiplier)s × %(hours)s "
                           "= %(pay)s"),
    "rest_day_overtime": _l("Work on rest days without time off in lieu: %(hourly)s × "
                            "%(multiplier)s × %(hours)s = %(pay)s"),
    "holiday_overtime": _l("Work on statutory holidays: %(hourly)s × %(multiplier)s × "
                           "%(hours)s = %(pay)s"),
    "rest_day_time_off": _l("Work on rest days: %(hours)s made up with equal time off in lieu, "
                            "so no overtime pay is due for them"),
    "overtime_total": _l("Total overtime pay = %(workday_pay)s + %(rest_day_pay)s + "
                         "%(holiday_pay)s = %(total)s"),
    "monthly_limit_ok": _l("Check: %(total_hours)s of overtime this month, within the limit "
                           "of %(limit)s a month"),
    "monthly_limit_exceeded": _l("Warning: %(total_hours)s of overtime this month is more than "
                                 "the limit of %(limit)s a month (unless an emergency of Labour "
                                 "Law Art. 42 applies); the pay is owed all the same"),
    # income tax
    "basic_deduction": _l("Cumulative basic deduction = %(monthly)s × %(months)s = %(basic)s"),
    "cumulative_taxable_income": _l(
        "Cumulative taxable income = income %(income)s − tax-free income %(tax_free)s − basic "
        "deduction %(basic)s − special deductions %(special)s − special additional deductions "
        "%(additional)s − other deductions %(other)s = %(taxable)s"),
    "no_taxable_income": _l("Cumulative taxable income is %(taxable)s: nothing is taxable so "
                            "far, so no tax is due"),
    "tax_bracket": _l("%(taxable)s falls in band %(level)s of the withholding rate table: "
                      "rate %(rate)s, quick deduction %(quick_deduction)s"),
    "cumulative_tax": _l("Cumulative tax = %(taxable)s × %(rate)s − %(quick_deduction)s = "
                         "%(tax)s"),
    "tax_relief": _l("Less cumulative tax relief: %(gross)s − %(relief)s = %(tax)s"),
    "tax_this_month": _l("Tax to withhold this month = cumulative tax %(cumulative_tax)s − tax "
                         "already withheld %(withheld)s = %(difference)s"),
    "negative_not_refunded": _l("The balance %(difference)s is negative: nothing is withheld "
                                "this month and the employer refunds nothing now; the annual "
                                "reconciliation settles it"),
    # contributions
    "social_insurance_base": _l("Social insurance base: the wage %(wage)s kept between the "
                                "floor %(floor)s and the ceiling %(ceiling)s = %(base)s"),
    "pension": _l("Pension insurance: %(base)s × %(rate)s = %(amount)s"),
    "medical": _l("Medical insurance: %(base)s × %(rate)s = %(amount)s"),
    "unemployment": _l("Unemployment insurance: %(base)s × %(rate)s = %(amount)s"),
    "no_employee_share": _l("Work-injury and maternity insurance: paid by the employer alone; "
                            "the employee pays nothing"),
    "social_insurance_total": _l("Social insurance in all = %(pension)s + %(medical)s + "
                                 "%(unemployment)s = %(total)s"),
    "housing_fund_base": _l("Housing fund base: the wage %(wage)s kept between the floor "
                            "%(floor)s and the ceiling %(ceiling)s = %(base)s"),
    "housing_fund": _l("Housing fund: %(base)s × %(rate)s = %(amount)s"),
    "contributions_total": _l("Withheld from the wage in all = %(social_insurance)s + "
                              "%(housing_fund)s = %(total)s; this is the special deduction "
                              "for income tax"),
    # economic compensation and damages
    "service_whole_years": _l("Service of %(years)s exactly: N = %(n)s"),
    "service_six_months_or_more": _l("Service of %(years)s, %(months)s and %(days)s; a "
                                     "remainder of 6 months or more counts as a full year: "
                                     "N = %(n)s"),
    "service_under_six_months": _l("Service of %(years)s, %(months)s and %(days)s; a remainder "
                                   "under 6 months counts as half a month: N = %(n)s"),
    "minimum_wage_floor": _l("The average monthly wage %(wage)s is below the local minimum "
                             "wage %(minimum)s, so the minimum wage is used"),
    "wage_not_above_cap": _l("Cap check: %(wage)s is not above %(multiple)s × the local "
                             "average wage %(average)s = %(cap)s, so the wage counts in full "
                             "and there is no 12-year limit"),
    "wage_capped": _l("Cap check: %(wage)s is above %(multiple)s × the local average wage "
                      "%(average)s = %(cap)s, so %(cap)s is used and at most 12 years are paid"),
    "years_capped": _l("N = %(n)s is more than %(limit)s, so %(limit)s are paid"),
    "compensation": _l("Economic compensation = %(n)s × %(base)s = %(compensation)s"),
    "notice_pay": _l("Ended under Art. 40 without 30 days' notice: %(compensation)s + one "
                     "month's wage %(notice_pay)s = %(total)s"),
    "damages": _l("Damages for unlawful termination = 2 × %(compensation)s = %(damages)s; no "
                  "economic compensation is paid on top"),
    # probation
    "probation_80_agreed_wage": _l("%(share)s of the wage agreed in the contract %(wage)s = "
                                   "%(amount)s"),
    "probation_80_lowest_post_wage": _l("%(share)s of the lowest wage of the same post "
                                        "%(wage)s = %(amount)s"),
    "probation_floor": _l("Probation wage floor = the higher of %(eighty_percent)s and the "
                          "local minimum wage %(minimum)s = %(floor)s"),
    "probation_wage_ok": _l("The probation wage %(paid)s is not below the floor %(floor)s"),
    "probation_wage_short": _l("The probation wage %(paid)s is below the floor %(floor)s by "
                               "%(shortfall)s"),
    # damage deduction
    "deduction_twenty_percent": _l("%(share)s of this month's wage %(wage)s = %(amount)s"),
    "deduction_minimum_remainder": _l("The local minimum wage must be left: %(wage)s − "
                                      "%(minimum)s = %(amount)s"),
    "wage_below_minimum": _l("The wage %(wage)s is not above the local minimum wage "
                             "%(minimum)s, so nothing may be deducted (%(amount)s)"),
    "deduction_limit": _l("Most that may be deducted this month = the lower of "
                          "%(twenty_percent)s and %(above_minimum)s = %(limit)s"),
    "deduction_repayment": _l("Loss %(loss)s: deduct %(deduction)s this month, %(remaining)s "
                              "remains; at this rate repayment takes %(months)s"),
    "deduction_not_possible": _l("Loss %(loss)s: nothing may be deducted from this wage"),
    # double wage
    "double_wage_start": _l("Employment began on %(employment_start)s; the double wage starts "
                            "the day after one month of employment: %(first_day)s"),
    "double_wage_end_signed": _l("The written contract was signed on %(signed)s; the double "
                                 "wage ends the day before: %(end)s"),
    "double_wage_end_as_of": _l("No written contract yet; counted up to %(end)s"),
    "double_wage_end_capped": _l("No written contract by the first anniversary "
                                 "(%(anniversary)s); the double wage ends the day before: "
                                 "%(end)s"),
    "double_wage_none": _l("The contract was signed within one month of employment, so no "
                           "double wage is owed"),
    "double_wage_period": _l("Double wage period: %(start)s to %(end)s, that is %(months)s "
                             "and %(days)s"),
    "double_wage_full_months": _l("Extra wage for whole months = %(wage)s × %(months)s = "
                                  "%(amount)s"),
    "double_wage_part_month": _l("Extra wage for the last %(days)s, pro rata to calendar days: "
                                 "%(wage)s × %(days)s ÷ %(month_days)s = %(amount)s (an "
                                 "estimate: no national rule says how a part month is paid)"),
    "double_wage_total": _l("Extra wage owed (the second of the two wages) = %(full_months)s "
                            "+ %(part_month)s = %(total)s"),
    "deemed_open_ended": _l("From %(anniversary)s an open-ended labour contract is deemed to "
                            "have been made"),
}


@dataclass(frozen=True)
class ExplainedStep:
    text: str
    citations: tuple[str, ...]


def plain_number(value: Decimal | int) -> str:
    """21.75, 7.5, 12 — no exponent, no trailing zeros."""
    if isinstance(value, int):
        return str(value)
    return format(value.normalize(), "f")


def format_yuan(value: Decimal) -> str:
    """8,700.00 元; ≈ marks a rate shown rounded but used exactly."""
    rounded = Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
    text = _("%(amount)s yuan", amount=f"{rounded:,.2f}")
    return text if rounded == value else "≈" + text


def format_figure(figure: Figure) -> str:
    value, unit = figure.value, figure.unit
    if unit is Unit.YUAN:
        return format_yuan(value)
    if unit is Unit.RATE:
        return plain_number(Decimal(value) * 100) + "%"
    if unit is Unit.DATE:
        return format_dt(value, "date")
    if unit is Unit.NUMBER:
        return plain_number(value)
    return _counted(unit, value)


def _counted(unit: Unit, value: Decimal | int) -> str:
    num = plain_number(value)
    one = value == 1
    if unit is Unit.HOURS:
        return _("%(num)s hour", num=num) if one else _("%(num)s hours", num=num)
    if unit is Unit.DAYS:
        return _("%(num)s day", num=num) if one else _("%(num)s days", num=num)
    if unit is Unit.MONTHS:
        return _("%(num)s month", num=num) if one else _("%(num)s months", num=num)
    return _("%(num)s year", num=num) if one else _("%(num)s years", num=num)


def explain_step(step: Step) -> ExplainedStep:
    figures = {name: format_figure(figure) for name, figure in step.params.items()}
    # "= ≈28.74" reads better as "≈ 28.74": the result shown is rounded
    text = (str(STEPS[step.code]) % figures).replace("= ≈", "≈ ")
    return ExplainedStep(text, tuple(str(CITATIONS[basis]) for basis in step.basis))


def explain(steps: tuple[Step, ...]) -> list[ExplainedStep]:
    return [explain_step(step) for step in steps]


def cite(citations: tuple[Basis, ...]) -> list[str]:
    return [str(CITATIONS[basis]) for basis in citations]
