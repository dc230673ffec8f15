"""Keys, resolvers and a fixed clock for the credential tests (no app, no network)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms.credentials import dids
from lms.credentials.verify import ResolvedKey

OPENBADGES = Path(__file__).resolve().parents[3] / "shared" / "interop" / "openbadges"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def seeded_key(n: int) -> Ed25519PrivateKey:
    """A deterministic key, so failures reproduce."""
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


def resolver(keys: Mapping[str, ResolvedKey]):
    """verificationMethod -> key, from a table; anything else is unknown."""
    return keys.get


def key_entry(key: Ed25519PrivateKey, controller: str,
              revoked_at: datetime | None = None) -> ResolvedKey:
    return ResolvedKey(key.public_key(), controller, revoked_at)


def did_key_resolver(method: str) -> ResolvedKey | None:
    """did:key methods resolve from the DID itself."""
    try:
        key = dids.resolve_did_key(method)
    except dids.DidError:
        return None
    return ResolvedKey(key, method.split("#", 1)[0])
