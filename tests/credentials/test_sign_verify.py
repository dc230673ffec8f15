"""Our own credentials, signed in the test with our own keys: the rules hold without
../shared. C1 (tampering), C5 (key revocation at the verifier), C8 (foreign proofs)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from lms.credentials import dids, status_list
from lms.credentials.build import open_badge_credential, sign
from lms.credentials.loader import OB_V3_0_3, VC_V2
from lms.credentials.proofs import UnsignedPropertiesError
from lms.credentials.verify import verify_credential
from tests.credentials.helpers import NOW, did_key_resolver, key_entry, resolver, seeded_key

ISSUER_DID = "did:web:academy.example.cn"
KID = "key-20260101-0a1b2c3d"
METHOD = f"{ISSUER_DID}#{KID}"
KEY = seeded_key(7)
LIST_URL = "https://academy.example.cn/api/v1/status-lists/1"
SUSPEND_URL = "https://academy.example.cn/api/v1/status-lists/2"


def _credential(**overrides) -> dict:
    fields = dict(
        credential_id="urn:uuid:5b4c7a4e-2d7c-4d0c-9f62-1d1e0e4f8a11",
        issuer={"id": ISSUER_DID, "name": "中华全国总工会干部学院"},
        holder={"id": "urn:uuid:1f0e4f8a-0000-4000-8000-000000000001", "name": "张晓明"},
        achievement={"id": "https://academy.example.cn/qualifications/cadre/2",
                     "name": "工会干部职业资格（中级）",
                     "description": "中级工会干部职业资格",
                     "criteria": {"narrative": "完成必修课程并通过中级资格考试"}},
        valid_from=datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
        valid_until=datetime(2029, 1, 10, 8, 0, tzinfo=UTC),
        status=[status_list.status_entry(LIST_URL, 42, "revocation"),
                status_list.status_entry(SUSPEND_URL, 42, "suspension")],
        evidence=[{"id": "https://academy.example.cn/attempts/17", "name": "资格考试"}],
        name="工会干部职业资格证书",
    )
    fields.update(overrides)
    return open_badge_credential(**fields)


def _signed(doc=None, *, key=KEY, method=METHOD, created=None) -> dict:
    return sign(doc or _credential(), key, method,
                created or datetime(2026, 1, 10, 8, 0, 5, tzinfo=UTC))


def _lists(revoked=(), suspended=(), *, key=KEY, method=METHOD) -> dict[str, dict]:
    made = {}
    for url, purpose, bits in ((LIST_URL, "revocation", revoked),
                               (SUSPEND_URL, "suspension", suspended)):
        unsigned = status_list.status_list_credential(
            list_id=url, issuer=ISSUER_DID, purpose=purpose, indices=bits,
            valid_from=datetime(2026, 1, 1, tzinfo=UTC))
        made[url] = sign(unsigned, key, method, datetime(2026, 1, 1, tzinfo=UTC))
    return made


RESOLVE = resolver({METHOD: key_entry(KEY, ISSUER_DID)})


def _verify(doc, *, resolve=RESOLVE, lists=None, now=NOW):
    lists = _lists() if lists is None else lists
    return verify_credential(doc, now=now, resolve_key=resolve, fetch_status_list=lists.get)


def test_round_trip_is_valid_and_reports_what_it_checked():
    doc = _signed()
    verdict = _verify(doc)
    assert (verdict.ok, verdict.reason) == (True, "valid")
    assert verdict.details["issuer"] == ISSUER_DID
    assert verdict.details["issuer_name"] == "中华全国总工会干部学院"
    assert verdict.details["validUntil"] == datetime(2029, 1, 10, 8, 0, tzinfo=UTC)
    assert [s["result"] for s in verdict.details["status"]] == ["clear", "clear"]
    assert verdict.details["proof"]["verificationMethod"] == METHOD


def test_built_credential_has_the_ob3_shape():
    doc = _signed()
    assert doc["@context"] == [VC_V2, OB_V3_0_3]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["type"] == ["Profile"]
    assert doc["credentialSubject"]["type"] == ["AchievementSubject"]
    assert doc["credentialSubject"]["achievement"]["type"] == ["Achievement"]
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert doc["proof"]["created"] == "2026-01-10T08:00:05Z"
    # the Chinese text survives a JSON round trip and still verifies
    again = json.loads(json.dumps(doc, ensure_ascii=False))
    assert again["credentialSubject"]["name"] == "张晓明"
    assert _verify(again).ok


def test_chinese_strings_are_signed():
    """Canonicalisation must not drop or mangle CJK text: changing one character of the
    holder's name breaks the signature."""
    doc = _signed()
    doc["credentialSubject"]["name"] = "张晓朋"
    assert _verify(doc).reason == "bad_signature"


