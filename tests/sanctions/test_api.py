"""The sanctions API over HTTP: each severity's lifecycle with time moved by the clock seam, one entry per change,
bad input refused with its fields and nothing stored, only the issuing agency changing a sanction, any regulator
reading it, and each subject reading only its own notices, with persons masked in every answer."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.clock import add_months
from registry.extensions import db
from registry.log.models import LogEntry
from registry.notify.models import OutboxMessage
from registry.sanctions.models import Sanction
from tests.support.cardworld import green_worker
from tests.support.factory import bearer
from tests.support.sanctionutil import BASIS, FACTS, MEASURES, NOTICE_REASONS, regulators
from tests.support.selfutil import employ, signed_in

START = date(2026, 6, 1)  # a Monday


def log_size() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def table_counts() -> dict:
    db.session.rollback()
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


def body(**over) -> dict:
    out = {"kind": "fine", "severity": "general", "legal_basis": BASIS, "facts": FACTS, "measures": MEASURES,
           "decision_no": "商务罚〔2026〕1号", "decision_date": START.isoformat()}
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


class Api:
    """A client with the regulators' tokens; every change checked to write exactly one entry of its action."""

    def __init__(self, client, factory):
        self.client, self.f = client, factory
        self.hk, self.hk2 = regulators(factory, "housekeeping", code="hk")
        self.prop, _ = regulators(factory, "property", code="prop")
        self.market, _ = regulators(factory, "market", code="market")
        self.tokens = {acc.ref: factory.token(acc) for acc in (self.hk, self.hk2, self.prop, self.market)}

    def h(self, account) -> dict:
        return bearer(self.tokens[account.ref])

    def get(self, account, path: str, status: int = 200):
        resp = self.client.get(path, headers=self.h(account))
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    def change(self, account, path: str, payload=None, *, action: str, status: int = 200) -> dict:
        before = log_size()
        resp = self.client.post(path, json=payload, headers=self.h(account))
        assert resp.status_code == status, resp.get_json()
        out = resp.get_json()
        assert log_size() == before + 1 and out["log_index"] == before
        entry = db.session.get(LogEntry, before)
        assert entry.action == action and json.loads(entry.body)["action"] == action
        return out

    def refused(self, account, path: str, payload=None, *, status: int, code: str | None = None) -> dict:
        """Refused with `status` (and `code`, when given), and nothing stored: no row, no entry."""
        before = table_counts()
        resp = self.client.post(path, json=payload, headers=self.h(account))
        assert resp.status_code == status, resp.get_json()
        err = resp.get_json()["error"]
        assert code is None or err["code"] == code, err
        assert err["message"]["zh"] and err["message"]["en"]
        assert table_counts() == before
        return err

    def record(self, account, payload: dict) -> dict:
        return self.change(account, "/api/v1/sanctions", payload, action="sanction:record", status=201)

    def act(self, account, ref: str, what: str, payload=None, **kw) -> dict:
        return self.change(account, f"/api/v1/sanctions/{ref}/{what}", payload, action=f"sanction:{what}", **kw)

    def view(self, account, ref: str) -> dict:
        return self.get(account, f"/api/v1/sanctions/{ref}")


@pytest.fixture
def api(app, client, factory, clock):
    clock.freeze(START)
    return Api(client, factory)


@pytest.fixture
def worker(api, factory):
    return green_worker(factory).worker


def test_a_minor_warning_is_unpublished_until_a_window_is_set_then_public_to_its_last_day(api, worker, clock):
    made = api.record(api.hk, body(subject_kind="worker", card_no=worker.card_no, kind="warning",
                                   severity="minor"))
    assert made["state"] == "decided" and len(made["ref"]) == 32
    ref = made["ref"]
    seen = api.view(api.prop, ref)
    assert (seen["publish_months"], seen["window_end"], seen["public"], seen["in_effect"]) == (None, None, False,
                                                                                               False)
    assert seen["subject"] == {"kind": "worker", "card_no": worker.card_no, "name_masked": worker.name_masked}
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/publish", status=409, code="not_published")
    out = api.act(api.hk2, ref, "correct", {"publish_months": 2, "reason": "拒不改正，决定公示"})
    assert out["state"] == "decided"
    assert api.act(api.hk, ref, "publish")["state"] == "published"
    seen = api.view(api.market, ref)
    end = add_months(START, 2)
    assert (seen["window_end"], seen["public"]) == (end.isoformat(), True)
    assert seen["corrections"][0]["fields"] == ["publish_months"]
    assert seen["corrections"][0]["reason"] == "拒不改正，决定公示"
    clock.freeze(end)
    assert api.view(api.hk, ref)["public"] is True
    clock.freeze(end + timedelta(days=1))
    assert api.view(api.hk, ref)["public"] is False


