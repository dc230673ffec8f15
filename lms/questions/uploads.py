"""Uploaded question files kept between the import preview and its confirmation.

The bytes stay on the server, in ``<instance>/question-imports/``, under a
random token that is also put in the uploader's session: the confirmation
reads the file back only for the same user, the same session and the same
bank, within an hour. The browser never sends the file twice, so what is
imported is exactly what was previewed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, session

MAX_AGE = 3600  #: seconds an upload waits for its confirmation
SESSION_KEY = "question_imports"
MAX_PER_SESSION = 5
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True)
class Upload:
    token: str
    data: bytes
    filename: str
    format: str
    bank_code: str


def _folder() -> Path:
    return Path(current_app.instance_path) / "question-imports"


def _paths(token: str) -> tuple[Path, Path]:
    folder = _folder()
    return folder / f"{token}.bin", folder / f"{token}.json"


def save(data: bytes, *, user_id: int, bank_code: str, filename: str, fmt: str) -> str:
    """Keep ``data`` and return its token (also remembered in the session)."""
    sweep()
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(token)
    data_path.write_bytes(data)
    meta_path.write_text(json.dumps({
        "user_id": user_id, "bank_code": bank_code, "filename": filename, "format": fmt,
        "created": time.time()}), encoding="utf-8")
    tokens = [t for t in session.get(SESSION_KEY, []) if t != token]
    session[SESSION_KEY] = [*tokens, token][-MAX_PER_SESSION:]
    return token


def load(token: str, *, user_id: int, bank_code: str) -> Upload | None:
    """The upload ``token`` names, if it belongs to this session, user and bank and
    has not expired; otherwise None."""
    if not TOKEN_SHAPE.match(token or "") or token not in session.get(SESSION_KEY, []):
        return None
    data_path, meta_path = _paths(token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    if (meta.get("user_id") != user_id or meta.get("bank_code") != bank_code
            or time.time() - float(meta.get("created", 0)) > MAX_AGE):
        return None
    return Upload(token=token, data=data, filename=meta["filename"], format=meta["format"],
                  bank_code=bank_code)


def discard(token: str) -> None:
    if not TOKEN_SHAPE.match(token or ""):
        return
    for path in _paths(token):
        path.unlink(missing_ok=True)
    session[SESSION_KEY] = [t for t in session.get(SESSION_KEY, []) if t != token]


def sweep(now: float | None = None) -> int:
    """Delete the uploads older than `MAX_AGE`; returns how many."""
    folder = _folder()
    if not folder.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for path in folder.iterdir():
        try:
            if now - path.stat().st_mtime > MAX_AGE:
                os.unlink(path)
                removed += path.suffix == ".bin"
        except OSError:
            continue
    return removed