def _set(path):
    def change(doc):
        *parents, last = path
        target = doc
        for p in parents:
            target = target[p]
        target[last] = target[last] + "x" if isinstance(target[last], str) else "x"
    return change


TAMPERS = {
    "name": _set(["name"]),
    "validUntil": lambda d: d.__setitem__("validUntil", "2099-01-10T08:00:00Z"),
    "validFrom": lambda d: d.__setitem__("validFrom", "2025-01-10T08:00:00Z"),
    "subject name": _set(["credentialSubject", "name"]),
    "subject id": _set(["credentialSubject", "id"]),
    "achievement": _set(["credentialSubject", "achievement", "name"]),
    "issuer name": _set(["issuer", "name"]),
    "status index": lambda d: d["credentialStatus"][0].__setitem__("statusListIndex", "43"),
    "status dropped": lambda d: d.pop("credentialStatus"),
    "evidence": lambda d: d.pop("evidence"),
    "field added": lambda d: d.__setitem__("description", "伪造"),
    # properties no context defines: canonicalisation would drop them unsigned
    "subject field added": lambda d: d["credentialSubject"].__setitem__("grade", "优秀"),
    "achievement field added": lambda d: d["credentialSubject"]["achievement"].__setitem__(
        "level", "高级"),
    "issuer field added": lambda d: d["issuer"].__setitem__("seal", "伪造"),
    "status field added": lambda d: d["credentialStatus"][0].__setitem__("note", "x"),
    "proof field added": lambda d: d["proof"].__setitem__("comment", "x"),
    "context order": lambda d: d.__setitem__("@context", list(reversed(d["@context"]))),
    "proof created": lambda d: d["proof"].__setitem__("created", "2026-01-11T08:00:05Z"),
    "proof value": lambda d: d["proof"].__setitem__(
        "proofValue", d["proof"]["proofValue"][:-2] + (
            "11" if not d["proof"]["proofValue"].endswith("11") else "22")),
}


def test_undefined_properties_are_refused_not_half_signed():
    doc = _signed()
    doc["credentialSubject"]["achievement"]["level"] = "高级"
    verdict = _verify(doc)
    assert verdict.reason == "malformed"
    assert verdict.details["unsigned_properties"] == ["credentialSubject/achievement/level"]
    unsigned = _credential()
    unsigned["credentialSubject"]["grade"] = "优秀"
    with pytest.raises(UnsignedPropertiesError, match="credentialSubject/grade"):
        _signed(unsigned)


def test_did_key_issuer_round_trip():
    key = seeded_key(3)
    did = dids.did_key(key.public_key())
    doc = sign(_credential(issuer={"id": did, "name": "学院"}, status=[]), key,
               dids.did_key_verification_method(key.public_key()), NOW)
    verdict = verify_credential(doc, now=NOW, resolve_key=did_key_resolver)
    assert (verdict.reason, verdict.details["issuer_key_bound"]) == ("valid", True)


def test_dates_not_yet_valid_and_expired():
    doc = _signed()
    assert _verify(doc, now=datetime(2026, 1, 10, 7, 59, tzinfo=UTC)).reason == "not_yet_valid"
    assert _verify(doc, now=datetime(2029, 1, 10, 8, 1, tzinfo=UTC)).reason == "expired"
    # the signature was still checked first: a tampered, expired credential is bad_signature
    doc["name"] = "改"
    assert _verify(doc, now=datetime(2030, 1, 1, tzinfo=UTC)).reason == "bad_signature"


