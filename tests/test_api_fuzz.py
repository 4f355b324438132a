"""The API fuzzed from its own OpenAPI document, and the document checked against the OpenAPI 3.0.3 standard.

Schemathesis generates requests for every operation from the document (values the document allows, so the
document must be as strict as the server) and checks that no answer is a 5xx and that every answer has a
documented status and matches the documented schema. It runs as nobody, as a company admin and as a
regulator, in a world where the path parameters it may borrow (a company's USCC, a card number) exist, so
requests get past "not found" to the handlers. Hypothesis is derandomized: CI fuzzes the same requests every
run, and a failure is reproducible.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.support.api_world import World

# Examples per operation and principal, of valid requests and of requests the document calls invalid (which
# must be refused with a 4xx, never a 5xx): the whole run (about 70 operations, three principals) stays within
# a couple of minutes on a small CI machine.
EXAMPLES = 12
NEGATIVE_EXAMPLES = 6
PRINCIPALS = ("anon", "a_admin", "reg_hk")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_the_openapi_document_is_valid_openapi_3_0_3(client):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.validators import OpenAPIV30SpecValidator

    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"] == "3.0.3"
    validate(spec, cls=OpenAPIV30SpecValidator)


def _known_path_parameters(world: World) -> dict:
    return {"uscc": world.company_a.uscc, "card_no": world.card_no, "task_id": world.task_id, "index": 0,
            "ref": world.accounts["a_user"].ref, "code": "hk", "reference": world.reviewed_reference}


def _strategy(operation, known: dict, mode: GenerationMode):
    """Generated path parameters, or (as often) ones that name something in the world."""
    names = {p.name for p in operation.path_parameters}
    generated = operation.as_strategy(generation_mode=mode)
    fixed = {name: known[name] for name in names if name in known}
    if not fixed:
        return generated
    return st.one_of(generated, operation.as_strategy(generation_mode=mode, path_parameters=fixed))


def _takes_input(operation) -> bool:
    """Whether there is anything to make invalid (an operation with no input has no negative cases)."""
    return any(len(part) for part in (operation.path_parameters, operation.query, operation.headers,
                                      operation.body))


@pytest.mark.fuzz
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_fuzz_every_operation(app, factory, monkeypatch, principal):
    # The guessing limits (10 per card) would answer most of the fuzzer's attempts with 429 and hide the handlers.
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "100000 per minute")
    monkeypatch.setitem(app.config, "REVIEW_ATTEMPT_LIMIT", "100000 per minute")
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT", "100000 per minute")
    world = World(factory)
    headers = world.headers(principal)
    known = _known_path_parameters(world)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60

    runs = [(operation, GenerationMode.POSITIVE, EXAMPLES) for operation in operations]
    runs += [(operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES) for operation in operations
             if _takes_input(operation)]
    for operation, mode, examples in runs:

        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, known, mode))
        def fuzz(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 — one operation's failure must not hide another's
            failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
