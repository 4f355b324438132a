"""`keys rotate log`: new checkpoints are signed by the new key; old ones stay verifiable everywhere."""
from __future__ import annotations

import json

import pytest

from registry.extensions import db
from registry.log.verify import verify_local, verify_remote
from registry.tlog import note
from tests.support.logutil import ORIGIN, client_fetch, sign


@pytest.fixture
def restore_log_keys(app, factory):
    """Rotate in a test without leaving the session's key folder changed."""
    path = factory.ring.dir / "log.json"
    saved = path.read_bytes()
    yield
    path.write_bytes(saved)
    factory.ring.keys("log", fresh=True)


def test_rotation_keeps_old_checkpoints_verifiable(app, client, factory, tmp_path, restore_log_keys):
    ring = factory.ring
    factory.company()
    old = sign(ring).checkpoint
    state = tmp_path / "seen.json"
    assert verify_remote("http://x", state, fetch=client_fetch(client), all_entries=True).ok

    old_key = ring.current("log")
    new_key = ring.add("log")  # what `flask --app wsgi keys rotate log` does for a signing key
    factory.company()
    new = sign(ring).checkpoint
    assert new.key_id != old.key_id
    assert new.key_id == note.key_id(ORIGIN, new_key.public_bytes).hex()
    assert old.key_id == note.key_id(ORIGIN, old_key.public_bytes).hex()

    lines = client.get("/api/v1/log/key").get_data(as_text=True).splitlines()
    assert lines == [note.verifier_key(ORIGIN, new_key.public_bytes), note.verifier_key(ORIGIN, old_key.public_bytes)]
    known = [note.parse_verifier_key(line) for line in lines]
    for item in client.get("/api/v1/log/checkpoints").get_json():
        assert note.open_checkpoint(item["checkpoint"], known, ORIGIN).size == item["size"]
    # Each checkpoint is signed by exactly its own key.
    with pytest.raises(note.NoteError):
        note.open_checkpoint(old.note, known[:1], ORIGIN)
    note.open_checkpoint(old.note, known[1:], ORIGIN)
    note.open_checkpoint(new.note, known[:1], ORIGIN)

    db.session.rollback()
    assert verify_local(ring, ORIGIN).ok
    report = verify_remote("http://x", state, fetch=client_fetch(client), all_entries=True)
    assert report.ok, report.failures
    assert any("new since last time" in line for line in report.checked)
    assert len(json.loads(state.read_text())["keys"]) == 2


def test_a_retired_log_key_is_no_longer_published(app, client, factory, restore_log_keys):
    ring = factory.ring
    factory.company(verified=False)
    sign(ring)
    old_key = ring.current("log")
    ring.add("log")
    ring.retire("log", old_key.id)
    lines = client.get("/api/v1/log/key").get_data(as_text=True).splitlines()
    assert len(lines) == 1 and lines[0] == note.verifier_key(ORIGIN, ring.current("log").public_bytes)
    db.session.rollback()
    failures = verify_local(ring, ORIGIN).failures
    assert len(failures) == 1 and "signature does not verify" in failures[0]
    # The signer itself still trusts its own retired key for the previous checkpoint.
    factory.company(verified=False)
    assert sign(ring).status == "signed"
