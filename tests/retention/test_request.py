"""Erasure on a lawful request: the API and the page, who may, and every refusal with its code and field."""
from __future__ import annotations

import json
import random
from datetime import date

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers.models import Worker
from tests.support.webutil import post_form, regulator_client

START = date(2027, 3, 1)


@pytest.fixture
def world(app, factory, clock):
    from registry.workers import idnumber
    from registry.workers import services as workers

    clock.freeze(START)
    company, admin = factory.company()
    acc = admin.account

    def register(seed, end):
        w = workers.register_worker(
            factory.ring, account=acc, company=company, today=START,
            person=workers.Person("陈秀英", idnumber.generate(random.Random(seed), birth=date(1980, 5, 5)),
                                  f"1361234{seed:04d}"),
            engagement=workers.Engagement("cleaner", "labour_contract", START, True)).worker
        db.session.commit()
        if end:
            workers.end_employment(factory.ring, account=acc, company=company, worker=w, end_date=START, today=START)
            db.session.commit()
        return w.card_no

    ops = factory.agency(kind="operator", sector=None, code="rt-ops")
    market = factory.agency(sector="market", code="rt-mkt")
    hk = factory.agency(sector="housekeeping", code="rt-hk")
    people = {"operator": factory.agency_user(ops, role="operator_admin"),
              "market": factory.agency_user(market), "hk": factory.agency_user(hk)}
    return {"former": register(1, True), "employed": register(2, False),
            "tokens": {k: factory.token(p.account) for k, p in people.items()}, "people": people,
            "company_token": factory.token(acc)}


def call(client, world, who, card, body):
    token = world["company_token"] if who == "company" else world["tokens"][who]
    return client.post(f"/api/v1/workers/{card}/erasure", json=body, headers={"Authorization": f"Bearer {token}"})


GOOD = {"basis": "subject_request", "reference": "成市监删〔2027〕1号"}


def test_an_operator_erases_with_the_basis_and_reference_recorded(client, world):
    resp = call(client, world, "operator", world["former"], GOOD)
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    entry = db.session.get(LogEntry, out["log_index"])
    account_ref = world["people"]["operator"].account.ref
    assert (entry.action, json.loads(entry.body)["actor"]) == ("worker:erase", account_ref)
    w = db.session.execute(select(Worker).where(Worker.card_no == world["former"])).scalar_one()
    assert (w.erased_basis, w.erased_reference, out["basis"]) == ("subject_request", GOOD["reference"],
                                                                  "subject_request")
    again = call(client, world, "market", world["former"], GOOD)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "already_erased")


@pytest.mark.parametrize("body, field, code", [
    ({"reference": "x"}, "basis", "basis_missing"),
    ({"basis": "", "reference": "x"}, "basis", "basis_missing"),
    ({"basis": "retention_period", "reference": "x"}, "basis", "basis_unknown"),
    ({"basis": "because", "reference": "x"}, "basis", "basis_unknown"),
    ({"basis": "authority_order"}, "reference", "reference_missing"),
    ({"basis": "authority_order", "reference": "   "}, "reference", "reference_missing"),
    ({"basis": "authority_order", "reference": "号" * 101}, "reference", "reference_too_long"),
])
def test_bad_input_names_the_field_with_a_code_in_both_languages(client, world, body, field, code):
    resp = call(client, world, "operator", world["former"], body)
    error = resp.get_json()["error"]
    assert (resp.status_code, error["code"]) == (422, code)
    assert set(error["fields"]) == {field} and error["fields"][field]["zh"] and error["fields"][field]["en"]
    assert db.session.execute(select(Worker.erased_dt).where(Worker.card_no == world["former"])).scalar_one() is None


def test_a_reference_is_masked_of_phone_numbers(client, world):
    resp = call(client, world, "operator", world["former"], {"basis": "authority_order",
                                                             "reference": "来电 13912345678 请求"})
    assert resp.status_code == 200
    ref = db.session.execute(select(Worker.erased_reference).where(Worker.card_no == world["former"])).scalar_one()
    assert "13912345678" not in ref


def test_what_a_lawful_request_may_not_erase(client, world):
    resp = call(client, world, "operator", world["employed"], GOOD)
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (409, "worker_employed")
    # A regulator who does not oversee the worker is told nothing (404); a company may not ask at all (403).
    assert call(client, world, "hk", world["former"], GOOD).status_code == 404
    assert call(client, world, "company", world["former"], GOOD).status_code == 403
    assert db.session.execute(select(LogEntry).where(LogEntry.action == "worker:erase")).first() is None


def test_the_page_erases_and_refuses_like_the_api(app, world):
    browser = regulator_client(app, world["people"]["market"])
    page = f"/admin/workers/{world['former']}/erase"
    assert browser.get(page).status_code == 200
    refused = post_form(browser, page, {"basis": "", "reference": "成市监删〔2027〕2号"})
    assert refused.status_code == 422 and "请选择删除的法律依据" in refused.get_data(as_text=True)
    done = post_form(browser, page, {"basis": "purpose_achieved", "reference": "成市监删〔2027〕2号"})
    assert done.status_code == 302
    assert 'id="erased"' in browser.get(page).get_data(as_text=True)
    employed = post_form(browser, f"/admin/workers/{world['employed']}/erase",
                         {"basis": "purpose_achieved", "reference": "x"})
    assert employed.status_code == 409
    hk = regulator_client(app, world["people"]["hk"])
    assert hk.get(page).status_code == 404
