"""Objection pages: a company's member and the worker object with documents on their pages; the issuing agency
accepts and answers on the sanction page; the worklist lists the pending ones with their deadlines."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from sqlalchemy import select

from registry.clock import now as utcnow
from registry.extensions import db
from registry.log.models import LogEntry
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction, SanctionObjection
from registry.selfservice.services import issue_activation_code
from tests.sanctions.test_pages import Regs, signed_in
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import record
from tests.support.selfutil import PIN, last_activation_code
from tests.support.webutil import csrf, login, post_form, text

MON = date(2027, 3, 1)
PDF = b"%PDF-1.7\n% a receipt\n"


def actions(s: Sanction) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.subject == s.log_ref)
                                   .order_by(LogEntry.seq)).scalars())


def test_a_company_objects_on_its_page_and_the_issuer_answers_on_the_sanction_page(app, factory, clock):
    clock.freeze(MON)
    w, regs = green_worker(factory), Regs(factory)
    fine = record(factory, regs.a.account, company=w.company, kind="fine", severity="general", months=3, today=MON)
    c = app.test_client()
    login(c, w.admin.login, "correct horse battery")
    page = text(c.get("/company/objections"))
    assert f'id="objectable-{fine.ref}"' in page and 'id="no-objections"' in page
    # A GIF is refused on the page, with the reason, and nothing is stored.
    token = csrf(c, "/company/objections")
    bad = c.post(f"/company/objections/{fine.ref}", data={"csrf_token": token, "reasons": "依据有误",
                                                          "documents": [(BytesIO(b"GIF89a..."), "x.gif")]},
                 content_type="multipart/form-data")
    assert bad.status_code == 422 and "PDF、JPEG 或 PNG" in text(bad)
    assert actions(fine) == ["sanction:record"]
    ok = c.post(f"/company/objections/{fine.ref}", data={"csrf_token": token, "reasons": "依据有误，附收据。",
                                                         "documents": [(BytesIO(PDF), "receipt.pdf")]},
                content_type="multipart/form-data")
    assert ok.status_code == 302
    assert actions(fine) == ["sanction:record", "sanction:objection:file"]
    page = text(c.get("/company/objections"))
    assert "依据有误，附收据。" in page and "您对该记录的异议正在处理中" in page
    # The issuing agency sees it on its worklist and the sanction page, opens the document and accepts it.
    a = signed_in(app, regs.a)
    assert "worklist-objection-" in text(a.get("/regulator"))
    page = text(a.get(f"/admin/sanctions/{fine.ref}"))
    assert 'id="objections"' in page and "依据有误，附收据。" in page
    o = db.session.execute(select(SanctionObjection)).scalar_one()
    doc = a.get(f"/admin/sanctions/{fine.ref}/objections/{o.ref}/documents/0")
    assert doc.status_code == 200 and doc.data == PDF and doc.mimetype == "application/pdf"
    resp = post_form(a, f"/admin/sanctions/{fine.ref}/objections/{o.ref}", {"step": "accept", "reason": ""},
                     page=f"/admin/sanctions/{fine.ref}")
    assert resp.status_code == 302
    # Dismissing without a reason is refused, and says why; with one it is recorded.
    post_form(a, f"/admin/sanctions/{fine.ref}/objections/{o.ref}", {"step": "dismiss", "reason": ""},
              page=f"/admin/sanctions/{fine.ref}")
    assert actions(fine)[-1] == "sanction:objection:accept"
    post_form(a, f"/admin/sanctions/{fine.ref}/objections/{o.ref}", {"step": "dismiss", "reason": "经核查无误。"},
              page=f"/admin/sanctions/{fine.ref}")
    assert actions(fine)[-1] == "sanction:objection:dismiss"
    assert "经核查无误。" in text(c.get("/company/objections"))
    # Another agency's regulator sees the objection but no step.
    other = signed_in(app, regs.other)
    page = text(other.get(f"/admin/sanctions/{fine.ref}"))
    assert 'id="objections"' in page and f"/admin/sanctions/{fine.ref}/objections/" not in page
    assert other.get(f"/admin/sanctions/{fine.ref}/objections/{o.ref}/documents/0").status_code == 403


def test_the_worker_objects_in_self_service(app, factory, clock):
    clock.freeze(MON)
    w, regs = green_worker(factory), Regs(factory)
    fine = record(factory, regs.a.account, worker=w.worker, kind="fine", severity="general", months=3, today=MON)
    sanctions.publish_sanction(factory.ring, regulator=regs.a.account, sanction=fine, today=MON)
    db.session.commit()
    issue_activation_code(factory.ring, actor=w.admin, worker=w.worker, now=utcnow())
    db.session.commit()
    c = app.test_client()
    code = last_activation_code(factory, phone="13800005678")
    activated = post_form(c, "/me/activate", {"card_no": w.card_no, "code": code, "pin": PIN, "pin2": PIN})
    assert activated.status_code == 302
    assert 'id="objections-link"' in text(c.get("/me"))
    token = csrf(c, "/me/objections")
    resp = c.post(f"/me/objections/{fine.ref}", data={"csrf_token": token, "reasons": "当天我不在该户。",
                                                      "documents": [(BytesIO(PDF), "a.pdf")]},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    assert actions(fine)[-1] == "sanction:objection:file"
    assert "当天我不在该户。" in text(c.get("/me/objections"))
    # The public card page says so.
    assert "异议处理中" in text(app.test_client().get(f"/c/{w.card_no}?lang=zh"))
    # Signed out: the page asks to sign in.
    assert app.test_client().get("/me/objections").status_code == 302
