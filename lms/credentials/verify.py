"""Verify a Verifiable Credential: structure, then proof, then dates, then status.

Pure: keys and status lists come in through callbacks, "now" is a parameter. The
answer is a Verdict with a stable machine reason (the web pages and the CLI branch on
it) and a translated message.

Only Ed25519 Data Integrity proofs count (C8): JWTs (alg none, HS256, RS256 alike),
other proof types and unknown verification methods are rejected with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask_babel import lazy_gettext as _l

from lms.credentials import status_list
from lms.credentials.loader import (
    VC_V1,
    VC_V2,
    DocumentLoader,
    UnknownContextError,
    default_loader,
)
from lms.credentials.proofs import (
    CanonicalizationError,
    proof_config,
    proof_kind,
    unsigned_properties,
    verify_proof,
)

REASONS: dict[str, Any] = {
    "valid": _l("The credential is valid."),
    "malformed": _l("This is not a well-formed verifiable credential."),
    "unknown_context": _l("The credential uses a JSON-LD context this verifier does not know."),
    "no_proof": _l("The credential carries no proof (it is unsigned)."),
    "unsupported_proof": _l("The credential's proof is not an Ed25519 Data Integrity proof."),
    "bad_signature": _l("The signature does not match the credential: it was altered or "
                        "forged."),
    "unknown_key": _l("The signing key is unknown or does not belong to the issuer."),
    "key_revoked": _l("The credential was signed after the issuer revoked the signing key."),
    "not_yet_valid": _l("The credential is not valid yet."),
    "expired": _l("The credential has expired."),
    "revoked": _l("The credential has been revoked."),
    "suspended": _l("The credential is suspended."),
    "status_unavailable": _l("The signature is valid, but the revocation status could not be "
                             "checked."),
}

BASE_CONTEXTS = (VC_V2, VC_V1)
#: how far a status list's issuer clock may run ahead of the verifier's
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ResolvedKey:
    """A verification method's public key, who controls it, and since when it is revoked
    (a compromised key: signatures made from then on do not count)."""

    public_key: Ed25519PublicKey
    controller: str
    revoked_at: datetime | None = None


KeyResolver = Callable[[str], "ResolvedKey | None"]
StatusFetcher = Callable[[str], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


class KeyResolutionError(LookupError):
    """A resolver could not reach or read a key source; treated as an unknown key."""


def _fail(reason: str, details: dict[str, Any], **more: Any) -> Verdict:
    details.update(more)
    return Verdict(False, reason, details)


def parse_datetime(value: Any) -> datetime:
    """An XSD dateTime with a timezone (`Z` or an offset)."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("date without a timezone")
    return parsed


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _structure(doc: Any, details: dict[str, Any]) -> str | None:
    """The reason the document is not a credential we can read, or None."""
    if isinstance(doc, str):
        # a compact JWS/JWT (VC-JWT): never accepted, whatever its alg says
        return "unsupported_proof" if doc.count(".") == 2 else "malformed"
    if not isinstance(doc, dict):
        return "malformed"
    contexts = doc.get("@context")
    if not isinstance(contexts, list) or not contexts:
        return "malformed" if contexts is None else "unknown_context"
    if contexts[0] not in BASE_CONTEXTS:
        return "unknown_context"
    types = _as_list(doc.get("type"))
    if "EnvelopedVerifiableCredential" in types:
        return "unsupported_proof"
    if "VerifiableCredential" not in types:
        return "malformed"
    issuer = _id_of(doc.get("issuer"))
    if issuer is None or not isinstance(doc.get("credentialSubject"), dict | list):
        return "malformed"
    details["issuer"] = issuer
    issuer_obj = doc.get("issuer")
    if isinstance(issuer_obj, dict) and isinstance(issuer_obj.get("name"), str):
        details["issuer_name"] = issuer_obj["name"]
    v2 = contexts[0] == VC_V2
    start_key, end_key = ("validFrom", "validUntil") if v2 else ("issuanceDate",
                                                                 "expirationDate")
    try:
        if start_key in doc:
            details["validFrom"] = parse_datetime(doc[start_key])
        if end_key in doc:
            details["validUntil"] = parse_datetime(doc[end_key])
    except ValueError:
        return "malformed"
    if any(isinstance(c, str) and not c for c in contexts) or not all(
            isinstance(c, str | dict) for c in contexts):
        return "malformed"
    return None


def _is_bindable(issuer: str) -> bool:
    """A DID issuer must control the signing key, or anyone could sign "as" it with a
    did:key of their own. Other issuer ids (https profiles, urn:uuid) cannot be tied
    to a key offline: the signature then proves integrity only, and the details say
    `issuer_key_bound: False` so a page can show it."""
    return issuer.startswith("did:")


