"""API v1 read endpoints for integrations (/api/v1/…), and the OpenAPI document.

Authentication is a personal access token in ``Authorization: Bearer …`` and nothing
else: the views never look at the session cookie, so a browser's ambient credentials
give no access and the blueprint needs no CSRF token. Each token is rate-limited on
its own. Errors have one shape, ``{"error": code, "message": text}``: 401 for a
missing, unknown, expired or revoked token, 403 for a scope the token lacks, 404 for
anything outside the token's organisation scope (as for officers).
"""

from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _

from lms.api import openapi, services, tokens
from lms.domain.identity import search_text
from lms.extensions import csrf, db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def error(status: int, code: str, message: str):
    return jsonify(error=code, message=message), status


def _bearer() -> str | None:
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def rate_limit_key() -> str:
    """Per token (by the hash of what was sent, so no lookup is needed); a request
    without one counts against its address."""
    secret = _bearer()
    return "api-token:" + tokens.digest(secret) if secret else "api-addr:" + \
        (request.remote_addr or "")


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def requires(scope: str, *, params: tuple[str, ...] = ()):
    """View decorator: a live token carrying ``scope``; the principal goes to ``g``.
    A query parameter other than ``params`` is a 400, so that a typo (``per-page``)
    does not pass silently for the default."""

    def decorator(view):
        @wraps(view)
        @limiter.limit(_rate_limit, key_func=rate_limit_key)
        def wrapper(*args, **kwargs):
            secret = _bearer()
            now, today = tokens.now_and_today()
            token = tokens.authenticate(secret, now=now, today=today) if secret else None
            if token is None:
                response = error(401, "unauthorized",
                                 _("A valid API token is required (Authorization: Bearer)."))
                response[0].headers["WWW-Authenticate"] = 'Bearer realm="api"'
                return response
            db.session.commit()  # the last-use time, before the read
            g.api_principal = tokens.Principal.of(token)
            g.api_today = today
            if not g.api_principal.may(scope):
                # a client reaching beyond its grant: logged with the token's prefix only
                log.warning("api token %s (id %s) lacks %s for %s", token.prefix, token.id,
                            scope, request.path)
                return error(403, "forbidden",
                             _("This API token lacks the scope %(scope)s.", scope=scope))
            unknown = sorted(set(request.args) - set(params))
            if unknown:
                raise BadParameter(unknown[0])
            return view(*args, **kwargs)

        return wrapper

    return decorator


class BadParameter(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name[:40]  # echoed back: what the client sent, kept short


@bp.errorhandler(BadParameter)
def bad_parameter(exc: BadParameter):
    return error(400, "invalid_parameter",
                 _("The parameter %(name)s is not valid.", name=exc.name))


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(name)
    return int(raw)


def _paging() -> services.Paging:
    return services.Paging(page=_int_arg("page", 1, 1, 100_000),
                           per_page=_int_arg("per_page", 50, 1, services.MAX_PER_PAGE))


def _not_found(message: str):
    return error(404, "not_found", message)


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/certificates")
@requires("certificates:read", params=("status", "page", "per_page"))
def certificates():
    status = request.args.get("status")
    if status is not None and status not in services.CERTIFICATE_STATUSES:
        raise BadParameter("status")
    return jsonify(services.certificates_page(g.api_principal, _paging(), status=status))


@bp.get("/certificates/<serial>")
@requires("certificates:read")
def certificate(serial: str):
    found = services.certificate_in_scope(g.api_principal, serial)
    if found is None:
        return _not_found(_("No certificate with this serial."))
    return jsonify(services.certificate_json(found))


@bp.get("/register")
@requires("register:read", params=("q", "level", "page"))
def register_entries():
    return jsonify(services.register_page(search_text(request.args.get("q"), 50),
                                          search_text(request.args.get("level"), 32),
                                          _int_arg("page", 1, 1, 100_000)))


def _user_or_404(user_id: int):
    return services.user_in_scope(g.api_principal, user_id)


@bp.get("/users/<int:user_id>/results")
@requires("results:read", params=("page", "per_page"))
def results(user_id: int):
    user = _user_or_404(user_id)
    if user is None:
        return _not_found(_("No such user in this token's scope."))
    return jsonify(services.results_page(g.api_principal, user, _paging()))


@bp.get("/users/<int:user_id>/plan")
@requires("plans:read")
def plan(user_id: int):
    user = _user_or_404(user_id)
    if user is None:
        return _not_found(_("No such user in this token's scope."))
    return jsonify(services.plans_json(g.api_principal, user, g.api_today))