def test_revoked_and_suspended():
    doc = _signed()
    assert _verify(doc, lists=_lists(revoked={42})).reason == "revoked"
    assert _verify(doc, lists=_lists(suspended={42})).reason == "suspended"
    assert _verify(doc, lists=_lists(revoked={42}, suspended={42})).reason == "revoked"
    assert _verify(doc, lists=_lists(revoked={41, 43}, suspended={0})).reason == "valid"


def test_status_list_with_bad_signature_is_not_trusted():
    doc = _signed()
    lists = _lists(revoked={42})
    # someone rewrites the list to clear bit 42 without the key
    lists[LIST_URL]["credentialSubject"]["encodedList"] = status_list.encode(set())
    verdict = _verify(doc, lists=lists)
    assert verdict.reason == "status_unavailable"
    assert verdict.details["signature"] == "valid"


def test_status_list_signed_by_someone_else_is_not_trusted():
    other = seeded_key(55)
    other_method = "did:web:other.example#k1"
    resolve = resolver({METHOD: key_entry(KEY, ISSUER_DID),
                        other_method: key_entry(other, "did:web:other.example")})
    lists = {}
    for url, purpose in ((LIST_URL, "revocation"), (SUSPEND_URL, "suspension")):
        lists[url] = sign(status_list.status_list_credential(
            list_id=url, issuer="did:web:other.example", purpose=purpose, indices=(),
            valid_from=datetime(2026, 1, 1, tzinfo=UTC)), other, other_method, NOW)
    assert _verify(_signed(), resolve=resolve, lists=lists).reason == "status_unavailable"


def test_status_unreachable_and_no_fetcher():
    doc = _signed()
    assert _verify(doc, lists={}).reason == "status_unavailable"
    verdict = verify_credential(doc, now=NOW, resolve_key=RESOLVE)
    assert (verdict.ok, verdict.reason) == (False, "status_unavailable")

    def broken(url):
        raise OSError("network down")
    assert verify_credential(doc, now=NOW, resolve_key=RESOLVE,
                             fetch_status_list=broken).reason == "status_unavailable"


def test_status_list_with_wrong_purpose_is_not_used():
    lists = _lists(revoked={42})
    lists[LIST_URL], lists[SUSPEND_URL] = lists[SUSPEND_URL], lists[LIST_URL]
    assert _verify(_signed(), lists=lists).reason == "status_unavailable"


def test_proof_for_another_purpose_does_not_count():
    doc = _signed()
    doc["proof"]["proofPurpose"] = "authentication"
    assert _verify(doc).reason == "unsupported_proof"


def test_multiple_proofs_one_valid_is_enough_unknown_skipped():
    doc = _signed()
    doc["proof"] = [{"type": "SomeProofType", "proofValue": "zzz"}, doc["proof"]]
    assert _verify(doc).reason == "valid"
    doc["proof"] = [doc["proof"][0]]
    assert _verify(doc).reason == "unsupported_proof"


def test_structure_failures():
    doc = _signed()
    assert _verify({**doc, "@context": [OB_V3_0_3]}).reason == "unknown_context"
    assert _verify({**doc, "@context": [VC_V2, "https://evil.example/ctx"]}).reason \
        == "unknown_context"
    assert _verify({k: v for k, v in doc.items() if k != "issuer"}).reason == "malformed"
    assert _verify({**doc, "type": ["OpenBadgeCredential"]}).reason == "malformed"
    assert _verify({**doc, "validUntil": "next year"}).reason == "malformed"
    assert _verify([doc]).reason == "malformed"
    assert _verify({k: v for k, v in doc.items() if k != "proof"}).reason == "no_proof"


def test_sign_does_not_touch_its_input_and_replaces_a_proof():
    doc = _credential()
    before = copy.deepcopy(doc)
    signed = _signed(doc)
    assert doc == before
    resigned = _signed(signed, created=datetime(2026, 2, 1, tzinfo=UTC))
    assert resigned["proof"]["created"] == "2026-02-01T00:00:00Z"
    assert _verify(resigned).ok


def test_messages_are_human():
    verdict = _verify(_signed(), lists=_lists(revoked={42}))
    assert "revoked" in verdict.message
