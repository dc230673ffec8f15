"""The holder's pages (/certificates): my certificates, the PDF and the credential
JSON to download, the share link, the photo opt-in for the verification page, and my
entry in the public register. A certificate's files are served to its holder and to
the officers of its qualification; to anyone else a serial here is a 404."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from lms.audit import services as audit
from lms.certificates import artefacts, credentials, register
from lms.certificates.forms import ReasonForm, RegisterForm
from lms.certificates.models import Certificate, Qualification, RegisterEntry
from lms.domain import serials
from lms.extensions import db
from lms.permissions import can_manage_qualification

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


@bp.before_request
@login_required
def _signed_in():
    return None


def _mine_or_managed(serial: str) -> Certificate:
    normalised = serials.normalise(serial)
    certificate = normalised and db.session.scalar(
        sa.select(Certificate).where(Certificate.serial == normalised)
        .options(joinedload(Certificate.qualification).joinedload(Qualification.organisation),
                 joinedload(Certificate.level)))
    if not certificate or not (certificate.holder_id == current_user.id or
                               can_manage_qualification(current_user,
                                                        certificate.qualification)):
        abort(404)
    return certificate


@bp.get("/")
def index():
    entry = db.session.get(RegisterEntry, current_user.id)
    return _page(RegisterForm(obj=entry, listed=entry is not None))


def _page(form: RegisterForm, status: int = 200):
    rows = db.session.scalars(
        sa.select(Certificate).where(Certificate.holder_id == current_user.id)
        .order_by(Certificate.issued_at.desc())
        .options(joinedload(Certificate.qualification).joinedload(Qualification.organisation),
                 joinedload(Certificate.level))).all()
    return render_template("certificates/mine.html", rows=rows, form=form, toggle=ReasonForm(),
                           verdicts={c.id: credentials.verdict(c) for c in rows},
                           share={c.id: artefacts.verify_url(c.serial) for c in rows}), status


@bp.get("/<serial>.pdf")
def pdf(serial: str):
    certificate = _mine_or_managed(serial)
    data = artefacts.read_pdf(certificate)
    if data is None:
        abort(404)
    return current_app.response_class(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{certificate.serial}.pdf"',
        "Cache-Control": "private, no-store"})


@bp.get("/<serial>.json")
def credential(serial: str):
    certificate = _mine_or_managed(serial)
    if certificate.credential is None:
        abort(404)
    body = json.dumps(certificate.credential, ensure_ascii=False, indent=2)
    return current_app.response_class(body, mimetype="application/ld+json", headers={
        "Content-Disposition": f'attachment; filename="credential-{certificate.serial}.json"'})


@bp.post("/<serial>/photo")
def photo(serial: str):
    """The holder shows or hides their photo on the public verification page."""
    certificate = _mine_or_managed(serial)
    if certificate.holder_id != current_user.id or not ReasonForm().validate_on_submit():
        abort(404)
    certificate.photo_public = not certificate.photo_public
    audit.record("certificate.photo_public", actor=current_user, obj=certificate,
                 after={"photo_public": certificate.photo_public})
    db.session.commit()
    flash(_("Your photo is shown on the verification page.") if certificate.photo_public
          else _("Your photo is no longer shown on the verification page."), "success")
    return redirect(url_for(".index"))


@bp.post("/register")
def register_entry():
    form = RegisterForm()
    if not form.validate_on_submit():  # shown again with what was typed and the reasons
        return _page(form, 400)
    entry = register.save_entry(current_user, listed=form.listed.data,
                                region=form.region.data or "",
                                specialities=form.specialities.data or "",
                                profile=form.profile.data or "",
                                show_full_name=form.show_full_name.data)
    audit.record("register.entry_saved" if entry else "register.entry_removed",
                 actor=current_user, object_type="register_entries", object_id=current_user.id)
    db.session.commit()
    flash(_("You are listed in the public register.") if entry
          else _("You are not listed in the public register."), "success")
    return redirect(url_for(".index"))
