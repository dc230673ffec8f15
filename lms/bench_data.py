"""Realistic data at scale for the data-scale benchmark (`flask lms bench-data`).

An organisation tree (one federation, 10 city federations, 100 grassroots unions),
the shipped courses, a handful of staff, N candidates with enrolments and credit
hours, M exam attempts of one published exam in sessions of 200 (finished, marked,
with their answers), and K certificates of one qualification level whose retraining
plans (and the dashboard's tallies of them) the real tick then creates. The few
structural rows go through the services; the many go in by bulk INSERTs of 5,000 rows,
so 100,000 candidates take minutes, not hours. It refuses a database that already has
users: it is for an empty one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

import sqlalchemy as sa

from lms.extensions import db

CHUNK = 5_000
SESSION_SIZE = 200
ITEMS = 10
CITIES = 10
UNIONS_PER_CITY = 10
#: who logs in to which page in the data-scale benchmark
STAFF = (("admin@bench.cn", "平台管理员", "admin", None),
         ("officer@bench.cn", "认证专员", "officer", "root"),
         ("proctor@bench.cn", "监考员", "proctor", None))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华文辉玉兰国庆海燕志强红梅"


class BenchDataRefused(Exception):
    """The database already holds users; bench data only goes into an empty one."""


@dataclass
class BenchData:
    candidates: int = 0
    attempts: int = 0
    answers: int = 0
    certificates: int = 0
    credit_entries: int = 0
    sessions: int = 0
    staff: list[str] = field(default_factory=list)


def generate(*, candidates: int, attempts: int, certificates: int | None = None,
             seed: int = 1, today: date | None = None) -> BenchData:
    """Fill an empty database; ``certificates`` defaults to half the candidates."""
    from lms.accounts.models import User
    from lms.i18n import local_today

    if db.session.scalar(sa.select(sa.func.count(User.id))):
        raise BenchDataRefused
    if certificates is None:
        certificates = candidates // 2
    certificates = min(certificates, candidates)
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, no secrets drawn
    today = today or local_today()
    now = datetime.combine(today, time(9), tzinfo=UTC)
    report = BenchData()

    unions = _organisations()
    report.staff = _staff(unions[0])
    courses = _courses()
    first_id, report.candidates = _candidates(rng, candidates, unions, now)
    report.credit_entries = _learning(rng, first_id, candidates, courses, today, now)
    exam, session_ids, level = _exam_and_qualification(attempts, now)
    report.sessions = len(session_ids)
    report.attempts, report.answers, passed = _attempts(
        rng, first_id, candidates, attempts, exam, session_ids, now)
    report.certificates = _certificates(rng, first_id, candidates, certificates, passed,
                                        level, today, now)
    _advance_sequences()
    db.session.commit()
    if report.certificates:
        from lms.retraining.tick import tick

        tick(today)
        db.session.commit()
    return report


def _insert(table: sa.Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start:start + CHUNK])


def _advance_sequences() -> None:
    """PostgreSQL's id sequences past the ids given explicitly, so later inserts work."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("users", "exam_attempts"):  # constants, nothing from outside
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def _organisations():
    from lms.accounts.services import create_organisation

    root = create_organisation(name="基准测试省总工会", code="bench-province", parent=None)
    unions = [root]
    for c in range(1, CITIES + 1):
        city = create_organisation(name=f"第{c}市总工会", code=f"bench-city-{c}", parent=root)
        for u in range(1, UNIONS_PER_CITY + 1):
            unions.append(create_organisation(name=f"第{c}市第{u}基层工会",
                                              code=f"bench-union-{c}-{u}", parent=city))
    db.session.flush()
    return unions


def _staff(root) -> list[str]:
    """An admin, an officer and a proctor; with unknown passwords, as nobody logs in
    by form (the benchmark puts their id in its session)."""
    import secrets

    from werkzeug.security import generate_password_hash

    from lms.accounts.models import Role, RoleAssignment, User

    hashed = generate_password_hash(secrets.token_urlsafe(24))
    for email, name, role, scope in STAFF:
        user = User(email=email, real_name=name, password_hash=hashed, organisation=root)
        user.role_assignments.append(RoleAssignment(
            role=Role(role), organisation=root if scope == "root" else None))
        db.session.add(user)
    db.session.flush()
    return [email for email, *_ in STAFF]


