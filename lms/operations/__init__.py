"""Running the installation: backing up and restoring it (database and instance files),
and in production the reverse proxy's headers, one structured log line per request and
Prometheus metrics (README "Production", "Backup and restore")."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.operations import metrics, proxy, request_log

    proxy.init_app(app)
    request_log.init_app(app)
    metrics.init_app(app)
