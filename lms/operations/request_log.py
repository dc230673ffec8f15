"""One structured line per request (logger ``lms.requests``), and its request id.

The line is JSON: ``rid`` (the request id: a well-formed incoming ``X-Request-ID``,
as nginx sends it, or a new one; echoed in the response header), ``method``,
``path``, ``endpoint``, ``status``, ``ms`` and ``user`` (the user's id, never the
e-mail). Nothing from the query string or the body is logged, and the path's secret
parts (a calendar feed's or a reset link's token, a certificate serial) are
replaced by ``[redacted]``: no passwords, ID numbers, tokens or access codes reach
the log (RELIABILITY.md P4). JSON escapes control characters, so a value cannot
start a forged line (A29).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

log = logging.getLogger("lms.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: URL parts that are keys (who holds one can read or act): never logged
SECRET_URL_ARGS = frozenset({"token", "serial"})
REDACTED = "[redacted]"


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def request_id() -> str:
    """This request's id ("-" outside a request, or before `_start` ran)."""
    return g.get("request_id", "-") if has_request_context() else "-"


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _WELL_FORMED_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    # a request refused before `_start` (another before_request raised) still gets an id
    rid = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = rid
    started = g.get("request_started")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    if not log.isEnabledFor(logging.INFO):  # no handler wants it: skip building the line
        return response
    log.info("%s", json.dumps({
        "rid": rid, "method": request.method, "path": safe_path(),
        "endpoint": request.endpoint, "status": response.status_code,
        "ms": round(elapsed * 1000, 1), "user": _user_id(),
    }, separators=(",", ":")))
    return response


def safe_path() -> str:
    """The request's path without its query string and with secret parts redacted."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_URL_ARGS and str(value):
            path = path.replace(str(value), REDACTED)
    return path


def _user_id() -> int | None:
    """The logged-in user's id, if this request already loaded the user (the log line
    must not cost a query of its own)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record, so any line can be tied to its request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True
