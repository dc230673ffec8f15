"""Builders for practice-quiz tests: a bank of approved questions, a course whose
module has a quiz on it, and the answers that get an item right."""

from __future__ import annotations

import itertools
from decimal import Decimal as D

from lms.courses import authoring
from lms.domain.items import (
    Blank,
    Choice,
    FillBlankSpec,
    ItemSpec,
    SingleChoiceSpec,
    TrueFalseSpec,
)
from lms.extensions import db
from lms.questions import services
from lms.questions.models import Question, QuestionBank, QuestionStatus
from tests.factories import make_course

_seq = itertools.count(1)
STATUTE = {"law": "中华人民共和国工会法", "version": "2021-12-24", "articles": ["第十一条"]}


def single(n: int, *, explanation: str = "") -> SingleChoiceSpec:
    """Item ``n``: the right choice's text is ``正确{n}``."""
    return SingleChoiceSpec(
        stem=f"第{n}题：依照工会法，下列说法正确的是？", points=D(1),
        explanation=explanation or f"解析{n}：见工会法第十一条。",
        choices=(Choice("a", f"错误{n}甲"), Choice("b", f"正确{n}", D(100)),
                 Choice("c", f"错误{n}乙")))


def make_bank(code: str | None = None, *, domain: str = "union_law") -> QuestionBank:
    bank = services.create_bank(code=code or f"bank-{next(_seq)}", title="测试题库",
                                domain=domain)
    db.session.commit()
    return bank


def add_question(bank: QuestionBank, spec: ItemSpec, *, tags=("建会条件",),
                 approved: bool = True, category: str = "",
                 statutes=(STATUTE,)) -> Question:
    """A question with one version, approved (the version serving quizzes) unless told."""
    meta = services.Metadata(knowledge_points=tuple(tags), statutes=tuple(statutes))
    question = services.create_question(bank, spec, meta, actor=None, category=category)
    if approved:
        question.status = QuestionStatus.APPROVED
        question.approved_version = question.current_version
    db.session.commit()
    return question


def fill_bank(bank: QuestionBank, count: int, *, tags=("建会条件",), start: int = 1,
              **kwargs) -> list[Question]:
    return [add_question(bank, single(n, **kwargs), tags=tags) for n in range(start,
                                                                             start + count)]


def quiz_course(author, bank: QuestionBank, *, tags=("建会条件",), count: int = 3,
                pass_percent: int = 60, lessons: int = 1, publish: bool = True, **kwargs):
    """A course of one module of ``lessons`` lessons with a quiz, published."""
    course = make_course(author, lessons=[[f"正文{n}" for n in range(lessons)]], **kwargs)
    authoring.set_module_quiz(course.modules[0], bank_code=bank.code, tags=list(tags),
                              count=count, pass_percent=pass_percent)
    if publish:
        authoring.publish(course, actor=author)
    db.session.commit()
    return course


def right_answer(spec: ItemSpec):
    """The raw response that earns full points (for the item types built here)."""
    if isinstance(spec, SingleChoiceSpec):
        return next(c.id for c in spec.choices if c.weight == 100)
    if isinstance(spec, TrueFalseSpec):
        return spec.answer
    if isinstance(spec, FillBlankSpec):
        return {str(b.number): b.accepted[0] for b in spec.blanks}
    raise NotImplementedError(type(spec))


def wrong_answer(spec: ItemSpec):
    if isinstance(spec, SingleChoiceSpec):
        return next(c.id for c in spec.choices if c.weight != 100)
    raise NotImplementedError(type(spec))


def fill_blank(n: int) -> FillBlankSpec:
    return FillBlankSpec(stem=f"第{n}题：基层工会须经 [[1]] 批准。", points=D(1),
                         explanation=f"解析{n}", blanks=(Blank(1, accepted=("上一级工会",)),))
