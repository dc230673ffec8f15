"""Course drafts, publishing, versions and progress at the service level."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lms.courses import authoring, learning
from lms.courses.models import CourseStatus, CreditEntry
from lms.errors import ValidationFailed
from lms.extensions import db
from tests.factories import make_course
from tests.services.test_migrations import empty_database, migration_app  # noqa: F401


def test_publish_freezes_a_rendered_sanitised_snapshot(app, make_user):
    author = make_user("trainer")
    course = make_course(author, lessons=[["<script>alert(1)</script> **粗体**"]])
    version = authoring.publish(course, actor=author)
    db.session.commit()
    html = version.content["modules"][0]["lessons"][0]["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>粗体</strong>" in html
    assert course.status == CourseStatus.PUBLISHED and version.number == 1
    # editing the draft leaves the published version untouched
    lesson = course.modules[0].lessons[0]
    authoring.update_lesson(lesson, title="新标题", body_md="改过的内容", minutes=5)
    db.session.commit()
    assert version.content["modules"][0]["lessons"][0]["title"] != "新标题"
    assert course.has_unpublished_changes


@pytest.mark.parametrize("shape", [[], [[]], [[""]]])
def test_an_empty_course_cannot_be_published(app, make_user, shape):
    author = make_user("trainer")
    course = make_course(author, lessons=shape)
    with pytest.raises(ValidationFailed):
        authoring.publish(course, actor=author)
    assert course.published_version is None


def test_circular_prerequisites_are_refused(app, make_user):
    author = make_user("trainer")
    a, b, c = (make_course(author, code=code) for code in ("course-a", "course-b", "course-c"))
    authoring.set_prerequisites(b, ["course-a"])
    authoring.set_prerequisites(c, ["course-b"])
    with pytest.raises(ValidationFailed) as err:
        authoring.set_prerequisites(a, ["course-c"])
    assert err.value.reason == "cycle"
    with pytest.raises(ValidationFailed):
        authoring.set_prerequisites(a, ["course-a"])
    assert a.prerequisites == []


def test_progress_survives_a_new_version(app, make_user):
    author, learner = make_user("trainer"), make_user()
    course = make_course(author, lessons=[["第一课", "第二课"]])
    authoring.publish(course, actor=author)
    learning.enrol(learner, course)
    first_uid = course.modules[0].lessons[0].uid
    view = learning.outline(learner, course)
    learning.complete_lesson(learner, view, first_uid, today=date(2026, 11, 24))
    db.session.commit()

    authoring.add_lesson(course.modules[0], title="新增第三课")
    authoring.update_lesson(course.modules[0].lessons[2], title="新增第三课", body_md="内容",
                            minutes=5)
    authoring.publish(course, actor=author)
    db.session.commit()
    view = learning.outline(learner, course)
    assert view.version.number == 2
    assert view.is_done(first_uid) and view.done_count == 1 and len(view.lessons) == 3


def test_completing_every_lesson_completes_the_course_and_writes_the_ledger(app, make_user):
    author, learner = make_user("trainer"), make_user()
    course = make_course(author, lessons=[["一"], ["二"]], credit_hours="2.5")
    version = authoring.publish(course, actor=author)
    learning.enrol(learner, course)
    view = learning.outline(learner, course)
    uids = [lesson["uid"] for lesson in view.lessons]
    assert not learning.complete_lesson(learner, view, uids[0], today=date(2026, 11, 24))
    assert learning.complete_lesson(learner, view, uids[1], today=date(2026, 11, 24))
    db.session.commit()
    [entry] = db.session.scalars(db.select(CreditEntry)).all()
    assert (entry.user_id, entry.course_version_id, entry.hours) == (
        learner.id, version.id, Decimal("2.50"))
    summary = learning.credit_summary(learner)
    assert summary.by_year == {2026: {"union_law": Decimal("2.50")}}
    # completing again writes nothing more
    assert not learning.complete_lesson(learner, view, uids[1], today=date(2026, 11, 25))
    db.session.commit()
    assert len(db.session.scalars(db.select(CreditEntry)).all()) == 1


def test_enrolment_needs_completed_prerequisites(app, make_user):
    author, learner = make_user("trainer"), make_user()
    basic = make_course(author, code="basic-course", lessons=[["一"]])
    advanced = make_course(author, code="advanced-course", lessons=[["二"]])
    authoring.set_prerequisites(advanced, ["basic-course"])
    for course in (basic, advanced):
        authoring.publish(course, actor=author)
    with pytest.raises(ValidationFailed) as err:
        learning.enrol(learner, advanced)
    assert err.value.reason == "prerequisites"
    learning.enrol(learner, basic)
    view = learning.outline(learner, basic)
    learning.complete_lesson(learner, view, view.lessons[0]["uid"], today=date(2026, 11, 24))
    assert learning.enrol(learner, advanced).course_id == advanced.id


def test_heartbeat_adds_capped_time(app, make_user):
    author, learner = make_user("trainer"), make_user()
    course = make_course(author, lessons=[["一"]])
    authoring.publish(course, actor=author)
    learning.enrol(learner, course)
    view = learning.outline(learner, course)
    uid = view.lessons[0]["uid"]
    learning.heartbeat(learner, view, uid, 30)
    assert learning.heartbeat(learner, view, uid, 3600) == 30 + learning.HEARTBEAT_MAX_SECONDS
    assert learning.heartbeat(learner, view, uid, -50) == 30 + learning.HEARTBEAT_MAX_SECONDS


def test_stale_reorder_is_refused(app, make_user):
    author = make_user("trainer")
    course = make_course(author, lessons=[["一"], ["二"]])
    seen = course.revision
    first, second = course.modules
    authoring.move(course, course.modules, second, -1, seen_revision=seen)
    assert [m.id for m in course.modules] == [second.id, first.id]
    with pytest.raises(authoring.StaleEdit):
        authoring.move(course, course.modules, second, +1, seen_revision=seen)
    assert [m.id for m in course.modules] == [second.id, first.id]


def test_migration_0020_copies_each_versions_summary_and_cover_out_of_its_content(
        migration_app):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    upgrade(revision="0019")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    tables = sa.MetaData()
    courses, versions = (sa.Table(name, tables, autoload_with=db.engine)
                         for name in ("courses", "course_versions"))
    common = {"title": "工会法", "domain": "union_law", "level": "basic",
              "credit_hours": 1}
    course_id = db.session.execute(courses.insert().values(
        code="law", summary="", status="published", has_unpublished_changes=False,
        revision=0, created_at=now, updated_at=now, **common)).inserted_primary_key[0]
    for number, content in ((1, {"summary": "第一版", "cover_sha256": "ab" * 32,
                                 "modules": []}),
                            (2, {"summary": "第二版", "cover_sha256": None, "modules": []})):
        db.session.execute(versions.insert().values(
            course_id=course_id, number=number, lesson_count=0, content=content,
            published_at=now, **common))
    db.session.commit()
    upgrade(revision="0020")
    rows = db.session.execute(sa.text(
        "SELECT number, summary, cover_sha256 FROM course_versions ORDER BY number")).all()
    assert [tuple(r) for r in rows] == [(1, "第一版", "ab" * 32), (2, "第二版", None)]
    db.session.rollback()
    downgrade(revision="0019")
