"""The shipped 工会法 course gets practice quizzes from the union-law bank, if it is loaded."""

from lms.courses import practice
from lms.courses.models import Course
from lms.extensions import db
from lms.seed import seed_courses, seed_demo
from tests.practice_factories import add_question, make_bank, single
from tests.unit import item_samples

#: (category path, knowledge points, how many approved questions)
BANK = [
    ("基层工会组织/建会条件", ["建会条件"], 3),
    ("基层工会组织/选举与任期", ["换届选举"], 3),
    ("维权与监督/解除劳动合同", ["解除劳动合同通知工会"], 3),
    ("工会经费/拨缴", ["工会经费"], 3),
    ("工会经费/追缴", ["支付令", "工会经费"], 1),
    ("工会干部保护/任期内调动", ["工会主席调动"], 3),  # 主席 alone would say "organisation"
    ("民主管理/职工代表大会", ["职代会职权"], 2),  # too few for a quiz
]


def union_law_bank():
    bank = make_bank("union-law")
    n = 0
    for category, tags, count in BANK:
        for _ in range(count):
            n += 1
            add_question(bank, single(n), tags=tags, category=category)
    add_question(bank, item_samples.essay(), tags=["工会经费"], category="工会经费/使用")
    return bank


def quizzes(code="union-law") -> dict:
    course = db.session.query(Course).filter_by(code=code).one()
    return {m["uid"]: m.get("quiz") for m in course.published_version.content["modules"]}


def test_modules_get_quizzes_on_their_knowledge_points(app):
    union_law_bank()
    assert "union-law" in seed_courses()
    db.session.commit()
    found = quizzes()
    tags = {uid: set(quiz["tags"]) if quiz else None for uid, quiz in found.items()}
    assert tags == {"organisation": {"建会条件", "换届选举"},
                    "rights-duties": {"解除劳动合同通知工会"},
                    "funds": {"工会经费", "支付令"},
                    "cadre-protection": {"工会主席调动"},
                    "democracy-contracts": None}
    assert {uid: quiz and quiz["count"] for uid, quiz in found.items()} == {
        "organisation": 5, "rights-duties": 3, "funds": 4, "cadre-protection": 3,
        "democracy-contracts": None}
    assert {quiz["bank"] for quiz in found.values() if quiz} == {"union-law"}
    assert {quiz["pass_percent"] for quiz in found.values() if quiz} == {60}
    assert seed_courses() == []  # seeding again changes nothing


def test_without_the_bank_no_quiz_is_seeded(app):
    assert "union-law" in seed_courses()
    db.session.commit()
    assert set(quizzes().values()) == {None}


def test_an_authors_quiz_is_kept_and_a_bank_loaded_later_adds_the_others(app):
    assert "union-law" in seed_courses()
    bank = union_law_bank()
    from lms.courses import authoring

    course = db.session.query(Course).filter_by(code="union-law").one()
    funds = next(m for m in course.modules if m.uid == "funds")
    authoring.set_module_quiz(funds, bank_code=bank.code, tags=["工会经费"], count=2,
                              pass_percent=90)
    assert seed_courses() == ["union-law"]  # republished with the quizzes
    db.session.commit()
    found = quizzes()
    assert found["funds"] == {"bank": "union-law", "tags": ["工会经费"], "count": 2,
                              "pass_percent": 90}
    assert found["organisation"]["count"] == 5


def test_demo_seed_quizzes_can_all_draw_their_items(app):
    """Whatever banks ship in question_banks/, every seeded quiz can be taken."""
    seed_demo()
    db.session.commit()
    for course in db.session.query(Course).all():
        for module in course.modules:
            if module.quiz_bank_id is not None:
                assert practice.available(module.quiz_bank_id, module.quiz_tags) >= \
                    module.quiz_count


def test_every_module_of_the_three_new_courses_gets_a_practice_quiz(app):
    seed_demo()
    db.session.commit()
    for code in ("labor-law", "wage-accounting", "negotiation"):
        found = quizzes(code)
        assert found and all(found.values()), (code, found)


def test_classmates_solve_the_same_parametric_overtime_item_with_their_own_figures(app):
    """Issue 5's proof: after the overtime lesson, each candidate's practice quiz gives
    a parametric overtime question its own numbers."""
    from lms.accounts.models import User
    from lms.courses import learning
    from lms.seed import DEMO_USERS

    seed_demo()
    db.session.commit()
    course = learning.published_course("wage-accounting")
    first, second = (db.session.query(User).filter_by(email=DEMO_USERS[i][0]).one()
                     for i in (0, 1))
    stems = {}
    wanted = None  # the parametric question the first candidate met
    for user in (first, second):
        learning.enrol(user, course)
        view = learning.outline(user, course)
        learning.open_lesson(user, view, "overtime-pay")
        for seed in range(500):
            attempt = practice.start_attempt(user, view, "overtime", seed=seed * 7919 + user.id)
            found = {i.version.question_id: i.stem_html for i in practice.items_of(attempt)
                     if i.view["type"] == "parametric"}
            if found and (wanted is None or wanted in found):
                wanted = wanted or min(found)
                stems[user.id] = found[wanted]
                break
    assert set(stems) == {first.id, second.id}
    assert stems[first.id] != stems[second.id]  # same question, their own figures
    assert "{" not in stems[first.id] + stems[second.id]  # every variable filled in
