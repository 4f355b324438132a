"""Rate limits against scraping and guessing: look-ups per client address, 429 in the common error shape,
the same 429 whatever record is asked for, never on the transparency log, off with one setting, and on Redis."""
from __future__ import annotations

import secrets

import pytest
import redis

from registry.extensions import db, limiter
from registry.workers import cardno
from tests.support.cardworld import green_worker
from tests.support.freshapp import fresh_app

SMALL = 5
ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}
OTHER_ADDRESS = {"REMOTE_ADDR": "198.51.100.8"}
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def small_lookups(app, monkeypatch):
    """Look-ups limited to SMALL a minute per address, fresh counters."""
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT", f"{SMALL} per minute")
    limiter.reset()
    yield
    limiter.reset()


def assert_rate_limited(resp):
    """429 in the one error shape, saying when to come back."""
    assert resp.status_code == 429, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.get_json() == {"error": {"code": "rate_limited", "fields": {}, "message": {
        "zh": "请求过于频繁，请稍后再试。", "en": "Too many requests; try again later."}}}
    assert int(resp.headers["Retry-After"]) > 0


def exhaust(client, url, environ=ADDRESS, n=SMALL):
    for _ in range(n):
        assert client.get(url, environ_base=environ).status_code != 429


def test_company_lookups_answer_429_per_client_address(client, factory, small_lookups):
    company, _ = factory.company()
    url = f"/api/v1/companies/{company.uscc}"
    exhaust(client, url)
    assert_rate_limited(client.get(url, environ_base=ADDRESS))
    # Another address has its own budget.
    assert client.get(url, environ_base=OTHER_ADDRESS).status_code == 200


def test_the_company_page_shares_the_budget_and_answers_429_in_the_error_shape(client, factory, small_lookups):
    company, _ = factory.company()
    exhaust(client, f"/companies/{company.uscc}", n=SMALL - 1)
    assert client.get(f"/api/v1/companies/{company.uscc}", environ_base=ADDRESS).status_code == 200
    page = client.get(f"/companies/{company.uscc}", environ_base=ADDRESS)
    assert page.status_code == 429 and "请求过于频繁" in page.get_data(as_text=True)
    assert "rate_limited" in page.get_data(as_text=True)
    # Asked for JSON, the page answers in the API's shape.
    assert_rate_limited(client.get(f"/companies/{company.uscc}", environ_base=ADDRESS,
                                   headers={"Accept": "application/json"}))


def test_card_lookups_and_reports_share_the_budget(client, factory, small_lookups):
    world = green_worker(factory)
    urls = [f"/api/v1/cards/{world.card_no}", f"/c/{world.card_no}", f"/c/{world.card_no}/report"]
    for url in urls:
        assert client.get(url, environ_base=ADDRESS).status_code == 200, url
    assert client.post(f"/api/v1/cards/{world.card_no}/reports", json={"reason": "other"},
                       environ_base=ADDRESS).status_code == 201
    assert client.get(f"/api/v1/companies/{world.company.uscc}", environ_base=ADDRESS).status_code == 200
    assert_rate_limited(client.get(f"/api/v1/cards/{world.card_no}", environ_base=ADDRESS))
    assert_rate_limited(client.post(f"/api/v1/cards/{world.card_no}/reports", json={"reason": "other"},
                                    environ_base=ADDRESS))
    assert client.get(f"/c/{world.card_no}", environ_base=ADDRESS).status_code == 429
    assert client.get(f"/api/v1/cards/{world.card_no}", environ_base=OTHER_ADDRESS).status_code == 200


