"""W3C Bitstring Status List v1.0: the compressed bit list behind revocation and
suspension, the (unsigned) list credential and the entry a credential carries.

Encoding (spec §3.2): bit `i` is the i-th bit counted from the most significant bit of
the first byte; the bytes are GZIP-compressed and written as multibase base64url
without padding (`u…`). The minimum size, 131,072 bits (16 KB), is what gives holders
herd privacy.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lms.credentials.loader import VC_V2
from lms.credentials.multibase import MultibaseError, decode_base64url, encode_base64url
from lms.credentials.proofs import xsd_datetime

MIN_SIZE = 131072
PURPOSES = ("revocation", "suspension")
# a decompression bomb guard: a list larger than this is not one we would ever trust
MAX_DECODED_BYTES = 16 * 1024 * 1024


class StatusListError(ValueError):
    pass


def encode(indices: Iterable[int], size: int = MIN_SIZE) -> str:
    """The `encodedList` value with the given bits set."""
    if size < MIN_SIZE or size % 8:
        raise StatusListError(f"a status list has at least {MIN_SIZE} bits, a multiple of 8")
    bits = bytearray(size // 8)
    for index in indices:
        if not 0 <= index < size:
            raise StatusListError(f"index {index} outside a list of {size} bits")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always give the same bytes (stable signatures, ETags)
    return encode_base64url(gzip.compress(bytes(bits), mtime=0))


def decode(encoded: str) -> bytes:
    """The raw bitstring of an `encodedList`."""
    try:
        compressed = decode_base64url(encoded)
    except MultibaseError as exc:
        raise StatusListError(str(exc)) from None
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as fh:
            data = fh.read(MAX_DECODED_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise StatusListError(f"not a GZIP stream: {exc}") from None
    if len(data) > MAX_DECODED_BYTES:
        raise StatusListError("status list too large")
    if not data:
        raise StatusListError("empty status list")
    return data


def is_set(decoded: bytes, index: int) -> bool:
    if not 0 <= index < len(decoded) * 8:
        raise StatusListError(f"index {index} outside a list of {len(decoded) * 8} bits")
    return bool(decoded[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(*, list_id: str, issuer: str | dict[str, Any], purpose: str,
                           indices: Iterable[int], valid_from: datetime,
                           valid_until: datetime | None = None,
                           size: int = MIN_SIZE) -> dict[str, Any]:
    """An unsigned BitstringStatusListCredential served at `list_id` (sign it with
    build.sign before publishing)."""
    if purpose not in PURPOSES:
        raise StatusListError(f"statusPurpose must be one of {PURPOSES}")
    doc: dict[str, Any] = {
        "@context": [VC_V2],
        "id": list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
    }
    if valid_until is not None:
        doc["validUntil"] = xsd_datetime(valid_until)
    doc["credentialSubject"] = {
        "id": f"{list_id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encode(indices, size),
    }
    return doc


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """The BitstringStatusListEntry a credential carries in `credentialStatus`."""
    if purpose not in PURPOSES:
        raise StatusListError(f"statusPurpose must be one of {PURPOSES}")
    if index < 0:
        raise StatusListError("negative status list index")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        # the spec writes the index as a string of digits
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }

