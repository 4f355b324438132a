"""Leaving a review with the code (API), the company's one reply, the company's list, and the rules they keep."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import canonical
from registry.extensions import db
from registry.keys.crypto import aad, unseal
from registry.log.models import LogEntry
from registry.log.services import ANONYMOUS_ACTOR
from registry.trace.models import ReviewCode, ServiceReview
from registry.trace.services import reference_of
from tests.support.cardworld import green_worker
from tests.support.traceutil import CUSTOMER_PHONE, last_review_code, record
from tests.support.webutil import count


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def review_body(ref, code, **over):
    return {"reference": ref, "code": code, "rating": 5, "tags": ["punctual", "careful"],
            "text": "阿姨很细心，准时到。", **over}


def leave(client, ref, code, **over):
    return client.post("/api/v1/reviews", json={**review_body(ref, code), **over})


def auth(factory, account):
    return {"Authorization": f"Bearer {factory.token(account)}"}


def test_a_customer_reviews_once_with_the_code_from_the_message(client, factory, world):
    service = record(factory, world)
    reference, code = last_review_code(factory)
    resp = leave(client, reference, code)
    assert resp.status_code == 201, resp.get_json()
    index = resp.get_json()["log_index"]
    db.session.expire_all()
    entry = db.session.get(LogEntry, index)
    body = json.loads(entry.body)
    assert (body["action"], body["actor"], entry.subject) == ("service:review", ANONYMOUS_ACTOR, service.log_ref)
    assert body["digest"] == canonical.digest(canonical.state_of(factory.ring, service))
    review = db.session.execute(select(ServiceReview)).scalar_one()
    assert (review.rating, review.tags, review.worker_id) == (5, ["careful", "punctual"], world.worker.id)
    assert unseal(factory.ring, review.text_enc, aad("service_reviews", "text", review.ref)) == "阿姨很细心，准时到。"
    assert db.session.execute(select(ReviewCode)).scalar_one().used_dt is not None
    # The same code again: the code is spent, so the refusal is the code's, never add_review's 409.
    again = leave(client, reference, code, rating=1)
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "review_code_invalid"
    assert count(ServiceReview) == 1


def test_the_reference_and_code_are_forgiven_as_people_type_them(client, factory, world):
    record(factory, world)
    reference, code = last_review_code(factory)
    resp = leave(client, reference.lower().replace("-", " "), code.lower().replace("-", ""))
    assert resp.status_code == 201, resp.get_json()


def test_phone_and_id_numbers_typed_in_the_text_are_masked_before_storing(client, factory, world):
    record(factory, world)
    reference, code = last_review_code(factory)
    resp = leave(client, reference, code, text=f"阿姨电话{CUSTOMER_PHONE}，身份证510101199003071234。")
    assert resp.status_code == 201
    review = db.session.execute(select(ServiceReview)).scalar_one()
    text = unseal(factory.ring, review.text_enc, aad("service_reviews", "text", review.ref))
    assert text == "阿姨电话139****0001，身份证5101**********1234。"


@pytest.mark.parametrize(("over", "field"), [
    ({"rating": 0}, "rating"),
    ({"rating": 6}, "rating"),
    ({"rating": "five"}, "rating"),
    ({"rating": True}, "rating"),
    ({"tags": ["punctual", "made_up"]}, "tags"),
    ({"tags": ["punctual", "professional", "careful", "polite", "tidy", "trustworthy"]}, "tags"),
    ({"tags": "punctual"}, "tags"),
    ({"text": "好" * 501}, "text"),
    ({"reference": ""}, "reference"),
])
def test_bad_fields_are_refused_with_the_field_named_and_no_try_counted(client, factory, world, over, field):
    record(factory, world)
    reference, good = last_review_code(factory)
    resp = leave(client, reference, good, **over)
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert field in err["fields"], err
    assert err["fields"][field]["zh"] and err["fields"][field]["en"]
    db.session.rollback()
    assert db.session.execute(select(ReviewCode)).scalar_one().failures == 0
    assert count(ServiceReview) == 0
    # The same code still works afterwards.
    assert leave(client, reference, good).status_code == 201


def test_five_hundred_characters_of_text_are_accepted(client, factory, world):
    record(factory, world)
    reference, code = last_review_code(factory)
    assert leave(client, reference, code, text="好" * 500, tags=[]).status_code == 201


def test_wrong_codes_count_are_committed_and_the_fifth_burns_the_code(client, factory, world):
    record(factory, world)
    reference, code = last_review_code(factory)
    wrong = "ABCD-EFGH" if code != "ABCD-EFGH" else "HGFE-DCBA"
    for n in range(1, 6):
        resp = leave(client, reference, wrong)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "review_code_invalid"
        db.session.rollback()
        row = db.session.execute(select(ReviewCode)).scalar_one()
        assert row.failures == n
    assert row.burnt_dt is not None
    # Burnt: the right code no longer opens the service.
    resp = leave(client, reference, code)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "review_code_invalid"
    assert count(ServiceReview) == 0


def test_an_expired_code_is_refused(client, factory, world, clock):
    record(factory, world)
    reference, code = last_review_code(factory)
    clock.shift(timedelta(days=14, minutes=1))
    resp = leave(client, reference, code)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "review_code_invalid"


def test_the_code_lasts_as_long_as_configured(app, client, factory, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_CODE_DAYS", 30)
    record(factory, world)
    reference, code = last_review_code(factory)
    clock.shift(timedelta(days=29))
    assert leave(client, reference, code).status_code == 201


def test_refused_attempts_are_limited_per_address_and_a_review_never_counts(app, client, factory, world,
                                                                             monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_ATTEMPT_LIMIT", "3 per minute")
    record(factory, world)
    first_ref, first_code = last_review_code(factory)
    assert leave(client, first_ref, first_code).status_code == 201  # a success spends nothing
    record(factory, world, phone="13912340002")
    reference, code = last_review_code(factory)
    for _ in range(3):
        assert leave(client, reference, "ZZZZ-ZZZZ").status_code == 422
    limited = leave(client, reference, code)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"]
    # Another address still has its budget.
    assert client.post("/api/v1/reviews", json=review_body(reference, code),
                       environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 201


def test_the_anonymous_endpoint_needs_no_token(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["paths"]["/api/v1/reviews"]["post"].get("security") is None


# --- the company's reply and list ------------------------------------------------------------------------------

def reviewed(client, factory, world, **over):
    """A service its customer reviewed, and its service number (what the company reads and replies with)."""
    service = record(factory, world, **over.pop("record", {}))
    reference, code = last_review_code(factory)
    assert leave(client, reference, code, **over).status_code == 201
    return service, service_number(service)


def service_number(service) -> str:
    return reference_of(service.ref)


def reply_url(world, reference):
    return f"/api/v1/companies/{world.company.uscc}/services/{reference}/reply"


def test_the_company_replies_once(client, factory, world):
    service, reference = reviewed(client, factory, world)
    headers = auth(factory, world.admin)
    resp = client.post(reply_url(world, reference), json={"text": "感谢评价！有事请拨 028-85123456。"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    entry = db.session.get(LogEntry, resp.get_json()["log_index"])
    body = json.loads(entry.body)
    assert (body["action"], body["actor"], entry.subject) == ("service:reply", world.admin.ref, service.log_ref)
    db.session.expire_all()
    review = db.session.execute(select(ServiceReview)).scalar_one()
    assert unseal(factory.ring, review.reply_enc, aad("service_reviews", "reply", review.ref)) == \
        "感谢评价！有事请拨 028-****3456。"
    assert review.replied_by == world.admin.ref
    again = client.post(reply_url(world, reference), json={"text": "再说一句"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_replied"


def test_a_service_without_a_review_cannot_be_replied_to(client, factory, world):
    service = record(factory, world)
    resp = client.post(reply_url(world, service_number(service)), json={"text": "谢谢"},
                       headers=auth(factory, world.admin))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_reviewed"


def test_the_company_never_holds_the_customers_reference(client, factory, world):
    """The customer's reference is half of what opens the service: a company that held it could spend the code's
    five tries and so keep bad reviews away. The company reads (and replies with) the service number instead."""
    service = record(factory, world)
    customers, code = last_review_code(factory)
    assert customers != service_number(service)
    headers = auth(factory, world.admin)
    answers = [client.get(f"/api/v1/companies/{world.company.uscc}/services", headers=headers),
               client.get(f"/api/v1/workers/{world.card_no}/services", headers=headers)]
    for resp in answers:
        assert resp.status_code == 200
        flat = resp.get_data(as_text=True)
        assert customers not in flat and customers.replace("-", "").lower() not in flat
        assert service_number(service) in flat
    assert leave(client, customers, code).status_code == 201
    # The customer's reference names nothing on the company's reply path.
    resp = client.post(reply_url(world, customers), json={"text": "谢谢"}, headers=headers)
    assert resp.status_code == 404


def test_the_reply_reference_is_forgiven_and_bad_text_refused(client, factory, world):
    _service, reference = reviewed(client, factory, world)
    headers = auth(factory, world.admin)
    for body in ({"text": "好" * 501}, {"text": ""}, {"text": "   "}):
        resp = client.post(reply_url(world, reference), json=body, headers=headers)
        assert resp.status_code == 422 and "text" in resp.get_json()["error"]["fields"], (body, resp.get_json())
    resp = client.post(reply_url(world, reference.lower().replace("-", "")), json={"text": "谢谢"}, headers=headers)
    assert resp.status_code == 201


def test_another_company_cannot_reply_nor_list(client, factory, world):
    _service, reference = reviewed(client, factory, world)
    other, other_admin = factory.company()
    headers = auth(factory, other_admin.account)
    assert client.post(reply_url(world, reference), json={"text": "谢谢"}, headers=headers).status_code == 404
    # Under its own USCC the other company's reference names nothing.
    resp = client.post(f"/api/v1/companies/{other.uscc}/services/{reference}/reply", json={"text": "谢谢"},
                       headers=headers)
    assert resp.status_code == 404
    assert client.get(f"/api/v1/companies/{world.company.uscc}/reviews", headers=headers).status_code == 404


def test_the_company_lists_its_reviews_newest_first_with_replies(client, factory, world):
    reviewed(client, factory, world, rating=2, tags=["late"], text="迟到了半小时")
    _s, second = reviewed(client, factory, world, record={"phone": "13912340002"}, rating=4, tags=[], text=None)
    headers = auth(factory, world.admin)
    assert client.post(reply_url(world, second), json={"text": "谢谢支持"}, headers=headers).status_code == 201
    resp = client.get(f"/api/v1/companies/{world.company.uscc}/reviews", headers=headers)
    assert resp.status_code == 200
    rows = resp.get_json()
    assert [r["rating"] for r in rows] == [4, 2]
    assert rows[0]["service_reference"] == second and rows[0]["reply"] == "谢谢支持"
    assert rows[1]["tags"] == [{"code": "late", "zh": "迟到", "en": "Late"}] and rows[1]["text"] == "迟到了半小时"
    assert rows[1]["card_no"] == world.card_no and rows[1]["name_masked"] == world.worker.name_masked
    flat = json.dumps(rows)
    assert "household" not in flat and "code" not in {k for r in rows for k in r}