def test_a_429_is_the_same_whatever_record_is_asked_for(client, factory, small_lookups):
    """Once limited, a real card and an unknown one, a verified, a pending and an unknown company, look alike."""
    world = green_worker(factory)
    pending, _ = factory.company(verified=False)
    exhaust(client, f"/api/v1/companies/{factory.uscc()}")
    asks = [
        ("GET", f"/api/v1/cards/{world.card_no}", None),
        ("GET", f"/api/v1/cards/{cardno.new_card_no()}", None),
        ("POST", f"/api/v1/cards/{world.card_no}/reports", {"reason": "fake"}),
        ("POST", f"/api/v1/cards/{cardno.new_card_no()}/reports", {"reason": "fake"}),
        ("GET", f"/api/v1/companies/{world.company.uscc}", None),
        ("GET", f"/api/v1/companies/{pending.uscc}", None),
        ("GET", f"/api/v1/companies/{factory.uscc()}", None),
    ]
    answers = [client.open(url, method=method, json=body, environ_base=ADDRESS) for method, url, body in asks]
    for resp in answers:
        assert_rate_limited(resp)
    assert len({resp.get_data() for resp in answers}) == 1
    assert len({tuple(sorted(k for k in resp.headers.keys() if k != "Retry-After")) for resp in answers}) == 1
    # And before the limit, a pending company answers exactly as an unknown code does.
    fresh = {"REMOTE_ADDR": "198.51.100.99"}
    pending_answer = client.get(f"/api/v1/companies/{pending.uscc}", environ_base=fresh)
    unknown_answer = client.get(f"/api/v1/companies/{factory.uscc()}", environ_base=fresh)
    assert pending_answer.status_code == unknown_answer.status_code == 404
    assert pending_answer.get_data() == unknown_answer.get_data()


# --- never limited: the transparency log ---------------------------------------------------

LOG_URLS = {
    "/api/v1/log/checkpoint": "/api/v1/log/checkpoint",
    "/api/v1/log/key": "/api/v1/log/key",
    "/api/v1/log/entries/{index}": "/api/v1/log/entries/1",
    "/api/v1/log/proofs/inclusion": "/api/v1/log/proofs/inclusion?index=1&size=3",
    "/api/v1/log/proofs/consistency": "/api/v1/log/proofs/consistency?from=1&to=3",
    "/api/v1/log/checkpoints": "/api/v1/log/checkpoints",
    "/api/v1/log/receipts/{index}": "/api/v1/log/receipts/1",
}


@pytest.fixture
def tiny_limits(app, monkeypatch):
    """Every limit we have set to 1 an hour, plus default and application-wide limits of 1 an hour."""
    from flask_limiter import ApplicationLimit, Limit
    from flask_limiter.util import get_remote_address

    for key in ("LOOKUP_LIMIT", "ATTEMPT_LIMIT", "LOGIN_FAILURE_LIMIT", "SIGNUP_LIMIT"):
        monkeypatch.setitem(app.config, key, "1 per hour")
    manager = limiter.limit_manager
    saved = (manager._default_limits, manager._application_limits)
    manager.set_default_limits([Limit("1 per hour", key_function=get_remote_address).bind(limiter)])
    manager.set_application_limits([ApplicationLimit("1 per hour").bind(limiter)])
    limiter.reset()
    yield
    manager.set_default_limits(saved[0])
    manager.set_application_limits(saved[1])
    limiter.reset()


def test_the_log_endpoints_are_never_limited(client, factory, tiny_limits):
    from registry.database import write_intent
    from registry.log.checkpoints import sign_if_grown

    for _ in range(2):
        factory.company()
    db.session.rollback()
    with write_intent():
        assert sign_if_grown(factory.ring, factory.app.config["LOG_ORIGIN"]).status == "signed"
        db.session.commit()
    spec = client.get("/api/openapi.json", environ_base=OTHER_ADDRESS).get_json()
    documented = {path for path in spec["paths"] if path.startswith("/api/v1/log/")}
    assert documented == set(LOG_URLS), "add each new /api/v1/log/ path to LOG_URLS"
    calls = 0
    for _ in range(300):
        for url in LOG_URLS.values():
            resp = client.get(url, environ_base=ADDRESS)
            assert resp.status_code == 200, (url, resp.status_code)
            calls += 1
    assert calls >= 2000
    # The tiny limits do bite elsewhere, for the same address.
    company = factory.company()[0]
    codes = [client.get(f"/api/v1/companies/{company.uscc}", environ_base=ADDRESS).status_code for _ in range(3)]
    assert 429 in codes


# --- switched off; stored in Redis ------------------------------------------------------------

