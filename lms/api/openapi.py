"""The OpenAPI 3.1 document of every /api/v1 endpoint (and the issuer's DID document),
written by hand: the API is small, and a dict keeps the contract in one reviewable
place. tests/web/test_api_schemathesis.py holds the app to it."""

from __future__ import annotations

from lms.api.tokens import SCOPES
from lms.certificates.models import CertificateStatus

NO_NUL = "^[^\\u0000]*$"  # PostgreSQL refuses a NUL in any text (lms.security: 400)


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict, *, required: list | None = None) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": list(properties) if required is None else required}


STRING = {"type": "string"}
DATE = {"type": "string", "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}
#: scores and hours are exact decimals, sent as strings ("12.50")
DECIMAL = {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string", "description": "stable machine code"},
                       "message": {"type": "string", "description": "for people, localised"}},
    },
    "Certificate": _object({
        "serial": STRING,
        "status": {"type": "string", "enum": [s.value for s in CertificateStatus]},
        "verdict": {"type": "string", "enum": ["valid", "expired", "suspended", "revoked"],
                    "description": "the status as of today (an active certificate past its "
                                   "expiry is expired)"},
        "status_changed_at": MOMENT,
        "holder": _object({"id": {"type": "integer"}, "name": STRING}),
        "qualification": _object({"code": STRING, "title": STRING}),
        "level": _object({"code": STRING, "title": STRING}),
        "issuer": STRING,
        "issued_at": MOMENT,
        "valid_from": DATE,
        "expires_on": DATE,
    }),
    "CertificatePage": _object({
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "has_more": {"type": "boolean"},
    }),
    "RegisterEntry": _object({
        "name": {"type": "string", "description": "masked unless the holder chose the full "
                                                  "name"},
        "region": STRING,
        "specialities": STRING,
        "profile": STRING,
        "certificates": {"type": "array", "items": _object(
            {"qualification": STRING, "level": STRING, "serial": STRING})},
    }),
    "RegisterPage": _object({
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/RegisterEntry"}},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "has_more": {"type": "boolean"},
    }),
    "Result": _object({
        "attempt_id": {"type": "integer"},
        "exam": _object({"id": {"type": "integer"}, "code": STRING, "title": STRING}),
        "session_id": {"type": "integer"},
        "state": STRING,
        "started_at": MOMENT,
        "finished_at": _nullable("string", format="date-time"),
        "result": {"oneOf": [{"type": "null"}, _object({
            "score": DECIMAL, "max_score": DECIMAL, "percent": DECIMAL,
            "passed": _nullable("boolean"),
            "pending_manual": {"type": "integer", "minimum": 0},
            "released_at": _nullable("string", format="date-time"),
        })]},
    }),
    "ResultPage": _object({
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "has_more": {"type": "boolean"},
    }),
    "Plan": _object({
        "certificate": _object({"serial": STRING, "qualification": STRING, "level": STRING,
                                "expires_on": DATE}),
        "standing": {"type": "string", "enum": ["good", "due_soon", "overdue", "in_grace",
                                                "suspended", "expired"]},
        "next_deadline": _nullable("string", format="date"),
        "renewable": {"type": "boolean"},
        "recert_needed": {"type": "boolean"},
        "recert_window": {"oneOf": [{"type": "null"},
                                    {"type": "array", "items": DATE, "minItems": 2,
                                     "maxItems": 2}]},
        "recert_passed": {"type": "boolean"},
        "next_step": _object({
            "kind": {"type": "string", "enum": ["expired", "course", "hours", "recert",
                                                "recert_later", "renew", "none"]},
            "due": _nullable("string", format="date"), "course": STRING,
            "hours": {"oneOf": [{"type": "null"}, DECIMAL]}, "late": {"type": "boolean"}}),
        "cycles": {"type": "array", "items": _object({
            "number": {"type": "integer"}, "start": DATE, "end": DATE,
            "hours_required": DECIMAL, "hours_earned": DECIMAL,
            "courses_missing": {"type": "array", "items": STRING},
            "met": {"type": "boolean"}})},
    }),
    "Plans": _object({
        "user_id": {"type": "integer"},
        "today": DATE,
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Plan"}},
    }),
    "JsonLd": {"type": "object", "description": "a JSON-LD document (W3C VC / DID)"},
}


def _error(description: str) -> dict:
    return {"description": description, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema: str, description: str, media: str = "application/json") -> dict:
    return {"description": description,
            "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _secured(scope: str, operation: dict) -> dict:
    """An operation that needs a token with ``scope``, with its 400/401/403/429 answers."""
    responses = {
        "400": _error("a query parameter is not valid"),
        "401": _error("no token, or an unknown, expired or revoked one"),
        "403": _error(f"the token lacks the scope {scope}"),
        "429": _error("too many requests with this token"),
        **operation.pop("responses"),
    }
    return {**operation, "security": [{"bearerToken": [scope]}],
            "x-required-scope": scope, "responses": responses}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PAGE = _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000}, "page number")
