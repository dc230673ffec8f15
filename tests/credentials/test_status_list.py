"""Bitstring Status List encoding (W3C spec §3.2)."""

from __future__ import annotations

import base64
import gzip

import pytest

from lms.credentials import status_list as sl


def test_empty_list_is_131072_zero_bits_gzip_base64url_multibase():
    encoded = sl.encode(set())
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == bytes(16384)
    assert sl.decode(encoded) == raw


def test_bit_23_round_trip_and_bit_order():
    bits = sl.decode(sl.encode({23}))
    assert len(bits) * 8 == 131072
    # index 0 is the most significant bit of the first byte: 23 is byte 2, mask 0x01
    assert bits[2] == 0x01 and sum(bits) == 1
    assert sl.is_set(bits, 23)
    assert not sl.is_set(bits, 22) and not sl.is_set(bits, 24)


def test_many_bits_and_the_last_one():
    chosen = {0, 7, 8, 1000, 65535, 131071}
    bits = sl.decode(sl.encode(chosen))
    assert {i for i in range(131072) if sl.is_set(bits, i)} == chosen


def test_encoding_is_deterministic():
    assert sl.encode({5, 9}) == sl.encode({9, 5})


def test_bad_sizes_and_indices():
    with pytest.raises(sl.StatusListError):
        sl.encode(set(), size=1024)  # below the herd-privacy minimum
    with pytest.raises(sl.StatusListError):
        sl.encode({131072})
    with pytest.raises(sl.StatusListError):
        sl.is_set(sl.decode(sl.encode(set())), 131072)


def test_decode_rejects_garbage():
    for bad in ("", "zabc", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode()):
        with pytest.raises(sl.StatusListError):
            sl.decode(bad)


def test_decode_refuses_a_decompression_bomb():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(sl.MAX_DECODED_BYTES + 1)))\
        .decode().rstrip("=")
    with pytest.raises(sl.StatusListError):
        sl.decode(bomb)


def test_list_credential_and_entry_shapes():
    from datetime import UTC, datetime

    doc = sl.status_list_credential(
        list_id="https://ex.cn/api/v1/status-lists/3", issuer="did:web:ex.cn",
        purpose="suspension", indices={4}, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = doc["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "suspension"
    assert sl.is_set(sl.decode(subject["encodedList"]), 4)
    entry = sl.status_entry("https://ex.cn/api/v1/status-lists/3", 4, "suspension")
    assert entry == {"id": "https://ex.cn/api/v1/status-lists/3#4",
                     "type": "BitstringStatusListEntry", "statusPurpose": "suspension",
                     "statusListIndex": "4",
                     "statusListCredential": "https://ex.cn/api/v1/status-lists/3"}
    with pytest.raises(sl.StatusListError):
        sl.status_entry("https://ex.cn/l", 1, "refresh")
