"""Module practice quizzes on the web: taking one, feedback, retry, completion, authoring."""

import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.courses.models import CreditEntry, Enrollment, PracticeAttempt
from lms.domain.items import ItemSpec
from lms.extensions import db
from lms.questions import services
from tests.conftest import count_queries
from tests.practice_factories import (
    add_question,
    fill_bank,
    make_bank,
    quiz_course,
    right_answer,
    single,
)
from tests.unit import item_samples


@pytest.fixture
def trainer(make_user):
    return make_user(Role.TRAINER, name="赵老师")


@pytest.fixture
def learner(make_user):
    return make_user()


def text(response) -> str:
    return response.get_data(as_text=True)


def quiz_url(course) -> str:
    uid = course.published_version.content["modules"][0]["uid"]
    return f"/courses/{course.code}/modules/{uid}/quiz"


def enrol(client, course) -> None:
    client.post(f"/courses/{course.code}/enrol")


def latest_attempt() -> PracticeAttempt:
    return db.session.scalars(sa.select(PracticeAttempt).order_by(PracticeAttempt.id.desc())
                              ).first()


def form_from_attempt(attempt, *, right: bool = True) -> dict:
    """The posted form answering every item of ``attempt`` (right or wrong)."""
    from lms.courses import practice

    form = {}
    for item in practice.items_of(attempt):
        answer = right_answer(item.spec)
        if isinstance(answer, dict):
            form.update({f"{item.prefix}-{n}": value if right else "不对" for n, value in
                         answer.items()})
        elif isinstance(answer, bool):
            form[item.prefix] = str(answer == right).lower()
        else:
            form[item.prefix] = answer if right else next(
                c.id for c in item.spec.choices if c.id != answer)
    return form


def quiz_form(page: str) -> str:
    """The quiz form, without its CSRF token (signed with the second it was made in)."""
    form = re.search(r'<form method="post" action="[^"]*/quiz/\d+">.*?</form>', page,
                     re.S).group(0)
    return re.sub(r'(name="csrf_token" value=")[^"]*', r"\1", form)


def submit(client, course, attempt, form):
    return client.post(f"{quiz_url(course)}/{attempt.id}", data=form)


ALL_TYPES = ("single_choice", "multiple_choice", "true_false", "fill_blank", "numeric",
             "parametric", "matching", "ordering")


def key_material(spec: ItemSpec) -> list[str]:
    """Strings that would give the answer away if they reached the question page."""
    found = [spec.explanation]
    for blank in getattr(spec, "blanks", ()):
        found += list(blank.accepted)
    for answer in getattr(spec, "answers", ()):
        found.append(str(answer.value))
    if getattr(spec, "expression", None):
        found.append(spec.expression)
    return found


def leaks(secret: str, page: str) -> bool:
    """Whether ``secret`` is on the page; a number only as a whole number, so that a
    randomly drawn wage such as 4,200.00 does not count as the key 200.00."""
    if re.fullmatch(r"-?\d+(?:\.\d+)?", secret):
        return re.search(rf"(?<![\d.,]){re.escape(secret)}(?!\d)", page) is not None
    return secret in page


def test_the_quiz_page_shows_every_practice_type_without_key_material(
        client, login_as, trainer, learner):
    bank = make_bank()
    specs = [item_samples.ALL[name]() for name in ALL_TYPES]
    for spec in specs:
        add_question(bank, spec, statutes=[{"law": "中华人民共和国工会法",
                                            "version": "2021-12-24", "articles": ["第九十九条"]}])
    add_question(bank, item_samples.essay())  # never drawn into practice
    course = quiz_course(trainer, bank, count=len(specs))
    login_as(learner)
    enrol(client, course)
    response = client.get(quiz_url(course))
    assert response.status_code == 200
    page = text(response)
    assert "练习测验" in page and page.count('class="card mb-3 quiz-item"') == len(specs)
    for spec in specs:
        for secret in key_material(spec):
            assert not leaks(secret, page), secret
    assert item_samples.SECRET not in page and "第九十九条" not in page
    assert "weight" not in page and "accepted" not in page
    assert "论述工会" not in page  # the essay
    assert re.search(r'name="q\d+-1"', page)  # a blank of the fill-in item
    assert 'inputmode="decimal"' in page and "<select" in page
    parametric = next(i for i in specs if i.item_type == "parametric")
    assert "{monthly}" not in page and parametric.stem.split("{")[0] in page
    # a second visit shows the same open attempt, not a new draw
    again = text(client.get(quiz_url(course)))
    assert quiz_form(again) == quiz_form(page)
    assert db.session.scalar(sa.select(sa.func.count(PracticeAttempt.id))) == 1


