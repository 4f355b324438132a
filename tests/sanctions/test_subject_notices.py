"""The subject is told at every step of an objection, a credit repair and a withdrawal: a text message through the
one notification interface to its mobile on record (no names, no facts, no reasons), and a list it reads on the
company portal, on /me and through the API, derived from the steps' own rows."""
from __future__ import annotations

import json
from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.notify.models import OutboxMessage
from registry.notify.services import read_outbox
from registry.sanctions import services as sanctions
from registry.sanctions import subject_notices
from tests.support.factory import bearer
from tests.support.sanctionutil import record, regulators
from tests.support.selfutil import PHONE, PIN, employ, signed_in
from tests.support.webutil import login, post_form, text

START = date(2027, 3, 1)  # a Monday
PDF = b"%PDF-1.7\n% evidence\n"
REASONS = "当天按合同完成服务，证人王小明可以作证。"
ANSWER = "经核查，投诉人张大伟的陈述属实。"
STATEMENT = "已全额缴纳罚款，并向李某某赔礼道歉。"
COMPANY_MOBILE = "+8613800138000"


@pytest.fixture
def w(app, client, factory, clock):
    clock.freeze(START)
    company, admin = factory.company()
    other, other_admin = factory.company()
    hk, _hk2 = regulators(factory, "housekeeping", code="hk")
    worker = employ(factory, company, admin.account)
    fine = record(factory, hk, company=company, kind="fine", severity="general", months=3, today=START)
    sanctions.publish_sanction(factory.ring, regulator=hk, sanction=fine, today=START)
    db.session.commit()

    class W:
        pass

    x = W()
    x.company, x.admin, x.other, x.worker, x.fine, x.hk = company, admin.account, other, worker, fine, hk
    x.t_admin, x.t_other, x.t_hk = (factory.token(admin.account), factory.token(other_admin.account),
                                    factory.token(hk))
    return x


def outbox(factory, since: int) -> list[dict]:
    """The messages sent after the outbox's row `since`, oldest first."""
    db.session.rollback()
    return [m for m in reversed(read_outbox(factory.ring, limit=500)) if m["id"] > since]


def last_id() -> int:
    db.session.rollback()
    return db.session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)).scalar() or 0


def file(client, uscc, ref, token):
    return client.post(f"/api/v1/companies/{uscc}/sanctions/{ref}/objections",
                       data={"reasons": REASONS, "documents": [(BytesIO(PDF), "a.pdf")]},
                       content_type="multipart/form-data", headers=bearer(token))


def step(client, sanction_ref, objection_ref, token, **body):
    resp = client.post(f"/api/v1/sanctions/{sanction_ref}/objections/{objection_ref}/steps", json=body,
                       headers=bearer(token))
    assert resp.status_code == 200, resp.get_json()
    return resp


def no_people(messages) -> None:
    """No names, no facts, no reasons: nothing the subject or the agency wrote reaches a message."""
    text = json.dumps([m["text"] for m in messages], ensure_ascii=False)
    for needle in ("王小明", "张大伟", "李某某", "陈秀英", REASONS, ANSWER, STATEMENT):
        assert needle not in text


def test_a_company_is_told_at_each_step_of_its_objection_and_reads_the_list(app, client, w, factory):
    before = last_id()
    resp = file(client, w.company.uscc, w.fine.ref, w.t_admin)
    assert resp.status_code == 201, resp.get_json()
    ref = resp.get_json()["ref"]
    [receipt] = outbox(factory, before)
    # The receipt, to the company's contact mobile, naming the agency and where to look; nothing else.
    assert receipt["kind"] == "notice" and receipt["recipient"] == COMPANY_MOBILE
    assert "异议已收到（回执）" in receipt["text"] and "家信企业工作台" in receipt["text"]
    step(client, w.fine.ref, ref, w.t_hk, step="accept")
    step(client, w.fine.ref, ref, w.t_hk, step="dismiss", reason=ANSWER)
    sent = outbox(factory, before)
    assert ["回执" in sent[0]["text"], "已受理" in sent[1]["text"], "异议不成立" in sent[2]["text"]] == [True] * 3
    assert {m["recipient"] for m in sent} == {COMPANY_MOBILE}
    no_people(sent)
    # The list, newest first: the same three steps.
    got = client.get(f"/api/v1/companies/{w.company.uscc}/notifications", headers=bearer(w.t_admin))
    assert got.status_code == 200
    items = got.get_json()
    assert [i["kind"] for i in items] == ["objection_dismissed", "objection_accepted", "objection_filed"]
    assert {i["sanction_ref"] for i in items} == {w.fine.ref} and items[0]["day"] == START.isoformat()
    no_people(items)
    # Another company's members do not read it; theirs is empty.
    assert client.get(f"/api/v1/companies/{w.company.uscc}/notifications",
                      headers=bearer(w.t_other)).status_code in (403, 404)
    assert client.get(f"/api/v1/companies/{w.other.uscc}/notifications", headers=bearer(w.t_other)).get_json() == []
    # The company portal lists them.
    portal = app.test_client()
    login(portal, w.admin.login, "correct horse battery")
    page = text(portal.get("/company"))
    assert 'id="notifications"' in page and page.count('class="notification"') == 3 and "异议不成立" in page