def _courses() -> list[tuple[int, int, str, D]]:
    """The shipped courses, published: (course id, version id, domain, credit hours)."""
    from lms.courses.models import Course, CourseVersion
    from lms.seed import seed_courses

    seed_courses()
    db.session.flush()
    return [tuple(row) for row in db.session.execute(
        sa.select(Course.id, CourseVersion.id, CourseVersion.domain, CourseVersion.credit_hours)
        .join(CourseVersion, CourseVersion.id == Course.published_version_id)
        .order_by(Course.id))]


def _candidates(rng: random.Random, count: int, unions, now: datetime) -> tuple[int, int]:
    """``count`` candidates with a CANDIDATE role; ids are consecutive from the first."""
    from werkzeug.security import generate_password_hash

    from lms.accounts.models import NameGram, Role, RoleAssignment, User
    from lms.accounts.name_search import gram_rows

    first = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
    import secrets

    hashed = generate_password_hash(secrets.token_urlsafe(24))  # nobody logs in by form
    grassroots = [u.id for u in unions if u.depth == 2]
    users, roles = [], []
    for n in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        users.append({"id": first + n, "email": f"c{n}@bench.cn", "real_name": name,
                      "mobile": f"13{rng.randrange(10**9):09d}", "password_hash": hashed,
                      "active": rng.random() > 0.02, "session_generation": 0,
                      "organisation_id": rng.choice(grassroots),
                      "created_at": now - timedelta(days=rng.randrange(1000)),
                      "updated_at": now})
        roles.append({"user_id": first + n, "role": Role.CANDIDATE.value, "created_at": now})
    _insert(User.__table__, users)
    _insert(NameGram.__table__, [row for user in users
                                 for row in gram_rows(user["id"], user["real_name"])])
    _insert(RoleAssignment.__table__, roles)
    return first, count


def _learning(rng: random.Random, first: int, count: int, courses, today: date,
              now: datetime) -> int:
    """Enrolments in one or two courses each; credit hours for those completed."""
    from lms.courses.models import CreditEntry, Enrollment

    if not courses:
        return 0
    enrolments, credits = [], []
    for n in range(count):
        for course_id, version_id, domain, hours in rng.sample(
                courses, k=min(len(courses), rng.choice((1, 1, 2)))):
            done = rng.random() < 0.6
            when = now - timedelta(days=rng.randrange(700))
            enrolments.append({"user_id": first + n, "course_id": course_id,
                               "enrolled_at": when,
                               "completed_at": when + timedelta(days=20) if done else None,
                               "completed_version_id": version_id if done else None})
            if done:
                credits.append({"user_id": first + n, "course_id": course_id,
                                "course_version_id": version_id, "hours": hours,
                                "domain": domain,
                                "earned_on": min(today, when.date() + timedelta(days=20)),
                                "created_at": now})
    _insert(Enrollment.__table__, enrolments)
    _insert(CreditEntry.__table__, credits)
    return len(credits)


