"""Annual appraisals (年度考核): recording and correcting them, their evidence files, and
the rule that two consecutive "incompetent" years file a suspension review.

An officer whose scope holds the holder's organisation records one appraisal per holder
and year (`lms.permissions.can_appraise`); recording it again for the same year is a
correction, audited with what changed. Evidence files (PDF, JPEG, PNG; recognised by
their bytes) are kept once per SHA-256 under ``instance/appraisals/``. Services flush,
never commit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit import services as audit
from lms.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateStatus,
    RequestKind,
    RequestStatus,
)
from lms.courses import storage
from lms.domain.files import JPEG, MB, PDF, PNG, FileKind, sniff
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.retraining.models import Appraisal, AppraisalAttachment, AppraisalOutcome

EVIDENCE_KINDS = (PDF, JPEG, PNG)
EVIDENCE_MAX_BYTES = 10 * MB
PARTS = ("plan", "process", "results")
FIRST_YEAR = 2000


@dataclass(frozen=True)
class AppraisalInput:
    """What the officer enters: a score 0–100 and a comment per part, and the outcome."""

    year: int
    plan_score: int
    plan_comment: str
    process_score: int
    process_comment: str
    results_score: int
    results_comment: str
    outcome: AppraisalOutcome


def _checked(data: AppraisalInput, today: date) -> AppraisalInput:
    if not FIRST_YEAR <= data.year <= today.year:
        raise ValidationFailed("year", "range")
    for part in PARTS:
        score = getattr(data, f"{part}_score")
        if score is None or not 0 <= score <= 100:
            raise ValidationFailed(f"{part}_score", "range")
    try:
        outcome = AppraisalOutcome(data.outcome)
    except ValueError:
        raise ValidationFailed("outcome", "unknown") from None
    comments = {f"{p}_comment": (getattr(data, f"{p}_comment") or "").strip()[:4000]
                for p in PARTS}
    return AppraisalInput(**{**asdict(data), **comments, "outcome": outcome})


def _values(appraisal: Appraisal) -> dict:
    values = {f"{p}_{k}": getattr(appraisal, f"{p}_{k}") for p in PARTS
              for k in ("score", "comment")}
    return {**values, "outcome": appraisal.outcome.value}


def appraisal_of(holder: User, year: int) -> Appraisal | None:
    return db.session.scalar(sa.select(Appraisal).where(Appraisal.user_id == holder.id,
                                                        Appraisal.year == year))


def appraisals_of(holder: User) -> list[Appraisal]:
    """The holder's appraisals, latest year first, with their evidence loaded."""
    return list(db.session.scalars(
        sa.select(Appraisal).where(Appraisal.user_id == holder.id)
        .order_by(Appraisal.year.desc()).options(selectinload(Appraisal.attachments))))


def record(holder: User, data: AppraisalInput, officer: User, *, today: date
           ) -> tuple[Appraisal, list[CertificateRequest]]:
    """Record ``holder``'s appraisal for ``data.year``, or correct the one recorded.

    Returns the appraisal and the suspension reviews this filed (see
    `file_suspension_reviews`). The caller checks `can_appraise` first."""
    data = _checked(data, today)
    fields = {k: v for k, v in asdict(data).items() if k != "year"}
    appraisal = appraisal_of(holder, data.year)
    if appraisal is None:
        appraisal = Appraisal(user_id=holder.id, year=data.year, appraised_on=today,
                              recorded_by_id=officer.id, **fields)
        db.session.add(appraisal)
        try:
            # two officers recording the same year at once: the second one is told (no
            # savepoint: pysqlite would commit it on release; the caller rolls back)
            db.session.flush()
        except IntegrityError:
            raise ValidationFailed("year", "taken") from None
        audit.record("appraisal.recorded", actor=officer, obj=appraisal,
                     after={"user": holder.id, "year": data.year, **_values(appraisal)})
    else:
        before = _values(appraisal)
        for key, value in fields.items():
            setattr(appraisal, key, value)
        appraisal.appraised_on, appraisal.recorded_by_id = today, officer.id
        db.session.flush()
        was, now = audit.changes(before, _values(appraisal))
        audit.record("appraisal.corrected", actor=officer, obj=appraisal,
                     before={"user": holder.id, "year": data.year, **was}, after=now)
    return appraisal, file_suspension_reviews(holder, data.year, officer)


