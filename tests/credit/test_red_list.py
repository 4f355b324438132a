"""The red list (守信激励): GET /api/v1/red-list and the page /red-list.

Who is on it (AAA, commended, both; neither is not; a serious listing in effect keeps any firm off, whatever its
grade), the filters, the paging (stable order, exact total), refusals of bad input (422 with fields), the
look-up rate limit, the links from the home page and the blacklist search, and that nothing personal is shown.

The AAA grade is the kept score's (`credit_scores`): the tests write that cache row after the logged changes,
as the scoring would have kept it — how a score is computed is tested in test_scoring.py and test_keeping.py.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from registry.credit import commendations
from registry.credit.red_list import reasons_for
from registry.credit.score_models import CreditScore
from registry.extensions import db
from tests.support.sanctionutil import list_serious, regulators
from tests.support.webutil import text

DAY = date(2026, 9, 15)
ROW_KEYS = {"uscc", "name", "sectors", "district", "district_name", "grade", "score", "commendations", "reasons"}


def keep(company, points: int, grade: str) -> None:
    """The kept score of a company, as the scoring would have stored it."""
    row = db.session.get(CreditScore, ("company", company.id))
    if row is None:
        row = CreditScore(subject_kind="company", subject_id=company.id, points=points, grade=grade,
                          rules_version="v1", components=[], stands_until=None, computed_dt=DAY)
        db.session.add(row)
    row.points, row.grade = points, grade
    db.session.commit()


def commend(factory, regulator, company, *, on: date = DAY - timedelta(days=10), until: date | None = None):
    c = commendations.record_commendation(factory.ring, regulator=regulator, company=company, title="诚信示范企业",
                                          basis="成商务〔2026〕12号", commended_on=on, valid_until=until,
                                          today=DAY).commendation
    db.session.commit()
    return c


class World:
    """aaa: graded AAA; commended: graded A, commended; both: AAA and commended; neither: AA; listed: AAA and
    commended, with a serious listing in effect; pending: not verified, commended nowhere; lapsed: commended once,
    its commendation past; prop: a property firm in another district, AAA."""

    def __init__(self, factory, clock):
        self.hk_reg, self.hk_reg2 = regulators(factory, "housekeeping")
        factory._regulators = {"housekeeping": self.hk_reg}
        clock.freeze(DAY - timedelta(days=200))
        names = ("aaa", "commended", "both", "neither", "listed", "lapsed")
        self.c = {n: factory.company(name=f"红名单{n}")[0] for n in names}
        list_serious(factory, self.hk_reg, self.hk_reg2, clock, company=self.c["listed"],
                     start=DAY - timedelta(days=150), bars_home_service=False)
        clock.freeze(DAY)
        self.c["prop"] = factory.company(name="红名单prop", sectors=("property",), district="510105")[0]
        self.c["pending"] = factory.company(name="红名单pending", verified=False)[0]
        for n in ("commended", "both", "listed"):
            commend(factory, self.hk_reg, self.c[n])
        commend(factory, self.hk_reg, self.c["lapsed"], on=DAY - timedelta(days=100), until=DAY - timedelta(days=1))
        for n, points, grade in (("aaa", 92, "AAA"), ("commended", 75, "A"), ("both", 88, "AAA"),
                                 ("neither", 82, "AA"), ("listed", 95, "AAA"), ("prop", 86, "AAA"),
                                 ("lapsed", 70, "A"), ("pending", 90, "AAA")):
            keep(self.c[n], points, grade)


@pytest.fixture
def world(app, factory, clock):
    return World(factory, clock)


def _list(client, **query):
    resp = client.get("/api/v1/red-list", query_string=query)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json(), json.loads(resp.headers["X-Pagination"])


def test_reasons_rule():
    assert reasons_for(grade="AAA", commended=False, listed=False) == ["aaa"]
    assert reasons_for(grade="AA", commended=True, listed=False) == ["commended"]
    assert reasons_for(grade="AAA", commended=True, listed=False) == ["aaa", "commended"]
    assert reasons_for(grade="AA", commended=False, listed=False) == []
    assert reasons_for(grade=None, commended=False, listed=False) == []
    assert reasons_for(grade="AAA", commended=True, listed=True) == []


def test_membership_aaa_commended_both_and_never_a_listed_firm(client, world):
    rows, meta = _list(client)
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"红名单aaa", "红名单commended", "红名单both", "红名单prop"}
    assert by_name["红名单aaa"]["reasons"] == ["aaa"]
    assert by_name["红名单commended"]["reasons"] == ["commended"]
    assert by_name["红名单both"]["reasons"] == ["aaa", "commended"]
    assert meta["total"] == 4
    # The listed firm is AAA (95) and commended: a serious listing in effect outweighs both.
    assert "红名单listed" not in by_name
    # Stable order: highest score first, then USCC.
    assert [r["name"] for r in rows] == ["红名单aaa", "红名单both", "红名单prop", "红名单commended"]
    row = by_name["红名单both"]
    assert set(row) == ROW_KEYS
    assert (row["grade"], row["score"], row["sectors"], row["district"]) == ("AAA", 88, ["housekeeping"], "510104")
    (c,) = row["commendations"]
    assert set(c) == {"ref", "title", "basis", "agency", "commended_on", "valid_until"}
    assert c["title"] == "诚信示范企业" and c["commended_on"] == (DAY - timedelta(days=10)).isoformat()
    # Nothing personal: no contact person, no phone.
    body = json.dumps(rows, ensure_ascii=False)
    assert "李联系" not in body and "13800138000" not in body


def test_a_firm_leaves_when_its_listing_ends_and_a_commendation_lapses(client, world, clock):
    listed = world.c["listed"]
    # The listing (12 months from its approval) binds until its window ends; the day after, the firm is back.
    from registry.sanctions.models import Sanction
    s = db.session.query(Sanction).filter_by(company_id=listed.id).one()
    clock.freeze(s.window_end)
    assert "红名单listed" not in {r["name"] for r in _list(client)[0]}
    clock.freeze(s.window_end + timedelta(days=1))
    assert "红名单listed" in {r["name"] for r in _list(client)[0]}
    # The commended firm (graded A) is listed through its commendation's last day, and not the day after.
    (c,) = commendations.current_for(world.c["commended"].id, DAY)
    clock.freeze(c.valid_until)
    assert "红名单commended" in {r["name"] for r in _list(client)[0]}
    clock.freeze(c.valid_until + timedelta(days=1))
    assert "红名单commended" not in {r["name"] for r in _list(client)[0]}


def test_filters_sector_and_district(client, world):
    rows, meta = _list(client, sector="property")
    assert [r["name"] for r in rows] == ["红名单prop"] and meta["total"] == 1
    rows, _ = _list(client, district="510104")
    assert {r["name"] for r in rows} == {"红名单aaa", "红名单commended", "红名单both"}
    rows, meta = _list(client, sector="market")
    assert rows == [] and meta["total"] == 0


def test_paging_is_stable_with_an_exact_total(client, world):
    seen = []
    for n in (1, 2, 3, 4):
        rows, meta = _list(client, page_size=1, page=n)
        assert meta["total"] == 4 and len(rows) == 1
        seen += [r["name"] for r in rows]
    assert seen == [r["name"] for r in _list(client)[0]]
    rows, meta = _list(client, page_size=1, page=9)
    assert rows == [] and meta["total"] == 4


@pytest.mark.parametrize("query,field", [("sector=nothing", "sector"), ("district=999999", "district"),
                                         ("page=0", "page"), ("page_size=101", "page_size"), ("page=x", "page")])
def test_bad_input_is_a_422_with_fields(client, world, query, field):
    resp = client.get(f"/api/v1/red-list?{query}")
    assert resp.status_code == 422
    assert field in json.dumps(resp.get_json())


def test_the_page_lists_filters_and_links(client, world):
    page = text(client.get("/red-list"))
    assert page.count('class="red-firm"') == 4 and "红名单listed" not in page
    assert 'id="to-listings"' in page and "reason-commended" in page and "诚信示范企业" in page
    assert text(client.get("/red-list?sector=property")).count('class="red-firm"') == 1
    bad = client.get("/red-list?district=999999")
    assert bad.status_code == 422
    assert 'id="to-red-list"' in text(client.get("/listings"))
    assert 'id="home-red-list"' in text(client.get("/"))


def test_the_page_pages(client, world, monkeypatch):
    from registry.credit import red_list_views

    monkeypatch.setattr(red_list_views, "PAGE_SIZE", 1)
    first = text(client.get("/red-list"))
    assert first.count('class="red-firm"') == 1 and 'rel="next"' in first and 'rel="prev"' not in first
    last = text(client.get("/red-list?page=4"))
    assert 'rel="next"' not in last and 'rel="prev"' in last


def test_the_red_list_is_under_the_lookup_rate_limit(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT", "3 per minute")
    answers = [client.get("/api/v1/red-list").status_code for _ in range(3)]
    answers += [client.get("/red-list").status_code, client.get("/api/v1/listings").status_code]
    assert answers == [200, 200, 200, 429, 429]
