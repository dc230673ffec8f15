"""The calculators the public page offers: each pairs a form with a domain
function and says which figures to show first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from lms.domain.wages import (
    Basis,
    ProbationComparison,
    conversion,
    daily_and_hourly_wage,
    damage_deduction_limit,
    deduction,
    double_wage,
    economic_compensation,
    employee_contributions,
    income_tax,
    monthly_withholding,
    no_contract_double_wage,
    overtime,
    overtime_pay,
    probation,
    probation_wage_floor,
    unlawful_termination_damages,
)
from lms.domain.wages import compensation as compensation_rules
from lms.domain.wages import contributions as contribution_rules
from lms.domain.wages.common import Figure, yuan
from lms.tools import forms

ZERO = Decimal(0)


@dataclass(frozen=True)
class Calculator:
    slug: str
    title: Any  # lazy strings
    summary: Any
    form: type[FlaskForm]
    compute: Callable[[Any], Any]
    headline: Callable[[Any], list[tuple[Any, Figure]]]
    citations: tuple[Basis, ...]
    notes: tuple[Any, ...] = ()


def _or_zero(field) -> Decimal:
    return field.data if field.data is not None else ZERO


def _percent(field) -> Decimal:
    return field.data / 100


def _conversion(form):
    return daily_and_hourly_wage(form.monthly_wage.data)


def _overtime(form):
    return overtime_pay(form.monthly_wage.data, workday_hours=_or_zero(form.workday_hours),
                        rest_day_hours=_or_zero(form.rest_day_hours),
                        rest_day_time_off=form.rest_day_time_off.data,
                        holiday_hours=_or_zero(form.holiday_hours))


def _income_tax(form):
    return monthly_withholding(
        month=form.month.data, cumulative_income=form.cumulative_income.data,
        cumulative_special_deductions=form.cumulative_special_deductions.data,
        cumulative_special_additional_deductions=(
            form.cumulative_special_additional_deductions.data),
        cumulative_other_deductions=_or_zero(form.cumulative_other_deductions),
        tax_withheld_before=_or_zero(form.tax_withheld_before))


def _contributions(form):
    return employee_contributions(
        wage=form.wage.data, social_insurance_floor=form.social_insurance_floor.data,
        social_insurance_ceiling=form.social_insurance_ceiling.data,
        pension_rate=_percent(form.pension_rate), medical_rate=_percent(form.medical_rate),
        unemployment_rate=_percent(form.unemployment_rate),
        housing_fund_floor=form.housing_fund_floor.data,
        housing_fund_ceiling=form.housing_fund_ceiling.data,
        housing_fund_rate=_percent(form.housing_fund_rate))


def _service(form) -> dict:
    return {"service_years": form.service_years.data, "extra_months": form.extra_months.data,
            "extra_days": form.extra_days.data or 0, "monthly_wage": form.monthly_wage.data,
            "local_average_monthly_wage": form.local_average_monthly_wage.data,
            "local_minimum_wage": form.local_minimum_wage.data}


def _compensation(form):
    return economic_compensation(**_service(form), notice_pay_wage=form.notice_pay_wage.data)


def _damages(form):
    return unlawful_termination_damages(**_service(form))


def _probation(form):
    return probation_wage_floor(comparison_wage=form.comparison_wage.data,
                                local_minimum_wage=form.local_minimum_wage.data,
                                comparison=ProbationComparison(form.comparison.data),
                                probation_wage=form.probation_wage.data)


def _deduction(form):
    return damage_deduction_limit(monthly_wage=form.monthly_wage.data,
                                  local_minimum_wage=form.local_minimum_wage.data,
                                  loss=form.loss.data)


def _double_wage(form):
    return no_contract_double_wage(employment_start=form.employment_start.data,
                                   monthly_wage=form.monthly_wage.data,
                                   contract_signed=form.contract_signed.data,
                                   as_of=form.as_of.data)


def _compensation_headline(r):
    lines = [(_l("Economic compensation"), yuan(r.compensation))]
    if r.notice_pay is not None:
        lines.append((_l("Total with the month's wage in lieu of notice"), yuan(r.total)))
    return lines


def _probation_headline(r):
    lines = [(_l("Lowest lawful probation wage"), yuan(r.floor))]
    if r.shortfall:
        lines.append((_l("Shortfall of the wage paid"), yuan(r.shortfall)))
    return lines


CALCULATORS = {c.slug: c for c in (
    Calculator(
        "daily-hourly", _l("Daily and hourly wage"),
        _l("Convert a monthly wage with the 21.75 pay days a month."),
        forms.ConversionForm, _conversion,
        lambda r: [(_l("Daily wage"), yuan(r.daily_wage)),
                   (_l("Hourly wage"), yuan(r.hourly_wage))],
        conversion.CITATIONS,
        (_l("The 20.83 working days a month are for counting working time, not for "
            "converting pay."),)),
    Calculator(
        "overtime", _l("Overtime pay"),
        _l("1.5 times the hourly wage on working days, twice on rest days without time off, "
           "three times on holidays."),
        forms.OvertimeForm, _overtime,
        lambda r: [(_l("Overtime pay"), yuan(r.total)), (_l("Hourly wage"), yuan(r.hourly_wage))],
        overtime.CITATIONS,
        (_l("These are the lowest amounts the law allows; a contract or collective contract "
            "may pay more."),
         _l("Holiday pay is commonly paid on top of the normal monthly wage, since holidays are "
            "paid days; no article says so word for word."),
         _l("Not for staff on the irregular working-hours system.")),
    ),
    Calculator(
        "income-tax", _l("Income tax withheld from wages"),
        _l("The cumulative withholding method, month by month."),
        forms.IncomeTaxForm, _income_tax,
        lambda r: [(_l("Tax to withhold this month"), yuan(r.tax_this_month)),
                   (_l("Cumulative tax this year"), yuan(r.cumulative_tax))],
        income_tax.CITATIONS,
        (_l("For a resident employee's wages withheld by one employer. All amounts are "
            "totals from the first month of the year (or of this job) to this month."),
         _l("The annual reconciliation between 1 March and 30 June of the next year settles "
            "what withholding leaves over or under.")),
    ),
    Calculator(
        "contributions", _l("Social insurance and housing fund"),
        _l("What is withheld from the employee's wage, within the local floor and ceiling."),
        forms.ContributionsForm, _contributions,
        lambda r: [(_l("Withheld from the wage in all"), yuan(r.total)),
                   (_l("Social insurance"), yuan(r.social_insurance_total)),
                   (_l("Housing fund"), yuan(r.housing_fund))],
        contribution_rules.CITATIONS,
        (_l("Rates, floors and ceilings are set locally and change each year: enter those of "
            "your city."),)),
    Calculator(
        "compensation", _l("Economic compensation (N)"),
        _l("One month's wage per year of service, with the caps for high earners."),
        forms.CompensationForm, _compensation, _compensation_headline,
        compensation_rules.CITATIONS,
        (_l("Counts service from 1 January 2008 only: earlier years follow the rules of their "
            "time (Labour Contract Law, Art. 97)."),
         _l("Only where the law requires compensation, e.g. Art. 46 of the Labour Contract "
            "Law."))),
    Calculator(
        "unlawful-termination", _l("Damages for unlawful termination (2N)"),
        _l("Twice the economic compensation, when the employee does not return to work."),
        forms.DamagesForm, _damages,
        lambda r: [(_l("Damages (2N)"), yuan(r.damages))],
        compensation_rules.DAMAGES_CITATIONS,
        (_l("Years count from the first day of employment; damages replace economic "
            "compensation."),
         _l("Counts service from 1 January 2008 only: earlier years follow the rules of their "
            "time (Labour Contract Law, Art. 97)."))),
    Calculator(
        "probation", _l("Probation wage floor"),
        _l("80 per cent of the agreed wage (or the post's lowest wage), and never below the "
           "minimum wage."),
        forms.ProbationForm, _probation, _probation_headline, probation.CITATIONS,
        (_l("The Law and its Implementing Regulations word the comparison wage differently; "
            "compare with one wage only."),)),
    Calculator(
        "damage-deduction", _l("Deduction for a loss caused"),
        _l("At most 20 per cent of the month's wage, leaving at least the minimum wage."),
        forms.DeductionForm, _deduction,
        lambda r: [(_l("Most that may be deducted this month"), yuan(r.limit))],
        deduction.CITATIONS,
        (_l("Only for a loss the employee caused, repaid as the labour contract provides."),)),
    Calculator(
        "double-wage", _l("Double wage without a written contract"),
        _l("The extra wage for each month without a written contract, at most 11 months."),
        forms.DoubleWageForm, _double_wage,
        lambda r: [(_l("Extra wage owed"), yuan(r.extra_wage))],
        double_wage.CITATIONS,
        (_l("Read as in the usual worked example: employment from 1 March means double wage "
            "from 1 April."),
         _l("A claim must be brought to arbitration within the time limit for labour "
            "disputes."))),
)}
