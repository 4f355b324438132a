"""Concurrent writers and the signer: stored hashes stay exact, checkpoints never refuse a sound log."""
from __future__ import annotations

import secrets
import threading

from sqlalchemy import select

from logutil import ORIGIN, leaves, sign
from registry.extensions import db
from registry.log.actions import Action
from registry.log.models import LogCheckpoint, LogHash
from registry.log.services import Change, append_entries
from registry.log.verify import _check_checkpoints, _stored_hashes, Report
from registry.tlog import merkle


def _writer(app, ring, rounds: int, errors: list):
    from registry.database import write_intent

    try:
        with app.app_context(), write_intent():
            for i in range(rounds):
                changes = [Change("system", Action.COMPANY_UPDATE, secrets.token_hex(16), secrets.token_hex(32))
                           for _ in range(1 + i % 5)]
                append_entries(ring, changes)
                if i % 7 == 3:
                    db.session.rollback()  # a failed change: its entries and hashes vanish with it
                else:
                    db.session.commit()
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 — reported by the test
        errors.append(repr(exc))


def _signer(app, ring, stop: threading.Event, outcomes: list, errors: list):
    try:
        with app.app_context():
            while not stop.is_set():
                outcomes.append(sign(ring).status)
            outcomes.append(sign(ring).status)
            db.session.remove()
    except Exception as exc:  # noqa: BLE001
        errors.append(repr(exc))


def test_concurrent_appends_and_signing(app, factory):
    ring = factory.ring
    errors: list = []
    outcomes: list = []
    stop = threading.Event()
    writers = [threading.Thread(target=_writer, args=(app, ring, 25, errors)) for _ in range(4)]
    signer = threading.Thread(target=_signer, args=(app, ring, stop, outcomes, errors))
    signer.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(120)
    stop.set()
    signer.join(120)
    assert errors == []
    assert "refused" not in outcomes and "signed" in outcomes
    db.session.rollback()
    ls = leaves()
    computed = _stored_hashes(ls)
    stored = dict(db.session.execute(select(LogHash.id, LogHash.hash)).all())
    assert len(stored) == len(computed) and all(bytes(stored[i]) == h for i, h in enumerate(computed))
    report = Report()
    _check_checkpoints(ring, ORIGIN, len(ls), computed, report)
    assert report.ok, report.failures
    assert db.session.scalars(select(LogCheckpoint.size).order_by(LogCheckpoint.size.desc())).first() == len(ls)
    assert merkle.root_from_leaves(ls) == db.session.scalars(
        select(LogCheckpoint.root).order_by(LogCheckpoint.size.desc())).first()