def test_a_general_fine_is_public_from_its_decision_to_its_windows_end(api, worker, clock):
    decided = START - timedelta(days=3)
    ref = api.record(api.hk, body(subject_kind="worker", card_no=worker.card_no, publish_months=3,
                                  decision_date=decided.isoformat()))["ref"]
    seen = api.view(api.hk, ref)
    assert seen["publication_deadline"]["day"] > decided.isoformat()
    assert isinstance(seen["publication_deadline"]["provisional"], bool)
    assert api.act(api.hk, ref, "publish")["state"] == "published"
    api.refused(api.hk2, f"/api/v1/sanctions/{ref}/publish", status=409, code="wrong_state")
    seen = api.view(api.prop, ref)
    assert seen["public"] and seen["in_effect"] and seen["window_end"] == "2026-08-29"
    assert seen["published_dt"] and seen["decided_by"] == api.hk.ref and seen["proposed_by"] == api.hk.ref
    clock.freeze(date(2026, 8, 29))
    assert api.view(api.hk, ref)["public"] is True
    clock.freeze(date(2026, 8, 30))
    assert api.view(api.hk, ref)["public"] is False


def test_a_serious_listing_is_noticed_decided_after_the_window_approved_by_a_second_regulator_and_published(
        api, worker, factory, client, clock):
    # A listing is decided after its notice: no decision with the record.
    err = api.refused(api.hk, "/api/v1/sanctions", body(subject_kind="worker", card_no=worker.card_no,
                                                        kind="serious_list", severity="serious"),
                      status=422, code="invalid_input")
    assert "decision_no" in err["fields"]
    made = api.record(api.hk, body(subject_kind="worker", card_no=worker.card_no, kind="serious_list",
                                   severity="serious", publish_months=12, bars_home_service=True, decision_no=None,
                                   decision_date=None))
    ref = made["ref"]
    assert made["state"] == "proposed"
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/decide", {"decision_no": "商务信〔2026〕9号"}, status=409,
                code="wrong_state")
    api.refused(api.prop, f"/api/v1/sanctions/{ref}/notify", {"reasons": NOTICE_REASONS}, status=403,
                code="not_issuing_agency")
    sent = db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert api.act(api.hk, ref, "notify", {"reasons": NOTICE_REASONS})["state"] == "notified"
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == sent + 1
    seen = api.view(api.hk, ref)
    until = date.fromisoformat(seen["objection_until"]["day"])
    assert (seen["objection_days"], seen["delivery_method"], seen["delivered_on"]) == (5, "sms", START.isoformat())
    assert until >= START + timedelta(days=7)
    # During the window nothing is decided.
    clock.freeze(until)
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/decide", {"decision_no": "商务信〔2026〕9号"}, status=409,
                code="objection_window_open")
    clock.freeze(until + timedelta(days=1))
    assert api.act(api.hk, ref, "decide", {"decision_no": "商务信〔2026〕9号"})["state"] == "decided"
    assert api.view(api.hk, ref)["in_effect"] is False
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/publish", status=409, code="wrong_state")
    # Four eyes: not the proposer (who decided too), and not another agency.
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/approve", status=403, code="four_eyes")
    api.refused(api.market, f"/api/v1/sanctions/{ref}/approve", status=403, code="not_issuing_agency")
    assert api.act(api.hk2, ref, "approve")["state"] == "approved"
    seen = api.view(api.prop, ref)
    assert seen["in_effect"] is True and seen["public"] is False and seen["approved_by"] == [api.hk2.ref]
    assert api.act(api.hk, ref, "publish")["state"] == "published"
    seen = api.view(api.market, ref)
    assert seen["public"] is True and seen["decision_no"] == "商务信〔2026〕9号"
    assert seen["window_end"] == add_months(until + timedelta(days=1), 12).isoformat()
    assert [e["action"] for e in entries_of(ref)] == [
        "sanction:record", "sanction:notify", "sanction:decide", "sanction:approve", "sanction:publish"]


