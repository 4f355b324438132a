"""A sanction against a worker whose name, ID number, phone and photo were erased (registry/retention).

The worker's record and card number stay, so a regulator may still sanction them: a decision is recorded and
withdrawn as for anyone, and the steps that text a subject find no phone and send nothing. A serious listing's
notice is different: how it is delivered is the regulator's choice, and a text message (the default) cannot reach
a phone that is gone. Recording it as delivered by text today would start the objection window on a delivery that
never happened, so the choice is refused — 422 `worker_erased` on `delivery_method`, in Chinese and English, not
the company landline's words — and nothing is stored; a delivery the regulator records (post, in person) works.
The sanction page says why before the regulator tries, and does not preselect the text message.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.notify.models import OutboxMessage
from registry.retention import erasure
from registry.sanctions import repair
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction
from registry.workers import services as workers
from registry.workers.models import Worker
from tests.support.factory import bearer
from tests.support.sanctionutil import BASIS, FACTS, MEASURES, NOTICE_REASONS
from tests.support.selfutil import employ
from tests.support.webutil import post_form, regulator_client, text

START = date(2027, 3, 1)  # a Monday


@pytest.fixture
def world(app, factory, clock):
    """A former worker, erased (the retention job's erasure), and two regulators of a housekeeping agency."""
    from registry import clock as registry_clock

    clock.freeze(START)
    company, admin = factory.company()
    worker = employ(factory, company, admin.account, name="陈秀英")
    workers.end_employment(factory.ring, account=admin.account, company=company, worker=worker, end_date=START,
                           today=START)
    db.session.commit()
    erasure.erase_worker(factory.ring, worker=worker, actor="system", basis="retention_period", reference=None,
                         now=registry_clock.now(), today=START)
    db.session.commit()
    hk = factory.agency_user(factory.agency("housekeeping", code="hk-erased"))
    return {"card_no": worker.card_no, "worker_id": worker.id, "hk_user": hk, "hk": hk.account,
            "token": factory.token(hk.account)}


def notices_sent() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "notice")).scalar_one()


def log_size() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def sanction(ref: str) -> Sanction:
    db.session.rollback()
    return db.session.execute(select(Sanction).where(Sanction.ref == ref)).scalar_one()


def post(client, world, path, payload):
    return client.post(path, json=payload, headers=bearer(world["token"]))


def record_body(card_no: str, **over) -> dict:
    out = {"subject_kind": "worker", "card_no": card_no, "kind": "serious_list", "severity": "serious",
           "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES, "publish_months": 12}
    out.update(over)
    return out


def test_a_decision_is_recorded_and_withdrawn_against_an_erased_worker_texting_nobody(client, factory, world):
    assert db.session.get(Worker, world["worker_id"]).erased_dt is not None
    resp = post(client, world, "/api/v1/sanctions", record_body(
        world["card_no"], kind="fine", severity="general", decision_no="商务罚〔2027〕1号",
        decision_date=START.isoformat()))
    assert resp.status_code == 201, resp.get_json()
    ref = resp.get_json()["ref"]
    assert sanction(ref).state == "decided"
    repair.withdraw_sanction(factory.ring, regulator=world["hk"], sanction=sanction(ref), today=START,
                             authority="court", revoked_on=START, reason="判决撤销原处罚决定。")
    db.session.commit()
    assert sanction(ref).state == "withdrawn"
    assert notices_sent() == 0


def test_a_listing_notice_by_text_message_is_refused_with_worker_erased_and_nothing_stored(client, factory, world):
    resp = post(client, world, "/api/v1/sanctions", record_body(world["card_no"]))
    assert resp.status_code == 201, resp.get_json()
    ref = resp.get_json()["ref"]
    path = f"/api/v1/sanctions/{ref}/notify"
    before = log_size()
    for payload in ({"reasons": NOTICE_REASONS}, {"reasons": NOTICE_REASONS, "delivery_method": "sms"}):
        resp = post(client, world, path, payload)
        assert resp.status_code == 422, resp.get_json()
        error = resp.get_json()["error"]
        assert error["code"] == "worker_erased", error
        assert error["message"]["zh"] and error["message"]["en"]
        assert set(error["fields"]) == {"delivery_method"}
        field = error["fields"]["delivery_method"]
        assert "删除" in field["zh"] and "erased" in field["en"]
        assert "landline" not in field["en"] and "固定电话" not in field["zh"]
    # With another problem as well, every field is named at once (invalid_input, as for any form).
    with pytest.raises(ApiError) as both:
        sanctions.notify_sanction(factory.ring, regulator=world["hk"], sanction=sanction(ref), today=START,
                                  reasons="   ")
    assert (both.value.status, both.value.code, set(both.value.fields)) == (422, "invalid_input",
                                                                            {"reasons", "delivery_method"})
    db.session.rollback()
    assert log_size() == before and sanction(ref).state == "proposed" and notices_sent() == 0
    # A delivery the regulator records goes through; no text message is sent.
    resp = post(client, world, path, {"reasons": NOTICE_REASONS, "delivery_method": "post",
                                                     "delivered_on": START.isoformat()})
    assert resp.status_code == 200, resp.get_json()
    s = sanction(ref)
    assert (s.state, s.notice.delivery_method, s.notice.delivered_on) == ("notified", "post", START)
    assert log_size() == before + 1 and notices_sent() == 0


def test_the_sanction_page_says_no_text_message_can_reach_an_erased_worker(app, factory, world):
    changed = sanctions.record_sanction(
        factory.ring, regulator=world["hk"], today=START, subject_kind="worker", card_no=world["card_no"],
        kind="serious_list", severity="serious", legal_basis=BASIS, facts=FACTS, measures=MEASURES,
        publish_months=12)
    db.session.commit()
    ref = changed.sanction.ref
    browser = regulator_client(app, world["hk_user"])
    page = text(browser.get(f"/admin/sanctions/{ref}"))
    note = page.split('id="erased-subject"')[1].split("</p>")[0]
    assert "已依法删除" in note and "无法发送短信" in note
    assert 'id="landline"' not in page
    # The text message is not preselected.
    sms = re.search(r'<input type="radio" name="delivery_method" value="sms"[^>]*>', page)
    assert sms and "checked" not in sms.group(0)
    before = log_size()
    resp = post_form(browser, f"/admin/sanctions/{ref}/notify",
                     {"reasons": NOTICE_REASONS, "objection_days": "5", "delivery_method": "sms"},
                     page=f"/admin/sanctions/{ref}")
    body = text(resp)
    assert resp.status_code == 422 and 'data-code="worker_erased"' in body
    assert 'href="#notify-delivery_method"' in body and "固定电话" not in body
    assert log_size() == before and notices_sent() == 0
    resp = post_form(browser, f"/admin/sanctions/{ref}/notify",
                     {"reasons": NOTICE_REASONS, "objection_days": "5", "delivery_method": "in_person",
                      "delivered_on": START.isoformat()},
                     page=f"/admin/sanctions/{ref}")
    assert resp.status_code == 302, text(resp)[:2000]
    assert sanction(ref).state == "notified" and notices_sent() == 0
