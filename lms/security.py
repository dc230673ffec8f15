"""Response headers every page gets (OWASP ASVS 3.4), and request text the database
could not store refused up front."""

from __future__ import annotations

from flask import Flask, request

from lms.errors import NulCharacter


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL refuses a NUL in any text: a search or form field holding one would
        be a 500 wherever it reaches a query. One clear 400 for every page instead."""
        for values in (request.args, request.form):
            if any("\x00" in value for _key, value in values.items(multi=True)):
                raise NulCharacter()

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint and not request.endpoint.endswith("static") \
                and "Cache-Control" not in headers and response.mimetype == "text/html":
            headers["Cache-Control"] = "no-store"
        return response
