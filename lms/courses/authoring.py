"""Editing a course draft and publishing it as an immutable version.

Every function flushes and leaves the commit to the caller. Structural edits
bump ``Course.revision`` so that a reorder based on a stale page is refused.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from lms.audit import services as audit
from lms.clock import utcnow
from lms.courses import practice, storage
from lms.courses.models import (
    Attachment,
    Course,
    CourseStatus,
    CourseVersion,
    Domain,
    Lesson,
    Level,
    Module,
)
from lms.domain.files import ALLOWED, JPEG, PNG, WEBP
from lms.domain.identity import normalise_text
from lms.domain.markdown import render_markdown
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.extensions import db
from lms.questions.models import QuestionBank

CODE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
MAX_CREDIT_HOURS = Decimal("200")
MAX_QUIZ_ITEMS = 50


class StaleEdit(InvalidTransition):
    """The page the author acted on is out of date (someone else changed the order)."""


def get_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound()
    return course


def course_by_code(code: str) -> Course:
    course = db.session.scalar(sa.select(Course).where(Course.code == code))
    if course is None:
        raise NotFound()
    return course


def new_uid() -> str:
    return secrets.token_hex(6)


def _touch(course: Course) -> None:
    course.has_unpublished_changes = True
    course.revision += 1


def _checked_fields(*, title: str, domain: str, level: str, summary: str,
                    credit_hours) -> dict:
    title = normalise_text(title)
    if not title:
        raise ValidationFailed("title", "required")
    if domain not in Domain._value2member_map_:
        raise ValidationFailed("domain", "invalid")
    if level not in Level._value2member_map_:
        raise ValidationFailed("level", "invalid")
    try:
        hours = Decimal(str(credit_hours)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("credit_hours", "invalid") from None
    if not Decimal("0") < hours <= MAX_CREDIT_HOURS:
        raise ValidationFailed("credit_hours", "range")
    return {"title": title, "domain": Domain(domain), "level": Level(level),
            "summary": (summary or "").strip(), "credit_hours": hours}


def create_course(*, code: str, actor, **fields) -> Course:
    """A new draft course. ``code`` is its permanent identifier."""
    code = normalise_text(code).lower()
    if not CODE_SHAPE.match(code):
        raise ValidationFailed("code", "shape")
    if db.session.scalar(sa.select(Course.id).where(Course.code == code)):
        raise ValidationFailed("code", "taken")
    course = Course(code=code, created_by_id=getattr(actor, "id", None),
                    **_checked_fields(**fields))
    db.session.add(course)
    db.session.flush()
    audit.record("course.created", actor=actor, obj=course, after={"code": code})
    return course


def update_course(course: Course, *, actor, **fields) -> Course:
    for name, value in _checked_fields(**fields).items():
        setattr(course, name, value)
    _touch(course)
    return course


def set_cover(course: Course, data: bytes) -> None:
    storage.check_upload(data, field="cover", allowed=(PNG, JPEG, WEBP))
    course.cover_sha256 = storage.store(data)
    _touch(course)


def set_prerequisites(course: Course, codes: list[str]) -> None:
    """Replace the prerequisites; refuses unknown codes and any cycle."""
    wanted = []
    for code in dict.fromkeys(c.strip().lower() for c in codes if c.strip()):
        required = db.session.scalar(sa.select(Course).where(Course.code == code))
        if required is None:
            raise ValidationFailed("prerequisites", "unknown", code=code)
        if required.id == course.id or _requires(required, course.id):
            raise ValidationFailed("prerequisites", "cycle", code=code)
        wanted.append(required)
    course.prerequisites = wanted
    _touch(course)


def _requires(course: Course, target_id: int) -> bool:
    """Whether ``course`` needs ``target_id`` directly or through its own prerequisites."""
    seen, stack = set(), [course]
    while stack:
        current = stack.pop()
        for required in current.prerequisites:
            if required.id == target_id:
                return True
            if required.id not in seen:
                seen.add(required.id)
                stack.append(required)
    return False


def add_module(course: Course, *, title: str, uid: str | None = None) -> Module:
    title = normalise_text(title)
    if not title:
        raise ValidationFailed("title", "required")
    module = Module(uid=uid or new_uid(), title=title, position=len(course.modules))
    course.modules.append(module)
    _touch(course)
    db.session.flush()
    return module


def rename_module(module: Module, *, title: str) -> None:
    title = normalise_text(title)
    if not title:
        raise ValidationFailed("title", "required")
    module.title = title
    _touch(module.course)


def delete_module(module: Module) -> None:
    course = module.course
    course.modules.remove(module)
    _renumber(course.modules)
    _touch(course)


def set_module_quiz(module: Module, *, bank_code: str, tags: list[str], count: int,
                    pass_percent: int) -> None:
    """Give the module a practice quiz (or change it): ``count`` items drawn from the
    approved questions of bank ``bank_code`` tagged with any of ``tags``.

    Refused unless the bank exists and can draw ``count`` items right now
    (``ValidationFailed("count", "too_few", available=…)`` says how many it can).
    """
    bank = db.session.scalar(sa.select(QuestionBank).where(
        QuestionBank.code == normalise_text(bank_code or "").lower()))
    if bank is None:
        raise ValidationFailed("bank", "unknown")
    tags = list(dict.fromkeys(t for t in (normalise_text(t) for t in tags) if t))
    if not tags:
        raise ValidationFailed("tags", "required")
    if not 1 <= count <= MAX_QUIZ_ITEMS:
        raise ValidationFailed("count", "range", max=MAX_QUIZ_ITEMS)
    if not 1 <= pass_percent <= 100:
        raise ValidationFailed("pass_percent", "range")
    can_draw = practice.available(bank.id, tags)
    if can_draw < count:
        raise ValidationFailed("count", "too_few", available=can_draw, count=count)
    module.quiz_bank_id, module.quiz_tags = bank.id, tags
    module.quiz_count, module.quiz_pass_percent = count, pass_percent
    _touch(module.course)


def clear_module_quiz(module: Module) -> None:
    """The module has no practice quiz any more (from the next published version)."""
    module.quiz_bank_id, module.quiz_tags = None, []
    module.quiz_count = module.quiz_pass_percent = None
    _touch(module.course)


def add_lesson(module: Module, *, title: str, uid: str | None = None) -> Lesson:
    title = normalise_text(title)
    if not title:
        raise ValidationFailed("title", "required")
    lesson = Lesson(uid=uid or new_uid(), title=title, course_id=module.course_id,
                    position=len(module.lessons), statutes=[])
    module.lessons.append(lesson)
    _touch(module.course)
    db.session.flush()
    return lesson


def update_lesson(lesson: Lesson, *, title: str, body_md: str, minutes: int,
                  statutes: list[dict] | None = None) -> Lesson:
    title = normalise_text(title)
    if not title:
        raise ValidationFailed("title", "required")
    if not 1 <= int(minutes) <= 600:
        raise ValidationFailed("minutes", "range")
    lesson.title, lesson.body_md, lesson.minutes = title, body_md or "", int(minutes)
    if statutes is not None:
        lesson.statutes = statutes
    _touch(lesson.module.course)
    return lesson


def delete_lesson(lesson: Lesson) -> None:
    module = lesson.module
    module.lessons.remove(lesson)
    _renumber(module.lessons)
    _touch(module.course)


def _renumber(items) -> None:
    for position, item in enumerate(items):
        item.position = position


def move(course: Course, items: list, item, offset: int, *, seen_revision: int) -> None:
    """Move ``item`` by ``offset`` places among ``items`` (its ordered siblings).

    Refused with `StaleEdit` when the course changed since the author's page
    was drawn (``seen_revision``), so two authors cannot scramble the order.
    """
    if course.revision != seen_revision:
        raise StaleEdit()
    index = items.index(item)
    target = index + offset
    if not 0 <= target < len(items):
        return
    items.insert(target, items.pop(index))
    _renumber(items)
    _touch(course)


def add_attachment(lesson: Lesson, *, filename: str, data: bytes) -> Attachment:
    kind = storage.check_upload(data, allowed=ALLOWED)
    name = _safe_filename(filename, kind.extension)
    attachment = Attachment(sha256=storage.store(data), filename=name,
                            content_type=kind.content_type, size=len(data))
    lesson.attachments.append(attachment)
    _touch(lesson.module.course)
    db.session.flush()
    return attachment


def _safe_filename(filename: str, extension: str) -> str:
    """Keep letters (Chinese too), digits, dot, dash, underscore; force the real extension."""
    stem = re.sub(r"[^\w.\-]+", "_", normalise_text(filename).rsplit(".", 1)[0])[:80]
    return (stem.strip("._") or "file") + extension


def remove_attachment(attachment: Attachment) -> None:
    lesson = attachment.lesson
    lesson.attachments.remove(attachment)
    _touch(lesson.module.course)


# -- publishing -------------------------------------------------------------


def publication_problems(course: Course) -> list[tuple[str, dict]]:
    """Why the draft cannot be published, as (code, params); empty when it can."""
    problems = []
    if not course.modules:
        problems.append(("no_modules", {}))
    for module in course.modules:
        if not module.lessons:
            problems.append(("empty_module", {"module": module.title}))
        for lesson in module.lessons:
            if not lesson.body_md.strip():
                problems.append(("empty_lesson", {"lesson": lesson.title}))
    for module, can_draw in practice.shortfalls(course):
        problems.append(("quiz_too_few", {"module": module.title, "available": can_draw,
                                          "count": module.quiz_count}))
    return problems


def _without_title_heading(body: str, title: str) -> str:
    """Drop a leading ``# <lesson title>``: the reader prints the title itself."""
    first, _, rest = body.lstrip().partition("\n")
    if first.startswith("# ") and first[2:].strip() == title.strip():
        return rest
    return body


