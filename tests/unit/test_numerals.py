import pytest

from lms.domain.numerals import cn_to_int, int_to_cn, well_formed_article


@pytest.mark.parametrize(("text", "number"), [("十", 10), ("十一", 11), ("二十", 20),
                                              ("一百", 100), ("一百零一", 101),
                                              ("一百一十", 110), ("五十八", 58)])
def test_article_numerals_both_ways(text, number):
    assert cn_to_int(text) == number and int_to_cn(number) == text


@pytest.mark.parametrize(("name", "ok"), [("第十一条", True), ("第一十一条", False),
                                          ("第11条", False), ("第十一", False), (11, False)])
def test_only_the_statutes_spelling_is_well_formed(name, ok):
    assert well_formed_article(name) is ok