def test_ratelimit_enabled_false_turns_the_limits_off(app, factory, base_config):
    company, _ = factory.company()
    code = company.uscc  # read here: inside the fresh app, the test's session would borrow its engine
    with fresh_app(base_config, RATELIMIT_ENABLED=False, LOOKUP_LIMIT="2 per minute") as fresh:
        c = fresh.test_client()
        codes = {c.get(f"/api/v1/companies/{code}", environ_base=ADDRESS).status_code for _ in range(20)}
        assert codes == {200}
        assert {c.get(f"/companies/{code}", environ_base=ADDRESS).status_code for _ in range(5)} == {200}
    # The session's application limits again.
    assert limiter.enabled
    app.config["LOOKUP_LIMIT"] = "2 per minute"
    try:
        limiter.reset()
        client = app.test_client()
        codes = [client.get(f"/api/v1/companies/{code}", environ_base=ADDRESS).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:
        app.config["LOOKUP_LIMIT"] = "300 per minute"
        limiter.reset()


def test_the_environment_switch_reads_false(monkeypatch, tmp_path):
    from registry.config import from_environment

    monkeypatch.setenv("REGISTRY_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("REGISTRY_LOOKUP_LIMIT", "7 per second")
    config = from_environment(tmp_path)
    assert config["RATELIMIT_ENABLED"] is False and config["LOOKUP_LIMIT"] == "7 per second"
    monkeypatch.delenv("REGISTRY_RATELIMIT_ENABLED")
    monkeypatch.delenv("REGISTRY_LOOKUP_LIMIT")
    config = from_environment(tmp_path)
    assert config["RATELIMIT_ENABLED"] is True and config["LOOKUP_LIMIT"] == "300 per minute"
    assert config["ATTEMPT_LIMIT"] == config["LOGIN_FAILURE_LIMIT"] == "10 per 15 minutes"


def test_company_lookups_are_counted_in_redis(app, factory, base_config, monkeypatch):
    """REGISTRY_RATELIMIT_STORAGE_URL=redis://…: the counters live in the real Redis, under our key prefix."""
    company, _ = factory.company()
    url = f"/api/v1/companies/{company.uscc}"  # read here, outside the fresh app
    prefix = f"jiaxin-test-{secrets.token_hex(6)}"
    store = redis.Redis.from_url(REDIS_URL)
    assert store.ping()
    monkeypatch.setenv("REGISTRY_RATELIMIT_STORAGE_URL", REDIS_URL)
    config = {k: v for k, v in base_config.items() if k != "RATELIMIT_STORAGE_URI"}
    try:
        with fresh_app(config, RATELIMIT_KEY_PREFIX=prefix, LOOKUP_LIMIT="3 per minute") as fresh:
            assert fresh.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
            c = fresh.test_client()
            assert [c.get(url, environ_base=ADDRESS).status_code for _ in range(3)] == [200, 200, 200]
            assert_rate_limited(c.get(url, environ_base=ADDRESS))
            assert c.get(url, environ_base=OTHER_ADDRESS).status_code == 200
            keys = [k.decode() for k in store.scan_iter(match=f"*{prefix}*")]
            assert keys and any("lookups" in k and "198.51.100.7" in k for k in keys), keys
    finally:
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()
    assert not list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{prefix}*"))


@pytest.mark.parametrize("path", ["/api/v1/self/login", "/me/login"])
def test_failed_pin_sign_ins_are_limited_per_address_across_cards_and_per_card(app, client, monkeypatch, path):
    """One address cannot try a common PIN on many cards (failed sign-ins per address), nor many PINs on
    one card (attempts per card); each budget counts a request once."""
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_LIMIT", f"{SMALL} per minute")
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "3 per minute")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    limiter.reset()

    def sign_in(card, environ):
        if path.startswith("/api/"):
            return client.post(path, json={"card_no": card, "pin": "246802"}, environ_base=environ)
        return client.post(path, data={"card_no": card, "pin": "246802"}, environ_base=environ)

    statuses = [sign_in(cardno.new_card_no(), ADDRESS).status_code for _ in range(SMALL)]
    assert statuses == [401] * SMALL
    refused = sign_in(cardno.new_card_no(), ADDRESS)
    assert refused.status_code == 429
    if path.startswith("/api/"):
        assert_rate_limited(refused)
    assert sign_in(cardno.new_card_no(), OTHER_ADDRESS).status_code == 401
    one_card = cardno.new_card_no()
    addresses = [{"REMOTE_ADDR": f"203.0.113.{i}"} for i in range(4)]
    assert [sign_in(one_card, a).status_code for a in addresses] == [401, 401, 401, 429]
    limiter.reset()
