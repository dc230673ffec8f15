"""Demonstration data. Idempotent: running it twice leaves the same rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date

import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.accounts.models import Organisation, Role
from lms.extensions import db

DEMO_DUE_DATE = date(2027, 6, 30)
DEMO_PASSWORD = "Gonghui-Demo-2026"  # noqa: S105 - printed for the demo, never for production

#: (code, name, parent code)
DEMO_ORGANISATIONS = (
    ("demo-city", "示范市总工会", None),
    ("demo-dongcheng", "东城区总工会", "demo-city"),
    ("demo-xicheng", "西城区总工会", "demo-city"),
    ("demo-donghuamen", "东华门街道联合工会", "demo-dongcheng"),
    ("demo-jinrongjie", "金融街街道联合工会", "demo-xicheng"),
    ("demo-machinery", "示范机械集团工会", "demo-donghuamen"),
    ("demo-bank", "示范银行股份有限公司工会", "demo-jinrongjie"),
)

#: (e-mail, real name, role, organisation code, scope code or None for platform-wide)
DEMO_USERS = (
    ("candidate@demo.unioncadre.cn", "李明", Role.CANDIDATE, "demo-machinery", None),
    ("candidate2@demo.unioncadre.cn", "王芳", Role.CANDIDATE, "demo-bank", None),
    ("trainer@demo.unioncadre.cn", "张晓华", Role.TRAINER, "demo-city", None),
    ("proctor@demo.unioncadre.cn", "陈建国", Role.PROCTOR, "demo-dongcheng", "demo-dongcheng"),
    ("officer@demo.unioncadre.cn", "刘海燕", Role.OFFICER, "demo-dongcheng", "demo-dongcheng"),
    ("admin@demo.unioncadre.cn", "赵磊", Role.ADMIN, "demo-city", None),
    ("holder@demo.unioncadre.cn", "周志明", Role.CANDIDATE, "demo-machinery", None),
)
DEMO_HOLDER = "holder@demo.unioncadre.cn"
DEMO_QUALIFICATION_CODE = "cadre-qualification"


#: Practice quizzes of the shipped courses: course code → (bank code, module key →
#: words marking that module's questions in a question's category path or its
#: knowledge points). The knowledge points themselves are read from the bank.
QUIZ_PLANS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "union-law": ("union-law", {
        "organisation": ("组织", "建会", "组建", "筹建", "成立", "选举", "任期", "换届", "主席",
                         "会员", "性质", "职责", "法人", "专职"),
        "rights-duties": ("权利义务", "维权", "监督", "交涉", "处分", "解除", "辞退", "安全",
                          "事故", "职业病", "争议", "调解", "仲裁", "停工", "劳动保护"),
        "funds": ("经费", "拨缴", "追缴", "支付令", "财产", "资产", "审查", "预算"),
        "cadre-protection": ("干部", "调动", "罢免", "延长", "报复", "撤职", "法律责任"),
        "democracy-contracts": ("职工代表大会", "职代会", "民主", "厂务公开", "集体合同",
                                "集体协商", "平等协商", "专项合同"),
    }),
    "labor-law": ("labor-law", {
        "contracts": ("劳动合同订立", "订立", "书面", "试用期", "无固定期限", "派遣", "竞业",
                      "服务期", "二倍工资"),
        "termination": ("解除", "终止", "裁员", "经济补偿", "赔偿金", "辞职", "通知工会"),
        "working-time": ("工作时间", "休息", "休假", "加班", "延长工作时间", "年休假", "节假日",
                         "工时"),
        "wages-protection": ("工资保障", "工资支付", "最低工资", "扣除", "特殊劳动保护",
                             "女职工", "孕期", "产假", "哺乳", "农民工"),
        "disputes": ("争议", "调解", "仲裁", "诉讼", "时效", "终局"),
    }),
    "wage-accounting": ("wage-calculations", {
        "wage-composition": ("工资总额与工资支付", "工资总额", "工资支付", "工资单", "扣款",
                             "代扣", "经济补偿", "试用期"),
        "overtime": ("加班工资与工资折算", "加班", "折算", "日工资", "小时工资", "年休假"),
        "income-tax": ("个人所得税", "预扣", "汇算", "专项附加扣除", "应纳税所得额"),
        "social-insurance": ("社会保险与住房公积金", "社会保险", "公积金", "滞纳金", "缴费基数"),
        "union-funds": ("工会经费与财务", "工会经费", "拨缴", "经费审查", "支付令"),
    }),
    "negotiation": ("negotiation", {
        "procedure": ("集体协商程序", "协商代表", "职代会", "职工代表大会", "审查", "报送",
                      "生效", "订立"),
        "preparation": ("协商准备", "数据", "底线", "目标", "方案", "调查"),
        "communication": ("谈判沟通", "僵局", "沟通", "倾听", "提问", "说服", "情绪"),
        "wage-bargaining": ("工资集体协商", "专项", "行业性", "区域性", "履行", "职业操守",
                            "保密", "保护"),
    }),
}
QUIZ_ITEMS = 5
QUIZ_PASS_PERCENT = 60
#: a module whose knowledge points give fewer usable questions gets no quiz
QUIZ_MIN_POOL = 3


def assign_tags(questions: Iterable[tuple[str, Iterable[str]]],
                modules: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Module key → the knowledge points its quiz draws on.

    Each question (category path, knowledge points) goes to the module whose
    words it matches best — a word in the top category counts 3, further down
    the path 2, in a knowledge point 1; ties go to the earlier module — and each
    knowledge point to the module most of its questions went to.
    """
    votes: dict[str, Counter] = {}
    order = list(modules)
    for path, tags in questions:
        tags = list(tags)
        top, _, rest = (path or "").partition("/")
        scores = {key: sum(3 * (w in top) + 2 * (w in rest) + sum(w in t for t in tags)
                           for w in words) for key, words in modules.items()}
        best = max(order, key=lambda key: (scores[key], -order.index(key)))
        if scores[best]:
            for tag in tags:
                votes.setdefault(tag, Counter())[best] += 1
    chosen: dict[str, list[str]] = {}
    for tag in sorted(votes):
        counts = votes[tag]
        winner = max(order, key=lambda key: (counts[key], -order.index(key)))
        chosen.setdefault(winner, []).append(tag)
    return chosen


