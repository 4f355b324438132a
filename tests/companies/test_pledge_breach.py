"""A credit pledge found broken (违背信用承诺): recorded by a regulator who oversees the company, through the service,
the API and the regulators' company page; shown on the company's own page; signed again by the company.

Each refusal has its status, code and fields and stores nothing; a recording writes one `company:pledge:break`
entry whose digest is the company's state with the breach in it, and the log still verifies. The score it moves is
tests/credit/test_keeping.py.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.companies import services as companies
from registry.companies.models import Pledge
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from tests.support.factory import bearer
from tests.support.logutil import ORIGIN, sign
from tests.support.webutil import login, post_form, regulator_client, text

SIGNED = date(2026, 8, 20)
DAY = date(2026, 9, 15)
BASIS = "成都市商务局 成商务信〔2026〕5号认定书"


class World:
    """A verified housekeeping company whose admin signed the pledge on SIGNED; regulators of housekeeping (two of
    one agency), property and market supervision; an operator; a verified company that signed nothing."""

    def __init__(self, factory, clock):
        hk = factory.agency("housekeeping")
        self.hk = factory.agency_user(hk)
        self.hk2 = factory.agency_user(hk)
        self.prop = factory.agency_user(factory.agency("property"))
        self.market = factory.agency_user(factory.agency("market"))
        self.operator = factory.agency_user(factory.agency(kind="operator", sector=None), role="operator_admin")
        factory._regulators = {"housekeeping": self.hk.account}
        clock.freeze(SIGNED)
        self.company, self.admin = factory.company()
        companies.sign_pledge(factory.ring, account=self.admin.account, company=self.company, version=1)
        db.session.commit()
        self.unsigned, self.unsigned_admin = factory.company()
        clock.freeze(DAY)
        self.tokens = {name: factory.token(getattr(self, name).account)
                       for name in ("hk", "hk2", "prop", "market", "operator", "admin")}

    def headers(self, who: str) -> dict:
        return bearer(self.tokens[who])


@pytest.fixture
def world(app, factory, clock):
    from tests.support.snapshot import world_once

    return world_once("pledge_breach", lambda: World(factory, clock), factory=factory, clock=clock)


def body(**over) -> dict:
    return {"found_on": (DAY - timedelta(days=3)).isoformat(), "basis": BASIS, **over}


def post(client, world, who: str = "hk", uscc: str | None = None, **over):
    return client.post(f"/api/v1/companies/{uscc or world.company.uscc}/pledge/breach", json=body(**over),
                       headers=world.headers(who))


def entries() -> list[LogEntry]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars())


def pledges(company) -> list[tuple]:
    """(state, broken_on, broken_basis, broken_by) of each of the company's pledges, in signing order."""
    db.session.rollback()
    return [tuple(r) for r in db.session.execute(
        select(Pledge.state, Pledge.broken_on, Pledge.broken_basis, Pledge.broken_by)
        .where(Pledge.company_id == company.id).order_by(Pledge.id))]


KEPT = ("kept", None, None, None)


def breach(factory, world, who="hk", found_on=DAY - timedelta(days=3), basis=BASIS, company=None):
    out = companies.record_pledge_breach(factory.ring, regulator=getattr(world, who).account,
                                         company=company or world.company, found_on=found_on, basis=basis, today=DAY)
    db.session.commit()
    return out


# --- the service ------------------------------------------------------------------------------------------------

def test_recording_breaks_the_pledge_in_one_entry_whose_digest_is_the_companys_state(factory, world):
    before = len(entries())
    recorded = breach(factory, world, basis="  成商务信〔2026〕5号\n认定书 ")
    after = entries()
    assert len(after) == before + 1 and recorded.seq == after[-1].seq
    entry = json.loads(after[-1].body)
    assert (entry["action"], entry["actor"], entry["subject"]) == (
        "company:pledge:break", world.hk.account.ref, world.company.log_ref)
    # The basis is kept as one line.
    assert pledges(world.company) == [("broken", DAY - timedelta(days=3), "成商务信〔2026〕5号 认定书",
                                       world.hk.account.ref)]
    state = canonical.state_of(factory.ring, world.company)
    assert entry["digest"] == canonical.digest(state)
    (p,) = state["pledges"]
    assert (p["state"], p["broken_on"], p["broken_basis"], p["broken_by"]) == (
        "broken", (DAY - timedelta(days=3)).isoformat(), "成商务信〔2026〕5号 认定书", world.hk.account.ref)


