"""The public search of published listings (GET /api/v1/listings, the page /listings) and the batch check
(POST /api/v1/listings/check): filters, how `q` is read, pagination, the rate limit, what is never shown, and
the check's fixed number of statements."""
from __future__ import annotations

import json
from datetime import date

import pytest

from registry.extensions import db
from registry.sanctions import services as sanctions
from registry.workers import cardno
from tests.support.cardworld import REAL_NAME, green_worker
from tests.support.sanctionutil import record, regulators
from tests.support.statements import count_statements, marker_settled
from tests.support.webutil import text

START = date(2026, 5, 29)
PERSON = "张伟国"


def H(token):
    return {"Authorization": f"Bearer {token}"}


def publish(factory, regulator, s, today=START):
    sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=s, today=today)
    db.session.commit()
    return s


@pytest.fixture
def world(app, factory, clock):
    """Published: a fine of 安心 (Qingyang), a criticism of the worker (by the property agency), a fine of 好帮手
    (Wuhou) naming 张伟国 and the worker; unpublished: a decided fine of 安心, a minor warning of the worker."""
    clock.freeze(START)
    w = green_worker(factory)  # employed by a company in 锦江区 (510104)
    anxin, _ = factory.company(name="成都安心家政服务有限公司", district="510105")
    haobang, _ = factory.company(name="成都好帮手物业管理有限公司", district="510107", sectors=("property",))
    hk, _ = regulators(factory, "housekeeping", code="hk-search")
    prop, _ = regulators(factory, "property", code="prop-search")
    s = {}
    s["anxin"] = publish(factory, hk, record(factory, hk, company=anxin, months=6, decision_date=date(2026, 4, 15),
                                             today=START, decision_no="商务罚〔2026〕11号"))
    s["worker"] = publish(factory, prop, record(factory, prop, worker=w.worker, kind="criticism", months=3,
                                                decision_date=date(2026, 5, 1), today=START,
                                                decision_no="住建通〔2026〕12号"))
    s["haobang"] = publish(factory, hk, record(
        factory, hk, company=haobang, severity="serious", months=12, decision_date=date(2026, 5, 20), today=START,
        decision_no="商务罚〔2026〕13号", persons=[{"role": "legal_representative", "name": PERSON},
                                                {"role": "responsible", "name": REAL_NAME, "card_no": w.card_no}]))
    s["unpublished"] = record(factory, hk, company=anxin, months=6, today=START, decision_no="商务罚〔2026〕14号")
    s["minor"] = record(factory, hk, worker=w.worker, kind="warning", severity="minor", today=START,
                        decision_no="商务警〔2026〕15号")
    return {"w": w, "anxin": anxin, "haobang": haobang, "hk": hk, "prop": prop, "s": s}


def refs(client, **query):
    resp = client.get("/api/v1/listings", query_string=query)
    assert resp.status_code == 200, resp.get_json()
    return [x["ref"] for x in resp.get_json()]


def test_newest_decision_first_and_only_the_published(client, world):
    s = world["s"]
    assert refs(client) == [s["haobang"].ref, s["worker"].ref, s["anxin"].ref]
    body = client.get("/api/v1/listings").get_json()
    top = body[0]
    assert top["subject"] == {"kind": "company", "uscc": world["haobang"].uscc, "name": "成都好帮手物业管理有限公司"}
    assert top["decision_no"] == "商务罚〔2026〕13号" and top["window_end"] == "2027-05-20"
    assert [p["name_masked"] for p in top["persons"]] == ["张**", "欧阳**"]
    assert top["persons"][1]["card_no"] == world["w"].card_no
    assert body[1]["subject"] == {"kind": "worker", "card_no": world["w"].card_no,
                                  "name_masked": world["w"].worker.name_masked}


def test_filters(client, world):
    s = world["s"]
    assert refs(client, sector="property") == [s["worker"].ref]
    assert refs(client, sector="housekeeping") == [s["haobang"].ref, s["anxin"].ref]
    assert refs(client, sector="market") == []
    # A company's own district; a worker by their current employer's (锦江区).
    assert refs(client, district="510105") == [s["anxin"].ref]
    assert refs(client, district="510104") == [s["worker"].ref]
    assert refs(client, district="510107") == [s["haobang"].ref]
    assert refs(client, kind="criticism") == [s["worker"].ref]
    assert refs(client, severity="serious") == [s["haobang"].ref]
    assert refs(client, decided_from="2026-05-01") == [s["haobang"].ref, s["worker"].ref]
    assert refs(client, decided_to="2026-05-01") == [s["worker"].ref, s["anxin"].ref]
    assert refs(client, decided_from="2026-04-16", decided_to="2026-05-19") == [s["worker"].ref]
    assert refs(client, sector="housekeeping", q="安心") == [s["anxin"].ref]


