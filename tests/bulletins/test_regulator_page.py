"""The regulators' bulletin page: a period's bulletin made on demand (the task queued, its progress page, the
published version linked), bad periods answered on the form, a version withdrawn with its reason; other roles
are kept out."""
from __future__ import annotations

from datetime import datetime

import pytest

from registry.bulletins import services as bulletins
from registry.clock import SHANGHAI
from registry.extensions import db
from tests.support.importutil import run_queued_tasks
from tests.support.webutil import login, post_form, text


@pytest.fixture
def regulator(app, factory, clock):
    clock.freeze(datetime(2026, 7, 2, 12, tzinfo=SHANGHAI))
    reg = factory.agency_user(factory.agency("housekeeping"))
    db.session.commit()
    reg.account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    resp = login(c, reg.account.login, reg.password, reg.totp_secret)
    assert resp.status_code == 302, text(resp)
    return c


def test_a_regulator_makes_a_bulletin_and_follows_its_progress(app, regulator, clock):
    resp = post_form(regulator, "/regulator/bulletins", {"period": "2026-06"}, page="/regulator/bulletins")
    assert resp.status_code == 302 and "/regulator/bulletins/tasks/" in resp.headers["Location"]
    progress = regulator.get(resp.headers["Location"])
    assert progress.status_code == 200 and 'http-equiv="refresh"' in text(progress)
    assert run_queued_tasks(app) == 1
    done = text(regulator.get(resp.headers["Location"]))
    b = bulletins.current("2026-06")
    assert b is not None and f"#bulletin-{b.ref}" in done and "http-equiv" not in done
    page = text(regulator.get("/regulator/bulletins"))
    assert f'id="bulletin-{b.ref}"' in page and "v1" in page


@pytest.mark.parametrize("period,code", [("2026-13", "invalid_period"), ("", None), ("2026-07", "period_not_ended")])
def test_bad_periods_are_answered_on_the_form_and_queue_nothing(app, regulator, period, code):
    resp = post_form(regulator, "/regulator/bulletins", {"period": period}, page="/regulator/bulletins")
    assert resp.status_code == 422, text(resp)
    body = text(resp)
    assert 'class="field has-error"' in body
    if code:
        assert code in body
    assert run_queued_tasks(app) == 0


def test_withdrawing_needs_a_reason_then_the_period_can_be_made_again(app, regulator):
    post_form(regulator, "/regulator/bulletins", {"period": "2026-06"}, page="/regulator/bulletins")
    run_queued_tasks(app)
    b = bulletins.current("2026-06")
    path = f"/regulator/bulletins/{b.ref}/withdraw"
    assert post_form(regulator, path, {"reason": "  "}, page="/regulator/bulletins").status_code == 422
    resp = post_form(regulator, path, {"reason": "一条处罚决定已被撤销"}, page="/regulator/bulletins")
    assert resp.status_code == 302
    db.session.expire_all()
    assert bulletins.current("2026-06") is None
    assert "一条处罚决定已被撤销" in text(regulator.get("/regulator/bulletins"))
    post_form(regulator, "/regulator/bulletins", {"period": "2026-06"}, page="/regulator/bulletins")
    run_queued_tasks(app)
    assert [(v.version, v.state) for v in bulletins.versions("2026-06")] == [(1, "withdrawn"), (2, "current")]


def test_only_regulators_see_the_page(app, client, factory):
    assert client.get("/regulator/bulletins").status_code in (302, 401, 403)