def test_a_kept_pledges_state_is_as_before_breaches_existed(factory, world):
    """The breach's keys appear only once one is recorded: digests logged before stay valid."""
    (p,) = canonical.state_of(factory.ring, world.company)["pledges"]
    assert set(p) == {"version", "text_sha256", "accepted_by", "accepted", "state"} and p["state"] == "kept"


@pytest.mark.parametrize("who", ["market", "hk2"])
def test_market_supervision_and_any_regulator_of_the_sector_record(factory, world, who):
    breach(factory, world, who=who)
    assert pledges(world.company)[0][0] == "broken"


def test_the_day_found_may_be_today_or_the_day_it_was_signed(factory, world):
    breach(factory, world, found_on=SIGNED)
    assert pledges(world.company)[0][1] == SIGNED
    companies.sign_pledge(factory.ring, account=world.admin.account, company=world.company, version=1)
    db.session.commit()
    breach(factory, world, found_on=DAY)
    assert [p[:2] for p in pledges(world.company)] == [("broken", SIGNED), ("broken", DAY)]


REFUSED = [
    # who (403), before anything else
    ("admin", {}, 403, "forbidden", None),
    ("operator", {}, 403, "forbidden", None),
    ("prop", {"basis": ""}, 403, "not_subject_regulator", None),
    # the input (422)
    ("hk", {"basis": " \n\t "}, 422, "basis_missing", {"basis"}),
    ("hk", {"basis": None}, 422, "basis_missing", {"basis"}),
    ("hk", {"basis": "文" * 201}, 422, "basis_too_long", {"basis"}),
    ("hk", {"found_on": None}, 422, "found_on_missing", {"found_on"}),
    ("hk", {"found_on": DAY + timedelta(days=1)}, 422, "found_on_future", {"found_on"}),
    ("hk", {"found_on": DAY + timedelta(days=1), "basis": ""}, 422, "invalid_input", {"found_on", "basis"}),
    # against the pledge's signing day
    ("hk", {"found_on": SIGNED - timedelta(days=1)}, 422, "found_on_before_signed", {"found_on"}),
]


@pytest.mark.parametrize("who,over,status,code,fields", REFUSED,
                         ids=[f"{c}-{i}" for i, (_w, _o, _s, c, _f) in enumerate(REFUSED)])
def test_each_refusal_has_its_status_and_code_and_stores_nothing(factory, world, who, over, status, code, fields):
    before = len(entries())
    args = {"found_on": DAY - timedelta(days=3), "basis": BASIS, **over}
    with pytest.raises(ApiError) as caught:
        companies.record_pledge_breach(factory.ring, regulator=getattr(world, who).account, company=world.company,
                                       today=DAY, **args)
    db.session.rollback()
    assert (caught.value.status, caught.value.code) == (status, code)
    if fields is not None:
        assert set(caught.value.fields) == fields
        assert all(m["zh"] and m["en"] for m in caught.value.fields.values())
    assert len(entries()) == before and pledges(world.company) == [KEPT]


def test_no_pledge_and_a_pledge_already_broken_are_409(factory, world):
    with pytest.raises(ApiError) as caught:
        breach(factory, world, company=world.unsigned)
    assert (caught.value.status, caught.value.code) == (409, "no_pledge")
    db.session.rollback()
    breach(factory, world)
    before = len(entries())
    with pytest.raises(ApiError) as caught:
        breach(factory, world, who="market", basis="另一份认定书")
    assert (caught.value.status, caught.value.code) == (409, "pledge_broken")
    db.session.rollback()
    assert len(entries()) == before
    assert pledges(world.company) == [("broken", DAY - timedelta(days=3), BASIS, world.hk.account.ref)]


