"""One form per wage calculator: field shape only; the calculators check the rules."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import TextInput

from lms.domain.wages.contributions import EXAMPLE_MEDICAL_RATE, EXAMPLE_PENSION_RATE
from lms.domain.wages.probation import ProbationComparison

MAX_AMOUNT = Decimal(100_000_000)
MAX_HOURS = 744  # 31 × 24

REQUIRED = _l("Please fill in this field.")
NOT_A_NUMBER = _l("Enter a number, such as 8700 or 8700.50.")
NOT_NEGATIVE = _l("This cannot be negative.")
TOO_LARGE = _l("This amount is too large.")


def _normalise_number(text: str) -> str:
    """Accept what people type: full-width digits, thousands commas, a trailing 元."""
    text = unicodedata.normalize("NFKC", text or "").strip().removesuffix("元")
    return text.replace(",", "").replace(" ", "")


class InRange(NumberRange):
    """NumberRange that stays quiet when the text was not a number at all:
    that already has its own message."""

    def __call__(self, form, field):
        if field.data is not None:
            super().__call__(form, field)


class AmountField(DecimalField):
    """A number typed as text, so the page keeps exactly what was typed."""

    widget = TextInput()

    def __init__(self, label, validators=(), **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, list(validators), places=None, render_kw=render_kw,
                         invalid_value_message=NOT_A_NUMBER, **kwargs)

    def process_formdata(self, valuelist):
        text = _normalise_number(valuelist[0]) if valuelist else ""
        if not text:
            self.data = None
            return
        super().process_formdata([text])
        if not self.data.is_finite():  # "NaN" and "Infinity" parse as decimals
            self.data = None
            raise ValueError(NOT_A_NUMBER)


class CountField(IntegerField):
    """A whole number typed as text (years, months, days)."""

    widget = TextInput()

    def __init__(self, label, validators=(), **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, list(validators), render_kw=render_kw,
                         invalid_value_message=_l("Enter a whole number, such as 7."), **kwargs)

    def process_formdata(self, valuelist):
        text = _normalise_number(valuelist[0]) if valuelist else ""
        if not text:
            self.data = None
            return
        super().process_formdata([text])


def money(label, *, required=True, description=None, default=None):
    """A yuan amount: required or optional, never negative."""
    presence = InputRequired(message=REQUIRED) if required else Optional()
    return AmountField(label, [presence, InRange(min=0, message=NOT_NEGATIVE),
                               InRange(max=MAX_AMOUNT, message=TOO_LARGE)],
                       description=description, default=default)


def percent(label, *, description=None, default=None):
    return AmountField(label, [InputRequired(message=REQUIRED), InRange(
        min=0, max=100, message=_l("Enter a percentage from 0 to 100, such as 8 or 0.5."))],
        description=description, default=default)


def hours(label, *, description=None):
    return AmountField(label, [Optional(), InRange(
        min=0, max=MAX_HOURS, message=_l("Enter hours from 0 to 744 (a whole month)."))],
        description=description)


def count(label, low: int, high: int, message, *, required=True, description=None):
    presence = InputRequired(message=REQUIRED) if required else Optional()
    return CountField(label, [presence, InRange(min=low, max=high, message=message)],
                      description=description)


def day(label, *, required=True, description=None):
    presence = InputRequired(message=REQUIRED) if required else Optional()
    return DateField(label, [presence], description=description,
                     invalid_value_message=_l("Enter a date such as 2024-03-01."))


def _monthly_wage(description=None):
    return money(_l("Monthly wage (yuan)"), description=description or _l(
        "The wage agreed in the labour contract, per month."))


def _minimum_wage(required=True):
    return money(_l("Local monthly minimum wage (yuan)"), required=required, description=_l(
        "Set by the provincial government; enter the figure that applies where you work."))


class ConversionForm(FlaskForm):
    monthly_wage = _monthly_wage()


class OvertimeForm(FlaskForm):
    monthly_wage = _monthly_wage()
    workday_hours = hours(_l("Overtime hours on working days"),
                          description=_l("Hours beyond the normal working day."))
    rest_day_hours = hours(_l("Hours worked on rest days"))
    rest_day_time_off = BooleanField(_l("Equal time off in lieu was arranged for the rest-day "
                                        "work"))
    holiday_hours = hours(_l("Hours worked on statutory holidays"))


class IncomeTaxForm(FlaskForm):
    month = SelectField(
        _l("Month of the year (N)"), coerce=int, default=1,
        choices=[SelectChoice(n, str(n)) for n in range(1, 13)],
        description=_l("Months worked for this employer this year, counting this one."))
    cumulative_income = money(_l("Wage income so far this year (yuan)"),
                              description=_l("From January (or the first month with this "
                                             "employer) to this month, this month included."))
    cumulative_special_deductions = money(
        _l("Special deductions so far (yuan)"),
        description=_l("Your own social insurance and housing fund contributions."))
    cumulative_special_additional_deductions = money(
        _l("Special additional deductions so far (yuan)"),
        description=_l("Children's education, elderly care, housing loan interest or rent and "
                       "the like."))
    cumulative_other_deductions = money(_l("Other deductions so far (yuan)"), required=False,
                                        description=_l("Enterprise annuity and the like; "
                                                       "leave empty if none."))
    tax_withheld_before = money(_l("Tax already withheld in earlier months (yuan)"),
                                required=False, description=_l("Leave empty in month 1."))


class ContributionsForm(FlaskForm):
    wage = money(_l("Average monthly wage of last year (yuan)"),
                 description=_l("The base before the floor and ceiling are applied."))
    social_insurance_floor = money(_l("Social insurance base floor (yuan)"), description=_l(
        "Local figure, often 60 per cent of the local average wage."))
    social_insurance_ceiling = money(_l("Social insurance base ceiling (yuan)"), description=_l(
        "Local figure, often 300 per cent of the local average wage."))
    pension_rate = percent(_l("Pension insurance rate (%)"),
                           default=(EXAMPLE_PENSION_RATE * 100).normalize(), description=_l(
                               "Prefilled example: 8, the national individual rate "
                               "(国发〔2005〕38号). Check your local rules."))
    medical_rate = percent(_l("Medical insurance rate (%)"),
                           default=(EXAMPLE_MEDICAL_RATE * 100).normalize(), description=_l(
                               "Prefilled example: 2, the general national level "
                               "(国发〔1998〕44号); many places add a supplement."))
    unemployment_rate = percent(_l("Unemployment insurance rate (%)"), description=_l(
        "Set locally, often between 0.3 and 0.5."))
    housing_fund_floor = money(_l("Housing fund base floor (yuan)"))
    housing_fund_ceiling = money(_l("Housing fund base ceiling (yuan)"), description=_l(
        "Local figure, often two or three times the local average wage."))
    housing_fund_rate = percent(_l("Housing fund rate (%)"), description=_l(
        "Set locally; the law requires at least 5, guidance caps it at 12."))


def _service_fields():
    return (
        count(_l("Full years of service"), 0, 80, _l("Enter years from 0 to 80.")),
        count(_l("Further whole months"), 0, 11, _l("Enter months from 0 to 11."),
              description=_l("Months beyond the last full year.")),
        count(_l("Further days"), 0, 30, _l("Enter days from 0 to 30."), required=False,
              description=_l("Days beyond the last whole month; leave empty if none.")),
    )


class DamagesForm(FlaskForm):
    service_years, extra_months, extra_days = _service_fields()
    monthly_wage = _monthly_wage(_l("Average monthly wage due over the last 12 months, "
                                    "bonuses and allowances included."))
    local_average_monthly_wage = money(_l("Local average monthly wage of last year (yuan)"),
                                       description=_l("As published by the city government."))
    local_minimum_wage = _minimum_wage(required=False)


class CompensationForm(DamagesForm):
    notice_pay_wage = money(_l("Last month's wage, if notice was not given (yuan)"),
                            required=False, description=_l(
                                "Only when the contract was ended under Art. 40 without 30 "
                                "days' written notice; otherwise leave empty."))


class ProbationForm(FlaskForm):
    comparison = SelectField(_l("80 per cent of which wage"), default="agreed_wage", choices=[
        SelectChoice(ProbationComparison.AGREED_WAGE.value,
                     _l("The wage agreed in the contract")),
        SelectChoice(ProbationComparison.LOWEST_POST_WAGE.value,
                     _l("The lowest wage of the same post in the unit")),
    ])
    comparison_wage = money(_l("That wage (yuan per month)"))
    local_minimum_wage = _minimum_wage()
    probation_wage = money(_l("Probation wage actually paid (yuan)"), required=False,
                           description=_l("Optional: to check it against the floor."))


class DeductionForm(FlaskForm):
    monthly_wage = money(_l("This month's wage (yuan)"))
    local_minimum_wage = _minimum_wage()
    loss = money(_l("Loss to be repaid (yuan)"), required=False,
                 description=_l("Optional: to see how many months repayment takes."))


class DoubleWageForm(FlaskForm):
    employment_start = day(_l("First day of employment"))
    monthly_wage = _monthly_wage()
    contract_signed = day(_l("Date the written contract was signed"), required=False,
                          description=_l("Leave empty if none has been signed."))
    as_of = day(_l("Count up to (if no contract was signed)"), required=False,
                description=_l("The last day to count, such as today."))
