"""Backing up and restoring an installation: the database and the instance folder.

A backup is a folder (mode 0700) of three files, each mode 0600:

``database.sqlite3`` or ``database.pgdump``
    SQLite through the online backup API (a consistent copy while the app keeps
    writing; ``PRAGMA integrity_check`` must say "ok"), PostgreSQL through
    ``pg_dump -Fc`` run inside an exported snapshot.
``instance.tar.gz``
    The instance folder without the SQLite database: encrypted certificate PDFs,
    photos and webcam snapshots, course files, appraisal files, the credential
    signing keys and — unless they come from the environment — ``secret_key`` and
    ``id_encryption_key``. Those keys are secrets, hence 0600: the backup is as
    sensitive as the server. Keys set through ``LMS_*`` variables are not in it and
    must be kept separately (without ``ID_ENCRYPTION_KEY`` the ID numbers, photos,
    snapshots and PDFs cannot be read).
``manifest.json``
    Backend, migration revision, the SHA-256 of the other two files and a
    fingerprint (row count per table, checksum of every saved exam answer) taken
    from the very snapshot that was dumped. Restore recomputes the fingerprint and
    fails when it differs.

Restore refuses a target database that holds any row unless forced: overwriting
a live installation (attempts in progress among it) must be a deliberate act.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from lms.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
INSTANCE_ARCHIVE = "instance.tar.gz"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
#: attempts in these states are being sat right now
IN_PROGRESS_STATES = ("admitted", "in_progress", "paused")


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    manifest: dict
    seconds: float


# -- fingerprint ---------------------------------------------------------------------------


def fingerprint(connection: sa.Connection) -> dict:
    """Row count of every application table and a SHA-256 over every saved answer
    (attempt, slot, sequence, response), read through ``connection``."""
    import lms.models  # noqa: F401  every table registered on the metadata

    existing = set(sa.inspect(connection).get_table_names())
    counts = {table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
              for table in db.metadata.sorted_tables if table.name in existing}
    digest = hashlib.sha256()
    if "exam_answers" in existing:
        # the stored JSON text as it is (no decoding): fast, and a restore that changed
        # a single byte of an answer shows
        rows = connection.exec_driver_sql(
            "SELECT attempt_id, slot, sequence, CAST(response AS TEXT) FROM exam_answers "
            "ORDER BY attempt_id, slot")
        for row in rows:
            digest.update("\t".join(map(str, row)).encode() + b"\n")
    return {"tables": dict(sorted(counts.items())), "answers_sha256": digest.hexdigest()}


def attempts_in_progress(connection: sa.Connection) -> int:
    if "exam_attempts" not in sa.inspect(connection).get_table_names():
        return 0
    return connection.scalar(sa.text(
        "SELECT count(*) FROM exam_attempts WHERE state IN "
        "('admitted', 'in_progress', 'paused')")) or 0


def _revision(connection: sa.Connection) -> str | None:
    if "alembic_version" not in sa.inspect(connection).get_table_names():
        return None
    return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


# -- files ---------------------------------------------------------------------------------


def _private_file(path: Path):
    """Open a new file for writing, readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_folder() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = current_app.config.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups"
    return Path(base) / f"lms-{stamp}"


def _skipped_instance_paths() -> set[Path]:
    """What the instance archive leaves out: the SQLite database (copied through the
    backup API instead) and the backups themselves."""
    instance = Path(current_app.instance_path).resolve()
    skipped = {instance / "backups"}
    if current_app.config.get("BACKUP_DIR"):
        skipped.add(Path(current_app.config["BACKUP_DIR"]).resolve())
    if db.engine.dialect.name == "sqlite" and db.engine.url.database:
        database = Path(db.engine.url.database).resolve()
        skipped |= {database, Path(f"{database}-wal"), Path(f"{database}-shm"),
                    Path(f"{database}-journal")}
    return skipped


def _archive_instance(target: Path, skip_also: Path) -> None:
    instance = Path(current_app.instance_path).resolve()
    skipped = _skipped_instance_paths() | {skip_also.resolve()}

    def keep(info: tarfile.TarInfo):
        return None if (instance / info.name).resolve() in skipped else info

    with _private_file(target) as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        if instance.exists():
            for child in sorted(instance.iterdir()):
                archive.add(child, arcname=child.name, filter=keep)


# -- PostgreSQL tools ----------------------------------------------------------------------