@pytest.mark.parametrize("fragment", ["安", "安心", "安心家政", "心家政服务", "ANXIN"])
def test_a_company_by_any_fragment_of_its_name(client, world, fragment):
    expected = [] if fragment == "ANXIN" else [world["s"]["anxin"].ref]
    assert refs(client, q=fragment) == expected


def test_common_fragments_find_every_company_that_has_them(client, world):
    s = world["s"]
    assert refs(client, q="成都") == [s["haobang"].ref, s["anxin"].ref]
    assert refs(client, q="物业") == [s["haobang"].ref]
    assert refs(client, q="有限公司") == [s["haobang"].ref, s["anxin"].ref]


def test_a_company_by_its_uscc(client, world):
    assert refs(client, q=world["anxin"].uscc) == [world["s"]["anxin"].ref]
    assert refs(client, q=world["anxin"].uscc.lower()) == [world["s"]["anxin"].ref]


def test_a_person_by_exact_full_name_only(client, world):
    s = world["s"]
    assert refs(client, q=PERSON) == [s["haobang"].ref]
    # The worker: their own listing, and the company's sanction that names them.
    assert refs(client, q=REAL_NAME) == [s["haobang"].ref, s["worker"].ref]
    assert refs(client, q=f" {REAL_NAME} ") == [s["haobang"].ref, s["worker"].ref]
    for part in (PERSON[1:], PERSON[:2], REAL_NAME[:2], REAL_NAME[2:], REAL_NAME[1:]):
        assert refs(client, q=part) == [], part


def test_a_worker_by_card_number(client, world):
    s, card = world["s"], world["w"].card_no
    assert refs(client, q=card) == [s["haobang"].ref, s["worker"].ref]
    assert refs(client, q=card.lower()) == [s["haobang"].ref, s["worker"].ref]
    typo = card[:-1] + ("0" if card[-1] != "0" else "1")
    resp = client.get("/api/v1/listings", query_string={"q": typo})
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["q"]["en"]
    other = cardno.new_card_no()
    assert refs(client, q=other) == []


def test_pagination_header(client, world):
    s = world["s"]
    pages = [client.get(f"/api/v1/listings?page_size=1&page={n}") for n in (1, 2, 3, 4)]
    assert [[x["ref"] for x in p.get_json()] for p in pages] == [[s["haobang"].ref], [s["worker"].ref],
                                                                 [s["anxin"].ref], []]
    meta = [json.loads(p.headers["X-Pagination"]) for p in pages]
    # Before the last page: a lower bound (this page and one more), `more`, the next page, no last page.
    assert meta[0] == {"total": 2, "total_pages": 2, "first_page": 1, "page": 1, "next_page": 2, "more": True}
    assert meta[1] == {"total": 3, "total_pages": 3, "first_page": 1, "page": 2, "previous_page": 1,
                       "next_page": 3, "more": True}
    # The last page: exact.
    assert meta[2] == {"total": 3, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 3, "previous_page": 2,
                       "more": False}
    # Past it: counted, so the header points back.
    assert meta[3] == {"total": 3, "total_pages": 3, "first_page": 1, "last_page": 3, "more": False}
    everything = json.loads(client.get("/api/v1/listings").headers["X-Pagination"])
    assert everything == {"total": 3, "total_pages": 1, "first_page": 1, "last_page": 1, "page": 1, "more": False}
    empty = client.get("/api/v1/listings?q=不存在的企业")
    assert json.loads(empty.headers["X-Pagination"]) == {"total": 0, "total_pages": 0, "more": False}


def test_a_page_past_the_end_counts_up_to_the_cap(app, client, world, monkeypatch):
    from registry.sanctions import search

    monkeypatch.setattr(search, "COUNT_CAP", 2)
    meta = json.loads(client.get("/api/v1/listings?page_size=1&page=9").headers["X-Pagination"])
    assert meta["more"] is True and meta["total"] == 2 and "next_page" not in meta


@pytest.mark.parametrize("query", ["kind=fine_x", "severity=huge", "sector=mining", "district=110101",
                                   "decided_from=2026-13-01", "decided_from=2026-05-02&decided_to=2026-05-01",
                                   "page=0", "page_size=101", "q=" + "安" * 201])