def test_upheld_is_told_once_even_when_it_withdraws_the_record(client, w, factory):
    before = last_id()
    ref = file(client, w.company.uscc, w.fine.ref, w.t_admin).get_json()["ref"]
    step(client, w.fine.ref, ref, w.t_hk, step="accept")
    step(client, w.fine.ref, ref, w.t_hk, step="uphold", reason=ANSWER, outcome="withdraw")
    sent = outbox(factory, before)
    assert len(sent) == 3 and "异议成立，原记录已撤回" in sent[-1]["text"]
    items = client.get(f"/api/v1/companies/{w.company.uscc}/notifications", headers=bearer(w.t_admin)).get_json()
    assert [i["kind"] for i in items] == ["objection_upheld_withdraw", "objection_accepted", "objection_filed"]


def test_a_rejected_objection_and_a_withdrawal_are_told(client, w, factory):
    ref = file(client, w.company.uscc, w.fine.ref, w.t_admin).get_json()["ref"]
    step(client, w.fine.ref, ref, w.t_hk, step="reject", reason=ANSWER)
    before = last_id()
    resp = client.post(f"/api/v1/sanctions/{w.fine.ref}/withdraw", headers=bearer(w.t_hk),
                       json={"authority": "review", "revoked_on": START.isoformat(), "reason": "复议决定撤销原处罚。"})
    assert resp.status_code == 200, resp.get_json()
    [sent] = outbox(factory, before)
    assert "已撤回" in sent["text"] and sent["recipient"] == COMPANY_MOBILE
    items = client.get(f"/api/v1/companies/{w.company.uscc}/notifications", headers=bearer(w.t_admin)).get_json()
    assert [i["kind"] for i in items] == ["withdrawn", "objection_rejected", "objection_filed"]


def test_a_worker_is_told_at_each_step_of_a_repair_and_reads_the_list_on_me(app, client, w, factory):
    s = record(factory, w.hk, worker=w.worker, kind="warning", severity="minor", months=3, today=START)
    token = signed_in(client, factory, w.admin, w.worker)
    before = last_id()

    def apply():
        resp = client.post(f"/api/v1/self/sanctions/{s.ref}/repairs",
                           data={"statement": STATEMENT, "pledge": "true"}, content_type="multipart/form-data",
                           headers=bearer(token))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["ref"]

    def decide(repair_ref, decision, reason=None):
        resp = client.post(f"/api/v1/sanctions/{s.ref}/repairs/{repair_ref}/decide",
                           json={"decision": decision, "reason": reason}, headers=bearer(w.t_hk))
        assert resp.status_code == 200, resp.get_json()

    decide(apply(), "reject", "证明材料不足，张大伟未确认已赔偿。")
    decide(apply(), "approve")
    sent = outbox(factory, before)
    assert [m["recipient"] for m in sent] == ["+86" + PHONE] * 4
    assert ["回执" in sent[0]["text"], "未获通过" in sent[1]["text"], "回执" in sent[2]["text"],
            "已通过" in sent[3]["text"]] == [True] * 4
    assert all("家信个人服务页面" in m["text"] for m in sent)
    no_people(sent)
    items = client.get("/api/v1/self/notifications", headers=bearer(token)).get_json()
    assert [i["kind"] for i in items] == ["repair_approved", "repair_applied", "repair_rejected", "repair_applied"]
    # Not the company's: the worker's own sanctions only.
    assert w.fine.ref not in {i["sanction_ref"] for i in items}
    assert client.get("/api/v1/self/notifications").status_code == 401
    # /me lists them (the worker signed in on the pages with the PIN).
    page = app.test_client()
    assert post_form(page, "/me/login", {"card_no": w.worker.card_no, "pin": PIN}).status_code == 302
    me = text(page.get("/me"))
    assert 'id="notifications"' in me and me.count('class="notification"') == 4 and "信用修复申请已通过" in me


def test_no_message_to_a_landline_but_the_list_still_holds_the_step(client, factory, clock):
    clock.freeze(START)
    company, admin = factory.company(contact_phone="02887654321")
    hk, _ = regulators(factory, "housekeeping", code="hk-land")
    fine = record(factory, hk, company=company, kind="fine", severity="general", months=3, today=START)
    before = last_id()
    token = factory.token(admin.account)
    assert file(client, company.uscc, fine.ref, token).status_code == 201
    assert outbox(factory, before) == []
    items = client.get(f"/api/v1/companies/{company.uscc}/notifications", headers=bearer(token)).get_json()
    assert [i["kind"] for i in items] == ["objection_filed"]


def test_every_step_has_its_text_and_no_text_names_anyone():
    assert set(subject_notices.TEXTS) == {
        "objection_filed", "objection_accepted", "objection_rejected", "objection_upheld_correct",
        "objection_upheld_withdraw", "objection_dismissed", "repair_applied", "repair_approved", "repair_rejected",
        "withdrawn"}
    for zh, en in subject_notices.TEXTS.values():
        assert zh and en and "{" not in zh + en
