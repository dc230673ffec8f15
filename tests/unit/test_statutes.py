"""Statute lines of the lesson editor ↔ the list a lesson stores."""

import pytest

from lms.domain.statutes import InvalidStatuteLine, format_statutes, parse_statutes


def test_lines_become_statutes_full_width_separators_accepted():
    text = ("中华人民共和国工会法 | 2021-12-24 | 第十一条, 第十二条\n\n"
            "  中华人民共和国劳动法｜1994-07-05｜第三条；第四条、第五条，  \n"
            "企业民主管理规定 | 2012-02-13\n"
            "工会会员会籍管理办法")
    assert parse_statutes(text) == [
        {"law": "中华人民共和国工会法", "version": "2021-12-24",
         "articles": ["第十一条", "第十二条"]},
        {"law": "中华人民共和国劳动法", "version": "1994-07-05",
         "articles": ["第三条", "第四条", "第五条"]},
        {"law": "企业民主管理规定", "version": "2012-02-13", "articles": []},
        {"law": "工会会员会籍管理办法", "version": "", "articles": []},
    ]


def test_formatted_statutes_read_back_the_same():
    statutes = [{"law": "中华人民共和国工会法", "version": "2021-12-24",
                 "articles": ["第十一条", "第十二条"]},
                {"law": "劳动合同法", "version": "", "articles": ["第四条"]},
                {"law": "企业民主管理规定", "version": "", "articles": []}]
    text = format_statutes(statutes)
    assert text.splitlines()[0] == "中华人民共和国工会法 | 2021-12-24 | 第十一条, 第十二条"
    assert parse_statutes(text) == statutes
    assert parse_statutes("") == [] and format_statutes([]) == ""


@pytest.mark.parametrize(("line", "code"), [
    ("工会法 | 2021-12-24 | 第一条 | 第二条", "parts"),
    (" | 2021-12-24", "law"),
    ("法" * 201, "law_length"),
    ("工会法 | 2021年12月24日", "version"),
    ("工会法 | 2021-02-30", "version"),
    ("工会法 | 20211224", "version"),
    ("工会法 | 2021-W01-1", "version"),
])
def test_a_bad_line_is_named_with_its_number(line, code):
    with pytest.raises(InvalidStatuteLine) as err:
        parse_statutes("工会法 | 2021-12-24 | 第一条\n\n" + line)
    assert (err.value.code, err.value.line) == (code, 3)
