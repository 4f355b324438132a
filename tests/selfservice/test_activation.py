"""Activation codes and PINs: who may send a code, where it goes, expiry, single use, wrong
cards, the old PIN cut off, PIN rules and the lock-out."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.clock import now as utcnow
from registry.extensions import db
from registry.log.models import LogEntry
from registry.selfservice import services
from registry.selfservice.models import WorkerCode, WorkerLogin, WorkerSession
from registry.workers import cardno
from registry.workers.models import AccessRecord
from tests.support.selfutil import PIN, H, activate, employ, last_activation_code, send_code, signed_in


def log_count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


@pytest.fixture
def w(app, factory):
    company, admin = factory.company()
    other, other_admin = factory.company()
    worker = employ(factory, company, admin.account)
    return {"company": company, "admin": admin.account, "worker": worker, "card": worker.card_no,
            "other_admin": other_admin.account, "token": factory.token(admin.account),
            "other_token": factory.token(other_admin.account)}


def unknown_card() -> str:
    import random

    return cardno.new_card_no(random.Random(99))


def test_the_code_reaches_the_workers_phone_and_never_the_company(client, factory, w):
    before = log_count()
    resp = client.post(f"/api/v1/workers/{w['card']}/activation-code", headers=H(w["token"]))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"sent", "expires"} and body["sent"] is True
    code = last_activation_code(factory)
    assert code not in resp.get_data(as_text=True)
    # Unlogged: no entry, no log_index.
    assert log_count() == before
    # Stored as a keyed hash only, valid for 72 hours.
    row = db.session.execute(select(WorkerCode)).scalar_one()
    assert row.kind == "activation" and row.code_hash != code and code not in row.code_hash
    assert timedelta(hours=71, minutes=59) < row.expires_dt - row.created_dt <= timedelta(hours=72)
    assert row.created_by == w["admin"].ref
    # Opening the phone to send it is a read of personal data, on the worker's access record.
    access = db.session.execute(select(AccessRecord)).scalar_one()
    assert (access.purpose, access.fields, access.accessor_kind) == ("activation_code", "phone", "company")


def test_who_may_send_a_code(client, factory, w):
    path = f"/api/v1/workers/{w['card']}/activation-code"
    # A company that does not employ the worker: the same 404 as a card that does not exist.
    other = client.post(path, headers=H(w["other_token"]))
    missing = client.post(f"/api/v1/workers/{unknown_card()}/activation-code", headers=H(w["other_token"]))
    assert other.status_code == missing.status_code == 404
    assert other.get_json() == missing.get_json()
    # A regulator of the employer's sector, and market supervision, may.
    assert client.post(path, headers=H(factory.token(factory.regulator_for("housekeeping")))).status_code == 200
    market = factory.agency_user(factory.agency(sector="market")).account
    assert client.post(path, headers=H(factory.token(market))).status_code == 200
    # A regulator of another sector may not; nor may an anonymous caller.
    prop = factory.agency_user(factory.agency(sector="property")).account
    assert client.post(path, headers=H(factory.token(prop))).status_code == 404
    assert client.post(path).status_code == 401
    # A typo in the card number is told as such.
    typo = w["card"][:-1] + ("0" if w["card"][-1] != "0" else "1")
    assert client.post(f"/api/v1/workers/{typo}/activation-code", headers=H(w["token"])).get_json()["error"]["code"] \
        == "card_no_typo"
    # Only the allowed calls sent anything.
    from registry.notify.services import read_outbox

    assert len(read_outbox(factory.ring)) == 2


def test_activate_sets_the_pin_and_starts_a_session(client, factory, w):
    code = send_code(factory, w["admin"], w["worker"])
    before = log_count()
    resp = activate(client, w["card"].lower(), code.lower()[:4] + "-" + code.lower()[4:])
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"token", "expires", "card_no"} and body["card_no"] == w["card"]
    assert body["token"].startswith("jxw_")
    assert client.get("/api/v1/self", headers=H(body["token"])).status_code == 200
    assert log_count() == before
    login = db.session.execute(select(WorkerLogin)).scalar_one()
    assert login.pin_hash.startswith("$argon2") and PIN not in login.pin_hash and login.activated_dt
    # The token is stored as a hash only.
    assert body["token"] not in db.session.execute(select(WorkerSession.token_hash)).scalar_one()
    # Sign in with the PIN afterwards.
    again = client.post("/api/v1/self/login", json={"card_no": w["card"], "pin": PIN})
    assert again.status_code == 200 and again.get_json()["token"] != body["token"]


def test_an_activation_code_works_once(client, factory, w):
    code = send_code(factory, w["admin"], w["worker"])
    assert activate(client, w["card"], code).status_code == 200
    second = activate(client, w["card"], code, pin="318275")
    assert second.status_code == 422 and second.get_json()["error"]["code"] == "activation_code_invalid"
    # The PIN set by the first use still stands.
    assert client.post("/api/v1/self/login", json={"card_no": w["card"], "pin": PIN}).status_code == 200


def test_an_activation_code_expires_after_72_hours(app, factory, w):
    t0 = utcnow()
    services.issue_activation_code(factory.ring, actor=w["admin"], worker=w["worker"], now=t0)
    db.session.commit()
    code = last_activation_code(factory)
    for moment in (t0 + timedelta(hours=72), t0 + timedelta(hours=80)):
        with pytest.raises(services.Refusal) as refused:
            services.activate(factory.ring, card_no=w["card"], code=code, pin=PIN, now=moment)
        assert refused.value.code == "activation_code_invalid"
        db.session.rollback()
    started = services.activate(factory.ring, card_no=w["card"], code=code, pin=PIN,
                                now=t0 + timedelta(hours=72) - timedelta(seconds=1))
    assert started.worker.card_no == w["card"]


def test_expired_activation_code_is_refused_through_the_api(client, factory, w):
    code = send_code(factory, w["admin"], w["worker"], now=utcnow() - timedelta(hours=73))
    resp = activate(client, w["card"], code)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "activation_code_invalid"


def test_a_wrong_card_gets_the_same_answer_as_a_missing_card(client, factory, w):
    other = employ(factory, w["company"], w["admin"], name="刘桂兰", phone="13700001111")
    code = send_code(factory, w["admin"], w["worker"])
    on_other = activate(client, other.card_no, code)
    on_missing = activate(client, unknown_card(), code)
    assert on_other.status_code == on_missing.status_code == 422
    assert on_other.get_json() == on_missing.get_json()
    assert on_other.get_json()["error"]["code"] == "activation_code_invalid"
    assert set(on_other.get_json()["error"]["fields"]) == {"code"}
    # The code still works on its own card.
    assert activate(client, w["card"], code).status_code == 200


def test_a_card_number_with_a_typo_is_told_as_such(client, factory, w):
    code = send_code(factory, w["admin"], w["worker"])
    typo = w["card"][:5] + w["card"][6] + w["card"][5] + w["card"][7:]
    if typo == w["card"]:
        typo = w["card"][:-1] + ("0" if w["card"][-1] != "0" else "1")
    resp = activate(client, typo, code)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "card_no_typo" and "card_no" in resp.get_json()["error"]["fields"]
    short = activate(client, "JX123", code)
    assert short.status_code == 422 and short.get_json()["error"]["code"] == "card_no_invalid"


def test_a_new_code_cuts_off_the_old_pin_sessions_and_codes(client, factory, w):
    token = signed_in(client, factory, w["admin"], w["worker"])
    consent = client.post("/api/v1/self/consent-codes", headers=H(token)).get_json()["code"]
    # A regulator sends a new code: the old session, PIN and consent code stop working.
    regulator = factory.regulator_for("housekeeping")
    new_code = send_code(factory, regulator, w["worker"])
    assert client.get("/api/v1/self", headers=H(token)).status_code == 401
    refused = client.post("/api/v1/self/login", json={"card_no": w["card"], "pin": PIN})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "login_failed"
    detail = client.post(f"/api/v1/cards/{w['card']}/detail", json={"consent_code": consent})
    assert detail.get_json()["error"]["code"] == "consent_code_invalid"
    # An earlier unused activation code is withdrawn by the next one.
    newest = send_code(factory, w["admin"], w["worker"])
    assert activate(client, w["card"], new_code).get_json()["error"]["code"] == "activation_code_invalid"
    resp = activate(client, w["card"], newest, pin="318275")
    assert resp.status_code == 200
    assert client.post("/api/v1/self/login", json={"card_no": w["card"], "pin": "318275"}).status_code == 200
    assert db.session.execute(select(WorkerLogin.generation)).scalar_one() == 3


def test_activation_codes_burn_after_5_wrong_tries(client, factory, w):
    code = send_code(factory, w["admin"], w["worker"])
    wrong = "22222222" if code != "22222222" else "33333333"
    for _ in range(5):
        resp = activate(client, w["card"], wrong)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "activation_code_invalid"
    resp = activate(client, w["card"], code)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "activation_code_invalid"
    row = db.session.execute(select(WorkerCode)).scalar_one()
    assert row.failures == 5 and row.burnt_dt is not None and row.used_dt is None


@pytest.mark.parametrize("pin,why", [("20493", "6 to 12"), ("123456", "straight run"), ("777777", "repeat"),
                                     ("20a937", "digits only")])
def test_weak_pins_are_refused_and_keep_the_code(client, factory, w, pin, why):
    code = send_code(factory, w["admin"], w["worker"])
    resp = activate(client, w["card"], code, pin=pin)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "pin_weak" and why in err["fields"]["pin"]["en"] and err["fields"]["pin"]["zh"]
    assert activate(client, w["card"], code).status_code == 200


def test_a_malformed_code_is_told_apart_and_not_counted(client, factory, w):
    code = send_code(factory, w["admin"], w["worker"])
    resp = activate(client, w["card"], "ABC")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "code_format"
    assert db.session.execute(select(WorkerCode.failures)).scalar_one() == 0
    assert activate(client, w["card"], code).status_code == 200


def test_five_wrong_pins_lock_sign_in_until_the_lock_time_passes(app, factory, client, w):
    signed_in(client, factory, w["admin"], w["worker"])
    t0 = utcnow()
    for i in range(4):
        with pytest.raises(services.Refusal) as refused:
            services.sign_in(card_no=w["card"], pin="999990", now=t0 + timedelta(seconds=i))
        assert refused.value.code == "login_failed"
        db.session.commit()
    with pytest.raises(services.Refusal) as locked:
        services.sign_in(card_no=w["card"], pin="999990", now=t0 + timedelta(seconds=5))
    assert locked.value.code == "pin_locked" and locked.value.status == 423
    db.session.commit()
    # While locked, even the right PIN is refused.
    for moment in (t0 + timedelta(minutes=1), t0 + timedelta(seconds=5, minutes=15) - timedelta(microseconds=1)):
        with pytest.raises(Exception) as still:
            services.sign_in(card_no=w["card"], pin=PIN, now=moment)
        assert still.value.code == "pin_locked"
        db.session.rollback()
    started = services.sign_in(card_no=w["card"], pin=PIN, now=t0 + timedelta(seconds=5, minutes=15))
    assert started.worker.card_no == w["card"]
    db.session.commit()
    assert db.session.execute(select(WorkerLogin.failures)).scalar_one() == 0


def test_the_lock_out_through_the_api(client, factory, w):
    signed_in(client, factory, w["admin"], w["worker"])
    answers = [client.post("/api/v1/self/login", json={"card_no": w["card"], "pin": "999990"}) for _ in range(5)]
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 423]
    err = answers[-1].get_json()["error"]
    assert err["code"] == "pin_locked" and err["message"]["zh"] and err["message"]["en"]
    right = client.post("/api/v1/self/login", json={"card_no": w["card"], "pin": PIN})
    assert right.status_code == 423
    # A new activation code lifts the lock.
    code = send_code(factory, w["admin"], w["worker"])
    assert activate(client, w["card"], code).status_code == 200


def test_a_never_activated_card_locks_like_an_activated_one(client, factory, w):
    """The lock-out does not tell whether the card's owner ever activated self-service."""
    answers = [client.post("/api/v1/self/login", json={"card_no": w["card"], "pin": "204937"}).status_code
               for _ in range(5)]
    assert answers == [401, 401, 401, 401, 423]
    missing = [client.post("/api/v1/self/login", json={"card_no": unknown_card(), "pin": "204937"})
               for _ in range(2)]
    assert all(r.status_code == 401 and r.get_json()["error"]["code"] == "login_failed" for r in missing)


