"""Input no engine can store or no parser can read answers 4xx in the common shape, never 500."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/api/v1/companies/%00", "/companies/%00", "/api/v1/cards/JX%00",
                                  "/api/v1/reports/%00/close", "/c/%00"])
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
