"""Rules for the shipped question banks under question_banks/*.yaml.

Pure tests: no app, no database. Every bank file is checked for the format
header and bank fields, then every question for its fields, a well-formed and
unique id, a spec that `item_from_dict` accepts, an explanation that cites an
article and at least one statute, inline citations (《工会法》第X条, and the
same for any other law) that the item's statute list names, choice and entry
ids that do not give the key away, and parametric formulas that compute a
positive answer for every draw tried. Where the statute texts are present
beside the repository (../shared/domain/statutes/), every article an item lists
must exist in the text of the version it names; without them those checks are
skipped. Bank-level rules: no near-duplicate stems within a bank; the union-law
bank has at least 150 approved items of at least 5 types with every difficulty
1–5 at 10 % or more; the wage bank has at least 40 parametric items, each of
and every parametric formula and numeric key that an independent calculator in
`lms.domain.wages` covers agrees with it.

The second half breaks a valid item or bank one rule at a time, so that each
check is known to fail when it should.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import re
import string
import unicodedata
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from lms.domain import wages
from lms.domain.dates import add_months
from lms.domain.items import ItemSpecError, ParametricSpec, item_from_dict
from lms.domain.numerals import cn_to_int, well_formed_article
from lms.domain.parametric import check_instances, compute_answer, instantiate

REPO = Path(__file__).resolve().parents[2]
BANKS = REPO / "question_banks"
STATUTES = REPO.parent / "shared" / "domain" / "statutes"

FORMAT = "unioncadre-bank/1"
DOMAINS = {"union_law", "labor_law", "wage_accounting", "negotiation", "other"}
BANK_FIELDS = {"code", "title", "domain", "description"}
QUESTION_FIELDS = {"id", "category", "difficulty", "knowledge_points", "statutes",
                   "status", "spec"}
STATUTE_FIELDS = {"law", "version", "articles"}
SHIPPED_STATUS = "approved"
UNION_LAW = "工会法"  # normalised name of 中华人民共和国工会法
UNION_LAW_VERSION = "2021-12-24"

KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUM = "[零一二三四五六七八九十百]+"
ITEM = rf"第[（(]?{NUM}[）)]?项"
ART = rf"第{NUM}条(?:第{NUM}款)?(?:{ITEM}(?:(?:、|和|或者|及){ITEM})*)?"
CITATION_RE = re.compile(rf"《([^《》\n]+)》((?:{ART})(?:(?:、|和|及|与|以及|或者){ART})*)")
ARTICLE_RE = re.compile(rf"第({NUM})条")
ARTICLE_NAME_RE = re.compile(rf"^第({NUM})条$")

MIN_UNION_LAW_ITEMS = 150
MIN_TYPES = 5
MIN_DIFFICULTY_SHARE = Decimal("0.10")
MIN_PARAMETRIC = 40
NEAR_DUPLICATE_RATIO = 0.85
PARAMETRIC_SEEDS = range(200)


# --------------------------------------------------------------------------- helpers



def normalise_law(name: str) -> str:
    """Name under which an inline 《…》 citation and a `statutes` law are compared:
    the prefix 中华人民共和国 may be left out, and a nested title is written 〈…〉."""
    return (name.replace("中华人民共和国", "").replace("〈", "《").replace("〉", "》")
            .replace(" ", "").strip())


def item_texts(spec: dict) -> list[str]:
    """Every piece of candidate- or marker-facing text in a spec, sub-items included."""
    texts = [spec.get(key) for key in ("stem", "explanation", "scenario")]
    for key in ("choices", "lefts", "rights", "items"):
        texts += [entry.get("text") for entry in spec.get(key) or [] if isinstance(entry, dict)]
    texts += [c.get("description") for c in spec.get("rubric") or [] if isinstance(c, dict)]
    for sub in spec.get("sub_items") or []:
        if isinstance(sub, dict) and isinstance(sub.get("spec"), dict):
            texts += item_texts(sub["spec"])
    return [text for text in texts if isinstance(text, str)]


def inline_citations(text: str) -> dict[str, set[str]]:
    """{normalised law: {第…条, …}} for every 《…》第…条 in ``text``."""
    found: dict[str, set[str]] = {}
    for match in CITATION_RE.finditer(text):
        articles = {f"第{num}条" for num in ARTICLE_RE.findall(match.group(2))}
        found.setdefault(normalise_law(match.group(1)), set()).update(articles)
    return found


def listed_articles(question: dict) -> dict[str, set[str]]:
    """{normalised law: {articles}} from a question's `statutes` list."""
    listed: dict[str, set[str]] = {}
    for statute in question.get("statutes") or []:
        if isinstance(statute, dict) and isinstance(statute.get("law"), str):
            articles = statute.get("articles") if isinstance(statute.get("articles"), list) else []
            listed.setdefault(normalise_law(statute["law"]), set()).update(
                a for a in articles if isinstance(a, str))
    return listed


