"""The public views carry the kept score: the company view its `score`, `grade` and `score_rules_version`, the card
view its `score` and rules version (its `grade` stays null: a worker has none) — read from the cache, never
computed on read (null until a score is kept), the card view still one round trip; the pages show a line each."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete

from registry.credit.score_models import CreditScore
from registry.extensions import db
from tests.support.creditutil import green_records, hire
from tests.support.statements import round_trips
from tests.support.webutil import text

TODAY = date(2026, 6, 1)


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(TODAY)
    company, admin = factory.company()
    worker = hire(factory, company, admin.account, seed=1, records=green_records(TODAY), today=TODAY)
    return company, worker


def test_the_company_view_carries_its_kept_score_and_grade(client, world):
    company, _worker = world
    view = client.get(f"/api/v1/companies/{company.uscc}").get_json()
    # Verified 30 + 员工制 10 + all staff qualified 30 = 70: A.
    assert (view["score"], view["grade"], view["score_rules_version"]) == (70, "A", "v1")
    page = text(client.get(f"/companies/{company.uscc}"))
    assert 'id="score">70 ' in page and "评分规则 v1" in page and 'id="grade">A<' in page


def test_the_card_view_carries_the_workers_score_and_no_grade(client, world):
    _company, worker = world
    view = client.get(f"/api/v1/cards/{worker.card_no}").get_json()
    assert (view["score"], view["grade"], view["score_rules_version"]) == (80, None, "v1")
    page = text(client.get(f"/c/{worker.card_no}?lang=en"))
    assert 'id="score">80 ' in page and "scoring rules v1" in page


def test_without_a_kept_score_the_views_show_null_and_compute_nothing(client, world):
    company, worker = world
    db.session.execute(delete(CreditScore))
    db.session.commit()
    view = client.get(f"/api/v1/companies/{company.uscc}").get_json()
    assert (view["score"], view["grade"], view["score_rules_version"]) == (None, None, None)
    card = client.get(f"/api/v1/cards/{worker.card_no}").get_json()
    assert (card["score"], card["grade"], card["score_rules_version"]) == (None, None, None)
    assert "尚未计算" in text(client.get(f"/companies/{company.uscc}"))
    assert "尚未计算" in text(client.get(f"/c/{worker.card_no}"))
    db.session.rollback()
    assert db.session.get(CreditScore, ("worker", worker.id)) is None  # reading stored nothing


def test_the_card_view_with_its_score_is_still_one_round_trip(client, world):
    _company, worker = world
    url = f"/api/v1/cards/{worker.card_no}"
    client.get(url)  # compiled once per process: not what is counted
    with round_trips() as trips:
        resp = client.get(url)
    assert resp.status_code == 200 and resp.get_json()["score"] == 80
    assert trips() == 1
