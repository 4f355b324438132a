"""Consent codes and the resident's detailed view: expiry, single use, wrong card, burning,
what is shown (and never shown), and the access record the worker then lists."""
from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.clock import now as utcnow
from registry.clock import today as shanghai_today
from registry.companies.uscc import ALPHABET
from registry.extensions import db
from registry.log.models import LogEntry
from registry.selfservice import services
from registry.selfservice.models import WorkerCode
from registry.workers import cardno
from registry.workers.models import AccessRecord
from tests.support.selfutil import PHONE, H, employ, new_id, signed_in

NAME = "欧阳秀英"


def log_count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


@pytest.fixture
def w(app, client, factory):
    company, admin = factory.company()
    id_number = new_id()
    worker = employ(factory, company, admin.account, name=NAME, id_number=id_number)
    token = signed_in(client, factory, admin.account, worker)
    return {"company": company, "admin": admin.account, "worker": worker, "card": worker.card_no, "token": token,
            "id_number": id_number}


def new_code(client, w) -> dict:
    resp = client.post("/api/v1/self/consent-codes", headers=H(w["token"]))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def view(client, card, code):
    return client.post(f"/api/v1/cards/{card}/detail", json={"consent_code": code})


def test_a_consent_code_is_8_characters_shown_once_and_stored_hashed(client, w):
    before = log_count()
    body = new_code(client, w)
    assert set(body) == {"code", "expires", "card_no"} and body["card_no"] == w["card"]
    assert len(body["code"]) == 8 and set(body["code"]) <= set(ALPHABET)
    row = db.session.execute(select(WorkerCode).where(WorkerCode.kind == "consent")).scalar_one()
    assert row.code_hash != body["code"] and body["code"] not in row.code_hash
    assert row.expires_dt - row.created_dt == timedelta(minutes=30)
    assert row.created_by == "worker"
    assert log_count() == before and "log_index" not in body


def test_the_detailed_view_spends_the_code_and_is_recorded(client, w):
    code = new_code(client, w)["code"]
    before = log_count()
    resp = view(client, w["card"], code.lower())
    assert resp.status_code == 200, resp.get_json()
    shown = resp.get_json()
    assert shown["card_no"] == w["card"] and shown["name_masked"] == "欧阳**"
    text = json.dumps(shown, ensure_ascii=False)
    for secret in (NAME, NAME[2:], w["id_number"], w["id_number"][-8:], PHONE, PHONE[-8:]):
        assert secret not in text
    assert {"employments", "training", "health", "insurance", "background", "photo", "status"} <= set(shown)
    assert log_count() == before
    row = db.session.execute(select(AccessRecord).where(AccessRecord.purpose == "consent_view")).scalar_one()
    assert row.accessor_kind == "resident" and row.organisation is None
    # The worker lists it: when, who, why, what.
    listed = client.get("/api/v1/self/access", headers=H(w["token"])).get_json()
    resident = [a for a in listed if a["accessor_kind"] == "resident"]
    assert len(resident) == 1
    assert resident[0]["who"]["zh"] == "居民（经您同意）" and resident[0]["purpose"] == "consent_view"
    assert "photo" in resident[0]["fields"] and "phone" not in resident[0]["fields"]
    assert resident[0]["consent_code_created"] is not None and resident[0]["when"]
    # The employer's sending of the activation code is on the list too.
    assert [a["purpose"] for a in listed] == ["consent_view", "activation_code"]
    # Single use.
    again = view(client, w["card"], code)
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "consent_code_invalid"


def test_consent_codes_expire_after_30_minutes(app, factory, w):
    t0 = utcnow()
    codes = [services.create_consent_code(factory.ring, worker=w["worker"], now=t0).code for _ in range(3)]
    db.session.commit()
    at_expiry, after, before = t0 + timedelta(minutes=30), t0 + timedelta(minutes=31), t0 + timedelta(minutes=30) - \
        timedelta(microseconds=1)
    for moment, code in ((at_expiry, codes[0]), (after, codes[1])):
        with pytest.raises(services.Refusal) as refused:
            services.open_with_consent(factory.ring, card_no=w["card"], consent_code=code, now=moment)
        assert refused.value.code == "consent_code_invalid"
        db.session.rollback()
    worker, _row = services.open_with_consent(factory.ring, card_no=w["card"], consent_code=codes[2], now=before)
    assert worker.card_no == w["card"]


def test_an_expired_code_is_refused_through_the_api(client, factory, w):
    code = services.create_consent_code(factory.ring, worker=w["worker"], now=utcnow() - timedelta(minutes=31)).code
    db.session.commit()
    resp = view(client, w["card"], code)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "consent_code_invalid"


def test_a_code_on_another_card_gets_the_same_answer_as_a_missing_card(client, factory, w):
    other = employ(factory, w["company"], w["admin"], name="刘桂兰", phone="13700001111")
    code = new_code(client, w)["code"]
    wrong = view(client, other.card_no, code)
    missing = view(client, cardno.new_card_no(random.Random(7)), code)
    assert wrong.status_code == missing.status_code == 422
    assert wrong.get_json() == missing.get_json()
    assert wrong.get_json()["error"]["code"] == "consent_code_invalid"
    assert set(wrong.get_json()["error"]["fields"]) == {"consent_code"}
    # Still good on its own card.
    assert view(client, w["card"], code).status_code == 200