def _quiz_content(course: Course) -> dict[int, dict]:
    """Module id → its frozen quiz settings, for the modules that have one."""
    with_quiz = [m for m in course.modules if m.quiz_bank_id is not None]
    if not with_quiz:
        return {}
    codes = dict(db.session.execute(sa.select(QuestionBank.id, QuestionBank.code).where(
        QuestionBank.id.in_({m.quiz_bank_id for m in with_quiz}))).all())
    return {m.id: {"quiz": {"bank": codes[m.quiz_bank_id], "tags": list(m.quiz_tags),
                            "count": m.quiz_count, "pass_percent": m.quiz_pass_percent}}
            for m in with_quiz}


def snapshot(course: Course) -> dict:
    """The draft as learners will see it: outline plus rendered, sanitised lessons.

    A module with a practice quiz carries its settings under ``quiz``; modules
    without one have no such key, so versions from before quizzes compare equal.
    """
    quizzes = _quiz_content(course)
    return {
        "code": course.code,
        "title": course.title,
        "summary": course.summary,
        "summary_html": render_markdown(course.summary),
        "domain": course.domain.value,
        "level": course.level.value,
        "credit_hours": str(course.credit_hours),
        "cover_sha256": course.cover_sha256,
        "prerequisites": [c.code for c in course.prerequisites],
        "modules": [
            {"uid": m.uid, "title": m.title, **quizzes.get(m.id, {}), "lessons": [
                lesson_content(uid=lesson.uid, title=lesson.title, minutes=lesson.minutes,
                               body_md=lesson.body_md, statutes=lesson.statutes,
                               attachments=lesson.attachments)
                for lesson in m.lessons]}
            for m in course.modules
        ],
    }


