"""The card's attempt budget counts failures only: knowing a card number is not enough to lock its worker out.

Two things can refuse a worker's sign-in, and each test names which: the PIN lock (5 wrong PINs in a row lock
sign-in for PIN_LOCK_MINUTES: 423 `pin_locked`) and the card's attempt budget (`ATTEMPT_LIMIT` failed attempts
of any kind on the card, whoever makes them: 429 `rate_limited`, with Retry-After).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from registry.extensions import limiter
from tests.support.selfutil import PIN, activate, employ, send_code, signed_in
from tests.support.webutil import post_form, text

WRONG_PIN = "999990"


@pytest.fixture
def budget(app, monkeypatch):
    """The default attempt budget (10 per 15 minutes) and PIN-failure limit, fresh counters."""
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "10 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_LIMIT", "10 per 15 minutes")
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def worker(factory, client):
    """An activated worker: its card number, and its employer's admin (who may send activation codes)."""
    company, admin = factory.company()
    registered = employ(factory, company, admin.account)
    signed_in(client, factory, admin.account, registered)
    return SimpleNamespace(card_no=registered.card_no, admin=admin, record=registered)


def sign_in(client, card_no, pin):
    return client.post("/api/v1/self/login", json={"card_no": card_no, "pin": pin})


def assert_budget_spent(resp):
    """The card's attempt budget refused it (not the PIN lock), saying when to come back."""
    assert resp.status_code == 429, (resp.status_code, resp.get_data(as_text=True)[:300])
    if resp.is_json:
        assert resp.get_json()["error"]["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) > 0


def test_twenty_right_sign_ins_never_lock_but_five_wrong_pins_lock_the_pin(client, worker, budget):
    # Twice the card's budget of right sign-ins: none is counted, so none is refused.
    for i in range(20):
        resp = sign_in(client, worker.card_no, PIN)
        assert resp.status_code == 200, (i, resp.get_json())
    # Five wrong PINs in a row: the fifth sets the PIN lock, and then even the right PIN is refused by it.
    answers = [sign_in(client, worker.card_no, WRONG_PIN) for _ in range(5)]
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 423]
    locked = sign_in(client, worker.card_no, PIN)
    assert locked.status_code == 423 and locked.get_json()["error"]["code"] == "pin_locked"


def test_the_cards_budget_counts_each_failure_and_then_refuses_every_attempt(client, worker, budget):
    # Wrong PINs from ten addresses (each far within its own limit), right sign-ins between them resetting
    # the PIN lock's run: the ten failures alone spend the card's budget.
    for i in range(10):
        address = {"REMOTE_ADDR": f"198.51.100.{i + 1}"}
        assert client.post("/api/v1/self/login", json={"card_no": worker.card_no, "pin": WRONG_PIN},
                           environ_base=address).status_code == 401
        if i % 2 and i < 9:
            assert sign_in(client, worker.card_no, PIN).status_code == 200
    assert_budget_spent(sign_in(client, worker.card_no, PIN))
    assert_budget_spent(client.post(f"/api/v1/cards/{worker.card_no}/detail", json={"consent_code": "22222222"}))
    # The worker's page answers the same refusal, in words, with Retry-After.
    page = post_form(client, "/me/login", {"card_no": worker.card_no, "pin": PIN})
    assert_budget_spent(page)
    assert "请求过于频繁" in text(page)


def test_right_consent_codes_and_activations_never_spend_the_budget(client, worker, budget, factory):
    token = sign_in(client, worker.card_no, PIN).get_json()["token"]
    for _ in range(12):
        code = client.post("/api/v1/self/consent-codes", headers={"Authorization": f"Bearer {token}"})
        assert code.status_code == 201
        opened = client.post(f"/api/v1/cards/{worker.card_no}/detail", json={"consent_code": code.get_json()["code"]})
        assert opened.status_code == 200, opened.get_json()
    for _ in range(11):
        resp = activate(client, worker.card_no, send_code(factory, worker.admin.account, worker.record))
        assert resp.status_code == 200, resp.get_json()


def test_right_sign_ins_on_the_page_never_lock(app, worker, budget):
    browser = app.test_client()
    for _ in range(12):
        resp = post_form(browser, "/me/login", {"card_no": worker.card_no, "pin": PIN})
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/me"), text(resp)[:500]
        assert post_form(browser, "/me/logout", page="/me").status_code == 302
