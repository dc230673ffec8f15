"""Sending one message over SMTP."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def build_message(config, message) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = config["SMTP_FROM"]
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    # A stable id lets a receiving server drop a duplicate after a retry, so it
    # is derived from the row alone; the creation time keeps it unique should
    # ids start again from 1 in another database.
    mail["Message-ID"] = (f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S%f}"
                          "@unioncadre.local>")
    mail.set_content(message.body_text, charset="utf-8")
    return mail


def send_mail(config, message) -> None:
    """Deliver ``message`` (an OutboxMessage) or raise `MailError`."""
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]),
                          timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(build_message(config, message))
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
