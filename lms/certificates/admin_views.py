"""The certification officers' pages (/certificate-admin).

* ``/`` — certificates of the qualifications in the officer's scope (search, status
  filter, paginated) and the ledger's head hash to keep outside the database;
* ``/<serial>`` — one certificate: holder, evidence, status, its ledger events, and the
  forms to suspend / reinstate / revoke (a reason is required);
* ``/requests`` — the approval queue: issues waiting for an officer (or a second one)
  and revocations waiting for a second officer;
* ``/qualifications`` … — qualifications and their levels.

Every object a URL names is checked against the officer's scope (404 outside it).
Thin views over `lms.certificates`; they commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from lms.accounts.models import Organisation, Role, User
from lms.accounts.name_search import name_contains
from lms.certificates import issuance, ledger, qualifications, status
from lms.certificates.forms import LevelForm, QualificationForm, ReasonForm, StatusForm
from lms.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateStatus,
    LedgerEvent,
    Qualification,
    QualificationLevel,
    RequestKind,
)
from lms.domain import serials
from lms.domain.identity import search_text
from lms.errors import ValidationFailed
from lms.exams.models import Exam
from lms.extensions import db
from lms.permissions import (
    CERTIFICATE_OFFICERS,
    can_manage_certificates,
    can_manage_exam,
    can_manage_qualification,
    exams_in_scope_filter,
    organisations_in_scope_filter,
    qualifications_in_scope_filter,
    require,
)

bp = Blueprint("certificate_admin", __name__, url_prefix="/certificate-admin")
PAGE_SIZE = 50

MESSAGES = {
    ("reason", "required"): _l("Give the reason: the holder reads it."),
    ("status", "not_allowed"): _l("This certificate's status does not allow that."),
    ("status", "changed"): _l("The certificate was changed meanwhile by someone else; "
                              "see its current status."),
    ("request", "decided"): _l("This request was decided meanwhile by someone else."),
    ("request", "same_officer"): _l("Four eyes: a second officer must confirm this."),
    ("request", "pending"): _l("A revocation of this certificate already waits for "
                               "confirmation."),
    ("code", "taken"): _l("This code is already used."),
    ("seal", "unknown"): _l("Choose one of the seal images."),
    ("exam_id", "unknown"): _l("Choose an exam you manage."),
    ("max_percent", "not_above_min"): _l("The upper bound must be above the lowest score."),
    ("required_courses", "unknown"): _l("Unknown course codes: %(codes)s"),
}


def _message(exc: ValidationFailed) -> str:
    return str(MESSAGES.get((exc.field, exc.reason), _l("This value is not valid."))) % {
        "codes": exc.params.get("codes", "")}


@bp.before_request
@login_required
def _officers_only():
    require(can_manage_certificates(current_user))


def _certificate_or_404(serial: str) -> Certificate:
    normalised = serials.normalise(serial)
    certificate = normalised and db.session.scalar(
        sa.select(Certificate).where(Certificate.serial == normalised)
        .options(joinedload(Certificate.holder).joinedload(User.organisation),
                 joinedload(Certificate.level),
                 joinedload(Certificate.qualification).joinedload(Qualification.organisation)))
    if not certificate or not can_manage_qualification(current_user, certificate.qualification):
        abort(404)
    return certificate


def _qualification_or_404(qualification_id: int) -> Qualification:
    qualification = db.session.get(Qualification, qualification_id)
    if qualification is None or not can_manage_qualification(current_user, qualification):
        abort(404)
    return qualification


# -- certificates ---------------------------------------------------------------------------


@bp.get("/")
def index():
    wanted = request.args.get("status", "")
    search = search_text(request.args.get("q"), 60)
    page = max(request.args.get("page", 1, type=int), 1)
    # Newest first by walking ix_certificates_issued and stopping at a page: the scope is
    # an IN list on the certificate (``+ 0`` keeps SQLite, which has no statistics, from
    # starting at the qualification's index and sorting all of its certificates: 270 ms
    # instead of 2 ms at 50,000 certificates, bench/data_scale.py).
    in_scope = sa.select(Qualification.id).where(qualifications_in_scope_filter(current_user))
    query = sa.select(Certificate).where((Certificate.qualification_id + 0).in_(in_scope))
    if wanted in CertificateStatus.__members__.values():
        query = query.where(Certificate.status == wanted)
    if search:
        serial = serials.normalise(search)
        query = query.where(Certificate.serial == serial if serial
                            else name_contains(search, Certificate.holder_id))
    rows = db.session.scalars(
        query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
        # loaded apart: joined into this query, they kept PostgreSQL from starting at the
        # few holders a name search finds (130 ms against 2 at 50,000 certificates)
        .options(selectinload(Certificate.holder).joinedload(User.organisation),
                 selectinload(Certificate.level), selectinload(Certificate.qualification))
    ).all()
    waiting = db.session.scalar(
        sa.select(sa.func.count(CertificateRequest.id))
        .join(Qualification, Qualification.id == CertificateRequest.qualification_id)
        .where(CertificateRequest.status == "pending",
               qualifications_in_scope_filter(current_user)))
    return render_template("certificate_admin/index.html", rows=rows[:PAGE_SIZE],
                           more=len(rows) > PAGE_SIZE, page=page, status=wanted, q=search,
                           waiting=waiting, head=ledger.head(), statuses=list(CertificateStatus))


@bp.get("/<serial>")
def detail(serial: str):
    certificate = _certificate_or_404(serial)
    events = db.session.scalars(sa.select(LedgerEvent)
                                .where(LedgerEvent.certificate_id == certificate.id)
                                .order_by(LedgerEvent.seq)).all()
    return render_template("certificate_admin/detail.html", certificate=certificate,
                           events=events, form=StatusForm(revision=certificate.revision),
                           pending=status.pending_revocation(certificate))


@bp.post("/<serial>/<any(suspend, reinstate, revoke):action>")
def change(serial: str, action: str):
    certificate = _certificate_or_404(serial)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        filed = status.change(certificate, action, current_user, form.reason.data,
                              seen_revision=form.revision.data)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_message(exc), "danger")
        return redirect(url_for(".detail", serial=certificate.serial))
    db.session.commit()
    if filed is not None:
        flash(_("Revocation requested: a second officer must confirm it."), "info")
    else:
        flash({"suspend": _("Certificate suspended."), "reinstate": _("Certificate reinstated."),
               "revoke": _("Certificate revoked.")}[action], "success")
    return redirect(url_for(".detail", serial=certificate.serial))


# -- the approval queue ---------------------------------------------------------------------


@bp.get("/requests")
def requests():
    rows = issuance.pending_requests(qualifications_in_scope_filter(current_user))
    return render_template("certificate_admin/requests.html", rows=rows, form=ReasonForm())


def _request_or_404(request_id: int) -> CertificateRequest:
    found = db.session.get(CertificateRequest, request_id)
    if found is None or not can_manage_qualification(current_user, found.qualification):
        abort(404)
    return found


@bp.post("/requests/<int:request_id>/<any(approve, reject):decision>")
def decide(request_id: int, decision: str):
    found = _request_or_404(request_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if decision == "reject":
            issuance.reject(found, current_user, form.reason.data)
            message = _("Request rejected.")
        elif found.kind == RequestKind.REVOKE:
            status.confirm_revocation(found, current_user)
            message = _("Revocation confirmed: the certificate is revoked.")
        elif found.kind == RequestKind.SUSPEND:
            status.confirm_suspension(found, current_user)
            message = _("Suspension confirmed: the certificate is suspended.")
        else:
            issued = issuance.approve(found, current_user)
            message = (_("Approved: certificate %(serial)s issued.", serial=issued.serial)
                       if issued else _("First approval recorded: a second officer must "
                                        "confirm it."))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_message(exc), "danger")
        return redirect(url_for(".requests"))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".requests"))


# -- qualifications -------------------------------------------------------------------------


@bp.get("/qualifications")
def qualifications_index():
    rows = db.session.scalars(
        sa.select(Qualification).where(qualifications_in_scope_filter(current_user))
        .order_by(Qualification.title)
        .options(joinedload(Qualification.organisation),
                 joinedload(Qualification.levels))).unique().all()
    return render_template("certificate_admin/qualifications.html", rows=rows)


def _organisation_choices() -> list[SelectChoice]:
    return [SelectChoice(o.id, o.name) for o in db.session.scalars(
        sa.select(Organisation)
        .where(organisations_in_scope_filter(current_user, *CERTIFICATE_OFFICERS))
        .order_by(Organisation.path))]


@bp.route("/qualifications/new", methods=["GET", "POST"], endpoint="new_qualification")
@bp.route("/qualifications/<int:qualification_id>", methods=["GET", "POST"])
def qualification(qualification_id: int | None = None):
    found = _qualification_or_404(qualification_id) if qualification_id else None
    form = QualificationForm(obj=found)
    form.organisation_id.choices = _organisation_choices()
    form.seal.choices = [SelectChoice("", _("The default seal"))] + [
        SelectChoice(name, name) for name in qualifications.seal_images()]
    if form.validate_on_submit():
        try:
            saved = qualifications.save_qualification(found, form.data, current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(_message(exc))
        else:
            db.session.commit()
            flash(_("Qualification saved."), "success")
            return redirect(url_for(".qualification", qualification_id=saved.id))
    exam_ids = [lv.exam_id for lv in found.levels if lv.exam_id] if found else []
    titles = {row.id: row.title for row in db.session.execute(
        sa.select(Exam.id, Exam.title).where(Exam.id.in_(exam_ids)))} if exam_ids else {}
    return render_template("certificate_admin/qualification.html", qualification=found,
                           form=form, exam_titles=titles)


@bp.route("/qualifications/<int:qualification_id>/levels/new", methods=["GET", "POST"],
          endpoint="new_level")
@bp.route("/qualifications/<int:qualification_id>/levels/<int:level_id>",
          methods=["GET", "POST"])
def level(qualification_id: int, level_id: int | None = None):
    found = _qualification_or_404(qualification_id)
    existing = None
    if level_id is not None:
        existing = db.session.get(QualificationLevel, level_id)
        if existing is None or existing.qualification_id != found.id:
            abort(404)
    form = LevelForm(obj=existing)
    if request.method == "GET" and existing is not None:
        form.required_courses.data = ", ".join(existing.required_courses or [])
    form.exam_id.choices = [SelectChoice(e.id, e.title) for e in db.session.scalars(
        sa.select(Exam).where(exams_in_scope_filter(current_user, Role.OFFICER, Role.ADMIN))
        .order_by(Exam.title))]
    if form.validate_on_submit():
        try:
            qualifications.save_level(found, existing, form.data, current_user,
                                      can_use_exam=lambda exam: can_manage_exam(current_user,
                                                                                exam))
        except ValidationFailed as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(_message(exc))
        else:
            db.session.commit()
            flash(_("Level saved."), "success")
            return redirect(url_for(".qualification", qualification_id=found.id))
    return render_template("certificate_admin/level.html", qualification=found,
                           level=existing, form=form)


@bp.post("/qualifications/<int:qualification_id>/issue")
def issue_now(qualification_id: int):
    """Look at every released result of the qualification's exams again (after a level
    was added or changed); what they earn is issued or queued."""
    found = _qualification_or_404(qualification_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    report = issuance.issue_for_exams([lv.exam_id for lv in found.levels if lv.exam_id])
    db.session.commit()
    flash(_("%(issued)s certificates issued, %(queued)s waiting for approval.",
            issued=len(report.issued), queued=len(report.queued)), "success")
    return redirect(url_for(".qualification", qualification_id=found.id))