@functools.cache
def statute_index(folder: Path = STATUTES) -> dict[tuple[str, str], frozenset[str]]:
    """{(normalised title, version): articles} for the statute texts in ``folder``.

    The version is the date in the file name, or else the latest date in the
    file's header (the lines before <!-- INFO END -->).
    """
    index = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        text = path.read_text(encoding="utf-8")
        title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "")
        match = re.search(r"\((\d{4}-\d{2}-\d{2})\)", path.name)
        if match:
            version = match.group(1)
        else:
            header = text.split("<!-- INFO END -->")[0]
            dates = [dt.date(int(y), int(m), int(d)).isoformat()
                     for y, m, d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", header)]
            version = max(dates) if dates else ""
        articles = frozenset(f"第{num}条" for num in re.findall(rf"^第({NUM})条", text, re.M))
        index[(normalise_law(title), version)] = articles
    return index


def squash(text: str) -> str:
    """Text for comparing stems: NFKC, lower case, no white space or punctuation."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text
                   if not unicodedata.category(ch).startswith(("P", "Z", "S", "C")))


def comparable_stem(question: dict) -> str:
    spec = question.get("spec") if isinstance(question.get("spec"), dict) else {}
    return squash(f"{spec.get('stem') or ''}{spec.get('scenario') or ''}")


# --------------------------------------------------------------------------- checks

def bank_problems(doc: object) -> list[str]:
    """The format header and the `bank` block."""
    if not isinstance(doc, dict):
        return ["file: not a mapping"]
    problems = []
    if set(doc) != {"format", "bank", "questions"}:
        problems.append(f"file: top-level keys {sorted(doc)}")
    if doc.get("format") != FORMAT:
        problems.append(f"file: format {doc.get('format')!r}")
    bank = doc.get("bank")
    if not isinstance(bank, dict):
        return [*problems, "bank: not a mapping"]
    if set(bank) != BANK_FIELDS:
        problems.append(f"bank: fields {sorted(bank)}")
    if not (isinstance(bank.get("code"), str) and KEY_RE.match(bank["code"])):
        problems.append(f"bank.code: {bank.get('code')!r}")
    for field in ("title", "description"):
        if not (isinstance(bank.get(field), str) and bank[field].strip()):
            problems.append(f"bank.{field}: empty")
    if bank.get("domain") not in DOMAINS:
        problems.append(f"bank.domain: {bank.get('domain')!r}")
    questions = doc.get("questions")
    if not (isinstance(questions, list) and questions):
        problems.append("questions: empty or not a list")
    elif not all(isinstance(q, dict) for q in questions):
        problems.append("questions: an entry is not a mapping")
    return problems


def _choice_problems(where: str, spec: dict) -> list[str]:
    """Choice ids run a, b, c … in authored order; a single choice has one full-credit
    answer; ordering ids are not in sorted order; matching pairs differ in id."""
    problems = []
    kind = spec.get("type")
    if kind in ("single_choice", "multiple_choice"):
        ids = [c.get("id") for c in spec.get("choices") or []]
        if ids != list(string.ascii_lowercase[:len(ids)]):
            problems.append(f"{where}: choice ids {ids} are not a, b, c … in order")
        if kind == "single_choice":
            weights = [Decimal(str(c.get("weight", 0))) for c in spec.get("choices") or []]
            if weights.count(Decimal(100)) != 1 or any(w not in (0, 100) for w in weights):
                problems.append(f"{where}: a single choice needs exactly one answer worth 100")
    if kind == "ordering":
        ids = [str(e.get("id")) for e in spec.get("items") or []]
        natural = sorted(ids, key=lambda s: [int(t) if t.isdigit() else t
                                             for t in re.split(r"(\d+)", s)])
        if ids == sorted(ids) or ids == natural:
            problems.append(f"{where}: ordering ids {ids} reveal the order")
    if kind == "matching":
        for pair in spec.get("pairs") or []:
            if pair.get("left") == pair.get("right"):
                problems.append(f"{where}: matching pair {pair} shares its id")
    for sub in spec.get("sub_items") or []:
        if isinstance(sub, dict) and isinstance(sub.get("spec"), dict):
            problems += _choice_problems(f"{where}.{sub.get('id')}", sub["spec"])
    return problems


def _explanation_problems(where: str, spec: dict) -> list[str]:
    problems = []
    explanation = spec.get("explanation")
    if not (isinstance(explanation, str) and explanation.strip()):
        problems.append(f"{where}: no explanation")
    elif not ARTICLE_RE.search(explanation):
        problems.append(f"{where}: the explanation cites no article")
    for sub in spec.get("sub_items") or []:
        if isinstance(sub, dict) and isinstance(sub.get("spec"), dict):
            problems += _explanation_problems(f"{where}.{sub.get('id')}", sub["spec"])
    return problems


def _statute_list_problems(where: str, statutes: object) -> list[str]:
    if not (isinstance(statutes, list) and statutes):
        return [f"{where}.statutes: none"]
    problems = []
    for i, statute in enumerate(statutes):
        at = f"{where}.statutes.{i}"
        if not isinstance(statute, dict) or set(statute) != STATUTE_FIELDS:
            problems.append(f"{at}: needs exactly {sorted(STATUTE_FIELDS)}")
            continue
        if not (isinstance(statute["law"], str) and statute["law"].strip()):
            problems.append(f"{at}.law: empty")
        version = statute["version"]
        if not (isinstance(version, str) and DATE_RE.match(version)):
            problems.append(f"{at}.version: {version!r}")
        else:
            try:
                dt.date.fromisoformat(version)
            except ValueError:
                problems.append(f"{at}.version: {version!r}")
        articles = statute["articles"]
        if not isinstance(articles, list):
            problems.append(f"{at}.articles: not a list")
            continue
        bad = [a for a in articles if not well_formed_article(a)]
        if bad:
            problems.append(f"{at}.articles: malformed {bad}")
        if len(set(map(str, articles))) != len(articles):
            problems.append(f"{at}.articles: repeated")
    return problems


def _parametric_problems(where: str, spec: object) -> list[str]:
    if not isinstance(spec, ParametricSpec):
        return []
    try:
        check_instances(spec)
        for seed in PARAMETRIC_SEEDS:
            answer = compute_answer(spec, instantiate(spec, seed))
            if answer <= 0:
                return [f"{where}: seed {seed} gives the answer {answer}"]
    except ItemSpecError as err:
        return [f"{where}: {err}"]
    return []


def question_problems(question: object, index: int = 0) -> list[str]:
    """Everything about one question that does not need the statute texts."""
    if not isinstance(question, dict):
        return [f"questions.{index}: not a mapping"]
    where = f"questions.{index} ({question.get('id')})"
    problems = []
    if set(question) != QUESTION_FIELDS:
        problems.append(f"{where}: fields {sorted(question)}")
    qid = question.get("id")
    if not (isinstance(qid, str) and KEY_RE.match(qid) and len(qid) <= 64):
        problems.append(f"{where}.id: malformed")
    category = question.get("category")
    if not (isinstance(category, str)
            and all(part.strip() and part == part.strip() for part in category.split("/"))):
        problems.append(f"{where}.category: {category!r}")
    difficulty = question.get("difficulty")
    if not (isinstance(difficulty, int) and not isinstance(difficulty, bool)
            and 1 <= difficulty <= 5):
        problems.append(f"{where}.difficulty: {difficulty!r}")
    points = question.get("knowledge_points")
    if not (isinstance(points, list) and points
            and all(isinstance(p, str) and p.strip() for p in points)):
        problems.append(f"{where}.knowledge_points: empty or not text")
    if question.get("status") != SHIPPED_STATUS:
        problems.append(f"{where}.status: {question.get('status')!r} (shipped items are approved)")
    spec_data = question.get("spec")
    try:
        spec = item_from_dict(copy.deepcopy(spec_data))
    except ItemSpecError as err:
        return [*problems, f"{where}.spec: {err}"]
    problems += _parametric_problems(where, spec)
    if spec_data.get("type") == "description":
        return problems
    problems += _explanation_problems(where, spec_data)
    problems += _choice_problems(where, spec_data)
    problems += _statute_list_problems(where, question.get("statutes"))
    problems += citation_problems(question, where)
    return problems


def citation_problems(question: dict, where: str = "") -> list[str]:
    """Every article cited inline as 《法》第X条 is listed under that law in `statutes`."""
    listed = listed_articles(question)
    problems = []
    for text in item_texts(question.get("spec") or {}):
        for law, articles in inline_citations(text).items():
            missing = sorted(articles - listed.get(law, set()))
            if missing:
                problems.append(f"{where}: cites 《{law}》{'、'.join(missing)} "
                                "without listing it in statutes")
    return problems


def statute_text_problems(question: dict, index: dict[tuple[str, str], frozenset[str]],
                          where: str = "") -> list[str]:
    """Against the statute texts: 工会法 is cited in its 2021 version, every listed
    article of a law whose text is present exists, and a law whose title is present
    is not cited in a version that is not."""
    titles = {title for title, _ in index}
    problems = []
    for statute in question.get("statutes") or []:
        law, version = normalise_law(statute["law"]), statute["version"]
        if law == UNION_LAW and version != UNION_LAW_VERSION:
            problems.append(f"{where}: 工会法 cited in version {version}, not {UNION_LAW_VERSION}")
        if (law, version) in index:
            missing = sorted(set(statute["articles"]) - index[(law, version)],
                             key=lambda a: cn_to_int(a[1:-1]))
            if missing:
                problems.append(f"{where}: {statute['law']} ({version}) has no {missing}")
        elif law in titles:
            problems.append(f"{where}: no text of {statute['law']} in version {version}")
    return problems


def near_duplicates(questions: list[dict], ratio: float = NEAR_DUPLICATE_RATIO
                    ) -> list[tuple[str, str, float]]:
    """Pairs of question ids whose normalised stems are at least ``ratio`` alike."""
    stems = [(q.get("id"), comparable_stem(q)) for q in questions]
    pairs = []
    for i, (id_a, a) in enumerate(stems):
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(a)  # the sequence SequenceMatcher indexes, reused for every b
        for id_b, b in stems[i + 1:]:
            matcher.set_seq1(b)
            if (matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio
                    and matcher.ratio() >= ratio):
                pairs.append((id_a, id_b, round(matcher.ratio(), 3)))
    return pairs


def balance_problems(doc: dict) -> list[str]:
    """Bank-specific size and mix rules, by bank code."""
    questions = doc.get("questions") or []
    code = (doc.get("bank") or {}).get("code")
    problems = []
    if code == "union-law":
        approved = [q for q in questions if q.get("status") == SHIPPED_STATUS]
        if len(approved) < MIN_UNION_LAW_ITEMS:
            problems.append(f"union-law: {len(approved)} approved items, "
                            f"need {MIN_UNION_LAW_ITEMS}")
        types = {(q.get("spec") or {}).get("type") for q in approved}
        if len(types) < MIN_TYPES:
            problems.append(f"union-law: {len(types)} item types, need {MIN_TYPES}")
        counts = Counter(q.get("difficulty") for q in approved)
        for level in range(1, 6):
            if Decimal(counts[level]) < MIN_DIFFICULTY_SHARE * len(approved):
                problems.append(f"union-law: difficulty {level} has {counts[level]} of "
                                f"{len(approved)} items, under 10 %")
    if code == "wage-calculations":
        parametric = [q for q in questions if (q.get("spec") or {}).get("type") == "parametric"]
        if len(parametric) < MIN_PARAMETRIC:
            problems.append(f"wage-calculations: {len(parametric)} parametric items, "
                            f"need {MIN_PARAMETRIC}")
    return problems


def id_problems(questions: list[dict]) -> list[str]:
    counts = Counter(q.get("id") for q in questions)
    return [f"id {qid!r} used {n} times" for qid, n in counts.items() if n > 1]


# --------------------------------------------------------------------------- the banks

BANK_FILES = sorted(BANKS.glob("*.yaml"))


@functools.cache
def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def bank_by_code(code: str) -> dict:
    for path in BANK_FILES:
        doc = load(path)
        if isinstance(doc, dict) and (doc.get("bank") or {}).get("code") == code:
            return doc
    pytest.fail(f"no bank with code {code!r} in {BANKS}")


def test_the_two_first_banks_are_shipped():
    names = {path.name for path in BANK_FILES}
    assert {"union-law.yaml", "wage-calculations.yaml"} <= names


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: p.name)
def test_bank_header(path):
    doc = load(path)
    assert bank_problems(doc) == []
    assert doc["bank"]["code"] == path.stem, "the file is named after the bank code"


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: p.name)
def test_every_question_is_well_formed(path):
    questions = load(path)["questions"]
    problems = id_problems(questions)
    for i, question in enumerate(questions):
        problems += question_problems(question, i)
    assert problems == []


@pytest.mark.skipif(not STATUTES.is_dir(), reason=f"statute texts not present at {STATUTES}")
@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: p.name)
def test_cited_articles_exist_in_the_statute_texts(path):
    index = statute_index(STATUTES)
    assert (UNION_LAW, UNION_LAW_VERSION) in index, "the 2021 工会法 text is missing"
    problems = []
    for question in load(path)["questions"]:
        problems += statute_text_problems(question, index, question["id"])
    assert problems == []


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: p.name)
def test_no_near_duplicate_stems(path):
    assert near_duplicates(load(path)["questions"]) == []


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: p.name)
def test_size_and_mix(path):
    assert balance_problems(load(path)) == []


def test_union_law_bank_cites_the_union_law_throughout():
    doc = bank_by_code("union-law")
    assert doc["bank"]["domain"] == "union_law"
    without = [q["id"] for q in doc["questions"]
               if UNION_LAW not in {normalise_law(s["law"]) for s in q["statutes"]}
               and not any(UNION_LAW in inline_citations(t) for t in item_texts(q["spec"]))]
    # a few items test the laws the union relies on (劳动合同法第四十一条 …) rather
    # than the 工会法 itself; they stay a small minority
    assert len(without) <= len(doc["questions"]) // 5, without


def test_wage_bank_is_wage_accounting():
    assert bank_by_code("wage-calculations")["bank"]["domain"] == "wage_accounting"


# --- the parametric formulas agree with the independent calculators ----------------

def _compensation(v):
    return wages.economic_compensation(
        service_years=int(v["Y"]), extra_months=int(v["m"]), monthly_wage=v["W"],
        local_average_monthly_wage=v["A"]).compensation


def _fen(amount):
    return amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def _contributions(**kwargs):
    """`wages.employee_contributions` with every share not named left at zero and the
    bases unbounded unless a floor or ceiling is named."""
    unbounded = Decimal(10) ** 9
    arguments = dict(social_insurance_floor=Decimal(0), social_insurance_ceiling=unbounded,
                     pension_rate=Decimal(0), medical_rate=Decimal(0),
                     unemployment_rate=Decimal(0), housing_fund_floor=Decimal(0),
                     housing_fund_ceiling=unbounded, housing_fund_rate=Decimal(0))
    return wages.employee_contributions(**{**arguments, **kwargs})


def _bonus_month(v):
    """Month n of a steady wage, with a bonus added to month n's income."""
    n = int(v["n"])
    before = wages.withholding_schedule(
        monthly_income=v["G"], monthly_special_deductions=v["S"],
        monthly_special_additional_deductions=v["D"], through_month=n - 1)
    return wages.monthly_withholding(
        month=n, cumulative_income=n * v["G"] + v["B"], cumulative_special_deductions=n * v["S"],
        cumulative_special_additional_deductions=n * v["D"],
        tax_withheld_before=sum(month.tax_this_month for month in before)).tax_this_month


def _net_pay_january(v):
    contributions = _contributions(
        wage=v["B"], pension_rate=Decimal("0.08"), medical_rate=Decimal("0.02"),
        unemployment_rate=v["u"] / 100, housing_fund_rate=v["h"] / 100).total
    tax = wages.monthly_withholding(
        month=1, cumulative_income=v["G"], cumulative_special_deductions=contributions,
        cumulative_special_additional_deductions=v["D"]).tax_this_month
    return v["G"] - contributions - tax


CALCULATORS = {
    "wc-ot-001": lambda v: wages.overtime_pay(
        v["M"], workday_hours=v["h1"], rest_day_hours=v["h2"], holiday_hours=v["h3"]).total,
    "wc-conv-001": lambda v: wages.daily_and_hourly_wage(v["M"]).daily_wage,
    "wc-comp-001": _compensation,
    "wc-comp-002": lambda v: wages.economic_compensation(
        service_years=int(v["Y"]), extra_months=int(v["m"]), monthly_wage=v["W"],
        local_average_monthly_wage=v["A"], notice_pay_wage=v["P"]).total,
    "wc-dmg-001": lambda v: wages.unlawful_termination_damages(
        service_years=int(v["Y"]), extra_months=int(v["m"]), monthly_wage=v["W"],
        local_average_monthly_wage=v["A"]).damages,
    "wc-ret-001": lambda v: 24 * v["W"] + _compensation(v),
    "wc-prob-001": lambda v: wages.probation_wage_floor(
        comparison_wage=v["C"], local_minimum_wage=v["L"]).floor,
    "wc-ded-001": lambda v: wages.damage_deduction_limit(
        monthly_wage=v["S"], local_minimum_wage=v["L"], loss=v["D"]).deduction,
    "wc-dbl-001": lambda v: wages.no_contract_double_wage(
        employment_start=dt.date(2025, 1, 1), monthly_wage=v["M"],
        contract_signed=dt.date(2025, int(v["k"]), 1)).extra_wage,
    "wc-iit-001": lambda v: wages.withholding_schedule(
        monthly_income=v["G"], monthly_special_deductions=v["S"],
        monthly_special_additional_deductions=v["D"],
        through_month=int(v["n"]))[-1].tax_this_month,
    "wc-si-001": lambda v: wages.employee_contributions(
        wage=v["P"], social_insurance_floor=v["A"] * Decimal("0.6"),
        social_insurance_ceiling=v["A"] * 3, pension_rate=Decimal("0.08"),
        medical_rate=Decimal("0.02"), unemployment_rate=v["u"] / 100,
        housing_fund_floor=Decimal(0), housing_fund_ceiling=Decimal(0),
        housing_fund_rate=Decimal(0)).social_insurance_total,
    "wc-ot-002": lambda v: wages.overtime_pay(v["M"], workday_hours=v["h"]).total,
    "wc-ot-003": lambda v: wages.overtime_pay(v["M"], rest_day_hours=v["h2"] - v["r"]).total,
    "wc-ot-004": lambda v: wages.overtime_pay(v["M"], holiday_hours=8 * v["d"]).total,
    "wc-ot-005": lambda v: wages.overtime_pay(
        v["M"], workday_hours=v["h1"], rest_day_hours=v["h2"], rest_day_time_off=True,
        holiday_hours=v["h3"]).total,
    "wc-ot-007": lambda v: wages.overtime_pay(v["M"], workday_hours=v["A"] - v["S"]).total,
    "wc-ot-008": lambda v: _fen(wages.overtime_pay(
        v["M"], workday_hours=v["h1"], rest_day_hours=v["h2"]).total * Decimal("0.5")),
    "wc-conv-002": lambda v: wages.daily_and_hourly_wage(v["M"]).hourly_wage,
    "wc-conv-003": lambda v: v["M"] - wages.daily_and_hourly_wage(v["M"]).daily_wage * v["d"],
    "wc-comp-003": lambda v: wages.economic_compensation(
        service_years=int(v["Y"]), extra_months=int(v["m"]), monthly_wage=v["W"],
        local_average_monthly_wage=v["A"], local_minimum_wage=v["L"]).compensation,
    "wc-comp-004": lambda v: wages.economic_compensation(
        service_years=0, extra_months=int(v["k"]), monthly_wage=v["T"] / v["k"],
        local_average_monthly_wage=v["A"]).compensation,
    "wc-comp-005": lambda v: wages.economic_compensation(
        service_years=int(v["Y"]), extra_months=int(v["m"]), monthly_wage=v["W"],
        local_average_monthly_wage=v["A"], notice_pay_wage=v["P"]).total
        + _fen(v["V"] * 2 * v["d"] / Decimal("21.75")),
    "wc-dmg-002": lambda v: wages.unlawful_termination_damages(
        service_years=int(v["Y"]), extra_months=int(v["m"]), monthly_wage=v["W"],
        local_average_monthly_wage=v["A"]).damages,
    "wc-prob-002": lambda v: wages.probation_wage_floor(
        comparison_wage=v["C"], local_minimum_wage=v["L"],
        probation_wage=v["C"] * Decimal("0.7")).shortfall * v["t"],
    "wc-ded-002": lambda v: wages.damage_deduction_limit(
        monthly_wage=v["S"], local_minimum_wage=v["L"], loss=v["D"]).months_to_repay,
    "wc-dbl-002": lambda v: wages.no_contract_double_wage(
        employment_start=dt.date(2024, 3, 1), monthly_wage=v["M"],
        as_of=add_months(dt.date(2024, 3, 1), int(v["q"])) - dt.timedelta(days=1)).extra_wage,
    "wc-iit-002": lambda v: wages.withholding_schedule(
        monthly_income=v["G"], monthly_special_deductions=v["S"],
        monthly_special_additional_deductions=2000 * v["c"] + 4000,
        through_month=int(v["n"]))[-1].tax_this_month,
    "wc-iit-003": _bonus_month,
    "wc-iit-004": lambda v: wages.monthly_withholding(
        month=int(v["n"]), cumulative_income=v["n"] * v["G"],
        cumulative_special_deductions=v["n"] * v["S"],
        cumulative_special_additional_deductions=v["n"] * v["D"]).taxable_income,
    "wc-iit-005": lambda v: wages.tax_on(
        v["Y"] + v["R"] * Decimal("0.8") - 60000 - v["S"] - v["D"]),
    "wc-iit-006": _net_pay_january,
    "wc-si-002": lambda v: _contributions(
        wage=v["P"], housing_fund_floor=v["F"], housing_fund_ceiling=v["C"],
        housing_fund_rate=v["r"] / 100).housing_fund,
    "wc-si-003": lambda v: _contributions(
        wage=v["P"], social_insurance_floor=v["A"] * Decimal("0.6"),
        social_insurance_ceiling=v["A"] * 3, pension_rate=Decimal("0.08"),
        medical_rate=Decimal("0.02"), unemployment_rate=v["u"] / 100,
        housing_fund_floor=v["L"], housing_fund_ceiling=v["A"] * 3,
        housing_fund_rate=v["h"] / 100).total,
    # union funds (工会法第四十三条) and the social-insurance late fee (社会保险法第八十六条)
    "wc-fund-001": lambda v: wages.union_fund_allocation(v["T"] + v["B"] + v["O"]),
    "wc-fund-002": lambda v: wages.union_fund_allocation(v["J"] + v["T"] + v["S"]),
    "wc-fund-004": lambda v: wages.union_fund_allocation(v["k"] * (v["J"] + v["O"] + v["T"])),
    "wc-fund-005": lambda v: wages.union_fund_allocation(v["W"]),
    "wc-si-004": lambda v: wages.social_insurance_late_fee(v["X"], v["d"]),
    "wc-si-005": lambda v: wages.social_insurance_late_fee(v["X"], v["d"]) + v["X"],
    "wc-si-006": lambda v: _contributions(
        wage=v["W2"], housing_fund_rate=v["r"] / 100).housing_fund * 2,
}


def test_at_least_forty_parametric_items_are_backed_by_the_wage_calculators():
    """Issue 5: ≥ 40 parametric wage items whose answers the calculators in
    lms.domain.wages reproduce (each checked below at its corners and 200 seeds)."""
    parametric = {q["id"] for q in bank_by_code("wage-calculations")["questions"]
                  if q["spec"]["type"] == "parametric"}
    assert len(set(CALCULATORS) & parametric) >= MIN_PARAMETRIC


@pytest.mark.parametrize("item_id", sorted(CALCULATORS))
def test_parametric_answers_match_the_wage_calculators(item_id):
    question = next((q for q in bank_by_code("wage-calculations")["questions"]
                     if q["id"] == item_id), None)
    assert question is not None, f"{item_id} is no longer in the wage bank"
    spec = item_from_dict(question["spec"])
    corners = [{v.name: v.min for v in spec.variables}, {v.name: v.max for v in spec.variables}]
    for values in corners + [instantiate(spec, seed) for seed in PARAMETRIC_SEEDS]:
        assert compute_answer(spec, values) == CALCULATORS[item_id](values), values


# --- the numeric keys agree with the independent calculators ------------------------
# Each entry recomputes, from the figures the item states, the value of the item's first
# full-credit answer; a case-study sub-item is named "case-id/sub-id".

D = Decimal

NUMERIC_CALCULATORS = {
    "wc-num-001": lambda: wages.overtime_pay(
        D(6960), workday_hours=D(12), rest_day_hours=D(8), holiday_hours=D(8)).total,
    "wc-num-002": lambda: wages.daily_and_hourly_wage(D(8352)).hourly_wage,
    "wc-num-003": lambda: wages.economic_compensation(
        service_years=13, extra_months=7, monthly_wage=D(36000),
        local_average_monthly_wage=D(10500)).compensation,
    "wc-num-004": lambda: wages.damage_deduction_limit(
        monthly_wage=D(2800), local_minimum_wage=D(2420), loss=D(1500)).deduction,
    "wc-num-005": lambda: wages.withholding_schedule(
        monthly_income=D(18000), monthly_special_deductions=D(1900),
        monthly_special_additional_deductions=D(3000), through_month=5)[-1].tax_this_month,
    "wc-num-006": lambda: _contributions(
        wage=D(4600), social_insurance_floor=D(9000) * D("0.6"),
        social_insurance_ceiling=D(9000) * 3, pension_rate=D("0.08"), medical_rate=D("0.02"),
        unemployment_rate=D("0.005"), housing_fund_floor=D(2420),
        housing_fund_ceiling=D(27000), housing_fund_rate=D("0.07")).total,
    "wc-num-007": lambda: wages.probation_wage_floor(
        comparison_wage=D(3000), local_minimum_wage=D(2540)).floor,
    "wc-num-008": lambda: wages.no_contract_double_wage(
        employment_start=dt.date(2024, 5, 10), monthly_wage=D(7200),
        contract_signed=dt.date(2024, 11, 10)).extra_wage,
    "wc-num-009": lambda: wages.unlawful_termination_damages(
        service_years=4, extra_months=3, monthly_wage=D(9200),
        local_average_monthly_wage=D(11000)).damages,
    "wc-num-012": lambda: wages.daily_and_hourly_wage(D(10875)).daily_wage * 2 * 3,
    "wc-num-014": lambda: wages.withholding_schedule(
        monthly_income=D(28000), monthly_special_deductions=D(2800),
        monthly_special_additional_deductions=D(3000), through_month=9)[-1].tax_this_month,
    "wc-num-015": lambda: wages.economic_compensation(
        service_years=6, extra_months=2, monthly_wage=D(2100),
        local_average_monthly_wage=D(8800), local_minimum_wage=D(2420)).compensation,
    "wa-032": lambda: wages.overtime_pay(D(7830), workday_hours=D(10)).total,
    "wa-033": lambda: wages.overtime_pay(D(8352), rest_day_hours=D(8), holiday_hours=D(8)).total,
    "wa-043": lambda: wages.daily_and_hourly_wage(D(9135)).daily_wage,
    "wa-046": lambda: wages.overtime_pay(
        D(6090), workday_hours=D(12), rest_day_hours=D(8), holiday_hours=D(8)).total,
    "wc-case-001/s2": lambda: wages.overtime_pay(
        D(7830), workday_hours=D(30), rest_day_hours=D(16), holiday_hours=D(8)).total,
}


def _numeric_spec(item_id: str) -> dict:
    question_id, _, sub_id = item_id.partition("/")
    question = next((q for q in bank_by_code("wage-calculations")["questions"]
                     if q["id"] == question_id), None)
    assert question is not None, f"{question_id} is no longer in the wage bank"
    spec = question["spec"]
    if sub_id:
        spec = next(sub["spec"] for sub in spec["sub_items"] if sub["id"] == sub_id)
    assert spec["type"] == "numeric", f"{item_id} is not a numeric item"
    return spec


@pytest.mark.parametrize("item_id", sorted(NUMERIC_CALCULATORS))
def test_numeric_keys_match_the_wage_calculators(item_id):
    spec = _numeric_spec(item_id)
    key = next(a for a in spec["answers"] if Decimal(str(a.get("weight", 100))) == 100)
    assert Decimal(str(key["value"])) == NUMERIC_CALCULATORS[item_id]()


def test_every_numeric_wage_item_is_either_checked_or_outside_the_calculators():
    """A new numeric item must be added to NUMERIC_CALCULATORS or to this list on purpose."""
    not_covered = {"wc-num-010",  # union funds: 2 % of the wage total, no calculator
                   "wc-num-011",  # social-insurance late fee, no calculator
                   "wc-num-013",  # annual-leave days on leaving, no calculator
                   # concept-bank items whose arithmetic no calculator models; each
                   # explanation works the figures twice
                   "wa-015",  # which month a deduction series ends in
                   "wa-024", "wa-125",  # payslip totals (gross − listed deductions)
                   "wa-034",  # piece-rate overtime
                   "wa-044",  # statutory hours per quarter (20.83 × 3 × 8)
                   "wa-060", "wa-061", "wa-068",  # annual IIT figures and a withholding cell
                   "wa-078",  # social-insurance late fee
                   "wa-087", "wa-093",  # housing-fund contributions without bases
                   "wa-101", "wa-111", "wa-132",  # union funds and the Beijing late fee
                   "wa-127"}  # unused annual-leave pay
    numeric = {q["id"] for q in bank_by_code("wage-calculations")["questions"]
               if q["spec"]["type"] == "numeric"}
    assert numeric == {i for i in NUMERIC_CALCULATORS if "/" not in i} | not_covered


# --------------------------------------------------------------------------- self-tests

def good_item() -> dict:
    return {
        "id": "ul-test-001",
        "category": "工会组织/建会条件",
        "difficulty": 2,
        "knowledge_points": ["建会条件"],
        "statutes": [{"law": "中华人民共和国工会法", "version": "2021-12-24",
                      "articles": ["第十一条"]}],
        "status": "approved",
        "spec": {
            "type": "single_choice", "points": 1,
            "stem": "某企业有会员 30 人，依据《工会法》应当：",
            "explanation": "《工会法》第十一条：会员二十五人以上的，应当建立基层工会委员会。",
            "choices": [{"id": "a", "text": "建立基层工会委员会", "weight": 100},
                        {"id": "b", "text": "选举组织员"}],
        },
    }


def good_parametric() -> dict:
    item = good_item()
    item["id"] = "wc-test-001"
    item["statutes"] = [{"law": "中华人民共和国劳动法", "version": "2018-12-29",
                         "articles": ["第四十四条"]}]
    item["spec"] = {
        "type": "parametric", "points": 2, "stem": "月工资 {M} 元，延时 {h} 小时。",
        "explanation": "《劳动法》第四十四条：不低于工资的百分之一百五十。",
        "variables": [{"name": "M", "min": 3000, "max": 9000, "step": 100, "money": True},
                      {"name": "h", "min": 1, "max": 10, "step": 1}],
        "expression": "M / 174 * 1.5 * h", "places": 2, "rounding": "ROUND_HALF_UP",
        "unit": "元", "money": True,
    }
    return item


def good_bank(code: str = "union-law", questions: list[dict] | None = None) -> dict:
    return {"format": FORMAT,
            "bank": {"code": code, "title": "测试题库", "domain": "union_law",
                     "description": "测试用。"},
            "questions": questions if questions is not None else [good_item()]}


def broken(change) -> dict:
    item = good_item()
    change(item)
    return item


def test_a_good_item_and_bank_pass():
    assert question_problems(good_item()) == []
    assert question_problems(good_parametric()) == []
    assert bank_problems(good_bank()) == []


@pytest.mark.parametrize(("doc", "fragment"), [
    ({**good_bank(), "format": "unioncadre-bank/2"}, "format"),
    ({**good_bank(), "bank": {**good_bank()["bank"], "code": "Union_Law"}}, "bank.code"),
    ({**good_bank(), "bank": {**good_bank()["bank"], "domain": "law"}}, "bank.domain"),
    ({**good_bank(), "bank": {**good_bank()["bank"], "title": " "}}, "bank.title"),
    ({**good_bank(), "questions": []}, "questions"),
    ({**good_bank(), "extra": 1}, "top-level"),
    ([], "not a mapping"),
])
def test_a_bad_header_is_caught(doc, fragment):
    assert any(fragment in p for p in bank_problems(doc))


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda q: q.update(id="UL_001"), ".id"),
    (lambda q: q.update(category="工会组织//建会"), ".category"),
    (lambda q: q.update(difficulty=6), ".difficulty"),
    (lambda q: q.update(difficulty=True), ".difficulty"),
    (lambda q: q.update(knowledge_points=[]), ".knowledge_points"),
    (lambda q: q.update(status="draft"), ".status"),
    (lambda q: q.pop("category"), "fields"),
    (lambda q: q.update(notes="x"), "fields"),
    (lambda q: q["spec"]["choices"][0].update(weight=50), ".spec"),
    (lambda q: q["spec"].update(explanation=""), "no explanation"),
    (lambda q: q["spec"].update(explanation="会员二十五人以上应当建会。"), "cites no article"),
    (lambda q: q.update(statutes=[]), "statutes: none"),
    (lambda q: q["statutes"][0].update(articles=["第11条"]), "malformed"),
    (lambda q: q["statutes"][0].update(articles=["第十一条", "第十一条"]), "repeated"),
    (lambda q: q["statutes"][0].update(version="2021-02-30"), ".version"),
    (lambda q: q["statutes"][0].pop("version"), "needs exactly"),
    (lambda q: q["spec"].update(stem="依据《工会法》第十二条，某企业应当："), "第十二条"),
    (lambda q: q["spec"].update(explanation="依据《中华人民共和国劳动合同法》第四十三条。"),
     "劳动合同法"),
    (lambda q: q["spec"]["choices"][1].update(text="依《工会法》第十四条设专职主席"), "第十四条"),
    (lambda q: [c.update(id=i) for c, i in zip(q["spec"]["choices"], ("right", "wrong"),
                                                strict=True)], "choice ids"),
    (lambda q: q["spec"]["choices"].reverse(), "choice ids"),
    (lambda q: q["spec"]["choices"][1].update(weight=50), "exactly one answer"),
])
def test_a_broken_item_is_caught(change, fragment):
    problems = question_problems(broken(change))
    assert any(fragment in p for p in problems), problems