def seed_practice_quizzes(course) -> None:
    """Give the shipped course's modules their practice quizzes, when the bank is there.

    Modules that already have a quiz keep it (an author may have changed it);
    a module whose knowledge points yield too few usable questions gets none.
    """
    from lms.courses import authoring, practice
    from lms.questions.models import Category, Question, QuestionBank, QuestionTag

    plan = QUIZ_PLANS.get(course.code)
    bank = plan and db.session.scalar(sa.select(QuestionBank).where(
        QuestionBank.code == plan[0]))
    if not plan or bank is None:
        return
    eligible = practice.eligible_versions(bank.id)
    rows = db.session.execute(
        sa.select(Question.id, Category.path, QuestionTag.tag)
        .join(QuestionTag, QuestionTag.question_id == Question.id)
        .outerjoin(Category, Category.id == Question.category_id)
        .where(Question.approved_version_id.in_(eligible)))
    questions: dict[int, tuple[str, list[str]]] = {}
    for question_id, path, tag in rows:
        questions.setdefault(question_id, (path or "", []))[1].append(tag)
    tags_by_module = assign_tags(questions.values(), plan[1])
    for module in course.modules:
        tags = tags_by_module.get(module.uid)
        if module.quiz_bank_id is not None or not tags:
            continue
        available = practice.available(bank.id, tags)
        if available >= QUIZ_MIN_POOL:
            authoring.set_module_quiz(module, bank_code=bank.code, tags=tags,
                                      count=min(QUIZ_ITEMS, available),
                                      pass_percent=QUIZ_PASS_PERCENT)


def _organisation(code: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(Organisation.code == code))


def seed_organisations() -> None:
    for code, name, parent_code in DEMO_ORGANISATIONS:
        if _organisation(code) is None:
            parent = _organisation(parent_code) if parent_code else None
            accounts.create_organisation(name=name, code=code, parent=parent)


def seed_users() -> list[tuple[str, str]]:
    logins = []
    for email, name, role, org_code, scope_code in DEMO_USERS:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(email=email, real_name=name, password=DEMO_PASSWORD,
                                        roles=[], organisation=_organisation(org_code))
            scope = _organisation(scope_code) if scope_code else None
            accounts.grant_role(user, role, scope, actor=None)
        logins.append((role.value, email))
    return logins


def seed_courses() -> list[str]:
    """Import the courses shipped in the package and publish those that changed.

    Their practice quizzes are set first, if the banks they draw on are loaded.
    """
    from lms.courses import authoring
    from lms.courses.files import import_course, parse_course_dir, shipped_course_dirs

    published = []
    for folder in shipped_course_dirs():
        course = import_course(parse_course_dir(folder))
        seed_practice_quizzes(course)
        if course.has_unpublished_changes:
            authoring.publish(course, actor=None)
            published.append(course.code)
    return published


