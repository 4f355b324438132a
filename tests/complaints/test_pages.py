"""Complaint pages: filing from the card page, by phone and with a review code; the tracking page; the regulators'
queue and steps; the worker's and the company's responses; substantiated complaints on the public pages."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.complaints.models import Complaint
from registry.extensions import db
from tests.support.cardworld import green_worker
from tests.support.complaintutil import REASONS, TEXT, file_card, file_code, serve, walk
from tests.support.selfutil import PIN, activate
from tests.support.webutil import log_actions, login, post_form, text

CUSTOMER = "13912340404"


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def complaints() -> list[Complaint]:
    db.session.rollback()
    return db.session.execute(select(Complaint).order_by(Complaint.id)).scalars().all()


def regulator_browser(app, factory, sector: str):
    reg = factory.agency_user(factory.agency(sector=sector))
    c = app.test_client()
    assert login(c, reg.account.login, reg.password, reg.totp_secret).status_code == 302
    return c, reg.account


def _filed(client, resp) -> tuple[str, str]:
    assert resp.status_code == 303, (resp.status_code, text(resp)[:2000])
    assert resp.headers["Location"].endswith("/complaints/filed")
    page = text(client.get("/complaints/filed"))
    reference = re.search(r'id="reference">([0-9A-F-]+)<', page).group(1)
    code = re.search(r'id="tracking-code">([0-9A-Z]+)<', page).group(1)
    # Shown once: a reload no longer shows the code.
    again = client.get("/complaints/filed")
    assert again.status_code == 302 and code not in text(again)
    return reference, code


def test_the_card_page_links_to_the_complaint_form_and_files_one(client, world):
    card = text(client.get(f"/c/{world.card_no}"))
    link = re.search(r'id="complain-link" href="([^"]+)"', card).group(1)
    assert link == f"/c/{world.card_no}/complain"
    # Nothing chosen: the form comes back, nothing stored.
    resp = post_form(client, link, {"text": TEXT})
    assert resp.status_code == 400 and "请选择投诉类别" in text(resp)
    resp = post_form(client, link, {"category": "quality", "text": "字" * 1001})
    assert resp.status_code == 400 and "最多 1000 个字符" in text(resp)
    assert complaints() == []
    resp = post_form(client, link, {"category": "safety", "text": TEXT, "contact_name": "王建国",
                                    "contact_phone": "13900004444"})
    reference, _code = _filed(client, resp)
    (c,) = complaints()
    assert (c.method, c.category, c.worker_id) == ("card_page", "safety", world.worker.id)
    assert reference.replace("-", "").lower() == c.reference
    assert log_actions()[-1] == "complaint:file"


def test_the_card_page_files_by_phone_when_the_customer_gives_it(client, factory, world):
    service, _r, _c = serve(factory, company=world.company, admin=world.admin, worker=world.worker, phone=CUSTOMER)
    page = f"/c/{world.card_no}/complain"
    resp = post_form(client, page, {"category": "theft", "text": "现金不见了", "phone": "13912349999"})
    assert resp.status_code == 422 and "未找到该服务人员为此手机号码提供服务的记录" in text(resp)
    assert "13912349999" not in text(resp).replace('value="13912349999"', "")
    resp = post_form(client, page, {"category": "theft", "text": "现金不见了", "phone": CUSTOMER})
    _filed(client, resp)
    (c,) = complaints()
    assert (c.method, c.service_id) == ("household_phone", service.id)


def test_a_customer_files_with_the_review_code(client, factory, world):
    service, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                     phone=CUSTOMER)
    form = {"reference": reference, "code": "AAAA-AAAA" if code != "AAAAAAAA" else "BBBB-BBBB", "about": "company",
            "category": "fraud", "text": "多收了两小时费用"}
    resp = post_form(client, "/complain", form)
    assert resp.status_code == 422 and "服务编号或评价码不对" in text(resp)
    resp = post_form(client, "/complain", {**form, "code": code})
    _filed(client, resp)
    (c,) = complaints()
    assert (c.method, c.subject_kind, c.company_id, c.service_id) == ("review_code", "company", world.company.id,
                                                                     service.id)


def test_report_this_card_sends_misconduct_to_the_complaint_form(client, world):
    resp = post_form(client, f"/c/{world.card_no}/report", {"reason": "misconduct", "text": "服务时态度恶劣"})
    assert resp.status_code == 200
    page = text(resp)
    assert 'id="from-report"' in page and "服务时态度恶劣" in page
    assert f'action="/c/{world.card_no}/complain"' in page
    assert complaints() == [] and "report:file" not in log_actions()


def test_the_tracking_page_shows_progress_and_takes_the_code_by_post_only(client, factory, world):
    market = factory.agency_user(factory.agency(sector="market")).account
    filed = file_card(factory, world.worker)
    walk(factory, market, filed.complaint, "accepted")
    resp = post_form(client, "/complaints/track", {"reference": filed.reference, "tracking_code": "ZZZZZZZZ"})
    assert resp.status_code == 422 and "投诉编号或查询码不对" in text(resp)
    resp = post_form(client, "/complaints/track", {"reference": filed.reference,
                                                   "tracking_code": filed.tracking_code})
    page = text(resp)
    assert resp.status_code == 200 and 'data-state="accepted"' in page and REASONS["accept"] in page
    assert world.card_no not in page and TEXT not in page
    assert 'method="post"' in page and filed.tracking_code not in text(client.get("/complaints/track"))


def test_the_regulators_queue_filters_by_state_and_takes_steps(app, factory, world):
    browser, hk = regulator_browser(app, factory, "housekeeping")
    first = file_card(factory, world.worker).complaint
    second = walk(factory, hk, file_card(factory, world.worker).complaint, "accepted")
    page = text(browser.get("/admin/complaints"))
    assert f'id="complaint-{first.ref}"' in page and f'id="complaint-{second.ref}"' in page
    page = text(browser.get("/admin/complaints?state=accepted"))
    assert f'id="complaint-{first.ref}"' not in page and f'id="complaint-{second.ref}"' in page
    assert browser.get("/admin/complaints?state=closed").status_code == 400
    detail = text(browser.get(f"/admin/complaints/{first.ref}"))
    assert TEXT in detail and 'id="step-accept"' in detail and 'id="step-reject"' in detail
    resp = post_form(browser, f"/admin/complaints/{first.ref}/steps", {"step": "accept", "reason": ""},
                     page=f"/admin/complaints/{first.ref}")
    assert resp.status_code == 400 and "请填写理由" in text(resp)
    resp = post_form(browser, f"/admin/complaints/{first.ref}/steps", {"step": "investigate", "reason": "x"},
                     page=f"/admin/complaints/{first.ref}")
    assert resp.status_code == 409
    resp = post_form(browser, f"/admin/complaints/{first.ref}/steps", {"step": "reject", "reason": REASONS["reject"]},
                     page=f"/admin/complaints/{first.ref}")
    assert resp.status_code == 302
    assert complaints()[0].state == "rejected" and log_actions()[-1] == "complaint:reject"
    # Another sector's regulator: no such complaint.
    prop_browser, _prop = regulator_browser(app, factory, "property")
    assert prop_browser.get(f"/admin/complaints/{first.ref}").status_code == 404
    assert f'complaint-{second.ref}' not in text(prop_browser.get("/admin/complaints"))
    # The worklist links the queue.
    assert 'id="complaints-due"' in text(browser.get("/regulator"))


def test_the_worker_and_the_company_respond_on_their_pages(app, client, factory, world):
    market = factory.agency_user(factory.agency(sector="market")).account
    about_worker = file_card(factory, world.worker, contact=None).complaint
    _s, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                phone=CUSTOMER)
    about_company = file_code(factory, reference=reference, code=code, about="company").complaint
    # The worker, signed in to self-service.
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice
    from tests.support.selfutil import last_activation_code

    selfservice.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=utcnow())
    db.session.commit()
    assert activate(client, world.card_no, last_activation_code(factory, "13800005678")).status_code == 200
    assert post_form(client, "/me/login", {"card_no": world.card_no, "pin": PIN}).status_code == 302
    assert 'id="complaints-link"' in text(client.get("/me"))
    page = text(client.get("/me/complaints"))
    assert f'id="complaint-{about_worker.ref}"' in page and TEXT not in page
    resp = post_form(client, f"/me/complaints/{about_worker.ref}/responses", {"text": "我当天按时完成了服务。"},
                     page="/me/complaints")
    assert resp.status_code == 302 and log_actions()[-1] == "complaint:respond"
    assert "我当天按时完成了服务。" in text(client.get("/me/complaints"))
    # The company's admin.
    company = app.test_client()
    assert login(company, world.admin.login, "correct horse battery").status_code == 302
    page = text(company.get("/company/complaints"))
    assert f'id="complaint-{about_company.ref}"' in page and f'complaint-{about_worker.ref}' not in page
    resp = post_form(company, f"/company/complaints/{about_company.ref}/responses", {"text": "已核实收费明细。"},
                     page="/company/complaints")
    assert resp.status_code == 302
    walk(factory, market, about_company, "rejected")
    page = text(company.get("/company/complaints"))
    assert "已核实收费明细。" in page and 'class="respond"' not in page


def test_only_substantiated_complaints_show_on_the_public_pages(client, factory, world):
    market = factory.agency_user(factory.agency(sector="market")).account
    walk(factory, market, file_card(factory, world.worker, category="theft").complaint, "unfounded")
    walk(factory, market, file_card(factory, world.worker, category="abuse").complaint, "rejected")
    file_card(factory, world.worker, category="fraud")
    card = text(client.get(f"/c/{world.card_no}"))
    assert "无经查属实的投诉" in card and 'id="complaint-list"' not in card
    walk(factory, market, file_card(factory, world.worker, category="safety").complaint, "substantiated")
    _s, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                phone=CUSTOMER)
    walk(factory, market, file_code(factory, reference=reference, code=code, about="company",
                                    category="quality").complaint, "substantiated")
    card = text(client.get(f"/c/{world.card_no}"))
    assert re.findall(r'data-category="(\w+)"', card) == ["safety"]
    company = text(client.get(f"/companies/{world.company.uscc}"))
    assert re.findall(r'data-category="(\w+)"', company) == ["quality"]
