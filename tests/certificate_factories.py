"""Builders for certificate tests: an exam of five single-choice items ("b" is right)
whose results are released at once, a qualification with levels by score band of it,
and candidates (with a real photo) who hand in so many right answers."""

from __future__ import annotations

import io
import itertools
from decimal import Decimal as D

import sqlalchemy as sa
from PIL import Image

from lms.accounts import personal_data
from lms.accounts.models import Role
from lms.certificates.models import Certificate, Issuance, Qualification, QualificationLevel
from lms.clock import utcnow
from lms.exams import attempts, registration
from lms.exams.models import Release
from lms.extensions import db
from tests.exam_factories import make_exam, make_session, ready_candidate
from tests.factories import make_org, make_user

_seq = itertools.count(1)
ITEMS = 5
#: (code, title, rank, lowest percent, below percent)
BANDS = (("junior", "初级", 1, 60, 80), ("intermediate", "中级", 2, 80, None))


def photo_file(colour=(30, 90, 160)) -> str:
    picture = io.BytesIO()
    Image.new("RGB", (240, 320), colour).save(picture, format="PNG")
    return personal_data.store_photo(personal_data.prepare_photo(picture.getvalue()))


def certified_exam(org=None, *, issuance=Issuance.AUTOMATIC, four_eyes=False, bands=BANDS,
                   courses=(), validity_months=36, release=Release.IMMEDIATE):
    """(exam, qualification): by default the exam's results are released as soon as
    they are marked."""
    org = org or make_org()
    exam = make_exam(items=ITEMS, release=release, organisation=org, shuffle_items=False)
    qualification = Qualification(code=f"q-{next(_seq)}", title="工会干部职业资格",
                                  organisation=org, issuance=issuance, four_eyes=four_eyes,
                                  validity_months=validity_months)
    for code, title, rank, low, high in bands:
        qualification.levels.append(QualificationLevel(
            code=code, title=title, rank=rank, exam_id=exam.id, min_percent=D(low),
            max_percent=None if high is None else D(high), required_courses=list(courses)))
    db.session.add(qualification)
    db.session.commit()
    return exam, qualification


def sit(exam, right=ITEMS, *, name="张三明", session=None, org=None, photo=True):
    """A candidate (with a stored photo) who answers ``right`` items right; committed.
    Marking, release and issuance follow the commit as they do in the app."""
    session = session or make_session(exam)
    now = utcnow()
    candidate = ready_candidate(org=org, name=name)
    candidate.photo_file = photo_file() if photo else None
    db.session.commit()
    attempt = registration.book(candidate, session, now)
    attempts.check_in(attempt, session.access_code, now)
    token = attempts.start(attempt, now)
    saves = [attempts.Save(slot, 1, {f"s{slot}": ["b" if slot < right else "a"]})
             for slot in range(len(attempt.paper["items"]))]
    assert attempts.submit(attempt, token, saves, now)
    db.session.commit()
    return attempt


def certificate_of(attempt) -> Certificate | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Certificate).where(Certificate.attempt_id == attempt.id))


def officer(org, **fields):
    return make_user(Role.OFFICER, scope=org, org=org, **fields)