def test_a_typo_in_the_card_number_answers_as_the_worker_lookup_does(client, factory, w):
    code = new_code(client, w)["code"]
    typo = w["card"][:-1] + ("0" if w["card"][-1] != "0" else "1")
    resp = view(client, typo, code)
    lookup = client.get(f"/api/v1/workers/{typo}", headers=H(factory.token(w["admin"])))
    assert resp.status_code == lookup.status_code == 422
    assert resp.get_json() == lookup.get_json()
    assert resp.get_json()["error"]["code"] == "card_no_typo"


def test_five_wrong_tries_burn_the_live_codes(client, w):
    first, second = new_code(client, w)["code"], new_code(client, w)["code"]
    wrong = next(c for c in ("22222222", "33333333", "44444444") if c not in (first, second))
    for _ in range(5):
        resp = view(client, w["card"], wrong)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "consent_code_invalid"
    for code in (first, second):
        resp = view(client, w["card"], code)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "consent_code_invalid"
    rows = db.session.execute(select(WorkerCode).where(WorkerCode.kind == "consent")).scalars().all()
    assert all(r.burnt_dt is not None and r.failures == 5 and r.used_dt is None for r in rows)
    assert db.session.execute(select(func.count()).select_from(AccessRecord)
                              .where(AccessRecord.purpose == "consent_view")).scalar_one() == 0
    # A fresh code works again.
    assert view(client, w["card"], new_code(client, w)["code"]).status_code == 200


def test_four_wrong_tries_leave_the_code_usable(client, w):
    code = new_code(client, w)["code"]
    wrong = "22222222" if code != "22222222" else "33333333"
    for _ in range(4):
        assert view(client, w["card"], wrong).status_code == 422
    assert view(client, w["card"], f" {code[:4]}-{code[4:]} ".lower()).status_code == 200


def test_a_malformed_code_is_told_apart_and_not_counted(client, w):
    code = new_code(client, w)["code"]
    for bad in ("1234", "ABCDEFGHJ", "ABCD!EFG"):
        resp = view(client, w["card"], bad)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "code_format"
    assert db.session.execute(select(WorkerCode.failures).where(WorkerCode.kind == "consent")).scalar_one() == 0
    assert view(client, w["card"], code).status_code == 200


def test_earlier_codes_stay_valid_up_to_three_live_ones(client, w):
    made = [new_code(client, w)["code"] for _ in range(4)]
    # The fourth pushed out the first.
    assert view(client, w["card"], made[0]).get_json()["error"]["code"] == "consent_code_invalid"
    for code in made[1:]:
        assert view(client, w["card"], code).status_code == 200


def test_what_the_resident_sees(client, factory, w):
    from registry.workers import photos
    from registry.workers import services as workers

    today = shanghai_today()
    ring, admin, company, worker = factory.ring, w["admin"], w["company"], w["worker"]
    data = {
        "identity": {"result": "verified", "checked_on": today},
        "health": {"result": "passed", "checked_on": today, "valid_until": today + timedelta(days=200)},
        "insurance": {"insurer": "中国人保", "valid_from": today - timedelta(days=10),
                      "valid_until": today + timedelta(days=300)},
        "background": {"result": "passed", "checked_on": today, "authority": "成都市公安局"},
        "training": {"course": "母婴护理", "hours": 40, "exam_passed": True, "trained_on": today,
                     "issuer": "成都市家庭服务业协会"},
    }
    for kind, values in data.items():
        workers.add_record(ring, account=admin, company=company, worker=worker, kind=kind, data=values, today=today)
        db.session.commit()
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (20, 30), (10, 200, 30)).save(png, "PNG")
    photos.set_photo(ring, account=admin, company=company, worker=worker, data=png.getvalue(), consent_on=today,
                     today=today)
    db.session.commit()
    shown = view(client, w["card"], new_code(client, w)["code"]).get_json()
    assert shown["status"]["colour"] == "green"
    assert shown["health"] == {"valid": True, "valid_until": (today + timedelta(days=200)).isoformat()}
    assert shown["insurance"] == {"valid": True, "valid_until": (today + timedelta(days=300)).isoformat()}
    assert shown["background"] == {"result": "passed", "checked_on": today.isoformat()}
    assert shown["training"] == [{"course": "母婴护理", "hours": "40.0", "exam_passed": True,
                                  "trained_on": today.isoformat(), "issuer": "成都市家庭服务业协会"}]
    assert [e["company_name"] for e in shown["employments"]] == [company.name]
    assert shown["employments"][0]["end_date"] is None
    assert shown["photo"].startswith("data:image/png;base64,")
    import base64

    decoded = base64.b64decode(shown["photo"].split(",", 1)[1])
    assert Image.open(io.BytesIO(decoded)).size == (20, 30)
    # The background authority and the insurer are details the resident does not get.
    text = json.dumps(shown, ensure_ascii=False)
    assert "成都市公安局" not in text and "中国人保" not in text


def test_without_records_the_view_says_so(client, w):
    shown = view(client, w["card"], new_code(client, w)["code"]).get_json()
    assert shown["photo"] is None and shown["training"] == []
    assert shown["health"] == {"valid": False, "valid_until": None}
    assert shown["insurance"] == {"valid": False, "valid_until": None}
    assert shown["background"] == {"result": None, "checked_on": None}
    assert shown["status"]["colour"] == "yellow"
