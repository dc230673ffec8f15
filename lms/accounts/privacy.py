"""A person's rights over their data (PIPL art. 44–47) and the retention of ID photos
(art. 19): export on request, erasure on request, and the daily photo purge.

**Export** (the person from their profile page, or an admin): a ZIP of ``data.json``
— profile, consents, roles, exam attempts with every saved answer, results, appeals,
certificates, credit hours, course enrolments, appraisals, webcam-picture metadata
and the audit entries about them or by them — plus their photo and certificate PDFs
as files. The ID number appears masked: the file may travel by e-mail, and the person
knows the number. Every export is audited.

**Erasure** (an admin, on the person's request) removes what identifies the person and
keeps what others rely on:

- erased: name (replaced by a placeholder), e-mail, mobile number, ID number (cipher
  text and digest), photo, webcam pictures (files; the row keeps time and hash), the
  certificate PDFs (they print name and photo), IP addresses and browser strings of
  attempts, consents and audit entries, the public-register entry, inbox messages,
  calendar feeds and mail to the address; the password and every role, so the person
  can no longer log in; earlier audit entries about the person lose the personal
  values they recorded (e-mail, name, mobile) — the one update audit rows ever get.
- kept, pseudonymous under the account's id: exam attempts with their answers
  (essays included: they are the graded evidence that results and issued
  certificates rest on, and appeals and regrades re-read them; they answer questions
  on union law, not about the person), results, appeals, certificates already issued
  (serial, level, dates, status — a verifier asking about a serial must still get a
  true answer; the PDF's SHA-256 stays, so a PDF the holder kept still verifies),
  the certificate ledger (a hash chain that names holders by id only), credit hours
  and appraisals (the organisation's records), consent records (proof of what was
  agreed, when). The audit trail of the erasure itself names the admin, the account
  id and the reason, and no deleted value.
- refused while an exam attempt is being sat; bookings not yet started are cancelled.

**ID photos** are kept while they serve identity checks at exams and a certificate the
holder shows publicly: the photo of a person who has not logged in, registered for or
sat an exam for ``ID_PHOTO_RETENTION_DAYS``, and who has no valid certificate showing
the photo, is deleted by the worker daily and by ``flask lms privacy purge-photos``
(as ``exams purge-snapshots`` does for webcam pictures).

**Candidates under 14** (art. 31: a guardian's consent): nothing here asks for one,
by decision. The platform serves trade-union cadres: union members are employees,
and the Labour Law (art. 15) forbids employing anyone under 16. So instead of a
guardian flow, an ID number showing an age under 14 is refused at registration and
on the profile (`lms.domain.identity.MIN_AGE`). Without an ID number nobody can book
an exam (the profile check of `lms.exams.registration`), so no exam is sat by a
person whose age is unknown.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified

from lms.accounts import personal_data
from lms.accounts.models import ConsentRecord, User
from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.errors import InvalidTransition
from lms.extensions import db

#: what the pages show where the erased person's name was
ERASED_NAME = "已删除用户"
REDACTED = "[erased]"
#: keys of audit ``before``/``after`` values that hold personal data
PERSONAL_KEYS = frozenset({"email", "real_name", "mobile", "id_number"})
#: columns never exported: secrets, file names, the exam's questions
NOT_EXPORTED = frozenset({"password_hash", "id_number_encrypted", "id_number_digest",
                          "photo_file", "device_digest", "paper", "seed", "pdf_file",
                          "file_name", "status_index", "session_generation"})


class ErasureRefused(InvalidTransition):
    """Erasure is not possible now; ``args[0]`` says why: yourself, erased, sitting."""


def is_erased(user: User) -> bool:
    return user.email.endswith("@erased.invalid")


# -- export ---------------------------------------------------------------------------------


def _plain(obj) -> dict:
    """The model's columns as JSON-ready values, less `NOT_EXPORTED`."""
    values = {}
    for column in sa.inspect(obj).mapper.column_attrs:
        if column.key in NOT_EXPORTED:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, bytes):
            continue
        elif value is not None and not isinstance(value, bool | int | float | str | list
                                                  | dict):
            value = str(value)
        values[column.key] = value
    return values


def _all(model, *where, order=None) -> list:
    query = sa.select(model).where(*where)
    if order is not None:
        query = query.order_by(order)
    return list(db.session.scalars(query))


