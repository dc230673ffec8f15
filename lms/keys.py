"""The credential-signing key ring (Ed25519), kept in the instance folder, outside the
database.

Layout of the ring folder (`SIGNING_KEY_DIR`, default `instance/credential_keys/`,
mode 0700):

* `<kid>.pem` — one private key per key id, PKCS#8 PEM, mode 0600;
* `keys.json` — the public index: kid, publicKeyMultibase, created, retired_at,
  revoked_at for every key ever used.

Exactly one key is active (neither retired nor revoked): new credentials are signed
with it. `rotate` retires it and makes a new one; retired keys stay published so what
they signed keeps verifying. `revoke` marks a key compromised from a moment on:
signatures dated from then on no longer count. A single `signing_key.pem` from older
installs (`SIGNING_KEY_PATH`) becomes the ring's first key the first time the ring is
used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask

from lms.credentials import dids
from lms.credentials.verify import ResolvedKey

INDEX_NAME = "keys.json"


class KeyRingError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    public_key_multibase: str
    created: datetime
    retired_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.retired_at is None and self.revoked_at is None

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "retired" if self.retired_at else "active"

    def public_key(self) -> Ed25519PublicKey:
        return dids.key_from_multibase(self.public_key_multibase)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["publicKeyMultibase"] = out.pop("public_key_multibase")
        for name in ("created", "retired_at", "revoked_at"):
            out[name] = _iso(out[name])
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyInfo:
        return cls(kid=data["kid"], public_key_multibase=data["publicKeyMultibase"],
                   created=_parse(data["created"]), retired_at=_parse(data.get("retired_at")),
                   revoked_at=_parse(data.get("revoked_at")))


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _now() -> datetime:
    return datetime.now(UTC)


# --- where things live ---------------------------------------------------------------

def keyring_dir(app: Flask) -> Path:
    configured = app.config.get("SIGNING_KEY_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "credential_keys"


def legacy_key_path(app: Flask) -> Path:
    """The single key file of installs from before the ring."""
    configured = app.config.get("SIGNING_KEY_PATH")
    return Path(configured) if configured else Path(app.instance_path) / "signing_key.pem"


def _pem_path(app: Flask, kid: str) -> Path:
    if not kid.replace("-", "").isalnum():
        raise KeyRingError(f"bad key id {kid!r}")
    return keyring_dir(app) / f"{kid}.pem"


# --- files -------------------------------------------------------------------------

def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL + 0600 from the start: the key is never readable by others, not even briefly
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())


def _read_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 key")
    return key


def _read_index(app: Flask) -> list[KeyInfo]:
    path = keyring_dir(app) / INDEX_NAME
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [KeyInfo.from_json(k) for k in data.get("keys", [])]


def _write_index(app: Flask, keys: list[KeyInfo]) -> None:
    folder = keyring_dir(app)
    tmp = folder / f".{INDEX_NAME}.{secrets.token_hex(4)}"
    tmp.write_text(json.dumps({"keys": [k.to_json() for k in keys]}, indent=2) + "\n",
                   encoding="utf-8")
    os.replace(tmp, folder / INDEX_NAME)  # readers never see half a file


@contextlib.contextmanager
def _locked(app: Flask) -> Iterator[None]:
    """One writer at a time across processes (web workers, Celery, the CLI)."""
    folder = keyring_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _new_kid(at: datetime, public_multibase: str | None = None) -> str:
    suffix = (hashlib.sha256(public_multibase.encode()).hexdigest()[:8]
              if public_multibase else secrets.token_hex(4))
    return f"key-{at.astimezone(UTC):%Y%m%d}-{suffix}"


def _add_key(app: Flask, keys: list[KeyInfo], key: Ed25519PrivateKey, at: datetime,
             kid: str | None = None) -> KeyInfo:
    multibase = dids.public_key_multibase(key.public_key())
    kid = kid or _new_kid(at)
    while any(k.kid == kid for k in keys):
        kid = _new_kid(at)
    _write_private(_pem_path(app, kid), key)
    info = KeyInfo(kid=kid, public_key_multibase=multibase, created=at)
    keys.append(info)
    return info


def _migrate_legacy(app: Flask, keys: list[KeyInfo]) -> bool:
    """Take an old single-file key into an empty ring; True when it did."""
    legacy = legacy_key_path(app)
    if keys or not legacy.exists():
        return False
    key = _read_private(legacy)
    created = datetime.fromtimestamp(legacy.stat().st_mtime, UTC).replace(microsecond=0)
    multibase = dids.public_key_multibase(key.public_key())
    _add_key(app, keys, key, created, kid=_new_kid(created, multibase))
    return True


def _ring(app: Flask, *, create: bool) -> list[KeyInfo]:
    """The ring's keys, migrating a legacy key and (with `create`) making the first key."""
    keys = _read_index(app)
    if any(k.active for k in keys):
        return keys
    if not keys and not create and not legacy_key_path(app).exists():
        return keys
    with _locked(app):
        keys = _read_index(app)  # another process may have won the race
        changed = _migrate_legacy(app, keys)
        if create and not any(k.active for k in keys):
            _add_key(app, keys, Ed25519PrivateKey.generate(), _now().replace(microsecond=0))
            changed = True
        if changed:
            _write_index(app, keys)
    return keys


