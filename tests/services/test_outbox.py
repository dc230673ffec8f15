"""The transactional outbox, delivered over a real SMTP server on loopback.

Nothing is mocked: mail goes through smtplib to aiosmtpd, rows through the
test database, and the Celery task runs eagerly on commit (no REDIS_URL).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from lms.clock import utcnow
from lms.extensions import db
from lms.notifications.mailer import build_message
from lms.notifications.models import OutboxMessage, OutboxStatus
from lms.notifications.services import backoff, deliver_due, queue_mail
from tests import factories

NOTICE_SUBJECT = "培训通知：工会干部职业化培训班（第一期）开班安排"
NOTICE = ("培训通知：{{ course }}开班安排\n"
          "{{ name }}同志：\n\n您报名的《{{ course }}》将于下周一在市总工会开班。\n")
NOTICE_BODY = "您报名的《工会干部职业化培训班（第一期）》将于下周一在市总工会开班。"
NEW_PASSWORD = "Zhong-Hua-Gong-Hui-2026"


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app that delivers to ``smtp_server``, with a Chinese test template."""
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    app.jinja_loader = ChoiceLoader([DictLoader({"mail/notice.txt": NOTICE}), app.jinja_loader])
    with app.app_context():
        yield app


def queue_notice(to: str = "zhang.san@example.cn") -> int:
    """Queue the Chinese notice, commit, and return the outbox row's id."""
    message = queue_mail("notice", to, name="张三", course="工会干部职业化培训班（第一期）")
    db.session.commit()
    return message.id


def outbox_row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


# -- delivery on commit -----------------------------------------------------


def test_committed_mail_arrives_at_smtp_server(mail_app, smtp_server):
    queue_notice()

    [mail] = smtp_server.messages  # delivered before commit() returned
    assert smtp_server.envelopes[0].rcpt_tos == ["zhang.san@example.cn"]
    assert mail["To"] == "zhang.san@example.cn"
    assert mail["From"] == mail_app.config["SMTP_FROM"]


def test_chinese_subject_and_body_decode_as_utf8(mail_app, smtp_server):
    queue_notice()

    [mail] = smtp_server.messages
    assert mail["Subject"] == NOTICE_SUBJECT
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert body.startswith("张三同志：")
    assert NOTICE_BODY in body


def test_delivered_row_is_marked_sent(mail_app, smtp_server):
    before = utcnow()
    message_id = queue_notice()

    row = outbox_row(message_id)
    assert row.status == OutboxStatus.SENT
    assert before <= row.sent_at <= utcnow()
    assert row.attempts == 1
    assert row.last_error is None


def test_rolled_back_mail_is_never_sent(mail_app, smtp_server):
    queue_mail("notice", "zhang.san@example.cn", name="张三", course="课程")
    db.session.rollback()
    factories.make_user()  # an unrelated commit afterwards

    assert outbox_count() == 0
    assert smtp_server.messages == []


def test_message_id_is_the_same_on_every_attempt(mail_app, smtp_server):
    message_id = queue_notice()
    row = outbox_row(message_id)

    first = build_message(mail_app.config, row)["Message-ID"]
    assert build_message(mail_app.config, row)["Message-ID"] == first
    assert smtp_server.messages[0]["Message-ID"] == first


# -- SMTP server down -------------------------------------------------------


def test_mail_stays_pending_while_smtp_is_down(mail_app, smtp_server):
    smtp_server.stop()
    before = utcnow()
    message_id = queue_notice()

    row = outbox_row(message_id)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert "Connection" in row.last_error
    assert row.sent_at is None
    assert before + timedelta(minutes=1) <= row.next_attempt_at
    assert row.next_attempt_at <= utcnow() + timedelta(minutes=1)


def test_pending_mail_is_delivered_once_when_smtp_returns(mail_app, smtp_server):
    smtp_server.stop()
    message_id = queue_notice()
    due = outbox_row(message_id).next_attempt_at
    smtp_server.start()

    assert deliver_due(now=due + timedelta(seconds=1)) == {"sent": 1, "failed": 0}
    assert deliver_due(now=due + timedelta(hours=1)) == {"sent": 0, "failed": 0}

    [mail] = smtp_server.messages
    assert mail["Subject"] == NOTICE_SUBJECT
    row = outbox_row(message_id)
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 2
    assert row.last_error is None


def test_mail_is_not_retried_before_its_next_attempt(mail_app, smtp_server):
    smtp_server.stop()
    message_id = queue_notice()
    due = outbox_row(message_id).next_attempt_at
    smtp_server.start()

    assert deliver_due(now=due - timedelta(seconds=1)) == {"sent": 0, "failed": 0}

    assert smtp_server.messages == []
    assert outbox_row(message_id).attempts == 1


def test_retry_delay_doubles_after_each_failure(mail_app, smtp_server):
    smtp_server.stop()
    message_id = queue_notice()
    delays = []
    for _ in range(2):
        due = outbox_row(message_id).next_attempt_at
        assert deliver_due(now=due) == {"sent": 0, "failed": 1}
        delays.append(outbox_row(message_id).next_attempt_at - due)

    assert delays == [timedelta(minutes=2), timedelta(minutes=4)]
    assert outbox_row(message_id).attempts == 3


