"""Commendations (表彰): recorded by a company's regulators, revoked by the recording agency, public while in force.

Through the API and the pages: one entry per change whose digest is the commendation's canonical state, every
refusal with its status, code and fields (nothing stored), what the public view shows and when it stops (the day
after `valid_until`, and at once when revoked), and a log that still verifies.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import add_months
from registry.credit import commendations
from registry.credit.models import Commendation
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from tests.support.factory import bearer
from tests.support.logutil import ORIGIN, sign
from tests.support.webutil import post_form, regulator_client, text

DAY = date(2026, 9, 15)
TITLE = "年度诚信示范企业"
BASIS = "成都市商务局 成商务〔2026〕12号"
# Everything anyone sees of a commendation in force: nothing about who recorded it, nothing personal.
PUBLIC_KEYS = {"ref", "title", "basis", "agency", "commended_on", "valid_until"}


class World:
    """A verified housekeeping company; two regulators of one housekeeping agency, one of property, one of market
    supervision, an operator; a company admin; a pending company."""

    def __init__(self, factory):
        hk = factory.agency("housekeeping")
        self.hk = factory.agency_user(hk)
        self.hk2 = factory.agency_user(hk)
        self.prop = factory.agency_user(factory.agency("property"))
        self.market = factory.agency_user(factory.agency("market"))
        self.operator = factory.agency_user(factory.agency(kind="operator", sector=None), role="operator_admin")
        factory._regulators = {"housekeeping": self.hk.account}
        self.company, self.admin = factory.company()
        self.pending, _ = factory.company(verified=False)
        self.tokens = {name: factory.token(getattr(self, name).account)
                       for name in ("hk", "hk2", "prop", "market", "operator", "admin")}

    def headers(self, who: str) -> dict:
        return bearer(self.tokens[who])


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(DAY)
    return World(factory)


def body(**over) -> dict:
    return {"title": TITLE, "basis": BASIS, "commended_on": DAY.isoformat(), "valid_until": None, **over}


def post(client, world, who: str = "hk", uscc: str | None = None, **over):
    return client.post(f"/api/v1/companies/{uscc or world.company.uscc}/commendations", json=body(**over),
                       headers=world.headers(who))


def revoke(client, world, ref: str, who: str = "hk", reason: str = "登记有误：表彰对象不是本企业。"):
    return client.post(f"/api/v1/commendations/{ref}/revoke", json={"reason": reason}, headers=world.headers(who))


def entries() -> list[LogEntry]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars())


def stored() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(Commendation)).scalar_one()


def by_ref(ref: str) -> Commendation:
    db.session.rollback()
    return db.session.execute(select(Commendation).where(Commendation.ref == ref)).scalar_one()


def public(client, world) -> list[dict]:
    view = client.get(f"/api/v1/companies/{world.company.uscc}").get_json()
    listed = client.get(f"/api/v1/companies/{world.company.uscc}/commendations").get_json()
    assert view["commendations"] == listed
    return listed


# --- recording --------------------------------------------------------------------------------------------------

def test_recording_writes_one_entry_whose_digest_is_the_commendations_state(app, client, factory, world):
    before = entries()
    resp = post(client, world)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    after = entries()
    assert len(after) == len(before) + 1
    entry = after[-1]
    c = by_ref(out["ref"])
    assert out["log_index"] == entry.seq
    assert out["valid_until"] == add_months(DAY, 12).isoformat() == c.valid_until.isoformat()
    entry_body = json.loads(entry.body)
    assert (entry_body["action"], entry_body["actor"], entry_body["subject"]) == (
        "commendation:record", world.hk.account.ref, c.log_ref)
    state = canonical.state_of(factory.ring, c)
    assert entry_body["digest"] == canonical.digest(state)
    assert state["company"] == world.company.log_ref and state["agency"] == world.hk.account.agency.log_ref
    assert (state["title"], state["basis"], state["commended_on"], state["revoked"]) == (
        TITLE, BASIS, DAY.isoformat(), None)


def test_the_default_validity_is_a_setting_and_a_given_last_day_is_kept(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENDATION_VALID_MONTHS", 6)
    assert post(client, world).get_json()["valid_until"] == "2027-03-15"
    given = post(client, world, commended_on="2026-08-31", valid_until="2028-08-31").get_json()
    assert given["valid_until"] == "2028-08-31"


def test_market_supervision_records_for_any_company(app, client, world):
    resp = post(client, world, who="market")
    assert resp.status_code == 201, resp.get_json()
    assert by_ref(resp.get_json()["ref"]).agency_id == world.market.account.agency_id


def test_title_and_basis_are_kept_as_one_line(app, client, world):
    ref = post(client, world, title="  年度\n诚信   示范企业 ", basis="成商务\t〔2026〕12号").get_json()["ref"]
    c = by_ref(ref)
    assert (c.title, c.basis) == ("年度 诚信 示范企业", "成商务 〔2026〕12号")


# --- refusals -----------------------------------------------------------------------------------------------------

INVALID = [
    ("title_missing", {"title": "   "}, {"title"}),
    ("basis_missing", {"basis": " \n "}, {"basis"}),
    ("commended_on_future", {"commended_on": (DAY + timedelta(days=1)).isoformat()}, {"commended_on"}),
    ("valid_until_not_after", {"valid_until": DAY.isoformat()}, {"valid_until"}),
    ("valid_until_not_after", {"valid_until": (DAY - timedelta(days=1)).isoformat()}, {"valid_until"}),
    ("invalid_input", {"title": " ", "basis": " ", "commended_on": "2026-09-16", "valid_until": "2026-09-01"},
     {"title", "basis", "commended_on", "valid_until"}),
    # The schema's own checks: lengths, a date, an unknown field.
    ("invalid_input", {"title": "奖" * 101}, {"title"}),
    ("invalid_input", {"basis": "文" * 201}, {"basis"}),
    ("invalid_input", {"commended_on": "15/09/2026"}, {"commended_on"}),
    ("invalid_input", {"granted_by": "me"}, {"granted_by"}),
]


@pytest.mark.parametrize("code,over,fields", INVALID, ids=[f"{c}-{i}" for i, (c, _o, _f) in enumerate(INVALID)])
def test_bad_input_is_a_422_naming_each_field_and_stores_nothing(app, client, world, code, over, fields):
    before = len(entries())
    resp = post(client, world, **over)
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code
    assert set(error["fields"]) == fields
    assert all(m["zh"] and m["en"] for m in error["fields"].values())
    assert len(entries()) == before and stored() == 0


def test_the_service_refuses_a_title_or_basis_too_long_for_its_column(app, factory, world):
    """The page and the API check lengths first; the service holds the limits whoever calls it."""
    with pytest.raises(ApiError) as caught:
        commendations.record_commendation(factory.ring, regulator=world.hk.account, company=world.company,
                                          title="奖" * 101, basis="文" * 201, commended_on=DAY, today=DAY)
    assert caught.value.status == 422 and set(caught.value.fields) == {"title", "basis"}


@pytest.mark.parametrize("who,code", [("admin", "forbidden"), ("operator", "forbidden"),
                                      ("prop", "not_company_regulator")])
def test_only_the_companys_regulators_record(app, client, world, who, code):
    resp = post(client, world, who=who)
    assert resp.status_code == 403, resp.get_json()
    assert resp.get_json()["error"]["code"] == code
    assert stored() == 0


def test_no_token_is_a_401(app, client, world):
    resp = client.post(f"/api/v1/companies/{world.company.uscc}/commendations", json=body())
    assert resp.status_code == 401 and stored() == 0


def test_an_unknown_company_is_a_404_and_a_pending_one_a_409(app, client, factory, world):
    unknown = post(client, world, uscc=factory.uscc())
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    pending = post(client, world, uscc=world.pending.uscc)
    assert pending.status_code == 409 and pending.get_json()["error"]["code"] == "company_not_verified"
    assert stored() == 0
    assert client.get(f"/api/v1/companies/{factory.uscc()}/commendations").status_code == 404
    assert client.get(f"/api/v1/companies/{world.pending.uscc}/commendations").status_code == 404


# --- revoking -----------------------------------------------------------------------------------------------------

def test_the_recording_agency_revokes_once_with_one_entry(app, client, factory, world):
    ref = post(client, world).get_json()["ref"]
    before = len(entries())
    other = revoke(client, world, ref, who="market")
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "not_recording_agency"
    blank = revoke(client, world, ref, reason="   ")
    assert blank.status_code == 422 and blank.get_json()["error"]["code"] == "reason_missing"
    assert set(blank.get_json()["error"]["fields"]) == {"reason"}
    assert len(entries()) == before and by_ref(ref).revoked_dt is None
    # Another regulator of the same agency may revoke what a colleague recorded.
    resp = revoke(client, world, ref, who="hk2")
    assert resp.status_code == 200, resp.get_json()
    after = entries()
    assert len(after) == before + 1 and resp.get_json()["log_index"] == after[-1].seq
    c = by_ref(ref)
    entry_body = json.loads(after[-1].body)
    assert (entry_body["action"], entry_body["actor"]) == ("commendation:revoke", world.hk2.account.ref)
    assert entry_body["digest"] == canonical.digest(canonical.state_of(factory.ring, c))
    assert (c.revoked_by, c.revoke_reason) == (world.hk2.account.ref, "登记有误：表彰对象不是本企业。")
    again = revoke(client, world, ref)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_revoked"
    assert len(entries()) == before + 1


def test_revoking_asks_for_a_regulator_and_a_known_reference(app, client, world):
    ref = post(client, world).get_json()["ref"]
    assert revoke(client, world, ref, who="admin").status_code == 403
    assert revoke(client, world, "0" * 32).status_code == 404
    assert client.post(f"/api/v1/commendations/{ref}/revoke", json={"reason": "x"}).status_code == 401
    assert by_ref(ref).revoked_dt is None


# --- what the public sees -----------------------------------------------------------------------------------------

def test_the_public_view_lists_those_in_force_until_valid_until_and_none_revoked(app, client, world, clock):
    assert public(client, world) == []
    start = DAY - timedelta(days=10)
    kept = post(client, world, commended_on=start.isoformat(), valid_until=(DAY + timedelta(days=5)).isoformat())
    ref = kept.get_json()["ref"]
    newer = post(client, world, who="market", title="守信激励示范企业", basis="成市监〔2026〕8号").get_json()["ref"]
    listed = public(client, world)
    assert [c["ref"] for c in listed] == [newer, ref]  # newest first
    assert all(set(c) == PUBLIC_KEYS for c in listed)
    first = listed[1]
    agency = world.hk.account.agency
    assert (first["title"], first["basis"], first["commended_on"], first["valid_until"]) == (
        TITLE, BASIS, start.isoformat(), "2026-09-20")
    assert first["agency"] == {"code": agency.code, "name_zh": agency.name_zh, "name_en": agency.name_en}
    page = text(client.get(f"/companies/{world.company.uscc}"))
    assert TITLE in page and BASIS in page and agency.name_zh in page and "2026-09-20" in page
    # Through its last day, and not a day longer.
    clock.freeze(date(2026, 9, 20))
    assert [c["ref"] for c in public(client, world)] == [newer, ref]
    clock.freeze(date(2026, 9, 21))
    assert [c["ref"] for c in public(client, world)] == [newer]
    assert TITLE not in text(client.get(f"/companies/{world.company.uscc}"))
    # Revoked: gone at once.
    assert revoke(client, world, newer, who="market").status_code == 200
    assert public(client, world) == []
    assert "守信激励示范企业" not in text(client.get(f"/companies/{world.company.uscc}"))


def test_the_log_verifies_after_records_and_revocations(app, client, factory, world):
    refs = [post(client, world).get_json()["ref"], post(client, world, who="market").get_json()["ref"]]
    assert revoke(client, world, refs[0]).status_code == 200
    sign(factory.ring)
    db.session.expire_all()
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures


# --- the pages ----------------------------------------------------------------------------------------------------


def test_a_regulator_records_and_revokes_on_the_companys_page(app, client, world):
    browser = regulator_client(app, world.hk)
    page = f"/regulator/companies/{world.company.uscc}/commendations"
    assert browser.get(page).status_code == 200
    # The company queue links to it.
    assert page in text(browser.get("/regulator/companies"))
    before = len(entries())
    bad = post_form(browser, page, {"title": "", "basis": BASIS, "commended_on": "2026-09-16", "valid_until": ""})
    assert bad.status_code == 422
    html = text(bad)
    assert 'id="error-summary"' in html and "请填写表彰名称" in html and "表彰日期不能晚于今天" not in html
    future = post_form(browser, page, {"title": TITLE, "basis": BASIS, "commended_on": "2026-09-16",
                                       "valid_until": ""})
    assert future.status_code == 422 and "表彰日期不能晚于今天" in text(future)
    assert len(entries()) == before and stored() == 0
    done = post_form(browser, page, {"title": TITLE, "basis": BASIS, "commended_on": "2026-09-01",
                                     "valid_until": ""})
    assert done.status_code == 302 and done.headers["Location"].endswith(page)
    assert [e.action for e in entries()[before:]] == ["commendation:record"]
    c = db.session.execute(select(Commendation)).scalar_one()
    assert c.valid_until == date(2027, 9, 1)
    listing = text(browser.get(page))
    assert f'id="commendation-{c.ref}"' in listing and f'action="/regulator/commendations/{c.ref}/revoke"' in listing
    assert TITLE in text(client.get(f"/companies/{world.company.uscc}"))
    # Revoking needs a reason; then it is gone from the public page.
    blank = post_form(browser, f"/regulator/commendations/{c.ref}/revoke", {"reason": ""}, page=page)
    assert blank.status_code == 422 and "请说明撤销理由" in text(blank)
    gone = post_form(browser, f"/regulator/commendations/{c.ref}/revoke", {"reason": "登记有误"}, page=page)
    assert gone.status_code == 302
    assert [e.action for e in entries()[before:]] == ["commendation:record", "commendation:revoke"]
    assert TITLE not in text(client.get(f"/companies/{world.company.uscc}"))
    assert "已撤销" in text(browser.get(page))


def test_other_regulators_get_no_page_and_no_revoke(app, client, world):
    ref = post(client, world).get_json()["ref"]
    page = f"/regulator/companies/{world.company.uscc}/commendations"
    # Property regulates no sector of this company: as for an unknown company.
    assert regulator_client(app, world.prop).get(page).status_code == 404
    # Market supervision sees and records, but revokes only what its own agency recorded: no button, and 403.
    market = regulator_client(app, world.market)
    html = text(market.get(page))
    assert TITLE in html and f"/regulator/commendations/{ref}/revoke" not in html
    refused = post_form(market, f"/regulator/commendations/{ref}/revoke", {"reason": "登记有误"}, page=page)
    assert refused.status_code == 403
    assert by_ref(ref).revoked_dt is None
