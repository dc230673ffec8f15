"""UnionCadre Academy — 工会干部职业化学习与资格认证平台."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Request
from werkzeug.routing import IntegerConverter

from lms.config import (
    CONFIGS,
    Config,
    configure_sqlite,
    generate_fernet_key,
    generate_secret_key,
    load_secret,
    sqlite_url,
)

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(config: type | Mapping | None = None) -> Flask:
    """Build the application.

    :param config: a config class or mapping applied over the defaults; when
        absent, ``LMS_ENV`` picks development (default) or production.
    """
    instance_path = os.environ.get("LMS_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = IdConverter
    app.request_class = BoundedJSONRequest
    _load_config(app, config)
    _init_extensions(app)
    _register_blueprints(app)

    from lms import cli, errors, operations, security, templating

    operations.init_app(app)
    errors.register_error_handlers(app)
    templating.register_template_helpers(app)
    security.init_app(app)
    cli.init_app(app)
    _register_calculators()
    if not app.testing:
        _warn_about_missing_system_parts(app)
    return app


class IdConverter(IntegerConverter):
    """``<int:…>`` in every URL: ids are 32-bit INTEGER columns, so a larger number is
    simply not found (404) instead of overflowing the database (a 500 on
    PostgreSQL and SQLite alike; RELIABILITY.md B4)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class BoundedJSONRequest(Request):
    """A body nested too deep for the JSON parser (RecursionError, not ValueError)
    is malformed JSON like any other: ``None`` with ``silent``, else a 400 — for
    every JSON endpoint, not a 500 (RELIABILITY.md B1)."""

    def get_json(self, force=False, silent=False, cache=True):
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as exc:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError(str(exc)))


def _register_calculators() -> None:
    """Parametric questions find the wage calculators by name (idempotent)."""
    from lms.domain.parametric import DEFAULT_CALCULATORS
    from lms.domain.wages.calculators import register_wage_calculators

    register_wage_calculators(DEFAULT_CALCULATORS)


def _warn_about_missing_system_parts(app: Flask) -> None:
    """Say loudly at start-up what would make certificates slow or wrong."""
    from lms.checks import check_harfbuzz_subset

    with app.app_context():
        problem = check_harfbuzz_subset(app)
    if problem:
        log.error("%s", problem)


def _load_config(app: Flask, config: type | Mapping | None) -> None:
    if config is None:
        config = CONFIGS.get(os.environ.get("LMS_ENV", "development"), Config)
    if isinstance(config, Mapping):
        app.config.from_object(CONFIGS["development"])
        app.config.update(config)
    else:
        app.config.from_object(config)
    if not app.config.get("TESTING"):
        app.config.from_prefixed_env("LMS")
    if isinstance(app.config.get("LANGUAGES"), str):
        raise RuntimeError("LMS_LANGUAGES must be JSON")

    if not app.config.get("SECRET_KEY"):
        if app.config.get("ENV_NAME") == "production":
            raise RuntimeError("LMS_SECRET_KEY must be set explicitly in production")
        app.config["SECRET_KEY"] = load_secret(app.instance_path, "secret_key", generate_secret_key)
    if not app.config.get("ID_ENCRYPTION_KEY"):
        if app.config.get("ENV_NAME") == "production":
            raise RuntimeError("LMS_ID_ENCRYPTION_KEY must be set explicitly in production")
        app.config["ID_ENCRYPTION_KEY"] = load_secret(
            app.instance_path, "id_encryption_key", generate_fernet_key
        )
    _require_fernet_key(app.config["ID_ENCRYPTION_KEY"])
    url = app.config.get("DATABASE_URL") or sqlite_url(app.instance_path)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]


def _require_fernet_key(key: str) -> None:
    from cryptography.fernet import Fernet

    try:
        Fernet(key.encode())
    except ValueError:
        raise RuntimeError("LMS_ID_ENCRYPTION_KEY is not a valid Fernet key "
                           "(32 url-safe base64-encoded bytes)") from None


def _init_extensions(app: Flask) -> None:
    from lms import clock, tasks
    from lms.accounts import auth, name_search  # noqa: F401 — name_search keeps its index
    from lms.extensions import babel, bootstrap, csrf, db, limiter, migrate
    from lms.i18n import select_locale, select_timezone

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    bootstrap.init_app(app)
    limiter.init_app(app)
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks and not (
            app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION")):
        # Every limit here decorates its view, and the decorator checks it when the view
        # runs; the limiter's check before every request serves only default and
        # application-wide limits, which are not set, and cost 7 % of an autosave.
        checks.remove(limiter._check_request_limit)
    auth.init_app(app)
    tasks.init_app(app)
    app.before_request(clock.follow_database)


def _register_blueprints(app: Flask) -> None:
    from lms.accounts.views import bp as accounts_bp
    from lms.admin.views import bp as admin_bp
    from lms.api.views import bp as api_bp
    from lms.audit.views import bp as audit_bp
    from lms.certificates.admin_views import bp as certificate_admin_bp
    from lms.certificates.public_views import bp as verify_bp
    from lms.certificates.views import bp as certificates_bp
    from lms.core.views import bp as core_bp
    from lms.courses.assignment_views import bp as assignment_bp
    from lms.courses.author_views import bp as author_bp
    from lms.courses.views import bp as courses_bp
    from lms.exams.admin_views import bp as exam_admin_bp
    from lms.exams.proctor_views import bp as proctor_bp
    from lms.exams.views import bp as exams_bp
    from lms.grading.appeal_views import bp as appeals_bp
    from lms.grading.regrade_views import bp as regrade_bp
    from lms.grading.results_views import bp as results_bp
    from lms.grading.views import bp as marking_bp
    from lms.questions.views import bp as questions_bp
    from lms.reports.views import bp as reports_bp
    from lms.retraining.admin_views import bp as retraining_admin_bp
    from lms.retraining.appraisal_views import bp as appraisals_bp
    from lms.retraining.policy_views import bp as retraining_policies_bp
    from lms.retraining.views import bp as retraining_bp
    from lms.tools.views import bp as tools_bp

    blueprints = (core_bp, accounts_bp, admin_bp, audit_bp, courses_bp, assignment_bp,
                  author_bp, questions_bp, tools_bp, exams_bp, proctor_bp,
                  exam_admin_bp, marking_bp, results_bp, reports_bp, regrade_bp, appeals_bp,
                  certificates_bp, certificate_admin_bp, verify_bp, retraining_policies_bp,
                  retraining_bp, retraining_admin_bp, appraisals_bp, api_bp)
    for bp in blueprints:
        app.register_blueprint(bp)