PER_PAGE = _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100},
                  "items per page (default 50)")
USER_ID = {"name": "user_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
SERIAL = {"name": "serial", "in": "path", "required": True, "schema": {"type": "string"},
          "description": "the certificate's serial as printed (hyphens optional)"}


def _paths() -> dict:
    return {
        "/api/v1/certificates": {"get": _secured("certificates:read", {
            "operationId": "listCertificates",
            "summary": "Certificates of the qualifications in the token's scope, newest first",
            "parameters": [_query("status", {"type": "string", "enum": [
                s.value for s in CertificateStatus]}, "only certificates with this status"),
                PAGE, PER_PAGE],
            "responses": {"200": _ok("CertificatePage", "a page of certificates")}})},
        "/api/v1/certificates/{serial}": {"get": _secured("certificates:read", {
            "operationId": "getCertificate",
            "summary": "One certificate and its status",
            "parameters": [SERIAL],
            "responses": {"200": _ok("Certificate", "the certificate"),
                          "404": _error("no such certificate in the token's scope")}})},
        "/api/v1/register": {"get": _secured("register:read", {
            "operationId": "searchRegister",
            "summary": "The public register of qualified cadres (as /cadres shows it)",
            "parameters": [_query("q", {"type": "string", "pattern": NO_NUL},
                                  "words in region, specialities or profile"),
                           _query("level", {"type": "string", "pattern": NO_NUL},
                                  "a level code, e.g. junior"), PAGE],
            "responses": {"200": _ok("RegisterPage", "a page of the register (20 a page)")}})},
        "/api/v1/users/{user_id}/results": {"get": _secured("results:read", {
            "operationId": "listResults",
            "summary": "A candidate's exam attempts and results, for exams in scope",
            "parameters": [USER_ID, PAGE, PER_PAGE],
            "responses": {"200": _ok("ResultPage", "a page of attempts, newest first"),
                          "404": _error("no such user in the token's scope")}})},
        "/api/v1/users/{user_id}/plan": {"get": _secured("plans:read", {
            "operationId": "getPlan",
            "summary": "A holder's retraining plans, for certificates in scope",
            "parameters": [USER_ID],
            "responses": {"200": _ok("Plans", "the plans"),
                          "404": _error("no such user in the token's scope")}})},
        "/api/v1/credentials/{serial}": {"get": {
            "operationId": "getCredential",
            "summary": "The certificate's signed credential (Open Badges 3.0), public",
            "parameters": [SERIAL],
            "responses": {"200": _ok("JsonLd", "the credential", "application/ld+json"),
                          "404": _error("no certificate with this serial"),
                          "429": _error("too many requests from this address")}}},
        "/api/v1/status-lists/{list_id}": {"get": {
            "operationId": "getStatusList",
            "summary": "A signed Bitstring status list (revocation-N or suspension-N), public",
            "parameters": [{"name": "list_id", "in": "path", "required": True,
                            "schema": {"type": "string"}, "example": "revocation-0"}],
            "responses": {"200": _ok("JsonLd", "the status list credential",
                                     "application/ld+json"),
                          "404": _error("no such status list")}}},
        "/api/v1/openapi.json": {"get": {
            "operationId": "getOpenApi", "summary": "This document",
            "responses": {"200": {"description": "the OpenAPI document",
                                  "content": {"application/json": {
                                      "schema": {"type": "object"}}}}}}},
        "/.well-known/did.json": {"get": {
            "operationId": "getDidDocument",
            "summary": "The issuer's DID document (did:web), public",
            "responses": {"200": _ok("JsonLd", "the DID document", "application/ld+json"),
                          "404": {"description": "the issuer is not a did:web"}}}},
    }


def document() -> dict:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "UnionCadre Academy API",
            "version": "1.0.0",
            "description": (
                "Read access for integrations (a federation's HR or member system). "
                "Send a personal access token, created by an administrator under "
                "/admin/api-tokens, as `Authorization: Bearer <token>`. A token reads "
                "what an officer of its organisation sees, limited to its scopes "
                f"({', '.join(SCOPES)}). Errors are `{{\"error\": code, \"message\": text}}`."),
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerToken": {
                "type": "http", "scheme": "bearer",
                "description": "a personal access token (uca_…)"}},
            "schemas": SCHEMAS,
        },
    }