def entries_of(ref: str) -> list[dict]:
    db.session.rollback()
    sanction = db.session.execute(select(Sanction).where(Sanction.ref == ref)).scalar_one()
    rows = db.session.execute(select(LogEntry).where(LogEntry.subject == sanction.log_ref)
                              .order_by(LogEntry.seq)).scalars()
    return [json.loads(e.body) for e in rows]


def test_a_company_whose_phone_is_a_landline_is_noticed_by_a_delivery_the_regulator_records(
        api, factory, client, clock):
    company, admin = factory.company(contact_phone="028-85123456")
    ref = api.record(api.hk, body(subject_kind="company", uscc=company.uscc, kind="serious_list",
                                  severity="serious", decision_no=None, decision_date=None))["ref"]
    path = f"/api/v1/sanctions/{ref}/notify"
    why = {"reasons": NOTICE_REASONS}
    assert "reasons" in api.refused(api.hk, path, {}, status=422, code="invalid_input")["fields"]
    assert "delivery_method" in api.refused(api.hk, path, why, status=422, code="invalid_input")["fields"]
    assert "delivered_on" in api.refused(api.hk, path, {**why, "delivery_method": "post"}, status=422,
                                         code="invalid_input")["fields"]
    tomorrow = (START + timedelta(days=1)).isoformat()
    assert "delivered_on" in api.refused(api.hk, path, {**why, "delivery_method": "post", "delivered_on": tomorrow},
                                         status=422, code="invalid_input")["fields"]
    assert "objection_days" in api.refused(api.hk, path, {**why, "objection_days": 0}, status=422,
                                           code="invalid_input")["fields"]
    api.act(api.hk2, ref, "notify", {**why, "delivery_method": "post", "delivered_on": START.isoformat(),
                                     "objection_days": 10})
    notices = client.get(f"/api/v1/companies/{company.uscc}/notices",
                         headers=bearer(factory.token(admin.account))).get_json()
    assert [(n["ref"], n["delivery_method"], n["objection_days"]) for n in notices] == [(ref, "post", 10)]


def test_bad_input_names_the_fields_and_stores_nothing(api, worker, factory):
    company, _admin = factory.company()
    cases = [
        ({"subject_kind": "worker"}, "card_no"),
        ({"subject_kind": "company"}, "uscc"),
        ({"subject_kind": "worker", "card_no": "JX-0000-0000-000"}, "card_no"),
        ({"subject_kind": "company", "uscc": factory.uscc()}, "uscc"),
        ({"subject_kind": "nobody", "card_no": worker.card_no}, "subject_kind"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "kind": "serious_list", "decision_no": None,
          "decision_date": None}, "severity"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "publish_months": 13}, "publish_months"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "severity": "minor", "publish_months": 0},
         "publish_months"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "decision_date": "2026-06-02"}, "decision_date"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "decision_date": "2026-03-31"}, "decision_date"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "decision_no": None}, "decision_no"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "legal_basis": "   "}, "legal_basis"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "facts": "x" * 2001}, "facts"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "origin_report": "ZZZZ-ZZZZ-ZZZZ"}, "origin_report"),
        ({"subject_kind": "worker", "card_no": worker.card_no,
          "persons": [{"role": "responsible", "name": "郑国强"}]}, "persons"),
        ({"subject_kind": "company", "uscc": company.uscc,
          "persons": [{"role": "boss", "name": "郑国强"}]}, "persons.0.role"),
        ({"subject_kind": "company", "uscc": company.uscc,
          "persons": [{"role": "responsible", "name": "郑国强", "card_no": typo_of(worker.card_no)}]},
         "persons.0.card_no"),
        ({"subject_kind": "company", "uscc": company.uscc,
          "persons": [{"role": "responsible", "name": "郑国强"}] * 11}, "persons"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "bars_home_service": 1}, "bars_home_service"),
        ({"subject_kind": "worker", "card_no": worker.card_no, "unexpected": True}, "unexpected"),
    ]
    for over, field in cases:
        err = api.refused(api.hk, "/api/v1/sanctions", body(**over), status=422)
        assert err["code"] in ("invalid_input", "card_no_typo", "card_no_invalid"), (over, err)
        assert field in err["fields"], (over, err)
        assert err["fields"][field]["zh"] and err["fields"][field]["en"]
    # A person's mistyped card number is that person's field, not the subject's.
    err = api.client.post("/api/v1/sanctions", json=body(**cases[16][0]), headers=api.h(api.hk)).get_json()
    assert list(err["error"]["fields"]) == ["persons.0.card_no"]


