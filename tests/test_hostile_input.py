"""Input no engine can store or no parser can read answers 4xx in the common shape, never 500."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/api/v1/companies/%00", "/companies/%00", "/api/v1/cards/JX%00",
                                  "/api/v1/reports/%00/close", "/c/%00", "/admin/sanctions/%00"])
def test_a_nul_in_the_path_is_not_found(client, path):
    resp = client.get(path) if "close" not in path else client.post(path, json={"note": "x"})
    assert resp.status_code == 404, (path, resp.status_code)


def test_a_nul_in_the_query_is_bad_input(client):
    resp = client.get("/api/v1/log/checkpoints?page=1%00")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("path", ["/api/v1/self/login", "/api/v1/companies", "/api/v1/cards/JX0000000000Q/reports"])
def test_json_nested_too_deep_is_bad_input(client, path):
    resp = client.post(path, data='{"a":' * 5000 + "1" + "}" * 5000, content_type="application/json")
    assert resp.status_code == 400, resp.status_code
    assert resp.get_json()["error"]["code"] == "invalid_json"
    assert resp.get_json()["error"]["message"]["zh"]


# --- what an API fuzzer found ----------------------------------------------------------------------

HUGE = "390540497674350129840128"


def _document(client) -> dict:
    return client.get("/api/openapi.json").get_json()


@pytest.mark.parametrize("query", ["page=1000000000000000000", f"page={HUGE}", f"page_size={HUGE}", "page=0"])
def test_a_page_number_past_the_bound_is_refused_not_an_overflow(client, query):
    # Public and never rate limited: a 500 here was anyone's to trigger.
    resp = client.get(f"/api/v1/log/checkpoints?{query}")
    assert resp.status_code == 422, resp.status_code
    assert query.split("=")[0] in resp.get_json()["error"]["fields"]


def test_a_companys_states_refuse_a_page_past_the_bound(client, factory):
    from tests.support.factory import bearer

    company, admin = factory.company()
    token = factory.token(admin.account)
    resp = client.get(f"/api/v1/companies/{company.uscc}/states?page={HUGE}", headers=bearer(token))
    assert resp.status_code == 422 and "page" in resp.get_json()["error"]["fields"]
    # The largest page the document allows is answered (empty), not an overflow.
    resp = client.get(f"/api/v1/companies/{company.uscc}/states?page={2**31 - 1}", headers=bearer(token))
    assert resp.status_code == 200 and resp.get_json()["workers"] == []


@pytest.mark.parametrize("path", ["/api/v1/log/proofs/inclusion?index=0&size=" + HUGE,
                                  f"/api/v1/log/proofs/consistency?from=1&to={HUGE}",
                                  f"/api/v1/log/entries/{HUGE}"])
def test_other_integers_past_the_bound_are_refused(client, path):
    assert client.get(path).status_code in (404, 422)


def _input_schemas(spec):
    """Every schema a request carries: parameters and request bodies, nested objects and arrays included."""
    def resolve(schema):
        while "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def walk(schema, where):
        schema = resolve(schema)
        yield where, schema
        for name, prop in schema.get("properties", {}).items():
            yield from walk(prop, f"{where}.{name}")
        if "items" in schema:
            yield from walk(schema["items"], f"{where}[]")
        for key in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(schema.get(key, [])):
                yield from walk(sub, f"{where}/{key}{i}")

    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for param in shared + op.get("parameters", []):
                yield from walk(param["schema"], f"{method.upper()} {path} {param['in']}:{param['name']}")
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                yield from walk(content["schema"], f"{method.upper()} {path} body({media})")


def test_every_integer_in_every_input_has_a_declared_maximum(client):
    spec = _document(client)
    numbers = [(where, s) for where, s in _input_schemas(spec) if s.get("type") in ("integer", "number")]
    assert len(numbers) > 10
    unbounded = [where for where, s in numbers if not isinstance(s.get("maximum"), (int, float))]
    assert not unbounded, unbounded
    assert all(s["maximum"] <= 2**31 - 1 for _where, s in numbers)


def test_reviewed_is_not_a_uscc_so_options_advertises_only_its_own_methods(client):
    resp = client.options("/api/v1/companies/reviewed")
    allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert "POST" in allowed and "GET" not in allowed, allowed
    # A real code still answers GET.
    assert "GET" in client.options("/api/v1/companies/91510100MA6CQ7XK3Y").headers["Allow"]


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", None, 0.0])
def test_booleans_must_be_json_booleans(client, factory, value):
    from sqlalchemy import func, select

    from registry.extensions import db
    from registry.log.models import LogEntry
    from tests.support.factory import bearer

    company, admin = factory.company()
    from registry.companies import services as companies

    user = companies.add_user(factory.ring, actor=admin.account, company=company, login="plain-user", name="张三")
    db.session.commit()
    headers = bearer(factory.token(admin.account))
    before = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
    resp = client.put(f"/api/v1/accounts/{user.account.ref}/disabled", json={"disabled": value}, headers=headers)
    assert resp.status_code == 422, (value, resp.status_code)
    assert "disabled" in resp.get_json()["error"]["fields"]
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one() == before
    assert not db.session.get(type(user.account), user.account.id).disabled


def test_every_input_schema_uses_strict_booleans_and_bounded_integers(app):
    """Field types, not each field's options, carry the rules: a new `…Args` schema cannot forget them."""
    from marshmallow import class_registry, fields

    from schemas.common import BoundedInteger, FormBoolean, StrictBoolean

    args = {cls for classes in class_registry._registry.values() for cls in classes if cls.__name__.endswith("Args")}
    assert len(args) > 20
    loose = [f"{cls.__name__}.{name}" for cls in args for name, f in cls._declared_fields.items()
             if (isinstance(f, fields.Boolean) and not isinstance(f, (StrictBoolean, FormBoolean)))
             or (isinstance(f, fields.Integer) and not isinstance(f, BoundedInteger))]
    assert not loose, loose


