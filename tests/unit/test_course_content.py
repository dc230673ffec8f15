"""Rules for the course content under lms/courses/content/ (see its README.md).

Pure tests: no app, no database. Every folder under lms/courses/content/ that
holds a course.yaml is checked: the course file's fields, the outline (at least
4 modules of at least 3 lessons, stable well-formed keys), and each lesson
(length, the 案例 and 小结 sections, citations that match the lesson's statute
list). Where the statute texts are present beside the repository
(../shared/domain/statutes/), cited article numbers and blockquoted statute text
are also checked against them; without them those checks are skipped.

The second half of the file builds a small valid course in a temporary folder
and breaks it one rule at a time, so that a broken lesson is known to fail.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from lms.domain.numerals import cn_to_int, int_to_cn, well_formed_article

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "lms" / "courses" / "content"
STATUTES = REPO.parent / "shared" / "domain" / "statutes"

DOMAINS = {"union_law", "labor_law", "wage_accounting", "negotiation", "other"}
LEVELS = {"basic", "intermediate", "advanced"}
COURSE_FIELDS = {"code", "title", "domain", "level", "credit_hours", "summary",
                 "prerequisites", "modules"}
MODULE_FIELDS = {"key", "title", "lessons"}
LESSON_FIELDS = {"key", "title", "minutes", "file", "statutes"}
STATUTE_FIELDS = {"law", "version", "articles"}
MIN_MODULES = 4
MIN_LESSONS = 3
MIN_HAN = 600
UNION_LAW = "工会法"  # normalised name of 中华人民共和国工会法

KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HAN_RE = re.compile(r"[\u4e00-\u9fff]")
NUM = "[零一二三四五六七八九十百]+"
ITEM = rf"第[（(]?{NUM}[）)]?项"
ART = rf"第{NUM}条(?:第{NUM}款)?(?:{ITEM}(?:(?:、|和|或者|及){ITEM})*)?"
CITATION_RE = re.compile(rf"《([^《》\n]+)》((?:{ART})(?:(?:、|和|及|与|以及|或者){ART})*)")
ARTICLE_RE = re.compile(rf"第({NUM})条")
ARTICLE_NAME_RE = re.compile(rf"^第({NUM})条$")
LESSON_FILE_RE = re.compile(r"lessons/[a-z0-9][a-z0-9-]*\.md")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
BULLET_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")
HTML_RE = re.compile(r"<(?:[A-Za-z][A-Za-z0-9-]*|/[A-Za-z][A-Za-z0-9-]*|!--)[^<>]*>")
IMAGE_RE = re.compile(r"!\[")


# --------------------------------------------------------------------------- helpers



def normalise_law(name: str) -> str:
    """Name under which an inline 《…》 citation and a course.yaml `law` are compared.

    The prefix 中华人民共和国 may be left out inline, and a title nested inside
    《…》 is written with 〈…〉.
    """
    return (name.replace("中华人民共和国", "").replace("〈", "《").replace("〉", "》")
            .replace(" ", "").strip())


def strip_blockquotes(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


def han_count(text: str) -> int:
    """Han characters outside blockquotes: quoted statute text does not count."""
    return len(HAN_RE.findall(strip_blockquotes(text)))


def inline_citations(text: str) -> dict[str, set[str]]:
    """{normalised law name: {第…条, …}} for every 《…》第…条 in the text."""
    found: dict[str, set[str]] = {}
    for match in CITATION_RE.finditer(text):
        articles = {f"第{num}条" for num in ARTICLE_RE.findall(match.group(2))}
        found.setdefault(normalise_law(match.group(1)), set()).update(articles)
    return found


def blockquotes(text: str) -> list[str]:
    """The text of each run of consecutive blockquote lines."""
    runs, current = [], []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(">"):
            current.append(stripped[1:].strip())
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return [run for run in runs if run]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def load_statutes(folder: Path) -> dict[tuple[str, str], dict]:
    """{(normalised title, version): {"articles": set, "text": str, "file": name}}.

    The version is the date in the file name, or else the latest date in the
    file's header (the lines before <!-- INFO END -->).
    """
    index = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        text = path.read_text(encoding="utf-8")
        title = next((line[2:].strip() for line in text.splitlines()
                      if line.startswith("# ")), "")
        match = re.search(r"\((\d{4}-\d{2}-\d{2})\)", path.name)
        if match:
            version = match.group(1)
        else:
            header = text.split("<!-- INFO END -->")[0]
            dates = [dt.date(int(y), int(m), int(d)).isoformat()
                     for y, m, d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", header)]
            version = max(dates) if dates else ""
        articles = {f"第{num}条" for num in re.findall(rf"^第({NUM})条", text, re.MULTILINE)}
        index[(normalise_law(title), version)] = {
            "articles": articles, "text": squash(text), "file": path.name}
    return index


def read_course(folder: Path) -> dict:
    with (folder / "course.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def lessons_of(course: dict):
    for module in course.get("modules") or []:
        if isinstance(module, dict):
            for lesson in module.get("lessons") or []:
                if isinstance(lesson, dict):
                    yield lesson


def lesson_text(folder: Path, lesson: dict) -> str | None:
    file = lesson.get("file")
    if not isinstance(file, str):
        return None
    path = folder / file
    return path.read_text(encoding="utf-8") if path.is_file() else None


# --------------------------------------------------------------------------- checks

def structure_errors(folder: Path, known_codes: set[str] | None = None) -> list[str]:
    """course.yaml: fields, values, outline, keys, lesson files."""
    errors: list[str] = []
    try:
        course = read_course(folder)
    except (OSError, yaml.YAMLError) as exc:
        return [f"course.yaml does not parse: {exc}"]
    if not isinstance(course, dict):
        return ["course.yaml is not a mapping"]

    for missing in sorted(COURSE_FIELDS - course.keys()):
        errors.append(f"course.yaml: missing field {missing!r}")
    for extra in sorted(course.keys() - COURSE_FIELDS):
        errors.append(f"course.yaml: unknown field {extra!r}")
    code = course.get("code")
    if not (isinstance(code, str) and KEY_RE.match(code)):
        errors.append(f"code {code!r} is not of the form [a-z0-9-]")
    for field in ("title", "summary"):
        value = course.get(field)
        if not (isinstance(value, str) and HAN_RE.search(value)):
            errors.append(f"{field} must be Chinese text")
    if course.get("domain") not in DOMAINS:
        errors.append(f"domain {course.get('domain')!r} not one of {sorted(DOMAINS)}")
    if course.get("level") not in LEVELS:
        errors.append(f"level {course.get('level')!r} not one of {sorted(LEVELS)}")
    prerequisites = course.get("prerequisites")
    if not (isinstance(prerequisites, list) and all(isinstance(p, str) for p in prerequisites)):
        errors.append("prerequisites must be a list of course codes")
    else:
        for prerequisite in prerequisites:
            if prerequisite == code:
                errors.append("a course cannot be its own prerequisite")
            elif known_codes is not None and prerequisite not in known_codes:
                errors.append(f"prerequisite {prerequisite!r} is not the code of a course")

    modules = course.get("modules")
    if not isinstance(modules, list):
        return [*errors, "modules must be a list"]
    if len(modules) < MIN_MODULES:
        errors.append(f"{len(modules)} modules; at least {MIN_MODULES} required")
    module_keys: set[str] = set()
    lesson_keys: set[str] = set()
    files: set[str] = set()
    total_minutes = 0
    for m, module in enumerate(modules, 1):
        if not isinstance(module, dict):
            errors.append(f"module {m} is not a mapping")
            continue
        where = f"module {module.get('key', m)!r}"
        for missing in sorted(MODULE_FIELDS - module.keys()):
            errors.append(f"{where}: missing field {missing!r}")
        for extra in sorted(module.keys() - MODULE_FIELDS):
            errors.append(f"{where}: unknown field {extra!r}")
        key = module.get("key")
        if not (isinstance(key, str) and KEY_RE.match(key)):
            errors.append(f"{where}: key is not of the form [a-z0-9-]")
        elif key in module_keys:
            errors.append(f"{where}: module key used twice")
        else:
            module_keys.add(key)
        if not (isinstance(module.get("title"), str) and HAN_RE.search(module["title"])):
            errors.append(f"{where}: title must be Chinese text")
        lessons = module.get("lessons")
        if not isinstance(lessons, list):
            errors.append(f"{where}: lessons must be a list")
            continue
        if len(lessons) < MIN_LESSONS:
            errors.append(f"{where}: {len(lessons)} lessons; at least {MIN_LESSONS} required")
        for n, lesson in enumerate(lessons, 1):
            if not isinstance(lesson, dict):
                errors.append(f"{where}: lesson {n} is not a mapping")
                continue
            lwhere = f"lesson {lesson.get('key', n)!r}"
            for missing in sorted(LESSON_FIELDS - lesson.keys()):
                errors.append(f"{lwhere}: missing field {missing!r}")
            for extra in sorted(lesson.keys() - LESSON_FIELDS):
                errors.append(f"{lwhere}: unknown field {extra!r}")
            lkey = lesson.get("key")
            if not (isinstance(lkey, str) and KEY_RE.match(lkey)):
                errors.append(f"{lwhere}: key is not of the form [a-z0-9-]")
            elif lkey in lesson_keys:
                errors.append(f"{lwhere}: lesson key used twice in the course")
            else:
                lesson_keys.add(lkey)
            if not (isinstance(lesson.get("title"), str) and HAN_RE.search(lesson["title"])):
                errors.append(f"{lwhere}: title must be Chinese text")
            minutes = lesson.get("minutes")
            if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
                errors.append(f"{lwhere}: minutes must be a positive whole number")
            else:
                total_minutes += minutes
            file = lesson.get("file")
            if not (isinstance(file, str) and LESSON_FILE_RE.fullmatch(file)):
                errors.append(f"{lwhere}: file must be lessons/<name>.md, got {file!r}")
            elif file in files:
                errors.append(f"{lwhere}: file {file} used by two lessons")
            else:
                files.add(file)
                if not (folder / file).is_file():
                    errors.append(f"{lwhere}: file {file} does not exist")
            errors.extend(f"{lwhere}: {e}" for e in statute_list_errors(lesson.get("statutes")))
    on_disk = {f"lessons/{p.name}" for p in (folder / "lessons").glob("*.md")}
    for orphan in sorted(on_disk - files):
        errors.append(f"{orphan} is not a lesson of course.yaml")

    hours = course.get("credit_hours")
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
        errors.append("credit_hours must be a positive number")
    elif total_minutes and abs(hours * 60 - total_minutes) > max(60, total_minutes / 4):
        errors.append(f"credit_hours {hours} does not match {total_minutes} minutes of lessons "
                      "(1 学时 = 60 minutes, ±25% or ±1)")
    return errors


def statute_list_errors(statutes) -> list[str]:
    if not isinstance(statutes, list) or not statutes:
        return ["statutes must be a non-empty list"]
    errors, laws = [], set()
    for entry in statutes:
        if not isinstance(entry, dict):
            errors.append("statutes entry is not a mapping")
            continue
        for missing in sorted(STATUTE_FIELDS - entry.keys()):
            errors.append(f"statutes entry missing {missing!r}")
        for extra in sorted(entry.keys() - STATUTE_FIELDS):
            errors.append(f"statutes entry has unknown field {extra!r}")
        law = entry.get("law")
        if not (isinstance(law, str) and HAN_RE.search(law)):
            errors.append(f"statutes entry: law {law!r} must be the full Chinese title")
            continue
        if normalise_law(law) in laws:
            errors.append(f"{law}: listed twice")
        laws.add(normalise_law(law))
        version = entry.get("version")
        try:
            ok = isinstance(version, str) and dt.date.fromisoformat(version).isoformat() == version
        except ValueError:
            ok = False
        if not ok:
            errors.append(f"{law}: version must be a quoted date \"YYYY-MM-DD\", got {version!r}")
        articles = entry.get("articles")
        if not isinstance(articles, list) or not articles:
            errors.append(f"{law}: articles must be a non-empty list")
            continue
        if len(set(map(str, articles))) != len(articles):
            errors.append(f"{law}: an article is listed twice")
        for article in articles:
            if not (isinstance(article, str) and well_formed_article(article)):
                errors.append(f"{law}: {article!r} is not an article number like 第十一条")
    return errors


def lesson_errors(folder: Path) -> list[str]:
    """Each lesson file: title, length, 案例, 小结, Markdown limits, citations."""
    errors: list[str] = []
    course = read_course(folder)
    for lesson in lessons_of(course):
        text = lesson_text(folder, lesson)
        if text is None:
            continue  # reported by structure_errors
        where = f"{lesson.get('file')}"
        lines = text.splitlines()
        first = next((line for line in lines if line.strip()), "")
        if first.strip() != f"# {lesson.get('title')}":
            errors.append(f"{where}: must start with the heading '# {lesson.get('title')}'")
        headings = [(len(m.group(1)), m.group(2), i) for i, line in enumerate(lines)
                    if (m := HEADING_RE.match(line))]
        if sum(1 for level, _, _ in headings if level == 1) != 1:
            errors.append(f"{where}: exactly one level-1 heading (the title) expected")
        count = han_count(text)
        if count < MIN_HAN:
            errors.append(f"{where}: {count} Han characters outside quotes; at least {MIN_HAN}")
        if not any(level == 2 and title == "案例" for level, title, _ in headings):
            errors.append(f"{where}: no '## 案例' section")
        summaries = [i for level, title, i in headings if level == 2 and title == "小结"]
        if not summaries:
            errors.append(f"{where}: no '## 小结' section")
        elif headings[-1][2] != summaries[-1]:
            errors.append(f"{where}: '## 小结' must be the last section")
        else:
            bullets = sum(1 for line in lines[summaries[-1] + 1:] if BULLET_RE.match(line))
            if not 3 <= bullets <= 5:
                errors.append(f"{where}: '## 小结' has {bullets} bullet points; 3 to 5 expected")
        if HTML_RE.search(text):
            errors.append(f"{where}: raw HTML is not allowed")
        if IMAGE_RE.search(text):
            errors.append(f"{where}: images are not allowed")

        cited = inline_citations(text)
        if not cited:
            errors.append(f"{where}: no citation of the form 《…》第…条")
        listed = {normalise_law(e["law"]): e for e in lesson.get("statutes") or []
                  if isinstance(e, dict) and isinstance(e.get("law"), str)}
        for law, articles in sorted(cited.items()):
            if law not in listed:
                errors.append(f"{where}: cites 《{law}》 which is not in its statutes list")
                continue
            listed_articles = set(map(str, listed[law].get("articles") or []))
            for article in sorted(articles - listed_articles, key=_article_order):
                errors.append(f"{where}: cites 《{law}》{article}, not in its statutes list")
        for law, entry in sorted(listed.items()):
            listed_articles = set(map(str, entry.get("articles") or []))
            for article in sorted(listed_articles - cited.get(law, set()), key=_article_order):
                errors.append(f"{where}: lists 《{law}》{article} but never cites it in the text")
    return errors


def _article_order(article: str) -> int:
    try:
        return cn_to_int(article[1:-1])
    except ValueError:
        return 0


def statute_text_errors(folder: Path, index: dict) -> list[str]:
    """Against the statute texts: listed articles exist; blockquotes are verbatim."""
    errors: list[str] = []
    titles = {title for title, _ in index}
    all_text = [entry["text"] for entry in index.values()]
    course = read_course(folder)
    for lesson in lessons_of(course):
        where = f"{lesson.get('file')}"
        for entry in lesson.get("statutes") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("law"), str):
                continue
            law, version = normalise_law(entry["law"]), str(entry.get("version"))
            statute = index.get((law, version))
            if statute is None:
                if law == UNION_LAW or law in titles:
                    held = sorted(v for t, v in index if t == law) or ["none"]
                    errors.append(f"{where}: no statute text for {entry['law']} version "
                                  f"{version} (held: {', '.join(held)})")
                continue  # a statute the reference folder does not hold is not checked
            for article in entry.get("articles") or []:
                if article not in statute["articles"]:
                    errors.append(f"{where}: {entry['law']} ({version}) has no {article} "
                                  f"(checked in {statute['file']})")
        text = lesson_text(folder, lesson)
        for quote in blockquotes(text or ""):
            for fragment in re.split(r"…+|\.{3,}", quote):
                piece = squash(fragment)
                if HAN_RE.search(piece) and not any(piece in body for body in all_text):
                    errors.append(f"{where}: quoted text is not verbatim in any statute: "
                                  f"{fragment.strip()[:40]}…")
    return errors


# --------------------------------------------------------------------------- the real content

COURSES = sorted(p for p in CONTENT.iterdir() if (p / "course.yaml").is_file()) \
    if CONTENT.is_dir() else []


def _known_codes() -> set[str]:
    codes = set()
    for folder in COURSES:
        try:
            course = read_course(folder)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(course, dict) and isinstance(course.get("code"), str):
            codes.add(course["code"])
    return codes


def test_there_is_content():
    assert COURSES, f"no course folders under {CONTENT}"


def test_course_codes_are_unique():
    codes = [read_course(folder).get("code") for folder in COURSES]
    assert len(codes) == len(set(codes)), codes


@pytest.mark.parametrize("folder", COURSES, ids=lambda p: p.name)
def test_course_file_and_outline(folder):
    assert structure_errors(folder, _known_codes()) == []


@pytest.mark.parametrize("folder", COURSES, ids=lambda p: p.name)
def test_lessons(folder):
    assert lesson_errors(folder) == []


@pytest.mark.parametrize("folder", COURSES, ids=lambda p: p.name)
def test_cited_articles_and_quotes_match_the_statute_texts(folder):
    if not STATUTES.is_dir():
        pytest.skip(f"statute texts not present at {STATUTES} (the shared folder beside the repo)")
    assert statute_text_errors(folder, load_statutes(STATUTES)) == []


# --------------------------------------------------------------------------- the checks themselves

def test_chinese_numerals_round_trip():
    for n, text in [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (43, "四十三"),
                    (100, "一百"), (101, "一百零一"), (110, "一百一十"), (188, "一百八十八")]:
        assert cn_to_int(text) == n
        assert int_to_cn(n) == text
    assert well_formed_article("第五十三条")
    assert not well_formed_article("第一十一条")
    assert not well_formed_article("第11条")
    assert not well_formed_article("第十一款")


def test_citation_parser():
    text = ("依照《工会法》第十一条第一款、第十二条和《劳动合同法》第四十三条，以及"
            "《工会法》第四十三条第一款第（二）项、第四十四条；"
            "《最高人民法院关于在民事审判工作中适用〈中华人民共和国工会法〉若干问题的解释》第二条"
            "引用的《中华人民共和国劳动法》第二十五条第（二）项、第（三）项或者第（四）项。"
            "2009 年文本的“工会法第十八条”不是一处引用。")
    assert inline_citations(text) == {
        "工会法": {"第十一条", "第十二条", "第四十三条", "第四十四条"},
        "劳动合同法": {"第四十三条"},
        "最高人民法院关于在民事审判工作中适用《工会法》若干问题的解释": {"第二条"},
        "劳动法": {"第二十五条"},
    }


FILLER = "工会依法维护职工的合法权益，基层工会主席应当熟悉本单位的劳动关系状况。"  # 32 Han


def _lesson_md(title: str) -> str:
    return "\n".join([
        f"# {title}",
        "",
        "《工会法》第二条规定：",
        "",
        "> 第二条 工会是中国共产党领导的职工自愿结合的工人阶级群众组织，"
        "是中国共产党联系职工群众的桥梁和纽带。",
        "",
        FILLER * 20,
        "",
        "## 案例",
        "",
        "某机械厂的问题与回答，依据《工会法》第二条。",
        "",
        "## 小结",
        "",
        "- 第一点",
        "- 第二点",
        "- 第三点",
        "",
    ])


def _make_course(root: Path) -> Path:
    folder = root / "sample"
    (folder / "lessons").mkdir(parents=True)
    modules = []
    for m in range(4):
        lessons = []
        for n in range(3):
            key = f"lesson-{m}-{n}"
            title = f"示例课时{m}{n}"
            (folder / "lessons" / f"{key}.md").write_text(_lesson_md(title), encoding="utf-8")
            lessons.append({"key": key, "title": title, "minutes": 20,
                            "file": f"lessons/{key}.md",
                            "statutes": [{"law": "中华人民共和国工会法", "version": "2021-12-24",
                                          "articles": ["第二条"]}]})
        modules.append({"key": f"module-{m}", "title": f"示例单元{m}", "lessons": lessons})
    course = {"code": "sample", "title": "示例课程", "domain": "other", "level": "basic",
              "credit_hours": 4, "summary": "用于检验规则的示例课程。", "prerequisites": [],
              "modules": modules}
    _write_course(folder, course)
    return folder


def _write_course(folder: Path, course: dict) -> None:
    (folder / "course.yaml").write_text(
        yaml.safe_dump(course, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _all_errors(folder: Path) -> list[str]:
    errors = structure_errors(folder, {"sample"}) + lesson_errors(folder)
    if STATUTES.is_dir():
        errors += statute_text_errors(folder, load_statutes(STATUTES))
    return errors


def test_the_sample_course_passes(tmp_path):
    assert _all_errors(_make_course(tmp_path)) == []


def _edit_course(change):
    def mutate(folder: Path):
        course = read_course(folder)
        change(course)
        _write_course(folder, course)
    return mutate


def _edit_lesson(change):
    def mutate(folder: Path):
        path = folder / "lessons" / "lesson-0-0.md"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return mutate


def _first_lesson(course: dict) -> dict:
    return course["modules"][0]["lessons"][0]


def _raw_yaml(change):
    def mutate(folder: Path):
        path = folder / "course.yaml"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return mutate


BREAKAGES = {
    "too few modules": (_edit_course(lambda c: c["modules"].pop()), "at least 4 required"),
    "too few lessons": (_edit_course(lambda c: c["modules"][1]["lessons"].pop()),
                        "at least 3 required"),
    "bad level": (_edit_course(lambda c: c.update(level="expert")), "level 'expert'"),
    "bad domain": (_edit_course(lambda c: c.update(domain="law")), "domain 'law'"),
    "unknown prerequisite": (_edit_course(lambda c: c.update(prerequisites=["nope"])),
                             "prerequisite 'nope'"),
    "credit hours far from minutes": (_edit_course(lambda c: c.update(credit_hours=40)),
                                      "does not match"),
    "typo in a field": (_edit_course(lambda c: _first_lesson(c).update(minute=5)),
                        "unknown field 'minute'"),
    "malformed key": (_edit_course(lambda c: _first_lesson(c).update(key="Union_Nature")),
                      "key is not of the form"),
    "duplicate lesson key": (_edit_course(
        lambda c: c["modules"][3]["lessons"][2].update(key="lesson-0-0")), "used twice"),
    "duplicate module key": (_edit_course(lambda c: c["modules"][1].update(key="module-0")),
                             "module key used twice"),
    "missing lesson file": (_edit_course(
        lambda c: _first_lesson(c).update(file="lessons/missing.md")), "does not exist"),
    "unquoted version": (_raw_yaml(lambda t: t.replace("'2021-12-24'", "2021-12-24", 1)),
                         "must be a quoted date"),
    "malformed article": (_edit_course(
        lambda c: _first_lesson(c)["statutes"][0].update(articles=["第2条"])),
        "is not an article number"),
    "lesson too short": (_edit_lesson(lambda t: t.replace(FILLER * 20, FILLER * 5)),
                         "Han characters outside quotes"),
    "quotes do not count as text": (_edit_lesson(
        lambda t: t.replace(FILLER * 20, "> " + FILLER * 20)), "Han characters outside quotes"),
    "no case": (_edit_lesson(lambda t: t.replace("## 案例", "## 例子")), "no '## 案例'"),
    "no summary": (_edit_lesson(lambda t: t.replace("## 小结", "## 总结")), "no '## 小结'"),
    "summary not last": (_edit_lesson(lambda t: t + "\n## 延伸阅读\n\n更多内容。\n"),
                         "must be the last section"),
    "summary too long": (_edit_lesson(lambda t: t + "- 四\n- 五\n- 六\n"), "3 to 5 expected"),
    "wrong title": (_edit_lesson(lambda t: t.replace("# 示例课时00", "# 别的标题", 1)),
                    "must start with the heading"),
    "raw html": (_edit_lesson(lambda t: t.replace("## 案例", "<br>\n\n## 案例")), "raw HTML"),
    "image": (_edit_lesson(lambda t: t.replace("## 案例", "![图](a.png)\n\n## 案例")), "images"),
    "no citation at all": (_edit_lesson(lambda t: t.replace("《工会法》第二条", "工会法")),
                           "no citation"),
    "cited article not listed": (_edit_lesson(
        lambda t: t.replace("依据《工会法》第二条", "依据《工会法》第二条、第十一条")),
        "cites 《工会法》第十一条, not in its statutes list"),
    "cited law not listed": (_edit_lesson(
        lambda t: t.replace("依据《工会法》第二条", "依据《劳动法》第七条")),
        "cites 《劳动法》 which is not in its statutes list"),
    "listed article not cited": (_edit_course(
        lambda c: _first_lesson(c)["statutes"][0]["articles"].append("第十一条")),
        "lists 《工会法》第十一条 but never cites it"),
}

def _cite_nonexistent_article(folder: Path) -> None:
    _edit_course(lambda c: _first_lesson(c)["statutes"][0]["articles"].append("第五十九条"))(folder)
    _edit_lesson(lambda t: t.replace("第二条。", "第二条、第五十九条。"))(folder)


STATUTE_BREAKAGES = {
    "article the union law does not have": (_cite_nonexistent_article, "has no 第五十九条"),
    "union law version not held": (
        _edit_course(lambda c: _first_lesson(c)["statutes"][0].update(version="2009-08-27")),
        "no statute text for 中华人民共和国工会法 version 2009-08-27"),
    "quote not verbatim": (
        _edit_lesson(lambda t: t.replace("自愿结合的工人阶级", "自愿结合的工人")),
        "not verbatim"),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_a_broken_rule_is_reported(tmp_path, name):
    mutate, expected = BREAKAGES[name]
    folder = _make_course(tmp_path)
    mutate(folder)
    errors = _all_errors(folder)
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize("name", sorted(STATUTE_BREAKAGES))
def test_a_statute_mismatch_is_reported(tmp_path, name):
    if not STATUTES.is_dir():
        pytest.skip(f"statute texts not present at {STATUTES} (the shared folder beside the repo)")
    mutate, expected = STATUTE_BREAKAGES[name]
    folder = _make_course(tmp_path)
    mutate(folder)
    errors = statute_text_errors(folder, load_statutes(STATUTES))
    assert any(expected in error for error in errors), errors
