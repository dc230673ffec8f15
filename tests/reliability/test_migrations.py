"""R4: upgrade head → downgrade -1 → upgrade head on seeded data; R5: a migration is
refused while exam attempts are in progress unless forced (``-x force=1``).

Both run on a database of their own on the suite's backend (a SQLite file, or
``<test database>_migrations`` on PostgreSQL), never on the shared test schema.
"""

from __future__ import annotations

import json

import click
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from lms.certificates import ledger
from lms.clock import utcnow
from lms.exams import attempts
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from tests.conftest import empty_database_beside
from tests.operations_factories import seed_installation


def _own_database(app, tmp_path) -> str:
    """An empty database beside the test database, on the same backend."""
    if db.engine.dialect.name != "postgresql":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    return empty_database_beside(app.config["DATABASE_URL"], "migrations")


@pytest.fixture
def seeded(app, make_app, monkeypatch, tmp_path):
    """An app on its own database, migrated to head and seeded; its context pushed."""
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "migrations-instance"))
    own = make_app(DATABASE_URL=_own_database(app, tmp_path))
    with own.app_context():
        upgrade()
        live_id, token, _slots = seed_installation()
        yield own, live_id, token
        db.session.remove()


def _revision() -> str:
    return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _contents() -> dict[str, list[tuple]]:
    """Every row of every table (as text, in primary-key order)."""
    db.session.remove()
    meta = sa.MetaData()
    meta.reflect(db.engine)
    with db.engine.connect() as connection:
        return {name: [tuple(str(v) for v in row) for row in connection.execute(
                    sa.select(table).order_by(*(table.primary_key.columns or table.columns)))]
                for name, table in meta.tables.items() if name != "alembic_version"}


def _schema() -> dict[str, dict]:
    """Columns, keys, indexes and constraints of every table, comparable as data."""
    inspector = sa.inspect(db.engine)

    def named(items):
        return sorted((i.get("name") or "", json.dumps(i, sort_keys=True, default=str))
                      for i in items)

    return {name: {
        "columns": [(c["name"], str(c["type"]), c["nullable"])
                    for c in inspector.get_columns(name)],
        "pk": inspector.get_pk_constraint(name)["constrained_columns"],
        "fks": named(inspector.get_foreign_keys(name)),
        "indexes": named(inspector.get_indexes(name)),
        "uniques": named(inspector.get_unique_constraints(name)),
    } for name in inspector.get_table_names()}


def _ended_attempts():
    """Downgrading is refused while someone sits an exam (R5): end it first."""
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.state == "in_progress")
                       .values(state="submitted", finished_at=utcnow()))
    db.session.commit()


def test_R4_upgrade_downgrade_upgrade_keeps_the_data(seeded):
    own, live_id, token = seeded
    _ended_attempts()
    head = _revision()
    before, schema = _contents(), _schema()
    assert before["exam_answers"] and before["certificates"] and before["ledger_events"]

    downgrade(revision="-1")
    previous = _revision()
    assert previous != head
    middle = _contents()
    # the tables the downgrade keeps hold exactly what they held (a downgrade may drop
    # the tables its migration created, with their rows: that is what undoing means)
    for name, rows in middle.items():
        assert rows == before[name], name

    upgrade()
    assert _revision() == head
    assert _schema() == schema  # every column, key, index and constraint back
    after = _contents()
    for name in middle:
        assert after[name] == before[name], name
    assert set(after) == set(before)

    # the application works on the result: the ledger verifies, an answer saves
    assert ledger.verify() is None
    assert own.test_cli_runner().invoke(args=["lms", "ledger", "verify"]).exit_code == 0
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == live_id)
                       .values(state="in_progress", finished_at=None))
    db.session.commit()
    attempt = db.session.get(ExamAttempt, live_id)
    attempts.save_answers(attempt, token, [attempts.Save(0, 1, {"s0": ["b"]})], utcnow())
    db.session.commit()
    assert db.session.get(ExamAnswer, (live_id, 0)).response == {"s0": ["b"]}


def test_R5_migration_refused_while_attempts_are_in_progress(seeded):
    _own, live_id, _token = seeded
    head = _revision()
    with pytest.raises(click.ClickException, match="1 exam attempt"):
        downgrade(revision="-1")
    db.session.remove()
    assert _revision() == head
    assert db.session.get(ExamAttempt, live_id).state == "in_progress"

    upgrade()  # already at head: nothing to change, so nothing to refuse
    assert _revision() == head

    downgrade(revision="-1", x_arg=["force=1"])  # the operator's explicit decision
    assert _revision() != head
    upgrade(x_arg=["force=1"])
    assert _revision() == head
