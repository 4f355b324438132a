"""Objections (异议) to sanctions over HTTP: filed by the subject with sealed documents, answered only by the issuing
agency, each step one entry of the sanction; deadlines on the working-day calendar; an objection inside a listing
notice's window blocks the decision; `objection_pending` on every public appearance while one is pending."""
from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.attachments.models import Attachment
from registry.calendar import services as calendar
from registry.extensions import db
from registry.keys.crypto import state_hmac
from registry.log.models import LogEntry
from registry.sanctions import objections, worklist
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction, SanctionObjection
from tests.support.factory import bearer
from tests.support.sanctionutil import NOTICE_REASONS, record, regulators
from tests.support.selfutil import employ, signed_in

START = date(2027, 3, 1)  # a Monday, no holiday in the weeks after it
PDF = b"%PDF-1.7\n% evidence: the contract and the receipts\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake but sniffed as PNG"
REASONS = "当天按合同完成服务，附签收单和聊天记录。"


def entries(subject: str) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.subject == subject)
                                   .order_by(LogEntry.seq)).scalars())


def table_counts() -> dict:
    db.session.rollback()
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


@pytest.fixture
def w(app, client, factory, clock):
    clock.freeze(START)
    company, admin = factory.company()
    other, other_admin = factory.company()
    hk, hk2 = regulators(factory, "housekeeping", code="hk")
    prop, _ = regulators(factory, "property", code="prop")
    worker = employ(factory, company, admin.account)
    fine = record(factory, hk, company=company, kind="fine", severity="general", months=3, today=START)
    sanctions.publish_sanction(factory.ring, regulator=hk, sanction=fine, today=START)
    db.session.commit()

    class W:
        pass

    x = W()
    x.company, x.admin, x.other, x.worker, x.fine = company, admin.account, other, worker, fine
    x.hk, x.hk2, x.prop = hk, hk2, prop
    x.t_admin, x.t_other = factory.token(admin.account), factory.token(other_admin.account)
    x.t_hk, x.t_hk2, x.t_prop = factory.token(hk), factory.token(hk2), factory.token(prop)
    return x


def file(client, uscc, ref, token, *, reasons=REASONS, documents=(("a.pdf", PDF), ("b.png", PNG))):
    from io import BytesIO

    data = {"reasons": reasons, "documents": [(BytesIO(b), name) for name, b in documents]}
    return client.post(f"/api/v1/companies/{uscc}/sanctions/{ref}/objections", data=data,
                       content_type="multipart/form-data", headers=bearer(token))


def step(client, sanction_ref, objection_ref, token, **body):
    return client.post(f"/api/v1/sanctions/{sanction_ref}/objections/{objection_ref}/steps", json=body,
                       headers=bearer(token))


def listing(client, q):
    return client.get("/api/v1/listings", query_string={"q": q}).get_json()


def test_a_company_objects_with_sealed_documents_in_one_entry_of_the_sanction(client, factory, w):
    before = entries(w.fine.log_ref)
    resp = file(client, w.company.uscc, w.fine.ref, w.t_admin)
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["state"] == "received" and set(got) == {"log_index", "ref", "state"}
    assert entries(w.fine.log_ref) == before + ["sanction:objection:file"]
    entry = db.session.get(LogEntry, got["log_index"])
    s = db.session.get(Sanction, w.fine.id)
    # The entry's digest is the sanction's state with the objection and each document's HMAC of its SHA-256.
    state = canonical.state_of(factory.ring, s)
    assert json.loads(entry.body)["digest"] == canonical.digest(state)
    (o,) = state["objections"]
    assert o["state"] == "received" and o["filed_by_kind"] == "company" and o["in_window"] is False
    assert [d["content"] for d in o["documents"]] == [
        state_hmac(factory.ring, "attachment", hashlib.sha256(b).hexdigest()) for b in (PDF, PNG)]
    assert [d["content_type"] for d in o["documents"]] == ["application/pdf", "image/png"]
    # Stored sealed: neither the reasons nor any file's bytes are in the database in clear.
    rows = db.session.execute(select(Attachment).order_by(Attachment.position)).scalars().all()
    assert [r.size for r in rows] == [len(PDF), len(PNG)]
    assert all(PDF not in bytes(r.content_enc) and b"evidence" not in bytes(r.content_enc) for r in rows)
    assert REASONS not in db.session.execute(select(SanctionObjection.reasons_enc)).scalar_one()
    assert REASONS not in json.dumps(state, ensure_ascii=False)
    # The company reads its objection back; the issuing agency opens each document.
    mine = client.get(f"/api/v1/companies/{w.company.uscc}/objections", headers=bearer(w.t_admin)).get_json()
    assert [(m["ref"], m["reasons"], len(m["documents"])) for m in mine] == [(got["ref"], REASONS, 2)]
    assert mine[0]["deadline"]["kind"] == "accept"
    doc = client.get(f"/api/v1/sanctions/{w.fine.ref}/objections/{got['ref']}/documents/0", headers=bearer(w.t_hk))
    assert doc.status_code == 200 and doc.data == PDF and doc.mimetype == "application/pdf"
    # Another agency's regulator reads the objection (shared punishment) but not its documents.
    assert client.get(f"/api/v1/sanctions/{w.fine.ref}/objections", headers=bearer(w.t_prop)).status_code == 200
    assert client.get(f"/api/v1/sanctions/{w.fine.ref}/objections/{got['ref']}/documents/0",
                      headers=bearer(w.t_prop)).status_code == 403