def test_the_company_signs_again_after_a_breach_and_only_once_while_it_is_kept(factory, world):
    breach(factory, world)
    companies.sign_pledge(factory.ring, account=world.admin.account, company=world.company, version=1)
    db.session.commit()
    assert [p[0] for p in pledges(world.company)] == ["broken", "kept"]
    with pytest.raises(ApiError) as caught:
        companies.sign_pledge(factory.ring, account=world.admin.account, company=world.company, version=1)
    assert (caught.value.status, caught.value.code) == (409, "pledge_signed")
    db.session.rollback()
    # The new pledge was signed today: it cannot have been found broken before.
    with pytest.raises(ApiError) as caught:
        breach(factory, world)
    assert caught.value.code == "found_on_before_signed"


def test_the_log_verifies_after_breaches_and_names_an_edited_basis(factory, world):
    breach(factory, world)
    companies.sign_pledge(factory.ring, account=world.admin.account, company=world.company, version=1)
    db.session.commit()
    sign(factory.ring)
    db.session.expire_all()
    assert verify_local(factory.ring, ORIGIN).ok
    seq = entries()[-1].seq
    db.session.execute(Pledge.__table__.update().where(Pledge.broken_on.is_not(None)).values(broken_basis="伪造"))
    db.session.commit()
    db.session.expire_all()
    assert verify_local(factory.ring, ORIGIN).failures == [
        f"company {world.company.log_ref}: canonical state digest differs from entry {seq}"]


# --- the API ----------------------------------------------------------------------------------------------------

def test_the_api_answers_the_entry_and_the_company_reads_its_breach(client, world):
    resp = post(client, world)
    assert resp.status_code == 200, resp.get_json()
    assert set(resp.get_json()) == {"log_index"}
    assert entries()[resp.get_json()["log_index"]].action == "company:pledge:break"
    for who in ("admin", "hk"):
        view = client.get(f"/api/v1/companies/{world.company.uscc}/profile", headers=world.headers(who)).get_json()
        assert view["pledge"]["state"] == "broken"
        assert view["pledge_breaches"] == [{"version": 1, "accepted_dt": view["pledge"]["accepted_dt"],
                                            "broken_on": (DAY - timedelta(days=3)).isoformat(), "basis": BASIS}]
    # The public view says the pledge's state, not the finding.
    public = client.get(f"/api/v1/companies/{world.company.uscc}").get_json()
    assert public["pledge"]["state"] == "broken" and "pledge_breaches" not in public
    assert BASIS not in json.dumps(public, ensure_ascii=False)
    # Signed again: kept, and the breach stays on the company's record.
    resp = client.post(f"/api/v1/companies/{world.company.uscc}/pledge", json={"version": 1},
                       headers=world.headers("admin"))
    assert resp.status_code == 200, resp.get_json()
    view = client.get(f"/api/v1/companies/{world.company.uscc}/profile", headers=world.headers("admin")).get_json()
    assert view["pledge"]["state"] == "kept" and len(view["pledge_breaches"]) == 1


API_REFUSED = [
    ("prop", {}, 403, "not_subject_regulator", None),
    ("admin", {}, 403, "forbidden", None),
    ("hk", {"basis": "  "}, 422, "basis_missing", {"basis"}),
    ("hk", {"basis": "文" * 201}, 422, "invalid_input", {"basis"}),
    ("hk", {"found_on": (DAY + timedelta(days=1)).isoformat()}, 422, "found_on_future", {"found_on"}),
    ("hk", {"found_on": "15/09/2026"}, 422, "invalid_input", {"found_on"}),
    ("hk", {"found_on": (SIGNED - timedelta(days=1)).isoformat()}, 422, "found_on_before_signed", {"found_on"}),
    ("hk", {"found_by": "me"}, 422, "invalid_input", {"found_by"}),
]


@pytest.mark.parametrize("who,over,status,code,fields", API_REFUSED,
                         ids=[f"{c}-{i}" for i, (_w, _o, _s, c, _f) in enumerate(API_REFUSED)])
def test_api_refusals(client, world, who, over, status, code, fields):
    before = len(entries())
    resp = post(client, world, who=who, **over)
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"]["zh"] and error["message"]["en"]
    if fields is not None:
        assert set(error["fields"]) == fields
    assert len(entries()) == before and pledges(world.company) == [KEPT]


