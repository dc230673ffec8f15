"""Integrity monitoring: events from the exam page, webcam snapshots, the flags the
rules raise, proctors' warnings and the officer's review decision.

Snapshots are sensitive personal information (PIPL art. 28): they are encrypted
at rest with the key that protects ID numbers, shown only to the session's
proctors and to officers, every view is audited, and the files are deleted after
the retention period (`purge_snapshots`, run daily).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from lms.accounts.personal_data import decrypt, encrypt
from lms.audit import services as audit
from lms.domain import proctoring
from lms.domain.attempt_states import FINISHED, AttemptState
from lms.domain.files import JPEG, sniff
from lms.exams import attempts, registration
from lms.exams.models import (
    AttemptMessage,
    Exam,
    ExamAttempt,
    IntegrityEvent,
    ProctoringMode,
    Snapshot,
)
from lms.extensions import db

S = AttemptState
K = proctoring.EventKind
#: what the page may report; IP and browser changes are noticed by the server
CLIENT_KINDS = frozenset({K.HIDDEN, K.VISIBLE, K.BLUR, K.FOCUS, K.FULLSCREEN_EXIT,
                          K.FULLSCREEN_ENTER, K.COPY, K.CUT, K.PASTE, K.CONTEXT_MENU, K.PRINT})
MAX_EVENTS_PER_REQUEST = 100
SNAPSHOT_MAX_BYTES = 256 * 1024
REVIEW_DECISIONS = ("clear", "invalidate")


class BadEvents(ValueError):
    """A batch of events is malformed; ``index`` is the first bad one."""

    def __init__(self, index: int):
        super().__init__(f"event {index}")
        self.index = index


# -- events -------------------------------------------------------------------------------


def record_events(attempt: ExamAttempt, raw: object, now: datetime, *, ip: str | None,
                  agent: str | None) -> int:
    """Store a batch of page events (``[{"kind", "at": epoch ms}]``) and any change of
    address or browser since the attempt started; returns how many were stored.

    Times are the page's, clamped between the start and now: a page cannot date an
    event into the future or before the attempt.
    """
    if not isinstance(raw, list) or len(raw) > MAX_EVENTS_PER_REQUEST:
        raise BadEvents(0)
    rows = []
    for index, entry in enumerate(raw):
        if not (isinstance(entry, dict) and entry.get("kind") in CLIENT_KINDS
                and isinstance(entry.get("at"), int) and not isinstance(entry.get("at"), bool)):
            raise BadEvents(index)
        try:
            at = datetime.fromtimestamp(entry["at"] / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadEvents(index) from None
        at = min(max(at, attempt.started_at or now), now)
        rows.append({"attempt_id": attempt.id, "kind": entry["kind"], "occurred_at": at,
                     "received_at": now, "detail": {}})
    rows += _connection_changes(attempt, now, ip, agent)
    if rows:
        db.session.execute(sa.insert(IntegrityEvent), rows)
    return len(rows)


def _connection_changes(attempt: ExamAttempt, now: datetime, ip: str | None,
                        agent: str | None) -> list[dict]:
    """Events for a new address or browser; the attempt remembers the latest."""
    agent = (agent or "")[:300]
    changes = []
    if attempt.ip and ip and ip != attempt.ip:
        changes.append({"attempt_id": attempt.id, "kind": K.IP_CHANGE.value, "occurred_at": now,
                        "received_at": now, "detail": {"from": attempt.ip, "to": ip}})
    if attempt.user_agent and agent and agent != attempt.user_agent:
        changes.append({"attempt_id": attempt.id, "kind": K.AGENT_CHANGE.value,
                        "occurred_at": now, "received_at": now, "detail": {"to": agent}})
    if ip != attempt.ip or agent != attempt.user_agent:
        db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id)
                           .values(ip=ip or attempt.ip, user_agent=agent or attempt.user_agent)
                           .execution_options(synchronize_session=False))
    return changes


def rules_for(exam: Exam, mode: ProctoringMode | None = None) -> proctoring.Rules:
    webcam = exam.webcam_required and (mode or exam.proctoring) == ProctoringMode.ONLINE
    return proctoring.Rules(
        max_focus_losses=exam.focus_loss_limit,
        max_fullscreen_away=timedelta(seconds=30) if exam.fullscreen_required
        else timedelta.max,
        snapshot_interval=timedelta(seconds=exam.snapshot_interval_seconds) if webcam else None,
        clipboard_allowed=not exam.block_copy_paste)


def flags_for(rows: Iterable[ExamAttempt], now: datetime) -> dict[int, list[proctoring.Flag]]:
    """Flags of each started attempt, in two queries however many attempts there are."""
    started = [a for a in rows if a.started_at is not None]
    ids = [a.id for a in started]
    if not ids:
        return {}
    events: dict[int, list[proctoring.Event]] = {i: [] for i in ids}
    for attempt_id, kind, at in db.session.execute(
            sa.select(IntegrityEvent.attempt_id, IntegrityEvent.kind, IntegrityEvent.occurred_at)
            .where(IntegrityEvent.attempt_id.in_(ids))):
        events[attempt_id].append(proctoring.Event(K(kind), at))
    for attempt_id, at in db.session.execute(
            sa.select(Snapshot.attempt_id, Snapshot.taken_at).where(Snapshot.attempt_id.in_(ids))):
        events[attempt_id].append(proctoring.Event(K.SNAPSHOT, at))
    return {a.id: proctoring.evaluate(events[a.id], rules_for(a.exam, a.session.mode),
                                      started=a.started_at,
                                      now=min(now, a.finished_at or now))
            for a in started}


# -- snapshots ------------------------------------------------------------------------------


def snapshot_dir() -> Path:
    path = Path(current_app.instance_path) / "snapshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_snapshot(attempt: ExamAttempt, data: bytes, now: datetime) -> Snapshot:
    """Keep one webcam JPEG; `attempts.AttemptRefused` if it is not one, too big, or
    sooner than half an interval after the previous one (a page cannot flood it)."""
    if attempt.state not in (S.IN_PROGRESS, S.PAUSED):
        raise attempts.AttemptRefused("finished")
    return _keep_picture(attempt, data, now,
                         timedelta(seconds=attempt.exam.snapshot_interval_seconds / 2))


#: the waiting page sends a fresh picture every 15 s; faster ones are refused
CHECK_IN_PICTURE_SPACING = timedelta(seconds=10)


def store_check_in_picture(attempt: ExamAttempt, data: bytes, now: datetime) -> Snapshot:
    """A live picture from the waiting page of a test-centre check-in, which the proctor
    compares with the registered photo before admitting. Only with the candidate's
    consent to webcam images; without it the proctor compares in person."""
    if attempt.state != S.REGISTERED or attempt.checked_in_at is None:
        raise attempts.AttemptRefused("not_checked_in")
    if not registration.has_consent(attempt.user, "proctoring"):
        raise attempts.AttemptRefused("consent_needed")
    return _keep_picture(attempt, data, now, CHECK_IN_PICTURE_SPACING)


def _keep_picture(attempt: ExamAttempt, data: bytes, now: datetime,
                  spacing: timedelta) -> Snapshot:
    if not data or len(data) > SNAPSHOT_MAX_BYTES or sniff(data[:16]) != JPEG:
        raise attempts.AttemptRefused("snapshot")
    last = db.session.scalar(sa.select(sa.func.max(Snapshot.taken_at))
                             .where(Snapshot.attempt_id == attempt.id))
    if last is not None and now - last < spacing:
        raise attempts.AttemptRefused("snapshot_too_soon")
    name = secrets.token_hex(16) + ".jpg.enc"
    (snapshot_dir() / name).write_bytes(encrypt(data))
    snapshot = Snapshot(attempt_id=attempt.id, taken_at=now, size=len(data), file_name=name,
                        sha256=hashlib.sha256(data).hexdigest())
    db.session.add(snapshot)
    return snapshot


def read_snapshot(snapshot: Snapshot, viewer) -> bytes | None:
    """The picture (None once purged); the view is audited."""
    audit.record("exam_snapshot.viewed", actor=viewer, obj=snapshot,
                 after={"attempt": snapshot.attempt_id})
    if snapshot.file_name is None:
        return None
    return decrypt((snapshot_dir() / snapshot.file_name).read_bytes())


def purge_snapshots(now: datetime, retention_days: int) -> int:
    """Delete the files of snapshots older than the retention; the rows stay (hash, time)."""
    cutoff = now - timedelta(days=retention_days)
    old = db.session.scalars(sa.select(Snapshot).where(
        Snapshot.taken_at < cutoff, Snapshot.file_name.is_not(None))).all()
    for snapshot in old:
        (snapshot_dir() / snapshot.file_name).unlink(missing_ok=True)
        snapshot.file_name, snapshot.purged_at = None, now
    if old:
        audit.record("exam_snapshot.purged", object_type="exam_snapshots",
                     after={"count": len(old), "before": cutoff.isoformat()})
    return len(old)


# -- warnings and review ------------------------------------------------------------------------


def warn(attempt: ExamAttempt, proctor, body: str) -> AttemptMessage:
    body = body.strip()[:500]
    if not body or attempt.state not in (S.IN_PROGRESS, S.PAUSED, S.ADMITTED):
        raise attempts.AttemptRefused("reason_required" if not body else "finished")
    message = AttemptMessage(attempt_id=attempt.id, sender_id=proctor.id, body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("exam_attempt.warned", actor=proctor, obj=attempt, after={"message": body})
    return message


def messages_after(attempt_id: int, after_id: int) -> list[dict]:
    rows = db.session.scalars(sa.select(AttemptMessage).where(
        AttemptMessage.attempt_id == attempt_id, AttemptMessage.id > after_id)
        .order_by(AttemptMessage.id))
    return [{"id": m.id, "body": m.body} for m in rows]


def review(attempt: ExamAttempt, officer, decision: str, reason: str, now: datetime) -> None:
    """An officer's decision on a finished attempt: clear it, or invalidate it (a reason
    is required); the results and certificates act on it."""
    reason = reason.strip()[:500]
    if decision not in REVIEW_DECISIONS:
        raise attempts.AttemptRefused("decision")
    if decision == "invalidate" and not reason:
        raise attempts.AttemptRefused("reason_required")
    before = {"decision": attempt.review_decision, "reason": attempt.review_reason}
    values = {"review_decision": decision, "review_reason": reason,
              "reviewed_by_id": officer.id, "reviewed_at": now}
    if decision == "invalidate":
        attempts.apply(attempt, attempts.E.INVALIDATE, **values)
    else:
        if attempt.state not in FINISHED:
            raise attempts.AttemptRefused("not_finished")
        for name, value in values.items():
            setattr(attempt, name, value)
    audit.record("exam_attempt.reviewed", actor=officer, obj=attempt, before=before,
                 after={"decision": decision, "reason": reason})