# --- the API -------------------------------------------------------------------------

def public_keys(app: Flask) -> list[KeyInfo]:
    """Every key of the ring, oldest first (retired and revoked ones included)."""
    return list(_ring(app, create=False))


def active_key(app: Flask) -> tuple[str, Ed25519PrivateKey]:
    """(kid, private key) to sign with now; creates the first key of a new install."""
    keys = _ring(app, create=True)
    info = [k for k in keys if k.active][-1]
    return info.kid, _read_private(_pem_path(app, info.kid))


def rotate(app: Flask, *, at: datetime | None = None) -> str:
    """Retire the active key and make a new one; returns the new kid."""
    at = (at or _now()).replace(microsecond=0)
    _ring(app, create=False)  # migrate first, so the old key is retired, not forgotten
    with _locked(app):
        keys = _read_index(app)
        keys = [replace(k, retired_at=at) if k.active else k for k in keys]
        new = _add_key(app, keys, Ed25519PrivateKey.generate(), at)
        _write_index(app, keys)
    return new.kid


def revoke(app: Flask, kid: str, at: datetime | None = None) -> str | None:
    """Mark `kid` compromised from `at` (default now): signatures dated from then on fail.
    Revoking the active key rotates to a new one, whose kid is returned."""
    at = (at or _now()).replace(microsecond=0)
    if at.tzinfo is None:
        raise KeyRingError("the revocation time needs a timezone")
    _ring(app, create=False)
    with _locked(app):
        keys = _read_index(app)
        if not any(k.kid == kid for k in keys):
            raise KeyRingError(f"no key {kid!r} in the ring")
        was_active = any(k.kid == kid and k.active for k in keys)
        keys = [replace(k, revoked_at=at) if k.kid == kid else k for k in keys]
        new = None
        if was_active:
            new = _add_key(app, keys, Ed25519PrivateKey.generate(), _now().replace(microsecond=0))
        _write_index(app, keys)
    return new.kid if new else None


# --- identity: who signs, under which verification method ----------------------------

def issuer_did(app: Flask) -> str:
    """This instance's issuer DID: did:web of BASE_URL, or (CREDENTIAL_ISSUER_DID = "key")
    the did:key of the active key, which changes at every rotation."""
    if app.config.get("CREDENTIAL_ISSUER_DID", "web") == "key":
        _kid, key = active_key(app)
        return dids.did_key(key.public_key())
    return dids.did_web(app.config["BASE_URL"])


def verification_method(app: Flask, kid: str) -> str:
    if app.config.get("CREDENTIAL_ISSUER_DID", "web") == "key":
        info = next(k for k in public_keys(app) if k.kid == kid)
        return dids.did_key_verification_method(info.public_key())
    return f"{dids.did_web(app.config['BASE_URL'])}#{kid}"


def sign_credential(app: Flask, doc: dict[str, Any], *, created: datetime) -> dict[str, Any]:
    """`doc` signed with the active key (the issuer id inside `doc` should be
    issuer_did(app))."""
    from lms.credentials.build import sign

    kid, key = active_key(app)
    return sign(doc, key, verification_method(app, kid), created)


def did_document(app: Flask) -> dict[str, Any]:
    """The document to serve at /.well-known/did.json (did:web issuers)."""
    return dids.did_document(app.config["BASE_URL"], [
        dids.PublishedKey(k.kid, k.public_key_multibase, k.revoked_at)
        for k in public_keys(app)])


def local_resolver(app: Flask) -> Callable[[str], ResolvedKey | None]:
    """A resolve_key for verify_credential that knows this instance's keys, by did:web
    method (`<did>#<kid>`) and by did:key, each with its revocation time. Read once:
    make a new one after rotating."""
    did = dids.did_web(app.config["BASE_URL"])
    table: dict[str, ResolvedKey] = {}
    for info in public_keys(app):
        public = info.public_key()
        table[f"{did}#{info.kid}"] = ResolvedKey(public, did, info.revoked_at)
        method = dids.did_key_verification_method(public)
        table[method] = ResolvedKey(public, method.split("#", 1)[0], info.revoked_at)
    return table.get


# --- what `flask lms check` and `init-keys` use --------------------------------------

def signing_key_path(app: Flask) -> Path:
    """The active key's file, or where the ring lives when it has none yet."""
    keys = [k for k in _ring(app, create=False) if k.active]
    return _pem_path(app, keys[-1].kid) if keys else keyring_dir(app)


def ensure_signing_key(app: Flask) -> tuple[Path, bool]:
    """Make sure the ring has an active key; returns (its file, created now)."""
    had = any(k.active for k in _ring(app, create=False))
    _ring(app, create=True)
    return signing_key_path(app), not had


def load_signing_key(app: Flask) -> Ed25519PrivateKey:
    keys = [k for k in _ring(app, create=False) if k.active]
    if not keys:
        raise FileNotFoundError(f"no active credential-signing key in {keyring_dir(app)}")
    return _read_private(_pem_path(app, keys[-1].kid))
