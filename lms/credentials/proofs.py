"""Data Integrity proofs with Ed25519 (W3C VC-DI-EdDSA).

We sign `eddsa-rdfc-2022` only. For reading older credentials we also verify the
legacy cryptosuite name `eddsa-2022` (same algorithm), `Ed25519Signature2020` (same
hashing, its own proof type) and `eddsa-jcs-2022` (JSON canonicalisation instead of
RDF). Anything else is not ours to trust.

The algorithm (spec §3.3 / §3.4): the proof options without `proofValue`, given the
document's `@context`, and the document without `proof` are each canonicalised
(RDFC-1.0 = URDNA2015 N-Quads, or JCS) and hashed with SHA-256; the signature covers
proofHash || documentHash and is written as multibase base58btc.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from c14n.Canonicalize import canonicalize as jcs_canonicalize
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from lms.credentials.loader import DocumentLoader, UnknownContextError, default_loader
from lms.credentials.multibase import MultibaseError, decode_base58btc, encode_base58btc

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
SIGNING_SUITE = "eddsa-rdfc-2022"
RDFC_SUITES = frozenset({"eddsa-rdfc-2022", "eddsa-2022"})
JCS_SUITE = "eddsa-jcs-2022"


class CanonicalizationError(ValueError):
    """The document cannot be turned into RDF (bad JSON-LD)."""


class UnsignedPropertiesError(ValueError):
    """The document has properties a signature would not cover."""

    def __init__(self, properties: list[str]) -> None:
        super().__init__("properties without a JSON-LD term (they would not be signed): "
                         + ", ".join(properties))
        self.properties = properties


def canonical_nquads(doc: dict[str, Any], loader: DocumentLoader | None = None) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, offline."""
    loader = loader or default_loader()
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               **loader.options()}
    try:
        return jsonld.normalize(doc, options)
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, UnknownContextError):
                raise cause from None
            cause = cause.__cause__ or getattr(cause, "cause", None)
        raise CanonicalizationError(str(exc).splitlines()[0]) from None


def _key_paths(node: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every property path of a JSON tree; arrays are transparent (compaction may turn
    a one-element array into its element) and contexts are not data."""
    paths: set[tuple[str, ...]] = set()
    if isinstance(node, list):
        for item in node:
            paths |= _key_paths(item, prefix)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            paths.add((*prefix, key))
            paths |= _key_paths(value, (*prefix, key))
    return paths


def unsigned_properties(doc: dict[str, Any], loader: DocumentLoader | None = None) -> list[str]:
    """Properties that JSON-LD processing drops (no term for them in the contexts, or a
    null value): canonicalisation leaves them out, so a signature would not cover them.
    JSON-LD "safe mode" (VC-DI §4.2 recommends it): we refuse to sign or accept them."""
    loader = loader or default_loader()
    options = loader.options()
    try:
        expanded = jsonld.expand(doc, options)
        compacted = jsonld.compact(expanded, {"@context": doc.get("@context", {})},
                                   loader.options())
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, UnknownContextError):
                raise cause from None
            cause = cause.__cause__ or getattr(cause, "cause", None)
        raise CanonicalizationError(str(exc).splitlines()[0]) from None
    return sorted("/".join(p) for p in _key_paths(doc) - _key_paths(compacted))


def proof_kind(proof: Any) -> str | None:
    """"rdfc", "jcs" or "ed25519-2020" for proofs we can check, None for the rest."""
    if not isinstance(proof, dict):
        return None
    if proof.get("type") == DATA_INTEGRITY_PROOF:
        suite = proof.get("cryptosuite")
        if suite in RDFC_SUITES:
            return "rdfc"
        if suite == JCS_SUITE:
            return "jcs"
        return None
    if proof.get("type") == ED25519_SIGNATURE_2020 and "cryptosuite" not in proof:
        return "ed25519-2020"
    return None


def _unsecured(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "proof"}


def proof_config(doc: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in doc:
        config["@context"] = doc["@context"]
    return config


def hash_data(doc: dict[str, Any], proof: dict[str, Any], *, kind: str = "rdfc",
              loader: DocumentLoader | None = None) -> bytes:
    """proofHash || documentHash: the 64 bytes the Ed25519 signature covers."""
    config = proof_config(doc, proof)
    unsecured = _unsecured(doc)
    if kind == "jcs":
        proof_bytes = jcs_canonicalize(config)
        doc_bytes = jcs_canonicalize(unsecured)
    else:
        proof_bytes = canonical_nquads(config, loader).encode("utf-8")
        doc_bytes = canonical_nquads(unsecured, loader).encode("utf-8")
    return hashlib.sha256(proof_bytes).digest() + hashlib.sha256(doc_bytes).digest()


def xsd_datetime(at: datetime) -> str:
    """UTC, whole seconds, `Z`: the form every vector uses."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_proof(doc: dict[str, Any], key: Ed25519PrivateKey, *, verification_method: str,
                 created: datetime, proof_purpose: str = "assertionMethod",
                 loader: DocumentLoader | None = None) -> dict[str, Any]:
    """An `eddsa-rdfc-2022` DataIntegrityProof over `doc` (any existing proof ignored).
    Raises UnsignedPropertiesError rather than sign a document part of which the
    signature would silently not cover."""
    dropped = unsigned_properties(_unsecured(doc), loader)
    if dropped:
        raise UnsignedPropertiesError(dropped)
    proof: dict[str, Any] = {
        "type": DATA_INTEGRITY_PROOF,
        "created": xsd_datetime(created),
        "verificationMethod": verification_method,
        "cryptosuite": SIGNING_SUITE,
        "proofPurpose": proof_purpose,
    }
    signature = key.sign(hash_data(doc, proof, kind="rdfc", loader=loader))
    proof["proofValue"] = encode_base58btc(signature)
    return proof


def verify_proof(doc: dict[str, Any], proof: dict[str, Any], public_key: Ed25519PublicKey, *,
                 loader: DocumentLoader | None = None) -> bool:
    """Whether `proof` is a valid signature over `doc` by `public_key`. Raises
    UnknownContextError / CanonicalizationError when the document cannot be read."""
    kind = proof_kind(proof)
    if kind is None:
        return False
    try:
        signature = decode_base58btc(proof.get("proofValue"))
    except MultibaseError:
        return False
    if len(signature) != 64:
        return False
    try:
        public_key.verify(signature, hash_data(doc, proof, kind=kind, loader=loader))
    except InvalidSignature:
        return False
    return True
