"""The laws that lessons and questions may cite, and how many articles each has.

A citation is only as good as its article number, so content names a law by
its full official title and the date of the version read, and the article must
exist in that version. The counts below were derived from the statute texts in
``shared/domain/statutes/`` (a test recounts them whenever that folder is beside
the repository, so the table cannot drift from the texts). The holiday rules,
which law_facts.md read in full but that folder does not hold, are listed with
just the articles that were checked. Article numbers go up to 第一百九十九条
(`lms.domain.numerals`): the Civil Code's 第一千二百五十九条 ("以上" includes the
number) is therefore explained in words, never cited. Laws known only from
secondary copies (the 2004 集体合同规定) and texts without a version date (the
Shanghai regulations) are deliberately absent: content cannot cite them.
"""

from __future__ import annotations

from lms.domain.numerals import cn_to_int, well_formed_article

#: (full title, version date) → number of articles, or the articles checked
KNOWN_LAWS: dict[tuple[str, str], int | frozenset[str]] = {
    ("中华人民共和国工会法", "2021-12-24"): 58,
    ("中华人民共和国劳动法", "2018-12-29"): 107,
    ("中华人民共和国劳动合同法", "2012-12-28"): 98,
    ("中华人民共和国劳动合同法实施条例", "2008-09-18"): 38,
    ("中华人民共和国劳动争议调解仲裁法", "2007-12-29"): 54,
    ("中华人民共和国社会保险法", "2018-12-29"): 98,
    ("中华人民共和国个人所得税法", "2018-08-31"): 22,
    ("中华人民共和国个人所得税法实施条例", "2018-12-18"): 36,
    ("工资支付暂行规定", "1994-12-06"): 20,
    ("关于工资总额组成的规定", "1990-01-01"): 16,
    ("关于职工全年月平均工作时间和工资折算问题的通知", "2009-03-29"): 0,
    ("国务院关于职工工作时间的规定", "1995-03-25"): 9,
    ("职工带薪年休假条例", "2007-12-14"): 10,
    ("企业职工带薪年休假实施办法", "2008-07-17"): 19,
    ("女职工劳动保护特别规定", "2012-04-28"): 16,
    ("保障农民工工资支付条例", "2019-12-30"): 64,
    ("住房公积金管理条例", "2019-03-24"): 47,
    ("失业保险条例", "1999-01-22"): 33,
    ("社会保险费征缴暂行条例", "2019-03-24"): 31,
    ("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）", "2020-12-29"): 54,
    ("最高人民法院关于在民事审判工作中适用《中华人民共和国工会法》若干问题的解释",
     "2020-12-29"): 8,
    ("北京市实施《中华人民共和国工会法》办法", "2015-11-27"): 71,
    ("北京市集体合同条例", "2005-07-22"): 58,
    # read in full for law_facts.md (S12) but not in the statutes folder
    ("全国年节及纪念日放假办法", "2024-11-10"): frozenset({"第二条", "第七条"}),
}


def citation_problem(law: str, version: str, article: str | None = None) -> str | None:
    """Why ``article`` of ``law`` in ``version`` cannot be cited, or None if it can.

    Without an article, whether the law and version themselves are known.
    """
    known = KNOWN_LAWS.get((law, version))
    if known is None:
        versions = sorted(v for title, v in KNOWN_LAWS if title == law)
        if versions:
            return f"《{law}》 has no known version {version} (known: {', '.join(versions)})"
        return f"《{law}》 is not a known law"
    if article is None:
        return None
    if not well_formed_article(article):
        return f"《{law}》 {article!r} is not an article number"
    if isinstance(known, frozenset):
        return None if article in known else f"《{law}》{article} has not been checked"
    if not 1 <= cn_to_int(article[1:-1]) <= known:
        return f"《{law}》({version}) has {known} articles, not {article}"
    return None
