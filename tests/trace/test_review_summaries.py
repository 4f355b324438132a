"""The review summaries on the card view (still one round trip) and the company view, API and pages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from registry.extensions import db
from registry.trace import reviews
from tests.support.cardworld import green_worker
from tests.support.statements import round_trips
from tests.support.traceutil import last_review_code, record
from tests.support.webutil import text

NONE = {"count": 0, "average": None, "recent_tags": [], "objection_pending": False}


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def review(client, factory, world, n, rating, tags, **kw):
    record(factory, world, phone=f"139{n:08d}", **kw)
    reference, code = last_review_code(factory)
    resp = client.post("/api/v1/reviews", json={"reference": reference, "code": code, "rating": rating,
                                                "tags": tags})
    assert resp.status_code == 201, resp.get_json()


def test_no_reviews_is_count_zero_everywhere(client, world):
    assert client.get(f"/api/v1/cards/{world.card_no}").get_json()["reviews"] == NONE
    assert client.get(f"/api/v1/companies/{world.company.uscc}").get_json()["reviews"] == NONE
    assert 'data-count="0"' in text(client.get(f"/c/{world.card_no}"))
    assert "暂无评价" in text(client.get(f"/companies/{world.company.uscc}"))


def test_the_card_and_company_views_summarise_the_reviews(client, factory, world):
    review(client, factory, world, 1, 5, ["punctual", "careful"])
    review(client, factory, world, 2, 4, ["punctual"])
    review(client, factory, world, 3, 4, ["tidy", "careful"])
    expected = {"count": 3, "average": "4.3", "recent_tags": [
        {"code": "punctual", "zh": "准时", "en": "Punctual", "count": 2},
        {"code": "careful", "zh": "细心", "en": "Careful", "count": 2},
        {"code": "tidy", "zh": "干净整洁", "en": "Clean and tidy", "count": 1}], "objection_pending": False}
    assert client.get(f"/api/v1/cards/{world.card_no}").get_json()["reviews"] == expected
    assert client.get(f"/api/v1/companies/{world.company.uscc}").get_json()["reviews"] == expected
    card = text(client.get(f"/c/{world.card_no}"))
    assert 'id="reviews-average">4.3<' in card and "准时" in card and 'href="/review"' in card
    page = text(client.get(f"/companies/{world.company.uscc}"))
    assert 'id="company-reviews-average">4.3<' in page and "细心" in page


def test_the_summaries_are_per_worker_and_per_company(client, factory, world):
    other = green_worker(factory, name="李秀兰", seed=9)
    review(client, factory, world, 1, 5, ["punctual"])
    review(client, factory, other, 2, 1, ["rude"])
    assert client.get(f"/api/v1/cards/{world.card_no}").get_json()["reviews"]["average"] == "5.0"
    assert client.get(f"/api/v1/cards/{other.card_no}").get_json()["reviews"]["average"] == "1.0"
    assert client.get(f"/api/v1/companies/{other.company.uscc}").get_json()["reviews"]["recent_tags"][0]["code"] == \
        "rude"


def test_recent_tags_come_from_the_newest_twenty_reviews(client, factory, world, clock):
    for n in range(3):
        review(client, factory, world, n, 1, ["rude"])
    clock.shift(timedelta(hours=1))
    for n in range(3, 23):
        review(client, factory, world, n, 5, ["polite"])
    summary = client.get(f"/api/v1/cards/{world.card_no}").get_json()["reviews"]
    assert summary["count"] == 23 and summary["average"] == str(round((3 + 100) / 23, 1))
    assert [t["code"] for t in summary["recent_tags"]] == ["polite"]
    assert reviews.company_summary(world.company.id) == summary


@pytest.mark.parametrize("reviewed", [False, True], ids=["none", "reviewed"])
def test_the_card_view_stays_one_round_trip(client, factory, world, reviewed):
    if reviewed:
        review(client, factory, world, 1, 5, ["punctual"])
        review(client, factory, world, 2, 3, [])
    url = f"/api/v1/cards/{world.card_no}"
    client.get(url)  # compiled once per process: not what is counted
    db.session.rollback()
    with round_trips() as trips:
        resp = client.get(url)
    assert resp.status_code == 200
    assert resp.get_json()["reviews"]["count"] == (2 if reviewed else 0)
    assert trips() == 1
