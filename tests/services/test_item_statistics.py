"""Item statistics of an exam's marked attempts, read from exam_item_scores: the matrix
and the choices the analysis gets, by hand; the stored per-item rows the bank reads;
statements constant in the number of attempts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.domain.item_analysis import Flag, ReliabilityMethod
from lms.errors import NotFound
from lms.extensions import db
from lms.questions.models import Question
from lms.reports import statistics
from lms.reports.models import ItemStatistic
from tests.conftest import count_queries
from tests.factories import make_org, make_user
from tests.report_factories import fixed_exam, invalidate, new_session, right, sit

pytestmark = pytest.mark.usefixtures("app")

PICKS = [
    ["b", "b", "b", "b", "b"],  # 10
    ["b", "b", "b", "a", "c"],  # 6
    ["b", "b", "a", "a", "a"],  # 4
    ["b", "a", "c", "a", None],  # 2, the last left empty
    ["a", "c", "c", "a", "a"],  # 0
]


@pytest.fixture
def sat_exam():
    exam = fixed_exam()
    session = new_session(exam)
    questions = sorted(db.session.scalars(sa.select(Question.id)))
    for picks in PICKS:  # PICKS[k][j] is the choice on the j-th question of the bank
        sit(session, lambda q, picks=picks: picks[questions.index(q)])
    cheat = sit(session, right(5))
    invalidate(cheat, make_user(Role.ADMIN))  # left out
    exam.slots = questions  # for the tests
    return exam


def test_statistics_by_hand(sat_exam):
    stats = statistics.exam_statistics(sat_exam)
    assert stats.attempts == 5
    assert [i.external_id for i in stats.items] == sorted(i.external_id for i in stats.items)
    by_question = {i.question_id: i for i in stats.items}
    items = [by_question[q] for q in sat_exam.slots]  # in the order of PICKS
    paper = stats.analysis.paper
    assert (paper.mean, paper.median) == (4.4, 4)
    assert paper.reliability_method is ReliabilityMethod.KR20 and paper.reliability_items == 5
    assert [i.stats.facility for i in items] == [0.8, 0.6, 0.4, 0.2, 0.2]
    assert [i.stats.max_points for i in items] == [2.0] * 5
    # 27 % of 5 → groups of one: the 10-point attempt and the 0-point one
    assert [i.stats.discrimination for i in items] == [1.0] * 5
    second = {o.key: (o.share, o.correct) for o in items[1].stats.options}
    assert second == {"a": (0.2, False), "b": (0.6, True), "c": (0.2, False)}
    last = items[4].stats
    assert {o.key: o.share for o in last.options} == {"a": 0.4, "b": 0.2, "c": 0.2}
    assert last.omitted == 0.2
    assert Flag.TOO_HARD not in last.flags  # p = 0.2 is not below 0.2
    assert items[0].stem.startswith("第1题")


def test_stored_statistics_and_the_latest_use(sat_exam):
    first = statistics.refresh(sat_exam)
    db.session.commit()
    ids = list(sat_exam.slots)
    assert sorted(ids) == sorted(i.question_id for i in first.items)
    latest = statistics.latest_for_questions(ids)
    assert {q: (row.exam_id, row.facility, row.responses, row.attempts)
            for q, row in latest.items()} == {
        q: (sat_exam.id, f, 5, 5) for q, f in zip(ids, [0.8, 0.6, 0.4, 0.2, 0.2], strict=True)}
    # a later exam from the same bank: everyone right
    bank = db.session.get(Question, ids[0]).bank
    later = fixed_exam(bank=bank)
    session = new_session(later)
    sit(session, right(5))
    sit(session, right(5))
    statistics.refresh(later)
    statistics.refresh(sat_exam)  # refreshing the older one again does not make it latest
    db.session.commit()
    latest = statistics.latest_for_questions(ids)
    assert {row.exam_id for row in latest.values()} == {later.id}
    assert latest[ids[0]].facility == 1.0 and Flag.TOO_EASY in latest[ids[0]].flags
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemStatistic)) == 10


def test_statistics_of_an_exam_without_graded_attempts():
    exam = fixed_exam()
    stats = statistics.refresh(exam)
    assert stats.attempts == 0 and stats.items == ()


def test_who_reads_an_exams_statistics():
    a, b = make_org(code="sa"), make_org(code="sb")
    exam = fixed_exam(organisation=a)
    assert statistics.get_exam(make_user(Role.TRAINER, scope=a), exam.id) == exam
    assert statistics.get_exam(make_user(Role.OFFICER, scope=a), exam.id) == exam
    for outsider in (make_user(Role.TRAINER, scope=b), make_user(Role.OFFICER, scope=b),
                     make_user(Role.PROCTOR), make_user(Role.CANDIDATE)):
        with pytest.raises(NotFound):
            statistics.get_exam(outsider, exam.id)


def test_statistics_take_a_fixed_number_of_statements():
    exam = fixed_exam()
    session = new_session(exam, capacity=40)

    def measure():
        db.session.expire_all()
        with count_queries() as counter:
            statistics.refresh(exam)
            db.session.flush()
        return len(counter)

    for n in range(2):
        sit(session, right(n % 6))
    few = measure()
    db.session.commit()
    for n in range(2, 20):
        sit(session, [("b", "a", "c")[(n + k) % 3] for k in range(5)])
    assert measure() == few == 5  # exam reload, scores, questions, delete, upsert


def test_the_command_refreshes_the_stored_statistics(sat_exam, runner):
    result = runner.invoke(args=["lms", "reports", "item-stats"])
    assert result.exit_code == 0, result.output
    assert f"{sat_exam.code}: 5 item(s), 5 graded attempt(s)" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemStatistic)) == 5
    result = runner.invoke(args=["lms", "reports", "item-stats", "--exam", "nope"])
    assert result.exit_code != 0 and "no exam" in result.output
