"""The public wage calculators: no login, one page per calculator, plain
GET and POST so they work without JavaScript."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from lms.domain.wages import WageInputError
from lms.extensions import limiter
from lms.tools.explain import cite, explain, format_figure
from lms.tools.wage_calculators import CALCULATORS

bp = Blueprint("tools", __name__, url_prefix="/tools")

#: WageInputError code (or (field, code)) → message beside the field it names.
WAGE_ERRORS = {
    ("as_of", "required"): _l("Fill in this date when no contract has been signed."),
    "required": _l("Please fill in this field."),
    "negative": _l("This cannot be negative."),
    "not_positive": _l("Enter an amount above zero."),
    "not_finite": _l("Enter a number, such as 8700 or 8700.50."),
    "out_of_range": _l("Enter a value from %(low)s to %(high)s."),
    "floor_above_ceiling": _l("The floor cannot be higher than the ceiling."),
    "before_start": _l("This date is before the first day of employment."),
    "unknown": _l("Choose one of the options."),
}


def show_wage_error(form, exc: WageInputError) -> None:
    """Put a calculator's refusal beside the field it names (or above the form)."""
    message = WAGE_ERRORS.get((exc.field, exc.code)) or WAGE_ERRORS.get(exc.code, exc.code)
    if exc.params:
        message = message % exc.params
    field = getattr(form, exc.field, None)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


@bp.get("/wages")
def wages():
    chosen = request.args.get("calculator")
    if chosen in CALCULATORS:  # the picker's no-JavaScript submit
        return redirect(url_for("tools.wage_calculator", slug=chosen))
    return render_template("tools/wages.html", calculators=CALCULATORS.values(),
                           calculator=None)


@bp.route("/wages/<slug>", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def wage_calculator(slug: str):
    calculator = CALCULATORS.get(slug) or abort(404)
    form = calculator.form()
    result = None
    if form.validate_on_submit():
        try:
            result = calculator.compute(form)
        except WageInputError as exc:
            show_wage_error(form, exc)
    return render_template(
        "tools/wages.html", calculators=CALCULATORS.values(), calculator=calculator, form=form,
        citations=cite(calculator.citations),
        headline=[(label, format_figure(figure)) for label, figure in
                  calculator.headline(result)] if result else None,
        steps=explain(result.steps) if result else None)
