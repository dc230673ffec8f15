"""The editor's conversions and the version diff, below the web pages."""

import pytest
import yaml

from lms.domain.items import item_from_dict
from lms.questions import display, editor
from tests.unit import item_samples


@pytest.mark.parametrize("name", sorted(item_samples.ALL))
def test_yaml_editor_text_reads_back_to_the_same_spec(app, name):
    spec = item_samples.ALL[name]()
    text = editor.spec_yaml(spec)
    document = yaml.load(text, Loader=editor._EditorLoader)  # noqa: S506
    assert item_from_dict(editor._plain(document)).to_dict() == spec.to_dict()
    assert "points: '" not in text  # numbers are written as numbers


@pytest.mark.parametrize(("name", "fits"), [
    ("single_choice", True), ("multiple_choice", True), ("true_false", True),
    ("fill_blank", True), ("numeric", True), ("matching", False), ("essay", False),
    ("case_study", False), ("parametric", False), ("description", False)])
def test_the_simple_form_takes_only_what_it_shows_exactly(app, name, fits):
    with app.test_request_context():
        assert editor.structured_fits(item_samples.ALL[name]()) is fits


def test_every_example_is_a_valid_item(app):
    for item_type in editor.EXAMPLES:
        text = editor.example_yaml(item_type)
        assert item_from_dict(editor._plain(yaml.load(
            text, Loader=editor._EditorLoader))).item_type.value == item_type  # noqa: S506


def test_diff_marks_added_and_removed_lines():
    old = "a: 1\nb: 2\nc: 3\n"
    new = "a: 1\nb: 20\nc: 3\nd: 4\n"
    kinds = [(line.kind, line.text) for line in display.diff(old, new)]
    assert ("del", "b: 2") in kinds and ("add", "b: 20") in kinds and ("add", "d: 4") in kinds
    assert ("same", "a: 1") in kinds
    assert all(kind == "add" for kind, _text in
               [(line.kind, line.text) for line in display.diff(None, new)])
    assert display.diff(old, old) == []


def test_readable_paths_count_from_one():
    assert editor.readable_path("choices.2.weight") == "choices[3].weight"
    assert editor.readable_path("sub_items.0.spec.blanks.1") == "sub_items[1].spec.blanks[2]"
