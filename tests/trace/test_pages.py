"""The trace pages: recording a service, the company's and a worker's services, the household query and its record.
The customer's phone is a canary: no page, redirect, session or stored row may hold it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.clock import now as utcnow
from registry.extensions import db
from registry.trace.models import HouseholdQuery, ServiceRecord
from registry.trace.services import reference_of
from registry.web import LOCAL_TZ
from tests.support.traceworld import database_holds, serve, trace_world
from tests.support.webutil import count, csrf, login, post_form, session_of, text

PHONE = "13912347702"
PASSWORD = "correct horse battery"


@pytest.fixture
def world(app, factory):
    return trace_world(factory)


def company_browser(app, account):
    c = app.test_client()
    assert login(c, account.login, PASSWORD).status_code == 302
    return c


def regulator_browser(app, world, key):
    db.session.rollback()
    account = world.regs[key]
    account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    assert login(c, account.login, PASSWORD, world.totp[key]).status_code == 302
    return c


def no_phone(resp, phone=PHONE):
    body = text(resp) + str(resp.headers)
    assert phone not in body and phone[3:] not in body


def form(world, **over) -> dict:
    start = (utcnow() - timedelta(hours=6)).astimezone(LOCAL_TZ)
    data = {"card_no": world.worker.card_no, "service_type": "cleaning", "phone": PHONE, "district": "武侯区",
            "start": start.strftime("%Y-%m-%dT%H:%M"), "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "override_reason": ""}
    data.update(over)
    return data


# --- recording -------------------------------------------------------------------------------------------------

def test_the_form_posts_and_keeps_the_phone_out_of_autocomplete(app, world):
    c = company_browser(app, world.a.admin)
    page = text(c.get("/company/services/new"))
    assert 'method="post"' in page and 'id="record-service"' in page
    assert 'name="phone"' in page and 'autocomplete="off"' in page.split('name="phone"')[0].rsplit("<input", 1)[1] \
        + page.split('name="phone"')[1].split(">")[0]
    assert c.get(f"/company/services/new?card_no={world.worker.card_no}").status_code == 200
    assert world.worker.card_no in text(c.get(f"/company/services/new?card_no={world.worker.card_no}"))


def test_a_company_records_a_service_and_reads_its_reference_never_the_code(app, world, factory):
    c = company_browser(app, world.a.admin)
    resp = post_form(c, "/company/services/new", form(world))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/company/services/recorded")
    no_phone(resp)
    assert PHONE not in str(session_of(c))
    done = c.get("/company/services/recorded")
    service = db.session.execute(select(ServiceRecord)).scalar_one()
    page = text(done)
    assert reference_of(service.ref) in page and 'id="code-sent"' in page
    no_phone(done)
    # The start typed in Beijing time is that moment.
    typed = form(world)["start"]
    assert service.start_dt.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") == typed
    # The code reached the customer's message, not the page.
    from tests.support.traceutil import last_review_code

    _ref, code = last_review_code(factory)
    assert code not in page and code.replace("-", "") not in page
    assert database_holds(app, PHONE) == []


@pytest.mark.parametrize("over,field,status", [
    ({"phone": "139123"}, "phone", 422),
    ({"phone": ""}, "phone", 400),
    ({"card_no": "JX0000000000"}, "card_no", 422),
    ({"service_type": "massage"}, "service_type", 400),
    ({"start": "tomorrow"}, "start", 400),
    ({"end": "2020-01-01T10:00"}, "end", 422),
])
def test_a_refused_service_shows_the_field_never_the_phone_and_stores_nothing(app, world, over, field, status):
    c = company_browser(app, world.a.admin)
    resp = post_form(c, "/company/services/new", form(world, **over))
    assert resp.status_code == status, text(resp)[:2000]
    page = text(resp)
    assert f'href="#{field}"' in page and 'id="error-summary"' in page
    no_phone(resp)
    assert 'value="139123"' not in page
    assert count(ServiceRecord) == 0


def test_a_worker_not_employed_needs_the_reason_on_the_page(app, world):
    c = company_browser(app, world.b.admin)
    resp = post_form(c, "/company/services/new", form(world))
    assert resp.status_code == 422 and 'href="#override_reason"' in text(resp)
    no_phone(resp)
    assert count(ServiceRecord) == 0
    resp = post_form(c, "/company/services/new", form(world, override_reason="原公司借调"))
    assert resp.status_code == 302
    assert 'id="override-note"' in text(c.get("/company/services/recorded"))


def test_regulators_do_not_record(app, world):
    c = regulator_browser(app, world, "housekeeping")
    assert c.get("/company/services/new").status_code == 403


# --- the company's and a worker's services -----------------------------------------------------------------------

def test_the_company_s_pages_link_to_recording_and_its_services(app, world, factory):
    by_a, by_b = serve(factory, world, PHONE)
    c = company_browser(app, world.a.admin)
    dashboard = text(c.get("/company"))
    assert 'id="record-service-link"' in dashboard and 'id="services-link"' in dashboard
    assert 'id="record-service"' in text(c.get("/company/workers"))
    listing = c.get("/company/services")
    assert listing.status_code == 200
    page = text(listing)
    assert reference_of(by_a.ref) in page and reference_of(by_b.ref) not in page
    assert by_a.company_household[:8] in page and by_a.household_ref[:12] not in page
    no_phone(listing)
    filtered = text(c.get("/company/services?start_from=2020-01-01&start_to=2020-01-02"))
    assert reference_of(by_a.ref) not in filtered and 'id="no-services"' in filtered
    bad = c.get("/company/services?start_from=2020-01-02&start_to=2020-01-01")
    assert bad.status_code == 422 and 'href="#start_to"' in text(bad)


def test_the_worker_s_page_shows_the_company_only_its_own_services(app, world, factory):
    by_a, by_b = serve(factory, world, PHONE)
    c = company_browser(app, world.a.admin)
    detail = text(c.get(f"/workers/{world.worker.card_no}"))
    assert 'id="worker-services"' in detail and reference_of(by_a.ref) in detail
    assert reference_of(by_b.ref) not in detail
    full = c.get(f"/workers/{world.worker.card_no}/services")
    assert full.status_code == 200
    assert reference_of(by_a.ref) in text(full) and reference_of(by_b.ref) not in text(full)
    assert by_a.household_ref[:12] not in text(full)
    # B, which is not the employer, sees its own record only through the services page.
    b = company_browser(app, world.b.admin)
    mine = text(b.get(f"/workers/{world.worker.card_no}/services"))
    assert reference_of(by_b.ref) in mine and reference_of(by_a.ref) not in mine
    assert "临时借调，已报备" in mine
    stranger = company_browser(app, world.stranger)
    assert stranger.get(f"/workers/{world.worker.card_no}/services").status_code == 404


def test_regulators_see_every_company_s_services_by_the_sector_rule(app, world, factory):
    by_a, by_b = serve(factory, world, PHONE)
    c = regulator_browser(app, world, "housekeeping")
    page = c.get(f"/workers/{world.worker.card_no}/services")
    assert page.status_code == 200
    body = text(page)
    assert reference_of(by_a.ref) in body and reference_of(by_b.ref) in body
    assert world.b.company.uscc in body and "临时借调，已报备" in body and by_a.household_ref[:12] in body
    # The detailed record the regulator opens (with a purpose) shows them too.
    opened = post_form(c, "/regulator/workers", {"card_no": world.worker.card_no, "purpose": "inspection"},
                       page="/regulator/workers")
    assert opened.status_code == 200 and 'id="worker-services"' in text(opened)
    assert reference_of(by_b.ref) in text(opened)
    other = regulator_browser(app, world, "property")
    assert other.get(f"/workers/{world.worker.card_no}/services").status_code == 404


# --- the household query -------------------------------------------------------------------------------------------

def test_a_regulator_queries_a_household_and_the_page_never_shows_the_phone(app, world, factory):
    by_a, by_b = serve(factory, world, PHONE)
    c = regulator_browser(app, world, "property")
    # A phone put in the address by hand never fills the form (the form posts; nothing reads it from a URL).
    blank = text(c.get(f"/regulator/households?phone={PHONE}"))
    assert f'value="{PHONE}"' not in blank and 'autocomplete="off"' in blank
    resp = post_form(c, "/regulator/households", {"phone": PHONE, "purpose": "safety_check", "note": "巡查"})
    assert resp.status_code == 200
    page = text(resp)
    assert 'id="household-results"' in page and reference_of(by_a.ref) in page and reference_of(by_b.ref) in page
    no_phone(resp)
    (row,) = db.session.execute(select(HouseholdQuery)).scalars()
    assert (row.account_ref, row.purpose, row.note, row.results) == (world.regs["property"].ref, "safety_check",
                                                                     "巡查", 2)
    assert database_holds(app, PHONE) == []


def test_a_bad_household_query_is_refused_on_the_page(app, world):
    c = regulator_browser(app, world, "market")
    resp = post_form(c, "/regulator/households", {"phone": "139123", "purpose": "incident"})
    assert resp.status_code == 422 and 'href="#phone"' in text(resp)
    resp = post_form(c, "/regulator/households", {"phone": PHONE, "purpose": ""})
    assert resp.status_code == 400 and 'href="#purpose"' in text(resp)
    no_phone(resp)
    assert count(HouseholdQuery) == 0


def test_companies_do_not_query_households(app, world):
    c = company_browser(app, world.a.admin)
    assert c.get("/regulator/households").status_code == 403
    token = csrf(c, "/company/services/new")
    assert c.post("/regulator/households", data={"phone": PHONE, "purpose": "incident",
                                                 "csrf_token": token}).status_code == 403
    assert count(HouseholdQuery) == 0


def test_the_household_page_counts_against_the_account_s_limit(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "HOUSEHOLD_QUERY_LIMIT", "2 per hour")
    c = regulator_browser(app, world, "market")
    for _ in range(2):
        assert post_form(c, "/regulator/households", {"phone": PHONE, "purpose": "incident"}).status_code == 200
    refused = post_form(c, "/regulator/households", {"phone": PHONE, "purpose": "incident"})
    assert refused.status_code == 429
    no_phone(refused)
    assert count(HouseholdQuery) == 2


# --- the query record ----------------------------------------------------------------------------------------------

def test_the_query_record_page_for_operators_and_regulator_admins(app, world):
    for key in ("property", "housekeeping"):
        c = regulator_browser(app, world, key)
        assert post_form(c, "/regulator/households", {"phone": PHONE, "purpose": "complaint"}).status_code == 200
    operator = regulator_browser(app, world, "operator")
    page = text(operator.get("/admin/household-queries"))
    assert page.count('class="query-row"') == 2 and world.regs["property"].login in page
    admin = regulator_browser(app, world, "hk_admin")
    own = text(admin.get("/admin/household-queries"))
    assert own.count('class="query-row"') == 1 and world.regs["housekeeping"].login in own
    assert world.regs["property"].login not in own
    assert 'id="nav-household-queries"' in own
    assert regulator_browser(app, world, "market").get("/admin/household-queries").status_code == 403
