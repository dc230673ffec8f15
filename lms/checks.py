"""Start-up and `flask lms check` probes: each returns None or a problem line."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_babel import gettext as _

from lms.extensions import db
from lms.keys import INDEX_NAME, keyring_dir, legacy_key_path, load_signing_key


def check_database(app: Flask) -> str | None:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return _("Database unreachable: %(error)s", error=type(exc).__name__)
    return None


def check_migrations(app: Flask) -> str | None:
    script = ScriptDirectory(str(Path(app.extensions["migrate"].directory)))
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    heads = set(script.get_heads())
    if current != heads:
        return _("Database schema is not current (at %(current)s, code expects %(heads)s): "
                 "run `flask --app app db upgrade`.",
                 current=", ".join(sorted(current)) or "empty", heads=", ".join(sorted(heads)))
    return None


def check_cjk_font(app: Flask) -> str | None:
    if shutil.which("fc-list") is None:
        return _("fontconfig (fc-list) is missing: install fontconfig and fonts-noto-cjk.")
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,  # noqa: S607
                           check=False).stdout.strip()
    if not found:
        return _("No Chinese (CJK) font found: install fonts-noto-cjk.")
    return None


def check_harfbuzz_subset(app: Flask) -> str | None:
    if ctypes.util.find_library("harfbuzz-subset") is None:
        return _("libharfbuzz-subset0 is missing: Chinese PDFs would take seconds each. "
                 "Install it with apt-get install libharfbuzz-subset0.")
    return None


def check_signing_key(app: Flask) -> str | None:
    """The key ring has an active key that loads (an old single key file is taken into
    the ring here, on first use)."""
    try:
        load_signing_key(app)
    except FileNotFoundError:
        return _("Credential signing key missing at %(path)s: run `flask --app app lms "
                 "init-keys`.", path=str(keyring_dir(app)))
    except (ValueError, TypeError, OSError) as exc:
        legacy = legacy_key_path(app)
        ring = keyring_dir(app)
        where = legacy if legacy.exists() and not (ring / INDEX_NAME).exists() else ring
        return _("Credential signing key at %(path)s is unusable: %(error)s",
                 path=str(where), error=str(exc))
    return None


CHECKS = (check_database, check_migrations, check_cjk_font, check_harfbuzz_subset,
          check_signing_key)


def run_checks(app: Flask) -> list[str]:
    """Problems found, one line each; empty when all is well."""
    db_problem = check_database(app)
    skipped = (check_database, check_migrations)  # no database, no schema to compare
    probes = [probe for probe in CHECKS if probe not in skipped] if db_problem else CHECKS[1:]
    problems = [db_problem] if db_problem else []
    problems += [p for p in (probe(app) for probe in probes) if p]
    return problems
