"""Sessions: Flask-Login wiring, session renewal at login and server-side
invalidation at logout through the user's session generation."""

from __future__ import annotations

from flask import Flask, g, session
from flask.sessions import SecureCookieSessionInterface
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
    app.session_interface = SessionInterface()


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a view may ask not to re-sign an
    unchanged cookie (`keep_session_cookie`): the exam autosave runs every few seconds
    and need not renew the session that the exam page's status poll renews anyway."""

    def should_set_cookie(self, app, session) -> bool:
        if g.get("keep_session_cookie") and not session.modified:
            return False
        return super().should_set_cookie(app, session)


def keep_session_cookie() -> None:
    g.keep_session_cookie = True


def _identity(session_id: str) -> tuple[int, int] | None:
    """(user id, session generation) from the session's ``_user_id``."""
    user_id, _, generation = str(session_id).partition(".")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    return int(user_id), int(generation)


def session_identity() -> tuple[int, int] | None:
    """The (user id, generation) the request's session names, not yet checked: for hot
    script requests that check both inside their own query (as `load_user` does)
    instead of loading the user first."""
    return _identity(session.get("_user_id", ""))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Accept a session only if its generation is still the user's current one."""
    identity = _identity(session_id)
    if identity is None:
        return None
    user = db.session.get(User, identity[0])
    if user is None or not user.active or user.session_generation != identity[1]:
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
