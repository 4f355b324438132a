"""Every API operation: who may call it, one log entry per change, bad input.

The table lives in tests/support/api_world.py; the first test fails if the OpenAPI document
has an operation the table does not cover.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.log.models import LogEntry
from tests.support.api_world import OPS, PRINCIPALS, World, call


def log_count() -> int:
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def table_counts() -> dict:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


@pytest.fixture
def world(app, factory, monkeypatch, tmp_path):
    # The walks repeat guessing endpoints on one card (activation, PIN, consent); the limit is tested apart.
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "1000 per minute")
    monkeypatch.setitem(app.config, "REVIEW_ATTEMPT_LIMIT", "1000 per minute")
    # A rules folder with a v2 beside v1, for the operator's adoption.
    from tests.support.rulesutil import use_rules_folder

    use_rules_folder(app, monkeypatch, tmp_path / "rules")
    return World.shared(factory)


def refusal_statuses(op, principal: str) -> tuple:
    """No credentials, or the wrong kind (an account token on the worker's own API, a worker token elsewhere): 401."""
    if principal == "anon" or (principal == "worker") != ("worker" in op.allowed):
        return (401,)
    return (403, 404)


def tried(op) -> list[str]:
    """The principals to call `op` as: public operations take no credentials, so no worker token is tried there."""
    return [p for p in PRINCIPALS if not (p == "worker" and "anon" in op.allowed)]


def openapi_operations(client) -> set[str]:
    spec = client.get("/api/openapi.json").get_json()
    return {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_the_table_covers_every_operation_of_the_openapi_document(client):
    assert openapi_operations(client) == {op.id for op in OPS}


def test_the_document_says_which_operations_take_a_bearer_token(client):
    """The document's security agrees with the matrix: a token is required exactly where nobody anonymous may
    call, and optional on the public operations that act as the caller when one is sent."""
    spec = client.get("/api/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for op in OPS:
        security = spec["paths"][op.template][op.method.lower()].get("security")
        if "anon" not in op.allowed:
            assert security == [{"bearerAuth": []}], op.id
        else:
            assert security in (None, [{}, {"bearerAuth": []}]), op.id
    optional = {op.id for op in OPS if spec["paths"][op.template][op.method.lower()].get("security")
                and "anon" in op.allowed}
    assert optional == {"POST /api/v1/cards/{card_no}/reports"}


def test_docs_page_lists_the_endpoints(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    assert b"swagger" in resp.data.lower()


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.id)
def test_authorisation_matrix(client, world, op):
    # Refusals first, so an allowed change (disabling a user, say) cannot mask them.
    for principal in [p for p in tried(op) if p not in op.allowed]:
        before_log = log_count()
        resp = call(client, world, op, principal)
        db.session.rollback()
        expected = refusal_statuses(op, principal)
        assert resp.status_code in expected, (principal, resp.status_code, resp.get_json())
        assert set(resp.get_json()) == {"error"}
        assert log_count() == before_log
    for i, principal in enumerate(sorted(op.allowed)):
        resp = call(client, world, op, principal)
        db.session.rollback()
        # After the first allowed change, a repeat may find the work done (409),
        # or the thing it acted on gone from its reach (an ended employment: 404).
        ok = (op.status,) if i == 0 or not op.changes_state else (op.status, 404, 409)
        assert resp.status_code in ok, (principal, resp.status_code, resp.get_json())


@pytest.mark.parametrize("op", [op for op in OPS if op.changes_state], ids=lambda op: op.id)
def test_each_change_writes_exactly_one_entry(client, world, op):
    principal = sorted(op.allowed)[0]
    before = log_count()
    resp = call(client, world, op, principal)
    assert resp.status_code == op.status, resp.get_json()
    db.session.rollback()
    if op.queued:
        # A queued task: the call itself writes nothing; each operation of the task writes one entry.
        assert set(resp.get_json()) == {"task_id"}
        assert log_count() == before
        from tests.support.importutil import run_queued_tasks

        run_queued_tasks(world.f.app)
        db.session.rollback()
        assert log_count() == before + op.entries
        actions = db.session.execute(select(LogEntry.action).where(LogEntry.seq >= before)).scalars().all()
        assert actions == [op.action] * op.entries
        return
    if not op.logged:
        # Unlogged by design (one-time codes, sessions): no entry, and no log_index to point at one.
        assert log_count() == before
        assert "log_index" not in resp.get_json()
        return
    assert log_count() == before + 1
    index = resp.get_json()["log_index"]
    assert isinstance(index, int) and index == before
    entry = db.session.get(LogEntry, index)
    assert entry.action == op.action
    assert json.loads(entry.body)["action"] == op.action


# --- bad input ---------------------------------------------------------------

def _resolve(spec, schema):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return spec["components"]["schemas"][name]
    return schema


def _wrong_value(schema):
    kind = "object" if {"allOf", "anyOf", "$ref"} & set(schema) else schema.get("type")
    return {"string": 12345, "integer": "not a number", "boolean": "maybe", "array": "not a list",
            "object": "not an object"}.get(kind, {"unexpected": "object"})


def _bad_bodies(spec, schema, good, prefix=""):
    """(description, body, field path) for each field: wrong type, missing if required, unknown field."""
    schema = _resolve(spec, schema)
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(spec, prop) if "$ref" in prop else prop
        path = f"{prefix}{name}"
        if name not in good:
            continue
        bad = dict(good)
        bad[name] = _wrong_value(prop)
        yield f"{path}: wrong type", bad, path
        if name in schema.get("required", []):
            missing = {k: v for k, v in good.items() if k != name}
            yield f"{path}: missing", missing, path
        if prop.get("type") == "object" and isinstance(good[name], dict) and "properties" in prop:
            for desc, inner, inner_path in _bad_bodies(spec, prop, good[name], prefix=f"{path}."):
                yield desc, {**good, name: inner}, inner_path
    yield f"{prefix}unknown field", {**good, "bogus_field": 1}, f"{prefix}bogus_field"


def _request_schema(spec, op):
    item = spec["paths"][op.template][op.method.lower()]
    body = item.get("requestBody")
    if not body:
        return None
    return body["content"]["application/json"]["schema"]


@pytest.mark.parametrize("op", [op for op in OPS if (op.changes_state or op.reads) and op.body], ids=lambda op: op.id)
def test_bad_input_for_every_field(client, world, op):
    spec = client.get("/api/openapi.json").get_json()
    schema = _request_schema(spec, op)
    assert schema is not None
    principal = sorted(op.allowed)[0]
    good = op.body(world)
    cases = list(_bad_bodies(spec, schema, good))
    assert len(cases) >= 2
    world.headers(principal)  # credentials made on first use (the worker's session) exist before the counts
    before = table_counts()
    for desc, body, path in cases:
        resp = call(client, world, op, principal, body=body)
        assert 400 <= resp.status_code < 500, (desc, resp.status_code)
        err = resp.get_json()["error"]
        assert err["code"] and err["message"]["zh"] and err["message"]["en"], desc
        assert path in err["fields"], (desc, err)
        assert err["fields"][path]["zh"] and err["fields"][path]["en"]
    db.session.rollback()
    assert table_counts() == before


def test_body_that_is_not_json_is_refused(client, world):
    resp = client.post("/api/v1/companies", data="not json", content_type="application/json")
    assert resp.status_code in (400, 422)
    assert resp.get_json()["error"]["code"]


SEMANTIC = [
    # (field path, override) → refused with that field named
    ("uscc", {"uscc": "91510100MA61234567"}),
    ("uscc", {"uscc": "short"}),
    ("district", {"district": "110101"}),
    ("contact.phone", {"contact": {"name": "孙联系", "phone": "12345"}}),
    ("admin.password", {"admin": {"login": "fine-login", "name": "孙", "password": "short"}}),
    ("admin.login", {"admin": {"login": "Bad Login!", "name": "孙", "password": "a good long password"}}),
    ("business_model", {"business_model": None}),
    ("employee_conditions", {"business_model": "employee", "employee_conditions": {
        "contracts": True, "social_insurance": False, "minimum_wage": True, "ongoing_training": True}}),
    ("sectors", {"sectors": []}),
]


@pytest.mark.parametrize("path,override", SEMANTIC, ids=[s[0] + str(i) for i, s in enumerate(SEMANTIC)])
def test_signup_rules_name_the_field_and_store_nothing(client, world, path, override):
    op = next(o for o in OPS if o.id == "POST /api/v1/companies")
    body = {**op.body(world), **override}
    before = table_counts()
    resp = call(client, world, op, "anon", body=body)
    assert resp.status_code == 422, resp.get_json()
    assert path in resp.get_json()["error"]["fields"], resp.get_json()
    db.session.rollback()
    assert table_counts() == before


def test_duplicate_uscc_is_a_conflict(client, world):
    op = next(o for o in OPS if o.id == "POST /api/v1/companies")
    body = {**op.body(world), "uscc": world.company_a.uscc}
    resp = call(client, world, op, "anon", body=body)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "company_exists"


def test_a_failed_change_rolls_back_the_entry_with_it(app, world):
    """The entry and the change share one transaction: failing after both leaves neither."""
    from sqlalchemy import text

    from registry.accounts import services

    before = table_counts()
    services.issue_token(world.f.ring, account=world.accounts["a_admin"], name="doomed")
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO log_head (id, size) VALUES (1, 0)"))  # violates the primary key
        db.session.commit()
    db.session.rollback()
    assert table_counts() == before


def test_tokens_are_only_accepted_in_the_authorization_header(client, world):
    token = world.tokens["a_admin"]
    assert client.get(f"/api/v1/me?access_token={token}").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer jx_not-a-real-token"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Basic {token}"}).status_code == 401


def test_revoked_and_disabled_tokens_stop_working(client, world):
    op = next(o for o in OPS if o.id == "PUT /api/v1/accounts/{ref}/disabled")
    assert call(client, world, op, "a_admin").status_code == 200
    assert client.get("/api/v1/me", headers=world.headers("a_user")).status_code == 401