def test_submitting_shows_the_answer_explanation_and_articles(client, login_as, trainer,
                                                               learner):
    bank = make_bank()
    add_question(bank, single(1, explanation="依据**工会法第十一条**，须报上一级工会批准。"))
    add_question(bank, item_samples.fill_blank())
    course = quiz_course(trainer, bank, count=2, pass_percent=100)
    login_as(learner)
    enrol(client, course)
    client.get(quiz_url(course))
    attempt = latest_attempt()
    form = form_from_attempt(attempt)
    form = {k: v for k, v in form.items() if not k.endswith("-2")}  # one blank left empty
    response = submit(client, course, attempt, form)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "<strong>工会法第十一条</strong>" in page  # the explanation, rendered
    assert "中华人民共和国工会法" in page and "第十一条" in page  # the cited articles
    assert "ABCSECRET" in page  # the key of the blank left empty
    assert "正确答案" in page and "您的选择" in page
    assert "未通过" in page and "66.67%" in page  # 1 + 1 of 3 points
    assert "再练一次" in page


def test_retry_draws_a_new_set(client, login_as, trainer, learner):
    bank = make_bank()
    fill_bank(bank, 30)
    course = quiz_course(trainer, bank, count=5)
    login_as(learner)
    enrol(client, course)
    drawn = []
    for _ in range(3):
        client.get(quiz_url(course))
        attempt = latest_attempt()
        drawn.append(tuple(attempt.question_version_ids))
        submit(client, course, attempt, form_from_attempt(attempt, right=False))
    assert db.session.scalar(sa.select(sa.func.count(PracticeAttempt.id))) == 3
    assert len(set(drawn)) > 1


def test_a_second_submission_does_not_change_the_result(client, login_as, trainer, learner):
    bank = make_bank()
    fill_bank(bank, 2)
    course = quiz_course(trainer, bank, count=2)
    login_as(learner)
    enrol(client, course)
    client.get(quiz_url(course))
    attempt = latest_attempt()
    submit(client, course, attempt, form_from_attempt(attempt, right=False))
    again = submit(client, course, attempt, form_from_attempt(attempt))
    assert again.status_code == 302
    db.session.expire_all()
    assert latest_attempt().passed is False


def test_the_course_completes_only_after_the_quiz_is_passed(client, login_as, trainer, learner):
    bank = make_bank()
    fill_bank(bank, 3)
    course = quiz_course(trainer, bank, count=3, pass_percent=60, credit_hours="2")
    login_as(learner)
    enrol(client, course)
    lesson = course.published_version.content["modules"][0]["lessons"][0]["uid"]
    done = client.post(f"/courses/{course.code}/lessons/{lesson}/complete")
    assert done.headers["Location"].endswith(quiz_url(course))  # on to the quiz
    page = text(client.get(f"/courses/{course.code}"))
    assert "尚未参加" in page and "练习测验已通过 0/1 个" in page
    assert db.session.scalar(sa.select(Enrollment.completed_at)) is None

    client.get(quiz_url(course))
    attempt = latest_attempt()
    submit(client, course, attempt, form_from_attempt(attempt, right=False))
    assert db.session.scalar(sa.select(Enrollment.completed_at)) is None
    assert "尚未通过（最高 0%）" in text(client.get(f"/courses/{course.code}"))

    client.get(quiz_url(course))
    attempt = latest_attempt()
    response = submit(client, course, attempt, form_from_attempt(attempt))
    page = text(client.get(response.headers["Location"]))
    assert "已通过" in page and "恭喜" in page
    assert db.session.scalar(sa.select(Enrollment.completed_at)) is not None
    [entry] = db.session.scalars(sa.select(CreditEntry)).all()
    assert str(entry.hours) == "2.00"
    page = text(client.get(f"/courses/{course.code}"))
    assert "已通过（最高 100%）" in page and "已于" in page