def seed_assignments() -> None:
    """The union-law course assigned to the demo district, if both exist."""
    from lms.courses.models import Course, CourseAssignment, CourseStatus

    course = db.session.scalar(sa.select(Course).where(Course.code == "union-law"))
    district = _organisation("demo-dongcheng")
    if course is None or course.status != CourseStatus.PUBLISHED or district is None:
        return
    exists = db.session.scalar(sa.select(CourseAssignment.id).where(
        CourseAssignment.course_id == course.id, CourseAssignment.organisation_id == district.id))
    if not exists:
        db.session.add(CourseAssignment(course_id=course.id, organisation_id=district.id,
                                        due_on=DEMO_DUE_DATE))


def seed_question_banks() -> dict[str, int]:
    """Import the banks shipped in ``question_banks/`` (statuses as the files state)."""
    from lms.errors import NotFound
    from lms.questions import services, transfer
    from lms.questions.formats.bank_yaml import SCHEMA_PATH

    imported = {}
    for path in sorted(SCHEMA_PATH.parent.glob("*.yaml")):
        parsed = transfer.parse_file(path.read_bytes(), filename=path.name, fmt="yaml")
        if parsed.result.problems:  # shipped files are checked by the tests; say why loudly
            raise ValueError("\n".join(map(str, parsed.result.problems)))
        header = parsed.header
        try:
            bank = services.get_bank(header.code)
        except NotFound:
            bank = services.create_bank(code=header.code, title=header.title,
                                        domain=header.domain, description=header.description)
        imported[header.code] = transfer.apply(bank, parsed, actor=None,
                                               trust_status=True).imported
    return imported


DEMO_EXAM_CODE = "cadre-qualification-demo"
DEMO_ACCESS_CODE = "DEMO26"
#: a syntactically valid, made-up ID number (the check character is right; no one has it)
DEMO_ID_NUMBER = "110101199003071233"
DEMO_EXAM_SECTIONS = [
    {"key": "union-law", "title": "工会法", "count": 8, "points": "2",
     "filter": {"banks": ["union-law"], "types": ["single_choice", "true_false"]}},
    {"key": "labor-law", "title": "劳动法律法规", "count": 5, "points": "2",
     "filter": {"banks": ["labor-law"], "types": ["single_choice", "multiple_choice"]}},
    {"key": "wages", "title": "工资核算", "count": 3, "points": "4",
     "filter": {"banks": ["wage-calculations"], "types": ["parametric"],
                "difficulties": [1, 2, 3]}},
    {"key": "negotiation", "title": "集体协商", "count": 4, "points": "2",
     "filter": {"banks": ["negotiation"], "types": ["single_choice", "true_false"]}},
]


def seed_demo_candidate_profile() -> None:
    """The demo candidate gets an ID number and a photo, so the demo exam can be booked."""
    from lms.accounts import personal_data
    from lms.accounts.models import User

    user = db.session.scalar(sa.select(User).where(User.email == DEMO_USERS[0][0]))
    if user is None or user.photo_file:
        return
    user.id_number_encrypted = personal_data.encrypt(DEMO_ID_NUMBER.encode())
    user.id_number_digest = personal_data.id_number_digest(DEMO_ID_NUMBER)
    _give_photo(user, (196, 30, 58))


def seed_demo_exam() -> None:
    """A published demo exam with an online session open for 30 days, proctored by the
    demo proctor; the demo candidate gives the camera consent when booking. It is run by
    the demo officer's district, so the officer reviews and releases its results."""
    from datetime import timedelta

    from lms.accounts.models import Organisation, User
    from lms.clock import utcnow
    from lms.exams.models import Exam, ExamSession, ExamStatus, ProctoringMode, Release

    if db.session.scalar(sa.select(Exam.id).where(Exam.code == DEMO_EXAM_CODE)):
        return
    exam = Exam(code=DEMO_EXAM_CODE, title="工会干部职业资格考试（演示）",
                qualification="工会干部职业资格（初级）",
                description="演示用考试：20 道题，覆盖工会法、劳动法律法规、工资核算和集体协商。",
                status=ExamStatus.PUBLISHED, sections=DEMO_EXAM_SECTIONS, duration_minutes=40,
                attempts_allowed=3, proctoring=ProctoringMode.ONLINE, webcam_required=True,
                snapshot_interval_seconds=60, release=Release.REVIEW,
                review_options={"score": True, "responses": True, "key": False,
                                "explanations": True},
                organisation=db.session.scalar(sa.select(Organisation).where(
                    Organisation.code == "demo-dongcheng")))
    proctor = db.session.scalar(sa.select(User).where(User.email == DEMO_USERS[3][0]))
    now = utcnow().replace(second=0, microsecond=0)
    session = ExamSession(exam=exam, title="演示场次（在线监考）",
                          starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=30),
                          registration_deadline=now + timedelta(days=29),
                          mode=ProctoringMode.ONLINE, location="线上", capacity=200,
                          access_code=DEMO_ACCESS_CODE, proctors=[proctor] if proctor else [])
    db.session.add_all([exam, session])


