"""Writing the audit log. Callers pass plain, already-masked values: an ID
number, password or token never goes into ``before``/``after``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.extensions import db


def record(action: str, *, actor=None, obj=None, object_type: str | None = None,
           object_id=None, before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Append one audit entry to the current transaction.

    :param action: dotted verb such as ``user.deactivated``.
    :param actor: the user who acted; ``None`` for the system or an anonymous visitor.
    :param obj: the model acted on; its table name and id are recorded.
    """
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = obj.id
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, as a (before, after) pair."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record_many(action: str, entries: list[dict], *, actor=None) -> None:
    """Append one entry per item of ``entries`` (each: ``object_type``, ``object_id`` and
    optionally ``before``/``after``) in one set-based INSERT, for bulk operations such
    as marking or regrading many attempts."""
    if not entries:
        return
    now = utcnow()
    ip = request.remote_addr if has_request_context() else None
    db.session.execute(sa.insert(AuditEntry.__table__), [
        {"created_at": now, "actor_id": getattr(actor, "id", None), "action": action,
         "object_type": entry["object_type"], "object_id": str(entry["object_id"]),
         "before": entry.get("before"), "after": entry.get("after"), "ip": ip}
        for entry in entries])
