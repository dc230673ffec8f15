from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required

from lms.core.dashboard import build_dashboard
from lms.courses import storage
from lms.extensions import db

bp = Blueprint("core", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    return render_template("core/index.html")


@bp.get("/dashboard")
@login_required
def dashboard():
    board = build_dashboard(current_user._get_current_object())
    return render_template("core/dashboard.html", board=board, today=date.today())


@bp.post("/language")
def set_language():
    """Switch the interface language; saved on the account when logged in."""
    code = request.form.get("locale", "")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.index")
    return redirect(target)


@bp.get("/media/<sha256>")
@login_required
def media(sha256: str):
    """An image by its content hash (question images imported from Moodle XML).

    Images only: other stored files (lesson PDFs, videos) keep their own,
    enrolment-checked routes.
    """
    try:
        kind = storage.sniff_stored(sha256)
    except (ValueError, FileNotFoundError):
        abort(404)
    if not kind.content_type.startswith("image/"):
        abort(404)
    response = send_file(storage.path_for(sha256), mimetype=kind.content_type, max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return response


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return jsonify(status="error", db="error"), 503
    return jsonify(status="ok", db="ok")