def test_bad_input_is_a_422_naming_the_field(client, world, query):
    resp = client.get(f"/api/v1/listings?{query}")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"]


def test_never_before_publication_nor_after_the_window(client, factory, clock, world):
    s = world["s"]
    # The worker's criticism: decided 1 May for 3 months, public to 1 August inclusive.
    assert s["worker"].window_end == date(2026, 8, 1)
    clock.freeze(date(2026, 8, 1))
    assert s["worker"].ref in refs(client)
    clock.freeze(date(2026, 8, 2))
    assert s["worker"].ref not in refs(client) and s["worker"].ref not in refs(client, q=world["w"].card_no)
    # The decided fine, once published, shows; the unpublished minor warning never does.
    clock.freeze(START)
    assert s["unpublished"].ref not in refs(client, q="安心")
    publish(factory, world["hk"], s["unpublished"])
    assert s["unpublished"].ref in refs(client, q="安心")
    assert s["minor"].ref not in refs(client, q=world["w"].card_no)


def test_the_page(client, world):
    s = world["s"]
    page = client.get("/listings?q=安心")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="listing-results"' in html and f'data-ref="{s["anxin"].ref}"' in html
    assert f'data-ref="{s["haobang"].ref}"' not in html and 'id="no-listings"' not in html
    assert "成都安心家政服务有限公司" in text(page) and "商务罚〔2026〕11号" in text(page)
    named = client.get(f"/listings?q={PERSON}")
    assert f'data-ref="{s["haobang"].ref}"' in named.get_data(as_text=True)
    # The name typed stays in the search box; the result shows it masked.
    assert "张**" in text(named) and text(named).count(PERSON) <= 1
    none = client.get("/listings?q=不存在的企业").get_data(as_text=True)
    assert 'id="no-listings"' in none and 'id="listing-results"' not in none
    english = text(client.get("/listings?lang=en&sector=property"))
    assert "Public criticism" in english and "Published sanctions" in english
    bad = client.get("/listings?decided_from=2026-05-02&decided_to=2026-05-01&kind=nonsense")
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'id="error-summary"' in body and 'href="#decided_to"' in body and 'href="#kind"' in body
    typo = client.get("/listings?q=" + world["w"].card_no[:-1] + ("0" if world["w"].card_no[-1] != "0" else "1"))
    assert typo.status_code == 422 and 'href="#q"' in typo.get_data(as_text=True)
    # Linked from the home page and the navigation.
    home = client.get("/").get_data(as_text=True)
    assert 'id="home-listings"' in home and 'id="nav-listings"' in home


def test_the_page_pages(client, world, monkeypatch):
    from registry.sanctions import listings_views

    monkeypatch.setattr(listings_views, "PAGE_SIZE", 1)
    first = client.get("/listings").get_data(as_text=True)
    assert first.count('class="listing ') == 1 and 'rel="next"' in first and 'rel="prev"' not in first


