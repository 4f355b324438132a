"""The review page (/review), its thank-you page, and the company's reviews page with the reply form."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.notify.models import OutboxMessage
from registry.notify.services import prune_customer_messages
from registry.trace.models import ReviewCode, ServiceReview
from registry.trace.services import reference_of
from tests.support.cardworld import green_worker
from tests.support.traceutil import last_review_code, record
from tests.support.webutil import count, csrf_from, login, post_form, text


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def form(reference, code, **over):
    return {"reference": reference, "code": code, "rating": "4", "tags": ["punctual", "polite"],
            "text": "很准时。", **over}


def test_a_customer_reviews_on_the_page_and_is_thanked(client, factory, world):
    service = record(factory, world)
    reference, code = last_review_code(factory)
    page = text(client.get("/review"))
    assert 'name="reference"' in page and 'name="code"' in page and 'value="punctual"' in page
    resp = post_form(client, "/review", form(reference, code))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/review/thanks")
    # Nothing of the code or the reference in any URL.
    assert code not in resp.headers["Location"] and reference not in resp.headers["Location"]
    thanks = client.get("/review/thanks")
    assert thanks.status_code == 200 and 'id="review-thanks"' in text(thanks)
    # Once: reloading the thanks page goes back to the form.
    assert client.get("/review/thanks").status_code == 302
    db.session.rollback()
    stored = db.session.execute(select(ServiceReview)).scalar_one()
    assert (stored.service_id, stored.rating, stored.tags) == (service.id, 4, ["polite", "punctual"])


def test_the_form_shows_each_field_error_and_keeps_what_was_typed(client, factory, world):
    record(factory, world)
    reference, code = last_review_code(factory)
    resp = post_form(client, "/review", form(reference, code, rating="9", tags=["punctual", "bogus"],
                                              text="好" * 501))
    assert resp.status_code in (400, 422)
    page = text(resp)
    assert 'id="error-summary"' in page
    for field in ("rating", "tags", "text"):
        assert f'href="#{field}"' in page, field
    assert reference in page  # kept in the form (never in a URL)
    db.session.rollback()
    assert db.session.execute(select(ReviewCode)).scalar_one().failures == 0
    # Missing reference, code and stars: each named.
    resp = post_form(client, "/review", {"reference": "", "code": "", "text": ""})
    assert resp.status_code == 400
    page = text(resp)
    for field in ("reference", "code", "rating"):
        assert f'href="#{field}"' in page, field


def test_a_wrong_code_on_the_page_is_refused_and_counted(client, factory, world):
    record(factory, world)
    reference, _code = last_review_code(factory)
    resp = post_form(client, "/review", form(reference, "ZZZZ-ZZZZ"))
    assert resp.status_code == 422
    assert "评价码不对" in text(resp) or "review code is not right" in text(resp)
    db.session.rollback()
    assert db.session.execute(select(ReviewCode)).scalar_one().failures == 1
    assert count(ServiceReview) == 0


def test_the_page_is_rate_limited_per_address(app, client, factory, world, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_ATTEMPT_LIMIT", "2 per minute")
    record(factory, world)
    reference, code = last_review_code(factory)
    for _ in range(2):
        assert post_form(client, "/review", form(reference, "ZZZZ-ZZZZ"), page="/review").status_code == 422
    assert post_form(client, "/review", form(reference, code), page="/review").status_code == 429


def test_the_company_reads_its_reviews_and_replies_once_on_its_page(client, factory, world):
    service = record(factory, world)
    customers, code = last_review_code(factory)
    assert post_form(client, "/review", form(customers, code)).status_code == 302
    # The company reads and replies with the service number, never the customer's reference.
    reference = reference_of(service.ref)
    login(client, world.admin.login, "correct horse battery")
    home = text(client.get("/company"))
    assert 'id="reviews-link"' in home
    page = text(client.get("/company/reviews"))
    assert f'data-reference="{reference}"' in page and "很准时。" in page and "准时" in page
    # Too long: the error is shown on the page, nothing stored.
    resp = client.post(f"/company/reviews/{reference}/reply", data={"text": "好" * 501, "csrf_token": csrf_from(page)})
    assert resp.status_code == 400 and 'id="error-summary"' in text(resp)
    resp = client.post(f"/company/reviews/{reference}/reply",
                       data={"text": "谢谢！请拨 13812345678 联系我们。", "csrf_token": csrf_from(page)})
    assert resp.status_code == 302
    page = text(client.get("/company/reviews"))
    assert "谢谢！请拨 138****5678 联系我们。" in page and "13812345678" not in page
    assert 'class="reply-form"' not in page
    resp = client.post(f"/company/reviews/{reference}/reply", data={"text": "再来", "csrf_token": csrf_from(page)})
    assert resp.status_code == 409


def test_another_company_cannot_reply_on_its_page(client, factory, world):
    record(factory, world)
    reference, code = last_review_code(factory)
    assert post_form(client, "/review", form(reference, code)).status_code == 302
    _other, other_admin = factory.company()
    login(client, other_admin.account.login, "correct horse battery")
    page = text(client.get("/company/reviews"))
    assert reference not in page and 'id="no-reviews"' in page
    resp = client.post(f"/company/reviews/{reference}/reply", data={"text": "谢谢", "csrf_token": csrf_from(page)})
    assert resp.status_code == 404


def test_the_outbox_deletes_messages_to_customers_after_thirty_days(app, factory, world, clock):
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice

    record(factory, world)
    selfservice.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=utcnow())
    db.session.commit()
    kinds = lambda: sorted(db.session.execute(select(OutboxMessage.kind)).scalars())  # noqa: E731
    assert kinds() == ["activation_code", "review_code"]
    clock.shift(timedelta(days=29, hours=23))
    assert prune_customer_messages(utcnow()) == 0
    clock.shift(timedelta(days=30, hours=1))
    from jobs.housekeeping import prune_customer_messages as job

    job(None)
    db.session.commit()
    assert kinds() == ["activation_code"]  # a worker's messages stay


def test_the_outbox_prune_is_a_daily_schedule():
    from jobs.schedules import SCHEDULES

    (schedule,) = [s for s in SCHEDULES if s.name == "notify.prune_customer_messages"]
    assert schedule.seconds == 86400 and callable(schedule.resolve())