def test_api_no_token_unknown_company_no_pledge_and_twice(client, factory, world):
    assert client.post(f"/api/v1/companies/{world.company.uscc}/pledge/breach", json=body()).status_code == 401
    unknown = post(client, world, uscc=factory.uscc())
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    none = post(client, world, uscc=world.unsigned.uscc)
    assert none.status_code == 409 and none.get_json()["error"]["code"] == "no_pledge"
    assert post(client, world).status_code == 200
    twice = post(client, world, who="market")
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "pledge_broken"
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Pledge)
                              .where(Pledge.state == "broken")).scalar_one() == 1


# --- the pages --------------------------------------------------------------------------------------------------

def test_a_regulator_records_a_broken_pledge_on_the_companys_page(app, client, world):
    browser = regulator_client(app, world.hk)
    page = f"/regulator/companies/{world.company.uscc}/commendations"
    action = f"/regulator/companies/{world.company.uscc}/pledge/breach"
    html = text(browser.get(page))
    assert "记录违背信用承诺" in html and f'action="{action}"' in html
    assert 'id="breach-found_on"' in html and 'id="breach-basis"' in html
    assert "Record a broken pledge" in text(browser.get(f"{page}?lang=en"))
    browser.get(f"{page}?lang=zh")  # the choice stays with the session
    before = len(entries())
    blank = post_form(browser, action, {"found_on": "", "basis": ""}, page=page)
    assert blank.status_code == 422
    html = text(blank)
    assert 'id="breach-error-summary"' in html and "请填写认定违背承诺的日期" in html and "请填写认定依据" in html
    # The commendation form beside it shows no error.
    assert 'id="error-summary"' not in html
    english = post_form(browser, f"{action}?lang=en", {"found_on": "", "basis": BASIS}, page=f"{page}?lang=en")
    assert english.status_code == 422 and "Give the day the pledge was found broken." in text(english)
    browser.get(f"{page}?lang=zh")
    future = post_form(browser, action, {"found_on": (DAY + timedelta(days=1)).isoformat(), "basis": BASIS},
                       page=page)
    assert future.status_code == 422 and "认定日期不能晚于今天" in text(future)
    early = post_form(browser, action, {"found_on": "2026-08-01", "basis": BASIS}, page=page)
    assert early.status_code == 422 and "认定日期不能早于签署日期" in text(early)
    assert len(entries()) == before and pledges(world.company) == [KEPT]
    done = post_form(browser, action, {"found_on": "2026-09-10", "basis": BASIS}, page=page)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{page}#pledge")
    assert [e.action for e in entries()[before:]] == ["company:pledge:break"]
    html = text(browser.get(page))
    assert "2026-09-10" in html and BASIS in html and f'action="{action}"' not in html
    # A second post (a stale page) is refused with the reason shown, nothing stored.
    again = post_form(browser, action, {"found_on": "2026-09-10", "basis": BASIS}, page=page)
    assert again.status_code == 409 and "已记录为违背" in text(again)
    assert len(entries()) == before + 1


def test_the_form_needs_its_csrf_token_and_other_sectors_get_no_page(app, world):
    page = f"/regulator/companies/{world.company.uscc}/commendations"
    action = f"/regulator/companies/{world.company.uscc}/pledge/breach"
    browser = regulator_client(app, world.hk)
    browser.get(page)
    refused = browser.post(action, data={"found_on": "2026-09-10", "basis": BASIS})
    assert refused.status_code == 400
    prop = regulator_client(app, world.prop)
    assert prop.get(page).status_code == 404
    assert post_form(prop, action, {"found_on": "2026-09-10", "basis": BASIS}, page="/regulator/companies"
                     ).status_code == 404
    assert pledges(world.company) == [KEPT]


def test_the_companys_page_shows_the_breach_and_signs_again(client, factory, world):
    breach(factory, world)
    login(client, world.admin.account.login, world.admin.password)
    html = text(client.get("/company"))
    assert 'id="pledge-breaches"' in html and (DAY - timedelta(days=3)).isoformat() in html and BASIS in html
    assert "已违反" in html and 'id="pledge-signed"' not in html and 'action="/company/pledge"' in html
    resp = post_form(client, "/company/pledge", {"version": "1", "agree": "y"}, page="/company")
    assert resp.status_code == 302
    html = text(client.get("/company"))
    assert 'id="pledge-signed"' in html and 'id="pledge-breaches"' in html and 'action="/company/pledge"' not in html
