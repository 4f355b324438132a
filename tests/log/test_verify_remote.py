"""`log verify --remote`: a registry checked over its public endpoints alone, across a growing log,
with an alarm when it forks or rolls back; a company's downloaded states checked against the log."""
from __future__ import annotations

import json

from sqlalchemy import select

from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import load_state, records_from, verify_remote
from registry.tlog import note
from tests.support.logutil import ORIGIN, append_synthetic, client_fetch, serve, sign, small_world, sql


def remote(client, state, **kw):
    db.session.rollback()
    return verify_remote("http://registry.test", state, fetch=client_fetch(client), **kw)


def rewrite_history(ring, size: int) -> None:
    """Someone with the database and the signing key replaces the whole log with another one."""
    for table in ("log_checkpoints", "log_hashes", "log_entries"):
        sql(f"DELETE FROM {table}")
    sql("UPDATE log_head SET size = 0")
    append_synthetic(ring, size)
    sign(ring)


def test_a_growing_log_verifies_and_the_state_file_keeps_what_was_seen(app, client, factory, tmp_path):
    state = tmp_path / "seen.json"
    append_synthetic(factory.ring, 5)
    sign(factory.ring)
    report = remote(client, state, all_entries=True)
    assert report.ok, report.failures
    assert any("5 of 5 fetched" in line for line in report.checked)
    for grow in (1, 7, 30):
        append_synthetic(factory.ring, grow)
        sign(factory.ring)
        report = remote(client, state, all_entries=True)
        assert report.ok, report.failures
        assert any("consistent with the checkpoint of size" in line for line in report.checked)
    saved = load_state(state)
    assert [c["size"] for c in saved["checkpoints"]] == [5, 6, 13, 43]
    assert saved["origin"] == ORIGIN and saved["alarms"] == []
    known = [note.parse_verifier_key(k) for k in saved["keys"]]
    for c in saved["checkpoints"]:
        assert note.open_checkpoint(c["note"], known, ORIGIN).size == c["size"]
    # A sample rather than every entry.
    report = remote(client, state, sample=3)
    assert report.ok and any("of 43 fetched" in line for line in report.checked)


def test_a_forked_log_raises_the_alarm_and_keeps_the_evidence(app, client, factory, tmp_path):
    state = tmp_path / "seen.json"
    append_synthetic(factory.ring, 6)
    sign(factory.ring)
    assert remote(client, state).ok
    before = load_state(state)["checkpoints"]
    rewrite_history(factory.ring, 9)  # signed with the real key, but not an extension of what was seen
    report = remote(client, state)
    assert report.alarm and not report.ok
    assert any("ALARM" in f and "not consistent with the checkpoint of size 6" in f for f in report.failures)
    saved = load_state(state)
    assert saved["checkpoints"] == before, "the trusted checkpoint is kept"
    assert saved["alarms"][-1]["served"].startswith(f"{ORIGIN}\n9\n")
    # Still an alarm next time: the fork is not forgotten.
    assert remote(client, state).alarm


def test_a_same_size_fork_and_a_rollback_raise_the_alarm(app, client, factory, tmp_path):
    state = tmp_path / "seen.json"
    append_synthetic(factory.ring, 6)
    sign(factory.ring)
    assert remote(client, state).ok
    rewrite_history(factory.ring, 6)
    report = remote(client, state)
    assert report.alarm and any("different root" in f for f in report.failures)
    rewrite_history(factory.ring, 4)
    report = remote(client, state)
    assert report.alarm and any("rolled back" in f for f in report.failures)


def test_a_corrupted_state_file_is_not_a_log_alarm(app, client, factory, tmp_path):
    state = tmp_path / "seen.json"
    append_synthetic(factory.ring, 2)
    sign(factory.ring)
    state.write_text('{"checkpoints": [')
    report = remote(client, state)
    assert not report.ok and not report.alarm
    assert "not JSON" in report.failures[0]
    assert state.read_text() == '{"checkpoints": [', "left for the operator to look at"


