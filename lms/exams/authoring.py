"""Setting up exams: the definition and its blueprint, publishing, sessions and
accommodations, for the pages at /exam-admin.

Every function flushes and leaves the commit to the caller. The rules are the
plain functions of `lms.domain.exam_setup`; a function here gathers the facts
they need, raises `SetupInvalid` (every problem at once) before it writes
anything, and records an audit entry for what it changed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.accounts.models import Organisation, Role, RoleAssignment, User
from lms.accounts.name_search import name_or_email
from lms.audit import services as audit
from lms.clock import utcnow
from lms.courses.models import Course, CourseStatus
from lms.domain import assembly, exam_setup
from lms.domain.attempt_states import AttemptState
from lms.domain.exam_setup import Problem
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.exams import blueprints, registration
from lms.exams.models import (
    Accommodation,
    Exam,
    ExamAttempt,
    ExamSession,
    ExamStatus,
    Layout,
    Navigation,
    ProctoringMode,
    Release,
)
from lms.extensions import db
from lms.permissions import (
    ALL,
    EXAM_EDITORS,
    EXAM_MANAGERS,
    can_accommodate,
    exams_in_scope_filter,
    organisations_in_scope_filter,
    scope_paths,
    visible_users_filter,
)

S = AttemptState
#: attempts holding a seat that an officer may move to another session
MOVABLE_STATES = (S.REGISTERED, S.ADMITTED)
SEARCH_LIMIT = 20


class SetupInvalid(ValidationFailed):
    """One or more `Problem`s; the first is also the `ValidationFailed` field and reason."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        super().__init__(first.field, first.code, **first.params)
        self.problems = problems


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise SetupInvalid(problems)


def _plain(value):
    """A value as the audit log stores it (JSON)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# -- the definition -----------------------------------------------------------------

#: the settings an exam form carries, each with how it is stored
ENUM_FIELDS = {"navigation": Navigation, "layout": Layout, "proctoring": ProctoringMode,
               "release": Release}
SETTINGS = ("title", "qualification", "description", "duration_minutes", "pass_percent",
            "attempts_allowed", "cooldown_days", "required_courses", "navigation", "layout",
            "shuffle_items", "shuffle_options", "proctoring", "webcam_required",
            "snapshot_interval_seconds", "fullscreen_required", "block_copy_paste",
            "focus_loss_limit", "release", "review_options", "double_marking",
            "marking_tolerance_percent", "exclude_own_organisation", "appeal_days")
#: essay-marking and appeal settings a caller may leave out (the exam keeps or gets these)
MARKING_DEFAULTS = {"double_marking": False, "marking_tolerance_percent": Decimal(10),
                    "exclude_own_organisation": False, "appeal_days": 14}
MAX_APPEAL_DAYS = 365


def get_exam(exam_id: int) -> Exam:
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        raise NotFound()
    return exam


def exam_rows(actor) -> list[tuple[Exam, int, int]]:
    """The exams in ``actor``'s scope with their number of sessions and of upcoming
    sessions: two queries."""
    now = utcnow()
    counts = {exam_id: (total, upcoming) for exam_id, total, upcoming in db.session.execute(
        sa.select(ExamSession.exam_id, sa.func.count(),
                  sa.func.sum(sa.case((ExamSession.ends_at > now, 1), else_=0)))
        .group_by(ExamSession.exam_id))}
    exams = db.session.scalars(
        sa.select(Exam).where(exams_in_scope_filter(actor))
        .options(sa.orm.joinedload(Exam.organisation))
        .order_by(Exam.status == ExamStatus.ARCHIVED, Exam.code)).all()
    return [(exam, *counts.get(exam.id, (0, 0))) for exam in exams]


def published_courses() -> list[tuple[str, str]]:
    """(code, title) of the courses an exam may require."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Course.code, Course.title).where(Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.code))]


