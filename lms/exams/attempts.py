"""The attempt lifecycle on the database: check-in, start, autosave, submit, time-out.

Every change of state is `lms.domain.attempt_states.transition` applied as one
conditional UPDATE (``WHERE id = :id AND state = :seen``): of two racing
requests exactly one wins, the other gets `AttemptConflict` and nothing it did
is kept. The clock is the server's (`lms.domain.timing`); the browser's time is
never trusted. Saves are upserts that keep only the highest sequence number per
slot, so retries and reordering are harmless (`lms.domain.answer_ledger`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app

from lms import tasks
from lms.audit import services as audit
from lms.clock import utcnow
from lms.domain import assembly, timing
from lms.domain.attempt_states import AttemptEvent, AttemptState, IllegalTransition, transition
from lms.exams import blueprints
from lms.exams.delivery import is_answered
from lms.exams.models import (
    Accommodation,
    Exam,
    ExamAnswer,
    ExamAttempt,
    ExamSession,
    Navigation,
    ProctoringMode,
)
from lms.extensions import db
from lms.notifications.services import queue_mail

S, E = AttemptState, AttemptEvent
MAX_SAVES_PER_REQUEST = 200
MAX_FIELDS_PER_SLOT = 60
MAX_VALUE_LENGTH = 20_000
#: sequence of answers handed in by a plain form post (no script): final, above any
#: autosave (the page's counters stay below it; the column is 64-bit)
FORM_SEQUENCE = 2**52


class AttemptConflict(Exception):
    """The attempt changed under the request (another tab, the proctor, the sweep)."""


class AttemptRefused(Exception):
    """The request is not allowed now; ``code`` names why for the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


# -- the clock --------------------------------------------------------------------


CLOCK_COLUMNS = ("started_at", "duration_seconds", "allowance_seconds", "extension_seconds",
                 "paused_seconds", "paused_at")


def _clock(started_at, duration_seconds, allowance_seconds, extension_seconds, paused_seconds,
           paused_at) -> timing.Clock:
    """Closed pauses are stored as their total, folded here into one span."""
    pauses = [timing.Pause(started_at, started_at + timedelta(seconds=paused_seconds))]
    if paused_at is not None:
        pauses.append(timing.Pause(paused_at))
    return timing.Clock(started_at=started_at, duration=timedelta(seconds=duration_seconds),
                        allowance=timedelta(seconds=allowance_seconds),
                        extensions=(timedelta(seconds=extension_seconds),),
                        pauses=tuple(pauses))


def clock_of(attempt: ExamAttempt) -> timing.Clock:
    return _clock(*(getattr(attempt, column) for column in CLOCK_COLUMNS))


def not_before_start(attempt: ExamAttempt, now: datetime) -> datetime:
    """``now``, or the attempt's start if that is later: an app server whose clock runs
    behind the one that started the attempt must not record a save or a hand-in before
    the start, a negative duration (RELIABILITY.md F14, Moodle MDL-21111)."""
    if attempt.started_at is not None and attempt.started_at > now:
        return attempt.started_at
    return now


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["EXAM_SAVE_GRACE_SECONDS"])


def remaining_seconds(attempt: ExamAttempt, now: datetime) -> int:
    if attempt.started_at is None:
        return attempt.duration_seconds or 0
    return int(timing.remaining(clock_of(attempt), now).total_seconds())


def _deadline_after(attempt: ExamAttempt, now: datetime, **changes) -> datetime:
    """The deadline once ``changes`` (clock columns) are applied, for the sweep's index."""
    columns = {column: getattr(attempt, column) for column in CLOCK_COLUMNS} | changes
    return timing.deadline(_clock(**columns), now)


# -- transitions ------------------------------------------------------------------

#: how an attempt can end; stored as ``ended_as``, as ``state`` moves on to graded
ENDINGS = (S.SUBMITTED, S.TIMED_OUT, S.TERMINATED)