def test_retry_after_only_on_429(app, client):
    # Company sign-up is rate limited: its refusals used to say Retry-After: 3600 and clients waited an hour.
    resp = client.post("/api/v1/companies", json={"uscc": "x"})
    assert resp.status_code == 422
    assert "Retry-After" not in resp.headers
    assert "X-RateLimit-Limit" in resp.headers  # the budget is still described
    app.config["SIGNUP_LIMIT"] = "1 per hour"
    try:
        client.post("/api/v1/companies", json={})
        resp = client.post("/api/v1/companies", json={})
    finally:
        app.config["SIGNUP_LIMIT"] = "1000 per hour"
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0


def test_the_document_declares_the_card_and_uscc_patterns_the_server_holds_to(client, factory):
    import re

    spec = _document(client)
    card = next(p for p in spec["paths"]["/api/v1/cards/{card_no}"]["parameters"] if p["name"] == "card_no")
    uscc = next(p for p in spec["paths"]["/api/v1/companies/{uscc}"]["parameters"] if p["name"] == "uscc")
    card_re, uscc_re = re.compile(card["schema"]["pattern"]), re.compile(uscc["schema"]["pattern"])
    company, _ = factory.company()
    assert uscc_re.match(company.uscc) and not uscc_re.match("00") and not uscc_re.match("reviewed")
    from registry.workers import cardno

    assert card_re.match(cardno.new_card_no()) and not card_re.match("00") and not card_re.match("JX123")
    # What the document refuses the server refuses too.
    assert client.get("/api/v1/cards/00").status_code == 422
    assert client.get("/api/v1/companies/00").status_code == 404


def test_a_nul_in_a_json_string_or_key_is_bad_input_naming_the_field(client):
    resp = client.post("/api/v1/self/login", json={"card_no": "JX\x00", "pin": "123456"})
    assert resp.status_code == 422, resp.status_code
    assert resp.get_json()["error"] == {
        "code": "invalid_input", "message": {"zh": "输入有误。", "en": "The input is not valid."},
        "fields": {"card_no": {"en": "Must not contain a NUL character.", "zh": "不能包含空字符。"}}}
    # Nested in objects and lists.
    resp = client.post("/api/v1/companies", data='{"admin": {"login": "a\\u0000b"}, "sectors": ["x", "\\u0000"]}',
                       content_type="application/json")
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {"admin.login", "sectors.1"}


def test_a_nul_in_a_page_form_is_bad_input_not_a_database_error(client):
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"login": "admin\x00", "password": "x", "csrf_token": token})
    assert resp.status_code == 422, resp.status_code
    assert "不能包含空字符" in resp.get_data(as_text=True)


def test_a_form_part_without_a_name_is_no_500(client):
    """A multipart part with no `name` reaches the NUL check as the key None (the API fuzzer sent one): it is read
    like any other part, and a NUL in its value is bad input."""
    parts = (b'--XyZ\r\nContent-Disposition: form-data\r\n\r\n%s\r\n'
             b'--XyZ\r\nContent-Disposition: form-data; name="login"\r\n\r\nadmin\r\n--XyZ--\r\n')
    resp = client.post("/api/v1/companies", data=parts % b"null", content_type="multipart/form-data; boundary=XyZ")
    assert resp.status_code == 422 and "admin" in resp.get_json()["error"]["fields"]  # on to the usual checks
    resp = client.post("/api/v1/companies", data=parts % b"a\x00b", content_type="multipart/form-data; boundary=XyZ")
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {""}


def test_half_a_utf16_pair_in_a_json_string_is_bad_input_not_a_500(client, factory):
    from tests.support.factory import bearer
    from tests.support.selfutil import employ

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    regulator = factory.regulator_for("housekeeping")
    # The regulator's note went as far as the access record and failed there with a 500.
    resp = client.post("/api/v1/workers/search", headers=bearer(factory.token(regulator)),
                       data='{"card_no": "' + worker.card_no + '", "purpose": "complaint", "note": "case \\ud800"}',
                       content_type="application/json")
    assert resp.status_code == 422, resp.status_code
    assert set(resp.get_json()["error"]["fields"]) == {"note"}
    # In a key, nested, and the low half alone; a whole pair (an emoji) is text like any other.
    resp = client.post("/api/v1/companies", data='{"admin": {"login": "a\\uDC00"}, "x\\ud83d": 1}',
                       content_type="application/json")
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {"admin.login", "x\ud83d"}
    whole = client.post("/api/v1/workers/search", headers=bearer(factory.token(regulator)),
                        data='{"card_no": "' + worker.card_no + '", "purpose": "complaint", "note": "\\ud83d\\ude00"}',
                        content_type="application/json")
    assert whole.status_code == 200, whole.status_code
