"""The full-name blind index: `keys init` creates its key, a rotation rebuilds it, the backfill fills the gaps."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.keys import KeyRing
from registry.keys.crypto import aad, name_index, unseal
from registry.log.models import LogEntry
from registry.workers.models import Worker
from registry.workers.services import workers_by_exact_name
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks


@pytest.fixture
def workers(app, factory):
    """Thirty workers through a staff import; returns their (id, name) pairs."""
    from registry.imports.services import start_import

    company, admin = factory.company()
    start_import(factory.ring, account=admin.account, company=company, filename="s.csv",
                 content=csv_bytes(person_rows(30, today=shanghai_today(), seed=9)), keep_good=False)
    db.session.commit()
    run_queued_tasks(app)
    return [(w.id, unseal(factory.ring, w.name_enc, aad("workers", "name", w.ref)))
            for w in db.session.execute(select(Worker).order_by(Worker.id)).scalars()]


def indexes() -> dict[int, str | None]:
    db.session.rollback()
    return dict(db.session.execute(select(Worker.id, Worker.name_index)).all())


def found(ring, name) -> set[int]:
    return set(db.session.execute(workers_by_exact_name(ring, name)).scalars())


def log_size() -> int:
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def digests_replay(ring) -> None:
    db.session.rollback()
    for w in db.session.execute(select(Worker)).scalars():
        entry = db.session.execute(select(LogEntry).where(LogEntry.subject == w.log_ref)
                                   .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
        assert json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(ring, w))


def test_keys_init_creates_the_name_index_key_in_an_existing_key_folder(app, runner, tmp_path, factory):
    # A key folder made before `index-name` existed: every other purpose, no index-name.json.
    for path in factory.ring.dir.glob("*.json"):
        if path.name != "index-name.json":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    old = KeyRing(tmp_path)
    assert old.ensure_all() == ["index-name"]
    assert old.ensure_all() == []
    # And the command, on the application's own folder (nothing missing, nothing to backfill).
    result = runner.invoke(args=["keys", "init"])
    assert result.exit_code == 0, result.output
    assert "created none" in result.output and "none missing" in result.output


def test_rotating_index_name_rebuilds_every_name_index(app, runner, factory, workers):
    ring = factory.ring
    old_key = ring.current("index-name").id
    before = indexes()
    entries = log_size()
    result = runner.invoke(args=["keys", "rotate", "index-name"])
    assert result.exit_code == 0, result.output
    new_key = ring.current("index-name").id
    after = indexes()
    assert new_key != old_key and set(after) == set(before)
    for wid, name in workers:
        assert after[wid] == name_index(ring, name) and after[wid].startswith(new_key + ":")
        assert before[wid] not in after.values()  # the value under the old key matches nothing any more
        assert wid in found(ring, name)
    assert {k.id: k.state for k in ring.keys("index-name", fresh=True)}[old_key] == "retired"
    # Index values are in no state: no digest changed, no entry written.
    assert log_size() == entries
    digests_replay(ring)


def test_during_a_rotation_both_keys_find_the_name(app, client, factory, workers):
    from registry.keys.rotation import start_rotation
    from registry.tasks.progress import run_here

    ring = factory.ring
    old_key = ring.current("index-name").id
    _key, task = start_rotation(ring, "index-name", actor="system")
    task_id = task.id
    db.session.commit()
    wid, name = workers[0]
    assert indexes()[wid].startswith(old_key + ":")
    assert wid in found(ring, name)  # still under the old key, found through it
    assert run_here(app, task_id, "test")["state"] == "done"
    assert wid in found(ring, name)


def test_the_backfill_fills_the_names_registered_before_the_index(app, runner, factory, workers):
    ring = factory.ring
    some = [wid for wid, _name in workers[::3]]
    db.session.execute(update(Worker).where(Worker.id.in_(some)).values(name_index=None))
    db.session.commit()
    assert sum(v is None for v in indexes().values()) == len(some)
    wid, name = next((w, n) for w, n in workers if w in some)
    assert wid not in found(ring, name)  # not indexed: not found
    entries = log_size()
    result = runner.invoke(args=["keys", "backfill"])
    assert result.exit_code == 0, result.output
    assert f"wrote {len(some)} values" in result.output
    after = indexes()
    for w, n in workers:
        assert after[w] == name_index(ring, n)
    assert wid in found(ring, name)
    assert log_size() == entries
    again = runner.invoke(args=["keys", "backfill"])
    assert again.exit_code == 0 and "none missing" in again.output


def test_keys_init_runs_the_backfill_and_queue_leaves_it_to_the_jobs_process(app, runner, factory, workers):
    db.session.execute(update(Worker).values(name_index=None))
    db.session.commit()
    result = runner.invoke(args=["keys", "init"])
    assert result.exit_code == 0, result.output
    assert all(v is not None for v in indexes().values())

    db.session.execute(update(Worker).values(name_index=None))
    db.session.commit()
    result = runner.invoke(args=["keys", "backfill", "--queue"])
    assert result.exit_code == 0 and "queued as task" in result.output
    assert all(v is None for v in indexes().values())
    run_queued_tasks(app)
    after = indexes()
    for wid, name in workers:
        assert after[wid] == name_index(factory.ring, name)


def test_rotating_index_name_rebuilds_the_names_sanctions_name_too(app, runner, factory, clock):
    from registry.sanctions.models import SanctionPerson
    from tests.support.sanctionutil import record, regulators

    reg, _ = regulators(factory)
    company, _admin = factory.company()
    db.session.commit()
    s = record(factory, reg, company=company, today=shanghai_today(),
               persons=[{"role": "legal_representative", "name": "司马 相如"}])
    ref = s.persons[0].ref
    before = s.persons[0].name_idx
    assert before == name_index(factory.ring, "司马 相如")
    result = runner.invoke(args=["keys", "rotate", "index-name"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    after = db.session.execute(select(SanctionPerson.name_idx).where(SanctionPerson.ref == ref)).scalar_one()
    new_key = factory.ring.current("index-name").id
    assert after != before and after.startswith(new_key + ":")
    # Typed with a full-width space, it is the same full name.
    assert after == name_index(factory.ring, "司马\u3000相如")
