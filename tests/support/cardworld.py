"""A worker with records for the card tests: registered, checked, trained and insured by a company."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.workers import idnumber
from registry.workers import services as workers

REAL_NAME = "欧阳明华"


@dataclass
class CardWorld:
    company: object
    admin: object
    worker: object
    today: date

    @property
    def card_no(self) -> str:
        return self.worker.card_no


def green_worker(factory, *, name: str = REAL_NAME, seed: int = 5, health_until: date | None = None,
                 background: str = "passed") -> CardWorld:
    """A worker whose records make the card green today (unless told otherwise)."""
    today = shanghai_today()
    company, admin = factory.company()
    rng = random.Random(seed)
    reg = workers.register_worker(
        factory.ring, account=admin.account, company=company, today=today,
        person=workers.Person(name, idnumber.generate(rng, birth=date(1985, 3, 9)), "13800005678"),
        engagement=workers.Engagement("cleaner", "labour_contract", today - timedelta(days=40), True))
    db.session.commit()
    worker = reg.worker
    add = lambda kind, **data: workers.add_record(factory.ring, account=admin.account, company=company,  # noqa: E731
                                                  worker=worker, kind=kind, data=data, today=today)
    add("identity", result="verified", checked_on=today - timedelta(days=30))
    add("health", result="passed", checked_on=today - timedelta(days=20),
        valid_until=health_until or today + timedelta(days=300))
    add("insurance", insurer="平安保险", valid_from=today - timedelta(days=10), valid_until=today + timedelta(days=355))
    add("background", result=background, checked_on=today - timedelta(days=15), authority="成都市公安局")
    add("training", course="家庭保洁", hours="24", exam_passed=True, trained_on=today - timedelta(days=25),
        issuer="成都家政学院")
    db.session.commit()
    return CardWorld(company, admin.account, worker, today)


def issue(factory, world: CardWorld, today: date | None = None):
    from registry.cards import services as cards

    issued = cards.issue_card(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                              today=today or world.today)
    db.session.commit()
    return issued.card