def export_data(user: User) -> dict:
    """Everything the platform holds about ``user``, as one JSON-ready dict."""
    from lms.accounts.services import masked_id_number
    from lms.certificates.models import Certificate
    from lms.courses.models import CreditEntry, Enrollment
    from lms.exams.models import ExamAnswer, ExamAttempt, Snapshot
    from lms.grading.models import ExamAppeal, ExamResult
    from lms.retraining.models import Appraisal

    attempt_rows = _all(ExamAttempt, ExamAttempt.user_id == user.id, order=ExamAttempt.id)
    ids = [a.id for a in attempt_rows]
    answers: dict[int, list] = {}
    for answer in _all(ExamAnswer, ExamAnswer.attempt_id.in_(ids), order=ExamAnswer.slot):
        answers.setdefault(answer.attempt_id, []).append(_plain(answer))
    results = {r.attempt_id: _plain(r) for r in _all(ExamResult, ExamResult.attempt_id.in_(ids))}
    profile = _plain(user) | {
        "id_number": masked_id_number(user) or None,
        "photo": bool(user.photo_file),
        "organisation": user.organisation.name if user.organisation else None,
    }
    return {
        "generated_at": utcnow().isoformat(),
        "profile": profile,
        "roles": [{"role": a.role.value, "organisation": a.organisation.name
                   if a.organisation else None} for a in user.role_assignments],
        "consents": [_plain(c) for c in _all(ConsentRecord, ConsentRecord.user_id == user.id,
                                             order=ConsentRecord.id)],
        "exam_attempts": [_plain(a) | {"exam": a.exam.title, "answers": answers.get(a.id, []),
                                       "result": results.get(a.id)} for a in attempt_rows],
        "appeals": [_plain(a) for a in _all(ExamAppeal, ExamAppeal.attempt_id.in_(ids))],
        "webcam_pictures": [_plain(s) for s in _all(Snapshot, Snapshot.attempt_id.in_(ids),
                                                    order=Snapshot.id)],
        "certificates": [_plain(c) | {"qualification": c.qualification.title,
                                      "level": c.level.title}
                         for c in _all(Certificate, Certificate.holder_id == user.id,
                                       order=Certificate.id)],
        "credit_hours": [_plain(c) for c in _all(CreditEntry, CreditEntry.user_id == user.id,
                                                 order=CreditEntry.id)],
        "course_enrolments": [_plain(e) for e in _all(Enrollment, Enrollment.user_id == user.id)],
        "appraisals": [_plain(a) for a in _all(Appraisal, Appraisal.user_id == user.id)],
        "audit_entries": [_plain(e) for e in _all(
            AuditEntry, sa.or_(AuditEntry.actor_id == user.id,
                               sa.and_(AuditEntry.object_type == "users",
                                       AuditEntry.object_id == str(user.id))),
            order=AuditEntry.id)],
    }


def export_zip(user: User, *, actor: User | None) -> bytes:
    """The export as a ZIP (``data.json``, ``photo.jpg``, ``certificates/<serial>.pdf``);
    audited with who asked for it (``None``: an operator at the command line)."""
    from lms.certificates.artefacts import read_pdf
    from lms.certificates.models import Certificate

    data = export_data(user)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        if user.photo_file:
            archive.writestr("photo.jpg", personal_data.read_photo(user.photo_file))
        for certificate in _all(Certificate, Certificate.holder_id == user.id):
            pdf = read_pdf(certificate)
            if pdf:
                archive.writestr(f"certificates/{certificate.serial}.pdf", pdf)
    audit.record("user.data_exported", actor=actor, obj=user,
                 after={"by": "operator" if actor is None else
                        "self" if actor.id == user.id else "admin"})
    return out.getvalue()


def download(data: bytes, user: User):
    """The export as a file download that no cache keeps."""
    from flask import send_file

    response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=f"personal-data-{user.id}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- erasure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    files_deleted: int
    audit_entries_redacted: int
    bookings_cancelled: int


def erase(user: User, *, actor: User | None, reason: str) -> Erasure:
    """Erase ``user``'s personal data as the module docstring lays down (flushes; the
    caller commits, then the files are already gone: a file cannot wait for a commit,
    and one deleted for a rolled-back erasure is what the person asked for anyway).

    :raises ErasureRefused: ``yourself`` (the actor is the user), ``erased`` (already) or
        ``sitting`` (an attempt is being sat).
    """
    from lms.exams import attempts as attempt_services
    from lms.exams.models import AttemptState, ExamAttempt

    if actor is not None and actor.id == user.id:
        raise ErasureRefused("yourself")
    if is_erased(user):
        raise ErasureRefused("erased")
    own_attempts = _all(ExamAttempt, ExamAttempt.user_id == user.id)
    if any(a.state in (AttemptState.ADMITTED, AttemptState.IN_PROGRESS, AttemptState.PAUSED)
           for a in own_attempts):
        raise ErasureRefused("sitting")
    cancelled = 0
    for attempt in own_attempts:
        if attempt.state == AttemptState.REGISTERED:
            attempt_services.cancel(attempt, actor)
            cancelled += 1
    now = utcnow()
    files = _erase_files(user, [a.id for a in own_attempts], now)
    _erase_records(user, [a.id for a in own_attempts], now)
    redacted = _redact_audit(user)
    _erase_profile(user)
    audit.record("user.erased", actor=actor, obj=user, after={
        "reason": reason.strip()[:200], "files_deleted": files,
        "audit_entries_redacted": redacted, "bookings_cancelled": cancelled})
    db.session.flush()
    return Erasure(files, redacted, cancelled)


