"""Issuing certificates for a whole session through one worker, against bare WeasyPrint
rendering the same number of certificates.

    .venv/bin/python bench/certificate_issuance.py [--certificates 500] [--database sqlite]
        [--url postgresql://postgres@127.0.0.1:5432/bench_cert]

Builds a fresh database (the migrations): an exam, a qualification with two levels by
score band, and ``--certificates`` released results of candidates with a photo. Then, in
this one process — what one Celery worker does with the task queued when a session's
results are released — times `lms.certificates.issuance.issue_for_exams` and its commit:
for each result the level rule, a random serial and status-list slot, the PDF (rendered,
encrypted, stored), the signed Open Badges credential (RDFC canonicalisation + Ed25519),
two ledger events, an audit entry and the holder's mail in the outbox.

The baseline renders as many certificates with bare WeasyPrint (`certificate_pdf.Proxy`:
the same layout and fonts, no Flask, no database), so the ratio shows what issuing adds
to the rendering it cannot avoid. Reports certificates per second; rows go to
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal as D
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import databases  # noqa: E402
import results  # noqa: E402
from certificate_pdf import Proxy, photo  # noqa: E402


def prepare(url: str, count: int):
    work = Path(tempfile.mkdtemp(prefix="bench-issue-"))
    os.environ.update({"LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(work)})
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from lms import create_app
    from lms.accounts import personal_data
    from lms.accounts.models import User
    from lms.certificates.models import Qualification, QualificationLevel
    from lms.clock import utcnow
    from lms.domain.attempt_states import AttemptState
    from lms.exams.models import ExamAttempt
    from lms.extensions import db
    from lms.grading.models import ExamResult
    from tests.exam_factories import make_exam, make_session
    from tests.factories import make_org, password_hash

    app = create_app()
    app.config.update(CERTIFICATES_AUTO_ISSUE=False, GRADING_AUTO_MARK=False)
    with app.app_context():
        if url.startswith("postgresql"):
            db.drop_all()
            db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        upgrade()
        org = make_org("北京市东城区总工会")
        exam = make_exam(items=5, organisation=org)
        session = make_session(exam)
        qualification = Qualification(code="bench", title="工会干部职业资格", organisation=org)
        for rank, (code, title, low, high) in enumerate(
                (("junior", "初级", 60, 80), ("intermediate", "中级", 80, None)), start=1):
            qualification.levels.append(QualificationLevel(
                code=code, title=title, rank=rank, exam_id=exam.id, min_percent=D(low),
                max_percent=None if high is None else D(high)))
        db.session.add(qualification)
        picture = personal_data.store_photo(personal_data.prepare_photo(photo((360, 480))))
        hashed = password_hash("bench-password-1")
        db.session.execute(sa.insert(User.__table__), [
            {"id": 1000 + n, "email": f"c{n}@bench.cn", "real_name": f"张{'三明华丽'[n % 4]}{n}",
             "password_hash": hashed, "photo_file": picture, "active": True,
             "session_generation": 0, "created_at": utcnow(), "updated_at": utcnow()}
            for n in range(count)])
        now = utcnow()
        db.session.execute(sa.insert(ExamAttempt.__table__), [
            {"id": 1000 + n, "exam_id": exam.id, "session_id": session.id, "user_id": 1000 + n,
             "number": 1, "state": AttemptState.RELEASED, "seed": n, "paper": {"items": []},
             "item_count": 5, "max_score": D(10), "pass_percent": D(60),
             "duration_seconds": 1800, "registered_at": now, "finished_at": now}
            for n in range(count)])
        db.session.execute(sa.insert(ExamResult.__table__), [
            {"attempt_id": 1000 + n, "score": D(10), "max_score": D(10),
             "percent": D(100 if n % 2 else 70), "passed": True, "section_scores": [],
             "pending_manual": 0, "marked_at": now, "graded_at": now, "revision": 1,
             "released_at": now} for n in range(count)])
        db.session.commit()
        return app, exam.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=500)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/bench_cert")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    url = databases.fresh(args.database, args.url, "bench-issue-db-")
    app, exam_id = prepare(url, args.certificates)

    from lms.certificates.issuance import issue_for_exams
    from lms.extensions import db

    with app.app_context():
        issue_for_exams([exam_id], batch=50)  # warm: fonts, contexts, key; then undo it
        db.session.rollback()
        start = time.perf_counter()
        report = issue_for_exams([exam_id], batch=50)
        db.session.commit()
        product = time.perf_counter() - start
    assert len(report.issued) == args.certificates, (len(report.issued), report.not_earned)

    proxy = Proxy(photo((360, 480)))
    proxy.render(0)
    start = time.perf_counter()
    for i in range(args.certificates):
        proxy.render(i)
    baseline = time.perf_counter() - start

    rate, bare_rate = args.certificates / product, args.certificates / baseline
    rows = [results.row("certificate_issue_seconds", product, baseline, "s", args.database),
            results.row("certificate_issue_per_second", rate, bare_rate, "certificates/s",
                        args.database)]
    print(f"{args.certificates} certificates issued in {product:.1f} s ({rate:.1f}/s); "
          f"bare WeasyPrint rendered them in {baseline:.1f} s ({bare_rate:.1f}/s); "
          f"ratio {product / baseline:.2f}")
    print(results.table(rows))
    if not args.no_write:
        results.merge(rows)


if __name__ == "__main__":
    main()
