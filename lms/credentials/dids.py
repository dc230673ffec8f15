"""did:key (Ed25519) and did:web: identifiers, key encoding and the DID document an
instance serves at /.well-known/did.json."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lms.credentials.multibase import MultibaseError, decode_base58btc, encode_base58btc

ED25519_MULTICODEC = b"\xed\x01"  # varint of 0xed, the ed25519-pub multicodec
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


class DidError(ValueError):
    pass


def public_key_multibase(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return encode_base58btc(ED25519_MULTICODEC + raw)


def key_from_multibase(value: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its Multikey form (`z6Mk…`)."""
    try:
        data = decode_base58btc(value)
    except MultibaseError as exc:
        raise DidError(str(exc)) from None
    if len(data) != 34 or not data.startswith(ED25519_MULTICODEC):
        raise DidError("not an Ed25519 multikey")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def did_key(key: Ed25519PublicKey) -> str:
    return "did:key:" + public_key_multibase(key)


def did_key_verification_method(key: Ed25519PublicKey) -> str:
    mb = public_key_multibase(key)
    return f"did:key:{mb}#{mb}"


def resolve_did_key(did_url: str) -> Ed25519PublicKey:
    """The public key a did:key (or one of its verification-method URLs) names. The
    fragment, when present, must name the same key: anything else is a forgery attempt."""
    did, _, fragment = did_url.partition("#")
    if not did.startswith("did:key:"):
        raise DidError("not a did:key")
    mb = did[len("did:key:"):]
    if fragment and fragment != mb:
        raise DidError("did:key fragment names another key")
    return key_from_multibase(mb)


def did_web(base_url: str) -> str:
    """`https://ex.org:8443/x` -> `did:web:ex.org%3A8443:x` (the did:web method spec)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DidError(f"not an http(s) URL: {base_url!r}")
    host = parts.hostname
    if parts.port:
        host += "%3A" + str(parts.port)
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def did_web_document_url(did: str) -> str:
    """Where a did:web's DID document lives (always https, per the method spec)."""
    if not did.startswith("did:web:"):
        raise DidError("not a did:web")
    host, *path = did[len("did:web:"):].split("#", 1)[0].split(":")
    host = unquote(host)
    if not host or "/" in host:
        raise DidError(f"bad did:web host in {did!r}")
    if path:
        return f"https://{host}/" + "/".join(unquote(p) for p in path) + "/did.json"
    return f"https://{host}/.well-known/did.json"


@dataclass(frozen=True)
class PublishedKey:
    """One key as the DID document lists it."""

    kid: str
    public_key_multibase: str
    revoked_at: datetime | None = None


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def did_document(base_url: str, keys: Iterable[PublishedKey]) -> dict[str, Any]:
    """The DID document served at `<base_url>/.well-known/did.json`: every key, retired
    ones included, so older credentials keep verifying; a revoked key says since when."""
    did = did_web(base_url)
    methods = []
    for key in keys:
        method: dict[str, Any] = {
            "id": f"{did}#{key.kid}", "type": "Multikey", "controller": did,
            "publicKeyMultibase": key.public_key_multibase}
        if key.revoked_at is not None:
            method["revoked"] = _iso(key.revoked_at)
        methods.append(method)
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        # a revoked key stays an assertion method: its "revoked" time tells verifiers
        # which signatures (those made before it) still count
        "assertionMethod": [m["id"] for m in methods],
    }


def key_from_did_document(document: Any, method: str) -> tuple[Ed25519PublicKey, datetime | None]:
    """The Ed25519 key a DID document publishes under `method` (an absolute DID URL),
    with its revocation time. Only methods the document itself controls count."""
    did = method.split("#", 1)[0]
    if not isinstance(document, dict) or document.get("id") != did:
        raise DidError("the DID document is for another DID")
    for entry in document.get("verificationMethod") or []:
        if not isinstance(entry, dict):
            continue
        entry_id = entry.get("id", "")
        if entry_id.startswith("#"):
            entry_id = did + entry_id
        if entry_id != method:
            continue
        if entry.get("controller", did) != did:
            raise DidError("the key is controlled by someone else")
        if entry.get("type") not in ("Multikey", "Ed25519VerificationKey2020"):
            raise DidError(f"unsupported key type {entry.get('type')!r}")
        revoked = entry.get("revoked")
        revoked_at = None
        if revoked is not None:
            try:
                revoked_at = datetime.fromisoformat(str(revoked).replace("Z", "+00:00"))
            except ValueError:
                raise DidError("unreadable revocation time") from None
            if revoked_at.tzinfo is None:
                revoked_at = revoked_at.replace(tzinfo=UTC)
        return key_from_multibase(entry.get("publicKeyMultibase", "")), revoked_at
    raise DidError(f"{method} is not in the DID document")