def _check_proofs(doc: dict[str, Any], *, resolve_key: KeyResolver,
                  loader: DocumentLoader, details: dict[str, Any]) -> str:
    proofs = _as_list(doc.get("proof"))
    issuer = details["issuer"]
    failure: str | None = None
    for proof in proofs:
        if proof_kind(proof) is None or proof.get("proofPurpose") != "assertionMethod":
            continue  # unknown proof types are skipped (spec: proof sets)
        method = proof.get("verificationMethod")
        if not isinstance(method, str) or not method:
            failure = failure or "malformed"
            continue
        try:
            created = parse_datetime(proof["created"]) if "created" in proof else None
        except ValueError:
            failure = failure or "malformed"
            continue
        try:
            key = resolve_key(method)
        except KeyResolutionError:
            key = None
        if key is None:
            failure = failure or "unknown_key"
            continue
        if key.controller != issuer and _is_bindable(issuer):
            failure = failure or "unknown_key"
            continue
        if key.revoked_at is not None and (created is None or created >= key.revoked_at):
            failure = failure or "key_revoked"
            continue
        try:
            if proof_kind(proof) != "jcs":
                # JSON-LD "safe mode": what canonicalisation would drop is not signed,
                # so a document carrying such properties is refused, not half-trusted
                dropped = unsigned_properties(
                    {k: v for k, v in doc.items() if k != "proof"}, loader) + [
                    "proof/" + p for p in unsigned_properties(proof_config(doc, proof),
                                                              loader)]
                if dropped:
                    details["unsigned_properties"] = dropped
                    return "malformed"
            good = verify_proof(doc, proof, key.public_key, loader=loader)
        except UnknownContextError:
            return "unknown_context"
        except CanonicalizationError:
            return "malformed"
        if good:
            details["proof"] = {"verificationMethod": method,
                                "type": proof.get("type"),
                                "cryptosuite": proof.get("cryptosuite"),
                                "created": created}
            details["issuer_key_bound"] = key.controller == issuer
            return "valid"
        failure = failure or "bad_signature"
    return failure or "unsupported_proof"


def _check_status(doc: dict[str, Any], *, now: datetime, resolve_key: KeyResolver,
                  fetch_status_list: StatusFetcher | None, loader: DocumentLoader,
                  details: dict[str, Any]) -> str:
    results: list[dict[str, Any]] = []
    details["status"] = results
    lists: dict[str, tuple[str, bytes] | None] = {}  # url -> (purpose, bits) or None
    for entry in _as_list(doc.get("credentialStatus")):
        result: dict[str, Any] = {"type": entry.get("type") if isinstance(entry, dict) else None}
        results.append(result)
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            result["result"] = "unavailable"  # a status type we cannot check
            continue
        url = entry.get("statusListCredential")
        purpose = entry.get("statusPurpose")
        result.update(purpose=purpose, list=url)
        try:
            index = int(entry.get("statusListIndex"))
            size = int(entry.get("statusSize", 1))
        except (TypeError, ValueError):
            result["result"] = "unavailable"
            continue
        result["index"] = index
        # multi-bit status messages are not something we issue or read
        if not isinstance(url, str) or size != 1:
            result["result"] = "unavailable"
            continue
        if url not in lists:
            lists[url] = _load_list(url, issuer=details["issuer"], now=now,
                                    resolve_key=resolve_key,
                                    fetch_status_list=fetch_status_list, loader=loader)
        loaded = lists[url]
        if loaded is None or loaded[0] != purpose:
            result["result"] = "unavailable"
            continue
        try:
            result["result"] = "set" if status_list.is_set(loaded[1], index) else "clear"
        except status_list.StatusListError:
            result["result"] = "unavailable"
    purposes_set = {r.get("purpose") for r in results if r["result"] == "set"}
    if "revocation" in purposes_set:
        return "revoked"
    if "suspension" in purposes_set:
        return "suspended"
    if any(r["result"] == "unavailable" for r in results):
        return "status_unavailable"
    return "valid"


def _load_list(url: str, *, issuer: str, now: datetime, resolve_key: KeyResolver,
               fetch_status_list: StatusFetcher | None,
               loader: DocumentLoader) -> tuple[str, bytes] | None:
    """The list's purpose and bits, or None when it cannot be trusted: it must itself
    verify (signature, dates) and come from the credential's issuer."""
    if fetch_status_list is None:
        return None
    try:
        listed = fetch_status_list(url)
    except Exception:  # the fetcher's failure is "status unknown", never a crash
        return None
    if not isinstance(listed, dict):
        return None
    # a list made a moment ago on a server whose clock runs a little ahead is still good
    verdict = verify_credential(listed, now=now + CLOCK_SKEW, resolve_key=resolve_key,
                                loader=loader)
    if not verdict.ok or verdict.details.get("issuer") != issuer:
        return None
    if "BitstringStatusListCredential" not in _as_list(listed.get("type")):
        return None
    subject = listed.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        return None
    try:
        bits = status_list.decode(subject.get("encodedList"))
    except status_list.StatusListError:
        return None
    return subject.get("statusPurpose"), bits


def verify_credential(doc: Any, *, now: datetime, resolve_key: KeyResolver,
                      fetch_status_list: StatusFetcher | None = None,
                      loader: DocumentLoader | None = None) -> Verdict:
    """Verify `doc` (a parsed credential) as of `now` (aware datetime).

    :param resolve_key: verification-method URL -> ResolvedKey, or None when unknown.
    :param fetch_status_list: status-list URL -> the parsed list credential, or None
        when unreachable; without it, a credential with a status gets
        "status_unavailable".
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    loader = loader or default_loader()
    details: dict[str, Any] = {}
    reason = _structure(doc, details)
    if reason is not None:
        return _fail(reason, details)
    if not _as_list(doc.get("proof")):
        return _fail("no_proof", details)
    for ctx in doc["@context"]:
        if isinstance(ctx, str) and not loader.knows(ctx):
            return _fail("unknown_context", details, context=ctx)
    reason = _check_proofs(doc, resolve_key=resolve_key, loader=loader, details=details)
    if reason != "valid":
        return _fail(reason, details)
    details["signature"] = "valid"
    if "validFrom" in details and now < details["validFrom"]:
        return _fail("not_yet_valid", details)
    if "validUntil" in details and now > details["validUntil"]:
        return _fail("expired", details)
    if "credentialStatus" in doc:
        reason = _check_status(doc, now=now, resolve_key=resolve_key,
                               fetch_status_list=fetch_status_list, loader=loader,
                               details=details)
        if reason != "valid":
            return _fail(reason, details)
    return Verdict(True, "valid", details)
