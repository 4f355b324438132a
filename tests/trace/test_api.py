"""The trace API: recording a service, a worker's and a company's services per audience, the household query,
its record, and its limit. Real database, real services; the customer's phone is a canary throughout."""
from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.clock import now as utcnow
from registry.extensions import db
from registry.keys.crypto import state_hmac
from registry.log.models import LogEntry
from registry.notify.models import OutboxMessage
from registry.trace.household import household_ref
from registry.trace.models import HouseholdQuery, ReviewCode, ServiceRecord
from registry.trace.services import reference_of
from tests.support.factory import bearer
from tests.support.traceworld import database_holds, serve, trace_world

PHONE = "13912347701"  # the customer: a canary
E164 = "+86" + PHONE
NEEDLES = (PHONE, PHONE[3:], E164[1:])


@pytest.fixture
def world(app, factory):
    return trace_world(factory)


def H(world, who):
    return bearer(world.tokens[who])


def no_phone(resp, phone=PHONE):
    body = resp.get_data(as_text=True)
    for needle in (phone, phone[3:], "86" + phone):
        assert needle not in body, resp.status_code


def counts() -> tuple:
    db.session.rollback()
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (ServiceRecord, ReviewCode, LogEntry, OutboxMessage, HouseholdQuery))


def body(world, **over) -> dict:
    start = utcnow().replace(microsecond=0) - timedelta(hours=5)
    out = {"card_no": world.worker.card_no, "service_type": "elder_care", "phone": PHONE, "district": "锦江区",
           "start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}
    out.update(over)
    return {k: v for k, v in out.items() if v is not ...}


def post(client, world, who="a", uscc=None, **over):
    return client.post(f"/api/v1/companies/{uscc or world.a.company.uscc}/services", headers=H(world, who),
                       json=body(world, **over))


# --- recording ------------------------------------------------------------------------------------------------

def test_a_company_records_a_service_and_sees_its_own_view(client, world, factory):
    before = counts()
    resp = post(client, world)
    assert resp.status_code == 201, resp.get_json()
    no_phone(resp)
    out = resp.get_json()
    service = db.session.execute(select(ServiceRecord)).scalar_one()
    assert out["log_index"] == before[2] and out["reference"] == reference_of(service.ref)
    view = out["service"]
    assert view["household"] == service.company_household and len(view["household"]) == 32
    assert "household_ref" not in view and service.household_ref not in resp.get_data(as_text=True)
    assert (view["card_no"], view["service_type"], view["district"]) == (world.worker.card_no, "elder_care", "锦江区")
    assert view["service_type_words"] == {"zh": "居家养老护理", "en": "Elder care at home"}
    assert view["overrides"] == [] and view["override_reason"] is None
    assert service.household_ref == household_ref(factory.ring.current("household").material, E164)
    assert counts() == (1, 1, before[2] + 1, before[3] + 1, 0)
    assert db.session.get(LogEntry, out["log_index"]).action == "service:record"
    # The code went to the customer; no answer carries it.
    assert "code" not in json.dumps(out).lower().replace("card_no", "")
    assert database_holds(client.application, PHONE) == []


def test_a_time_given_in_another_offset_is_the_same_moment(client, world):
    start = (utcnow().replace(microsecond=0) - timedelta(hours=5)).astimezone()
    shanghai = start.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    resp = post(client, world, start=shanghai.isoformat(), end=(shanghai + timedelta(hours=2)).isoformat())
    assert resp.status_code == 201, resp.get_json()
    service = db.session.execute(select(ServiceRecord)).scalar_one()
    assert service.start_dt == start and service.end_dt - service.start_dt == timedelta(hours=2)


REFUSALS = [
    # (what, overrides, status, code, field)
    ("card nobody holds", {"card_no": None}, 422, "card_not_found", "card_no"),
    ("card typo", {"card_no": "typo"}, 422, "card_no_typo", "card_no"),
    ("card malformed", {"card_no": "hello"}, 422, "card_no_invalid", "card_no"),
    ("bad phone", {"phone": "1391234770"}, 422, "phone_invalid", "phone"),
    ("landline", {"phone": "02885551234"}, 422, "phone_invalid", "phone"),
    ("unknown type", {"service_type": "massage"}, 422, "invalid_input", "service_type"),
    ("no district", {"district": "   "}, 422, "district_missing", "district"),
    ("naive start", {"start": "2026-01-01T09:00:00"}, 422, "invalid_input", "start"),
    ("not a time", {"end": "tomorrow"}, 422, "invalid_input", "end"),
    ("end first", {"end": "start-1h"}, 422, "end_before_start", "end"),
    ("in the future", {"start": "+3d", "end": "+3d1h"}, 422, "start_future", "start"),
    ("missing phone", {"phone": ...}, 422, "invalid_input", "phone"),
    ("unknown field", {"customer_name": "王"}, 422, "invalid_input", "customer_name"),
    ("reason too long", {"override_reason": "因" * 201}, 422, "invalid_input", "override_reason"),
]


def _resolve(world, over: dict) -> dict:
    """The refusal table's placeholders: a card number nobody holds, one with a typo, times relative to now."""
    from registry.workers import cardno

    out = dict(over)
    start = utcnow().replace(microsecond=0) - timedelta(hours=5)
    if over.get("card_no", "") is None:
        out["card_no"] = next(n for n in (cardno.new_card_no(random.Random(s)) for s in range(50))
                              if n != world.worker.card_no)
    if over.get("card_no") == "typo":
        good = world.worker.card_no
        out["card_no"] = good[:-1] + ("A" if good[-1] != "A" else "B")
    if over.get("end") == "start-1h":
        out["end"] = (start - timedelta(hours=1)).isoformat()
    if over.get("start") == "+3d":
        out["start"] = (utcnow() + timedelta(days=3)).isoformat()
        out["end"] = (utcnow() + timedelta(days=3, hours=1)).isoformat()
    return out


@pytest.mark.parametrize("what,over,status,code,field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_names_its_field_echoes_no_phone_and_stores_nothing(client, world, what, over, status, code,
                                                                         field):
    before = counts()
    resp = post(client, world, **_resolve(world, over))
    assert resp.status_code == status, resp.get_json()
    err = resp.get_json()["error"]
    assert err["code"] == code and field in err["fields"], err
    assert err["fields"][field]["zh"] and err["fields"][field]["en"]
    no_phone(resp)
    assert counts() == before


def test_a_worker_not_employed_needs_a_reason_and_the_record_keeps_it(client, world):
    before = counts()
    resp = post(client, world, who="b", uscc=world.b.company.uscc)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "override_reason_required"
    assert set(resp.get_json()["error"]["fields"]) == {"override_reason"}
    assert counts() == before
    resp = post(client, world, who="b", uscc=world.b.company.uscc, override_reason="原公司借调，已报备")
    assert resp.status_code == 201
    view = resp.get_json()["service"]
    assert [o["code"] for o in view["overrides"]] == ["not_employee"]
    assert view["override_reason"] == "原公司借调，已报备"


@pytest.mark.parametrize("who,status", [("b", 404), ("c", 404), ("housekeeping", 403), ("operator", 403)])
def test_only_the_company_s_members_record_for_it(client, world, who, status):
    before = counts()
    resp = post(client, world, who=who)
    assert resp.status_code == status
    assert counts() == before


def test_a_pending_company_records_nothing(client, world, factory):
    pending, admin = factory.company(verified=False)
    token = factory.token(admin.account)
    before = counts()
    resp = client.post(f"/api/v1/companies/{pending.uscc}/services", headers=bearer(token),
                       json=body(world, override_reason="试试"))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "company_not_verified"
    assert counts() == before


def test_without_a_token_nothing_is_recorded(client, world):
    before = counts()
    resp = client.post(f"/api/v1/companies/{world.a.company.uscc}/services", json=body(world))
    assert resp.status_code == 401
    assert counts() == before


# --- a worker's services ----------------------------------------------------------------------------------------

def _worker_services(client, world, who, **query):
    return client.get(f"/api/v1/workers/{world.worker.card_no}/services", headers=H(world, who),
                      query_string=query)


def test_a_company_sees_only_the_services_it_recorded_in_its_own_view(client, world, factory):
    by_a, by_b = serve(factory, world, PHONE)
    for who, own in (("a", by_a), ("b", by_b)):
        resp = _worker_services(client, world, who)
        assert resp.status_code == 200, resp.get_json()
        (view,) = resp.get_json()
        assert view["reference"] == reference_of(own.ref)
        assert view["household"] == own.company_household
        assert {"household_ref", "company", "recorded_by"}.isdisjoint(view)
        text = resp.get_data(as_text=True)
        assert by_a.household_ref not in text
        no_phone(resp)
    # The same household, told apart per company: the two derivations never match.
    assert by_a.company_household != by_b.company_household


def test_a_company_that_never_served_or_employed_the_worker_gets_404(client, world, factory):
    serve(factory, world, PHONE)
    assert _worker_services(client, world, "c").status_code == 404


def test_the_employer_sees_an_empty_list_before_any_service(client, world):
    resp = _worker_services(client, world, "a")
    assert resp.status_code == 200 and resp.get_json() == []
    assert json.loads(resp.headers["X-Pagination"])["total"] == 0


@pytest.mark.parametrize("who", ["housekeeping", "hk_admin", "market"])
def test_regulators_of_the_employer_s_sector_and_market_see_every_company_s(client, world, factory, who):
    by_a, by_b = serve(factory, world, PHONE)
    resp = _worker_services(client, world, who)
    assert resp.status_code == 200
    views = resp.get_json()
    # Newest first: A's began 5 hours ago, B's 30.
    assert [v["reference"] for v in views] == [reference_of(by_a.ref), reference_of(by_b.ref)]
    assert {v["household_ref"] for v in views} == {by_a.household_ref}
    assert [v["company"]["uscc"] for v in views] == [world.a.company.uscc, world.b.company.uscc]
    assert views[1]["override_reason"] == "临时借调，已报备"
    assert [o["code"] for o in views[1]["overrides"]] == ["not_employee"]
    assert views[0]["recorded_by"] == world.a.admin.ref
    assert all("household" not in v for v in views)
    assert by_a.company_household not in resp.get_data(as_text=True)
    no_phone(resp)


@pytest.mark.parametrize("who,status", [("property", 404), ("operator", 403)])
def test_others_do_not_see_a_worker_s_services(client, world, factory, who, status):
    serve(factory, world, PHONE)
    resp = _worker_services(client, world, who)
    assert resp.status_code == status
    assert set(resp.get_json()) == {"error"}


def test_a_worker_s_services_are_paged_newest_first(client, world, factory):
    from tests.support.traceutil import record

    made = [record(factory, world.a, phone=f"1391234{n:04d}", hours_ago=10 + n) for n in range(5)]
    resp = _worker_services(client, world, "a", page=2, page_size=2)
    assert [v["reference"] for v in resp.get_json()] == [reference_of(s.ref) for s in made[2:4]]
    meta = json.loads(resp.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (5, 3, 2)


# --- the company's own list -----------------------------------------------------------------------------------

def test_the_company_lists_its_services_by_worker_and_time(client, world, factory):
    from tests.support.traceutil import record

    old = record(factory, world.a, phone="13912340101", hours_ago=72)
    new = record(factory, world.a, phone="13912340102", hours_ago=2)
    serve(factory, world, PHONE)  # one more of A's, and one of B's that A never sees
    url = f"/api/v1/companies/{world.a.company.uscc}/services"
    everything = client.get(url, headers=H(world, "a")).get_json()
    assert len(everything) == 3 and everything[0]["reference"] == reference_of(new.ref)
    since = (utcnow() - timedelta(hours=48)).isoformat()
    recent = client.get(url, headers=H(world, "a"), query_string={"from": since}).get_json()
    assert reference_of(old.ref) not in [v["reference"] for v in recent] and len(recent) == 2
    until = client.get(url, headers=H(world, "a"), query_string={"to": since}).get_json()
    assert [v["reference"] for v in until] == [reference_of(old.ref)]
    mine = client.get(url, headers=H(world, "a"), query_string={"card_no": world.worker.card_no.lower()}).get_json()
    assert len(mine) == 3
    assert client.get(url, headers=H(world, "b")).status_code == 404


@pytest.mark.parametrize("query,field", [({"card_no": "JX123"}, "card_no"), ({"from": "yesterday"}, "from"),
                                         ({"from": "2026-01-02T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"},
                                          "to")])
def test_the_company_list_refuses_bad_filters(client, world, query, field):
    resp = client.get(f"/api/v1/companies/{world.a.company.uscc}/services", headers=H(world, "a"),
                      query_string=query)
    assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"]


# --- the household query ----------------------------------------------------------------------------------------

def _query(client, world, who="property", **over):
    payload = {"phone": PHONE, "purpose": "incident", "note": "12345 工单 2026-0419"}
    payload.update(over)
    return client.post("/api/v1/households/services", headers=H(world, who),
                       json={k: v for k, v in payload.items() if v is not ...})


def test_any_regulator_finds_the_household_across_companies_and_the_query_is_recorded(client, world, factory):
    by_a, by_b = serve(factory, world, PHONE)
    from tests.support.traceutil import record

    record(factory, world.a, phone="13912349999")  # another household
    logged = counts()[2]
    resp = _query(client, world, phone=" 139-1234-7701 ")
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    assert [v["reference"] for v in out["services"]] == [reference_of(by_a.ref), reference_of(by_b.ref)]
    assert {v["company"]["uscc"] for v in out["services"]} == {world.a.company.uscc, world.b.company.uscc}
    assert all(v["household_ref"] == by_a.household_ref and "household" not in v for v in out["services"])
    assert out["limit"] == 200 and "log_index" not in out
    no_phone(resp)
    # One query record: who, which agency, when, why; the household only as a state HMAC; no log entry.
    db.session.rollback()
    row = db.session.get(HouseholdQuery, out["query_id"])
    reg = world.regs["property"]
    assert (row.account_ref, row.agency_id, row.purpose, row.note, row.results) == (
        reg.ref, reg.agency_id, "incident", "12345 工单 2026-0419", 2)
    assert row.household_state == state_hmac(factory.ring, "household_ref", by_a.household_ref)
    assert abs(row.created_dt - utcnow()) < timedelta(minutes=1)
    assert counts()[2] == logged
    for needle in NEEDLES:
        assert database_holds(client.application, needle) == [], needle


def test_a_household_query_keeps_its_tokens_last_use(client, world):
    # The query reads before it takes any write lock (`database.reads_first`); the token's last use is still kept,
    # in a transaction of its own, as on every other request.
    from registry.accounts.models import ApiToken

    reg = world.regs["property"]
    db.session.execute(ApiToken.__table__.update().where(ApiToken.account_id == reg.id).values(last_used_dt=None))
    db.session.commit()
    assert _query(client, world).status_code == 200
    db.session.rollback()
    used = db.session.execute(select(ApiToken.last_used_dt).where(ApiToken.account_id == reg.id)).scalars().all()
    assert used and all(u is not None and abs(u - utcnow()) < timedelta(minutes=1) for u in used)


def test_a_household_nobody_served_finds_nothing_and_is_still_recorded(client, world):
    resp = _query(client, world, who="market", phone="13700000000", purpose="court_police", note=None)
    assert resp.status_code == 200 and resp.get_json()["services"] == []
    row = db.session.get(HouseholdQuery, resp.get_json()["query_id"])
    assert (row.results, row.purpose, row.note) == (0, "court_police", None)
    assert database_holds(client.application, "13700000000") == []


@pytest.mark.parametrize("over,field", [({"phone": "12345"}, "phone"), ({"phone": ...}, "phone"),
                                        ({"purpose": "curiosity"}, "purpose"), ({"purpose": ...}, "purpose"),
                                        ({"note": "注" * 201}, "note"), ({"card_no": "x"}, "card_no")])
def test_a_bad_household_query_is_refused_and_not_recorded(client, world, over, field):
    resp = _query(client, world, **over)
    assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"]
    no_phone(resp, "12345")
    assert counts()[4] == 0


@pytest.mark.parametrize("who,status", [("a", 403), ("operator", 403)])
def test_only_regulators_query_households(client, world, factory, who, status):
    serve(factory, world, PHONE)
    resp = _query(client, world, who=who)
    assert resp.status_code == status and set(resp.get_json()) == {"error"}
    assert client.post("/api/v1/households/services", json={"phone": PHONE, "purpose": "incident"}).status_code == 401
    assert counts()[4] == 0


def test_the_phone_never_goes_in_a_url(client, world):
    resp = client.get("/api/v1/households/services", headers=H(world, "property"), query_string={"phone": PHONE})
    assert resp.status_code == 405


def test_at_most_the_newest_200_services_are_answered(client, world, factory, monkeypatch):
    from registry.trace import queries

    monkeypatch.setattr(queries, "HOUSEHOLD_LIMIT", 3)
    # The statement was compiled with its limit; a smaller one for this test is a new statement.
    monkeypatch.setattr(queries, "_HOUSEHOLD_QUERY", queries.Prepared(queries._household_statement()))
    from tests.support.traceutil import record

    made = [record(factory, world.a, phone=PHONE, hours_ago=1 + n) for n in range(5)]
    resp = _query(client, world)
    assert [v["reference"] for v in resp.get_json()["services"]] == [reference_of(s.ref) for s in made[:3]]


# --- the query record ---------------------------------------------------------------------------------------------

def test_operators_list_every_query_and_regulator_admins_their_agency_s(client, world):
    _query(client, world, who="property")
    _query(client, world, who="housekeeping", purpose="complaint", note=None)
    everything = client.get("/api/v1/household-queries", headers=H(world, "operator"))
    assert everything.status_code == 200
    rows = everything.get_json()
    assert [r["account_ref"] for r in rows] == [world.regs["housekeeping"].ref, world.regs["property"].ref]
    assert rows[0]["account_login"] == world.regs["housekeeping"].login
    assert rows[0]["purpose_words"] == {"zh": "处理投诉", "en": "Complaint handling"}
    assert rows[1]["note"] == "12345 工单 2026-0419" and rows[1]["results"] == 0
    no_phone(everything)
    own = client.get("/api/v1/household-queries", headers=H(world, "hk_admin")).get_json()
    assert [r["account_ref"] for r in own] == [world.regs["housekeeping"].ref]
    for who in ("housekeeping", "market", "a"):
        assert client.get("/api/v1/household-queries", headers=H(world, who)).status_code == 403


# --- the limit ----------------------------------------------------------------------------------------------------

def test_household_queries_are_limited_per_account(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "HOUSEHOLD_QUERY_LIMIT", "3 per hour")
    for _ in range(3):
        assert _query(client, world).status_code == 200
    refused = _query(client, world)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert counts()[4] == 3
    # Another account's budget is its own.
    assert _query(client, world, who="market").status_code == 200
