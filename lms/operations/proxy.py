"""Trust ``X-Forwarded-For`` / ``X-Forwarded-Proto`` only when told to.

Rate limits and the metrics' loopback check key on the client address: trusting the
header without a proxy in front would let anyone pick their own address, so it is
off unless ``LMS_PROXY_FIX`` names how many proxies (nginx: 1) stand in front.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
