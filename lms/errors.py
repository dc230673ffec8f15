"""Domain exceptions and the HTTP error pages."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

from lms.operations.request_log import safe_path

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of the errors services raise."""


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class InvalidTransition(DomainError):
    pass


class ValidationFailed(DomainError):
    """A business rule rejected a field's value; ``reason`` is a message code."""

    def __init__(self, field: str, reason: str, **params):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.params = params


class NulCharacter(BadRequest):
    """A query or form value held a NUL character (see `lms.security`)."""


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


#: the stable ``error`` codes of the API's error bodies, by status
API_ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden",
                   404: "not_found", 405: "method_not_allowed", 413: "too_large",
                   429: "rate_limited", 500: "server_error", 503: "unavailable"}


def _error_page(status: int, message: str):
    if request.path.startswith("/api/"):
        # integrations read one documented shape (lms/api/openapi.py), whatever they accept
        return jsonify(error=API_ERROR_CODES.get(status, "error"), message=message), status
    if _wants_json():
        return jsonify(error=message, status=status), status
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You do not have permission to open this page."),
        404: lambda: _("The page you asked for does not exist."),
        405: lambda: _("This action is not allowed here."),
        409: lambda: _("This change conflicts with the current state. Reload and try again."),
        413: lambda: _("The uploaded file is too large."),
        429: lambda: _("Too many attempts. Please wait a moment and try again."),
        500: lambda: _("Something went wrong on our side. The error has been logged."),
        503: lambda: _("The service is temporarily unavailable."),
    }

    @app.errorhandler(NulCharacter)
    def nul_character(_exc):
        return _error_page(400, _("The request contains a NUL character, which no text "
                                  "may hold. Remove it and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = messages.get(exc.code, lambda: exc.description)()
        return _error_page(exc.code or 500, message)

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return _error_page(400, _("Your form has expired or was not sent from this site. "
                                  "Reload the page and try again."))

    @app.errorhandler(PermissionDenied)
    def permission_denied(_exc):
        return _error_page(403, messages[403]())

    @app.errorhandler(NotFound)
    def not_found(_exc):
        return _error_page(404, messages[404]())

    @app.errorhandler(InvalidTransition)
    def invalid_transition(_exc):
        return _error_page(409, messages[409]())

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, safe_path())
        return _error_page(500, messages[500]())
