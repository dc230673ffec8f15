"""A certificate's artefacts: the PDF (stored encrypted in the instance folder, its
SHA-256 on the row) and the signed Open Badges 3.0 credential (on the row)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from cryptography.fernet import InvalidToken
from flask import current_app

from lms.accounts import personal_data
from lms.certificates.models import Certificate

log = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """``path`` on LMS_BASE_URL: links in mail, QR codes and credentials, also made
    outside a request (the worker, the tick)."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path}"


def verify_url(serial: str) -> str:
    return absolute_url(f"/verify/{serial}")


def holder_link() -> str:
    return absolute_url("/certificates/")


def pdf_dir() -> Path:
    path = Path(current_app.instance_path) / "certificates"
    path.mkdir(parents=True, exist_ok=True)
    return path


def produce(certificate: Certificate) -> None:
    """(Re)make the credential and the PDF of ``certificate`` — at issue and at renewal."""
    from lms.certificates.credentials import credential_for

    certificate.credential = credential_for(certificate)
    pdf = render_pdf(certificate)
    name = f"{certificate.serial}.pdf.enc"
    (pdf_dir() / name).write_bytes(personal_data.encrypt(pdf))
    certificate.pdf_file = name
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


def render_pdf(certificate: Certificate) -> bytes:
    from lms.certificates.pdf import CertificatePrint, render_certificate_pdf

    holder = certificate.holder
    photo = _photo(holder)
    qualification = certificate.qualification
    return render_certificate_pdf(CertificatePrint(
        holder_name=holder.real_name, photo=photo, qualification=qualification.title,
        level=certificate.level.title, serial=certificate.serial,
        issued_on=certificate.valid_from, expires_on=certificate.expires_on,
        issuer_name=qualification.organisation.name, verify_url=verify_url(certificate.serial),
        seal=qualification.seal))


def _photo(holder) -> bytes | None:
    """The holder's photo, or None when there is none or its file cannot be read (purged,
    or the encryption key changed): the certificate is then printed without it rather
    than a whole session's issuing failing on one file."""
    if not holder.photo_file:
        return None
    try:
        return personal_data.read_photo(holder.photo_file)
    except (OSError, InvalidToken):
        log.warning("photo of user %s unreadable; certificate printed without it", holder.id)
        return None


def read_pdf(certificate: Certificate) -> bytes | None:
    if not certificate.pdf_file:
        return None
    path = pdf_dir() / certificate.pdf_file
    return personal_data.decrypt(path.read_bytes()) if path.exists() else None