def _settings(values: dict, *, current_required: list[str]) -> dict:
    """The settings as stored, or `SetupInvalid` naming every wrong one."""
    problems = exam_setup.check_settings(
        title=values["title"], duration_minutes=values["duration_minutes"],
        pass_percent=values["pass_percent"], attempts_allowed=values["attempts_allowed"],
        cooldown_days=values["cooldown_days"], webcam_required=values["webcam_required"],
        proctoring=values["proctoring"],
        snapshot_interval_seconds=values["snapshot_interval_seconds"],
        focus_loss_limit=values["focus_loss_limit"])
    values = {**MARKING_DEFAULTS, **{k: v for k, v in values.items()
                                     if not (k in MARKING_DEFAULTS and v is None)}}
    problems += exam_setup.check_marking(tolerance_percent=values["marking_tolerance_percent"])
    if not isinstance(values["appeal_days"], int) or not 0 <= values["appeal_days"] <= \
            MAX_APPEAL_DAYS:
        problems.append(Problem("appeal_days", "range", {"max": MAX_APPEAL_DAYS}))
    for name, kind in ENUM_FIELDS.items():
        if values[name] not in kind._value2member_map_:
            problems.append(Problem(name, "invalid"))
    wanted = list(dict.fromkeys(values["required_courses"] or []))
    allowed = {code for code, _title in published_courses()} | set(current_required)
    problems += [Problem("required_courses", "unknown", {"code": code})
                 for code in wanted if code not in allowed]
    _raise_if(problems)
    settings = {name: values[name] for name in SETTINGS}
    settings.update({name: kind(values[name]) for name, kind in ENUM_FIELDS.items()})
    settings["title"] = values["title"].strip()
    settings["qualification"] = (values["qualification"] or "").strip()
    settings["description"] = (values["description"] or "").strip()
    settings["pass_percent"] = Decimal(str(values["pass_percent"])).quantize(Decimal("0.01"))
    settings["required_courses"] = wanted
    settings["double_marking"] = bool(values["double_marking"])
    settings["exclude_own_organisation"] = bool(values["exclude_own_organisation"])
    settings["marking_tolerance_percent"] = Decimal(
        str(values["marking_tolerance_percent"])).quantize(Decimal("0.01"))
    settings["review_options"] = {key: key in (values["review_options"] or ())
                                  for key in exam_setup.REVIEW_KEYS}
    if not values["webcam_required"]:  # keep the stored interval valid when unused
        settings["snapshot_interval_seconds"] = (values["snapshot_interval_seconds"]
                                                 or 60)
    return settings


def create_exam(*, actor, code: str, organisation_id: int | None = None, **values) -> Exam:
    """A draft exam with no section yet. ``code`` is its permanent identifier."""
    code = (code or "").strip().lower()
    taken = db.session.scalar(sa.select(Exam.id).where(Exam.code == code)) is not None
    problems = exam_setup.check_code(code, taken=taken)
    try:
        settings = _settings(values, current_required=[])
    except SetupInvalid as exc:
        problems += exc.problems
    _raise_if(problems)
    exam = Exam(code=code, status=ExamStatus.DRAFT, sections=[], organisation_id=organisation_id,
                created_by_id=getattr(actor, "id", None), **settings)
    db.session.add(exam)
    db.session.flush()
    audit.record("exam.created", actor=actor, obj=exam,
                 after={"code": code, "organisation_id": organisation_id,
                        **{k: _plain(v) for k, v in settings.items()}})
    return exam


def _editable(exam: Exam) -> None:
    if exam.status == ExamStatus.ARCHIVED:
        raise InvalidTransition("archived")


def update_exam(exam: Exam, *, actor, organisation_id: int | None = None, **values) -> Exam:
    """Change the settings; attempts already started keep what they froze."""
    _editable(exam)
    settings = _settings(values, current_required=list(exam.required_courses or []))
    settings["organisation_id"] = organisation_id
    before = {name: _plain(getattr(exam, name)) for name in settings}
    for name, value in settings.items():
        setattr(exam, name, value)
    old, new = audit.changes(before, {k: _plain(v) for k, v in settings.items()})
    if new:
        audit.record("exam.updated", actor=actor, obj=exam, before=old, after=new)
    db.session.flush()
    return exam


# -- the blueprint ------------------------------------------------------------------


def sections_locked(exam: Exam) -> bool:
    """Whether an attempt has started: its paper is frozen, and so is the blueprint."""
    return db.session.scalar(sa.select(sa.exists().where(
        ExamAttempt.exam_id == exam.id, ExamAttempt.started_at.is_not(None)))) is True


