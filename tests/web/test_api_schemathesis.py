"""Schemathesis against the app in process (WSGI): every operation of the OpenAPI
document, with a valid token so requests reach the handlers, must answer without a
server error and exactly as documented (status, content type, response schema,
headers). Derandomised and bounded, so it is reproducible and quick on both
databases."""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from lms.certificates.register import save_entry
from lms.extensions import db
from tests.api_factories import api_token, bearer
from tests.certificate_factories import certificate_of, certified_exam, sit
from tests.factories import make_org
from tests.retraining_factories import current_policy

#: examples per operation and generation mode
EXAMPLES = 80


@pytest.fixture
def seeded(app):
    """Two organisations with a certificate each (one listed in the register, one with
    a retraining policy), so that small ids and the list endpoints find real rows."""
    for name in ("东城区总工会", "西城区总工会"):
        org = make_org(name)
        exam, _ = certified_exam(org)
        certificate = certificate_of(sit(exam, 5, org=org))
        current_policy(certificate.level)
        save_entry(certificate.holder, listed=True, region="东城区", specialities="劳动法",
                   profile="调解", show_full_name=False)
    db.session.commit()
    _token, secret = api_token(None)
    return secret


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_openapi_document_loads_and_names_every_operation(app):
    labels = {operation.label for operation in _operations(app)}
    assert {"GET /api/v1/certificates", "GET /api/v1/certificates/{serial}",
            "GET /api/v1/register", "GET /api/v1/users/{user_id}/results",
            "GET /api/v1/users/{user_id}/plan", "GET /api/v1/credentials/{serial}",
            "GET /api/v1/status-lists/{list_id}", "GET /.well-known/did.json"} <= labels


def _can_be_invalid(operation) -> bool:
    """Whether negative generation has anything to break: a query parameter or a
    constrained path parameter (any string is a valid serial or list id)."""
    parameters = [*operation.query, *operation.path_parameters]
    return any(p.location == "query" or p.definition["schema"].get("type") != "string"
               for p in parameters)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, seeded, mode):
    from schemathesis import GenerationMode

    headers = bearer(seeded)
    statuses: dict[str, set[int]] = {}
    for operation in _operations(app):
        if mode == "negative" and not _can_be_invalid(operation):
            continue

        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            db.session.rollback()  # see what the request committed, hold no lock
            response = case.call_and_validate(headers=headers)
            statuses.setdefault(case.operation.label, set()).add(response.status_code)

        call()
    # the token was accepted: the handlers ran and answered with data
    if mode == "positive":
        for label in ("GET /api/v1/certificates", "GET /api/v1/register"):
            assert 200 in statuses[label], statuses
    else:
        assert any(400 in codes or 404 in codes for codes in statuses.values()), statuses


def test_the_answers_about_real_objects_match_the_schema_too(app, seeded):
    """Random serials never hit a certificate: ask about real ones, and validate the
    answers the same way."""
    from lms.certificates.models import Certificate

    certificate = db.session.scalars(sa.select(Certificate)).first()
    known = {"serial": certificate.serial, "user_id": certificate.holder_id,
             "list_id": "revocation-0"}
    answered = {}
    for operation in _operations(app):
        names = [p.name for p in operation.path_parameters]
        case = operation.Case(path_parameters={name: known[name] for name in names})
        answered[operation.label] = case.call_and_validate(headers=bearer(seeded)).status_code
    assert set(answered.values()) == {200}, answered
