"""The retraining officers' pages (/retraining-admin).

* ``/`` — the dashboard: upcoming expirations, overdue / in-grace / suspended holders,
  compliance by organisation, the hours distribution; bulk reminders (POST
  ``/reminders``) and the holders list as XLSX (``/holders.xlsx``);
* ``/appraisals`` — holders of the officer's organisation subtree and their latest
  annual appraisal;
* ``/appraisals/<user_id>`` — one holder's appraisals, the form to record (or correct)
  a year, and evidence uploads.

Every holder a URL names is checked with `can_appraise` (404 outside the officer's
scope). Thin views over `lms.retraining`; they commit.
"""

from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from lms.accounts.models import Organisation, User
from lms.accounts.name_search import name_contains
from lms.certificates.models import Certificate
from lms.domain.charts import histogram_svg
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.i18n import local_today
from lms.permissions import (
    CERTIFICATE_OFFICERS,
    can_appraise,
    can_manage_certificates,
    organisations_in_scope_filter,
    require,
)
from lms.reports import exports
from lms.retraining import appraisals, dashboard
from lms.retraining.appraisal_forms import OUTCOME_LABELS, PART_LABELS, AppraisalForm, EvidenceForm
from lms.retraining.models import Appraisal

bp = Blueprint("retraining_admin", __name__, url_prefix="/retraining-admin")
PAGE_SIZE = 50

MESSAGES = {
    ("year", "range"): _l("Choose a year that has begun."),
    ("year", "taken"): _l("This year's appraisal was recorded meanwhile by someone else."),
    ("outcome", "unknown"): _l("Choose one of the outcomes."),
    ("file", "file_type"): _l("Evidence must be a PDF, JPEG or PNG file."),
    ("file", "file_too_large"): _l("The file is larger than %(max_mb)s MB."),
}


def _message(exc: ValidationFailed) -> str:
    return str(MESSAGES.get((exc.field, exc.reason), _l("This value is not valid."))) % {
        "max_mb": exc.params.get("max_mb", "")}


@bp.before_request
@login_required
def _officers_only():
    require(can_manage_certificates(current_user))


def _holder_or_404(user_id: int) -> User:
    holder = db.session.get(User, user_id)
    if holder is None or not can_appraise(current_user, holder):
        abort(404)
    return holder


# -- dashboard -----------------------------------------------------------------------------


@bp.get("/")
def index():
    today = local_today()
    children = dashboard.scope_children(current_user)
    bins = dashboard.hours_distribution(current_user)
    return render_template(
        "retraining_admin/dashboard.html", today=today,
        counts=dashboard.standing_counts(current_user),
        upcoming=dashboard.upcoming_expirations(current_user, today),
        attention=dashboard.needing_attention(current_user),
        compliance=dashboard.compliance_by_organisation(current_user, children),
        histogram=_histogram(bins), bins=bins, labels=dashboard.STANDING_LABELS,
        limit=dashboard.LIST_LIMIT, days=dashboard.UPCOMING_DAYS, form=FlaskForm())


def _histogram(bins) -> Markup:
    titles = [_("%(low)s–%(high)s %%: %(n)s", low=low, high=high, n=n)
              for low, high, n in bins[:-1]]
    titles.append(_("Requirement met: %(n)s", n=bins[-1][2]))
    return Markup(histogram_svg(  # noqa: S704 - the chart escapes every text it draws
        bins, title=_("Hours of the current cycle"), bar_titles=titles,
        x_label=_("Hours earned, in per cent of those required (last bar: met)"),
        y_label=_("Certificates"), id_prefix="hours",
        description=_("How many certificates have earned each quarter of the hours "
                      "their current cycle requires.")))


@bp.post("/reminders")
def reminders():
    if not FlaskForm().validate_on_submit():
        abort(400)
    sent = dashboard.send_reminders(current_user)
    db.session.commit()
    flash(_("Reminders sent to %(n)s holders.", n=sent), "success")
    return redirect(url_for(".index"))