def _libpq(url: sa.URL) -> tuple[str, dict]:
    """A libpq connection string without the password, and the environment that
    carries it (a password on a command line is visible to every local user)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


# -- backup --------------------------------------------------------------------------------


def backup(output: Path | None = None) -> Outcome:
    """Write a backup folder (see the module docstring) and return its manifest."""
    began = time.monotonic()
    folder = Path(output) if output else default_folder()
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} exists and is not empty")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        database, revision, prints = _backup_sqlite(folder / SQLITE_FILE)
    elif dialect == "postgresql":
        database, revision, prints = _backup_postgresql(folder / PG_FILE)
    else:
        raise BackupError(f"no backup for the {dialect} backend")
    _archive_instance(folder / INSTANCE_ARCHIVE, folder)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": dialect,
        "revision": revision,
        "database": database.name,
        "files": {name: _sha256(folder / name) for name in (database.name, INSTANCE_ARCHIVE)},
        "fingerprint": prints,
        "seconds": round(time.monotonic() - began, 3),
    }
    with _private_file(folder / MANIFEST) as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    return Outcome(folder, manifest, manifest["seconds"])


def _sqlite_path() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(name)


def _backup_sqlite(target: Path) -> tuple[Path, str | None, dict]:
    # the backup API copies pages under a read lock, restarting when a writer changes
    # them; the result is the database at one moment
    source = sqlite3.connect(_sqlite_path())
    with _private_file(target):
        pass
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        check = copy.execute("PRAGMA integrity_check").fetchall()
    finally:
        copy.close()
        source.close()
    if check != [("ok",)]:
        raise BackupError(f"integrity_check of the copy: {check[:5]}")
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return target, _revision(connection), fingerprint(connection)
    finally:
        engine.dispose()


def _backup_postgresql(target: Path) -> tuple[Path, str | None, dict]:
    # The fingerprint and pg_dump read the same exported snapshot, so the manifest
    # describes exactly what the dump holds however busy the database is.
    dsn, env = _libpq(db.engine.url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
        revision, prints = _revision(conn), fingerprint(conn)
        with _private_file(target):
            pass
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl",
              f"--snapshot={snapshot}", f"--file={target}", f"--dbname={dsn}"], env)
        conn.rollback()
    return target, revision, prints


def prune(parent: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backup folders (those holding a manifest) in
    ``parent``; returns the deleted ones. Backups hold personal data, erased people's
    included, so they follow a retention schedule like everything else (PIPL art. 19)."""
    found = []
    for folder in Path(parent).iterdir():
        manifest = folder / MANIFEST
        if folder.is_dir() and manifest.is_file():
            found.append((json.loads(manifest.read_text()).get("created_at", ""), folder.name,
                          folder))
    found.sort(reverse=True)
    old = [folder for _created, _name, folder in found[keep:]]
    for folder in old:
        shutil.rmtree(folder)
    return old


# -- restore -------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} holds no {MANIFEST}: not a backup folder")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for name, digest in manifest["files"].items():
        if _sha256(Path(folder) / name) != digest:
            raise BackupError(f"{name} does not match its checksum in the manifest")
    return manifest


def target_state(connection: sa.Connection) -> tuple[int, int]:
    """(rows in application tables, attempts being sat) of the target database."""
    prints = fingerprint(connection)
    return sum(prints["tables"].values()), attempts_in_progress(connection)


def restore(folder: Path, *, force: bool = False) -> Outcome:
    """Restore a backup folder into the configured database and instance folder.

    Refuses a target holding any row (`BackupError`) unless ``force``; verifies the
    restored database against the manifest's fingerprint.
    """
    began = time.monotonic()
    folder = Path(folder)
    manifest = read_manifest(folder)
    dialect = db.engine.dialect.name
    if manifest["backend"] != dialect:
        raise BackupError(f"the backup is of a {manifest['backend']} database, "
                          f"the target is {dialect}")
    with db.engine.connect() as connection:
        rows, sitting = target_state(connection)
    if rows and not force:
        raise BackupError(f"the target database is not empty ({rows} rows, {sitting} "
                          "attempts in progress); use --force to overwrite it")
    db.session.remove()
    db.engine.dispose()
    if dialect == "sqlite":
        _restore_sqlite(folder / manifest["database"])
    else:
        _restore_postgresql(folder / manifest["database"])
    _extract_instance(folder / INSTANCE_ARCHIVE)
    with db.engine.connect() as connection:
        restored = fingerprint(connection)
    if restored != manifest["fingerprint"]:
        raise BackupError("the restored database differs from the backup's fingerprint")
    return Outcome(folder, manifest, round(time.monotonic() - began, 3))


def _restore_sqlite(source_file: Path) -> None:
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    target = sqlite3.connect(_sqlite_path())
    try:
        source.backup(target)
        check = target.execute("PRAGMA integrity_check").fetchall()
    finally:
        target.close()
        source.close()
    if check != [("ok",)]:
        raise BackupError(f"integrity_check after restore: {check[:5]}")


def _restore_postgresql(dump: Path) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed")
    meta = sa.MetaData()
    meta.reflect(db.engine)
    meta.drop_all(db.engine)
    with db.engine.begin() as connection:  # the dump creates it again (migration 0017)
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    dsn, env = _libpq(db.engine.url)
    _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
          f"--dbname={dsn}", str(dump)], env)


def _extract_instance(archive: Path) -> None:
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        # "data" refuses absolute paths, links out of the folder and device files
        tar.extractall(instance, filter="data")