def test_an_ended_session_and_an_expired_one_stop_working(client, factory, w):
    token = signed_in(client, factory, w["admin"], w["worker"])
    assert services.worker_for_token(token, utcnow() + timedelta(hours=11, minutes=59)) is not None
    assert services.worker_for_token(token, utcnow() + timedelta(hours=12, minutes=1)) is None
    resp = client.post("/api/v1/self/logout", headers=H(token))
    assert resp.status_code == 200 and resp.get_json() == {"ended": True}
    assert client.get("/api/v1/self", headers=H(token)).status_code == 401


def test_tokens_do_not_cross_between_accounts_and_workers(client, factory, w):
    token = signed_in(client, factory, w["admin"], w["worker"])
    for path in ("/api/v1/self", "/api/v1/self/access", "/api/v1/self/state"):
        resp = client.get(path, headers=H(w["token"]))
        assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": f"Basic {token}"}).status_code == 401
    assert client.get("/api/v1/me", headers=H(token)).status_code == 401
    assert client.get(f"/api/v1/workers/{w['card']}", headers=H(token)).status_code == 401
    # Never in the URL.
    assert client.get(f"/api/v1/self?access_token={token}").status_code == 401


def test_the_message_links_to_the_activation_page_with_the_card_number_and_never_the_code(app, client, factory, w):
    from registry.notify.services import read_outbox

    code = send_code(factory, w["admin"], w["worker"])
    text = next(m["text"] for m in read_outbox(factory.ring, limit=5) if m["kind"] == "activation_code")
    link = f"{app.config['PUBLIC_URL'].rstrip('/')}/me/activate?card_no={w['card']}"
    assert link in text
    # The code is in the body for the worker to type, never in the link (a URL ends up in logs and histories).
    url = next(part for part in text.split() if part.startswith("http"))
    assert code not in url and f"{code[:4]}-{code[4:]}" not in url
    # The link opens the form with the card number filled in, and only that.
    page = client.get(url.removeprefix(app.config["PUBLIC_URL"].rstrip("/")))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    card_input = re.search(r'<input[^>]*id="card_no"[^>]*>', html).group(0)
    assert f'value="{w["card"]}"' in card_input
    code_input = re.search(r'<input[^>]*id="code"[^>]*>', html).group(0)
    assert "value=" not in code_input or 'value=""' in code_input
    assert code not in html
