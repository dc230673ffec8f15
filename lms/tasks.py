"""Background jobs on Celery.

Without ``LMS_REDIS_URL`` tasks run eagerly in the calling process; with it
they go to a Redis broker and a worker (``celery -A lms.worker worker``) and
beat (``celery -A lms.worker beat``) run them.
"""

from __future__ import annotations

import logging

from celery import Celery, Task
from flask import Flask, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

celery = Celery("lms")


class FlaskTask(Task):
    """Runs each task inside an application context."""

    def __call__(self, *args, **kwargs):
        if has_app_context():
            return self.run(*args, **kwargs)
        with celery.flask_app.app_context():
            return self.run(*args, **kwargs)


celery.Task = FlaskTask


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    broker_url = redis_url or "memory://"
    if celery.conf.broker_url not in (None, broker_url):
        _forget_broker_connections()
    celery.conf.update(
        broker_url=broker_url,
        result_backend=None,
        task_ignore_result=True,
        task_always_eager=not redis_url,
        task_eager_propagates=False,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        beat_schedule={
            "deliver-outbox": {"task": "lms.tasks.deliver_outbox", "schedule": 60.0},
        },
    )
    celery.flask_app = app
    app.extensions["celery"] = celery
    _dispatch_mail_after_commit()


def _forget_broker_connections() -> None:
    """Stop using the previous app's broker.

    ``celery`` is one object that every `create_app` reconfigures (tests build
    many apps). Celery keeps the connection and producer pools it picked on
    first use and would go on publishing to the old broker after ``broker_url``
    changes. Dropping them (as Celery does after a fork) makes it look the
    pools up again, by URL, from kombu's shared registry.
    """
    celery._pool = None
    if "amqp" in celery.__dict__:
        celery.amqp._producer_pool = None


_listening = False


def _dispatch_mail_after_commit() -> None:
    """Start delivery once the transaction that queued a mail has committed."""
    global _listening
    if _listening:
        return
    _listening = True

    @event.listens_for(Session, "after_commit")
    def _after_commit(session):
        if session.info.pop("outbox_queued", False) and has_app_context():
            try:
                deliver_outbox.delay()
            except Exception:  # a broker outage must not fail the user's request
                log.exception("could not enqueue outbox delivery; beat will retry")


@celery.task(name="lms.tasks.deliver_outbox")
def deliver_outbox() -> dict[str, int]:
    """Deliver due mail from the outbox (without SMTP it only logs what waits)."""
    from lms.notifications.services import deliver_due

    return deliver_due()