def test_a_citation_inside_a_case_study_sub_item_is_checked():
    item = good_item()
    item["spec"] = {"type": "case_study", "points": 1, "stem": "阅读案例。",
                    "scenario": "某企业有会员 30 人。",
                    "explanation": "《工会法》第十一条。",
                    "sub_items": [{"id": "s1", "spec": {
                        "type": "true_false", "points": 1, "answer": False,
                        "stem": "企业可以不建会。",
                        "explanation": "错误，且须报上级批准（《工会法》第十二条）。"}}]}
    problems = question_problems(item)
    assert any("第十二条" in p for p in problems), problems
    item["spec"]["sub_items"][0]["spec"]["explanation"] = "错误。"
    assert any("s1: the explanation cites no article" in p for p in question_problems(item))


def test_ordering_and_matching_ids_that_give_the_key_away_are_caught():
    item = good_item()
    item["spec"] = {"type": "ordering", "points": 1, "stem": "排序。",
                    "explanation": "《工会法》第十一条。",
                    "items": [{"id": f"s{i}", "text": f"第{i}步"} for i in range(1, 5)]}
    assert any("reveal the order" in p for p in question_problems(item))
    item["spec"]["items"] = [{"id": i, "text": t} for i, t in
                             zip(["k4", "x9", "p2", "m7"], "甲乙丙丁", strict=True)]
    assert question_problems(item) == []
    item["spec"] = {"type": "matching", "points": 2, "stem": "匹配。",
                    "explanation": "《工会法》第十一条。",
                    "lefts": [{"id": "p1", "text": "甲"}, {"id": "p2", "text": "乙"}],
                    "rights": [{"id": "p1", "text": "A"}, {"id": "p2", "text": "B"}],
                    "pairs": [{"left": "p1", "right": "p1"}, {"left": "p2", "right": "p2"}]}
    assert any("shares its id" in p for p in question_problems(item))