def seed_demo_qualification() -> None:
    """工会干部职业资格 with three levels by score band of the demo exam, issued by the demo
    officer's district; and a demo holder with an active 中级 certificate, so verification,
    the PDF and the register can be tried at once (its evidence says it is demo data: it
    comes from no exam attempt)."""
    from lms.accounts.models import Organisation, User
    from lms.audit import services as audit
    from lms.certificates import issuance
    from lms.certificates.models import Certificate, Qualification, QualificationLevel
    from lms.clock import utcnow
    from lms.exams.models import Exam

    if db.session.scalar(sa.select(Qualification.id)
                         .where(Qualification.code == DEMO_QUALIFICATION_CODE)):
        return
    exam_id = db.session.scalar(sa.select(Exam.id).where(Exam.code == DEMO_EXAM_CODE))
    qualification = Qualification(
        code=DEMO_QUALIFICATION_CODE, title="工会干部职业资格",
        description="专职工会干部的职业资格：掌握工会法、劳动法律法规、工资核算和集体协商，"
                    "能依法开展工会工作。",
        organisation=db.session.scalar(sa.select(Organisation)
                                       .where(Organisation.code == "demo-dongcheng")),
        validity_months=36)
    for rank, (code, title, low, high) in enumerate((
            ("junior", "初级", 60, 80), ("intermediate", "中级", 80, 90),
            ("senior", "高级", 90, None)), start=1):
        qualification.levels.append(QualificationLevel(
            code=code, title=title, rank=rank, exam_id=exam_id, min_percent=low,
            max_percent=high, required_courses=["union-law"] if code == "senior" else []))
    db.session.add(qualification)
    db.session.flush()
    holder = db.session.scalar(sa.select(User).where(User.email == DEMO_HOLDER))
    if holder is None or db.session.scalar(sa.select(Certificate.id)
                                           .where(Certificate.holder_id == holder.id)):
        return
    _give_photo(holder, (30, 90, 160))
    certificate = issuance.issue_without_exam(
        holder, qualification.levels[1], {"demo": True, "exam": "工会干部职业资格考试（演示）",
                                          "finished_at": utcnow().isoformat()})
    audit.record("certificate.seeded", obj=certificate, after={"serial": certificate.serial})


def seed_demo_policies() -> None:
    """A current retraining policy for each demo level that has none: 24 hours of
    continuing education a year, reminders 90 / 30 / 7 days before and on the day."""
    from lms.certificates.models import Qualification, QualificationLevel
    from lms.retraining.models import PolicyStatus, RetrainingPolicy

    levels = db.session.scalars(
        sa.select(QualificationLevel).join(Qualification)
        .where(Qualification.code == DEMO_QUALIFICATION_CODE,
               ~sa.exists().where(RetrainingPolicy.level_id == QualificationLevel.id))).all()
    for level in levels:
        db.session.add(RetrainingPolicy(level_id=level.id, version=1,
                                        status=PolicyStatus.CURRENT, validity_months=36,
                                        cycle_months=12, hours_per_cycle=24,
                                        reminder_offsets=[90, 30, 7, 0], grace_days=90,
                                        suspension_days=180))


def seed_demo_plans() -> None:
    """Today's retraining tick, so the demo officer's dashboard shows the demo holder at
    once (idempotent: a second run on the same day changes nothing)."""
    from lms.i18n import local_today
    from lms.retraining.tick import tick

    db.session.flush()
    tick(local_today())


def _give_photo(user, colour) -> None:
    import io

    from PIL import Image

    from lms.accounts import personal_data

    picture = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(picture, format="PNG")
    user.photo_file = personal_data.store_photo(personal_data.prepare_photo(picture.getvalue()))


def seed_demo() -> list[tuple[str, str]]:
    """Load every area's demo data; returns (role, e-mail) of the demo logins."""
    seed_organisations()
    logins = seed_users()
    seed_question_banks()  # before the courses: their practice quizzes draw on the banks
    seed_courses()
    seed_assignments()
    seed_demo_candidate_profile()
    seed_demo_exam()
    seed_demo_qualification()
    seed_demo_policies()
    seed_demo_plans()
    return logins
