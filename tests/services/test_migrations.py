"""Every schema change is a migration: upgrade → downgrade → upgrade from an
empty database, on SQLite and on PostgreSQL, and the result matches the models."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new empty database of the same kind as the test database."""
    if database_url.startswith("sqlite"):
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3")
        return
    name = "lms_migrations_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migration_app(empty_database, tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(type("Cfg", (TestConfig,), {"DATABASE_URL": empty_database}))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def schema_diff() -> list:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                db.metadata)


def test_upgrade_downgrade_upgrade_from_empty(migration_app):
    upgrade()
    created = table_names()
    assert {"users", "organisations", "role_assignments", "audit_entries",
            "outbox_messages", "consent_records"} <= created
    downgrade(revision="base")
    assert table_names() == set()
    upgrade()
    assert table_names() == created


def test_migrations_match_the_models(migration_app):
    upgrade()
    assert schema_diff() == []
