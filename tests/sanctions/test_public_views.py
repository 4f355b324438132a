"""The public views of published sanctions: the card view and the company view list exactly the sanctions public
today, in the API and on the pages, drop one the day after its window, change their ETag when one is published or
ends, and the card view stays one database round trip."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.sanctions import services as sanctions
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import BASIS, list_serious, record, regulators
from tests.support.statements import round_trips
from tests.support.webutil import text

START = date(2026, 5, 29)


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(START)
    w = green_worker(factory)
    proposer, approver = regulators(factory, "housekeeping", code="hk-public")
    return w, proposer, approver


def publish(factory, regulator, s) -> None:
    sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=s, today=shanghai_today())
    db.session.commit()


def public_fields(s) -> dict:
    """What the public sees of `s`, as the card view's JSON writes it."""
    a = s.agency
    return {"ref": s.ref, "kind": s.kind, "severity": s.severity, "decision_no": s.decision.decision_no,
            "decision_date": s.decision_date.isoformat(), "legal_basis": s.legal_basis,
            "agency": {"code": a.code, "name_zh": a.name_zh, "name_en": a.name_en, "sector": a.sector},
            "window_end": s.window_end.isoformat(), "objection_pending": False}


def shown(view: dict) -> list[dict]:
    return [{k: v for k, v in x.items() if k not in ("kind_label", "severity_label")} for x in view["sanctions"]]


def test_the_card_view_lists_exactly_the_published_sanctions_until_their_windows_end(client, factory, clock, world):
    w, reg, approver = world
    fine = record(factory, reg, worker=w.worker, severity="general", months=3, today=START,
                  decision_no="商务罚〔2026〕1号")
    publish(factory, reg, fine)
    record(factory, reg, worker=w.worker, severity="general", months=6, today=START, decision_no="商务罚〔2026〕2号")
    record(factory, reg, worker=w.worker, kind="warning", severity="minor", today=START,
           decision_no="商务警〔2026〕3号")
    clock.freeze(START + timedelta(days=1))
    newer = record(factory, reg, worker=w.worker, kind="criticism", severity="general", months=4,
                   today=shanghai_today(), decision_no="商务通〔2026〕4号")
    publish(factory, reg, newer)
    view = client.get(f"/api/v1/cards/{w.card_no}").get_json()
    # Newest decision first; the decided-but-unpublished fine and the minor warning are not public.
    assert shown(view) == [public_fields(newer), public_fields(fine)]
    assert view["sanctions"][1]["kind_label"] == {"zh": "罚款", "en": "Fine"}
    assert view["sanctions"][1]["severity_label"] == {"zh": "一般", "en": "General"}
    # A published fine does not turn the card red: only a serious listing does.
    assert view["status"]["colour"] == "green"
    page = text(client.get(f"/c/{w.card_no}"))
    assert "商务罚〔2026〕1号" in page and "商务通〔2026〕4号" in page and "商务罚〔2026〕2号" not in page
    assert BASIS in page and fine.agency.name_zh in page and "2026-08-29" in page
    assert "无公开的处罚记录" not in page
    english = text(client.get(f"/c/{w.card_no}?lang=en"))
    assert "Public criticism" in english and fine.agency.name_en in english and "Published until" in english
    # The fine's last public day, then the day after.
    assert fine.window_end == date(2026, 8, 29)
    clock.freeze(fine.window_end)
    assert [x["ref"] for x in client.get(f"/api/v1/cards/{w.card_no}").get_json()["sanctions"]] == [
        newer.ref, fine.ref]
    clock.freeze(fine.window_end + timedelta(days=1))
    assert [x["ref"] for x in client.get(f"/api/v1/cards/{w.card_no}").get_json()["sanctions"]] == [newer.ref]
    clock.freeze(newer.window_end + timedelta(days=1))
    assert client.get(f"/api/v1/cards/{w.card_no}").get_json()["sanctions"] == []
    assert "无公开的处罚记录" in text(client.get(f"/c/{w.card_no}?lang=zh"))