def test_the_quiz_needs_enrolment_and_someone_elses_attempt_is_not_found(
        client, login_as, trainer, learner, make_user):
    bank = make_bank()
    fill_bank(bank, 2)
    course = quiz_course(trainer, bank, count=2)
    login_as(learner)
    assert client.get(quiz_url(course)).headers["Location"].endswith(f"/courses/{course.code}")
    enrol(client, course)
    client.get(quiz_url(course))
    attempt = latest_attempt()
    login_as(make_user())
    enrol(client, course)
    assert client.get(f"{quiz_url(course)}/{attempt.id}").status_code == 404
    assert submit(client, course, attempt, {}).status_code == 404
    assert client.get(f"/courses/{course.code}/modules/nope/quiz").status_code == 404


def test_quiz_pages_run_the_same_number_of_queries_whatever_the_count(
        client, login_as, trainer, learner):
    bank = make_bank()
    fill_bank(bank, 12)
    counts = {}
    for count in (2, 10):
        course = quiz_course(trainer, bank, count=count)
        login_as(learner)
        enrol(client, course)
        client.get(quiz_url(course))  # draws the attempt
        attempt = latest_attempt()
        with count_queries() as on_page:
            assert client.get(quiz_url(course)).status_code == 200
        form = form_from_attempt(attempt)
        with count_queries() as on_submit:
            response = submit(client, course, attempt, form)
        with count_queries() as on_result:
            assert client.get(response.headers["Location"]).status_code == 200
        counts[count] = (len(on_page), len(on_submit), len(on_result))
    assert counts[2] == counts[10], counts
    assert max(counts[2]) <= 12, counts


def test_a_quiz_with_nothing_to_draw_says_so(client, login_as, trainer, learner):
    bank = make_bank()
    questions = fill_bank(bank, 1)
    course = quiz_course(trainer, bank, count=1)
    services.retire(questions[0], actor=None, reason="法律修订")
    db.session.commit()
    login_as(learner)
    enrol(client, course)
    assert "暂时没有可抽取的题目" in text(client.get(quiz_url(course)))


# -- authoring ------------------------------------------------------------------------


def test_trainer_sets_a_module_quiz_and_sees_how_many_questions_there_are(
        client, login_as, trainer):
    from tests.factories import make_course

    bank = make_bank("union-law-demo")
    fill_bank(bank, 3, tags=("建会条件",))
    fill_bank(bank, 2, tags=("工会经费",), start=10)
    course = make_course(trainer)
    module = course.modules[0]
    login_as(trainer)
    page = text(client.get(f"/author/courses/{course.id}"))
    assert "练习测验" in page and "建会条件 (3)" in page and "工会经费 (2)" in page
    url = f"/author/modules/{module.id}/quiz"
    form = {f"quiz-{module.id}-{k}": v for k, v in {
        "bank": "union-law-demo", "tags": "建会条件、工会经费", "count": "6",
        "pass_percent": "80"}.items()}
    refused = text(client.post(url, data=form))
    assert "只有 5 道" in refused and 'value="建会条件、工会经费"' in refused
    db.session.expire_all()
    assert db.session.get(type(module), module.id).quiz_bank_id is None
    form[f"quiz-{module.id}-count"] = "5"
    assert client.post(url, data=form).status_code == 302
    page = text(client.get(f"/author/courses/{course.id}"))
    assert "每次 5 题" in page and "80%" in page
    client.post(f"/author/courses/{course.id}/publish")
    db.session.expire_all()
    published = db.session.get(type(course), course.id).published_version
    assert published.content["modules"][0]["quiz"]["tags"] == ["建会条件", "工会经费"]
    assert client.post(f"{url}/delete").status_code == 302
    assert "未设置" in text(client.get(f"/author/courses/{course.id}"))


def test_trainer_names_an_unknown_bank_sees_message(client, login_as, trainer):
    from tests.factories import make_course

    make_bank()
    course = make_course(trainer)
    module = course.modules[0]
    login_as(trainer)
    page = text(client.post(f"/author/modules/{module.id}/quiz", data={
        f"quiz-{module.id}-bank": "missing", f"quiz-{module.id}-tags": "建会条件",
        f"quiz-{module.id}-count": "3", f"quiz-{module.id}-pass_percent": "60"}))
    assert "请从列表中选择题库" in page


def test_publish_panel_names_a_quiz_that_cannot_draw_enough(client, login_as, trainer):
    bank = make_bank()
    questions = fill_bank(bank, 3)
    course = quiz_course(trainer, bank, count=3, publish=False)
    services.retire(questions[0], actor=None, reason="法律修订")
    db.session.commit()
    login_as(trainer)
    page = text(client.get(f"/author/courses/{course.id}"))
    assert "需要 3 道题" in page and "只有 2 道" in page
