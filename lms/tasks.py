"""Background jobs on Celery.

Each Flask app gets a Celery app of its own (``app.extensions["celery"]``),
configured from its config: without ``LMS_REDIS_URL`` tasks run eagerly in
the calling process; with it they go to a Redis broker and a worker
(``celery -A lms.worker worker``) and beat (``celery -A lms.worker beat``)
run them. Tasks are declared with ``shared_task`` and always sent through the
Flask app's own Celery app (`enqueue`), never through a global one.
"""

from __future__ import annotations

import logging

from celery import Celery, Task, shared_task
from flask import Flask, after_this_request, current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lms import clock

log = logging.getLogger(__name__)

DELIVER_OUTBOX = "lms.tasks.deliver_outbox"
SWEEP_EXAM_ATTEMPTS = "lms.tasks.sweep_exam_attempts"
PURGE_EXAM_SNAPSHOTS = "lms.tasks.purge_exam_snapshots"
PURGE_ID_PHOTOS = "lms.tasks.purge_id_photos"
MARK_ATTEMPT = "lms.tasks.mark_attempt"
ISSUE_CERTIFICATES = "lms.tasks.issue_certificates"
RETRAINING_TICK = "lms.tasks.retraining_tick"
#: session.info key: ids of attempts finished in the transaction, marked after its commit
_TO_MARK = "attempts_to_mark"
#: session.info key: ids of attempts released in the transaction, certified after its commit
_TO_CERTIFY = "attempts_to_certify"


def init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        """Runs each task inside this Flask app's context."""

        def __call__(self, *args, **kwargs):
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                clock.follow_database()
                return self.run(*args, **kwargs)

    redis_url = app.config.get("REDIS_URL")
    celery = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery.conf.update(
        broker_url=redis_url or "memory://",
        result_backend=None,
        task_ignore_result=True,
        task_always_eager=not redis_url,
        task_eager_propagates=True,  # eager failures reach the log in _after_commit
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_connect_timeout": 2},
        timezone="UTC",
        beat_schedule={
            "deliver-outbox": {"task": DELIVER_OUTBOX, "schedule": 60.0},
            # exams end on time even when no browser is left to notice
            "sweep-exam-attempts": {"task": SWEEP_EXAM_ATTEMPTS, "schedule": 15.0},
            "purge-exam-snapshots": {"task": PURGE_EXAM_SNAPSHOTS, "schedule": 24 * 3600.0},
            "purge-id-photos": {"task": PURGE_ID_PHOTOS, "schedule": 24 * 3600.0},
            # idempotent per day: running it hourly makes a missed night harmless
            "retraining-tick": {"task": RETRAINING_TICK, "schedule": 3600.0},
        },
    )
    app.extensions["celery"] = celery
    _dispatch_mail_after_commit()
    _dispatch_ids_after_commit(_TO_MARK, _enqueue_marking, "GRADING_AUTO_MARK")
    _dispatch_ids_after_commit(_TO_CERTIFY, _enqueue_issuance, "CERTIFICATES_AUTO_ISSUE")
    return celery


def enqueue(name: str, *args, **kwargs) -> None:
    """Send task ``name`` through the current Flask app's Celery app."""
    current_app.extensions["celery"].tasks[name].delay(*args, **kwargs)


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
            after_response(_enqueue_delivery)

    @event.listens_for(Session, "after_rollback")
    def _after_rollback(session):
        session.info.pop("outbox_queued", None)


def mark_after_commit(session: Session, attempt_id: int) -> None:
    """Have ``attempt_id`` marked once ``session``'s transaction commits (a rollback
    forgets it): the hand-in is final first, marking can never undo it."""
    session.info.setdefault(_TO_MARK, set()).add(attempt_id)


def certify_after_commit(session: Session, attempt_ids) -> None:
    """Have certificates issued for the released results of ``attempt_ids`` once
    ``session``'s transaction commits (a whole session's release is one task)."""
    session.info.setdefault(_TO_CERTIFY, set()).update(attempt_ids)


_ids_listening: set[str] = set()


def _dispatch_ids_after_commit(key: str, start, flag: str) -> None:
    """After a commit, hand the ids collected under ``session.info[key]`` to ``start``
    (once the response has gone out, see `after_response`); unless config ``flag`` is off."""
    if key in _ids_listening:
        return
    _ids_listening.add(key)

    @event.listens_for(Session, "after_commit")
    def _after_commit(session):
        ids = sorted(session.info.pop(key, ()))
        if not ids or not has_app_context() or not current_app.config.get(flag, True):
            return  # without an app the sweep (marking) or the CLI (certificates) does it
        after_response(lambda: start(ids))

    @event.listens_for(Session, "after_rollback")
    def _after_rollback(session):
        session.info.pop(key, None)


