"""The credential-signing key (Ed25519), kept as a PEM file outside the
database with mode 0600. Certificates sign with it; `flask lms check` needs it."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask


def signing_key_path(app: Flask) -> Path:
    configured = app.config.get("SIGNING_KEY_PATH")
    return Path(configured) if configured else Path(app.instance_path) / "signing_key.pem"


def ensure_signing_key(app: Flask) -> tuple[Path, bool]:
    """Create the key if there is none; returns (path, created)."""
    path = signing_key_path(app)
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return path, True


def load_signing_key(app: Flask) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(signing_key_path(app).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 key")
    return key