def test_changes_refuse_bad_input_with_their_fields(api, worker):
    ref = api.record(api.hk, body(subject_kind="worker", card_no=worker.card_no, publish_months=3))["ref"]
    path = f"/api/v1/sanctions/{ref}/correct"
    for payload, field, code in [
        ({"legal_basis": "新依据"}, "reason", "invalid_input"),
        ({"severity": "serious", "reason": "更正"}, "publish_months", "invalid_input"),
        ({"publish_months": 40, "reason": "更正"}, "publish_months", "invalid_input"),
        ({"decision_date": "2027-01-01", "reason": "更正"}, "decision_date", "invalid_input"),
        ({"kind": "warning", "reason": "更正"}, "kind", "invalid_input"),
    ]:
        err = api.refused(api.hk, path, payload, status=422, code=code)
        assert field in err["fields"], (payload, err)
    api.refused(api.hk, path, {"legal_basis": BASIS, "reason": "更正"}, status=409, code="nothing_changed")
    api.refused(api.hk, "/api/v1/sanctions/0123456789abcdef0123456789abcdef/publish", status=404, code="not_found")
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/notify", {"reasons": NOTICE_REASONS}, status=409, code="wrong_state")
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/decide", {}, status=422, code="invalid_input")
    api.refused(api.hk, f"/api/v1/sanctions/{ref}/approve", status=409, code="wrong_state")


def test_any_regulator_records_and_reads_but_only_the_issuing_agency_changes(api, worker, factory, client):
    # Property and market regulators sanction a worker a housekeeping company employs.
    by_prop = api.record(api.prop, body(subject_kind="worker", card_no=worker.card_no))["ref"]
    by_market = api.record(api.market, body(subject_kind="worker", card_no=worker.card_no, kind="criticism"))["ref"]
    by_hk = api.record(api.hk, body(subject_kind="worker", card_no=worker.card_no, kind="rectification"))["ref"]
    for reader in (api.hk, api.hk2, api.prop, api.market):
        assert api.view(reader, by_prop)["agency"]["code"] == "prop"
    for what, payload in (("publish", None), ("correct", {"measures": "责令整改", "reason": "措施写错"})):
        api.refused(api.hk, f"/api/v1/sanctions/{by_prop}/{what}", payload, status=403, code="not_issuing_agency")
        api.refused(api.market, f"/api/v1/sanctions/{by_hk}/{what}", payload, status=403,
                    code="not_issuing_agency")
    api.act(api.prop, by_prop, "correct", {"measures": "限期整改", "reason": "措施写错"})
    # Companies, the operator and nobody neither read nor record.
    company, admin = factory.company()
    ops = factory.agency(kind="operator", sector=None, code="ops")
    operator = factory.agency_user(ops, role="operator_admin").account
    for headers, status in ((bearer(factory.token(admin.account)), 403), (bearer(factory.token(operator)), 403),
                            ({}, 401)):
        assert client.get(f"/api/v1/sanctions/{by_hk}", headers=headers).status_code == status
        assert client.get("/api/v1/sanctions", headers=headers).status_code == status
        resp = client.post("/api/v1/sanctions", json=body(subject_kind="worker", card_no=worker.card_no),
                           headers=headers)
        assert resp.status_code == status
    # The list: every agency's, filtered.
    listed = lambda who, query="": [s["ref"] for s in api.get(who, f"/api/v1/sanctions{query}")]  # noqa: E731
    assert listed(api.hk) == [by_hk, by_market, by_prop]
    assert listed(api.hk, "?mine=true") == [by_hk]
    assert listed(api.prop, "?mine=true") == [by_prop]
    assert listed(api.hk, "?agency=market") == [by_market]
    assert listed(api.hk, "?agency=nobody") == []
    assert listed(api.market, f"?card_no={worker.card_no.lower()}") == [by_hk, by_market, by_prop]
    assert listed(api.market, f"?uscc={company.uscc}") == []
    assert listed(api.market, "?state=published") == []
    assert listed(api.market, "?limit=1&offset=1") == [by_market]
    assert client.get("/api/v1/sanctions?mine=1", headers=api.h(api.hk)).status_code == 422
    assert client.get("/api/v1/sanctions?state=gone", headers=api.h(api.hk)).status_code == 422
    typo = client.get(f"/api/v1/sanctions?card_no={typo_of(worker.card_no)}", headers=api.h(api.hk))
    assert typo.status_code == 422 and "card_no" in typo.get_json()["error"]["fields"]
    assert api.get(api.hk, "/api/v1/sanctions/not-a-ref", status=404)["error"]["code"] == "not_found"


