"""The course folder format: validate, import (all or nothing), export, re-import."""

import re
from pathlib import Path

import sqlalchemy as sa

from lms.courses.files import CourseFileError, parse_course_dir
from lms.courses.models import Course, Lesson
from lms.extensions import db

DATA = Path(__file__).parents[1] / "data" / "courses"


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["lms", "courses", *args])


def test_broken_folder_reports_file_line_and_reason():
    try:
        parse_course_dir(DATA / "broken-course")
    except CourseFileError as exc:
        text = "\n".join(map(str, exc.problems))
    else:
        raise AssertionError("the broken folder was accepted")
    assert "broken-course/course.yaml:1: code 'Broken Course'" in text
    assert "domain must be one of" in text
    assert "credit_hours must be a number" in text
    assert "lesson key 'same' is used twice" in text
    assert "course.yaml:13: lesson 'same': minutes" in text
    assert "must name a file inside the course folder" in text


def test_yaml_syntax_error_names_the_line(tmp_path):
    (tmp_path / "course.yaml").write_text("code: x\nmodules: [\n", encoding="utf-8")
    try:
        parse_course_dir(tmp_path)
    except CourseFileError as exc:
        [problem] = exc.problems
        assert problem.line is not None and problem.reason.startswith("YAML")
    else:
        raise AssertionError("accepted")


def test_cli_import_of_a_broken_folder_imports_nothing(app):
    result = invoke(app, "import", str(DATA / "broken-course"))
    assert result.exit_code == 1
    assert "FAIL broken-course/course.yaml:" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0


def test_import_publish_export_and_reimport_keep_lesson_identity(app, tmp_path):
    result = invoke(app, "import", str(DATA / "sample-course"), "--publish")
    assert result.exit_code == 0, result.output
    assert "3 lessons; published as version 1" in result.output
    course = db.session.scalar(sa.select(Course).where(Course.code == "sample-course"))
    ids = {lesson.uid: lesson.id for lesson in db.session.scalars(sa.select(Lesson))}
    assert set(ids) == {"one", "two", "three"}
    html = course.published_version.content["modules"][0]["lessons"][1]["html"]
    assert "<script>" not in html

    again = invoke(app, "import", str(DATA / "sample-course"), "--publish")
    assert "unchanged" in again.output
    assert course.published_version.number == 1

    assert invoke(app, "export", "sample-course", str(tmp_path)).exit_code == 0
    exported = parse_course_dir(tmp_path / "sample-course")
    assert [[x.key for x in m.lessons] for m in exported.modules] == [["one", "two"], ["three"]]
    lesson = exported.modules[0].lessons[0]
    lesson_file = tmp_path / "sample-course" / "lessons" / "01-01-one.md"
    lesson_file.write_text(lesson.body_md + "\n补充一段。\n", encoding="utf-8")
    result = invoke(app, "import", str(tmp_path / "sample-course"), "--publish")
    assert "published as version 2" in result.output
    db.session.expire_all()
    assert {x.uid: x.id for x in db.session.scalars(sa.select(Lesson))} == ids


def test_validate_command_checks_without_importing(app):
    ok = invoke(app, "validate", str(DATA / "sample-course"))
    assert ok.exit_code == 0
    bad = invoke(app, "validate", str(DATA / "broken-course"))
    assert bad.exit_code == 1
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0


def test_export_without_a_code_writes_every_shipped_course_with_its_lessons(app, tmp_path):
    """The issue's proof: `courses export DIR` yields the whole catalogue as folders."""
    from lms.seed import seed_courses

    seed_courses()
    db.session.commit()
    target = tmp_path / "export"
    result = invoke(app, "export", str(target))
    assert result.exit_code == 0, result.output
    folders = sorted(p.name for p in target.iterdir())
    assert {"labor-law", "negotiation", "union-law", "wage-accounting"} <= set(folders)
    lessons = [lesson for folder in folders
               for module in parse_course_dir(target / folder).modules
               for lesson in module.lessons]
    assert len(lessons) >= 48
    han = re.compile(r"[\u4e00-\u9fff]")
    assert min(len(han.findall(lesson.body_md)) for lesson in lessons) >= 600
    assert invoke(app, "export", "a", "b", "c").exit_code == 2
