"""Creating and editing qualifications and their levels (officers, audited)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from lms.audit import services as audit
from lms.certificates.models import Issuance, Qualification, QualificationLevel
from lms.courses.models import Course
from lms.errors import ValidationFailed
from lms.exams.models import Exam
from lms.extensions import db

QUALIFICATION_FIELDS = ("code", "title", "description", "organisation_id", "validity_months",
                        "issuance", "four_eyes", "seal")
SEAL_SUFFIXES = (".svg", ".png")


def seal_images() -> list[str]:
    """The seal images an officer may choose (static/img/seals/, not the default)."""
    folder = Path(current_app.static_folder) / "img" / "seals"
    return sorted(p.name for p in folder.iterdir()
                  if p.suffix in SEAL_SUFFIXES and p.name != "default.svg")
LEVEL_FIELDS = ("code", "title", "rank", "exam_id", "min_percent", "max_percent",
                "required_courses", "require_integrity_clear", "require_photo",
                "validity_months")


def save_qualification(qualification: Qualification | None, values: dict, actor
                       ) -> Qualification:
    """Create (``qualification`` None) or update a qualification from ``values``."""
    code = (values.get("code") or "").strip()
    clash = db.session.scalar(sa.select(Qualification.id).where(Qualification.code == code))
    if clash is not None and (qualification is None or clash != qualification.id):
        raise ValidationFailed("code", "taken")
    seal = values.get("seal") or None
    if seal is not None and seal not in seal_images():
        raise ValidationFailed("seal", "unknown")
    values = {**values, "code": code, "issuance": Issuance(values["issuance"]), "seal": seal}
    before = _snapshot(qualification, QUALIFICATION_FIELDS) if qualification else {}
    if qualification is None:
        qualification = Qualification()
        db.session.add(qualification)
    for name in QUALIFICATION_FIELDS:
        setattr(qualification, name, values[name])
    db.session.flush()
    old, new = audit.changes(before, _snapshot(qualification, QUALIFICATION_FIELDS))
    audit.record("qualification.saved", actor=actor, obj=qualification, before=old, after=new)
    return qualification


def save_level(qualification: Qualification, level: QualificationLevel | None, values: dict,
               actor, *, can_use_exam) -> QualificationLevel:
    """Create or update a level; ``can_use_exam(exam)`` says whether ``actor`` may tie
    the level to that exam (an exam of their scope)."""
    exam = db.session.get(Exam, values["exam_id"]) if values.get("exam_id") else None
    if exam is None or not can_use_exam(exam):
        raise ValidationFailed("exam_id", "unknown")
    low, high = Decimal(values["min_percent"]), values.get("max_percent")
    if high is not None and Decimal(high) <= low:
        raise ValidationFailed("max_percent", "not_above_min")
    codes = parse_codes(values.get("required_courses"))
    known = set(db.session.scalars(sa.select(Course.code).where(Course.code.in_(codes))))
    if unknown := [c for c in codes if c not in known]:
        raise ValidationFailed("required_courses", "unknown", codes=", ".join(unknown))
    code = values["code"].strip()
    if any(other.code == code and other is not level for other in qualification.levels):
        raise ValidationFailed("code", "taken")
    values = {**values, "code": code, "required_courses": codes, "exam_id": exam.id}
    before = _snapshot(level, LEVEL_FIELDS) if level else {}
    if level is None:
        level = QualificationLevel(qualification=qualification)
        db.session.add(level)
    for name in LEVEL_FIELDS:
        setattr(level, name, values.get(name))
    db.session.flush()
    old, new = audit.changes(before, _snapshot(level, LEVEL_FIELDS))
    audit.record("qualification_level.saved", actor=actor, obj=level, before=old, after=new)
    return level


def parse_codes(text) -> list[str]:
    if isinstance(text, list | tuple):
        return [str(c).strip() for c in text if str(c).strip()]
    return [c.strip() for c in (text or "").replace("，", ",").split(",") if c.strip()]


def _snapshot(obj, fields) -> dict:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value if isinstance(value, bool | int | list | type(None)) else str(value)
    return out
