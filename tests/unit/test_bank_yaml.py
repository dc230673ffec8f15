"""The bank YAML format: schema, item model, file and line in every problem, round trip,
and every shipped bank in question_banks/ valid."""

from pathlib import Path

import pytest

from lms.questions.formats import bank_yaml
from lms.questions.formats.base import FormatError

BANKS = sorted((Path(__file__).parents[2] / "question_banks").glob("*.yaml"))

GOOD = """\
format: unioncadre-bank/1
bank: {code: test-bank, title: 测试题库, domain: union_law}
questions:
  - id: q-1
    category: 组织/建会
    difficulty: 2
    knowledge_points: [建会条件]
    statutes: [{law: 中华人民共和国工会法, version: "2021-12-24", articles: [第十一条]}]
    status: approved
    spec:
      type: single_choice
      stem: 会员多少人以上应当建立基层工会委员会？
      points: 1
      explanation: 《工会法》第十一条。
      choices:
        - {id: a, text: 二十五人, weight: 100}
        - {id: b, text: 五十人}
  - id: q-2
    difficulty: 1
    spec: {type: true_false, stem: 工会经费按工资总额的百分之二拨缴。, points: 1, answer: true}
"""


def test_good_bank_parses_with_metadata():
    header, result = bank_yaml.parse(GOOD.encode(), filename="t.yaml")
    assert result.problems == []
    assert header.code == "test-bank" and header.domain == "union_law"
    first, second = result.items
    assert first.external_id == "q-1" and first.category == "组织/建会"
    assert first.tags == ("建会条件",) and first.status == "approved"
    assert first.statutes[0]["articles"] == ["第十一条"]
    assert first.where == "t.yaml:4" and second.status == "draft"


def test_round_trip_keeps_every_field():
    header, result = bank_yaml.parse(GOOD.encode(), filename="t.yaml")
    again_header, again = bank_yaml.parse(bank_yaml.export(header, result.items),
                                          filename="t.yaml")
    assert again_header == header
    strip = [(i.spec, i.external_id, i.category, i.tags, i.difficulty, i.statutes, i.status)
             for i in result.items]
    assert strip == [(i.spec, i.external_id, i.category, i.tags, i.difficulty, i.statutes,
                      i.status) for i in again.items]


@pytest.mark.parametrize(("change", "expected"), [
    (("difficulty: 2", "difficulty: 9"), "t.yaml:4: difficulty: 9 is greater than"),
    (("weight: 100}", "weight: lots}"), "t.yaml:4: spec.choices.0.weight"),
    (("id: q-2", "id: q-1"), "t.yaml:18: id 'q-1' is also used at t.yaml:4"),
    (("type: true_false", "type: riddle"), "t.yaml:20: spec.type: 'riddle' is not one of"),
    (("domain: union_law", "domain: astrology"), "t.yaml:2: bank.domain"),
])
def test_problems_name_file_line_and_reason(change, expected):
    _header, result = bank_yaml.parse(GOOD.replace(*change).encode(), filename="t.yaml")
    text = "\n".join(map(str, result.problems))
    assert expected in text, text


def test_broken_yaml_is_a_format_error_with_a_line():
    with pytest.raises(FormatError) as err:
        bank_yaml.parse(b"format: x\nquestions: [\n", filename="bad.yaml")
    assert err.value.problem.where.startswith("bad.yaml:")


def test_gb18030_file_is_read():
    header, result = bank_yaml.parse(GOOD.encode("gb18030"), filename="t.yaml")
    assert header.title == "测试题库" and len(result.items) == 2


@pytest.mark.parametrize("path", BANKS, ids=lambda p: p.name)
def test_every_shipped_bank_is_valid(path):
    header, result = bank_yaml.parse(path.read_bytes(), filename=path.name)
    assert result.problems == [], "\n".join(map(str, result.problems))
    assert header is not None and result.items
