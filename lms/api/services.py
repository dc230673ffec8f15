"""What the API reads, scoped like an officer's pages, and its JSON shapes.

Each query filters with the same `lms.permissions` predicates as the page it mirrors:
certificates like the certificate administration (qualifications in scope), results
like the results review (exams the officer manages), plans like the retraining pages
(holders in scope, certificates of qualifications in scope). The shapes list their
fields one by one: nothing reaches an integration unless it is named here, never an
ID number, an e-mail address or a password hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer, joinedload

from lms.accounts.models import User
from lms.certificates import credentials, register
from lms.certificates.models import Certificate, CertificateStatus, Qualification
from lms.domain import serials
from lms.exams.models import ExamAttempt
from lms.extensions import db
from lms.grading.models import ExamResult
from lms.permissions import (
    EXAM_MANAGERS,
    can_manage_qualification,
    can_view_user,
    exams_in_scope_filter,
    qualifications_in_scope_filter,
)
from lms.retraining.holder import HolderPlan, plans_of

MAX_PER_PAGE = 100
CERTIFICATE_STATUSES = tuple(status.value for status in CertificateStatus)


@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = 50

    def window(self, query: sa.Select) -> sa.Select:
        """One row more than a page, to tell whether another page follows."""
        return query.limit(self.per_page + 1).offset((self.page - 1) * self.per_page)

    def body(self, items: list) -> dict:
        return {"items": items[:self.per_page], "page": self.page, "per_page": self.per_page,
                "has_more": len(items) > self.per_page}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _number(value) -> str | None:
    return None if value is None else str(value)


# -- certificates -------------------------------------------------------------------------


def _certificates(principal) -> sa.Select:
    return (sa.select(Certificate)
            .join(Qualification, Qualification.id == Certificate.qualification_id)
            .where(qualifications_in_scope_filter(principal))
            .options(joinedload(Certificate.holder), joinedload(Certificate.level),
                     joinedload(Certificate.qualification)
                     .joinedload(Qualification.organisation)))


def certificates_page(principal, paging: Paging, *, status: str | None = None) -> dict:
    """A page of the certificates of the qualifications in scope, newest first."""
    query = _certificates(principal)
    if status:
        query = query.where(Certificate.status == CertificateStatus(status))
    rows = db.session.scalars(paging.window(query.order_by(Certificate.id.desc()))).unique()
    return paging.body([certificate_json(c) for c in rows])


def certificate_in_scope(principal, serial: str) -> Certificate | None:
    """The certificate of ``serial`` if its qualification is in scope, else None (the
    caller answers 404 for both, as the certificate administration does)."""
    normalised = serials.normalise(serial)
    if not normalised:
        return None
    return db.session.scalars(
        _certificates(principal).where(Certificate.serial == normalised)).unique().first()


def certificate_json(certificate: Certificate) -> dict:
    return {
        "serial": certificate.serial,
        "status": certificate.status.value,
        "verdict": credentials.verdict(certificate),
        "status_changed_at": _moment(certificate.status_changed_at),
        "holder": {"id": certificate.holder_id, "name": certificate.holder.real_name},
        "qualification": {"code": certificate.qualification.code,
                          "title": certificate.qualification.title},
        "level": {"code": certificate.level.code, "title": certificate.level.title},
        "issuer": certificate.qualification.organisation.name,
        "issued_at": _moment(certificate.issued_at),
        "valid_from": _day(certificate.valid_from),
        "expires_on": _day(certificate.expires_on),
    }


# -- the public register --------------------------------------------------------------------


def register_page(q: str, level: str, page: int) -> dict:
    """The public register as `/cadres` shows it (the same search, page size and masking)."""
    found = register.search(register.Search(q, level, page))
    return {"items": [{"name": row.name, "region": row.region,
                       "specialities": row.specialities, "profile": row.profile,
                       "certificates": [{"qualification": title, "level": level_title,
                                         "serial": serial}
                                        for title, level_title, serial in row.certificates]}
                      for row in found.rows],
            "page": found.page, "per_page": register.PAGE_SIZE, "has_more": found.more}


# -- a candidate's results and plan -----------------------------------------------------------


def user_in_scope(principal, user_id: int) -> User | None:
    """The user if the token's officer could open them (their organisation in scope)."""
    user = db.session.get(User, user_id)
    return user if user is not None and can_view_user(principal, user) else None


def results_page(principal, user: User, paging: Paging) -> dict:
    """The user's started attempts at exams the token manages, newest first, each with
    its result as the officers' results review shows it."""
    managed = exams_in_scope_filter(principal, *EXAM_MANAGERS)
    query = (sa.select(ExamAttempt, ExamResult)
             .outerjoin(ExamResult, ExamResult.attempt_id == ExamAttempt.id)
             .join(ExamAttempt.exam).where(ExamAttempt.user_id == user.id,
                                           ExamAttempt.started_at.is_not(None), managed)
             .options(defer(ExamAttempt.paper), joinedload(ExamAttempt.exam))
             .order_by(ExamAttempt.started_at.desc(), ExamAttempt.id.desc()))
    rows = db.session.execute(paging.window(query)).all()
    return paging.body([_attempt_json(attempt, result) for attempt, result in rows])


def _attempt_json(attempt: ExamAttempt, result: ExamResult | None) -> dict:
    return {
        "attempt_id": attempt.id,
        "exam": {"id": attempt.exam.id, "code": attempt.exam.code,
                 "title": attempt.exam.title},
        "session_id": attempt.session_id,
        "state": attempt.state.value,
        "started_at": _moment(attempt.started_at),
        "finished_at": _moment(attempt.finished_at),
        "result": None if result is None else {
            "score": _number(result.score), "max_score": _number(result.max_score),
            "percent": _number(result.percent), "passed": result.passed,
            "pending_manual": result.pending_manual,
            "released_at": _moment(result.released_at)},
    }


def plans_json(principal, user: User, today: date) -> dict:
    """The user's retraining plans, for the certificates of qualifications in scope."""
    plans = [plan for plan in plans_of(user.id, today)
             if can_manage_qualification(principal, plan.certificate.qualification)]
    return {"user_id": user.id, "today": today.isoformat(),
            "items": [_plan_json(plan) for plan in plans]}


def _plan_json(held: HolderPlan) -> dict:
    plan, step = held.plan, held.step
    return {
        "certificate": {"serial": held.certificate.serial,
                        "qualification": held.certificate.qualification.title,
                        "level": held.certificate.level.title,
                        "expires_on": _day(held.certificate.expires_on)},
        "standing": plan.standing.value,
        "next_deadline": _day(plan.next_deadline),
        "renewable": plan.renewable,
        "recert_needed": plan.recert_needed,
        "recert_window": [_day(d) for d in plan.recert_window] if plan.recert_window else None,
        "recert_passed": plan.recert_passed,
        "next_step": {"kind": step.kind, "due": _day(step.due), "course": step.course,
                      "hours": _number(step.hours), "late": step.late},
        "cycles": [{"number": c.number, "start": _day(c.start), "end": _day(c.end),
                    "hours_required": _number(c.hours_required),
                    "hours_earned": _number(c.hours_earned),
                    "courses_missing": list(c.courses_missing), "met": c.met}
                   for c in plan.cycles],
    }