def test_an_edited_entry_is_named_remotely(app, client, factory, tmp_path):
    append_synthetic(factory.ring, 8)
    sign(factory.ring)
    sql("UPDATE log_entries SET body = :b, leaf_hash = :h WHERE seq = 3", b=b'{"seq":3}',
        h=__import__("hashlib").sha256(b'\x00{"seq":3}').digest())
    report = remote(client, tmp_path / "s.json", all_entries=True)
    assert "entry 3: inclusion proof does not verify against the checkpoint of size 8" in report.failures
    assert not report.alarm


def test_pinned_keys_must_have_signed(app, client, factory, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    append_synthetic(factory.ring, 2)
    sign(factory.ring)
    other = note.verifier_key(ORIGIN, Ed25519PrivateKey.generate().public_key())
    report = remote(client, tmp_path / "s.json", pinned_keys=[other])
    assert not report.ok and "signature does not verify" in report.failures[0]
    mine = client.get("/api/v1/log/key").get_data(as_text=True).split()
    assert remote(client, tmp_path / "s2.json", pinned_keys=mine).ok


def states(client, factory, world):
    token = factory.token(world["admin"])
    db.session.rollback()
    resp = client.get(f"/api/v1/companies/{world['company'].uscc}/states",
                      headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_company_checks_its_own_and_its_workers_states(app, client, factory, tmp_path):
    world = small_world(factory)
    doc = states(client, factory, world)
    sign(factory.ring)
    records = records_from(doc)
    assert [r["kind"] for r in records] == ["company", "worker", "worker"]
    report = remote(client, tmp_path / "s.json", records=records)
    assert report.ok, report.failures
    assert any("records: 3 of 3 match" in line for line in report.checked)
    # A state that is not the logged one is named.
    records[1]["state"]["phone"] = "0" * 64
    report = remote(client, tmp_path / "s.json", records=records)
    ref = records[1]["log_ref"]
    assert f"worker {ref}: the file's digest does not match its state" in report.failures
    assert f"worker {ref}: canonical state digest differs from entry {records[1]['entry_index']}" in report.failures


def test_a_record_changed_after_the_last_checkpoint_waits_for_the_next(app, client, factory, tmp_path):
    world = small_world(factory)
    sign(factory.ring)
    factory.token(world["admin"], name="another")  # a new entry for the company, not yet in a checkpoint
    doc = states(client, factory, world)
    report = remote(client, tmp_path / "s.json", records=[doc["company"]])
    assert any("is not in the latest checkpoint" in f for f in report.failures), report.failures
    sign(factory.ring)
    assert remote(client, tmp_path / "s.json", records=[doc["company"]]).ok


def test_the_cli_over_real_http(app, factory, runner, tmp_path):
    world = small_world(factory)
    doc_path = tmp_path / "states.json"
    base, stop = serve(app)
    try:
        token = factory.token(world["admin"])
        import urllib.request

        req = urllib.request.Request(f"{base}/api/v1/companies/{world['company'].uscc}/states",
                                     headers={"Authorization": f"Bearer {token}"})
        doc_path.write_bytes(urllib.request.urlopen(req, timeout=10).read())
        sign(factory.ring)
        state = tmp_path / "seen.json"
        result = runner.invoke(args=["log", "verify", "--remote", base, "--state", str(state), "--all",
                                     "--record", str(doc_path)])
        assert result.exit_code == 0, result.output
        assert "log verified" in result.output
        assert json.loads(state.read_text())["checkpoints"][-1]["size"] == db.session.execute(
            select(LogEntry.seq).order_by(LogEntry.seq.desc()).limit(1)).scalar_one() + 1
        rewrite_history(factory.ring, 50)
        result = runner.invoke(args=["log", "verify", "--remote", base, "--state-file", str(state)])
        assert result.exit_code == 1
        assert "ALARM" in result.output and "not consistent" in result.output
    finally:
        stop()
