"""Migration 0004 fills the stored hashes of the entries written before it."""
from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.log.models import LogHash
from registry.tlog import merkle
from tests.support.logutil import append_synthetic, leaves, sign


def test_upgrading_fills_the_stored_hashes_of_earlier_entries(app, factory):
    from flask_migrate import downgrade, upgrade

    append_synthetic(factory.ring, 37, batch=10)
    expected = {i: bytes(h) for i, h in db.session.execute(select(LogHash.id, LogHash.hash)).all()}
    db.session.remove()
    downgrade(revision="0003")  # drops log_hashes, log_checkpoints, log_alarms; entries stay
    upgrade()
    db.session.remove()
    got = {i: bytes(h) for i, h in db.session.execute(select(LogHash.id, LogHash.hash)).all()}
    assert got == expected and len(got) == merkle.stored_hash_count(37)
    assert sign(factory.ring).status == "signed"
    assert leaves()[0] == got[0]