def typo_of(card_no: str) -> str:
    """The card number with a wrong check character (never the right one by chance)."""
    return card_no[:-1] + ("1" if card_no[-1] != "1" else "2")


def listing_of(api, payload: dict) -> str:
    ref = api.record(api.hk, body(kind="serious_list", severity="serious", decision_no=None, decision_date=None,
                                  **payload))["ref"]
    api.act(api.hk, ref, "notify", {"reasons": NOTICE_REASONS})
    return ref


def test_a_company_and_a_worker_read_only_their_own_notices(api, factory, client, clock):
    a, a_admin = factory.company()
    b, b_admin = factory.company()
    from registry.companies import services as companies

    a_user = companies.add_user(factory.ring, actor=a_admin.account, company=a, login="a-staff", name="周员工")
    db.session.commit()
    first = employ(factory, a, a_admin.account, name="陈秀英")
    second = employ(factory, b, b_admin.account, name="李桂兰")
    to_a = listing_of(api, {"subject_kind": "company", "uscc": a.uscc})
    to_b = listing_of(api, {"subject_kind": "company", "uscc": b.uscc})
    to_first = listing_of(api, {"subject_kind": "worker", "card_no": first.card_no})
    to_second = listing_of(api, {"subject_kind": "worker", "card_no": second.card_no})
    # Only proposed, not yet noticed: nobody reads it as a notice.
    api.record(api.hk, body(subject_kind="company", uscc=a.uscc, kind="serious_list", severity="serious",
                            decision_no=None, decision_date=None))
    # And a fine is a decision, not a notice.
    api.record(api.hk, body(subject_kind="company", uscc=a.uscc))

    ta, tu, tb = (factory.token(x) for x in (a_admin.account, a_user.account, b_admin.account))
    for token in (ta, tu):
        got = client.get(f"/api/v1/companies/{a.uscc}/notices", headers=bearer(token))
        assert got.status_code == 200 and [n["ref"] for n in got.get_json()] == [to_a]
    assert [n["ref"] for n in client.get(f"/api/v1/companies/{b.uscc}/notices", headers=bearer(tb)).get_json()] \
        == [to_b]
    assert client.get(f"/api/v1/companies/{a.uscc}/notices", headers=bearer(tb)).status_code == 403
    assert client.get(f"/api/v1/companies/{a.uscc}/notices", headers=api.h(api.hk)).status_code == 403
    assert client.get(f"/api/v1/companies/{a.uscc}/notices").status_code == 401

    notice = client.get(f"/api/v1/companies/{a.uscc}/notices", headers=bearer(ta)).get_json()[0]
    assert notice["subject"] == {"kind": "company", "uscc": a.uscc, "name": a.name}
    assert notice["state"] == "notified" and notice["reasons"] == NOTICE_REASONS and notice["measures"] == MEASURES
    assert notice["legal_basis"] == BASIS and notice["kind"] == "serious_list"
    # The case's facts (they name the complainant) never reach the subject.
    assert FACTS not in json.dumps(notice, ensure_ascii=False) and "13912345678" not in json.dumps(notice)
    assert "异议" in notice["rights"]["zh"] and "object" in notice["rights"]["en"]
    assert set(notice["objection_until"]) == {"day", "provisional"}
    assert notice["objection_until"]["day"] > START.isoformat() and notice["decision_no"] is None
    for private in ("facts", "persons", "proposed_by", "corrections"):
        assert private not in notice

    t_first = signed_in(client, factory, a_admin.account, first)
    t_second = signed_in(client, factory, b_admin.account, second)
    mine = client.get("/api/v1/self/notices", headers=bearer(t_first)).get_json()
    assert [n["ref"] for n in mine] == [to_first]
    assert mine[0]["subject"] == {"kind": "worker", "card_no": first.card_no, "name_masked": first.name_masked}
    assert [n["ref"] for n in client.get("/api/v1/self/notices", headers=bearer(t_second)).get_json()] == [to_second]
    # An account token is not a worker's session, nor the other way round.
    assert client.get("/api/v1/self/notices", headers=bearer(ta)).status_code == 401
    assert client.get(f"/api/v1/companies/{a.uscc}/notices", headers=bearer(t_first)).status_code == 401
    # The notice follows the listing through its decision.
    until = date.fromisoformat(mine[0]["objection_until"]["day"])
    clock.freeze(until + timedelta(days=1))
    api.act(api.hk, to_first, "decide", {"decision_no": "商务信〔2026〕2号"})
    t_first = signed_in(client, factory, a_admin.account, first)
    again = client.get("/api/v1/self/notices", headers=bearer(t_first)).get_json()
    assert [(n["ref"], n["state"], n["decision_no"]) for n in again] == [(to_first, "decided", "商务信〔2026〕2号")]