def test_a_published_serious_listing_is_listed_and_the_card_red(client, factory, clock, world):
    w, proposer, approver = world
    s = list_serious(factory, proposer, approver, clock, worker=w.worker, start=START, months=12)
    view = client.get(f"/api/v1/cards/{w.card_no}").get_json()
    assert shown(view) == [public_fields(s)]
    assert view["status"]["colour"] == "red" and view["show_colour"]
    page = text(client.get(f"/c/{w.card_no}"))
    assert "列入严重失信主体名单" in page and "商务信〔2026〕9号" in page
    clock.freeze(s.window_end + timedelta(days=1))
    view = client.get(f"/api/v1/cards/{w.card_no}").get_json()
    assert view["sanctions"] == [] and "serious_listing" not in [r["code"] for r in view["status"]["reasons"]]


def test_the_etag_changes_when_a_sanction_is_published_or_ends(client, factory, clock, world):
    w, reg, _ = world
    s = record(factory, reg, worker=w.worker, severity="general", months=3, today=START)
    paths = (f"/api/v1/cards/{w.card_no}", f"/c/{w.card_no}")
    etags = {p: client.get(p).headers["ETag"] for p in paths}
    for path in paths:
        assert client.get(path, headers={"If-None-Match": etags[path]}).status_code == 304
    publish(factory, reg, s)
    for path in paths:
        resp = client.get(path, headers={"If-None-Match": etags[path]})
        assert resp.status_code == 200 and resp.headers["ETag"] != etags[path]
        assert "商务罚〔2026〕1号" in text(resp)
    # The last public day, then the day after: the answer, and so its ETag, changes with the date.
    clock.freeze(s.window_end)
    last = {p: client.get(p) for p in paths}
    clock.freeze(s.window_end + timedelta(days=1))
    for path in paths:
        assert "商务罚〔2026〕1号" in text(last[path])
        resp = client.get(path, headers={"If-None-Match": last[path].headers["ETag"]})
        assert resp.status_code == 200 and "商务罚〔2026〕1号" not in text(resp)


def test_the_company_view_lists_its_published_sanctions(client, factory, clock, world):
    _w, reg, _ = world
    company, _admin = factory.company()
    s = record(factory, reg, company=company, kind="rectification", severity="general", months=6, today=START,
               decision_no="商务改〔2026〕5号",
               persons=[{"role": "legal_representative", "name": "司马相如"}])
    record(factory, reg, company=company, severity="general", months=6, today=START, decision_no="商务罚〔2026〕6号")
    view = client.get(f"/api/v1/companies/{company.uscc}").get_json()
    assert view["sanctions"] == []
    publish(factory, reg, s)
    view = client.get(f"/api/v1/companies/{company.uscc}").get_json()
    assert shown(view) == [public_fields(s)]
    page = text(client.get(f"/companies/{company.uscc}"))
    assert "商务改〔2026〕5号" in page and "责令整改" in page and "商务罚〔2026〕6号" not in page
    assert "司马相如" not in page and "相如" not in page
    clock.freeze(s.window_end + timedelta(days=1))
    assert client.get(f"/api/v1/companies/{company.uscc}").get_json()["sanctions"] == []
    assert "无公开的处罚记录" in text(client.get(f"/companies/{company.uscc}"))


def test_a_company_that_is_not_public_stays_invisible_whatever_its_sanctions(client, factory, clock, world):
    _w, reg, _ = world
    pending, _ = factory.company(verified=False)
    s = record(factory, reg, company=pending, severity="general", months=6, today=START)
    publish(factory, reg, s)
    unknown = factory.uscc()
    for code in (pending.uscc, unknown):
        assert client.get(f"/api/v1/companies/{code}").status_code == 404
        assert client.get(f"/companies/{code}").status_code == 404


# --- one round trip -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sanctioned", [False, True], ids=["none", "published_and_listed"])
def test_the_card_view_is_one_round_trip(client, factory, clock, world, sanctioned):
    w, proposer, approver = world
    if sanctioned:
        fine = record(factory, proposer, worker=w.worker, severity="general", months=3, today=START)
        publish(factory, proposer, fine)
        list_serious(factory, proposer, approver, clock, worker=w.worker, start=START, months=12)
    url = f"/api/v1/cards/{w.card_no}"
    client.get(url)  # compiled once per process: not what is counted
    with round_trips() as trips:
        resp = client.get(url)
    assert resp.status_code == 200
    assert len(resp.get_json()["sanctions"]) == (2 if sanctioned else 0)
    assert trips() == 1
