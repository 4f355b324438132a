"""Helpers for the self-service tests: a worker, their activation code (read from the outbox), a session."""
from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from registry.clock import today as shanghai_today
from registry.extensions import db

RNG = random.Random(2468)
PHONE = "13612345678"
PIN = "204937"
CODE_RE = re.compile(r"激活码 ([0-9A-Z]{4})-([0-9A-Z]{4})")


def H(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


_ISSUED: set[str] = set()


def new_id(birth: date = date(1984, 4, 4)) -> str:
    """A valid ID number no earlier call in this process returned: two draws for one birth date can otherwise
    collide (a few thousand numbers a day), and a second person would then be refused as the first."""
    from registry.workers import idnumber

    while True:
        number = idnumber.generate(RNG, birth=birth)
        if number not in _ISSUED:
            _ISSUED.add(number)
            return number


def employ(factory, company, admin_account, *, name="陈秀英", phone=PHONE, id_number=None):
    """Register a person with `company` through the service; returns the worker."""
    from registry.workers import services as workers

    reg = workers.register_worker(
        factory.ring, account=admin_account, company=company, today=shanghai_today(),
        person=workers.Person(name, id_number or new_id(), phone),
        engagement=workers.Engagement("cleaner", "labour_contract", shanghai_today(), True))
    db.session.commit()
    return reg.worker


def last_activation_code(factory, phone: str = PHONE) -> str:
    """The newest activation code texted to `phone` (from the development outbox)."""
    from registry.notify.services import read_outbox

    for m in read_outbox(factory.ring, limit=50):
        if m["kind"] == "activation_code" and m["recipient"] == "+86" + phone:
            found = CODE_RE.search(m["text"])
            assert found, m["text"]
            return found.group(1) + found.group(2)
    raise AssertionError("no activation code in the outbox")


def send_code(factory, actor, worker, now: datetime | None = None) -> str:
    """Have `actor` send the worker an activation code (service), commit, and return the code from the outbox."""
    from registry.clock import now as utcnow
    from registry.selfservice import services

    services.issue_activation_code(factory.ring, actor=actor, worker=worker, now=now or utcnow())
    db.session.commit()
    return last_activation_code(factory)


def activate(client, card_no: str, code: str, pin: str = PIN):
    return client.post("/api/v1/self/activate", json={"card_no": card_no, "code": code, "pin": pin})


def signed_in(client, factory, actor, worker, pin: str = PIN) -> str:
    """A worker session token, activating the worker first."""
    resp = activate(client, worker.card_no, send_code(factory, actor, worker), pin)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def count(model) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
