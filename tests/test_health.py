def test_healthz_answers_when_database_does(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_unknown_api_path_uses_the_error_shape(client):
    resp = client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    err = resp.get_json()["error"]
    assert err["code"] == "not_found"
    assert err["message"]["zh"] and err["message"]["en"]
    assert err["fields"] == {}


def test_wrong_method_is_405_in_the_error_shape(client):
    resp = client.post("/healthz")
    assert resp.status_code == 405
    assert resp.get_json()["error"]["code"] == "method_not_allowed"


def test_security_headers(client):
    resp = client.get("/healthz")
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
