"""Concurrent requests: a consent code is spent once however many residents race for it, and
two activation codes sent at once leave one login row and one live code."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from registry.extensions import db
from registry.selfservice.models import WorkerCode, WorkerLogin
from registry.workers.models import AccessRecord
from tests.support.selfutil import H, employ, signed_in


def _race(app, n: int, request) -> list[int]:
    """Run `request(client)` in n threads started together; their status codes."""
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def run():
        client = app.test_client()
        barrier.wait()
        statuses.append(request(client).status_code)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return statuses


def test_a_consent_code_raced_by_many_residents_opens_once(app, client, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    token = signed_in(client, factory, admin.account, worker)
    code = client.post("/api/v1/self/consent-codes", headers=H(token)).get_json()["code"]
    card = worker.card_no
    statuses = _race(app, 6, lambda c: c.post(f"/api/v1/cards/{card}/detail", json={"consent_code": code}))
    assert sorted(statuses) == [200] + [422] * 5
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(AccessRecord)
                              .where(AccessRecord.purpose == "consent_view")).scalar_one() == 1


def test_two_activation_codes_sent_at_once(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    tokens = [factory.token(admin.account), factory.token(factory.regulator_for("housekeeping"))]
    card = worker.card_no
    turn = iter(tokens)
    lock = threading.Lock()

    def send(c):
        with lock:
            token = next(turn)
        return c.post(f"/api/v1/workers/{card}/activation-code", headers=H(token))

    assert _race(app, 2, send) == [200, 200]
    db.session.rollback()
    assert db.session.execute(select(WorkerLogin.generation)).scalars().all() == [2]
    live = db.session.execute(select(func.count()).select_from(WorkerCode).where(
        WorkerCode.kind == "activation", WorkerCode.burnt_dt.is_(None))).scalar_one()
    assert live == 1


@pytest.mark.postgres
def test_postgres_a_consent_spend_waits_for_the_code_row_lock(app, client, factory):
    """The code's row is locked while it is judged: a spend that waited sees the other's use."""
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    token = signed_in(client, factory, admin.account, worker)
    code = client.post("/api/v1/self/consent-codes", headers=H(token)).get_json()["code"]
    card = worker.card_no
    holder = db.engine.connect()
    trans = holder.begin()
    holder.execute(text("SELECT id FROM worker_codes WHERE kind = 'consent' FOR UPDATE"))
    statuses: list[int] = []
    t = threading.Thread(target=lambda: statuses.append(
        app.test_client().post(f"/api/v1/cards/{card}/detail", json={"consent_code": code}).status_code))
    t.start()
    time.sleep(1.0)
    assert t.is_alive(), "the spend did not wait for the code's row lock"
    holder.execute(text("UPDATE worker_codes SET used_dt = now() WHERE kind = 'consent'"))
    trans.commit()
    holder.close()
    t.join(30)
    assert statuses == [422]