def test_only_the_subject_files_and_one_objection_at_a_time(client, w):
    counts = table_counts()
    assert file(client, w.company.uscc, w.fine.ref, w.t_other).status_code == 403  # not a member of this company
    assert file(client, w.other.uscc, w.fine.ref, w.t_other).status_code == 404  # not the other company's sanction
    assert file(client, w.company.uscc, w.fine.ref, w.t_hk).status_code == 403
    assert table_counts() == counts
    assert file(client, w.company.uscc, w.fine.ref, w.t_admin).status_code == 201
    again = file(client, w.company.uscc, w.fine.ref, w.t_admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "objection_pending"


@pytest.mark.parametrize("documents, field, code", [
    ([("x.gif", b"GIF89a....")], "documents.0", "file_type"),
    ([("a.pdf", PDF)] * 6, "documents", "too_many_files"),
    # Over the limit (lowered here, as the photo tests do, so the test client spools no large file).
    ([("a.pdf", PDF), ("big.pdf", PDF + b"\0" * 200)], "documents.1", "file_too_large"),
    ([("html.pdf", b"<html>%PDF-1.7</html>")], "documents.0", "file_type"),
])
def test_bad_documents_are_refused_by_position_and_nothing_is_stored(client, w, monkeypatch, documents, field,
                                                                     code):
    from registry.attachments import rules as arules

    assert arules.MAX_BYTES == 5 * 1024 * 1024
    monkeypatch.setattr(arules, "MAX_BYTES", len(PDF) + 100)
    counts = table_counts()
    resp = file(client, w.company.uscc, w.fine.ref, w.t_admin, documents=documents)
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert field in err["fields"] and err["fields"][field]["zh"] and err["fields"][field]["en"]
    assert err["code"] == code
    assert table_counts() == counts


def test_reasons_are_required(client, w):
    resp = file(client, w.company.uscc, w.fine.ref, w.t_admin, reasons="  ", documents=())
    assert resp.status_code == 422 and "reasons" in resp.get_json()["error"]["fields"]


def test_only_the_issuing_agency_answers_and_every_refused_step_stores_nothing(client, w):
    ref = file(client, w.company.uscc, w.fine.ref, w.t_admin).get_json()["ref"]
    counts = table_counts()
    refused = step(client, w.fine.ref, ref, w.t_prop, step="accept")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_issuing_agency"
    assert step(client, w.fine.ref, ref, w.t_admin, step="accept").status_code == 403
    for name in ("uphold", "dismiss"):
        resp = step(client, w.fine.ref, ref, w.t_hk, step=name, reason="理由", outcome="withdraw" if name == "uphold"
                    else None)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "wrong_state"
    resp = step(client, w.fine.ref, ref, w.t_hk, step="reject")
    assert resp.status_code == 422 and "reason" in resp.get_json()["error"]["fields"]
    assert table_counts() == counts
    ok = step(client, w.fine.ref, ref, w.t_hk, step="accept")
    assert ok.status_code == 200 and ok.get_json()["state"] == "accepted"
    resp = step(client, w.fine.ref, ref, w.t_hk2, step="uphold", reason="异议成立")
    assert resp.status_code == 422 and "outcome" in resp.get_json()["error"]["fields"]
    resp = step(client, w.fine.ref, ref, w.t_hk2, step="dismiss", reason="经核查，原记录无误。")
    assert resp.status_code == 200 and resp.get_json() == {"log_index": resp.get_json()["log_index"],
                                                           "state": "dismissed", "sanction_state": "published"}
    done = step(client, w.fine.ref, ref, w.t_hk, step="uphold", reason="x", outcome="withdraw")
    assert done.status_code == 409 and done.get_json()["error"]["code"] == "objection_answered"
    assert entries(w.fine.log_ref)[-3:] == ["sanction:objection:file", "sanction:objection:accept",
                                            "sanction:objection:dismiss"]
    mine = client.get(f"/api/v1/companies/{w.company.uscc}/objections", headers=bearer(w.t_admin)).get_json()
    assert mine[0]["answer"] == "经核查，原记录无误。" and mine[0]["deadline"] is None


def test_upheld_with_withdraw_takes_the_record_off_every_public_view_in_the_same_entry(client, w):
    ref = file(client, w.company.uscc, w.fine.ref, w.t_admin).get_json()["ref"]
    step(client, w.fine.ref, ref, w.t_hk, step="accept")
    assert listing(client, w.company.uscc)[0]["objection_pending"] is True
    before = entries(w.fine.log_ref)
    resp = step(client, w.fine.ref, ref, w.t_hk, step="uphold", reason="处罚对象认定错误，予以撤销。",
                outcome="withdraw")
    assert resp.status_code == 200 and resp.get_json()["sanction_state"] == "withdrawn"
    assert entries(w.fine.log_ref) == before + ["sanction:objection:uphold"]
    s = db.session.get(Sanction, w.fine.id)
    assert s.state == "withdrawn" and not s.is_public(START) and not s.is_in_effect(START)
    assert listing(client, w.company.uscc) == []
    # A withdrawn record takes no new objection.
    again = file(client, w.company.uscc, w.fine.ref, w.t_admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_objectable"


def test_upheld_with_correct_corrects_the_record_in_the_same_entry(client, w):
    ref = file(client, w.company.uscc, w.fine.ref, w.t_admin).get_json()["ref"]
    step(client, w.fine.ref, ref, w.t_hk, step="accept")
    bad = step(client, w.fine.ref, ref, w.t_hk, step="uphold", reason="依据有误", outcome="correct",
               changes={"publish_months": 40})
    assert bad.status_code == 422 and "changes.publish_months" in bad.get_json()["error"]["fields"]
    before = entries(w.fine.log_ref)
    resp = step(client, w.fine.ref, ref, w.t_hk, step="uphold", reason="援引条文有误，予以更正。", outcome="correct",
                changes={"legal_basis": "《家政服务业信用建设指引》第十一条"})
    assert resp.status_code == 200 and resp.get_json()["sanction_state"] == "published"
    assert entries(w.fine.log_ref) == before + ["sanction:objection:uphold"]
    s = db.session.get(Sanction, w.fine.id)
    assert s.legal_basis == "《家政服务业信用建设指引》第十一条"
    assert [(c.fields, c.reason) for c in s.corrections] == [("legal_basis", "援引条文有误，予以更正。")]
    assert listing(client, w.company.uscc)[0]["objection_pending"] is False


def test_the_public_views_mark_a_pending_objection(client, factory, w, clock):
    card_sanction = record(factory, w.hk, worker=w.worker, kind="fine", severity="general", months=3, today=START)
    sanctions.publish_sanction(factory.ring, regulator=w.hk, sanction=card_sanction, today=START)
    db.session.commit()
    assert listing(client, w.company.uscc)[0]["objection_pending"] is False
    card = client.get(f"/api/v1/cards/{w.worker.card_no}").get_json()
    assert [x["objection_pending"] for x in card["sanctions"]] == [False]
    # The worker objects in self-service.
    token = signed_in(client, factory, w.admin, w.worker)
    from io import BytesIO

    resp = client.post(f"/api/v1/self/sanctions/{card_sanction.ref}/objections",
                       data={"reasons": REASONS, "documents": [(BytesIO(PDF), "x.pdf")]},
                       content_type="multipart/form-data", headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    assert entries(card_sanction.log_ref)[-1] == "sanction:objection:file"
    assert client.get("/api/v1/self/objections", headers=bearer(token)).get_json()[0]["ref"] == resp.get_json()["ref"]
    # Not the worker's: the company's fine.
    assert client.post(f"/api/v1/self/sanctions/{w.fine.ref}/objections", data={"reasons": REASONS},
                       content_type="multipart/form-data", headers=bearer(token)).status_code == 404
    card = client.get(f"/api/v1/cards/{w.worker.card_no}").get_json()
    assert [x["objection_pending"] for x in card["sanctions"]] == [True]
    assert listing(client, w.worker.card_no)[0]["objection_pending"] is True
    assert "异议处理中" in client.get(f"/c/{w.worker.card_no}").get_data(as_text=True)
    assert "Objection pending" in client.get(f"/c/{w.worker.card_no}?lang=en").get_data(as_text=True)
    # The company view and the listing page, for the company's fine.
    file(client, w.company.uscc, w.fine.ref, w.t_admin)
    html = client.get("/listings", query_string={"q": w.company.uscc, "lang": "zh"}).get_data(as_text=True)
    assert "异议处理中" in html
    english = client.get("/listings", query_string={"q": w.company.uscc, "lang": "en"}).get_data(as_text=True)
    assert "Objection pending" in english
    assert "异议处理中" in client.get(f"/companies/{w.company.uscc}?lang=zh").get_data(as_text=True)
    assert listing(client, w.company.uscc)[0]["objection_pending"] is True


# --- deadlines and the worklist ----------------------------------------------------------------------------------

def test_deadlines_count_working_days_are_configurable_and_the_worklist_shows_due_and_overdue(
        client, app, factory, w, clock, monkeypatch):
    ref = file(client, w.company.uscc, w.fine.ref, w.t_admin).get_json()["ref"]
    o = db.session.execute(select(SanctionObjection).where(SanctionObjection.ref == ref)).scalar_one()
    kind, deadline = objections.deadline_of(o)
    assert (kind, o.accept_days) == ("accept", 2) and deadline.day == date(2027, 3, 3)
    (due,) = worklist.worklist(w.hk, START).objections_due
    assert (due.kind, due.overdue, due.due_soon) == ("accept", False, False)
    (due,) = worklist.worklist(w.hk, date(2027, 3, 2)).objections_due
    assert due.due_soon and not due.overdue
    (due,) = worklist.worklist(w.hk, date(2027, 3, 4)).objections_due
    assert due.overdue
    assert worklist.worklist(w.prop, date(2027, 3, 4)).objections_due == []  # another agency's sanction
    # Accepted late, with the answer's days set to 5 then: fixed on the row, counted from acceptance.
    clock.freeze(date(2027, 3, 4))
    monkeypatch.setitem(app.config, "SANCTION_OBJECTION_ANSWER_WORKING_DAYS", 5)
    step(client, w.fine.ref, ref, w.t_hk, step="accept")
    db.session.expire_all()
    o = db.session.get(SanctionObjection, o.id)
    kind, deadline = objections.deadline_of(o)
    assert (kind, o.answer_days, deadline.day) == ("answer", 5, date(2027, 3, 11))
    monkeypatch.setitem(app.config, "SANCTION_OBJECTION_ANSWER_WORKING_DAYS", 10)
    assert objections.deadline_of(o)[1].day == date(2027, 3, 11)
    (due,) = worklist.worklist(w.hk, date(2027, 3, 12)).objections_due
    assert due.kind == "answer" and due.overdue
    page = client.get("/regulator", headers=bearer(w.t_hk))
    assert page.status_code in (200, 302, 401)


def test_the_default_deadlines_skip_weekends_and_holidays(client, factory, w, clock):
    # Filed on Wednesday 2026-09-30, before the National Day holidays (1 to 7 October).
    clock.freeze(date(2026, 9, 30))
    fine = record(factory, w.hk, company=w.company, kind="fine", severity="general", months=3,
                  decision_date=date(2026, 9, 30), today=date(2026, 9, 30))
    ref = file(client, w.company.uscc, fine.ref, w.t_admin).get_json()["ref"]
    o = db.session.execute(select(SanctionObjection).where(SanctionObjection.ref == ref)).scalar_one()
    day = objections.deadline_of(o)[1].day
    assert day == calendar.working_day_after(date(2026, 9, 30), 2).day
    assert day > date(2026, 10, 7)  # the holiday's days do not count
    clock.freeze(day)
    step(client, fine.ref, ref, w.t_hk, step="accept")
    db.session.expire_all()
    answer = objections.deadline_of(db.session.get(SanctionObjection, o.id))[1].day
    assert answer == calendar.working_day_after(day, 10).day and answer > day + timedelta(days=10)


# --- an objection inside a listing notice's window blocks the decision ----------------------------------------------

def _noticed(factory, w, clock, start):
    clock.freeze(start)
    s = record(factory, w.hk, company=w.company, kind="serious_list", severity="serious", months=12, today=start)
    sanctions.notify_sanction(factory.ring, regulator=w.hk, sanction=s, today=start, reasons=NOTICE_REASONS,
                              delivery_method="post", delivered_on=start)
    db.session.commit()
    return s


def test_an_objection_inside_the_window_blocks_the_decision_until_it_is_answered(client, factory, w, clock):
    s = _noticed(factory, w, clock, START)
    resp = file(client, w.company.uscc, s.ref, w.t_admin)
    assert resp.status_code == 201
    ref = resp.get_json()["ref"]
    o = db.session.execute(select(SanctionObjection).where(SanctionObjection.ref == ref)).scalar_one()
    assert o.in_window
    after = sanctions.objection_until(s).day + timedelta(days=1)
    clock.freeze(after)
    counts = table_counts()
    blocked = client.post(f"/api/v1/sanctions/{s.ref}/decide", json={"decision_no": "商务信〔2027〕1号"},
                          headers=bearer(w.t_hk))
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "objection_unanswered"
    step(client, s.ref, ref, w.t_hk, step="accept")
    blocked = client.post(f"/api/v1/sanctions/{s.ref}/decide", json={"decision_no": "商务信〔2027〕1号"},
                          headers=bearer(w.t_hk))
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "objection_unanswered"
    assert step(client, s.ref, ref, w.t_hk, step="dismiss", reason="经核查，事实清楚。").status_code == 200
    decided = client.post(f"/api/v1/sanctions/{s.ref}/decide", json={"decision_no": "商务信〔2027〕1号"},
                          headers=bearer(w.t_hk))
    assert decided.status_code == 200, decided.get_json()
    assert counts["sanction_decisions"] + 1 == table_counts()["sanction_decisions"]


def test_an_upheld_objection_in_the_window_can_withdraw_the_proposed_listing(client, factory, w, clock):
    s = _noticed(factory, w, clock, START)
    ref = file(client, w.company.uscc, s.ref, w.t_admin).get_json()["ref"]
    step(client, s.ref, ref, w.t_hk, step="accept")
    resp = step(client, s.ref, ref, w.t_hk, step="uphold", reason="证据不足，不予列入。", outcome="withdraw")
    assert resp.get_json()["sanction_state"] == "withdrawn"
    clock.freeze(sanctions.objection_until(s).day + timedelta(days=1))
    refused = client.post(f"/api/v1/sanctions/{s.ref}/decide", json={"decision_no": "商务信〔2027〕1号"},
                          headers=bearer(w.t_hk))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "wrong_state"


def test_an_objection_after_the_window_does_not_block_the_decision(client, factory, w, clock):
    s = _noticed(factory, w, clock, START)
    clock.freeze(sanctions.objection_until(s).day + timedelta(days=1))
    ref = file(client, w.company.uscc, s.ref, w.t_admin).get_json()["ref"]
    assert not db.session.execute(select(SanctionObjection.in_window).where(SanctionObjection.ref == ref)).scalar_one()
    decided = client.post(f"/api/v1/sanctions/{s.ref}/decide", json={"decision_no": "商务信〔2027〕1号"},
                          headers=bearer(w.t_hk))
    assert decided.status_code == 200, decided.get_json()


def test_a_proposed_listing_not_yet_noticed_takes_no_objection(client, factory, w):
    s = record(factory, w.hk, company=w.company, kind="serious_list", severity="serious", months=12, today=START)
    assert file(client, w.company.uscc, s.ref, w.t_admin).status_code == 404


def test_a_filing_may_carry_more_than_the_usual_body_limit(client, app, w, monkeypatch):
    """Five documents of the full size fit in one filing, though the body is over MAX_CONTENT_LENGTH (scaled down
    here: a 1,000-byte document limit and a 2,000-byte body limit elsewhere)."""
    from registry.attachments import rules as arules

    monkeypatch.setattr(arules, "MAX_BYTES", 1000)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    full = PDF + b"\0" * (1000 - len(PDF))
    resp = file(client, w.company.uscc, w.fine.ref, w.t_admin, documents=[(f"{i}.pdf", full) for i in range(5)])
    assert resp.status_code == 201, resp.get_json()
    o = db.session.execute(select(SanctionObjection)).scalar_one()
    assert [a.size for a in db.session.execute(select(Attachment).where(Attachment.owner_id == o.id)).scalars()] \
        == [1000] * 5
    # Beyond five full documents and the form, the body is refused before anything is read.
    too_big = file(client, w.company.uscc, w.fine.ref, w.t_admin,
                   documents=[(f"{i}.pdf", full + b"\0" * 20_000) for i in range(5)])
    assert too_big.status_code == 413