def apply(attempt: ExamAttempt, event: AttemptEvent, **values) -> AttemptState:
    """Move ``attempt`` by ``event`` in one guarded UPDATE, with ``values`` alongside.

    :raises IllegalTransition: the event is not allowed in the state read.
    :raises AttemptConflict: another request changed the state first.
    """
    seen = attempt.state
    new = transition(seen, event)
    if new in ENDINGS:  # kept when marking moves the state on
        values["ended_as"] = new.value
    result = db.session.execute(
        sa.update(ExamAttempt)
        .where(ExamAttempt.id == attempt.id, ExamAttempt.state == seen)
        .values(state=new, **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise AttemptConflict(f"attempt {attempt.id} is no longer {seen.value}")
    db.session.expire(attempt)
    if new in ENDINGS:
        tasks.mark_after_commit(db.session, attempt.id)  # hand-in, time-out, termination
    return new


def device_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def holds_device(attempt: ExamAttempt, token: str | None) -> bool:
    """Whether ``token`` (the device cookie) is the one the attempt is bound to."""
    return (attempt.device_digest is not None and token is not None
            and hmac.compare_digest(attempt.device_digest, device_digest(token)))


# -- check-in and start -------------------------------------------------------------


def codes_match(expected: str, given: str) -> bool:
    """Access codes compare case- and space-insensitively, in constant time."""
    clean = "".join((given or "").split()).upper()
    return hmac.compare_digest(expected.upper().encode(), clean.encode())


def check_in(attempt: ExamAttempt, code: str, now: datetime) -> AttemptState:
    """The candidate enters the session's access code.

    Unproctored and online sessions admit at once (the photo comparison is left
    to the review); at a test centre the candidate waits for the proctor.
    """
    session = attempt.session
    early = timedelta(minutes=current_app.config["EXAM_CHECK_IN_EARLY_MINUTES"])
    if attempt.state != S.REGISTERED:
        raise AttemptRefused("not_registered")
    if now < session.starts_at - early:
        raise AttemptRefused("too_early", opens=session.starts_at - early)
    if now >= session.ends_at:
        raise AttemptRefused("session_over")
    if not codes_match(session.access_code, code):
        raise AttemptRefused("wrong_code")
    if session.mode == ProctoringMode.CENTRE:
        db.session.execute(sa.update(ExamAttempt).where(
            ExamAttempt.id == attempt.id, ExamAttempt.state == S.REGISTERED)
            .values(checked_in_at=now).execution_options(synchronize_session=False))
        db.session.expire(attempt)
        return S.REGISTERED
    return apply(attempt, E.ADMIT, checked_in_at=now, admitted_at=now)


def admit(attempt: ExamAttempt, proctor, now: datetime) -> None:
    apply(attempt, E.ADMIT, admitted_at=now, admitted_by_id=proctor.id)
    audit.record("exam_attempt.admitted", actor=proctor, obj=attempt)


def reject(attempt: ExamAttempt, proctor, reason: str) -> None:
    if not reason.strip():
        raise AttemptRefused("reason_required")
    apply(attempt, E.REJECT, reason=reason.strip()[:500])
    audit.record("exam_attempt.rejected", actor=proctor, obj=attempt,
                 after={"reason": reason.strip()[:500]})


def cancel(attempt: ExamAttempt, actor=None) -> None:
    apply(attempt, E.CANCEL)
    audit.record("exam_attempt.cancelled", actor=actor, obj=attempt)


def allowance_seconds(exam: Exam, user_id: int) -> int:
    """Extra time from the candidate's accommodation (exam-specific wins over general)."""
    rows = db.session.scalars(sa.select(Accommodation).where(
        Accommodation.user_id == user_id,
        sa.or_(Accommodation.exam_id == exam.id, Accommodation.exam_id.is_(None))))
    chosen = sorted(rows, key=lambda a: a.exam_id is None)
    if not chosen:
        return 0
    accommodation = chosen[0]
    return (exam.duration_minutes * 60 * accommodation.extra_percent // 100
            + accommodation.extra_minutes * 60)


def start(attempt: ExamAttempt, now: datetime, *, ip: str | None = None,
          agent: str | None = None) -> str:
    """Assemble and freeze the paper, start the clock; returns the device token.

    The token goes to the browser as a cookie; only that device may answer
    until a proctor unlocks another.
    """
    exam, session = attempt.exam, attempt.session
    if attempt.state != S.ADMITTED:
        transition(attempt.state, E.START)  # raises the precise IllegalTransition
    if now < session.starts_at:
        raise AttemptRefused("not_started", starts=session.starts_at)
    if now >= session.ends_at:
        raise AttemptRefused("session_over")
    pool, specs = blueprints.pool_for(exam)
    paper = assembly.assemble(blueprints.sections_of(exam), pool, attempt.seed, specs=specs,
                              shuffle_items=exam.shuffle_items)
    frozen = paper.to_dict()
    frozen["rules"] = {"navigation": exam.navigation.value, "layout": exam.layout.value,
                       "shuffle_options": exam.shuffle_options,
                       "min_percent": {s.get("key"): s.get("min_percent")
                                       for s in exam.sections if s.get("min_percent")}}
    token = secrets.token_urlsafe(32)
    duration = exam.duration_minutes * 60
    allowance = allowance_seconds(exam, attempt.user_id)
    apply(attempt, E.START, paper=frozen, item_count=len(paper.items),
          sequential=exam.navigation == Navigation.SEQUENTIAL,
          max_score=paper.max_score, pass_percent=exam.pass_percent,
          duration_seconds=duration, allowance_seconds=allowance, started_at=now,
          deadline_at=now + timedelta(seconds=duration + allowance),
          device_digest=device_digest(token), ip=ip, user_agent=(agent or "")[:300] or None)
    return token


# -- autosave ---------------------------------------------------------------------


@dataclass(frozen=True)
class Save:
    slot: int
    sequence: int
    #: the item's form fields as the page posts them: name → [values]
    response: dict


class BadSave(ValueError):
    """A save is malformed; ``index`` is its position in the request."""

    def __init__(self, index: int, code: str):
        super().__init__(f"save {index}: {code}")
        self.index, self.code = index, code


def parse_saves(raw: object, item_count: int) -> list[Save]:
    """The saves of a request body's ``saves`` list; `BadSave` on the first bad one."""
    if not isinstance(raw, list) or len(raw) > MAX_SAVES_PER_REQUEST:
        raise BadSave(0, "not_a_list")
    saves = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise BadSave(index, "not_an_object")
        slot, sequence, response = entry.get("slot"), entry.get("seq"), entry.get("response")
        if not (isinstance(slot, int) and not isinstance(slot, bool) and 0 <= slot < item_count):
            raise BadSave(index, "slot")
        if not (isinstance(sequence, int) and not isinstance(sequence, bool)
                and 0 < sequence <= FORM_SEQUENCE):
            raise BadSave(index, "seq")
        if not _valid_fields(response):
            raise BadSave(index, "response")
        saves.append(Save(slot, sequence, response))
    return saves


def _valid_fields(response: object) -> bool:
    return (isinstance(response, dict) and len(response) <= MAX_FIELDS_PER_SLOT
            and all(isinstance(name, str) and len(name) <= 64 and isinstance(values, list)
                    and len(values) <= 30
                    and all(isinstance(v, str) and len(v) <= MAX_VALUE_LENGTH for v in values)
                    for name, values in response.items()))


def _newest_per_slot(saves: Iterable[Save]) -> list[Save]:
    newest: dict[int, Save] = {}
    for save in saves:
        if save.slot not in newest or save.sequence > newest[save.slot].sequence:
            newest[save.slot] = save
    return [newest[slot] for slot in sorted(newest)]


@dataclass(frozen=True)
class Stale:
    """A save that did not replace the slot's answer: the server holds ``current``,
    a higher sequence (or the same one with another answer) from another tab — or,
    ``closed``, the exam is sequential and a later question already has an answer."""

    slot: int
    seq: int
    current: int
    closed: bool = False


#: what the checks of a save or a hand-in rely on: any change to the attempt's state,
#: device, sequential progress or deadline shows in one of these
_DECIDING_COLUMNS = ("state", "device_digest", "furthest_slot", "deadline_at")


def hold(attempt: ExamAttempt) -> None:
    """Hold the attempt until the commit, so a check of its state and the write that
    relies on it cannot be split by another request (ASVS 15.4.2).

    PostgreSQL: a no-op, the attempt's query said ``FOR UPDATE``. SQLite has no row
    locks: take the database's write lock, then read again what the checks rely on
    (the whole attempt again if that changed since it was loaded). The autosave does
    without: its upsert checks the attempt itself (`_upsert`).
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    if _changed_since_read(attempt):
        db.session.refresh(attempt)


def _changed_since_read(attempt: ExamAttempt) -> bool:
    held = db.session.execute(_deciding_query(), {"attempt_id": attempt.id}).one()
    return tuple(held) != _as_read(attempt)


def _as_read(attempt: ExamAttempt) -> tuple:
    return tuple(getattr(attempt, column) for column in _DECIDING_COLUMNS)


@lru_cache(maxsize=1)
def _deciding_query() -> sa.Select:
    return sa.select(*(getattr(ExamAttempt, column) for column in _DECIDING_COLUMNS)).where(
        ExamAttempt.id == sa.bindparam("attempt_id"))


def _upsert(attempt: ExamAttempt, saves: list[Save], now: datetime) -> set[int]:
    """One statement: insert each slot's answer, or replace it if the sequence is
    higher, provided the attempt is still as it was read (`_DECIDING_COLUMNS`).

    Returns the slots written. The check in the statement is what makes the autosave
    safe on SQLite, whose write lock this statement takes and the commit releases:
    taken before the attempt was read (`hold`), it was held through the read and the
    checks too, and writers queued behind it sleep in SQLite's busy handler — the
    autosave's throughput. On PostgreSQL the attempt is held ``FOR UPDATE`` anyway.
    """
    if not saves:
        return set()
    params = {"attempt_id": attempt.id, "saved_at": now}
    params.update(zip(_DECIDING_COLUMNS, _as_read(attempt), strict=True))
    for n, save in enumerate(saves):
        params.update({f"slot_{n}": save.slot, f"sequence_{n}": save.sequence,
                       f"response_{n}": save.response})
    statement = _upsert_statement(db.session.get_bind().dialect.name, len(saves))
    return set(db.session.scalars(statement, params))


@lru_cache(maxsize=16)
def _upsert_statement(dialect: str, rows: int):
    """``INSERT … SELECT`` the ``rows`` saves ``WHERE EXISTS`` the attempt as read,
    ``ON CONFLICT`` keeping the higher sequence. Built once per shape, with the values
    as parameters, so SQLAlchemy compiles it once per process: building it per request
    cost more than the database (bench/README.md)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table, attempt = ExamAnswer.__table__, ExamAttempt.__table__  # Core: the ORM would
    # run the statement once per row
    saves = [sa.select(*(sa.bindparam(f"{column}_{n}", type_=table.c[column].type)
                         .label(column) for column in ("slot", "sequence", "response")))
             for n in range(rows)]
    saves = (saves[0] if rows == 1 else sa.union_all(*saves)).subquery("saves")
    as_read = sa.exists().where(attempt.c.id == sa.bindparam("attempt_id"), *(
        attempt.c[column].is_not_distinct_from(
            sa.bindparam(column, type_=attempt.c[column].type))
        for column in _DECIDING_COLUMNS))
    statement = insert(table).from_select(
        ["attempt_id", "slot", "sequence", "response", "saved_at"],
        sa.select(sa.bindparam("attempt_id", type_=table.c.attempt_id.type), *saves.c,
                  sa.bindparam("saved_at", type_=table.c.saved_at.type)).where(as_read))
    return statement.on_conflict_do_update(
        index_elements=[table.c.attempt_id, table.c.slot],
        set_={"sequence": statement.excluded.sequence, "response": statement.excluded.response,
              "saved_at": statement.excluded.saved_at},
        where=table.c.sequence < statement.excluded.sequence).returning(table.c.slot)


def check_deadline(attempt: ExamAttempt, now: datetime) -> bool:
    """Time the attempt out if its deadline and grace have passed; True if it did.

    Called on every request that touches an attempt, and by the sweep, so an
    attempt ends on time whether or not the browser is there.
    """
    if attempt.state != S.IN_PROGRESS or not timing.is_overdue(clock_of(attempt), now,
                                                               grace=grace()):
        return False
    try:
        apply(attempt, E.TIME_OUT, finished_at=timing.deadline(clock_of(attempt), now))
    except (AttemptConflict, IllegalTransition):
        return False
    audit.record("exam_attempt.timed_out", obj=attempt)
    db.session.commit()
    return True


def save_answers(attempt: ExamAttempt, device_token: str | None, saves: list[Save],
                 now: datetime) -> list[Stale]:
    """Store ``saves`` (already parsed) if the attempt accepts answers now; the
    saves that did not take effect because the server holds a newer answer.

    Statements: none beyond the one upsert — the caller has loaded the attempt, on
    PostgreSQL ``FOR UPDATE`` — unless a save did not take effect (two more) or, in a
    sequential exam, the candidate moved on to a later question (the attempt's
    ``furthest_slot``, one UPDATE); the caller commits once.

    :raises AttemptRefused: ``finished``, ``paused``, ``not_started``, ``other_device``
        or ``time_up``.
    """
    if attempt.state in (S.PAUSED,):
        raise AttemptRefused("paused")
    if attempt.state != S.IN_PROGRESS:
        raise AttemptRefused("not_started" if attempt.state in (S.REGISTERED, S.ADMITTED)
                             else "finished")
    if not holds_device(attempt, device_token):
        raise AttemptRefused("other_device")
    if not timing.accepts_answer(clock_of(attempt), now, grace=grace()):
        raise AttemptRefused("time_up")
    now = not_before_start(attempt, now)
    newest = _newest_per_slot(saves)
    closed = []
    if attempt.sequential:  # no going back: the server keeps the rule, not only the page
        closed = [Stale(s.slot, s.sequence, -1, closed=True) for s in newest
                  if s.slot < attempt.furthest_slot]
        newest = [s for s in newest if s.slot >= attempt.furthest_slot]
    written = _upsert(attempt, newest, now)
    missed = [s for s in newest if s.slot not in written]
    if missed and _changed_since_read(attempt):
        # SQLite's upsert refused: the attempt changed since it was read (paused,
        # handed in, moved on …). Its statement took the write lock, so the attempt
        # read now stays as it is: the checks again, and the upsert succeeds or the
        # saves are refused.
        db.session.refresh(attempt)
        return save_answers(attempt, device_token, saves, now)
    furthest = max((s.slot for s in newest), default=0)
    if attempt.sequential and furthest > attempt.furthest_slot:
        attempt.furthest_slot = furthest  # one UPDATE at the commit, under the upsert's lock
    if not missed:
        return closed
    held = {slot: (sequence, response) for slot, sequence, response in db.session.execute(
        sa.select(ExamAnswer.slot, ExamAnswer.sequence, ExamAnswer.response).where(
            ExamAnswer.attempt_id == attempt.id,
            ExamAnswer.slot.in_([s.slot for s in missed])))}
    # a retry of what the server holds is no conflict
    return closed + [Stale(s.slot, s.sequence, held[s.slot][0]) for s in missed
                     if held[s.slot] != (s.sequence, s.response)]


def submit(attempt: ExamAttempt, device_token: str | None, saves: list[Save],
           now: datetime) -> bool:
    """Store the last saves and close the attempt; False if it was already closed.

    Idempotent: a second submit (double click, retry after a lost response)
    finds the attempt finished and changes nothing.
    """
    if attempt.state == S.PAUSED:
        raise AttemptRefused("paused")  # the clock stands still; hand in after the resume
    if attempt.state != S.IN_PROGRESS:
        if attempt.state in (S.REGISTERED, S.ADMITTED, S.REJECTED, S.CANCELLED):
            raise AttemptRefused("not_started")
        return False
    if check_deadline(attempt, now):
        return False
    if attempt.state != S.IN_PROGRESS:  # paused, or closed by the sweep or a proctor meanwhile
        if attempt.state == S.PAUSED:
            raise AttemptRefused("paused")
        return False
    if saves:
        save_answers(attempt, device_token, saves, now)
    elif not holds_device(attempt, device_token):
        raise AttemptRefused("other_device")
    try:
        apply(attempt, E.SUBMIT, finished_at=not_before_start(attempt, now))
    except AttemptConflict:
        return False
    audit.record("exam_attempt.submitted", actor=attempt.user, obj=attempt)
    _queue_receipt(attempt, now)
    return True


def _queue_receipt(attempt: ExamAttempt, now: datetime) -> None:
    """Mail the candidate a receipt, in the submit's own transaction: it is sent after
    the commit, and waits in the outbox (retried) while mail is down — the hand-in
    never depends on the mail server (RELIABILITY.md F17)."""
    user = attempt.user
    answered = sum(is_answered(a.response) for a in answers_of(attempt.id).values())
    queue_mail("exam_submitted", user.email, locale=user.locale, user=user, exam=attempt.exam,
               submitted_at=now, answered=answered, total=attempt.item_count)


# -- the proctor's actions -------------------------------------------------------------


def pause(attempt: ExamAttempt, proctor, now: datetime) -> None:
    apply(attempt, E.PAUSE, paused_at=now)
    audit.record("exam_attempt.paused", actor=proctor, obj=attempt)


def resume(attempt: ExamAttempt, proctor, now: datetime) -> None:
    paused = int((now - attempt.paused_at).total_seconds()) if attempt.paused_at else 0
    total = attempt.paused_seconds + max(paused, 0)
    apply(attempt, E.RESUME, paused_at=None, paused_seconds=total,
          deadline_at=_deadline_after(attempt, now, paused_seconds=total, paused_at=None))
    audit.record("exam_attempt.resumed", actor=proctor, obj=attempt,
                 after={"paused_seconds": paused})


def extend(attempt: ExamAttempt, proctor, minutes: int, now: datetime) -> None:
    """Add time to a running or paused attempt (in one guarded UPDATE)."""
    if not 1 <= minutes <= 600:
        raise AttemptRefused("minutes")
    if attempt.state not in (S.IN_PROGRESS, S.PAUSED):
        raise AttemptRefused("finished")
    total = attempt.extension_seconds + minutes * 60
    result = db.session.execute(
        sa.update(ExamAttempt)
        .where(ExamAttempt.id == attempt.id, ExamAttempt.state == attempt.state,
               ExamAttempt.extension_seconds == attempt.extension_seconds)
        .values(extension_seconds=total,
                deadline_at=_deadline_after(attempt, now, extension_seconds=total))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise AttemptConflict(f"attempt {attempt.id} changed")
    db.session.expire(attempt)
    audit.record("exam_attempt.extended", actor=proctor, obj=attempt,
                 after={"minutes": minutes})


def terminate(attempt: ExamAttempt, proctor, reason: str, now: datetime) -> None:
    if not reason.strip():
        raise AttemptRefused("reason_required")
    apply(attempt, E.TERMINATE, finished_at=not_before_start(attempt, now),
          reason=reason.strip()[:500])
    audit.record("exam_attempt.terminated", actor=proctor, obj=attempt,
                 after={"reason": reason.strip()[:500]})


def unlock_device(attempt: ExamAttempt, proctor) -> None:
    """Let the next device that opens the attempt take it over (the old one stops)."""
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id)
                       .values(device_digest=None).execution_options(synchronize_session=False))
    db.session.expire(attempt)
    audit.record("exam_attempt.device_unlocked", actor=proctor, obj=attempt)


def claim_device(attempt: ExamAttempt) -> str | None:
    """A new device token if the attempt is unlocked (no device holds it), else None."""
    if attempt.device_digest is not None or attempt.state not in (S.IN_PROGRESS, S.PAUSED):
        return None
    token = secrets.token_urlsafe(32)
    result = db.session.execute(
        sa.update(ExamAttempt)
        .where(ExamAttempt.id == attempt.id, ExamAttempt.device_digest.is_(None))
        .values(device_digest=device_digest(token))
        .execution_options(synchronize_session=False))
    db.session.expire(attempt)
    return token if result.rowcount == 1 else None


# -- the sweep -----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    timed_out: int
    cancelled: int
    marked: int = 0


def sweep(now: datetime | None = None) -> SweepResult:
    """Time out every overdue attempt and cancel bookings whose session is over.

    Idempotent and safe to run from several workers at once: each change is a
    guarded UPDATE, so an attempt is finalised once.
    """
    now = now or utcnow()
    margin = now - grace()
    overdue = db.session.scalars(sa.select(ExamAttempt).where(
        ExamAttempt.state == S.IN_PROGRESS, ExamAttempt.deadline_at < margin)).all()
    timed_out = sum(_time_out_alone(attempt, now) for attempt in overdue)
    stale = db.session.scalars(
        sa.select(ExamAttempt).join(ExamSession, ExamSession.id == ExamAttempt.session_id)
        .where(ExamAttempt.state.in_([S.REGISTERED, S.ADMITTED]), ExamSession.ends_at <= now)
    ).all()
    cancelled = 0
    for attempt in stale:
        try:
            cancel(attempt)
            db.session.commit()
            cancelled += 1
        except (AttemptConflict, IllegalTransition):
            db.session.rollback()
    return SweepResult(timed_out, cancelled, _mark_left_over(now))


def _time_out_alone(attempt: ExamAttempt, now: datetime) -> bool:
    """`check_deadline` for the sweep: one corrupt attempt is logged and skipped, so
    it never keeps the others open (RELIABILITY.md F13, Moodle MDL-34351)."""
    attempt_id = attempt.id
    try:
        return check_deadline(attempt, now)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("sweep: attempt %s cannot be timed out; skipped",
                                     attempt_id)
        return False


def _mark_left_over(now: datetime) -> int:
    """Mark finished attempts whose marking task was lost or failed (never raises)."""
    from lms.grading.marking import mark_pending  # grading builds on this module

    marked = 0
    if not current_app.config.get("GRADING_AUTO_MARK", True):
        return marked
    try:
        while batch := mark_pending(now=now):
            db.session.commit()
            marked += len(batch)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("marking left-over attempts failed; the next sweep retries")
    return marked


def answers_of(attempt_id: int) -> dict[int, ExamAnswer]:
    return {a.slot: a for a in db.session.scalars(
        sa.select(ExamAnswer).where(ExamAnswer.attempt_id == attempt_id))}
