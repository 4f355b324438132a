"""Market access marks: a firm graded C, or bound today by a serious listing (published or not), is marked
`restricted` with its reasons and the configured consequences in the public company view and page, and in the
regulators' company lists (the API's and the queue page's); any other firm is not, and its text is null.

The grade is the kept score's (`credit_scores`), written after the logged changes as the scoring would have kept it
(how a grade is computed is tested in test_scoring.py).
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.config import MARKET_ACCESS_TEXT_EN, MARKET_ACCESS_TEXT_ZH
from registry.credit import market_access
from tests.credit.test_red_list import keep
from tests.support.factory import bearer
from tests.support.sanctionutil import list_serious
from tests.support.webutil import login, text

DAY = date(2026, 9, 15)


class World:
    """graded_c: kept grade C; listed: graded A, a serious listing approved and not published; fine: graded A."""

    def __init__(self, factory, clock):
        agency = factory.agency("housekeeping")
        self.reg_user = factory.agency_user(agency)
        self.reg, self.reg2 = self.reg_user.account, factory.agency_user(agency).account
        factory._regulators = {"housekeeping": self.reg}
        clock.freeze(DAY - timedelta(days=100))
        self.c = {n: factory.company(name=f"准入{n}")[0] for n in ("graded_c", "listed", "fine")}
        list_serious(factory, self.reg, self.reg2, clock, company=self.c["listed"], start=DAY - timedelta(days=60),
                     bars_home_service=False, publish=False)
        clock.freeze(DAY)
        for n, points, grade in (("graded_c", 55, "C"), ("listed", 72, "A"), ("fine", 75, "A")):
            keep(self.c[n], points, grade)


@pytest.fixture
def world(app, factory, clock):
    return World(factory, clock)


def test_reasons_rule():
    assert market_access.reasons(grade="C", listed=False) == ["grade_c"]
    assert market_access.reasons(grade="B", listed=True) == ["serious_listing"]
    assert market_access.reasons(grade="C", listed=True) == ["grade_c", "serious_listing"]
    assert market_access.reasons(grade="B", listed=False) == [] and market_access.reasons(grade=None,
                                                                                           listed=False) == []
    assert market_access.mark(grade="A", listed=False, text_zh="z", text_en="e")["text"] is None


def _view(client, company):
    return client.get(f"/api/v1/companies/{company.uscc}").get_json()["market_access"]


def test_graded_c_and_listed_firms_are_marked_with_the_default_text(client, world):
    c = _view(client, world.c["graded_c"])
    assert (c["restricted"], c["reasons"]) == (True, ["grade_c"])
    assert c["text"] == {"zh": MARKET_ACCESS_TEXT_ZH, "en": MARKET_ACCESS_TEXT_EN}
    assert "加大检查频次" in c["text"]["zh"] and "不得参加评先评优" in c["text"]["zh"]
    assert [r["code"] for r in c["reason_labels"]] == ["grade_c"]
    # A serious listing binds from its approval, published or not.
    listed = _view(client, world.c["listed"])
    assert (listed["restricted"], listed["reasons"]) == (True, ["serious_listing"])
    fine = _view(client, world.c["fine"])
    assert fine == {"restricted": False, "reasons": [], "reason_labels": [], "text": None}


def test_the_text_comes_from_the_configuration(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "MARKET_ACCESS_TEXT_ZH", "加大检查频次；三年内不得参加评先评优。")
    monkeypatch.setitem(app.config, "MARKET_ACCESS_TEXT_EN", "Inspected more often; no awards for three years.")
    assert _view(client, world.c["graded_c"])["text"] == {"zh": "加大检查频次；三年内不得参加评先评优。",
                                                          "en": "Inspected more often; no awards for three years."}
    page = text(client.get(f"/companies/{world.c['graded_c'].uscc}"))
    assert 'id="market-access"' in page and "三年内不得参加评先评优" in page


def test_the_public_page_marks_only_restricted_firms(client, world):
    page = text(client.get(f"/companies/{world.c['listed'].uscc}"))
    assert 'id="market-access"' in page and "被列入严重失信主体名单" in page and MARKET_ACCESS_TEXT_ZH in page
    assert 'id="market-access"' not in text(client.get(f"/companies/{world.c['fine'].uscc}"))


def test_the_regulators_lists_carry_the_marks(client, factory, world):
    token = factory.token(world.reg)
    rows = client.get("/api/v1/companies?status=verified", headers=bearer(token)).get_json()
    marks = {r["name"]: r["market_access"]["reasons"] for r in rows}
    assert marks["准入graded_c"] == ["grade_c"] and marks["准入listed"] == ["serious_listing"]
    assert marks["准入fine"] == []
    login(client, world.reg.login, world.reg_user.password, totp_secret=world.reg_user.totp_secret)
    page = text(client.get("/regulator/companies"))
    assert page.count("access-restricted") == 2 and "信用等级为 C" in page
