"""Bulk auto-marking against a raw sqlite3 read-grade-write of the same rows.

    .venv/bin/python bench/grading.py [--attempts 200] [--items 50] [--repeat 3]

Builds a fresh SQLite database (the migrations), a bank of mixed objective items
(single and multiple choice, true/false, fill-in, numeric with full-width input),
an exam of one section of ``--items`` items and ``--attempts`` handed-in attempts
with an answer in every slot (10,000 answers by default), then times:

- ``grading_bulk``: `lms.grading.marking.mark_pending` until nothing is left
  (set-based: a constant number of statements per batch of 200 attempts, one
  commit per batch) — the path the sweep and ``flask lms grading mark`` take;
- ``grading_per_attempt``: `mark_attempt` once per attempt, each committed —
  the path of the task run after each hand-in;
- the baseline: plain ``sqlite3`` reading the same answers, papers and specs
  in three queries, grading with the same pure function
  (`lms.domain.grading.grade_paper`) and ``executemany`` of the score rows into
  a copy of ``exam_item_scores``, one commit.

Each run starts from the same unmarked state (results, scores and audit rows
deleted, states reset) and the spec cache is emptied, so every path decodes the
specs. Reports answers per second; the ratio is time ÷ baseline time (target
≤ 5). Rows go to bench/results/latest.json with ``database: sqlite``.

Then the regrade (``--regrade-attempts``, default 10,000; ``0`` skips it): a second
database with that many marked attempts of a ``--regrade-items``-item paper (5 by
default) that all hold the same single-choice question, whose key a trainer then
fixes (a new approved version): 10,000 answers to regrade. Times, from the same
marked state each time (score and result rows restored from a copy, audit and
flips deleted):

- ``regrade_seconds``: `lms.grading.regrade.apply` and the commit — the lock, the
  four reads, the re-scoring, the executemany of the slot rows and of the results
  (each recomputed with `summarise` from all its slot rows), the audit entry per
  attempt and the pass/fail flips;
- the baseline: plain ``sqlite3`` reading the question's slots with their answers
  and the attempts' papers and all their slot rows, re-scoring with the same
  `lms.domain.grading.grade_item`, ``summarise`` per attempt, and ``executemany``
  UPDATEs of the slot rows and the results, one commit (no audit, no flips).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal as D
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import results  # noqa: E402

TARGET = 5.0


def specs():
    from lms.domain.items import (
        Blank,
        Choice,
        FillBlankSpec,
        MultipleChoiceSpec,
        NumericAnswer,
        NumericSpec,
        Scoring,
        SingleChoiceSpec,
        TrueFalseSpec,
    )

    def build(n):
        kind = n % 5
        if kind == 0:
            return SingleChoiceSpec(stem=f"第{n}题：基层工会委员会任期？", points=D(1), choices=(
                Choice("a", "两年"), Choice("b", "三年或五年", D(100)), Choice("c", "四年")))
        if kind == 1:
            return MultipleChoiceSpec(stem=f"第{n}题：工会职责？", points=D(2),
                                      scoring=Scoring.PARTIAL, choices=(
                Choice("a", "维护权益", D(50)), Choice("b", "集体合同", D(50)),
                Choice("c", "经营方针", D(-100))))
        if kind == 2:
            return TrueFalseSpec(stem=f"第{n}题：工会经费可用于集体福利。", points=D(1),
                                 answer=True)
        if kind == 3:
            return FillBlankSpec(stem=f"第{n}题：须经 [[1]] 批准，依 [[2]]。", points=D(2), blanks=(
                Blank(1, accepted=("上一级工会",)), Blank(2, accepted=("第11条", "第十一条"))))
        return NumericSpec(stem=f"第{n}题：日工资多少元？", points=D(2), unit="元",
                           answers=(NumericAnswer(D("200.00"), tolerance=D("0.01")),))

    return build


def fields_for(spec_type: str, slot: int, right: bool) -> dict:
    p = f"s{slot}"
    return {
        "single_choice": {p: ["b" if right else "a"]},
        "multiple_choice": {p: ["a", "b"] if right else ["a", "c"]},
        "true_false": {p: ["true" if right else "false"]},
        "fill_blank": {f"{p}-1": ["上一级工会"], f"{p}-2": ["第１１条" if right else "第12条"]},
        "numeric": {p: ["２００．００元" if right else "199"]},
    }[spec_type]


def prepare(url: str, attempts_count: int, items: int, pool: int | None = None):
    os.environ.update({"LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(Path(url[10:]).parent)})
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from lms import create_app
    from lms.clock import utcnow
    from lms.domain import assembly
    from lms.domain.attempt_states import AttemptState
    from lms.exams import blueprints
    from lms.exams.models import ExamAnswer, ExamAttempt
    from lms.extensions import db
    from tests.exam_factories import make_exam, make_session, ready_candidate
    from tests.practice_factories import add_question, make_bank

    app = create_app()
    app.config["GRADING_AUTO_MARK"] = False
    with app.app_context():
        upgrade()
        bank = make_bank("bench-grading")
        build = specs()
        for n in range(pool or items * 2):
            add_question(bank, build(n))
        exam = make_exam(items=items, bank=bank)
        session = make_session(exam)
        user = ready_candidate()
        pool, parsed = blueprints.pool_for(exam)
        now = utcnow()
        attempt_rows, answer_rows = [], []
        for number in range(1, attempts_count + 1):
            paper = assembly.assemble(blueprints.sections_of(exam), pool, number, specs=parsed)
            frozen = paper.to_dict()
            frozen["rules"] = {"navigation": "free", "layout": "paged", "shuffle_options": True,
                               "min_percent": {}}
            attempt_rows.append({
                "id": number, "exam_id": exam.id, "session_id": session.id, "user_id": user.id,
                "number": number, "state": AttemptState.SUBMITTED, "seed": number,
                "paper": frozen, "item_count": items, "max_score": paper.max_score,
                "pass_percent": D(60), "duration_seconds": 1800, "started_at": now,
                "finished_at": now, "registered_at": now})
            for slot, item in enumerate(paper.items):
                kind = parsed[item.version_id].codec_tag.value
                answer_rows.append({"attempt_id": number, "slot": slot, "sequence": 1,
                                    "response": fields_for(kind, slot, (slot + number) % 3 != 0),
                                    "saved_at": now})
        db.session.execute(sa.insert(ExamAttempt.__table__), attempt_rows)
        db.session.execute(sa.insert(ExamAnswer.__table__), answer_rows)
        db.session.commit()
    return app, len(answer_rows)


def clear_audit(session) -> None:
    """Empty the audit log between runs: it is append-only (migration 0017) except while
    ``audit_maintenance`` holds a row, in the same transaction."""
    import sqlalchemy as sa

    for statement in ("INSERT INTO audit_maintenance (id) VALUES (1)",
                      "DELETE FROM audit_entries", "DELETE FROM audit_maintenance"):
        session.execute(sa.text(statement))


def reset(app) -> None:
    import sqlalchemy as sa

    from lms.extensions import db
    from lms.grading import marking

    with app.app_context():
        for statement in ("DELETE FROM exam_item_scores", "DELETE FROM exam_results"):
            db.session.execute(sa.text(statement))
        clear_audit(db.session)
        db.session.execute(sa.text("UPDATE exam_attempts SET state = 'submitted'"))
        db.session.execute(sa.text("DROP TABLE IF EXISTS bench_item_scores"))
        db.session.execute(sa.text("CREATE TABLE bench_item_scores AS SELECT * FROM "
                                   "exam_item_scores WHERE 0"))
        db.session.commit()
    marking._PARSED.clear()


def bulk(app) -> int:
    from lms.extensions import db
    from lms.grading.marking import mark_pending

    marked = 0
    with app.app_context():
        while batch := mark_pending():
            db.session.commit()
            marked += len(batch)
    return marked


def per_attempt(app) -> int:
    import sqlalchemy as sa

    from lms.exams.models import ExamAttempt
    from lms.extensions import db
    from lms.grading.marking import mark_attempt

    with app.app_context():
        ids = db.session.scalars(sa.select(ExamAttempt.id).order_by(ExamAttempt.id)).all()
        for attempt_id in ids:
            mark_attempt(attempt_id)
            db.session.commit()
    return len(ids)


def raw_sqlite(path: str) -> int:
    """Read, grade with the same pure function, executemany the scores: the floor."""
    from lms.domain import grading
    from lms.domain.items import item_from_dict

    conn = sqlite3.connect(path)
    papers = {aid: json.loads(paper) for aid, paper in conn.execute(
        "SELECT id, paper FROM exam_attempts WHERE state = 'submitted'")}
    answers: dict[int, dict[int, dict]] = {}
    for aid, slot, response in conn.execute(
            "SELECT attempt_id, slot, response FROM exam_answers"):
        answers.setdefault(aid, {})[slot] = json.loads(response)
    specs = {vid: item_from_dict(json.loads(spec)) for vid, spec in conn.execute(
        "SELECT id, spec FROM question_versions")}
    rows = []
    for aid, paper in papers.items():
        items = grading.paper_items(paper)
        given = answers.get(aid, {})
        raw = {i.slot: grading.response_from_fields(specs[i.version_id], given.get(i.slot),
                                                    f"s{i.slot}") for i in items}
        result = grading.grade_paper(items, specs, raw, pass_percent=D(60))
        rows += [(aid, g.slot, g.question_id, g.version_id, g.section, str(g.points),
                  None if g.score is None else str(g.score), g.status.value,
                  json.dumps(g.detail), "2026-01-01 00:00:00") for g in result.slots]
    conn.executemany("INSERT INTO bench_item_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return len(rows)


# -- regrade ----------------------------------------------------------------------------


def prepare_regrade(attempts_count: int, items: int):
    """A database of ``attempts_count`` marked attempts whose papers hold all ``items``
    questions of the bank, and the first question's key fixed ("a" right instead of "b"):
    (app, path, exam id, question id, new version id)."""
    import sqlalchemy as sa

    from lms.accounts.models import Role
    from lms.domain.items import Choice, SingleChoiceSpec
    from lms.exams.models import Exam
    from lms.extensions import db
    from lms.questions import services
    from lms.questions.models import Question
    from tests.factories import make_user

    folder = tempfile.mkdtemp(prefix="bench-regrade-")
    path = os.path.join(folder, "regrade.sqlite3")
    app, _answers = prepare("sqlite:///" + path, attempts_count, items, pool=items)
    bulk(app)
    with app.app_context():
        exam_id = db.session.scalar(sa.select(Exam.id))
        question = db.session.scalar(sa.select(Question).order_by(Question.id))
        old = services.spec_of(question.approved_version)
        assert isinstance(old, SingleChoiceSpec)
        spec = SingleChoiceSpec(stem=old.stem, points=old.points, choices=tuple(
            Choice(c.id, c.text, D(100) if c.id == "a" else D(0)) for c in old.choices))
        services.edit_question(question, spec, services.metadata_of(question.approved_version),
                               actor=make_user(Role.TRAINER), note="key fixed")
        db.session.flush()
        services.approve(question, reviewer=make_user(Role.TRAINER))
        db.session.commit()
        clear_audit(db.session)
        for statement in ("CREATE TABLE snap_scores AS SELECT * FROM exam_item_scores",
                          "CREATE TABLE snap_results AS SELECT * FROM exam_results"):
            db.session.execute(sa.text(statement))
        db.session.commit()
        ids = (exam_id, question.id, question.approved_version_id)
    return app, path, ids


def reset_regrade(app) -> None:
    import sqlalchemy as sa

    from lms.extensions import db
    from lms.grading import marking

    with app.app_context():
        for statement in ("DELETE FROM exam_item_scores",
                          "INSERT INTO exam_item_scores SELECT * FROM snap_scores",
                          "DELETE FROM exam_results",
                          "INSERT INTO exam_results SELECT * FROM snap_results",
                          "DELETE FROM result_changes"):
            db.session.execute(sa.text(statement))
        clear_audit(db.session)
        db.session.commit()
    marking._PARSED.clear()


def regrade_product(app, ids) -> int:
    from lms.exams.models import Exam
    from lms.extensions import db
    from lms.grading import regrade

    exam_id, question_id, version_id = ids
    with app.app_context():
        done = regrade.apply(db.session.get(Exam, exam_id), question_id, version_id, None,
                             "bench: key fixed")
        db.session.commit()
        return sum(len(c.slots) for c in done.changed)


def regrade_raw(path: str, ids) -> int:
    """The same regrade with plain sqlite3 and the same pure functions: the floor."""
    from lms.domain import grading
    from lms.domain.items import item_from_dict

    exam_id, question_id, version_id = ids
    conn = sqlite3.connect(path)
    (raw_spec,) = conn.execute("SELECT spec FROM question_versions WHERE id = ?",
                               (version_id,)).fetchone()
    spec = item_from_dict(json.loads(raw_spec))
    targets = conn.execute(
        "SELECT s.attempt_id, s.slot, s.section, s.points, a.response FROM exam_item_scores s "
        "JOIN exam_attempts t ON t.id = s.attempt_id LEFT JOIN exam_answers a "
        "ON a.attempt_id = s.attempt_id AND a.slot = s.slot "
        "WHERE t.exam_id = ? AND s.question_id = ? AND s.status = 'auto'",
        (exam_id, question_id)).fetchall()
    papers = {aid: (json.loads(paper), D(str(pass_percent))) for aid, paper, pass_percent in
              conn.execute("SELECT id, paper, pass_percent FROM exam_attempts WHERE exam_id = ?",
                           (exam_id,))}
    slots: dict[int, list] = {}
    for aid, slot, section, qid, vid, points, score, status in conn.execute(
            "SELECT attempt_id, slot, section, question_id, version_id, points, score, status "
            "FROM exam_item_scores ORDER BY attempt_id, slot"):
        slots.setdefault(aid, []).append(grading.SlotGrade(
            slot, section, qid, vid, D(str(points)), None if score is None else D(str(score)),
            grading.SlotStatus(status), None))
    score_rows, result_rows = [], []
    for aid, slot, section, points, response in targets:
        paper, pass_percent = papers[aid]
        item = grading.GradeItem(slot, section, question_id, version_id, D(str(points)),
                                 int(paper["items"][slot]["seed"]))
        raw = grading.response_from_fields(spec, json.loads(response) if response else None,
                                           f"s{slot}")
        new = grading.grade_item(item, spec, raw)
        score_rows.append((str(new.score), new.status.value, version_id,
                           json.dumps(new.detail), aid, slot))
        merged = [new if g.slot == slot else g for g in slots[aid]]
        result = grading.summarise(merged, pass_percent=pass_percent,
                                   min_percent=grading.section_minimums(paper))
        result_rows.append((str(result.score), str(result.percent), result.passed,
                            json.dumps([s.to_dict() for s in result.sections]), aid))
    conn.executemany("UPDATE exam_item_scores SET score = ?, status = ?, version_id = ?, "
                     "detail = ? WHERE attempt_id = ? AND slot = ?", score_rows)
    conn.executemany("UPDATE exam_results SET score = ?, percent = ?, passed = ?, "
                     "section_scores = ?, revision = revision + 1 WHERE attempt_id = ?",
                     result_rows)
    conn.commit()
    conn.close()
    return len(score_rows)


def run_regrade(attempts_count: int, items: int, repeat: int) -> list[dict]:
    app, path, ids = prepare_regrade(attempts_count, items)
    best: dict[str, list[float]] = {"raw": [], "product": []}
    counts = {}
    for _ in range(repeat):
        for name, run in (("raw", lambda: regrade_raw(path, ids)),
                          ("product", lambda: regrade_product(app, ids))):
            reset_regrade(app)
            start = time.perf_counter()
            counts[name] = run()
            best[name].append(time.perf_counter() - start)
    assert counts["raw"] == counts["product"] == attempts_count, counts
    print(f"regrade: {attempts_count} attempts × {items} items, "
          f"{counts['product']} answers regraded")
    raw, product = min(best["raw"]), min(best["product"])
    return [results.row("regrade_seconds", product, raw, "s", "sqlite"),
            results.row("regrade_answers_per_s", counts["product"] / product,
                        counts["raw"] / raw, "answers/s", "sqlite")]


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--regrade-attempts", type=int, default=10_000)
    parser.add_argument("--regrade-items", type=int, default=5)
    parser.add_argument("--skip-marking", action="store_true",
                        help="only the regrade figures")
    args = parser.parse_args()
    targets = {"grading_bulk_seconds": f"ratio ≤ {TARGET:g}",
               "grading_per_attempt_seconds": f"ratio ≤ {TARGET:g}",
               "regrade_seconds": f"ratio ≤ {TARGET:g}"}
    rows = [] if args.skip_marking else marking_rows(args)
    if args.regrade_attempts:
        rows += run_regrade(args.regrade_attempts, args.regrade_items, args.repeat)
    results.merge(rows)
    print(results.table(rows, targets))


def marking_rows(args) -> list[dict]:
    folder = tempfile.mkdtemp(prefix="bench-grading-")
    path = os.path.join(folder, "grading.sqlite3")
    app, answers = prepare("sqlite:///" + path, args.attempts, args.items)
    print(f"{args.attempts} attempts × {args.items} items = {answers} answers")
    best = {"raw": [], "bulk": [], "per_attempt": []}
    for _ in range(args.repeat):
        for name, run in (("raw", lambda: raw_sqlite(path)), ("bulk", lambda: bulk(app)),
                          ("per_attempt", lambda: per_attempt(app))):
            reset(app)
            best[name].append(timed(run))
    raw, bulk_s, each_s = min(best["raw"]), min(best["bulk"]), min(best["per_attempt"])
    return [results.row("grading_bulk_answers_per_s", answers / bulk_s, answers / raw,
                        "answers/s", "sqlite"),
            results.row("grading_bulk_seconds", bulk_s, raw, "s", "sqlite"),
            results.row("grading_per_attempt_seconds", each_s, raw, "s", "sqlite")]


if __name__ == "__main__":
    main()
