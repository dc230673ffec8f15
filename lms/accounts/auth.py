"""Sessions: Flask-Login wiring, session renewal at login and server-side
invalidation at logout through the user's session generation."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from itsdangerous import SignatureExpired, TimestampSigner
from sqlalchemy import orm

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

    def get_signing_serializer(self, app):
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            serializer.signer = SkewTolerantSigner
        return serializer


#: how far another app server's clock may run ahead of this one's (RELIABILITY.md F14)
CLOCK_SKEW_TOLERANCE = 60


class SkewTolerantSigner(TimestampSigner):
    """A session cookie signed by an app server whose clock runs a little ahead looks
    as if it came from the future; itsdangerous refuses any such cookie, which logged a
    candidate out whenever the next request reached a server a second behind. Accept
    it when it is at most `CLOCK_SKEW_TOLERANCE` seconds early (only a server holding
    the secret key can sign one); the maximum age is checked as before."""

    def unsign(self, signed_value, max_age=None, return_timestamp=False):
        value, signed_at = super().unsign(signed_value, return_timestamp=True)
        if max_age is not None:
            age = time.time() - signed_at.timestamp()
            if age > max_age or age < -CLOCK_SKEW_TOLERANCE:
                raise SignatureExpired(f"Signature age {age:.0f} s is outside 0..{max_age} s",
                                       payload=value, date_signed=signed_at)
        return (value, signed_at) if return_timestamp else value


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
    # With its roles and unread messages: every page's navigation shows them, and each
    # query more costs a light page about a tenth of its time (bench/README.md).
    from lms.retraining.inbox import unread_count_of

    row = db.session.execute(
        sa.select(User, unread_count_of(User.id)).where(User.id == identity[0])
        .options(orm.joinedload(User.role_assignments))).unique().first()
    if row is None:
        return None
    user, g.inbox_unread = row
    if not user.active or user.session_generation != identity[1]:
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
