"""Language and time-zone selection for Flask-Babel."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from flask import current_app, has_request_context, session
from flask_login import current_user


@lru_cache(maxsize=32)
def parsed_locale(code: str) -> Locale:
    """``Locale.parse``, once per code: it compares the code with every locale Babel
    knows (about a millisecond), and pages asked for it several times per request
    (bench/README.md)."""
    return Locale.parse(code)


def select_locale() -> Locale:
    """The user's saved language, else the one chosen this session, else zh_CN; parsed
    (Flask-Babel would otherwise parse the code afresh on every request)."""
    return parsed_locale(_selected_code())


def _selected_code() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background jobs: the platform default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def local_zone() -> ZoneInfo:
    """The platform's time zone (China): certificate dates and retraining days are its."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today(now: datetime | None = None) -> date:
    """Today's date in China (``now`` given: that moment's date there)."""
    from lms.clock import utcnow

    return (now or utcnow()).astimezone(local_zone()).date()


def current_language() -> str:
    """The configured code (``zh_CN`` or ``en``) of the language in use.

    Babel names zh_CN ``zh_Hans_CN``, so compare parsed locales, not strings.
    """
    from flask_babel import get_locale

    active = get_locale()
    for code in current_app.config["LANGUAGES"]:
        if parsed_locale(code) == active:
            return code
    return current_app.config["BABEL_DEFAULT_LOCALE"]