def _exam_and_qualification(attempts: int, now: datetime):
    from lms.accounts.models import Organisation, User
    from lms.certificates.models import Qualification, QualificationLevel
    from lms.exams.models import Exam, ExamSession, ExamStatus, ProctoringMode
    from lms.retraining.models import PolicyStatus, RetrainingPolicy

    root = db.session.scalar(sa.select(Organisation).where(Organisation.depth == 0))
    proctor = db.session.scalar(sa.select(User).where(User.email == "proctor@bench.cn"))
    exam = Exam(code="bench-exam", title="工会干部职业资格考试（基准）",
                qualification="工会干部职业资格", description="",
                status=ExamStatus.PUBLISHED, organisation=root, duration_minutes=60,
                sections=[{"key": "main", "title": "单选题", "count": ITEMS, "points": "2",
                           "filter": {"banks": ["bench"]}}],
                proctoring=ProctoringMode.ONLINE, webcam_required=False)
    db.session.add(exam)
    db.session.flush()
    sessions = []
    for n in range(max(1, -(-attempts // SESSION_SIZE))):
        starts = now - timedelta(days=n // 4, hours=2 * (n % 4))
        sessions.append(ExamSession(
            exam=exam, title=f"第{n + 1}场", starts_at=starts,
            ends_at=starts + timedelta(hours=2), registration_deadline=starts,
            mode=ProctoringMode.ONLINE, location="线上", capacity=SESSION_SIZE,
            access_code=f"B{n:05d}", proctors=[proctor]))
    db.session.add_all(sessions)
    qualification = Qualification(code="bench", title="工会干部职业资格", description="",
                                  organisation=root, validity_months=36)
    level = QualificationLevel(code="junior", title="初级", rank=1, exam_id=exam.id,
                               min_percent=60)
    qualification.levels.append(level)
    db.session.add(qualification)
    db.session.flush()
    db.session.add(RetrainingPolicy(level_id=level.id, version=1, status=PolicyStatus.CURRENT,
                                    validity_months=36, cycle_months=12, hours_per_cycle=24,
                                    reminder_offsets=[90, 30, 7, 0], grace_days=90,
                                    suspension_days=180))
    db.session.flush()
    # the newest session first, as the proctor's list shows them
    return exam, [s.id for s in sessions], level


def _attempts(rng: random.Random, first: int, count: int, total: int, exam, session_ids,
              now: datetime) -> tuple[int, int, list[int]]:
    """``total`` attempts, each candidate in turn (a second attempt after all had one);
    all but the newest session finished and marked, with an answer in every slot."""
    from lms.exams.models import ExamAnswer, ExamAttempt
    from lms.grading.models import ExamResult

    if not count:
        return 0, 0, []
    attempts, answers, results, passed = [], [], [], []
    for n in range(total):
        session_index = n // SESSION_SIZE
        started = now - timedelta(days=session_index // 4, hours=2 * (session_index % 4),
                                  minutes=-rng.randrange(10))
        # the newest session is under way: one open attempt per candidate at most
        live = session_index == 0 and n < count
        right = sum(rng.random() < 0.72 for _ in range(ITEMS))
        attempts.append({
            "id": n + 1, "exam_id": exam.id, "session_id": session_ids[session_index],
            "user_id": first + n % count, "number": n // count + 1,
            "state": "in_progress" if live else "released", "seed": rng.randrange(2**52),
            "item_count": ITEMS, "max_score": D(2 * ITEMS), "pass_percent": D(60),
            "duration_seconds": 3600, "allowance_seconds": 0, "extension_seconds": 0,
            "paused_seconds": 0, "started_at": started,
            "deadline_at": started + timedelta(hours=1),
            "finished_at": None if live else started + timedelta(minutes=40),
            "registered_at": started - timedelta(days=7),
            "checked_in_at": started - timedelta(minutes=5), "reason": "",
            "review_reason": "", "sequential": False, "furthest_slot": 0,
            "ended_as": None if live else "submitted"})
        for slot in range(ITEMS if not live else rng.randrange(ITEMS + 1)):
            answers.append({"attempt_id": n + 1, "slot": slot, "sequence": slot + 1,
                            "response": {f"s{slot}": [rng.choice("abcd")]},
                            "saved_at": started + timedelta(minutes=3 * slot)})
        if not live:
            percent = D(100 * right // ITEMS)
            results.append({"attempt_id": n + 1, "score": D(2 * right),
                            "max_score": D(2 * ITEMS), "percent": percent,
                            "passed": percent >= 60, "section_scores": {},
                            "pending_manual": 0,
                            "marked_at": started + timedelta(minutes=41),
                            "graded_at": started + timedelta(minutes=41),
                            "released_at": started + timedelta(days=1)})
            if percent >= 60:
                passed.append(n + 1)
    for table, rows in ((ExamAttempt.__table__, attempts), (ExamAnswer.__table__, answers),
                        (ExamResult.__table__, results)):
        _insert(table, rows)
    return len(attempts), len(answers), passed


def _certificates(rng: random.Random, first: int, count: int, wanted: int, passed: list[int],
                  level, today: date, now: datetime) -> int:
    """``wanted`` certificates, one per holder: from a passed attempt where there is one
    (its candidate's first), otherwise without an exam (as an imported register would)."""
    from lms.certificates.models import Certificate
    from lms.domain.serials import serial_for

    attempt_of = {}
    for attempt_id in passed:
        attempt_of.setdefault(first + (attempt_id - 1) % count, attempt_id)
    rows = []
    for n, holder in enumerate(rng.sample(range(first, first + count), k=wanted)):
        start = today - timedelta(days=rng.randrange(3 * 365))
        status = rng.choices(("active", "suspended", "revoked"), (96, 3, 1))[0]
        rows.append({
            "serial": serial_for(rng.getrandbits(135)), "holder_id": holder,
            "qualification_id": level.qualification_id, "level_id": level.id,
            "attempt_id": attempt_of.get(holder), "evidence": {"bench": True},
            "issued_at": datetime.combine(start, time(9), tzinfo=UTC), "valid_from": start,
            "expires_on": start + timedelta(days=3 * 365 - 1), "status": status,
            "status_reason": "", "status_changed_at": now, "revision": 1,
            "status_index": n, "photo_public": False})
    _insert(Certificate.__table__, rows)
    return len(rows)
