"""Moodle XML import against the shared interop corpus (../shared/interop/moodle_xml/).

The corpus lives next to the repository, never inside it (several files are GPL
or unlicensed); its README states what each file must give. Every test skips
when the corpus is absent.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D
from pathlib import Path

import pytest

from lms.domain.items import (
    CaseStudySpec,
    DescriptionSpec,
    EssaySpec,
    FillBlankSpec,
    MatchingSpec,
    MultipleChoiceSpec,
    NumericSpec,
    ParametricSpec,
    Scoring,
    SingleChoiceSpec,
    ToleranceKind,
    TrueFalseSpec,
)
from lms.questions.formats.moodle_xml import export, parse

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "interop" / "moodle_xml"
CORE = "moodle_core"
M19 = "m2glre-rossf1_moodle19_exports"
MESSY = "sonsoleslp_moodlexml-to-json"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"interop corpus not found at {CORPUS} (it is kept outside the "
                                "repository; see shared/interop/README.md)")


def read(folder: str, name: str):
    path = CORPUS / folder / name
    if not path.is_file():
        pytest.skip(f"{folder}/{name} is missing from the interop corpus")
    return parse(path.read_bytes(), filename=name)


def types(result) -> list[type]:
    return [type(item.spec) for item in result.items]


# ---------------------------------------------------------------- counts and types per file


EXPECTED = {
    # file: (folder, the README's count and types, in file order)
    "multianswer_cloze_images.xml": (CORE, [CaseStudySpec]),
    "sample_questions_with_old_image_tag.xml": (CORE, [CaseStudySpec, SingleChoiceSpec]),
    "nested_categories_with_questions.xml": (
        CORE, [TrueFalseSpec, EssaySpec, TrueFalseSpec, TrueFalseSpec, TrueFalseSpec]),
    "categories_reverse_order.xml": (CORE, [EssaySpec, FillBlankSpec]),
    "html_chars_in_idnumbers.xml": (CORE, [TrueFalseSpec]),
    "old_format_file.xml": (CORE, [TrueFalseSpec, TrueFalseSpec]),
    "qtype_multichoice_testquestion.moodle.xml": (CORE, [MultipleChoiceSpec]),
    "qtype_match_testquestion.moodle.xml": (CORE, [MatchingSpec]),
    "TestCalculatedQuestion.xml": (M19, [ParametricSpec]),
    "TestNumericalQuestion.xml": (M19, [NumericSpec]),
    "TestFull.xml": (M19, [CaseStudySpec, DescriptionSpec, EssaySpec, MultipleChoiceSpec,
                           NumericSpec, MatchingSpec, ParametricSpec, FillBlankSpec,
                           TrueFalseSpec]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_gives_the_stated_count_and_types(name):
    folder, expected = EXPECTED[name]
    result = read(folder, name)
    assert types(result) == expected
    refused = [p for p in result.problems if "not supported" in p.reason
               or "is malformed" in p.reason]
    assert refused == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_survives_export_and_import(name):
    folder, _ = EXPECTED[name]
    result = read(folder, name)
    again = parse(export(result.items), filename="again.xml")
    assert [dataclasses.replace(i, where="") for i in again.items] == [
        dataclasses.replace(i, where="") for i in result.items]


# ---------------------------------------------------------------- details the README states


def test_cloze_with_images_has_five_parts_and_three_files():
    (item,) = read(CORE, "multianswer_cloze_images.xml").items
    assert item.category == "Default for Test images in backup"
    assert len(item.spec.sub_items) == 5
    assert [type(s.spec) for s in item.spec.sub_items] == [SingleChoiceSpec] * 4 + [FillBlankSpec]
    assert {name: len(data) for name, data in item.files} == {
        "arizona_2.png": 1990, "california-state-flag.png": 1910, "moodle.png": 606}
    assert "![California flag](california-state-flag.png)" in item.spec.scenario
    assert item.spec.explanation == "This is a Moodle question ![Moodle logo](moodle.png)"
    assert item.spec.sub_items[4].spec.blanks[0].accepted == ("Paris",)


def test_legacy_image_tag_becomes_an_embedded_file():
    result = read(CORE, "sample_questions_with_old_image_tag.xml")
    cloze, choice = result.items
    assert len(cloze.spec.sub_items) == 5
    assert [name for name, _ in cloze.files] == ["moodle.png"]
    assert [(c.text, c.weight) for c in choice.spec.choices] == [
        ("wrong answer", 0), ("another wrong answer", 0), ("right answer", 100)]
    assert choice.spec.shuffle is True  # the first of the duplicate <shuffleanswers>
    assert choice.spec.stem.endswith("![](moodle.png)")


def test_nested_categories():
    result = read(CORE, "nested_categories_with_questions.xml")
    assert [i.category for i in result.items] == [
        "Iota", "Iota/Kappa", "Iota/Kappa", "Iota/Kappa/Lambda", "Iota/Mu"]
    assert all(i.spec.answer is True for i in result.items if isinstance(i.spec, TrueFalseSpec))
    assert result.ok


def test_child_category_before_its_parent():
    essay, short = read(CORE, "categories_reverse_order.xml").items
    assert (essay.title, essay.category) == ("Tau Question", "Sigma/Tau")
    assert (short.title, short.category) == ("Sigma Question", "Sigma")
    (blank,) = short.spec.blanks
    assert blank.accepted == ("yes",) and not blank.case_sensitive


def test_html_characters_in_idnumbers():
    (item,) = read(CORE, "html_chars_in_idnumbers.xml").items
    assert item.external_id == "T & F" and item.spec.answer is True


def test_multichoice_test_question():
    (item,) = read(CORE, "qtype_multichoice_testquestion.moodle.xml").items
    assert [(c.text, c.weight) for c in item.spec.choices] == [
        ("Tokyo", 0), ("Spain", 0), ("London", 50), ("Barcelona", 0), ("Paris", 50)]
    assert item.spec.scoring is Scoring.ALL_OR_NOTHING
    assert item.spec.explanation == "Berlin, Paris and London"


def test_matching_test_question_with_repeated_answer_and_distractor():
    (item,) = read(CORE, "qtype_match_testquestion.moodle.xml").items
    spec = item.spec
    texts = {e.id: e.text for e in spec.lefts + spec.rights}
    assert {texts[p.left]: texts[p.right] for p in spec.pairs} == {
        "frog": "amphibian", "cat": "mammal", "newt": "amphibian"}
    assert [e.text for e in spec.rights] == ["amphibian", "mammal", "insect"]


def test_calculated_question():
    (item,) = read(M19, "TestCalculatedQuestion.xml").items
    spec = item.spec
    assert spec.expression == "3.14 * R*R"
    (variable,) = spec.variables
    assert (variable.name, variable.min, variable.max, variable.step) == ("R", 1, 10, D("0.1"))
    assert (spec.tolerance, spec.tolerance_kind, spec.places) == (
        D("0.01"), ToleranceKind.RELATIVE, 1)
    assert spec.unit == "m2"


def test_numerical_question():
    (item,) = read(M19, "TestNumericalQuestion.xml").items
    assert [(a.value, a.tolerance) for a in item.spec.answers] == [(1996, 0)]
    assert item.spec.unit == "annee"


def test_full_moodle_19_export():
    result = read(M19, "TestFull.xml")
    assert {i.category for i in result.items} == {"Défaut pour 1SA3GL1"}
    cloze, _, _, multi, _, matching, _, short, truefalse = (i.spec for i in result.items)
    assert [c.weight for c in cloze.sub_items[0].spec.choices] == [0, 0, 100, 50]
    assert [c.weight for c in multi.choices] == [0, D("33.333"), D("33.333"), D("33.333")]
    assert len(result.items[3].files[0][1]) > 50_000  # the legacy base64 JPEG
    assert [e.text for e in matching.lefts] == ["JBOSS", "Websphere"]
    assert short.blanks[0].accepted == ("Simula 66",)
    assert truefalse.answer is False
    notes = [p.reason for p in result.problems]
    assert any("'Simula' (75 %) dropped" in n for n in notes)


# ---------------------------------------------------------------- deliberately broken files


def test_broken_cloze_questions_are_all_rejected_with_reasons():
    result = read(CORE, "broken_cloze_questions.xml")
    assert result.items == []
    reasons = [p.reason for p in result.problems]
    assert len(reasons) == 5
    for reason, expected in zip(reasons, [
            "no embedded answers", "is malformed", "needs at least 2 choices",
            "has no answer worth 100 %", "every answer must be a number"], strict=True):
        assert expected in reason
    assert [p.where for p in result.problems] == [
        f"broken_cloze_questions.xml:{n}" for n in (4, 20, 36, 52, 68)]


def test_invalid_grades_are_rejected():
    result = read(CORE, "error_invalid_grades.xml")
    assert result.items == []
    (problem,) = result.problems
    assert problem.where == "error_invalid_grades.xml:4"
    assert "add up to 99.66666 %, not 100 % (33 not among Moodle's grades)" in problem.reason


# ---------------------------------------------------------------- the messy hand-made file


def test_messy_spanish_file_gives_items_or_problems_for_every_question():
    result = read(MESSY, "test.xml")
    seen = {i.where for i in result.items} | {p.where for p in result.problems}
    assert len(seen) == 23  # 24 <question> elements, one of them the category
    assert len(result.items) == 20


def test_messy_spanish_file_reasons():
    result = read(MESSY, "test.xml")
    reasons = " | ".join(p.reason for p in result.problems)
    assert "question type 'order' is not supported" in reasons
    assert "the <question> element has no type attribute" in reasons
    assert "the question text: empty" in reasons


def test_messy_spanish_file_details():
    items = read(MESSY, "test.xml").items
    assert items[0].tags == ("keyword1", "keyword2")
    assert items[0].spec.stem.startswith("\u00adSi un coche")  # the soft hyphen is kept
    two_right = items[6].spec  # multichoice without <single>, two answers at 100 %
    assert isinstance(two_right, SingleChoiceSpec)
    assert [c.weight for c in two_right.choices] == [0, 100, 100]
    numeric = next(i.spec for i in items if isinstance(i.spec, NumericSpec))
    assert [(a.value, a.weight) for a in numeric.answers] == [(5, 100)]
    assert any(isinstance(i.spec, CaseStudySpec) for i in items)