def _blueprint_editable(exam: Exam) -> None:
    _editable(exam)
    db.session.refresh(exam, with_for_update=True)  # two editors: one after the other
    if exam.status == ExamStatus.PUBLISHED and sections_locked(exam):
        raise InvalidTransition("sections_locked")


def _short_for(exam_sections: list[dict]) -> list[tuple[str, int, int]]:
    probe = Exam(sections=exam_sections)
    return blueprints.shortages(probe)


def save_section(exam: Exam, *, actor, key: str | None = None, **fields) -> dict:
    """Add a section (no ``key``) or replace the one with ``key``; returns it.

    A published exam stays ready to sit: a change that leaves a section short of
    approved questions is refused.
    """
    _blueprint_editable(exam)
    sections = list(exam.sections or [])
    keys = [s.get("key") for s in sections]
    if key is not None and key not in keys:
        raise NotFound()
    data, problems = exam_setup.section_dict(key=key or f"s-{secrets.token_hex(3)}", **fields)
    _raise_if(problems)
    try:
        blueprints.section_from_dict(data)
    except blueprints.BlueprintError as exc:
        raise SetupInvalid([Problem(exc.code, "invalid")]) from None
    before = sections[keys.index(key)] if key is not None else None
    if key is None:
        sections.append(data)
    else:
        sections[keys.index(key)] = data
    if exam.status == ExamStatus.PUBLISHED:
        short = [s for s in _short_for(sections) if s[0] == data["key"]]
        if short:
            _k, available, needed = short[0]
            raise SetupInvalid([Problem("count", "short_published",
                                        {"available": available, "needed": needed})])
    exam.sections = sections
    audit.record("exam.section_saved", actor=actor, obj=exam, before=before, after=data)
    db.session.flush()
    return data


def section(exam: Exam, key: str) -> dict:
    for data in exam.sections or []:
        if data.get("key") == key:
            return data
    raise NotFound()


def remove_section(exam: Exam, key: str, *, actor) -> dict:
    _blueprint_editable(exam)
    removed = section(exam, key)
    rest = [s for s in exam.sections if s.get("key") != key]
    if exam.status == ExamStatus.PUBLISHED and not rest:
        raise InvalidTransition("last_section")
    exam.sections = rest
    audit.record("exam.section_removed", actor=actor, obj=exam, before=removed)
    db.session.flush()
    return removed


class StaleOrder(InvalidTransition):
    """The sections were reordered, added or removed since the page was drawn."""


def section_order(exam: Exam) -> str:
    return ",".join(s.get("key", "") for s in exam.sections or [])


def move_section(exam: Exam, key: str, offset: int, *, actor, seen_order: str) -> None:
    """Move a section up (-1) or down (+1); `StaleOrder` if the page was out of date."""
    _blueprint_editable(exam)
    if seen_order != section_order(exam):
        raise StaleOrder()
    keys = [s["key"] for s in exam.sections]
    order = exam_setup.moved(keys, key, offset)
    if order is None:
        raise NotFound()
    by_key = {s["key"]: s for s in exam.sections}
    exam.sections = [by_key[k] for k in order]
    audit.record("exam.sections_reordered", actor=actor, obj=exam,
                 before={"order": keys}, after={"order": order})
    db.session.flush()


@dataclass(frozen=True)
class SectionReport:
    """A section as the editor shows it: how many approved questions its filter finds."""

    data: dict
    available: int | None  #: None when the section is malformed
    problem: str | None = None

    @property
    def needed(self) -> int:
        return self.data.get("count") or 0

    @property
    def short(self) -> bool:
        return self.problem is not None or (self.available or 0) < self.needed


def section_reports(exam: Exam) -> list[SectionReport]:
    """Every section with the approved questions its filter accepts (two queries)."""
    parsed, reports = [], []
    for position, data in enumerate(exam.sections or [], 1):
        try:
            parsed.append((data, blueprints.section_from_dict(data, position)))
        except blueprints.BlueprintError as exc:
            parsed.append((data, exc))
    valid = [s for _d, s in parsed if isinstance(s, assembly.Section)]
    pool = blueprints.pool_for(Exam(sections=[d for d, s in parsed
                                              if isinstance(s, assembly.Section)]))[0] \
        if valid else []
    for data, result in parsed:
        if not isinstance(result, assembly.Section):
            reports.append(SectionReport(data, None, result.code))
            continue
        available = len({p.question_id for p in pool if result.filter.accepts(p)})
        reports.append(SectionReport(data, available))
    return reports


