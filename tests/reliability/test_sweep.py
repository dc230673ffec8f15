"""The background close-out job meets a corrupt attempt (RELIABILITY.md F13, after
Moodle MDL-34351): the other overdue attempts still close and the error is logged."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from lms.domain.attempt_states import AttemptState as S
from lms.exams import attempts
from lms.exams.models import ExamAttempt
from lms.extensions import db
from tests.exam_factories import make_exam, make_session
from tests.services.test_exams import started


def test_F13_the_sweep_closes_the_others_when_one_attempt_is_corrupt(app, caplog):
    exam = make_exam()
    session = make_session(exam, capacity=3)
    first, _ = started(exam, session)
    broken, _ = started(exam, session)
    last, _ = started(exam, session)
    # a row the clock cannot be read from (an insider's edit, a bad restore)
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == broken.id)
                       .values(duration_seconds=None))
    db.session.commit()
    later = first.started_at + timedelta(minutes=31)
    with caplog.at_level(logging.ERROR):
        result = attempts.sweep(later)
    assert result.timed_out == 2
    db.session.expire_all()
    assert {a.id: a.ended_as for a in db.session.scalars(sa.select(ExamAttempt))} == {
        first.id: S.TIMED_OUT, broken.id: None, last.id: S.TIMED_OUT}
    assert any(f"attempt {broken.id}" in r.getMessage() for r in caplog.records
               if r.levelno >= logging.ERROR)
    assert attempts.sweep(later).timed_out == 0  # the next run skips it again, still logged
