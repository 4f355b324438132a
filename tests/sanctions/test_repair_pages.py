"""Credit repair and withdrawal on the pages: the company and the worker apply from their own pages (refused
before the minimum period with the date); the issuing agency answers on the sanction's page, another agency's
regulator records a revocation but cannot withdraw; the worklist shows the pending application and the
withdrawal due; each step one entry, a refused form nothing stored."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.clock import now as utcnow
from registry.extensions import db
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction
from registry.selfservice.services import issue_activation_code
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import FACTS, record
from tests.support.selfutil import PIN, last_activation_code
from tests.support.webutil import log_actions, login, post_form, text

MON = date(2026, 6, 1)
STATEMENT = "已全额缴纳罚款并完成整改。"


class Regs:
    def __init__(self, factory):
        agency = factory.agency("housekeeping")
        self.a = factory.agency_user(agency)
        self.other = factory.agency_user(factory.agency("property"))


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(MON)
    return green_worker(factory), Regs(factory)


def signed_in(app, reg):
    db.session.rollback()
    reg.account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    assert login(c, reg.account.login, reg.password, reg.totp_secret).status_code == 302
    return c


def state_of(ref: str) -> str:
    db.session.rollback()
    return db.session.query(Sanction).filter_by(ref=ref).one().state


def test_a_company_applies_and_the_issuing_agency_approves_on_the_pages(world, factory, app, clock):
    _w, regs = world
    company, admin = factory.company()
    s = record(factory, regs.a.account, company=company, severity="general", months=12, today=MON)
    sanctions.publish_sanction(factory.ring, regulator=regs.a.account, sanction=s, today=MON)
    db.session.commit()
    c = app.test_client()
    login(c, admin.account.login, "correct horse battery")
    page = text(c.get("/company/sanctions"))
    item = page.split(f'id="sanction-{s.ref}"')[1].split("</article>")[0]
    assert "2026-09-02" in item and FACTS not in item  # 3 months from 1 June end on 1 September
    before = log_actions()
    resp = post_form(c, f"/company/sanctions/{s.ref}/repairs", {"statement": STATEMENT, "pledge": "y"},
                     page="/company/sanctions")
    assert resp.status_code == 302
    assert "2026-09-02" in text(c.get("/company/sanctions"))  # the refusal's message names the day
    assert log_actions() == before
    clock.freeze(date(2026, 9, 2))
    c = app.test_client()
    login(c, admin.account.login, "correct horse battery")
    # Without the pledge: refused, nothing stored.
    post_form(c, f"/company/sanctions/{s.ref}/repairs", {"statement": STATEMENT}, page="/company/sanctions")
    assert "请勾选并签署信用承诺" in text(c.get("/company/sanctions")) and log_actions() == before
    resp = post_form(c, f"/company/sanctions/{s.ref}/repairs", {"statement": STATEMENT, "pledge": "y"},
                     page="/company/sanctions")
    assert resp.status_code == 302 and log_actions()[len(before):] == ["sanction:repair:apply"]
    db.session.rollback()
    repair_ref = db.session.query(Sanction).filter_by(ref=s.ref).one().repairs[0].ref
    a = signed_in(app, regs.a)
    assert f'id="repair-{repair_ref}"' in text(a.get("/regulator"))
    page = text(a.get(f"/admin/sanctions/{s.ref}"))
    assert STATEMENT in page and "repair-decide-submit" in page
    # Another agency's regulator reads it but has no form, and its POST is refused.
    o = signed_in(app, regs.other)
    assert "repair-decide-submit" not in text(o.get(f"/admin/sanctions/{s.ref}"))
    resp = post_form(o, f"/admin/sanctions/{s.ref}/repairs/{repair_ref}/decide", {"decision": "approve"},
                     page=f"/admin/sanctions/{s.ref}")
    assert resp.status_code == 403
    # A rejection without reasons: the page again, nothing stored.
    size = len(log_actions())
    resp = post_form(a, f"/admin/sanctions/{s.ref}/repairs/{repair_ref}/decide", {"decision": "reject"},
                     page=f"/admin/sanctions/{s.ref}")
    assert resp.status_code == 422 and len(log_actions()) == size
    resp = post_form(a, f"/admin/sanctions/{s.ref}/repairs/{repair_ref}/decide", {"decision": "approve"},
                     page=f"/admin/sanctions/{s.ref}")
    assert resp.status_code == 302 and state_of(s.ref) == "repaired"
    assert log_actions()[-1] == "sanction:repair:approve"
    assert s.ref not in text(app.test_client().get(f"/companies/{company.uscc}"))


def test_the_worker_applies_from_self_service(world, factory, app):
    w, regs = world
    s = record(factory, regs.a.account, worker=w.worker, kind="warning", severity="minor", months=1, today=MON)
    issue_activation_code(factory.ring, actor=w.admin, worker=w.worker, now=utcnow())
    db.session.commit()
    code = last_activation_code(factory, phone="13800005678")
    c = app.test_client()
    assert post_form(c, "/me/activate", {"card_no": w.card_no, "code": code, "pin": PIN,
                                         "pin2": PIN}).status_code == 302
    assert 'href="/me/sanctions"' in text(c.get("/me"))
    assert f'id="sanction-{s.ref}"' in text(c.get("/me/sanctions"))
    resp = post_form(c, f"/me/sanctions/{s.ref}/repairs", {"statement": STATEMENT, "pledge": "y"},
                     page="/me/sanctions")
    assert resp.status_code == 302 and log_actions()[-1] == "sanction:repair:apply"
    page = text(c.get("/me/sanctions"))
    assert 'data-state="pending"' in page and "申请信用修复</button>" not in page


def test_a_revocation_recorded_by_another_agency_is_withdrawn_by_the_issuer(world, factory, app, clock):
    w, regs = world
    s = record(factory, regs.a.account, worker=w.worker, severity="general", months=6, today=MON)
    o = signed_in(app, regs.other)
    assert "withdraw-submit" not in text(o.get(f"/admin/sanctions/{s.ref}"))
    resp = post_form(o, f"/admin/sanctions/{s.ref}/revocation", {"authority": "review", "reason": "复议撤销"},
                     page=f"/admin/sanctions/{s.ref}")
    assert resp.status_code == 422 and 'href="#revocation-revoked_on"' in text(resp)
    resp = post_form(o, f"/admin/sanctions/{s.ref}/revocation",
                     {"authority": "review", "revoked_on": MON.isoformat(), "reason": "行政复议决定撤销原处罚决定"},
                     page=f"/admin/sanctions/{s.ref}")
    assert resp.status_code == 302 and log_actions()[-1] == "sanction:revocation"
    assert post_form(o, f"/admin/sanctions/{s.ref}/withdraw", {}, page=f"/admin/sanctions/{s.ref}").status_code == 403
    clock.freeze(MON + timedelta(days=4))
    a = signed_in(app, regs.a)
    item = text(a.get("/regulator")).split(f'id="withdraw-{s.ref}"')[1].split("</li>")[0]
    assert "2026-06-04" in item and "已逾期" in item
    resp = post_form(a, f"/admin/sanctions/{s.ref}/withdraw", {}, page=f"/admin/sanctions/{s.ref}")
    assert resp.status_code == 302 and state_of(s.ref) == "withdrawn"
    page = text(a.get(f"/admin/sanctions/{s.ref}"))
    assert "逾期撤回" in page
    assert f'id="withdraw-{s.ref}"' not in text(a.get("/regulator"))
