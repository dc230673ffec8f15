"""QTI against the interoperability corpus in ../shared/interop/qti (read in place,
never copied here: its licences are mixed). Expectations come from the corpus
README: every valid file parses to the items it describes, every bad one is
refused with a reason.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal as D
from pathlib import Path

import pytest

from lms.domain.items import (
    EssaySpec,
    FillBlankSpec,
    MultipleChoiceSpec,
    Scoring,
    SingleChoiceSpec,
    TrueFalseSpec,
)
from lms.domain.scoring import score_item
from lms.questions.formats import qti
from lms.questions.formats.base import FormatError, ParseResult

CORPUS = Path(__file__).parents[2].parent / "shared" / "interop" / "qti"
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"interop corpus not present at {CORPUS} (it lives beside the "
    "repository, in ../shared/interop, and is not committed)")


def read(relative: str) -> ParseResult:
    path = CORPUS / relative
    return qti.parse(path.read_bytes(), filename=path.name)


def refused(relative: str) -> FormatError:
    path = CORPUS / relative
    with pytest.raises(FormatError) as caught:
        qti.parse(path.read_bytes(), filename=path.name)
    return caught.value


def zipped(folder: Path, extra: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def notes_only(result: ParseResult) -> bool:
    return all(p.reason.startswith("imported, but") for p in result.problems)


# ---------------------------------------------------------------- qti21_ims_examples


def test_ims_choice_is_a_single_choice_with_key_choice_a():
    result = read("qti21_ims_examples/choice.xml")
    [item] = result.items
    assert isinstance(item.spec, SingleChoiceSpec)
    assert (item.external_id, item.title, item.spec.points) == ("choice", "Unattended Luggage", 1)
    assert [c.id for c in item.spec.choices if c.weight == 100] == ["ChoiceA"]
    assert "What does it say?" in item.spec.stem
    # images/sign.png is not part of the corpus: imported, and the missing file reported
    [note] = result.problems
    assert note.reason.startswith("imported, but") and "images/sign.png" in note.reason


def test_ims_choice_multiple_maps_to_partial_credit():
    result = read("qti21_ims_examples/choice_multiple.xml")
    assert result.ok
    [item] = result.items
    spec = item.spec
    assert isinstance(spec, MultipleChoiceSpec) and spec.scoring is Scoring.PARTIAL
    assert spec.shuffle and spec.floor_at_zero  # lowerBound 0
    assert spec.points == 2  # upperBound 2 = H + O
    assert {c.id: c.weight for c in spec.choices} == {
        "H": 50, "O": 50, "Cl": -50, "He": -100, "C": -100, "N": -100}  # defaultValue -2


def test_ims_text_entry_is_a_case_sensitive_blank():
    result = read("qti21_ims_examples/text_entry.xml")
    [item] = result.items
    spec = item.spec
    assert isinstance(spec, FillBlankSpec) and len(spec.blanks) == 1
    assert spec.blanks[0].accepted == ("York",) and spec.blanks[0].case_sensitive
    assert "sun of [[1]];" in spec.stem
    [note] = result.problems  # york = 0.5 cannot be held by a blank
    assert "'york' (0.5)" in note.reason and note.reason.startswith("imported, but")


def test_ims_extended_text_is_a_human_marked_essay():
    result = read("qti21_ims_examples/extended_text.xml")
    [item] = result.items
    spec = item.spec
    assert isinstance(spec, EssaySpec)
    assert spec.word_limit == 200 and spec.points == 1 and len(spec.rubric) == 1
    assert spec.stem.endswith("Write Sam a postcard. Answer the questions. Write 25-35 words.")
    assert notes_only(result)  # images/postcard.png behind the <object>


# ---------------------------------------------------------------- Onyx (custom processing)

ONYX = "qti21_onyx_interaction_mix_sachsen"


def test_onyx_single_choice_of_images():
    result = read(f"{ONYX}/Choicesingle_853928446.xml")
    [item] = result.items
    assert isinstance(item.spec, SingleChoiceSpec) and item.spec.points == 1
    assert [c.id for c in item.spec.choices if c.weight == 100] == ["choice_685440446"]
    assert item.spec.choices[0].text.startswith("![flag](media/")
    assert "Thüringen" in item.spec.explanation  # the five modal feedbacks
    assert notes_only(result) and "media/" in result.problems[0].reason


def test_onyx_point_per_answer_multiple_choice():
    result = read(f"{ONYX}/Choicemultiple_871212949.xml")
    assert result.ok
    spec = result.items[0].spec
    assert isinstance(spec, MultipleChoiceSpec) and spec.scoring is Scoring.PARTIAL
    assert spec.points == 3 and not spec.floor_at_zero  # MAXSCORE 3, no lowerBound
    weights = {c.text: c.weight for c in spec.choices}
    assert weights == {"Erzgebirge": D("33.33333"), "Lausitz": D("33.33333"),
                       "Vogtland": D("33.33334"), "Harz": D("-33.33333"),
                       "Alpen": D("-66.66667")}


def test_onyx_richtig_falsch_is_true_false():
    result = read(f"{ONYX}/Choicetruefalse_176040516.xml")
    assert result.ok
    [item] = result.items
    assert isinstance(item.spec, TrueFalseSpec) and item.spec.answer is True


def test_onyx_text_entry_is_case_insensitive():
    result = read(f"{ONYX}/TextEntry_883368511.xml")
    assert result.ok
    spec = result.items[0].spec
    assert isinstance(spec, FillBlankSpec)
    assert spec.blanks[0].accepted == ("Fichtelberg",) and not spec.blanks[0].case_sensitive
    assert spec.stem.startswith("Mit 1215 Metern ist der [[1]] die höchste")


def test_onyx_two_float_entries_are_two_numeric_blanks():
    result = read(f"{ONYX}/TextEntrynumeric_2040297025.xml")
    assert result.ok
    spec = result.items[0].spec
    assert isinstance(spec, FillBlankSpec) and spec.points == 2
    assert [b.accepted[0] for b in spec.blanks] == ["4", "2"]
    assert score_item(spec, {"1": "4.0", "2": "+2"}).score == 2


def test_onyx_test_alone_is_refused_and_its_dangling_references_reported():
    error = refused(f"{ONYX}/interaction_mix_sachsen.xml")
    assert "assessmentTest" in str(error) and "13 reference(s)" in str(error)
    # packaged with the five items that exist: 5 items, 8 missing references
    manifest = (
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><resources>'
        '<resource identifier="t" type="imsqti_test_xmlv2p1" href="interaction_mix_sachsen.xml"/>'
        '</resources></manifest>')
    result = qti.parse(zipped(CORPUS / ONYX, {"imsmanifest.xml": manifest}), filename="onyx.zip")
    kinds = sorted(type(item.spec).__name__ for item in result.items)
    assert kinds == ["FillBlankSpec", "FillBlankSpec", "MultipleChoiceSpec",
                     "SingleChoiceSpec", "TrueFalseSpec"]
    missing = [p for p in result.problems if "not in the package" in p.reason]
    assert len(missing) == 8
    assert all(p.where.startswith("onyx.zip/interaction_mix_sachsen.xml:") for p in missing)


# ---------------------------------------------------------------- TAO packages


def test_tao_package_has_one_item():
    result = read("qti2x_tao_packages/package.zip")
    [item] = result.items
    assert isinstance(item.spec, SingleChoiceSpec) and item.title == "Unattended Luggage"
    assert [c.id for c in item.spec.choices if c.weight == 100] == ["A"]
    assert item.where == "package.zip/i146219207248061213/qti.xml:2"
    assert notes_only(result)  # images are not imported


def test_tao_qti22_package_has_three_single_choices():
    result = read("qti2x_tao_packages/qti221.zip")
    assert result.ok
    keys = {item.external_id: next(c.id for c in item.spec.choices if c.weight == 100)
            for item in result.items}
    assert keys == {"Q01": "tao", "Q02": "lego", "Q03": "turismo"}
    assert all(isinstance(item.spec, SingleChoiceSpec) for item in result.items)
    assert any("Jérôme" in item.spec.stem for item in result.items)


def test_tao_ampersand_package_reports_its_hotspot_item():
    result = read("qti2x_tao_packages/package_with_ampersand.zip")
    assert result.items == []
    [problem] = result.problems  # the test's ../../items href resolves to the same item
    assert "hotspotInteraction" in problem.reason
    assert problem.where.startswith("package_with_ampersand.zip/items/")


@pytest.mark.parametrize(("name", "reason"), [
    ("InvalidArchive.zip", "not a readable zip archive"),
    ("MalformedManifest.zip", "imsmanifest.xml:21: not well-formed XML"),
    ("MissingManifest.zip", "no imsmanifest.xml at the root"),
    ("NestedRootFolder.zip", "in the folder 'i1245323533354/'"),
])
def test_tao_broken_packages_are_refused(name, reason):
    assert reason in str(refused(f"qti2x_tao_packages_invalid/{name}"))


def test_tao_malformed_item_is_reported():
    result = read("qti2x_tao_packages_invalid/MalformedItemXml.zip")
    assert result.items == []
    [problem] = result.problems
    assert problem.where == "MalformedItemXml.zip/qti.xml:17"
    assert "not well-formed XML" in problem.reason


def test_tao_wrong_href_is_reported():
    result = read("qti2x_tao_packages_invalid/WrongManifestFileItemHref.zip")
    assert result.items == []
    [problem] = result.problems
    assert problem.where == "WrongManifestFileItemHref.zip/imsmanifest.xml:8"
    assert "'wrong/path/to/qti.xml' names a file that is not in the package" in problem.reason


# ---------------------------------------------------------------- invalid QTI 2.1 / 3.0


def test_malformed_test_is_refused_at_its_line():
    error = refused("qti21_invalid/malformed.xml")
    assert error.problem.where == "malformed.xml:28"


def test_schema_invalid_attribute_is_reported():
    result = read("qti21_invalid/xsdinvalid.xml")
    assert result.items == []
    assert "attribute 'foo' is not allowed on <responseDeclaration>" in result.problems[0].reason


def test_response_identifier_with_a_space_does_not_resolve():
    result = read("qti21_invalid/invalidresponseidentifier.xml")
    assert result.items == []
    [problem] = result.problems
    assert "matches no responseDeclaration" in problem.reason and "' RESPONSE'" in problem.reason


def test_qti3_names_in_a_qti22_namespace_are_refused():
    error = refused("qti30_invalid/base-type-string-invalid.xml")
    assert "QTI 3 element names" in str(error) and "imsqti_v2p2" in str(error)


# ---------------------------------------------------------------- QTI 3.0


def test_qti3_items_match_their_qti21_versions():
    for name in ("choice_multiple.xml", "text_entry.xml"):
        three = read(f"qti30_items/{name}").items[0]
        two = read(f"qti21_ims_examples/{name}").items[0]
        assert three.spec == two.spec
        assert three.title == two.title


def test_kennisnet_hottext_is_reported_as_unsupported():
    result = read("qti30_items/kennisnet_ITEM001_hottext_whitespace_values.xml")
    assert result.items == []
    assert "hottextInteraction" in result.problems[0].reason


def test_qti3_conformance_package():
    folder = CORPUS / "qti30_conformance_T4-T7_package"
    result = qti.parse(zipped(folder), filename="T4-T7.zip")
    single, essay = result.items
    assert isinstance(single.spec, SingleChoiceSpec)
    assert [c.id for c in single.spec.choices if c.weight == 100] == ["correct"]
    assert "candidate rubric block" in single.spec.stem
    assert isinstance(essay.spec, EssaySpec) and essay.spec.word_limit == 200
    # the multiple choice and the text entry have no key
    assert [p.where for p in result.problems] == [
        "T4-T7.zip/items/choice-multiple-cardinality.xml:3",
        "T4-T7.zip/items/text-entry.xml:3"]
    assert all("unknown" in p.reason for p in result.problems)
