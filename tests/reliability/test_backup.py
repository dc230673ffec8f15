"""R1–R3: `lms backup` while candidates keep autosaving, `lms restore` into an empty
database, and the restored installation compared with the source: row counts per
table, every saved answer, the certificate ledger and the encrypted files.

R1 runs on PostgreSQL (restoring into ``<test database>_restore``), R2 on SQLite
(restoring into a new file); each skips on the other backend.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.certificates import artefacts, ledger
from lms.certificates.models import Certificate
from lms.clock import utcnow
from lms.exams import attempts
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from lms.operations import backup as backups
from tests.conftest import empty_database_beside
from tests.operations_factories import seed_installation

#: how long the test waits for the autosaving thread before giving up (not a speed check)
PATIENCE = 60.0


def _cli(app, *args):
    """Run ``flask lms …`` on ``app`` (the CLI uses whichever app context is current)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["lms", *args])
        db.session.remove()
    return result


def _answers(connection) -> dict[int, dict[int, tuple]]:
    """attempt → slot → (sequence, response), read with plain SQL."""
    found: dict[int, dict[int, tuple]] = {}
    for attempt_id, slot, sequence, response in connection.execute(sa.text(
            "SELECT attempt_id, slot, sequence, response FROM exam_answers")):
        if isinstance(response, str):  # SQLite returns JSON as text
            response = json.loads(response)
        found.setdefault(attempt_id, {})[slot] = (sequence, response)
    return found


class Autosaver(threading.Thread):
    """A candidate saving one answer after another (each committed), recording the
    attempt's answers after every save so the backup can be placed in that history."""

    def __init__(self, app, attempt_id: int, token: str, item_count: int):
        super().__init__(daemon=True)
        self.app, self.attempt_id, self.token = app, attempt_id, token
        self.item_count = item_count
        self.history: list[dict[int, tuple]] = [{}]
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.error: BaseException | None = None

    def run(self):
        try:
            with self.app.app_context():
                sequence, held = 0, {}
                while not self.stop.is_set():
                    sequence += 1
                    slot = sequence % self.item_count
                    response = {f"s{slot}": ["abcd"[sequence % 4]]}
                    attempt = db.session.get(ExamAttempt, self.attempt_id)
                    attempts.save_answers(attempt, self.token,
                                          [attempts.Save(slot, sequence, response)], utcnow())
                    db.session.commit()
                    db.session.expire_all()
                    held = {**held, slot: (sequence, response)}
                    with self.progress:
                        self.history.append(held)
                        self.progress.notify_all()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
            with self.progress:
                self.progress.notify_all()

    def wait_for_saves(self, count: int) -> None:
        with self.progress:
            self.progress.wait_for(lambda: len(self.history) > count or self.error, PATIENCE)
        assert self.error is None, self.error
        assert len(self.history) > count, "the autosaving thread stalled"


def _round_trip(app, make_app, monkeypatch, tmp_path, target_url: str):
    live_id, token, item_count = seed_installation()
    source_head = ledger.head()
    saver = Autosaver(app, live_id, token, item_count)
    saver.start()
    try:
        saver.wait_for_saves(3)
        folder = tmp_path / "backup"
        result = _cli(app, "backup", "--output", str(folder))
        assert result.exit_code == 0, result.output
        after_backup = len(saver.history)
        saver.wait_for_saves(after_backup + 2)  # the load goes on after the backup
    finally:
        saver.stop.set()
        saver.join(PATIENCE)
    assert saver.error is None, saver.error

    for name in ("manifest.json", "instance.tar.gz"):
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    with db.engine.connect() as connection:
        source_answers = _answers(connection)
        source_counts = backups.fingerprint(connection)["tables"]

    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "restored-instance"))
    target = make_app(DATABASE_URL=target_url)
    result = _cli(target, "restore", str(folder))
    assert result.exit_code == 0, result.output

    # a new app on the restored database and folder, as after a restart
    restored = make_app(DATABASE_URL=target_url)
    with restored.app_context():
        with db.engine.connect() as connection:
            restored_answers = _answers(connection)
            restored_print = backups.fingerprint(connection)
        manifest = json.loads((folder / "manifest.json").read_text())
        assert restored_print == manifest["fingerprint"]

        # every table as in the source, but for the answers saved after the backup
        assert {k: v for k, v in restored_print["tables"].items() if k != "exam_answers"} \
            == {k: v for k, v in source_counts.items() if k != "exam_answers"}
        # finished attempts' answers identical; the live attempt's answers are exactly
        # its answers at one moment of the autosaving (a point in time, no torn save)
        assert {k: v for k, v in restored_answers.items() if k != live_id} \
            == {k: v for k, v in source_answers.items() if k != live_id}
        live_then = restored_answers.get(live_id, {})
        assert live_then in saver.history
        assert saver.history.index(live_then) < len(saver.history) - 1  # not the end state

        assert ledger.verify(expected_head=source_head.hash) is None
        assert _cli(restored, "ledger", "verify").exit_code == 0
        # the files came back with the key that decrypts them
        certificate = db.session.scalars(
            sa.select(Certificate).where(Certificate.pdf_file.is_not(None))).first()
        assert certificate is not None
        assert artefacts.read_pdf(certificate).startswith(b"%PDF")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAnswer)) \
            == sum(len(v) for v in restored_answers.values())
        db.session.remove()
    return folder, target