def test_a_parametric_item_that_fails_for_some_draw_is_caught():
    item = good_parametric()
    item["spec"]["expression"] = "M / (h - 1)"  # divides by zero at h = 1
    assert any("evaluation_failed" in p for p in question_problems(item))
    item = good_parametric()
    item["spec"]["expression"] = "M / 174 * 1.5 * h - 300"  # negative for small M and h
    assert any("gives the answer" in p for p in question_problems(item))


@pytest.mark.skipif(not STATUTES.is_dir(), reason=f"statute texts not present at {STATUTES}")
def test_an_article_missing_from_the_statute_text_is_caught():
    index = statute_index(STATUTES)
    item = good_item()
    assert statute_text_problems(item, index) == []
    item["statutes"][0]["articles"] = ["第十一条", "第五十九条"]  # the 2021 text ends at 58
    assert any("第五十九条" in p for p in statute_text_problems(item, index))
    item["statutes"][0].update(articles=["第十一条"], version="2009-08-27")
    problems = statute_text_problems(item, index)
    assert any("not 2021-12-24" in p for p in problems), problems
    item["statutes"] = [{"law": "中华人民共和国劳动合同法", "version": "2012-12-28",
                         "articles": ["第一百零一条"]}]
    assert any("第一百零一条" in p for p in statute_text_problems(item, index))


