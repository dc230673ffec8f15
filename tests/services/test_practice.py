"""Module practice quizzes: the pool, drawing, frozen versions, scoring and completion."""

from datetime import date

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.courses import authoring, learning, practice
from lms.courses.models import CreditEntry, PracticeAttempt
from lms.errors import InvalidTransition, ValidationFailed
from lms.extensions import db
from lms.questions import services
from lms.questions.models import QuestionStatus
from tests.practice_factories import (
    add_question,
    fill_bank,
    make_bank,
    quiz_course,
    right_answer,
    single,
    wrong_answer,
)
from tests.unit import item_samples

TODAY = date(2026, 12, 1)


@pytest.fixture
def author(make_user):
    return make_user(Role.TRAINER)


@pytest.fixture
def learner(make_user):
    return make_user()


def enrolled_view(user, course) -> learning.Outline:
    learning.enrol(user, course)
    db.session.commit()
    return learning.outline(user, course)


def module_uid(course) -> str:
    return course.published_version.content["modules"][0]["uid"]


def answers(attempt, *, right: int) -> dict[str, list[str]]:
    """A posted form with the first ``right`` items answered correctly, the rest wrongly."""
    form = {}
    for item in practice.items_of(attempt):
        chosen = right_answer(item.spec) if item.number <= right else wrong_answer(item.spec)
        form[item.prefix] = [chosen]
    return form


def test_drawing_is_reproducible_from_the_seed(app, author, learner):
    bank = make_bank()
    fill_bank(bank, 12)
    course = quiz_course(author, bank, count=5)
    view = enrolled_view(learner, course)
    first = practice.start_attempt(learner, view, module_uid(course), seed=42)
    again = practice.start_attempt(learner, view, module_uid(course), seed=42)
    other = practice.start_attempt(learner, view, module_uid(course), seed=43)
    assert first.question_version_ids == again.question_version_ids
    assert len(set(first.question_version_ids)) == 5
    assert other.question_version_ids != first.question_version_ids
    shown = [item.view for item in practice.items_of(first)]
    assert shown == [item.view for item in practice.items_of(again)]  # same option order too


def test_a_fresh_seed_per_attempt_gives_new_draws(app, author, learner):
    bank = make_bank()
    fill_bank(bank, 20)
    course = quiz_course(author, bank, count=5)
    view = enrolled_view(learner, course)
    attempts = [practice.start_attempt(learner, view, module_uid(course)) for _ in range(4)]
    assert len({a.seed for a in attempts}) == 4
    assert len({tuple(a.question_version_ids) for a in attempts}) > 1


def test_only_approved_versions_of_practice_types_with_the_tags_are_drawn(app, author, learner):
    bank = make_bank()
    approved = add_question(bank, single(1))
    add_question(bank, single(2), approved=False)  # never approved
    retired = add_question(bank, single(3))
    services.retire(retired, actor=None, reason="法律修订")
    add_question(bank, single(4), tags=("工会经费",))  # another knowledge point
    add_question(bank, item_samples.essay())  # marked by a person: never in practice
    add_question(bank, item_samples.case_study_auto())
    edited = add_question(bank, single(5))
    services.edit_question(edited, single(6), services.Metadata(knowledge_points=("建会条件",)),
                           actor=None)
    db.session.commit()
    assert edited.status == QuestionStatus.DRAFT  # the edit awaits review ...
    expected = {approved.approved_version_id, edited.approved_version_id}  # ... v1 serves
    assert set(practice.pool(bank.id, ["建会条件"])) == expected
    assert practice.available(bank.id, ["建会条件", "工会经费"]) == 3  # any of the tags
    assert dict(practice.tag_counts(bank.id)) == {"建会条件": 2, "工会经费": 1}


def test_an_attempt_keeps_the_versions_it_showed_after_the_question_is_edited(
        app, author, learner):
    bank = make_bank()
    [question] = fill_bank(bank, 1)
    course = quiz_course(author, bank, count=1)
    view = enrolled_view(learner, course)
    attempt = practice.start_attempt(learner, view, module_uid(course))
    shown = question.approved_version_id
    services.edit_question(question, single(99, explanation="新解析"),
                           services.Metadata(knowledge_points=("建会条件",)), actor=None)
    question.status, question.approved_version = QuestionStatus.APPROVED, question.current_version
    db.session.commit()
    assert question.approved_version_id != shown
    [item] = practice.items_of(attempt)
    assert item.version.id == shown and "第1题" in item.view["stem"]
    outcome = practice.submit(learner, view, attempt, {"q1": ["b"]}, today=TODAY)
    assert outcome.summary.passed
    [item] = practice.items_of(attempt)
    assert item.result.correct and "解析1" in item.explanation_html
    fresh = practice.start_attempt(learner, view, module_uid(course))
    assert fresh.question_version_ids == [question.approved_version_id]


