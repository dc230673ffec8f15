"""Public pages and addresses of certificates, for anyone (no login).

* ``/verify`` — enter a serial (rate-limited); ``/verify/<serial>`` — valid / expired /
  suspended / revoked, the masked holder name, qualification and level, issuer, dates,
  the holder's photo only if they opted in, and a check of a PDF's SHA-256 (upload the
  file or paste the hash). An unknown or malformed serial is one generic 404.
* ``/cadres`` — the opt-in public register of qualified cadres (人才库).
* ``/api/v1/credentials/<serial>``, ``/api/v1/status-lists/<id>``, ``/.well-known/did.json``
  — the signed credential, the signed status lists and the issuer's DID document.

Only allowlisted fields reach these pages (RELIABILITY C6): never an ID number, an
e-mail address or an organisation chart.
"""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from lms.accounts import personal_data
from lms.certificates import credentials, register
from lms.certificates.forms import HashCheckForm, VerifyForm
from lms.certificates.models import Certificate
from lms.domain import serials
from lms.domain.identity import search_text
from lms.extensions import db, limiter

bp = Blueprint("verify", __name__)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: looked up for a malformed serial: no serial has this form (it lacks the check group)
NO_SERIAL = "0000-0000-0000-0000-0000-0000-000"


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def find(serial: str) -> Certificate | None:
    """The certificate of ``serial`` or None. Malformed serials run the same lookup as
    well-formed ones, so the answer's timing says nothing about the check character."""
    key = serials.normalise(serial) or NO_SERIAL
    return db.session.scalar(sa.select(Certificate).where(Certificate.serial == key))


def _not_found(typed: str = ""):
    """The one answer for any serial that finds nothing, with what was typed kept in
    the form to correct it."""
    return render_template("certificates/verify_unknown.html",
                           form=VerifyForm(serial=search_text(typed, 40))), 404


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def verify_form():
    form = VerifyForm()
    if form.validate_on_submit():
        serial = serials.normalise(form.serial.data) or search_text(form.serial.data, 40)
        return redirect(url_for(".certificate", serial=serial or NO_SERIAL))
    return render_template("certificates/verify.html", form=form)


@bp.route("/verify/<serial>", methods=["GET", "POST"])
@limiter.limit(_verify_limit)
def certificate(serial: str):
    found = find(serial)
    if found is None:
        return _not_found(serial)
    form = HashCheckForm()
    hash_check = None
    if form.validate_on_submit():
        hash_check = _hash_matches(found, form)
    return render_template("certificates/verify_certificate.html",
                           view=credentials.public_view(found), form=form,
                           hash_check=hash_check)


def _hash_matches(found: Certificate, form: HashCheckForm) -> str:
    upload = form.pdf.data
    if upload:
        digest = hashlib.sha256(upload.read(20 * 1024 * 1024 + 1)).hexdigest()
    else:
        digest = (form.sha256.data or "").strip().lower()
        if not SHA256.match(digest):
            return "malformed"
    return "match" if digest == found.pdf_sha256 else "mismatch"


@bp.get("/verify/<serial>/photo")
@limiter.limit(_verify_limit)
def photo(serial: str):
    found = find(serial)
    if found is None or not found.photo_public or not found.holder.photo_file:
        abort(404)
    response = current_app.response_class(personal_data.read_photo(found.holder.photo_file),
                                          mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cadres")
def register_index():
    search = register.Search.from_args(request.args)
    page = register.search(search)
    return render_template("certificates/register.html", search=search, page=page,
                           levels=register.level_choices())


# -- machine-readable ---------------------------------------------------------------------


@bp.get("/api/v1/credentials/<serial>")
@limiter.limit(_verify_limit)
def credential_json(serial: str):
    found = find(serial)
    if found is None or found.credential is None:
        return jsonify(error="not_found", message=_("No certificate with this serial.")), 404
    return _ld_json(found.credential)


@bp.get("/api/v1/status-lists/<list_id>")
def status_list(list_id: str):
    document = credentials.status_list_document(list_id)
    if document is None:
        return jsonify(error="not_found", message=_("No such status list.")), 404
    response = _ld_json(document)
    response.headers["Cache-Control"] = "no-cache"  # a revocation shows at once
    return response


@bp.get("/.well-known/did.json")
def did_document():
    document = credentials.did_document()
    if document is None:
        abort(404)
    return _ld_json(document)


def _ld_json(document: dict):
    response = jsonify(document)
    response.mimetype = "application/ld+json"
    return response

