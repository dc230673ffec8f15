"""The course folder format: ``course.yaml`` plus one Markdown file per lesson.

`parse_course_dir` reads and checks a folder without touching the database and
reports every problem with its file and line; `import_course` applies a parsed
folder to the draft (modules and lessons matched by key, so lesson identity and
learners' progress survive); `export_course` writes a draft back out.
See ``lms/courses/content/README.md`` for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from lms.courses import authoring
from lms.courses.models import Course, Domain, Level
from lms.domain.lined_yaml import error_line, load_lined
from lms.extensions import db

KEY_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CONTENT_ROOT = Path(__file__).parent / "content"


@dataclass(frozen=True)
class FileProblem:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


class CourseFileError(Exception):
    def __init__(self, problems: list[FileProblem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass
class LessonFile:
    key: str
    title: str
    minutes: int
    body_md: str
    statutes: list[dict]


@dataclass
class ModuleFile:
    key: str
    title: str
    lessons: list[LessonFile] = field(default_factory=list)


@dataclass
class CourseFile:
    code: str
    title: str
    domain: str
    level: str
    credit_hours: Decimal
    summary: str
    prerequisites: list[str]
    modules: list[ModuleFile]


# -- reading -------------------------------------------------------------------


def parse_course_dir(path: Path) -> CourseFile:
    """Read and check a course folder; raises `CourseFileError` listing every problem."""
    path = Path(path)
    manifest = path / "course.yaml"
    name = f"{path.name}/course.yaml"
    try:
        data = load_lined(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseFileError([FileProblem(name, None, "file not found")]) from None
    except UnicodeDecodeError:
        raise CourseFileError([FileProblem(name, None, "not UTF-8 text")]) from None
    except yaml.YAMLError as exc:
        raise CourseFileError([FileProblem(name, error_line(exc),
                                           f"YAML: {getattr(exc, 'problem', exc)}")]) from None
    checker = _Checker(path, name)
    course = checker.course(data)
    if checker.problems:
        raise CourseFileError(checker.problems)
    return course


class _Checker:
    def __init__(self, root: Path, name: str):
        self.root, self.name, self.problems = root, name, []
        self.lesson_keys: set[str] = set()

    def fail(self, where, reason: str) -> None:
        self.problems.append(FileProblem(self.name, getattr(where, "line", None), reason))

    def text(self, data, key: str, where=None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(where or data, f"'{key}' must be a non-empty text")
            return ""
        return value.strip()

    def course(self, data) -> CourseFile | None:
        if not isinstance(data, dict):
            self.fail(None, "the file must be a mapping with code, title, modules …")
            return None
        code = self.text(data, "code")
        if code and not authoring.CODE_SHAPE.match(code):
            self.fail(data, f"code '{code}' must be lower-case letters, digits and hyphens")
        domain = data.get("domain")
        if domain not in Domain._value2member_map_:
            self.fail(data, f"domain must be one of {', '.join(Domain)}")
        level = data.get("level", "basic")
        if level not in Level._value2member_map_:
            self.fail(data, f"level must be one of {', '.join(Level)}")
        try:
            hours = Decimal(str(data.get("credit_hours")))
            if not Decimal("0") < hours <= authoring.MAX_CREDIT_HOURS:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            self.fail(data, "credit_hours must be a number above 0 and at most 200")
            hours = Decimal("0")
        prerequisites = data.get("prerequisites") or []
        if not isinstance(prerequisites, list):
            self.fail(data, "prerequisites must be a list of course codes")
            prerequisites = []
        modules = data.get("modules")
        if not isinstance(modules, list) or not modules:
            self.fail(data, "modules must be a non-empty list")
            modules = []
        module_keys: set[str] = set()
        parsed = [self.module(m, module_keys) for m in modules]
        return CourseFile(code=code, title=self.text(data, "title"), domain=str(domain),
                          level=str(level), credit_hours=hours,
                          summary=str(data.get("summary") or "").strip(),
                          prerequisites=[str(p) for p in prerequisites],
                          modules=[m for m in parsed if m])

    def key(self, data, seen: set[str], what: str) -> str:
        key = data.get("key")
        if not isinstance(key, str) or not KEY_SHAPE.match(key):
            self.fail(data, f"{what} key must be lower-case letters, digits and hyphens")
            return ""
        if key in seen:
            self.fail(data, f"{what} key '{key}' is used twice")
        seen.add(key)
        return key

    def module(self, data, seen: set[str]) -> ModuleFile | None:
        if not isinstance(data, dict):
            self.fail(None, "each module must be a mapping with key, title, lessons")
            return None
        module = ModuleFile(key=self.key(data, seen, "module"), title=self.text(data, "title"))
        lessons = data.get("lessons")
        if not isinstance(lessons, list) or not lessons:
            self.fail(data, f"module '{module.key}' needs a non-empty list of lessons")
            lessons = []
        module.lessons = [lf for lf in (self.lesson(x) for x in lessons) if lf]
        return module

    def lesson(self, data) -> LessonFile | None:
        if not isinstance(data, dict):
            self.fail(None, "each lesson must be a mapping with key, title, minutes, file")
            return None
        key = self.key(data, self.lesson_keys, "lesson")
        minutes = data.get("minutes")
        if not isinstance(minutes, int) or not 1 <= minutes <= 600:
            self.fail(data, f"lesson '{key}': minutes must be a whole number from 1 to 600")
            minutes = 1
        return LessonFile(key=key, title=self.text(data, "title"), minutes=minutes,
                          body_md=self.body(data, key), statutes=self.statutes(data, key))

    def body(self, data, key: str) -> str:
        relative = data.get("file")
        target = (self.root / str(relative)).resolve() if relative else None
        if target is None or not target.is_relative_to(self.root.resolve()):
            self.fail(data, f"lesson '{key}': 'file' must name a file inside the course folder")
            return ""
        try:
            body = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.fail(data, f"lesson '{key}': file {relative} not found")
            return ""
        except UnicodeDecodeError:
            self.fail(data, f"lesson '{key}': file {relative} is not UTF-8 text")
            return ""
        if not body.strip():
            self.fail(data, f"lesson '{key}': file {relative} is empty")
        return body

    def statutes(self, data, key: str) -> list[dict]:
        statutes = data.get("statutes") or []
        result = []
        if not isinstance(statutes, list):
            self.fail(data, f"lesson '{key}': statutes must be a list")
            return result
        for item in statutes:
            ok = (isinstance(item, dict) and isinstance(item.get("law"), str)
                  and isinstance(item.get("articles"), list)
                  and all(isinstance(a, str) for a in item["articles"]))
            if not ok:
                self.fail(item if isinstance(item, dict) else data,
                          f"lesson '{key}': each statute needs law, version and a list of "
                          "articles")
                continue
            result.append({"law": item["law"], "version": str(item.get("version") or ""),
                           "articles": list(item["articles"])})
        return result


# -- applying ------------------------------------------------------------------


def import_course(parsed: CourseFile, *, actor=None) -> Course:
    """Create or update the draft of ``parsed.code`` to match the folder exactly.

    Modules and lessons are matched by key (their uid), so re-importing an
    edited folder keeps lesson identity. The draft is marked changed only if
    it now differs from the published version.
    """
    fields = {"title": parsed.title, "domain": parsed.domain, "level": parsed.level,
              "summary": parsed.summary, "credit_hours": parsed.credit_hours}
    course = db.session.scalar(db.select(Course).where(Course.code == parsed.code))
    if course is None:
        course = authoring.create_course(code=parsed.code, actor=actor, **fields)
    else:
        authoring.update_course(course, actor=actor, **fields)
    authoring.set_prerequisites(course, parsed.prerequisites)
    _apply_modules(course, parsed.modules)
    db.session.flush()
    published = course.published_version
    course.has_unpublished_changes = (published is None
                                      or authoring.snapshot(course) != published.content)
    return course


def _apply_modules(course: Course, modules: list[ModuleFile]) -> None:
    existing = {m.uid: m for m in course.modules}
    lessons = {lesson.uid: lesson for m in course.modules for lesson in m.lessons}
    ordered = []
    for module_file in modules:
        module = existing.pop(module_file.key, None) or authoring.add_module(
            course, title=module_file.title, uid=module_file.key)
        module.title = module_file.title
        ordered.append(module)
        module_lessons = []
        for lesson_file in module_file.lessons:
            lesson = lessons.pop(lesson_file.key, None) or authoring.add_lesson(
                module, title=lesson_file.title, uid=lesson_file.key)
            lesson.module = module
            lesson.title, lesson.body_md = lesson_file.title, lesson_file.body_md
            lesson.minutes, lesson.statutes = lesson_file.minutes, lesson_file.statutes
            module_lessons.append(lesson)
        module.lessons = module_lessons
    course.modules = ordered
    for items in [course.modules, *[m.lessons for m in course.modules]]:
        authoring._renumber(items)


def export_course(course: Course, target: Path) -> Path:
    """Write the draft of ``course`` as a course folder under ``target``."""
    folder = Path(target) / course.code
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    manifest = {
        "code": course.code, "title": course.title, "domain": course.domain.value,
        "level": course.level.value, "credit_hours": float(course.credit_hours),
        "summary": course.summary, "prerequisites": [c.code for c in course.prerequisites],
        "modules": [],
    }
    for m_index, module in enumerate(course.modules, 1):
        entry = {"key": module.uid, "title": module.title, "lessons": []}
        for l_index, lesson in enumerate(module.lessons, 1):
            name = f"lessons/{m_index:02d}-{l_index:02d}-{lesson.uid}.md"
            (folder / name).write_text(lesson.body_md, encoding="utf-8")
            entry["lessons"].append({"key": lesson.uid, "title": lesson.title,
                                     "minutes": lesson.minutes, "file": name,
                                     "statutes": lesson.statutes})
        manifest["modules"].append(entry)
    (folder / "course.yaml").write_text(
        yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def shipped_course_dirs() -> list[Path]:
    """The course folders shipped in the package, prerequisites first by name order."""
    if not CONTENT_ROOT.exists():
        return []
    return sorted(p for p in CONTENT_ROOT.iterdir() if (p / "course.yaml").exists())