def publication_problems(exam: Exam, reports: list[SectionReport] | None = None
                         ) -> list[tuple[str, dict]]:
    """Why the exam cannot be published yet, as (code, params); empty when it can."""
    reports = section_reports(exam) if reports is None else reports
    if not reports:
        return [("no_sections", {})]
    problems = []
    for report in reports:
        title = report.data.get("title") or report.data.get("key")
        if report.problem is not None:
            problems.append(("malformed", {"section": title}))
        elif report.available < report.needed:
            problems.append(("short", {"section": title, "available": report.available,
                                       "needed": report.needed}))
    return problems


def publish(exam: Exam, *, actor) -> None:
    """Draft → published: sessions may then be scheduled and booked.

    :raises InvalidTransition: when the exam is not a draft.
    :raises ValidationFailed: (field ``publish``) when a section is short or malformed.
    """
    if exam.status != ExamStatus.DRAFT:
        raise InvalidTransition("not_draft")
    problems = publication_problems(exam)
    if problems:
        code, params = problems[0]
        raise ValidationFailed("publish", code, **params)
    exam.status = ExamStatus.PUBLISHED
    audit.record("exam.published", actor=actor, obj=exam,
                 after={"sections": [s.get("key") for s in exam.sections]})
    db.session.flush()


def archive(exam: Exam, *, actor) -> None:
    """Published → archived: it leaves the candidates' list; attempts keep their record."""
    if exam.status != ExamStatus.PUBLISHED:
        raise InvalidTransition("not_published")
    exam.status = ExamStatus.ARCHIVED
    audit.record("exam.archived", actor=actor, obj=exam)
    db.session.flush()


# -- sessions -------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session: ExamSession
    booked: int
    checked_in: int
    started: int


def session_rows(exam: Exam) -> list[SessionRow]:
    """The exam's sessions with their counts and proctors, in three queries."""
    counts = {session_id: (booked or 0, checked or 0, started or 0)
              for session_id, booked, checked, started in db.session.execute(
                  sa.select(ExamAttempt.session_id,
                            sa.func.sum(sa.case((ExamAttempt.state.not_in(
                                [S.CANCELLED, S.REJECTED]), 1), else_=0)),
                            sa.func.count(ExamAttempt.checked_in_at),
                            sa.func.count(ExamAttempt.started_at))
                  .where(ExamAttempt.exam_id == exam.id)
                  .group_by(ExamAttempt.session_id))}
    sessions = db.session.scalars(
        sa.select(ExamSession).where(ExamSession.exam_id == exam.id)
        .options(selectinload(ExamSession.proctors))
        .order_by(ExamSession.starts_at)).all()
    return [SessionRow(s, *counts.get(s.id, (0, 0, 0))) for s in sessions]


def get_session(session_id: int) -> ExamSession:
    session = db.session.get(ExamSession, session_id)
    if session is None:
        raise NotFound()
    return session


def proctor_choices(actor, session: ExamSession | None = None) -> list[User]:
    """Active users with the proctor role whom ``actor`` may see, and the session's own."""
    holds = sa.select(RoleAssignment.user_id).where(RoleAssignment.role == Role.PROCTOR)
    visible = db.session.scalars(
        sa.select(User).where(User.id.in_(holds), User.active, visible_users_filter(actor))
        .order_by(User.real_name, User.id)).all()
    current = [p for p in (session.proctors if session is not None else [])
               if p not in visible]
    return [*visible, *current]