def test_duplicate_ids_are_caught():
    assert id_problems([good_item(), good_item()]) == ["id 'ul-test-001' used 2 times"]


def test_near_duplicate_stems_are_caught_and_distinct_ones_are_not():
    a, b, c = good_item(), good_item(), good_item()
    b["id"], c["id"] = "ul-test-002", "ul-test-003"
    b["spec"]["stem"] = "某企业有会员 30 人, 依据 《工会法》 应当?"  # punctuation and spacing only
    c["spec"]["stem"] = "职工因工伤亡事故的调查处理，依据《工会法》应当有哪些组织参加？"
    assert near_duplicates([a, b, c]) == [("ul-test-001", "ul-test-002", 1.0)]


def test_near_duplicate_check_is_fast_enough_for_two_hundred_items():
    import time
    questions = load(BANKS / "union-law.yaml")["questions"]
    started = time.perf_counter()
    near_duplicates(questions)
    assert time.perf_counter() - started < 10


def test_a_bank_out_of_balance_is_caught():
    items = []
    for i in range(160):
        item = good_item()
        item["id"] = f"ul-test-{i:03d}"
        item["difficulty"] = 3
        items.append(item)
    problems = balance_problems(good_bank("union-law", items))
    assert any("difficulty 1" in p for p in problems)
    assert any("item types" in p for p in problems)
    assert any("approved items" in p for p in balance_problems(good_bank("union-law", items[:149])))
    wage = good_bank("wage-calculations", [good_parametric()] * (MIN_PARAMETRIC - 1))
    assert any("parametric items" in p for p in balance_problems(wage))
    assert balance_problems(good_bank("wage-calculations",
                                      [good_parametric()] * MIN_PARAMETRIC)) == []