def _postgres_restore_url(source: str) -> str:
    return empty_database_beside(source, "restore")  # restore into an empty database


def test_R1_pg_dump_during_autosaving_restores_into_an_empty_database(
        app, make_app, monkeypatch, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("R1 is the PostgreSQL round trip (pg_dump/pg_restore); this run is on "
                    "SQLite, where R2 covers the online backup API")
    target_url = _postgres_restore_url(app.config["DATABASE_URL"])
    folder, _target = _round_trip(app, make_app, monkeypatch, tmp_path, target_url)
    assert (folder / "database.pgdump").read_bytes()[:5] == b"PGDMP"


def test_R2_sqlite_online_backup_during_autosaving_is_consistent(
        app, make_app, monkeypatch, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("R2 is the SQLite online backup API; this run is on PostgreSQL, "
                    "where R1 covers pg_dump/pg_restore")
    target_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    folder, _target = _round_trip(app, make_app, monkeypatch, tmp_path, target_url)
    copy = sqlite3.connect(folder / "database.sqlite3")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        copy.close()


def _restore_target_url(app, tmp_path: Path) -> str:
    if db.engine.dialect.name == "postgresql":
        return _postgres_restore_url(app.config["DATABASE_URL"])
    return f"sqlite:///{tmp_path / 'drill.sqlite3'}"


def test_R3_restore_drill_refuses_a_database_in_use_without_force(
        app, make_app, monkeypatch, tmp_path):
    """The drill: back up, restore into an empty database, then try again over the
    now-used one (refused, it names the attempts in progress) and force it."""
    live_id, _token, _count = seed_installation()
    folder = tmp_path / "nightly"
    assert _cli(app, "backup", "--output", str(folder)).exit_code == 0
    # a second backup into the same folder would mix two moments: refused
    again = _cli(app, "backup", "--output", str(folder))
    assert again.exit_code != 0 and "not empty" in again.output

    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "drill-instance"))
    target = make_app(DATABASE_URL=_restore_target_url(app, tmp_path))
    assert _cli(target, "restore", str(folder)).exit_code == 0

    refused = _cli(target, "restore", str(folder))
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "1 attempts in progress" in refused.output
    forced = _cli(target, "restore", "--force", str(folder))
    assert forced.exit_code == 0, forced.output
    with target.app_context():
        assert db.session.get(ExamAttempt, live_id).state == "in_progress"
        db.session.remove()


def test_R3_restore_refuses_a_tampered_backup(app, make_app, monkeypatch, tmp_path):
    seed_installation()
    folder = tmp_path / "nightly"
    assert _cli(app, "backup", "--output", str(folder)).exit_code == 0
    archive = folder / "instance.tar.gz"
    archive.write_bytes(archive.read_bytes() + b"x")
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "drill-instance"))
    target = make_app(DATABASE_URL=_restore_target_url(app, tmp_path))
    result = _cli(target, "restore", str(folder))
    assert result.exit_code != 0 and "checksum" in result.output
