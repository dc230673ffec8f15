"""Versioned retraining policies: an officer edits a draft (a copy of the current
version), sees its impact on the level's holders, and confirms it — the current
version retires and the draft becomes current in one transaction. Audited."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from lms.audit.services import record as audit_record
from lms.certificates.models import QualificationLevel
from lms.clock import utcnow
from lms.courses.models import Course, Domain
from lms.errors import ValidationFailed
from lms.extensions import db
from lms.retraining.models import PolicyStatus, RetrainingPolicy

FIELDS = ("validity_months", "cycle_months", "hours_per_cycle", "domains", "domain_caps",
          "mandatory_courses", "recert_exam_id", "recert_window_days", "reminder_offsets",
          "grace_days", "suspension_days", "excellent_appraisal_hours")


def versions(level: QualificationLevel) -> list[RetrainingPolicy]:
    return list(db.session.scalars(sa.select(RetrainingPolicy)
                                   .where(RetrainingPolicy.level_id == level.id)
                                   .order_by(RetrainingPolicy.version.desc())))


def current(level: QualificationLevel) -> RetrainingPolicy | None:
    return next((p for p in versions(level) if p.status == PolicyStatus.CURRENT), None)


def draft(level: QualificationLevel) -> RetrainingPolicy | None:
    return next((p for p in versions(level) if p.status == PolicyStatus.DRAFT), None)


def save_draft(level: QualificationLevel, values: dict, actor) -> RetrainingPolicy:
    """Create or update the level's draft from form ``values`` (checked here)."""
    clean = _checked(values)
    found = draft(level)
    if found is None:
        latest = max((p.version for p in versions(level)), default=0)
        found = RetrainingPolicy(level_id=level.id, version=latest + 1,
                                 status=PolicyStatus.DRAFT, created_by_id=actor.id)
        db.session.add(found)
    for name in FIELDS:
        setattr(found, name, clean[name])
    db.session.flush()
    audit_record("retraining_policy.draft_saved", actor=actor, obj=found,
                 after={k: _plain(v) for k, v in clean.items()})
    return found


def confirm(policy: RetrainingPolicy, actor, *, now: datetime | None = None) -> None:
    """The draft becomes the level's current policy; the former current one retires."""
    if policy.status != PolicyStatus.DRAFT:
        raise ValidationFailed("policy", "not_draft")
    now = now or utcnow()
    retired = db.session.execute(
        sa.update(RetrainingPolicy)
        .where(RetrainingPolicy.level_id == policy.level_id,
               RetrainingPolicy.status == PolicyStatus.CURRENT)
        .values(status=PolicyStatus.RETIRED)
        .returning(RetrainingPolicy.version)).scalars().all()
    moved = db.session.execute(
        sa.update(RetrainingPolicy)
        .where(RetrainingPolicy.id == policy.id, RetrainingPolicy.status == PolicyStatus.DRAFT)
        .values(status=PolicyStatus.CURRENT, confirmed_by_id=actor.id, confirmed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise ValidationFailed("policy", "not_draft")
    db.session.refresh(policy)
    audit_record("retraining_policy.confirmed", actor=actor, obj=policy,
                 before={"version": retired[0] if retired else None},
                 after={"version": policy.version})


def _checked(values: dict) -> dict:
    out = {name: values.get(name) for name in FIELDS}
    for name in ("validity_months", "cycle_months", "recert_window_days", "grace_days",
                 "suspension_days"):
        out[name] = int(out[name] or 0)
    if out["cycle_months"] < 1 or out["validity_months"] < out["cycle_months"]:
        raise ValidationFailed("cycle_months", "longer_than_validity")
    out["hours_per_cycle"] = Decimal(str(out["hours_per_cycle"] or 0))
    out["excellent_appraisal_hours"] = Decimal(str(out["excellent_appraisal_hours"] or 0))
    known = {d.value for d in Domain}
    out["domains"] = [d for d in (out["domains"] or []) if d in known]
    out["domain_caps"] = parse_caps(out["domain_caps"] or "", known)
    out["mandatory_courses"] = parse_list(out["mandatory_courses"])
    codes = set(db.session.scalars(sa.select(Course.code)
                                   .where(Course.code.in_(out["mandatory_courses"]))))
    if unknown := [c for c in out["mandatory_courses"] if c not in codes]:
        raise ValidationFailed("mandatory_courses", "unknown", codes=", ".join(unknown))
    offsets = parse_list(out["reminder_offsets"])
    if not offsets or not all(o.isdigit() and int(o) <= 366 for o in offsets):
        raise ValidationFailed("reminder_offsets", "invalid")
    out["reminder_offsets"] = sorted({int(o) for o in offsets}, reverse=True)
    out["recert_exam_id"] = out["recert_exam_id"] or None
    return out


def parse_list(text) -> list[str]:
    if isinstance(text, list | tuple):
        return [str(t).strip() for t in text if str(t).strip()]
    return [t.strip() for t in (text or "").replace("，", ",").split(",") if t.strip()]


def parse_caps(text, known: set[str]) -> dict[str, str]:
    """``union_law=8, labor_law=6`` → {"union_law": "8", …} (strings: JSON keeps them exact)."""
    if isinstance(text, dict):
        return {k: str(v) for k, v in text.items()}
    caps = {}
    for part in parse_list(text):
        name, _, hours = part.partition("=")
        try:
            value = Decimal(hours.strip())
        except InvalidOperation:
            raise ValidationFailed("domain_caps", "invalid") from None
        if name.strip() not in known or value < 0:
            raise ValidationFailed("domain_caps", "invalid")
        caps[name.strip()] = str(value)
    return caps


def format_caps(caps: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in (caps or {}).items())


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value
