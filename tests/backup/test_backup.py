"""Backups (registry/backup/services.py, `flask backup create|restore`): a copy taken while writers run restores into
an empty database with the manifest's row counts and checkpoint root, and verifies; a backup damaged, incomplete or
of the other engine, or a database not empty, restores nothing; a restore whose log does not verify is reported as
failed; the keys are never in a backup."""
from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from sqlalchemy import inspect, select, text, update

from registry.accounts import services as accounts
from registry.accounts.models import Account
from registry.backup.services import FILES, MANIFEST, BackupError, create, restore
from registry.companies.models import Company
from registry.database import write_intent
from registry.extensions import db
from registry.keys import PURPOSES, keyring
from registry.log.checkpoints import sign_if_grown
from registry.log.models import LogCheckpoint, LogHead
from tests.support.freshapp import empty_database, fresh_app
from tests.support.logutil import ORIGIN, sign, small_world


def _writer(app, account_id: int, stop: threading.Event, errors: list[str]) -> None:
    """Issue API tokens (one logged change each) and sign a checkpoint every few, until told to stop."""
    try:
        with app.app_context():
            ring, i = keyring(), 0
            while not stop.is_set():
                with write_intent():
                    accounts.issue_token(ring, account=db.session.get(Account, account_id), name=f"t{i}")
                    db.session.commit()
                    i += 1
                    if i % 4 == 0:
                        sign_if_grown(ring, ORIGIN)
                        db.session.commit()
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 — reported by the test
        errors.append(repr(exc))


def _log_size() -> int:
    db.session.rollback()
    return db.session.execute(select(LogHead.size)).scalar_one()


def test_a_backup_taken_while_writers_run_restores_with_its_counts_and_root_and_verifies(
        app, factory, base_config, tmp_path):
    w = small_world(factory)
    sign(factory.ring)
    stop, errors = threading.Event(), []
    threads = [threading.Thread(target=_writer, args=(app, a.id, stop, errors)) for a in (w["admin"], w["other_admin"])]
    for t in threads:
        t.start()
    try:
        started = _log_size()
        deadline = time.monotonic() + 30
        while _log_size() < started + 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        manifest = create(db.engine, tmp_path / "backup")
        # The writers go on after the copy: the database moves past what the backup holds.
        while _log_size() <= manifest["tables"]["log_entries"] + 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == []
    assert _log_size() > manifest["tables"]["log_entries"] > started
    assert manifest["engine"] == db.engine.dialect.name and manifest["schema"]
    assert manifest["checkpoint"]["size"] <= manifest["tables"]["log_entries"]
    assert sorted(p.name for p in (tmp_path / "backup").iterdir()) == sorted([MANIFEST, FILES[manifest["engine"]]])

    with empty_database(base_config["SQLALCHEMY_DATABASE_URI"], tmp_path) as url, \
            fresh_app(base_config, SQLALCHEMY_DATABASE_URI=url):
        done = restore(db.engine, tmp_path / "backup", keyring(), ORIGIN)
        assert done.ok, (done.mismatched, done.checkpoint_ok, done.failures[:5])
        assert done.counts == manifest["tables"] and done.counts["log_entries"] > 0
        # One snapshot: the head, the entries and the checkpoint agree with each other and with the manifest.
        assert db.session.execute(select(LogHead.size)).scalar_one() == manifest["tables"]["log_entries"]
        latest = db.session.execute(select(LogCheckpoint).order_by(LogCheckpoint.size.desc())).scalars().first()
        assert (latest.size, latest.root.hex()) == (manifest["checkpoint"]["size"], manifest["checkpoint"]["root"])
        db.session.remove()


def test_the_keys_are_never_in_a_backup(app, factory, tmp_path):
    small_world(factory)
    create(db.engine, tmp_path / "backup")
    ring = factory.ring
    files = [p.read_bytes() for p in (tmp_path / "backup").iterdir()]
    for purpose in PURPOSES:
        for key in ring.keys(purpose):
            for form in (key.material, base64.b64encode(key.material)):
                assert not any(form in data for data in files), purpose