def test_the_course_completes_only_when_lessons_are_read_and_the_quiz_passed(
        app, author, learner):
    bank = make_bank()
    fill_bank(bank, 5)
    course = quiz_course(author, bank, count=5, pass_percent=80, lessons=2, credit_hours="3")
    view = enrolled_view(learner, course)
    uid = module_uid(course)
    first, second = (lesson["uid"] for lesson in view.lessons)
    assert not learning.complete_lesson(learner, view, first, today=TODAY)
    failed = practice.start_attempt(learner, view, uid)
    assert not practice.submit(learner, view, failed, answers(failed, right=3),
                               today=TODAY).summary.passed
    passed = practice.start_attempt(learner, view, uid)
    outcome = practice.submit(learner, view, passed, answers(passed, right=4), today=TODAY)
    assert outcome.summary.passed and not outcome.completed_course  # a lesson is unread
    db.session.commit()
    view = learning.outline(learner, course)
    assert view.quiz_status(uid).state == "passed" and view.quiz_status(uid).attempts == 2
    assert str(view.quiz_status(uid).best_percent) == "80.00"
    assert learning.complete_lesson(learner, view, second, today=TODAY)
    db.session.commit()
    [entry] = db.session.scalars(sa.select(CreditEntry)).all()
    assert str(entry.hours) == "3.00"


def test_passing_the_last_quiz_completes_the_course(app, author, learner):
    bank = make_bank()
    fill_bank(bank, 3)
    course = quiz_course(author, bank, count=3)
    view = enrolled_view(learner, course)
    learning.complete_lesson(learner, view, view.lessons[0]["uid"], today=TODAY)
    assert view.enrollment.completed_at is None
    attempt = practice.start_attempt(learner, view, module_uid(course))
    outcome = practice.submit(learner, view, attempt, answers(attempt, right=3), today=TODAY)
    assert outcome.completed_course and view.enrollment.completed_at is not None


@pytest.mark.parametrize(("right", "passed"), [(2, False), (3, True)])
def test_a_score_exactly_at_the_threshold_passes(app, author, learner, right, passed):
    bank = make_bank()
    fill_bank(bank, 5)
    course = quiz_course(author, bank, count=5, pass_percent=60)
    view = enrolled_view(learner, course)
    attempt = practice.start_attempt(learner, view, module_uid(course))
    summary = practice.submit(learner, view, attempt, answers(attempt, right=right),
                              today=TODAY).summary
    assert summary.passed is passed
    assert str(summary.percent) == ("60.00" if passed else "40.00")
    db.session.commit()
    row = db.session.get(PracticeAttempt, attempt.id)
    assert row.passed is passed and row.submitted_at is not None
    assert row.responses[str(row.question_version_ids[0])] == "b"


def test_an_attempt_is_submitted_once(app, author, learner):
    bank = make_bank()
    fill_bank(bank, 2)
    course = quiz_course(author, bank, count=2)
    view = enrolled_view(learner, course)
    attempt = practice.start_attempt(learner, view, module_uid(course))
    practice.submit(learner, view, attempt, answers(attempt, right=0), today=TODAY)
    with pytest.raises(InvalidTransition):
        practice.submit(learner, view, attempt, answers(attempt, right=2), today=TODAY)
    assert attempt.passed is False


def test_the_quiz_settings_are_frozen_in_the_published_version(app, author):
    bank = make_bank("union-law-test")
    fill_bank(bank, 4)
    course = quiz_course(author, bank, tags=("建会条件", "工会经费"), count=4, pass_percent=75)
    module = course.published_version.content["modules"][0]
    assert module["quiz"] == {"bank": "union-law-test", "tags": ["建会条件", "工会经费"],
                              "count": 4, "pass_percent": 75}
    authoring.clear_module_quiz(course.modules[0])
    assert "quiz" not in authoring.snapshot(course)["modules"][0]
    assert course.published_version.content["modules"][0]["quiz"]["count"] == 4


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({"bank_code": "no-such-bank"}, "bank", "unknown"),
    ({"tags": [" ", ""]}, "tags", "required"),
    ({"count": 0}, "count", "range"),
    ({"count": 51}, "count", "range"),
    ({"pass_percent": 101}, "pass_percent", "range"),
    ({"count": 4}, "count", "too_few"),
])
def test_quiz_settings_are_checked(app, author, fields, field, reason):
    bank = make_bank()
    fill_bank(bank, 3)
    add_question(bank, single(9), approved=False)
    course = quiz_course(author, bank, publish=False)
    values = {"bank_code": bank.code, "tags": ["建会条件"], "count": 3, "pass_percent": 60,
              **fields}
    with pytest.raises(ValidationFailed) as failed:
        authoring.set_module_quiz(course.modules[0], **values)
    assert (failed.value.field, failed.value.reason) == (field, reason)
    if reason == "too_few":
        assert failed.value.params == {"available": 3, "count": 4}


def test_publishing_is_refused_when_a_quiz_cannot_draw_enough(app, author):
    bank = make_bank()
    questions = fill_bank(bank, 3)
    course = quiz_course(author, bank, count=3, publish=False)
    assert authoring.publication_problems(course) == []
    services.retire(questions[0], actor=None, reason="法律修订")
    problems = authoring.publication_problems(course)
    assert problems == [("quiz_too_few", {"module": "第1单元", "available": 2, "count": 3})]
    with pytest.raises(ValidationFailed):
        authoring.publish(course, actor=author)


def test_a_quiz_with_nothing_left_to_draw_is_unavailable(app, author, learner):
    bank = make_bank()
    questions = fill_bank(bank, 2)
    course = quiz_course(author, bank, count=2)
    for question in questions:
        services.retire(question, actor=None, reason="法律修订")
    db.session.commit()
    view = enrolled_view(learner, course)
    with pytest.raises(ValidationFailed) as failed:
        practice.start_attempt(learner, view, module_uid(course))
    assert failed.value.reason == "unavailable"
