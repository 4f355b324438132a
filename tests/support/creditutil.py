"""Credit-score worlds for the tests: staff hired, reviews left, complaints and sanctions taken through the real
services, committed; and the kept score of a subject read back."""
from __future__ import annotations

import random
from datetime import date, timedelta

from registry.clock import now as utcnow
from registry.extensions import db
from registry.trace import reviews
from registry.workers import idnumber
from registry.workers import services as workers
from tests.support.traceutil import last_review_code, record


def hire(factory, company, admin, *, seed: int, records: dict | None = None, today: date):
    """Register a person for `company` (its admin's account) and add `records` ({kind: data}); the worker."""
    rng = random.Random(seed)
    reg = workers.register_worker(
        factory.ring, account=admin, company=company, today=today,
        person=workers.Person("张" + "伟芳静敏"[seed % 4], idnumber.generate(rng, birth=date(1980, 1 + seed % 12, 9)),
                              f"138{seed:08d}"),
        engagement=workers.Engagement("cleaner", "labour_contract", today - timedelta(days=60), True))
    db.session.commit()
    for kind, data in (records or {}).items():
        add(factory, company, admin, reg.worker, kind, today=today, **data)
    return reg.worker


def add(factory, company, admin, worker, kind: str, *, today: date, **data):
    rec, _ = workers.add_record(factory.ring, account=admin, company=company, worker=worker, kind=kind, data=data,
                                today=today)
    db.session.commit()
    return rec


def green_records(today: date) -> dict:
    """Records that make a worker's card green (and their qualifications current) on `today`."""
    return {
        "identity": {"result": "verified", "checked_on": today - timedelta(days=30)},
        "health": {"result": "passed", "checked_on": today - timedelta(days=20),
                   "valid_until": today + timedelta(days=100)},
        "insurance": {"insurer": "平安保险", "valid_from": today - timedelta(days=10),
                      "valid_until": today + timedelta(days=200)},
        "background": {"result": "passed", "checked_on": today - timedelta(days=15), "authority": "成都市公安局"},
        "training": {"course": "家庭保洁", "hours": "24", "exam_passed": True, "trained_on": today - timedelta(days=25),
                     "issuer": "成都家政学院"},
    }


def serve(factory, company, admin, worker, *, phone: str):
    """A service of `worker` recorded by `company`; (service, the customer's reference, review code)."""
    from types import SimpleNamespace

    service = record(factory, SimpleNamespace(company=company, admin=admin, worker=worker), phone=phone)
    reference, code = last_review_code(factory)
    return service, reference, code


def review(factory, company, admin, worker, *, rating: int, phone: str):
    """A service reviewed by its customer with `rating` stars; the service."""
    service, reference, code = serve(factory, company, admin, worker, phone=phone)
    reviews.leave_review(factory.ring, reference=reference, code=code, rating=rating, tags=[], text=None,
                         now=utcnow())
    db.session.commit()
    return service


def kept(kind: str, subject_id: int):
    """The kept score row of a subject, read afresh (None when none is kept)."""
    from registry.credit.score_models import CreditScore

    db.session.rollback()
    return db.session.get(CreditScore, (kind, subject_id))


def rendered_from_facts(subject: str, facts: list, today: date, rules=None):
    """The review lines of `facts` (review facts only) as the pure scoring makes them, written as the kept row
    writes them: the `scoring.Rendered` the database's lines must equal (`inputs._review_lines`), or None when no
    review counts today or is still to come."""
    from registry.credit import rules as credit_rules
    from registry.credit import scoring, services

    rules = rules or credit_rules.current()
    reviews_ = [f for f in facts if f.kind == "review"]
    score = scoring.score(subject, reviews_, rules, today)
    lines = tuple(c for c in score.components if c.kind == "review")
    enters = min((f.on for f in reviews_ if f.on > today), default=None)
    if not lines and enters is None:
        return None
    text = services.components_text(scoring.Score(subject, 0, None, rules.version, lines, None))[1:-1]
    return scoring.Rendered("review", text, sum(c.points for c in lines), len(lines),
                            min((c.counts_until for c in lines), default=None), enters)
