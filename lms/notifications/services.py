"""The transactional outbox: mail is written in the same transaction as the
change that causes it, then delivered by `deliver_due` with retries, so
nothing is lost while the SMTP server is down."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from lms.clock import utcnow
from lms.domain.identity import mask_name
from lms.extensions import db
from lms.notifications.mailer import MailError, send_mail
from lms.notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


def queue_mail(kind: str, to: str, *, locale: str | None = None, **context) -> OutboxMessage:
    """Render ``templates/mail/<kind>.txt`` and add it to the outbox.

    The first line of the rendered template is the subject. Delivery starts
    after the surrounding transaction commits.

    :param locale: the recipient's language; the platform default otherwise.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        rendered = render_template(f"mail/{kind}.txt", **context)
    subject, _, body = rendered.strip().partition("\n")
    message = OutboxMessage(kind=kind, to_address=to, subject=subject.strip(),
                            body_text=body.strip() + "\n")
    db.session.add(message)
    db.session.info["outbox_queued"] = True
    log.info("mail %s queued for %s", kind, _mask_address(to))
    return message


def backoff(attempts: int, cap_seconds: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, never more than the cap."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), cap_seconds))


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Send every pending message whose time has come, one per transaction.

    Uses its own session, so it is safe to call right after a request commits.
    Several workers can run it at once on PostgreSQL (rows are claimed with
    ``FOR UPDATE SKIP LOCKED``). Returns counts of ``sent`` and ``failed`` tries.
    """
    config = current_app.config
    counts = {"sent": 0, "failed": 0}
    if not config.get("SMTP_HOST"):
        with Session(db.engine) as session:
            waiting = session.scalar(sa.select(sa.func.count()).where(
                OutboxMessage.status == OutboxStatus.PENDING))
        log.info("SMTP is not configured; %s message(s) wait in the outbox", waiting)
        return counts
    with Session(db.engine) as session:
        for _ in range(limit):
            now_ = now or utcnow()
            message = session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING,
                       OutboxMessage.next_attempt_at <= now_)
                .order_by(OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if message is None:
                break
            _attempt(message, config, now_)
            counts["sent" if message.status == OutboxStatus.SENT else "failed"] += 1
            session.commit()
            if message.status != OutboxStatus.SENT:
                break  # the server is likely down: leave the rest for the next run
    return counts


def _attempt(message: OutboxMessage, config, now: datetime) -> None:
    message.attempts += 1
    try:
        send_mail(config, message)
    except MailError as exc:
        message.last_error = str(exc)[:500]
        if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
            message.status = OutboxStatus.FAILED
            log.error("mail %s given up after %s attempts: %s", message.id,
                      message.attempts, exc)
        else:
            message.next_attempt_at = now + backoff(message.attempts,
                                                    config["OUTBOX_MAX_BACKOFF"])
            log.warning("mail %s not delivered (attempt %s): %s", message.id,
                        message.attempts, exc)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = now
        message.last_error = None
        log.info("mail %s delivered", message.id)


def _mask_address(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{mask_name(local)}@{domain}"
