"""Appending to and verifying the tamper-evident ledger (`lms.domain.ledger`).

Appending first bumps the one head row: that UPDATE takes the row's lock (PostgreSQL)
or the database's write lock (SQLite), so concurrent appends queue up and each reads
the head its predecessor committed — the chain never forks (and the unique
``prev_hash`` would refuse a fork anyway).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lms.certificates.models import Certificate, LedgerEvent, LedgerHead
from lms.clock import utcnow
from lms.domain import ledger
from lms.extensions import db

#: the kinds of event, in the words of the issue: every decision on a certificate
KINDS = ("issued", "approved", "renewed", "suspended", "reinstated", "revoked", "expired")


def event_body(seq: int, kind: str, serial: str, actor_id: int | None, at, data: dict) -> dict:
    return {"seq": seq, "kind": kind, "serial": serial, "actor": actor_id,
            "at": at.isoformat(), "data": data}


def append(kind: str, certificate: Certificate | None, *, actor=None, data: dict | None = None,
           at=None) -> LedgerEvent:
    """Append one event in the current transaction (the caller commits)."""
    if kind not in KINDS:
        raise ValueError(kind)
    db.session.flush()
    locked = db.session.execute(sa.update(LedgerHead).where(LedgerHead.id == 1)
                                .values(seq=LedgerHead.seq + 1)).rowcount
    if not locked:  # a database made without the migration that seeds the head row
        db.session.add(LedgerHead(id=1, seq=1, hash=ledger.GENESIS))
        db.session.flush()
    seq, prev = db.session.execute(
        sa.select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == 1)).one()
    at = (at or utcnow()).replace(microsecond=0)
    serial = certificate.serial if certificate is not None else ""
    actor_id = getattr(actor, "id", None)
    data = dict(data or {})
    digest = ledger.link_hash(prev, event_body(seq, kind, serial, actor_id, at, data))
    event = LedgerEvent(seq=seq, kind=kind, certificate_id=getattr(certificate, "id", None),
                        serial=serial, actor_id=actor_id, at=at, data=data, prev_hash=prev,
                        hash=digest)
    db.session.add(event)
    db.session.execute(sa.update(LedgerHead).where(LedgerHead.id == 1)
                       .values(hash=digest, updated_at=at))
    return event


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def head() -> Head:
    row = db.session.execute(sa.select(LedgerHead.seq, LedgerHead.hash)
                             .where(LedgerHead.id == 1)).one_or_none()
    return Head(row.seq, row.hash) if row else Head(0, ledger.GENESIS)


def verify(*, expected_head: str | None = None, batch: int = 5000) -> ledger.Break | None:
    """Walk the whole chain in sequence order, streaming; None when it is intact up to
    the head row (and, when given, contains ``expected_head`` — a hash kept outside the
    database — so cutting off the tail together with the head row is caught too)."""
    recorded = head()

    def links():
        last = 0
        while True:
            rows = db.session.execute(
                sa.select(LedgerEvent.seq, LedgerEvent.kind, LedgerEvent.serial,
                          LedgerEvent.actor_id, LedgerEvent.at, LedgerEvent.data,
                          LedgerEvent.prev_hash, LedgerEvent.hash)
                .where(LedgerEvent.seq > last).order_by(LedgerEvent.seq).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield ledger.Link(row.seq, event_body(row.seq, row.kind, row.serial,
                                                      row.actor_id, row.at, row.data),
                                  row.prev_hash, row.hash)
            last = rows[-1].seq

    found = ledger.first_break(links(), head_seq=recorded.seq, head_hash=recorded.hash)
    if found is None and expected_head and expected_head != recorded.hash:
        known = db.session.scalar(sa.select(LedgerEvent.seq)
                                  .where(LedgerEvent.hash == expected_head))
        if known is None:
            return ledger.Break(None, "missing_tail")
    return found