def test_what_cannot_be_restored_restores_nothing(app, factory, base_config, tmp_path):
    small_world(factory)
    sign(factory.ring)
    backup = tmp_path / "backup"
    manifest = create(db.engine, backup)
    # A folder that is not empty takes no backup.
    with pytest.raises(BackupError) as refused:
        create(db.engine, backup)
    assert refused.value.code == "backup_dir_not_empty"
    # The registry's own database is not empty: nothing restored into it, nothing changed.
    before = _log_size()
    with pytest.raises(BackupError) as refused:
        restore(db.engine, backup, factory.ring, ORIGIN)
    assert refused.value.code == "database_not_empty" and "目标数据库不为空" in refused.value.zh
    assert _log_size() == before
    data = backup / manifest["file"]["name"]
    good = data.read_bytes()
    with empty_database(base_config["SQLALCHEMY_DATABASE_URI"], tmp_path) as url, \
            fresh_app(base_config, SQLALCHEMY_DATABASE_URI=url):
        ring = keyring()
        # A byte changed in the copy.
        damaged = bytearray(good)
        damaged[len(damaged) // 2] ^= 0xFF
        data.write_bytes(bytes(damaged))
        with pytest.raises(BackupError) as refused:
            restore(db.engine, backup, ring, ORIGIN)
        assert refused.value.code == "backup_damaged"
        data.write_bytes(good)
        # A backup of the other engine.
        other = dict(manifest, engine="postgresql" if manifest["engine"] == "sqlite" else "sqlite")
        (backup / MANIFEST).write_text(json.dumps(other))
        with pytest.raises(BackupError) as refused:
            restore(db.engine, backup, ring, ORIGIN)
        assert refused.value.code == "engine_mismatch" and "db move" in refused.value.en
        # No manifest: a backup that never finished.
        (backup / MANIFEST).unlink()
        with pytest.raises(BackupError) as refused:
            restore(db.engine, backup, ring, ORIGIN)
        assert refused.value.code == "not_a_backup"
        with db.engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        db.session.remove()


def test_a_restore_whose_log_does_not_verify_is_reported_as_failed(app, factory, base_config, tmp_path):
    """The backup is faithful to a database someone changed behind the log: the restore finds it and fails."""
    company_id = small_world(factory)["company"].id  # read here: inside the other app it would load from there
    sign(factory.ring)
    db.session.execute(update(Company).where(Company.id == company_id).values(name="改过的名字有限公司"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "keys export" in result.output
    with empty_database(base_config["SQLALCHEMY_DATABASE_URI"], tmp_path) as url, \
            fresh_app(base_config, SQLALCHEMY_DATABASE_URI=url) as target:
        result = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
        assert result.exit_code == 1, result.output
        assert "restore FAILED" in result.output and "FAIL: log verify" in result.output
        # What was restored stays for the operator to look into; counts and checkpoint matched the backup.
        assert "rows in the manifest" not in result.output
        assert db.session.execute(text("SELECT name FROM companies WHERE id = :id"), {"id": company_id}
                                  ).scalar_one() == "改过的名字有限公司"
        db.session.remove()


def test_the_restore_command_on_a_good_backup(app, factory, base_config, tmp_path):
    small_world(factory)
    sign(factory.ring)
    assert app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")]).exit_code == 0
    with empty_database(base_config["SQLALCHEMY_DATABASE_URI"], tmp_path) as url, \
            fresh_app(base_config, SQLALCHEMY_DATABASE_URI=url) as target:
        result = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        assert "log verified" in result.output
        # Restoring again: the database is no longer empty.
        again = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
        assert again.exit_code == 1 and "database_not_empty" in again.output
        db.session.remove()
