"""Jinja filters and globals: dates the Chinese way, permission predicates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup

from lms.core.navigation import links_html
from lms.domain.identity import mask_name
from lms.domain.markdown import render_markdown
from lms.domain.presentation import choice_inputs_html, stem_html
from lms.i18n import current_language
from lms.permissions import TEMPLATE_GLOBALS


def format_dt(value: datetime | date | None, kind: str = "datetime") -> str:
    """2026年11月23日 14:05 in Chinese, Nov 23, 2026, 2:05 PM in English."""
    if value is None:
        return ""
    chinese = str(get_locale()).startswith("zh")
    if kind == "date" or not isinstance(value, datetime):
        return format_date(value, "yyyy年M月d日" if chinese else "medium")
    return format_datetime(value, "yyyy年M月d日 HH:mm" if chinese else "medium")


def format_hours(value) -> str:
    """Credit hours without trailing zeros: 4.50 → 4.5, 12.00 → 12."""
    if value is None:
        return ""
    text = f"{Decimal(str(value)).normalize():f}"
    return text


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["dt"] = format_dt
    app.jinja_env.filters["mask_name"] = mask_name
    app.jinja_env.filters["hours"] = format_hours
    # authored Markdown, rendered with raw HTML off and sanitised by nh3
    app.jinja_env.filters["markdown"] = lambda text: Markup(render_markdown(text or ""))  # noqa: S704
    app.jinja_env.filters["item_stem"] = lambda view: Markup(stem_html(view))  # noqa: S704
    app.jinja_env.filters["choice_inputs"] = lambda view, name: Markup(  # noqa: S704
        choice_inputs_html(view, name))  # every text escaped in the domain function
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    app.jinja_env.globals["languages"] = lambda: app.config["LANGUAGES"]
    app.jinja_env.globals["current_locale"] = current_language
    app.jinja_env.globals["navigation_links"] = links_html
