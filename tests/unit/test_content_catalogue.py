"""Editorial rules over all shipped content at once (banks and courses together).

The per-file rules live in test_question_bank_content.py and
test_course_content.py; this file checks what only the whole catalogue shows:
every cited law is a known law with an article it really has (lms.domain.laws,
recounted from the statute texts when they are beside the repository), every
exam domain has a bank of exam strength, the wage domain has enough parametric
items, negotiation is taught through scenarios, and the four core courses are
all there.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from lms.domain.laws import KNOWN_LAWS, citation_problem
from lms.domain.numerals import cn_to_int

REPO = Path(__file__).resolve().parents[2]
BANKS = sorted((REPO / "question_banks").glob("*.yaml"))
CONTENT = REPO / "lms" / "courses" / "content"
COURSES = sorted(path.parent for path in CONTENT.glob("*/course.yaml"))
STATUTES = REPO.parent / "shared" / "domain" / "statutes"

EXAM_DOMAINS = ("union_law", "labor_law", "wage_accounting", "negotiation")
MIN_APPROVED = 150
MIN_PARAMETRIC = 40
REQUIRED_TYPES = {"single_choice", "multiple_choice", "true_false", "fill_blank", "numeric",
                  "case_study", "essay"}
MIN_DIFFICULTY_SHARE = Decimal("0.10")
MIN_LESSONS = 48
#: a stem that sets a scene: a named party (某公司, 张某) or a case with a scenario
SCENARIO_RE = re.compile(r"某")
MIN_SCENARIO_SHARE = Decimal("0.5")


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _approved_by_domain() -> dict[str, list[dict]]:
    by_domain: dict[str, list[dict]] = {}
    for path in BANKS:
        doc = _load(path)
        by_domain.setdefault(doc["bank"]["domain"], []).extend(
            q for q in doc["questions"] if q.get("status") == "approved")
    return by_domain


def _statute_lists():
    """(where, statutes list) for every question and every lesson shipped."""
    for path in BANKS:
        for question in _load(path)["questions"]:
            yield f"{path.name}:{question['id']}", question.get("statutes") or []
    for folder in COURSES:
        for module in _load(folder / "course.yaml")["modules"]:
            for lesson in module["lessons"]:
                yield f"{folder.name}:{lesson['key']}", lesson.get("statutes") or []


def test_every_citation_names_a_known_law_and_an_article_it_has():
    problems = []
    for where, statutes in _statute_lists():
        for statute in statutes:
            law, version = statute["law"], statute["version"]
            articles = statute["articles"] or [None]
            found = [citation_problem(law, version, article) for article in articles]
            problems += [f"{where}: {problem}" for problem in found if problem]
    assert problems == []


def test_known_law_table_agrees_with_the_statute_texts():
    if not STATUTES.is_dir():
        pytest.skip(f"statute texts not present at {STATUTES} (the shared folder beside the repo)")
    from tests.unit.test_question_bank_content import normalise_law, statute_index

    counted = {}
    for (title, version), articles in statute_index(STATUTES).items():
        numbers = sorted(cn_to_int(article[1:-1]) for article in articles)
        assert numbers == list(range(1, len(numbers) + 1)), f"{title}: articles not 1…n"
        counted[(title, version)] = len(numbers)
    tabled = {(normalise_law(title), version): count for (title, version), count
              in KNOWN_LAWS.items() if isinstance(count, int)}
    dated = {key: count for key, count in counted.items() if key[1]}
    assert tabled == dated


def test_citation_problem_catches_unknown_laws_versions_and_articles():
    assert citation_problem("中华人民共和国工会法", "2021-12-24", "第五十八条") is None
    assert "58 articles" in citation_problem("中华人民共和国工会法", "2021-12-24", "第五十九条")
    assert "no known version" in citation_problem("中华人民共和国工会法", "2009-08-27")
    assert "not a known law" in citation_problem("集体合同规定", "2004-01-20", "第三十二条")
    assert "not an article" in citation_problem("中华人民共和国劳动法", "2018-12-29", "第3条")
    assert citation_problem("全国年节及纪念日放假办法", "2024-11-10", "第二条") is None
    holidays = ("全国年节及纪念日放假办法", "2024-11-10")
    assert "not been checked" in citation_problem(*holidays, "第三条")


@pytest.mark.parametrize("domain", EXAM_DOMAINS)
def test_each_exam_domain_has_a_bank_of_exam_strength(domain):
    questions = _approved_by_domain().get(domain, [])
    assert len(questions) >= MIN_APPROVED, f"{domain}: {len(questions)} approved items"
    types = {q["spec"]["type"] for q in questions}
    assert types >= REQUIRED_TYPES, f"{domain} lacks {sorted(REQUIRED_TYPES - types)}"
    difficulties = Counter(q["difficulty"] for q in questions)
    for level in range(1, 6):
        assert difficulties[level] >= MIN_DIFFICULTY_SHARE * len(questions), (
            f"{domain}: difficulty {level} has {difficulties[level]} of {len(questions)}")


def test_the_wage_domain_has_enough_parametric_items():
    questions = _approved_by_domain().get("wage_accounting", [])
    parametric = [q for q in questions if q["spec"]["type"] == "parametric"]
    assert len(parametric) >= MIN_PARAMETRIC


def test_negotiation_items_are_mostly_scenarios():
    questions = _approved_by_domain().get("negotiation", [])
    scenarios = [q for q in questions if SCENARIO_RE.search(
        f"{q['spec'].get('stem', '')}{q['spec'].get('scenario', '')}")]
    assert questions and len(scenarios) > MIN_SCENARIO_SHARE * len(questions)


def test_the_four_core_courses_are_shipped_with_enough_lessons():
    courses = [_load(folder / "course.yaml") for folder in COURSES]
    assert {course["domain"] for course in courses} >= set(EXAM_DOMAINS)
    lessons = sum(len(module["lessons"]) for course in courses for module in course["modules"])
    assert lessons >= MIN_LESSONS
