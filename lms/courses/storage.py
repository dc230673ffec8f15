"""Content-addressed file store for course attachments and covers.

Files are kept once per SHA-256 under ``instance/files/ab/abcdef…``; the same
PDF attached to ten lessons is stored once, and a stored file never changes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app

from lms.domain.files import FileKind, sniff
from lms.errors import ValidationFailed


def store_root() -> Path:
    return Path(current_app.instance_path) / "files"


def path_for(sha256: str, root: Path | None = None) -> Path:
    """Where the file of ``sha256`` lives under ``root`` (default: the course files)."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return (root or store_root()) / sha256[:2] / sha256


def check_upload(data: bytes, *, field: str = "file",
                 allowed: tuple[FileKind, ...] | None = None) -> FileKind:
    """The kind of an upload, or `ValidationFailed` (type not allowed / too large)."""
    kind = sniff(data[:16])
    if kind is None or (allowed is not None and kind not in allowed):
        raise ValidationFailed(field, "file_type")
    if len(data) > kind.max_bytes:
        raise ValidationFailed(field, "file_too_large", max_mb=kind.max_bytes // 2**20)
    return kind


def store(data: bytes, root: Path | None = None) -> str:
    """Write ``data`` (atomically, once) under ``root`` (default: the course files) and
    return its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest, root)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return digest


def sniff_stored(sha256: str) -> FileKind:
    """The kind of a stored file (for files whose type was not recorded, e.g. covers)."""
    with path_for(sha256).open("rb") as fh:
        kind = sniff(fh.read(16))
    if kind is None:
        raise ValueError("stored file of unknown type")
    return kind
