"""The worker's own API: full record, state to check against the log, self-service without
an employer, and the per-card limit on attempts."""
from __future__ import annotations

import base64
import json
import random

from sqlalchemy import select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers import cardno
from tests.support.selfutil import PHONE, PIN, H, activate, employ, new_id, send_code, signed_in


def test_the_worker_sees_their_full_record(client, factory):
    company, admin = factory.company()
    id_number = new_id()
    worker = employ(factory, company, admin.account, name="陈秀英", id_number=id_number)
    token = signed_in(client, factory, admin.account, worker)
    resp = client.get("/api/v1/self", headers=H(token))
    assert resp.status_code == 200
    me = resp.get_json()
    assert (me["name"], me["id_number"], me["phone"]) == ("陈秀英", id_number, "+86" + PHONE)
    assert me["card_no"] == worker.card_no and me["name_masked"] == "陈**"
    assert [e["company_name"] for e in me["employments"]] == [company.name]
    assert me["status"]["colour"] == "yellow" and me["records"] == []
    assert me["cards"] == [] and me["photo_on_file"] is False and me["activated"]


def test_the_state_download_matches_the_public_log(client, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    token = signed_in(client, factory, admin.account, worker)
    got = client.get("/api/v1/self/state", headers=H(token)).get_json()
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == worker.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert got["entry_index"] == entry.seq
    assert got["digest"] == json.loads(entry.body)["digest"]
    # Anyone can recompute the digest from the state alone, and it carries the salt.
    assert canonical.digest(got["state"]) == got["digest"]
    assert got["salt"] == got["state"]["salt"] == worker.salt
    assert got["log_ref"] == json.loads(entry.body)["subject"]
    # The public log serves the same entry.
    public = client.get(f"/api/v1/log/entries/{entry.seq}").get_json()
    assert json.loads(base64.b64decode(public["body"]))["digest"] == got["digest"]


def test_self_service_works_after_the_employment_ended(client, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    code = send_code(factory, admin.account, worker)
    ended = client.post(f"/api/v1/workers/{worker.card_no}/employment-end",
                        json={"end_date": shanghai_today().isoformat()}, headers=H(factory.token(admin.account)))
    assert ended.status_code == 200
    # The code sent while employed still activates; the record, state and consent codes all work.
    token = activate(client, worker.card_no, code).get_json()["token"]
    me = client.get("/api/v1/self", headers=H(token)).get_json()
    assert me["employments"][0]["end_date"] == shanghai_today().isoformat()
    state = client.get("/api/v1/self/state", headers=H(token)).get_json()
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == worker.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert entry.action == "worker:employment:end" and state["digest"] == json.loads(entry.body)["digest"]
    consent = client.post("/api/v1/self/consent-codes", headers=H(token)).get_json()["code"]
    shown = client.post(f"/api/v1/cards/{worker.card_no}/detail", json={"consent_code": consent})
    assert shown.status_code == 200 and shown.get_json()["employments"][0]["end_date"]
    assert client.post("/api/v1/self/login", json={"card_no": worker.card_no, "pin": PIN}).status_code == 200
    # The former employer can no longer send a code.
    assert client.post(f"/api/v1/workers/{worker.card_no}/activation-code",
                       headers=H(factory.token(admin.account))).status_code == 404


def test_ten_attempts_per_card_then_429_while_another_card_is_still_allowed(client, factory, app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "10 per 15 minutes")
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    other = employ(factory, company, admin.account, name="刘桂兰", phone="13700001111")
    code = send_code(factory, admin.account, worker)
    # Attempts of every kind share one budget per card: PIN, consent, activation.
    answers = [client.post("/api/v1/self/login", json={"card_no": worker.card_no, "pin": "999990"})
               for _ in range(4)]
    answers += [client.post(f"/api/v1/cards/{worker.card_no}/detail", json={"consent_code": "22222222"})
                for _ in range(3)]
    answers += [client.post("/api/v1/self/activate", json={"card_no": worker.card_no.lower(), "code": "2222-2222",
                                                          "pin": PIN}) for _ in range(3)]
    assert all(r.status_code in (401, 422) for r in answers), [r.status_code for r in answers]
    limited = activate(client, f" {worker.card_no[:5]} {worker.card_no[5:]} ", code)
    assert limited.status_code == 429
    err = limited.get_json()["error"]
    assert err["code"] == "rate_limited" and err["message"]["zh"] and err["message"]["en"]
    assert set(limited.get_json()) == {"error"}
    # Another card is still allowed, and so is a missing one (the limit says nothing about existence).
    assert client.post("/api/v1/self/login", json={"card_no": other.card_no, "pin": "999990"}).status_code == 401
    missing = cardno.new_card_no(random.Random(3))
    assert client.post("/api/v1/self/login", json={"card_no": missing, "pin": "999990"}).status_code == 401
    # Every kind of attempt on the card stays refused until the window passes.
    consent = client.post(f"/api/v1/cards/{worker.card_no}/detail", json={"consent_code": "22222222"})
    assert consent.status_code == 429
