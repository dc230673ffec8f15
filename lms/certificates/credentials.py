"""A certificate as the world sees it: its signed Open Badges 3.0 credential, the
signed status lists that say whether it was revoked or suspended, the issuer's DID
document, and the allowlisted view of the public verification page.

The credential names its holder only by a salted hash of the name (the JSON is
public at ``/api/v1/credentials/<serial>``; RELIABILITY C6). Status lists are built
from the certificate rows at request time; each process keeps the signed list it made
with a version stamp read from the database on every request (two aggregate queries),
so a revocation committed through any app process shows in every process's list at
once (tests/reliability/test_scale_out.py).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for

from lms import keys
from lms.certificates.artefacts import absolute_url, verify_url
from lms.certificates.issuance import STATUS_LIST_SIZE
from lms.certificates.models import Certificate, CertificateStatus
from lms.clock import utcnow
from lms.credentials import build, status_list
from lms.domain.identity import mask_holder_name
from lms.extensions import db
from lms.i18n import local_today, local_zone

#: validFrom of a list no certificate has changed yet
LISTS_SINCE = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
PURPOSES = {"revocation": CertificateStatus.REVOKED, "suspension": CertificateStatus.SUSPENDED}


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in China, when a certificate stops being valid."""
    return datetime.combine(day, time(23, 59, 59), local_zone())


def list_url(purpose: str, number: int) -> str:
    return absolute_url(f"/api/v1/status-lists/{purpose}-{number}")


def credential_for(certificate: Certificate) -> dict:
    """The signed OpenBadgeCredential of ``certificate`` (made again at renewal)."""
    qualification, level = certificate.qualification, certificate.level
    number, index = divmod(certificate.status_index, STATUS_LIST_SIZE)
    salt = secrets.token_hex(8)
    name = f"{qualification.title}（{level.title}）"
    evidence = certificate.evidence or {}
    doc = build.open_badge_credential(
        credential_id=absolute_url(f"/api/v1/credentials/{certificate.serial}"),
        issuer={"id": keys.issuer_did(current_app), "name": qualification.organisation.name,
                "url": current_app.config["BASE_URL"]},
        holder={"identifier": [{
            "type": "IdentityObject", "identityType": "name", "hashed": True, "salt": salt,
            "identityHash": "sha256$" + hashlib.sha256(
                (certificate.holder.real_name + salt).encode()).hexdigest()}]},
        achievement={
            "id": absolute_url(f"/qualifications/{qualification.code}/{level.code}"),
            "name": name, "achievementType": "Certification",
            "description": qualification.description or name,
            "criteria": {"narrative": _criteria(level)}},
        valid_from=certificate.issued_at, valid_until=end_of_day(certificate.expires_on),
        status=[status_list.status_entry(list_url(purpose, number), index, purpose)
                for purpose in PURPOSES],
        evidence=[{"id": verify_url(certificate.serial) + "#evidence",
                   "name": evidence["exam"],
                   "narrative": f"{evidence['exam']}（{evidence.get('finished_at', '')[:10]}）"}]
        if evidence.get("exam") else None,
        name=name)
    return keys.sign_credential(current_app, doc, created=utcnow())


def _criteria(level) -> str:
    parts = [f"考试成绩不低于{level.min_percent}%"]
    if level.max_percent is not None:
        parts[0] += f"且低于{level.max_percent}%"
    if level.required_courses:
        parts.append("完成课程：" + "、".join(level.required_courses))
    if level.require_integrity_clear:
        parts.append("考试诚信审核通过")
    return "；".join(parts) + "。"


# -- status lists -------------------------------------------------------------------------------

_cache: dict[str, tuple[tuple, dict]] = {}
_cache_lock = threading.Lock()


def status_list_document(list_id: str) -> dict | None:
    """The signed status list ``revocation-N`` / ``suspension-N``; None if there is none."""
    purpose, _, number_text = list_id.partition("-")
    if purpose not in PURPOSES or not (number_text.isascii() and number_text.isdigit()) \
            or len(number_text) > 6:
        return None
    number = int(number_text)
    low, high = number * STATUS_LIST_SIZE, (number + 1) * STATUS_LIST_SIZE
    in_list = sa.and_(Certificate.status_index >= low, Certificate.status_index < high)
    if number > 0 and not db.session.scalar(sa.select(sa.exists().where(in_list))):
        return None
    wanted = Certificate.status == PURPOSES[purpose]
    # what the list depends on: which certificates have the status, and since when
    counts = db.session.execute(
        sa.select(sa.func.count(Certificate.id), sa.func.max(Certificate.status_changed_at),
                  sa.func.sum(Certificate.status_index))
        .where(in_list, wanted)).one()
    # the list is what it is since the last change of any certificate in its range
    changed = db.session.scalar(sa.select(sa.func.max(Certificate.status_changed_at))
                                .where(in_list)) or LISTS_SINCE
    version = (*counts, changed, keys.issuer_did(current_app))
    with _cache_lock:
        cached = _cache.get(list_id)
    if cached and cached[0] == version:
        return cached[1]
    indices = [i - low for i in db.session.scalars(
        sa.select(Certificate.status_index).where(in_list, wanted))]
    since = changed.replace(microsecond=0)
    document = keys.sign_credential(current_app, status_list.status_list_credential(
        list_id=list_url(purpose, number), issuer=keys.issuer_did(current_app),
        purpose=purpose, indices=indices, valid_from=since, size=STATUS_LIST_SIZE),
        created=since)
    with _cache_lock:
        _cache[list_id] = (version, document)
    return document


def did_document() -> dict | None:
    if current_app.config.get("CREDENTIAL_ISSUER_DID", "web") != "web":
        return None
    return keys.did_document(current_app)


# -- the public verification page ---------------------------------------------------------------


@dataclass(frozen=True)
class PublicView:
    """Everything the verification page may show (C6: nothing else reaches it)."""

    serial: str
    verdict: str  # valid | expired | suspended | revoked
    holder: str  # masked: 张*明
    qualification: str
    level: str
    issuer: str
    valid_from: date
    expires_on: date
    changed_at: datetime | None  # when it was suspended or revoked
    photo_url: str | None
    credential_url: str
    has_pdf: bool


def verdict(certificate: Certificate, today: date | None = None) -> str:
    status = certificate.status
    if status == CertificateStatus.REVOKED:
        return "revoked"
    if status == CertificateStatus.SUSPENDED:
        return "suspended"
    if status == CertificateStatus.EXPIRED or certificate.expires_on < (today or local_today()):
        return "expired"
    return "valid"


def public_view(certificate: Certificate) -> PublicView:
    word = verdict(certificate)
    return PublicView(
        serial=certificate.serial, verdict=word,
        holder=mask_holder_name(certificate.holder.real_name),
        qualification=certificate.qualification.title, level=certificate.level.title,
        issuer=certificate.qualification.organisation.name,
        valid_from=certificate.valid_from, expires_on=certificate.expires_on,
        changed_at=certificate.status_changed_at if word in ("revoked", "suspended") else None,
        photo_url=url_for("verify.photo", serial=certificate.serial)
        if certificate.photo_public and certificate.holder.photo_file and word == "valid"
        else None,
        credential_url=url_for("verify.credential_json", serial=certificate.serial),
        has_pdf=bool(certificate.pdf_sha256))
