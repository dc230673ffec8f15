"""The navigation bar's links: which a user sees and which is active.

Every page shows them, and rendered in the layout they were a third of a light page's
CPU (twenty permission checks, ``url_for`` calls and translations a request,
bench/README.md). What they depend on is small — the language, the links the user may
see, the active one, the application's root — so each combination is rendered once per
process (`links_html`) and reused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from lms.accounts.models import Role
from lms.i18n import current_language
from lms.permissions import (
    can_assign_courses,
    can_author_courses,
    can_author_questions,
    can_edit_exam_definitions,
    can_manage_certificates,
    can_manage_exams,
    can_manage_organisation,
    can_manage_users,
    can_mark_essays,
    can_view_audit_log,
    has_role,
)

#: rendered link lists kept per process; the combinations in use are a few dozen
CACHE_LIMIT = 512


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: object  # a lazy string: translated when rendered
    #: who sees it (None: everyone, signed in or not)
    shown: Callable[[object], bool] | None = None
    #: whether it is the current section, from the request's blueprint and endpoint
    active: Callable[[str | None, str | None], bool] = lambda _blueprint, _endpoint: False


def _signed_in(user) -> bool:
    return user.is_authenticated


def _in(blueprint: str) -> Callable[[str | None, str | None], bool]:
    return lambda current, _endpoint: current == blueprint


def _at(*endpoints: str) -> Callable[[str | None, str | None], bool]:
    return lambda _blueprint, current: current in endpoints


LINKS: tuple[Link, ...] = (
    Link("core.dashboard", _l("Dashboard"), _signed_in),
    Link("courses.catalogue", _l("Courses"), _signed_in),
    Link("exams.index", _l("Exams"), _signed_in, _in("exams")),
    Link("certificates.index", _l("My certificates"), _signed_in, _in("certificates")),
    Link("retraining.plan", _l("My training plan"), _signed_in, _at("retraining.plan")),
    Link("proctor.index", _l("Proctoring"),
         lambda u: has_role(u, Role.PROCTOR, Role.OFFICER, Role.ADMIN), _in("proctor")),
    Link("exam_admin.exams", _l("Exam setup"), can_edit_exam_definitions, _in("exam_admin")),
    Link("results.index", _l("Results"), can_manage_exams,
         lambda blueprint, endpoint: blueprint == "results" and endpoint != "results.mine"),
    Link("certificate_admin.index", _l("Certification"), can_manage_certificates,
         _in("certificate_admin")),
    Link("retraining_admin.index", _l("Retraining and appraisal"), can_manage_certificates,
         _in("retraining_admin")),
    Link("marking.queue", _l("Essay marking"), can_mark_essays, _in("marking")),
    Link("reports.index", _l("Reports"), can_edit_exam_definitions, _in("reports")),
    Link("assignments.index", _l("Assignments"), can_assign_courses),
    Link("author.courses", _l("Course authoring"), can_author_courses),
    Link("questions.banks", _l("Question banks"), can_author_questions, _in("questions")),
    Link("admin.users", _l("Users"),
         lambda u: can_manage_users(u) or has_role(u, Role.OFFICER)),
    Link("admin.organisations", _l("Organisations"), can_manage_organisation),
    Link("admin.api_tokens", _l("API tokens"), can_manage_organisation),
    Link("audit.index", _l("Audit log"), can_view_audit_log),
    Link("tools.wages", _l("Wage calculators"), None, _in("tools")),
    Link("verify.verify_form", _l("Verify a certificate"), None,
         _at("verify.verify_form", "verify.certificate")),
)


def visible_links(user, blueprint: str | None, endpoint: str | None
                  ) -> tuple[tuple[int, ...], int | None]:
    """The indexes of the links ``user`` sees and of the active one (or None)."""
    shown = tuple(i for i, link in enumerate(LINKS)
                  if link.shown is None or (user.is_authenticated and link.shown(user)))
    active = next((i for i in shown if LINKS[i].active(blueprint, endpoint)), None)
    return shown, active


def links_html() -> Markup:
    """The current user's links, rendered (``templates/_navigation.html``)."""
    shown, active = visible_links(current_user, request.blueprint, request.endpoint)
    key = (current_language(), request.script_root, shown, active)
    cache = current_app.extensions.setdefault("navigation", {})
    html = cache.get(key)
    if html is None:
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        html = cache[key] = Markup(render_template(  # noqa: S704 — a template's output
            "_navigation.html", links=[(LINKS[i], i == active) for i in shown]))
    return html
