"""Sessions: Flask-Login wiring, session renewal at login and server-side
invalidation at logout through the user's session generation."""

from __future__ import annotations

from flask import Flask, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from lms.accounts.models import User
from lms.extensions import db, login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Accept a session only if its generation is still the user's current one."""
    user_id, _, generation = session_id.partition(".")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def start_session(user: User, *, remember: bool = False) -> None:
    """Log in with a fresh session: nothing from before login survives (no fixation)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session.permanent = True
    login_user(user, remember=remember)


def end_session(user: User) -> None:
    """Log out here and everywhere: bumping the generation kills other copies of the cookie."""
    user.session_generation += 1
    logout_user()
    session.clear()
