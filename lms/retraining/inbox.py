"""The in-app inbox: what the platform tells a user (retraining reminders, officers'
bulk reminders, decisions). Callers add messages inside their own transaction and
commit once; the holder reads them at /inbox."""

from __future__ import annotations

import sqlalchemy as sa

from lms.clock import utcnow
from lms.extensions import db
from lms.retraining.models import InboxMessage

#: the newest messages the inbox page lists
PAGE_SIZE = 100


def post(user_id: int, kind: str, subject: str, body: str = "", link: str = ""
         ) -> InboxMessage:
    """Add one message to ``user_id``'s inbox (the caller commits).

    :param kind: what sent it, e.g. ``retraining.reminder``, ``retraining.bulk``.
    :param link: a path inside the platform (``/plan/``) the message leads to, or "".
    """
    message = InboxMessage(user_id=user_id, kind=kind[:40], subject=subject[:200],
                           body=body, link=link if is_local_link(link) else "")
    db.session.add(message)
    return message


def is_local_link(link: str) -> bool:
    """Only paths on this site: opening a message must never lead elsewhere."""
    return link.startswith("/") and not link.startswith(("//", "/\\"))


def messages_for(user_id: int, limit: int = PAGE_SIZE) -> list[InboxMessage]:
    """The user's messages, newest first."""
    return list(db.session.scalars(
        sa.select(InboxMessage).where(InboxMessage.user_id == user_id)
        .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(limit)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(unread_count_of(user_id))) or 0


def unread_count_of(user_id) -> sa.ScalarSelect:
    """The unread count of ``user_id`` (a value or a column) as a scalar subquery: every
    page's navigation shows it, so `load_user` reads it with the user."""
    return (sa.select(sa.func.count()).select_from(InboxMessage)
            .where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
            .scalar_subquery())


def mark_read(user_id: int, message_id: int) -> InboxMessage | None:
    """Mark one of the user's messages read; None when it is not theirs."""
    message = db.session.get(InboxMessage, message_id)
    if message is None or message.user_id != user_id:
        return None
    if message.read_at is None:
        message.read_at = utcnow()
    return message


def mark_all_read(user_id: int) -> int:
    """Mark every unread message of the user read; the number marked."""
    result = db.session.execute(
        sa.update(InboxMessage)
        .where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount or 0