def consecutive_incompetent(holder: User, year: int) -> tuple[int, int] | None:
    """The two consecutive years, ``year`` one of them, appraised "incompetent"."""
    bad = set(db.session.scalars(
        sa.select(Appraisal.year).where(Appraisal.user_id == holder.id,
                                        Appraisal.year.between(year - 1, year + 1),
                                        Appraisal.outcome == AppraisalOutcome.INCOMPETENT)))
    if year not in bad:
        return None
    if year - 1 in bad:
        return year - 1, year
    if year + 1 in bad:
        return year, year + 1
    return None


def file_suspension_reviews(holder: User, year: int, officer: User
                            ) -> list[CertificateRequest]:
    """When ``year`` and the year next to it are both "incompetent", file a suspension
    review in the approval queue for each active certificate of the holder (once: a
    certificate with a review already pending gets no second one)."""
    years = consecutive_incompetent(holder, year)
    if years is None:
        return []
    pending = sa.select(CertificateRequest.certificate_id).where(
        CertificateRequest.kind == RequestKind.SUSPEND,
        CertificateRequest.status == RequestStatus.PENDING,
        CertificateRequest.certificate_id.is_not(None))
    certificates = db.session.scalars(
        sa.select(Certificate).where(Certificate.holder_id == holder.id,
                                     Certificate.status == CertificateStatus.ACTIVE,
                                     Certificate.id.not_in(pending))
        .order_by(Certificate.id)).all()
    # stored text (the queue, then the holder's suspension mail): the platform's language
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = _("Annual appraisals of %(first)s and %(second)s: incompetent both years.",
                   first=years[0], second=years[1])
    filed = []
    for certificate in certificates:
        request = CertificateRequest(
            kind=RequestKind.SUSPEND, holder_id=holder.id,
            qualification_id=certificate.qualification_id, level_id=certificate.level_id,
            certificate=certificate, reason=reason,
            evidence={"appraisal_years": list(years)})
        db.session.add(request)
        filed.append(request)
    db.session.flush()
    for request in filed:
        audit.record("certificate.suspension_review_filed", actor=officer,
                     obj=request.certificate, after={"request": request.id,
                                                     "years": list(years)})
    return filed


# -- evidence --------------------------------------------------------------------------------


def evidence_root() -> Path:
    return Path(current_app.instance_path) / "appraisals"


def evidence_path(sha256: str) -> Path:
    return storage.path_for(sha256, evidence_root())


def check_evidence(data: bytes) -> FileKind:
    """The kind of an evidence file, or `ValidationFailed` (type not allowed, too large,
    empty)."""
    kind = sniff(data[:16])
    if kind not in EVIDENCE_KINDS:
        raise ValidationFailed("file", "file_type")
    if len(data) > EVIDENCE_MAX_BYTES:
        raise ValidationFailed("file", "file_too_large", max_mb=EVIDENCE_MAX_BYTES // MB)
    return kind


def _store(data: bytes) -> str:
    return storage.store(data, evidence_root())


def attach(appraisal: Appraisal, filename: str, data: bytes, officer: User
           ) -> AppraisalAttachment:
    """Add an evidence file to ``appraisal`` (its type sniffed from the bytes)."""
    kind = check_evidence(data)
    name = Path((filename or "").replace("\\", "/")).name.strip()[:150] or "evidence"
    if not name.lower().endswith(kind.extension) and not (
            kind is JPEG and name.lower().endswith(".jpeg")):
        name += kind.extension
    attachment = AppraisalAttachment(appraisal=appraisal, filename=name,
                                     sha256=_store(data), media_type=kind.content_type,
                                     size=len(data))
    db.session.add(attachment)
    db.session.flush()
    audit.record("appraisal.evidence_added", actor=officer, obj=appraisal,
                 after={"attachment": attachment.id, "filename": name,
                        "sha256": attachment.sha256})
    return attachment
