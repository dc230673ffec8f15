"""An installation worth backing up or migrating: certificates with photos, PDFs and
ledger events, and one candidate in the middle of an exam."""

from __future__ import annotations

from lms.clock import utcnow
from lms.exams import attempts, registration
from lms.extensions import db
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.exam_factories import make_session, ready_candidate


def seed_installation():
    """Three candidates who handed in (two certified) and one sitting the exam now:
    (live attempt id, its device token, its number of slots). Committed."""
    exam, _qualification = certified_exam()
    session = make_session(exam, capacity=10)
    handed_in = [sit(exam, right, name=name, session=session)
                 for right, name in ((5, "张三"), (4, "李四"), (3, "王五"))]
    assert all(certificate_of(a) is not None for a in handed_in[:2])
    now = utcnow()
    live = registration.book(ready_candidate(name="赵六"), session, now)
    attempts.check_in(live, session.access_code, now)
    token = attempts.start(live, now)
    db.session.commit()
    return live.id, token, live.item_count
