"""The public register of qualified cadres (人才库): holders opt in with a region, their
specialities and a short profile; federations and the public search it. An entry shows
only while its holder has a valid certificate, and revocation or expiry of the last
one removes it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.certificates.models import (
    Certificate,
    CertificateStatus,
    QualificationLevel,
    RegisterEntry,
)
from lms.domain.identity import mask_holder_name, search_text
from lms.extensions import db

PAGE_SIZE = 20


@dataclass(frozen=True)
class Search:
    q: str = ""
    level: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Search:
        page = args.get("page", 1, type=int) or 1
        return cls(search_text(args.get("q"), 50), search_text(args.get("level"), 32),
                   max(page, 1))


@dataclass(frozen=True)
class Listing:
    name: str
    region: str
    specialities: str
    profile: str
    certificates: list  # [(qualification title, level title, serial)]


@dataclass(frozen=True)
class Page:
    rows: list[Listing]
    more: bool
    page: int


def _valid(query):
    """Valid today: active and not past its expiry (whether or not the daily tick has
    marked it expired yet)."""
    from lms.i18n import local_today

    return query.where(Certificate.status == CertificateStatus.ACTIVE,
                       Certificate.expires_on >= local_today())


def search(s: Search) -> Page:
    """Listed holders with a valid certificate matching ``s``: two queries."""
    holding = _valid(sa.select(Certificate.id)
                     .where(Certificate.holder_id == RegisterEntry.user_id))
    if s.level:
        holding = holding.join(QualificationLevel,
                               QualificationLevel.id == Certificate.level_id).where(
            QualificationLevel.code == s.level)
    query = sa.select(RegisterEntry).where(sa.exists(holding))
    if s.q:
        query = query.where(sa.or_(*(column.contains(s.q, autoescape=True) for column in (
            RegisterEntry.region, RegisterEntry.specialities, RegisterEntry.profile))))
    entries = db.session.scalars(
        query.order_by(RegisterEntry.updated_at.desc(), RegisterEntry.user_id)
        .limit(PAGE_SIZE + 1).offset((s.page - 1) * PAGE_SIZE)
        .options(joinedload(RegisterEntry.user))).all()
    more, entries = len(entries) > PAGE_SIZE, entries[:PAGE_SIZE]
    held = defaultdict(list)
    if entries:
        for certificate in db.session.scalars(
                _valid(sa.select(Certificate))
                .where(Certificate.holder_id.in_([e.user_id for e in entries]))
                .order_by(Certificate.issued_at)
                .options(joinedload(Certificate.level), joinedload(Certificate.qualification))):
            held[certificate.holder_id].append((certificate.qualification.title,
                                                certificate.level.title, certificate.serial))
    return Page([Listing(e.user.real_name if e.show_full_name else mask_holder_name(
        e.user.real_name), e.region, e.specialities, e.profile, held[e.user_id])
        for e in entries], more, s.page)


def level_choices() -> list[tuple[str, str]]:
    return list(db.session.execute(
        sa.select(QualificationLevel.code, sa.func.min(QualificationLevel.title))
        .group_by(QualificationLevel.code).order_by(sa.func.min(QualificationLevel.rank))))


def save_entry(user: User, *, listed: bool, region: str, specialities: str, profile: str,
               show_full_name: bool) -> RegisterEntry | None:
    entry = db.session.get(RegisterEntry, user.id)
    if not listed:
        if entry is not None:
            db.session.delete(entry)
        return None
    if entry is None:
        entry = RegisterEntry(user_id=user.id)
        db.session.add(entry)
    entry.region, entry.specialities, entry.profile = (region.strip()[:100],
                                                       specialities.strip()[:200],
                                                       profile.strip()[:1000])
    entry.show_full_name = show_full_name
    return entry


def drop_unqualified(user_ids) -> int:
    """Remove the entries of ``user_ids`` who no longer hold a valid or suspended
    certificate (revocation, expiry); the number removed."""
    keeps = sa.select(Certificate.id).where(
        Certificate.holder_id == RegisterEntry.user_id,
        Certificate.status.in_((CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED)))
    return db.session.execute(
        sa.delete(RegisterEntry).where(RegisterEntry.user_id.in_(list(user_ids)),
                                       ~sa.exists(keeps))
        .execution_options(synchronize_session=False)).rowcount
