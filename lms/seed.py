"""Demonstration data. Idempotent: running it twice leaves the same rows."""

from __future__ import annotations

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
)


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
    """Import the courses shipped in the package and publish those that changed."""
    from lms.courses import authoring
    from lms.courses.files import import_course, parse_course_dir, shipped_course_dirs

    published = []
    for folder in shipped_course_dirs():
        course = import_course(parse_course_dir(folder))
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


def seed_demo() -> list[tuple[str, str]]:
    """Load every area's demo data; returns (role, e-mail) of the demo logins."""
    seed_organisations()
    logins = seed_users()
    seed_courses()
    seed_assignments()
    seed_question_banks()
    return logins
