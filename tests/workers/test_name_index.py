"""A worker is found by their exact full name through its blind index (`index-name`), never by a part of it.

Registration and the staff import both write the index (through `seal_identity`); it never enters a canonical
state or the log. Rotation and the backfill are in tests/keys/test_name_index_keys.py.
"""
from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.keys.crypto import aad, name_index, name_key, unseal
from registry.log.models import LogEntry
from registry.workers import idnumber
from registry.workers.models import Worker
from registry.workers.services import workers_by_exact_name
from tests.support.factory import bearer
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks

RNG = random.Random(11)


def register(client, company, token, name):
    resp = client.post(f"/api/v1/companies/{company.uscc}/workers", headers=bearer(token), json={
        "name": name, "id_number": idnumber.generate(RNG, birth=date(1984, 2, 3)), "phone": "13600001234",
        "occupation": "cleaner", "employment_kind": "labour_contract",
        "start_date": shanghai_today().isoformat(), "social_insurance": True})
    assert resp.status_code == 201, resp.get_json()
    return db.session.execute(select(Worker).where(Worker.card_no == resp.get_json()["card_no"])).scalar_one()


def by_name(ring, name) -> set[int]:
    return set(db.session.execute(workers_by_exact_name(ring, name)).scalars())


def stored_name(ring, worker) -> str:
    return unseal(ring, worker.name_enc, aad("workers", "name", worker.ref))


@pytest.fixture
def company(app, factory):
    company, admin = factory.company()
    return company, factory.token(admin.account)


def test_registration_indexes_the_full_name_and_only_the_full_name_finds(client, factory, company):
    ring = factory.ring
    w = register(client, *company, "王秀英")
    other = register(client, *company, "王秀")
    assert w.name_index == name_index(ring, "王秀英")
    assert w.name_index.startswith(ring.current("index-name").id + ":")
    assert by_name(ring, "王秀英") == {w.id}
    assert by_name(ring, " 王秀英  ") == {w.id}  # trimmed as registration trims
    assert by_name(ring, "王秀") == {other.id}
    for part in ("王", "秀英", "秀", "王秀英英", ""):
        assert w.id not in by_name(ring, part), part


def test_one_name_many_people(client, factory, company):
    a, b = register(client, *company, "张伟"), register(client, *company, "张伟")
    assert a.id != b.id and by_name(factory.ring, "张伟") == {a.id, b.id}


@pytest.mark.parametrize("registered,typed", [
    ("阿依古丽·买买提", "阿依古丽•买买提"),  # an interpunct look-alike
    ("阿依古丽•买买提", "阿依古丽·买买提"),
    ("\uf900小明", "\u8c48小明"),  # a compatibility ideograph is its unified form (NFKC)
    ("Anna  Maria", "anna maria"),  # spaces collapsed as registration does; case folded
])
def test_ways_of_typing_one_name_find_it(client, factory, company, registered, typed):
    w = register(client, *company, registered)
    assert by_name(factory.ring, typed) == {w.id}
    assert name_key(registered) == name_key(typed)


def test_the_staff_import_indexes_every_name(app, client, factory, company):
    from registry.imports.services import start_import

    target, _token = company
    admin = target.accounts[0]
    rows = person_rows(25, today=shanghai_today(), seed=3)
    start_import(factory.ring, account=admin, company=target, filename="s.csv", content=csv_bytes(rows),
                 keep_good=False)
    db.session.commit()
    run_queued_tasks(app)
    workers = db.session.execute(select(Worker)).scalars().all()
    assert len(workers) == 25
    for w in workers:
        assert w.name_index == name_index(factory.ring, stored_name(factory.ring, w))
    some = rows[7]["name"]
    assert by_name(factory.ring, some) == {w.id for w in workers if stored_name(factory.ring, w) == some}


def test_the_name_index_is_in_no_canonical_state_and_no_log_entry(client, factory, company):
    ring = factory.ring
    register(client, *company, "李桂兰")
    register(client, *company, "阿依古丽·买买提")
    bodies = "\n".join(bytes(b).decode() for b in db.session.execute(select(LogEntry.body)).scalars())
    for w in db.session.execute(select(Worker)).scalars():
        state = canonical.canonical_json(canonical.state_of(ring, w)).decode()
        value, hexpart = w.name_index, w.name_index.split(":", 1)[1]
        assert value not in state and hexpart not in state
        assert value not in bodies and hexpart not in bodies
        assert w.name_state in state  # what the state holds instead: the `state` HMAC