@bp.get("/holders.xlsx")
def export_holders():
    data = exports.xlsx_bytes([dashboard.export_sheet(current_user)])
    return send_file(BytesIO(data), mimetype=exports.XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"retraining-{local_today().isoformat()}.xlsx", max_age=0)


# -- appraisals -----------------------------------------------------------------------------


@bp.get("/appraisals")
def appraisal_holders():
    """Holders (anyone with a certificate) of the officer's organisation subtree."""
    search = request.args.get("q", "").strip()[:60]
    page = max(request.args.get("page", 1, type=int), 1)
    query = (sa.select(User).join(Organisation, Organisation.id == User.organisation_id)
             .where(organisations_in_scope_filter(current_user, *CERTIFICATE_OFFICERS),
                    User.id != current_user.id,
                    sa.exists().where(Certificate.holder_id == User.id)))
    if search:
        query = query.where(name_contains(search))
    rows = db.session.scalars(query.order_by(Organisation.path, User.real_name, User.id)
                              .options(joinedload(User.organisation))
                              .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    latest = _latest_appraisals([u.id for u in rows[:PAGE_SIZE]])
    return render_template("retraining_admin/appraisal_holders.html", rows=rows[:PAGE_SIZE],
                           latest=latest, more=len(rows) > PAGE_SIZE, page=page, q=search,
                           outcomes=OUTCOME_LABELS)


def _latest_appraisals(user_ids: list[int]) -> dict[int, Appraisal]:
    if not user_ids:
        return {}
    newest = (sa.select(Appraisal.user_id, sa.func.max(Appraisal.year).label("year"))
              .where(Appraisal.user_id.in_(user_ids)).group_by(Appraisal.user_id).subquery())
    return {a.user_id: a for a in db.session.scalars(
        sa.select(Appraisal).join(newest, sa.and_(newest.c.user_id == Appraisal.user_id,
                                                  newest.c.year == Appraisal.year)))}


@bp.route("/appraisals/<int:user_id>", methods=["GET", "POST"])
def appraisal(user_id: int):
    holder = _holder_or_404(user_id)
    today = local_today()
    year = request.args.get("year", today.year - 1, type=int)
    found = appraisals.appraisal_of(holder, year)
    form = AppraisalForm(obj=found, year=year)
    if found is not None and request.method == "GET":
        form.outcome.data = found.outcome.value
    if form.validate_on_submit():
        data = appraisals.AppraisalInput(**{k: v for k, v in form.data.items()
                                            if k != "csrf_token"})
        try:
            saved, filed = appraisals.record(holder, data, current_user, today=today)
        except ValidationFailed as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(_message(exc))
        else:
            db.session.commit()
            flash(_("Appraisal saved."), "success")
            if filed:
                flash(_("Two consecutive years appraised incompetent: %(n)s suspension "
                        "reviews wait in the approval queue.", n=len(filed)), "warning")
            return redirect(url_for(".appraisal", user_id=holder.id, year=saved.year))
    return render_template("retraining_admin/appraisal.html", holder=holder, form=form,
                           found=found, history=appraisals.appraisals_of(holder),
                           evidence_form=EvidenceForm(), outcomes=OUTCOME_LABELS,
                           parts=PART_LABELS)


@bp.post("/appraisals/<int:user_id>/<int:year>/evidence")
def add_evidence(user_id: int, year: int):
    holder = _holder_or_404(user_id)
    found = appraisals.appraisal_of(holder, year)
    if found is None:
        abort(404)
    form = EvidenceForm()
    if not form.validate_on_submit():
        flash(_("Choose a file."), "danger")
        return redirect(url_for(".appraisal", user_id=holder.id, year=year))
    upload = form.file.data
    try:
        appraisals.attach(found, upload.filename, upload.read(
            appraisals.EVIDENCE_MAX_BYTES + 1), current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_message(exc), "danger")
    else:
        db.session.commit()
        flash(_("Evidence added."), "success")
    return redirect(url_for(".appraisal", user_id=holder.id, year=year))