def _session_values(actor, exam: Exam, values: dict, *, session: ExamSession | None,
                    booked: int) -> dict:
    problems = exam_setup.check_session(
        title=values["title"], starts_at=values["starts_at"], ends_at=values["ends_at"],
        registration_deadline=values["registration_deadline"], capacity=values["capacity"],
        booked=booked)
    if values["mode"] not in ProctoringMode._value2member_map_:
        problems.append(Problem("mode", "invalid"))
    allowed = {p.id: p for p in proctor_choices(actor, session)}
    wanted = list(dict.fromkeys(values["proctor_ids"] or []))
    problems += [Problem("proctors", "not_proctor") for i in wanted if i not in allowed][:1]
    _raise_if(problems)
    return {"title": values["title"].strip(), "starts_at": values["starts_at"],
            "ends_at": values["ends_at"],
            "registration_deadline": values["registration_deadline"],
            "mode": ProctoringMode(values["mode"]),
            "location": (values["location"] or "").strip(), "capacity": values["capacity"],
            "proctors": [allowed[i] for i in wanted]}


def _session_audit(values: dict) -> dict:
    return {k: ([p.id for p in v] if k == "proctors" else _plain(v)) for k, v in values.items()}


def create_session(exam: Exam, *, actor, **values) -> ExamSession:
    """A sitting of a published or draft exam, with a fresh access code."""
    _editable(exam)
    checked = _session_values(actor, exam, values, session=None, booked=0)
    session = ExamSession(exam=exam, access_code=registration.new_access_code(),
                          access_code_rotated_at=utcnow(), **checked)
    db.session.add(session)
    db.session.flush()
    audit.record("exam_session.created", actor=actor, obj=session,
                 after={"exam": exam.id, **_session_audit(checked)})
    return session


def update_session(session: ExamSession, *, actor, **values) -> ExamSession:
    """Change a session; its capacity never falls below the seats already booked."""
    _editable(session.exam)
    db.session.refresh(session, with_for_update=True)
    checked = _session_values(actor, session.exam, values, session=session,
                              booked=registration.seats_taken(session))
    before = _session_audit({k: getattr(session, k) for k in checked})
    for name, value in checked.items():
        setattr(session, name, value)
    old, new = audit.changes(before, _session_audit(checked))
    if new:
        audit.record("exam_session.updated", actor=actor, obj=session, before=old, after=new)
    db.session.flush()
    return session


def rotate_code(session: ExamSession, *, actor) -> str:
    session.access_code = registration.new_access_code()
    session.access_code_rotated_at = utcnow()
    audit.record("exam_session.code_rotated", actor=actor, obj=session)
    db.session.flush()
    return session.access_code


# -- accommodations -------------------------------------------------------------------