def _enqueue_delivery() -> None:
    try:
        enqueue(DELIVER_OUTBOX)
    except Exception:  # a broker outage must not fail the user's request
        log.exception("could not enqueue outbox delivery; beat will retry")


def after_response(work) -> None:
    """Run ``work()`` now, or — in a request without a queue (tasks run eagerly) — once
    the response has gone out, in an app context of its own: a hand-in is neither
    delayed by marking nor by an SMTP server that accepts and never answers."""
    if not (has_request_context()
            and current_app.extensions["celery"].conf.task_always_eager):
        work()
        return
    app = current_app._get_current_object()

    def in_app() -> None:
        with app.app_context():
            work()

    @after_this_request
    def schedule(response):
        response.call_on_close(in_app)
        return response


def _enqueue_marking(ids: list[int]) -> None:
    for attempt_id in ids:
        try:
            enqueue(MARK_ATTEMPT, attempt_id)
        except OperationalError as exc:  # e.g. SQLite busy past its timeout: not a bug
            log.warning("marking attempt %s deferred to the sweep: %s", attempt_id,
                        exc.orig)
        except Exception:  # a broker outage or a marking bug must not fail the hand-in
            log.exception("marking attempt %s failed or was not queued; the sweep will "
                          "mark it", attempt_id)


@shared_task(name=DELIVER_OUTBOX)
def deliver_outbox() -> dict[str, int]:
    """Deliver due mail from the outbox (without SMTP it only logs what waits)."""
    from lms.notifications.services import deliver_due

    return deliver_due()


@shared_task(name=SWEEP_EXAM_ATTEMPTS)
def sweep_exam_attempts() -> dict[str, int]:
    """Time out overdue exam attempts and cancel bookings of sessions that are over."""
    from lms.exams.attempts import sweep

    result = sweep()
    return {"timed_out": result.timed_out, "cancelled": result.cancelled,
            "marked": result.marked}


@shared_task(name=MARK_ATTEMPT)
def mark_attempt(attempt_id: int) -> dict | None:
    """Auto-mark a finished exam attempt (idempotent; see `lms.grading.marking`)."""
    from lms.extensions import db
    from lms.grading.marking import mark_attempt as mark

    # a session of its own: run eagerly, this is called from another session's commit
    with current_app.app_context():
        try:
            marked = mark(attempt_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    if marked is None:
        return None
    return {"attempt_id": marked.attempt_id, "score": str(marked.score),
            "passed": marked.passed, "pending_manual": marked.pending_manual,
            "state": marked.state.value}


def _enqueue_issuance(ids: list[int]) -> None:
    try:
        enqueue(ISSUE_CERTIFICATES, ids)
    except Exception:  # the release stands; `flask lms certificates issue` catches up
        log.exception("issuing certificates for attempts %s failed or was not queued", ids)


@shared_task(name=ISSUE_CERTIFICATES)
def issue_certificates(attempt_ids: list[int]) -> dict:
    """Issue (or queue for approval) the certificates earned by released results."""
    from lms.certificates.issuance import act_on_flips, issue_for_attempts
    from lms.extensions import db

    with current_app.app_context():
        try:
            report = issue_for_attempts(attempt_ids)
            flips = act_on_flips()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return {"issued": len(report.issued) + len(flips.issued),
            "queued": len(report.queued) + len(flips.queued)}


@shared_task(name=RETRAINING_TICK)
def retraining_tick() -> dict:
    """The daily retraining tick for today (China's date); a no-op after the first run."""
    from lms.i18n import local_today
    from lms.retraining.tick import tick

    with current_app.app_context():
        return tick(local_today()).to_dict()


@shared_task(name=PURGE_EXAM_SNAPSHOTS)
def purge_exam_snapshots() -> int:
    """Delete webcam pictures past the retention period."""
    from lms.clock import utcnow
    from lms.exams.integrity import purge_snapshots
    from lms.extensions import db

    count = purge_snapshots(utcnow(), current_app.config["EXAM_SNAPSHOT_RETENTION_DAYS"])
    db.session.commit()
    return count


@shared_task(name=PURGE_ID_PHOTOS)
def purge_id_photos() -> int:
    """Delete ID photos no longer needed (rules: lms.accounts.privacy)."""
    from lms.accounts.privacy import purge_id_photos as purge
    from lms.clock import utcnow
    from lms.extensions import db

    count = purge(utcnow(), current_app.config["ID_PHOTO_RETENTION_DAYS"])
    db.session.commit()
    return count
