"""Spent codes and ended sessions are deleted a while after they stopped working; live ones never are."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.selfservice import services
from registry.selfservice.models import WorkerCode, WorkerSession
from registry.workers.models import AccessRecord
from tests.support.selfutil import at, count, employ, send_code


def test_prune_deletes_only_what_stopped_working_long_ago(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    start = at(2026, 1, 10, 8)
    code = send_code(factory, admin.account, worker, now=start)
    services.activate(factory.ring, card_no=worker.card_no, code=code, pin="204937", now=start + timedelta(minutes=5))
    old_consent = services.create_consent_code(factory.ring, worker=worker, now=start + timedelta(minutes=6))
    db.session.commit()
    later = start + timedelta(days=40)
    live_session = services.sign_in(card_no=worker.card_no, pin="204937", now=later)
    fresh = services.create_consent_code(factory.ring, worker=worker, now=later)
    db.session.commit()
    reads = count(AccessRecord)
    assert count(WorkerCode) == 3 and count(WorkerSession) == 2

    gone = services.prune_spent(later + timedelta(minutes=1))
    db.session.commit()
    # The used activation code and the consent code that expired 40 days ago; the session that expired then.
    assert gone == {"codes": 2, "sessions": 1}
    left = db.session.execute(select(WorkerCode.kind, WorkerCode.expires_dt)).all()
    assert [(kind, expires) for kind, expires in left] == [("consent", fresh.expires)]
    assert old_consent.expires < later
    assert services.worker_for_token(live_session.token, later + timedelta(minutes=1)) is not None
    assert count(AccessRecord) == reads
    # Nothing more to do the second time.
    assert services.prune_spent(later + timedelta(minutes=1)) == {"codes": 0, "sessions": 0}