def lesson_content(*, uid: str, title: str, minutes: int, body_md: str, statutes: list[dict],
                   attachments: list[Attachment]) -> dict:
    """One lesson as learners read it (``templates/courses/_lesson_body.html``).

    `snapshot` freezes it from the draft; the author's preview builds it from
    unsaved form values, so the preview is exactly what learners will get.
    """
    html = render_markdown(_without_title_heading(body_md, title))
    return {"uid": uid, "title": title, "minutes": minutes, "html": html,
            "statutes": statutes,
            "attachments": [{"sha256": a.sha256, "filename": a.filename,
                             "content_type": a.content_type, "size": a.size}
                            for a in attachments]}


def publish(course: Course, *, actor) -> CourseVersion:
    """Freeze the draft into a new immutable version learners will read.

    Progress is keyed by lesson uid, so learners keep what they have read.
    """
    problems = publication_problems(course)
    if problems:
        code, params = problems[0]
        raise ValidationFailed("publish", code, **params)
    content = snapshot(course)
    number = 1 + (db.session.scalar(sa.select(sa.func.max(CourseVersion.number))
                                    .where(CourseVersion.course_id == course.id)) or 0)
    version = CourseVersion(
        course_id=course.id, number=number, title=course.title, domain=course.domain,
        level=course.level, credit_hours=course.credit_hours,
        lesson_count=sum(len(m["lessons"]) for m in content["modules"]),
        summary=content["summary"], cover_sha256=content["cover_sha256"], content=content,
        published_at=utcnow(), published_by_id=getattr(actor, "id", None))
    db.session.add(version)
    db.session.flush()
    course.published_version = version
    course.status = CourseStatus.PUBLISHED
    course.has_unpublished_changes = False
    audit.record("course.published", actor=actor, obj=course,
                 after={"version": number, "lessons": version.lesson_count})
    return version


def archive(course: Course, *, actor) -> None:
    if course.status != CourseStatus.PUBLISHED:
        raise InvalidTransition("only a published course can be archived")
    course.status = CourseStatus.ARCHIVED
    audit.record("course.archived", actor=actor, obj=course)


def restore(course: Course, *, actor) -> None:
    if course.status != CourseStatus.ARCHIVED:
        raise InvalidTransition("only an archived course can be restored")
    course.status = CourseStatus.PUBLISHED
    audit.record("course.restored", actor=actor, obj=course)