def test_the_search_is_under_the_lookup_rate_limit(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT", "3 per minute")
    answers = [client.get("/api/v1/listings?q=安心").status_code for _ in range(3)]
    answers += [client.get("/listings?q=安心").status_code, client.get("/api/v1/listings").status_code]
    assert answers[:3] == [200, 200, 200] and answers[3:] == [429, 429]
    # The same budget as the card look-up.
    assert client.get(f"/api/v1/cards/{world['w'].card_no}").status_code == 429


# ---- the batch check ----

def test_the_check_answers_each_item_in_order(client, factory, world):
    w, s = world["w"], world["s"]
    token = factory.token(w.admin)
    typo = w.card_no[:-1] + ("0" if w.card_no[-1] != "0" else "1")
    unknown_card = cardno.new_card_no()
    unknown_uscc = factory.uscc()
    items = [world["anxin"].uscc.lower(), w.card_no, "hello", typo, unknown_card, unknown_uscc, world["haobang"].uscc]
    resp = client.post("/api/v1/listings/check", json={"items": items}, headers=H(token))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["as_of"] == START.isoformat()
    r = body["results"]
    assert [x["item"] for x in r] == items
    assert [x["kind"] for x in r] == ["company", "worker", None, "worker", "worker", "company", "company"]
    assert [x["found"] for x in r] == [True, True, False, False, False, False, True]
    assert r[0]["key"] == world["anxin"].uscc and [x["ref"] for x in r[0]["sanctions"]] == [s["anxin"].ref]
    assert r[0]["listed"] is False and r[0]["card_status"] is None and r[0]["error"] is None
    assert r[1]["card_status"] == "green" and r[1]["name"] == w.worker.name_masked
    assert [x["ref"] for x in r[1]["sanctions"]] == [s["haobang"].ref, s["worker"].ref]
    assert r[2]["error"]["code"] == "not_uscc_or_card_no" and r[2]["error"]["message"]["zh"]
    assert r[3]["error"]["code"] == "card_no_typo"
    assert r[4]["error"] is None and r[4]["sanctions"] == [] and r[5]["error"] is None
    assert [x["ref"] for x in r[6]["sanctions"]] == [s["haobang"].ref]


def test_a_serious_listing_in_effect_reads_listed_and_red(client, factory, clock, world):
    from tests.support.sanctionutil import list_serious

    w = world["w"]
    hk2, approver = regulators(factory, "housekeeping", code="hk-search-2")
    listing = list_serious(factory, hk2, approver, clock, worker=w.worker, start=START, publish=False)
    token = factory.token(factory.regulator_for("market"))
    r = client.post("/api/v1/listings/check", json={"items": [w.card_no]}, headers=H(token)).get_json()["results"][0]
    # Binding from its approval (registration is refused) though not yet published: listed, red, not shown.
    assert r["listed"] is True and r["card_status"] == "red"
    assert listing.ref not in [x["ref"] for x in r["sanctions"]]


def test_the_check_takes_companies_and_regulators_only(client, factory, world):
    body = {"items": [world["anxin"].uscc]}
    assert client.post("/api/v1/listings/check", json=body).status_code == 401
    assert client.post("/api/v1/listings/check", json=body,
                       headers=H(factory.token(factory.regulator_for("property")))).status_code == 200


@pytest.mark.parametrize("body", [{"items": []}, {"items": ["x"] * 1001}, {"items": "JX"}, {"items": [1]},
                                  {"items": ["a" * 41]}, {}, {"items": ["x"], "more": 1}])
def test_bad_batches_are_a_422(client, factory, world, body):
    token = factory.token(world["w"].admin)
    resp = client.post("/api/v1/listings/check", json=body, headers=H(token))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"]


def test_a_thousand_items_cost_the_same_statements_as_two(client, factory, world):
    w = world["w"]
    token = factory.token(w.admin)
    many = [w.card_no, world["anxin"].uscc, world["haobang"].uscc] + [cardno.new_card_no() for _ in range(500)] + [
        factory.uscc() for _ in range(497)]
    few = [w.card_no, world["anxin"].uscc]

    def run(items):
        def go():
            resp = client.post("/api/v1/listings/check", json={"items": items}, headers=H(token))
            assert resp.status_code == 200 and len(resp.get_json()["results"]) == len(items)
        return go

    run(few)()  # warm (token touch, caches)
    with marker_settled():  # the move marker's once-a-second read is no item's cost
        assert count_statements(run(many)) == count_statements(run(few))


def test_each_result_is_the_listing_view(client, world):
    from sqlalchemy import select

    from registry.sanctions import views_model
    from registry.sanctions.models import Sanction

    body = client.get("/api/v1/listings").get_json()
    assert len(body) == 3
    for item in body:
        s = db.session.execute(select(Sanction).where(Sanction.ref == item["ref"])).scalar_one()
        view = json.loads(json.dumps(views_model.listing_view(s), default=date.isoformat, ensure_ascii=False))
        assert item == view


def test_a_corrected_window_moves_the_last_public_day(client, factory, clock, world):
    s = world["s"]["haobang"]
    sanctions.correct_sanction(factory.ring, regulator=world["hk"], sanction=s, today=START,
                               changes={"severity": "general", "publish_months": 3}, reason="公示期有误")
    db.session.commit()
    assert s.public_until == s.window_end == date(2026, 8, 20)
    clock.freeze(date(2026, 8, 20))
    assert s.ref in refs(client)
    clock.freeze(date(2026, 8, 21))
    assert s.ref not in refs(client)


def test_a_company_not_public_is_found_by_its_published_sanctions(client, factory, world):
    pending, _ = factory.company(verified=False, name="成都待审家政服务有限公司")
    s = publish(factory, world["hk"], record(factory, world["hk"], company=pending, months=6, today=START,
                                             decision_no="商务罚〔2026〕21号"))
    assert client.get(f"/api/v1/companies/{pending.uscc}").status_code == 404
    assert refs(client, q="待审") == [s.ref]
    assert refs(client, q=pending.uscc) == [s.ref]
