"""One small, valid spec of every item type, shared by the item and scoring tests.

Key material (accepted answers, explanations, formulas, rubric guidance) uses
words that appear nowhere else, so a test can look for them in a candidate view.
"""

from __future__ import annotations

from decimal import Decimal as D

from lms.domain.items import (
    Blank,
    CalculatorArgument,
    CalculatorCall,
    CaseStudySpec,
    Choice,
    DescriptionSpec,
    Entry,
    EssaySpec,
    FillBlankSpec,
    MatchingSpec,
    MatchPair,
    MultipleChoiceSpec,
    NumericAnswer,
    NumericSpec,
    OrderingSpec,
    ParametricSpec,
    RubricCriterion,
    Scoring,
    SingleChoiceSpec,
    SubItem,
    TrueFalseSpec,
    Variable,
)
from lms.domain.parametric import CalculatorRegistry

SECRET = "KEYSECRET"  #: put into every explanation


def single() -> SingleChoiceSpec:
    return SingleChoiceSpec(
        stem="工会法规定的基层工会委员会任期是几年？", points=D(2),
        explanation=f"{SECRET} 第十五条",
        choices=(Choice("a", "两年或三年"), Choice("b", "三年或五年", D(100)),
                 Choice("c", "五年"), Choice("d", "四年")))


def multiple() -> MultipleChoiceSpec:
    # Moodle-style: two right answers at 50 %, a wrong one at -100 %
    return MultipleChoiceSpec(
        stem="下列哪些属于工会的基本职责？", points=D(2), scoring=Scoring.PARTIAL,
        explanation=f"{SECRET} 工会法第六条",
        choices=(Choice("a", "维护职工合法权益", D(50)), Choice("b", "代表职工签订集体合同", D(50)),
                 Choice("c", "决定企业经营方针", D(-100))))


def true_false() -> TrueFalseSpec:
    return TrueFalseSpec(stem="工会经费可以用于职工集体福利。", points=D(1), answer=True,
                         explanation=f"{SECRET}")


def fill_blank() -> FillBlankSpec:
    return FillBlankSpec(
        stem="职工代表大会制度规定在工会法 [[1]]；缩写为 [[2]]。", points=D(2),
        explanation=f"{SECRET}",
        blanks=(Blank(1, accepted=("第十一条", "第11条")),
                Blank(2, accepted=("ABCSECRET",))))


def numeric() -> NumericSpec:
    return NumericSpec(
        stem="某职工月工资 4350 元，其日工资是多少元？", points=D(2), unit="元",
        explanation=f"{SECRET}",
        answers=(NumericAnswer(D("200.00"), tolerance=D("0.01")),
                 NumericAnswer(D("145.00"), weight=D(50))))


def parametric() -> ParametricSpec:
    return ParametricSpec(
        stem="月工资 {monthly} 元，工作日加班 {hours} 小时，加班费是多少元？", points=D(3),
        explanation=f"{SECRET}", unit="元", money=True,
        variables=(Variable("monthly", D(3000), D(12000), D(50), money=True),
                   Variable("hours", D(1), D(36))),
        expression="monthly / 21.75 / 8 * 1.5 * hours")


def parametric_by_calculator() -> ParametricSpec:
    return ParametricSpec(
        stem="月工资 {monthly} 元，日工资是多少？", points=D(2), explanation=f"{SECRET}",
        variables=(Variable("monthly", D(3000), D(9000), D(100), money=True),),
        calculator=CalculatorCall("daily_wage", (CalculatorArgument("monthly", "monthly"),)))


def matching() -> MatchingSpec:
    return MatchingSpec(
        stem="将法律与其颁布机关配对。", points=D(3), explanation=f"{SECRET}",
        lefts=(Entry("l1", "工会法"), Entry("l2", "劳动法"), Entry("l3", "劳动合同法")),
        rights=(Entry("r1", "1992年"), Entry("r2", "1994年"), Entry("r3", "2007年"),
                Entry("r4", "2010年")),
        pairs=(MatchPair("l1", "r1"), MatchPair("l2", "r2"), MatchPair("l3", "r3")))


def ordering() -> OrderingSpec:
    return OrderingSpec(
        stem="将集体协商的步骤排序。", points=D(3), explanation=f"{SECRET}",
        items=(Entry("k7", "提出协商要约"), Entry("p2", "确定协商代表"),
               Entry("a9", "召开协商会议"), Entry("m4", "签订集体合同")))


def essay() -> EssaySpec:
    return EssaySpec(
        stem="论述工会在劳动争议调解中的作用。", points=D(10), word_limit=500,
        explanation=f"{SECRET}",
        rubric=(RubricCriterion("law", "法律依据", D(4), "RUBRICSECRET 引用第二十一条"),
                RubricCriterion("practice", "实践举措", D(4), "RUBRICSECRET 调解委员会"),
                RubricCriterion("writing", "表达", D(2))))


def case_study() -> CaseStudySpec:
    return CaseStudySpec(
        stem="阅读案例，回答问题。", points=D(17), explanation=f"{SECRET}",
        scenario="某公司拒绝与工会进行集体协商……",
        sub_items=(SubItem("q1", single()), SubItem("q2", fill_blank()),
                   SubItem("q3", parametric()), SubItem("q4", essay())))


def case_study_auto() -> CaseStudySpec:
    return CaseStudySpec(
        stem="阅读案例，回答问题。", points=D(4), scenario="某公司……",
        sub_items=(SubItem("q1", single()), SubItem("q2", multiple())))


def description() -> DescriptionSpec:
    return DescriptionSpec(stem="第二部分：案例分析。", explanation=f"{SECRET}")


ALL = {
    "single_choice": single,
    "multiple_choice": multiple,
    "true_false": true_false,
    "fill_blank": fill_blank,
    "numeric": numeric,
    "parametric": parametric,
    "parametric_calculator": parametric_by_calculator,
    "matching": matching,
    "ordering": ordering,
    "essay": essay,
    "case_study": case_study,
    "case_study_auto": case_study_auto,
    "description": description,
}


def daily_wage(*, monthly: D) -> D:
    """A stand-in for the wages package: monthly ÷ 21.75, not yet rounded."""
    return monthly / D("21.75")


def registry() -> CalculatorRegistry:
    return CalculatorRegistry({"daily_wage": daily_wage})
