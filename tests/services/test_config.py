"""Configuration from the environment, secrets kept in the instance folder,
SQLite pragmas."""

import stat

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from lms import create_app
from lms.extensions import db


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("LMS_SECRET_KEY", "LMS_DATABASE_URL", "LMS_ENV", "LMS_REDIS_URL",
                 "LMS_ID_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_secret_key_is_generated_once_with_private_permissions(env, tmp_path):
    first = create_app()
    second = create_app()
    key_file = tmp_path / "instance" / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 40


def test_environment_overrides_defaults(env):
    env.setenv("LMS_SECRET_KEY", "from-the-environment")
    env.setenv("LMS_BASE_URL", "https://academy.example.cn")
    env.setenv("LMS_SMTP_PORT", "2525")
    env.setenv("LMS_REDIS_URL", "redis://127.0.0.1:6379/9")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["BASE_URL"] == "https://academy.example.cn"
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/9"
    create_app({"TESTING": True})  # leave the shared Celery app eager for later tests


def test_production_refuses_to_start_without_an_explicit_secret_key(env):
    env.setenv("LMS_ENV", "production")
    with pytest.raises(RuntimeError, match="LMS_SECRET_KEY"):
        create_app()


def test_production_starts_with_explicit_keys(env, tmp_path):
    env.setenv("LMS_ENV", "production")
    env.setenv("LMS_SECRET_KEY", "x" * 48)
    env.setenv("LMS_ID_ENCRYPTION_KEY", Fernet.generate_key().decode())
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_default_database_is_sqlite_in_the_instance_folder_with_wal(env, tmp_path):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///" + str(tmp_path / "instance" / "lms.sqlite3"))
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 5000
        db.engine.dispose()


def test_postgresql_urls_use_psycopg_3(env):
    env.setenv("LMS_DATABASE_URL", "postgresql://lms@127.0.0.1/lms")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://lms@127.0.0.1/lms"


def test_a_malformed_encryption_key_stops_the_start(env):
    env.setenv("LMS_ID_ENCRYPTION_KEY", "not-a-key")
    with pytest.raises(RuntimeError, match="Fernet"):
        create_app()


def test_a_question_file_at_its_limit_fits_in_a_request():
    """The request limit must not cut off an upload the import page says it accepts."""
    from lms.config import Config
    from lms.questions.formats.base import MAX_FILE_BYTES

    assert Config.MAX_CONTENT_LENGTH > MAX_FILE_BYTES