CANARY_NAME = "龘靐齉爩"
CANARY_PHONE = "13957246813"


def test_named_persons_and_subjects_are_masked_in_every_answer(api, factory, client):
    company, admin = factory.company()
    person = employ(factory, company, admin.account, name=CANARY_NAME, phone=CANARY_PHONE)
    ref = api.record(api.hk, body(subject_kind="company", uscc=company.uscc, kind="serious_list",
                                  severity="serious", decision_no=None, decision_date=None,
                                  persons=[{"role": "legal_representative", "name": CANARY_NAME},
                                           {"role": "responsible", "name": CANARY_NAME,
                                            "card_no": person.card_no}]))["ref"]
    api.act(api.hk, ref, "notify", {"reasons": NOTICE_REASONS})
    own = api.record(api.hk, body(subject_kind="worker", card_no=person.card_no))["ref"]
    answers = [api.get(api.market, "/api/v1/sanctions"), api.view(api.prop, ref), api.view(api.prop, own),
               client.get(f"/api/v1/companies/{company.uscc}/notices",
                          headers=bearer(factory.token(admin.account))).get_json()]
    persons = answers[1]["persons"]
    assert [(p["role"], p["card_no"]) for p in persons] == [("legal_representative", None),
                                                           ("responsible", person.card_no)]
    assert all(p["name_masked"] == "龘***" for p in persons)
    assert answers[2]["subject"]["name_masked"] == person.name_masked
    needles = [CANARY_NAME, CANARY_NAME[1:], CANARY_NAME[1:3], CANARY_PHONE, CANARY_PHONE[3:7], CANARY_PHONE[-8:]]
    text = json.dumps(answers, ensure_ascii=False)
    assert [n for n in needles if n in text] == []
    db.session.rollback()
    bodies = [e.body.decode() for e in db.session.execute(select(LogEntry)).scalars()]
    assert [n for n in needles if len(n) >= 8 and any(n in b for b in bodies)] == []


def test_the_list_reads_a_fixed_number_of_queries_however_many_sanctions(api, worker, factory, client):
    company, _admin = factory.company()

    def statements_for_list() -> int:
        from sqlalchemy import event

        seen = []

        def note(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert len(api.get(api.prop, "/api/v1/sanctions")) > 0
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        # (The token's last use is written at most once a minute: only what the list reads counts.)
        return len([s for s in seen if s.startswith("SELECT") and "api_tokens" not in s])

    def some():
        listing_of(api, {"subject_kind": "company", "uscc": company.uscc,
                         "persons": [{"role": "responsible", "name": "郑国强", "card_no": worker.card_no}]})
        ref = api.record(api.hk, body(subject_kind="worker", card_no=worker.card_no, publish_months=3))["ref"]
        api.act(api.hk, ref, "correct", {"measures": "限期整改", "reason": "措施写错"})

    some()
    few = statements_for_list()
    for _ in range(3):
        some()
    assert statements_for_list() == few