def accommodation_rows(actor, exam: Exam) -> list[tuple[Accommodation, User]]:
    """Extra time that applies to ``exam`` (its own and for all exams), for the people
    ``actor`` may see: one query."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Accommodation, User).join(User, User.id == Accommodation.user_id)
        .where(sa.or_(Accommodation.exam_id == exam.id, Accommodation.exam_id.is_(None)),
               visible_users_filter(actor))
        .order_by(User.real_name, User.id, Accommodation.exam_id))]


def find_people(actor, query: str) -> list[User]:
    """Active people in ``actor``'s scope whose name contains ``query`` or whose e-mail
    address starts with it."""
    query = (query or "").strip()
    if not query:
        return []
    return db.session.scalars(
        sa.select(User).where(User.active, visible_users_filter(actor), name_or_email(query))
        .options(selectinload(User.organisation))
        .order_by(User.real_name, User.id).limit(SEARCH_LIMIT)).all()


def get_person(actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_accommodate(actor, user):
        raise NotFound()
    return user


def owner_choices(actor) -> tuple[bool, list[Organisation]]:
    """Who may run an exam ``actor`` writes: (whether the platform itself may — for
    platform-wide roles only —, the organisations in their exam-editing scope)."""
    platform = scope_paths(actor, *EXAM_EDITORS) is ALL
    return platform, db.session.scalars(
        sa.select(Organisation).where(organisations_in_scope_filter(actor, *EXAM_EDITORS))
        .order_by(Organisation.path)).all()


def group_choices(actor) -> list[Organisation]:
    return db.session.scalars(
        sa.select(Organisation).where(organisations_in_scope_filter(actor, *EXAM_MANAGERS))
        .order_by(Organisation.path)).all()


def candidates_of(organisation: Organisation) -> list[User]:
    """Every active candidate of ``organisation`` and the organisations below it."""
    below = sa.select(Organisation.id).where(Organisation.path.startswith(organisation.path))
    candidates = sa.select(RoleAssignment.user_id).where(RoleAssignment.role == Role.CANDIDATE)
    return db.session.scalars(
        sa.select(User).where(User.active, User.organisation_id.in_(below),
                              User.id.in_(candidates)).order_by(User.id)).all()


def _checked_extra(extra_percent, extra_minutes) -> None:
    _raise_if(exam_setup.check_extra_time(extra_percent=extra_percent,
                                          extra_minutes=extra_minutes))


def grant_to_person(actor, user: User, exam: Exam | None, *, extra_percent: int,
                    extra_minutes: int, note: str = "") -> Accommodation:
    """Extra time for one person, for ``exam`` or (None) for every exam."""
    if not can_accommodate(actor, user):
        raise NotFound()
    _checked_extra(extra_percent, extra_minutes)
    [row] = registration.grant_accommodation(actor, [user], exam,
                                             extra_percent=extra_percent or 0,
                                             extra_minutes=extra_minutes or 0, note=note)
    return row


def grant_to_group(actor, organisation: Organisation, exam: Exam | None, *,
                   extra_percent: int, extra_minutes: int, note: str = "") -> int:
    """Extra time for every candidate of an organisation's subtree; how many got it."""
    if organisation not in group_choices(actor):
        raise NotFound()
    _checked_extra(extra_percent, extra_minutes)
    people = candidates_of(organisation)
    if not people:
        raise SetupInvalid([Problem("organisation", "no_candidates")])
    registration.grant_accommodation(actor, people, exam, extra_percent=extra_percent or 0,
                                     extra_minutes=extra_minutes or 0, note=note)
    audit.record("exam_accommodation.granted_to_group", actor=actor, obj=organisation,
                 after={"exam": exam and exam.id, "people": len(people),
                        "extra_percent": extra_percent or 0,
                        "extra_minutes": extra_minutes or 0})
    return len(people)


def revoke(actor, accommodation: Accommodation) -> None:
    user = db.session.get(User, accommodation.user_id)
    if user is None or not can_accommodate(actor, user):
        raise NotFound()
    audit.record("exam_accommodation.revoked", actor=actor, obj=accommodation,
                 before={"user": user.id, "exam": accommodation.exam_id,
                         "extra_percent": accommodation.extra_percent,
                         "extra_minutes": accommodation.extra_minutes})
    db.session.delete(accommodation)
    db.session.flush()


def booked_rows(actor, exam: Exam) -> list[tuple[ExamAttempt, User]]:
    """Bookings not yet started (they may move to another session): one query."""
    return [tuple(row) for row in db.session.execute(
        sa.select(ExamAttempt, User).join(User, User.id == ExamAttempt.user_id)
        .where(ExamAttempt.exam_id == exam.id, ExamAttempt.state.in_(MOVABLE_STATES),
               visible_users_filter(actor))
        .options(sa.orm.defer(ExamAttempt.paper))
        .order_by(User.real_name, ExamAttempt.id))]


def move_booking(actor, attempt: ExamAttempt, session: ExamSession) -> None:
    """Another session of the same exam for a booked candidate, while it has a seat.

    :raises ValidationFailed: ``session`` with ``full``, ``over`` or ``same``; or
        ``attempt`` / ``invalid`` when the attempt can no longer move.
    """
    user = db.session.get(User, attempt.user_id)
    if user is None or not can_accommodate(actor, user):
        raise NotFound()
    if session.exam_id != attempt.exam_id:
        raise NotFound()
    if session.id == attempt.session_id:
        raise ValidationFailed("session", "same")
    db.session.execute(sa.select(ExamSession.id).where(ExamSession.id == session.id)
                       .with_for_update())
    if session.ends_at <= utcnow():
        raise ValidationFailed("session", "over")
    if registration.seats_taken(session) >= session.capacity:
        raise ValidationFailed("session", "full")
    try:
        registration.move_to_session(actor, attempt, session)
    except ValueError:
        raise ValidationFailed("attempt", "invalid") from None