def test_backoff_doubles_from_one_minute_up_to_the_cap():
    assert [backoff(n, 3600) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert backoff(6, 3600) == timedelta(minutes=32)
    assert backoff(7, 3600) == timedelta(hours=1)  # 64 min, capped
    assert backoff(1000, 3600) == timedelta(hours=1)
    assert backoff(3, 150) == timedelta(seconds=150)


def test_failed_retries_back_off_to_the_configured_cap(make_app, smtp_server):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
                   OUTBOX_MAX_BACKOFF=180, OUTBOX_MAX_ATTEMPTS=10)
    smtp_server.stop()
    with app.app_context():
        message = queue_mail("password_reset", "a@example.cn", user=factories.make_user(),
                             link="http://localhost/x")
        db.session.commit()
        for _ in range(3):
            due = outbox_row(message.id).next_attempt_at
            deliver_due(now=due)

        assert outbox_row(message.id).next_attempt_at - due == timedelta(minutes=3)


def test_mail_is_failed_and_kept_after_max_attempts(make_app, smtp_server):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, OUTBOX_MAX_ATTEMPTS=3)
    smtp_server.stop()
    with app.app_context():
        message = queue_mail("password_reset", "a@example.cn", user=factories.make_user(),
                             link="http://localhost/x")
        db.session.commit()
        for _ in range(2):
            deliver_due(now=outbox_row(message.id).next_attempt_at)

        row = outbox_row(message.id)
        assert row.status == OutboxStatus.FAILED
        assert row.attempts == 3
        assert row.last_error
        smtp_server.start()
        assert deliver_due(now=utcnow() + timedelta(days=1)) == {"sent": 0, "failed": 0}
        assert smtp_server.messages == []
        assert outbox_count() == 1


# -- no SMTP server configured ----------------------------------------------


def test_mail_waits_in_outbox_when_smtp_is_not_configured(app, caplog):
    caplog.set_level(logging.INFO, logger="lms")
    message = queue_mail("password_reset", "a@example.cn", user=factories.make_user(),
                         link="http://localhost/x")
    db.session.commit()

    row = outbox_row(message.id)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 0
    assert "SMTP is not configured; 1 message(s) wait in the outbox" in caplog.messages


def test_cli_deliver_reports_nothing_sent_without_smtp(app):
    queue_mail("password_reset", "a@example.cn", user=factories.make_user(),
               link="http://localhost/x")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["lms", "outbox", "deliver"])

    assert result.exit_code == 0, result.output
    assert "sent 0, failed 0" in result.output
    assert outbox_count() == 1


# -- password reset, end to end ---------------------------------------------


def _take_flashes(client) -> list[tuple[str, str]]:
    """The (category, message) pairs waiting in ``client``'s session, removed."""
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


def _reset_path(mail) -> str:
    match = re.search(r"http://localhost(/password/reset/[\w.-]+)", mail.get_content())
    assert match, mail.get_content()
    return match.group(1)


def test_password_reset_mail_link_sets_a_new_password(mail_app, smtp_server):
    user = factories.make_user(email="li.si@example.cn", name="李四")
    client = mail_app.test_client()

    response = client.post("/password/forgot", data={"email": "Li.Si@example.cn"})
    assert response.status_code == 302
    [mail] = smtp_server.messages
    assert mail["To"] == "li.si@example.cn"
    assert "李四" in mail.get_content()
    link = _reset_path(mail)

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD,
                                       "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.location.endswith("/login")

    response = client.post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert not response.location.endswith("/login")


def test_password_reset_link_is_refused_the_second_time(mail_app, smtp_server):
    factories.make_user(email="li.si@example.cn", name="李四")
    client = mail_app.test_client()
    client.post("/password/forgot", data={"email": "li.si@example.cn"})
    link = _reset_path(smtp_server.messages[0])
    client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    _take_flashes(client)

    response = client.get(link)
    assert response.status_code == 302
    assert response.location.endswith("/password/forgot")
    assert [category for category, _ in _take_flashes(client)] == ["danger"]
    response = client.post(link, data={"password": "Another-Strong-Pass-2027",
                                       "password_confirm": "Another-Strong-Pass-2027"})
    assert response.status_code == 302
    assert response.location.endswith("/password/forgot")

    response = client.post("/login", data={"email": "li.si@example.cn",
                                           "password": "Another-Strong-Pass-2027"})
    assert response.status_code == 200  # the second password was never set


def test_password_reset_for_unknown_address_looks_the_same_and_sends_nothing(
        mail_app, smtp_server):
    factories.make_user(email="li.si@example.cn")
    known, unknown = mail_app.test_client(), mail_app.test_client()

    known_response = known.post("/password/forgot", data={"email": "li.si@example.cn"})
    assert outbox_count() == 1
    unknown_response = unknown.post("/password/forgot", data={"email": "nobody@example.cn"})

    assert unknown_response.status_code == known_response.status_code == 302
    assert unknown_response.location == known_response.location
    assert _take_flashes(unknown) == _take_flashes(known)
    assert outbox_count() == 1
    assert len(smtp_server.messages) == 1