def _erase_files(user: User, attempt_ids: list[int], now: datetime) -> int:
    from lms.certificates.artefacts import pdf_dir
    from lms.certificates.models import Certificate
    from lms.exams.integrity import snapshot_dir
    from lms.exams.models import Snapshot

    count = 0
    if user.photo_file:
        personal_data.delete_photo(user.photo_file)
        user.photo_file = None
        count += 1
    for snapshot in _all(Snapshot, Snapshot.attempt_id.in_(attempt_ids),
                         Snapshot.file_name.is_not(None)):
        (snapshot_dir() / snapshot.file_name).unlink(missing_ok=True)
        snapshot.file_name, snapshot.purged_at = None, now
        count += 1
    for certificate in _all(Certificate, Certificate.holder_id == user.id,
                            Certificate.pdf_file.is_not(None)):
        (pdf_dir() / certificate.pdf_file).unlink(missing_ok=True)
        certificate.pdf_file = None
        certificate.photo_public = False
        count += 1
    return count


def _erase_records(user: User, attempt_ids: list[int], now: datetime) -> None:
    from lms.certificates.models import RegisterEntry
    from lms.exams.models import ExamAttempt, IntegrityEvent
    from lms.notifications.models import OutboxMessage
    from lms.retraining.models import CalendarToken, InboxMessage

    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.user_id == user.id)
                       .values(ip=None, user_agent=None, device_digest=None))
    # address and browser changes record the old and new values
    db.session.execute(sa.update(IntegrityEvent).where(
        IntegrityEvent.attempt_id.in_(attempt_ids), IntegrityEvent.kind.in_(
            ("ip_change", "agent_change"))).values(detail={}))
    db.session.execute(sa.update(ConsentRecord).where(ConsentRecord.user_id == user.id)
                       .values(ip=None))
    db.session.execute(sa.update(ConsentRecord).where(
        ConsentRecord.user_id == user.id, ConsentRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=now))
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.actor_id == user.id)
                       .values(ip=None))
    for model in (RegisterEntry, InboxMessage, CalendarToken):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.to_address == user.email))


def _redact_audit(user: User) -> int:
    entries = _all(AuditEntry, AuditEntry.object_type == "users",
                   AuditEntry.object_id == str(user.id))
    count = 0
    for entry in entries:
        changed = False
        for field in ("before", "after"):
            values = getattr(entry, field)
            if values and PERSONAL_KEYS & values.keys():
                setattr(entry, field, {k: REDACTED if k in PERSONAL_KEYS else v
                                       for k, v in values.items()})
                flag_modified(entry, field)
                changed = True
        count += changed
    return count


def _erase_profile(user: User) -> None:
    user.real_name = ERASED_NAME
    user.email = f"erased-{user.id}@erased.invalid"
    user.mobile = None
    user.id_number_encrypted = user.id_number_digest = None
    user.password_hash = "!erased"  # noqa: S105 - matches no password
    user.active = False
    user.locale = None
    user.session_generation += 1
    user.role_assignments.clear()


# -- retention ------------------------------------------------------------------------------


def purge_id_photos(now: datetime, retention_days: int) -> int:
    """Delete the ID photos no longer needed (see the module docstring); returns how many."""
    from lms.certificates.models import Certificate, CertificateStatus
    from lms.exams.models import OPEN_STATES, ExamAttempt

    cutoff = now - timedelta(days=retention_days)
    recent_exam = sa.exists().where(ExamAttempt.user_id == User.id, sa.or_(
        ExamAttempt.registered_at >= cutoff, ExamAttempt.finished_at >= cutoff,
        ExamAttempt.state.in_(OPEN_STATES)))
    shown = sa.exists().where(Certificate.holder_id == User.id, Certificate.photo_public,
                              Certificate.status == CertificateStatus.ACTIVE)
    stale = _all(User, User.photo_file.is_not(None), User.created_at < cutoff,
                 sa.or_(User.last_login_at.is_(None), User.last_login_at < cutoff),
                 ~recent_exam, ~shown)
    for user in stale:
        personal_data.delete_photo(user.photo_file)
        user.photo_file = None
    if stale:
        audit.record("user.photos_purged", object_type="users",
                     after={"count": len(stale), "before": cutoff.isoformat()})
    return len(stale)
