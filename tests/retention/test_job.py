"""The daily retention job: what is due on the day before, the day and the day after each period, in batches."""
from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import clock as clock_mod
from registry.extensions import db
from registry.imports.models import ImportFile
from registry.keys.crypto import aad, seal_bytes
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.retention import rules, services
from registry.trace.models import HouseholdQuery
from registry.workers.models import AccessRecord, Worker
from tests.support.logutil import ORIGIN

START = date(2027, 3, 1)
P = rules.Periods()


@pytest.fixture
def world(app, factory, clock):
    from registry.workers import idnumber
    from registry.workers import services as workers

    clock.freeze(START)
    company, admin = factory.company()
    acc = admin.account
    agency = factory.agency(sector="housekeeping", code="rt-job")

    def register(seed, end=True):
        number = idnumber.generate(random.Random(seed), birth=date(1980, 5, 5))
        w = workers.register_worker(
            factory.ring, account=acc, company=company, today=START,
            person=workers.Person(f"陈{'秀英丽娜'[seed % 4]}", number, f"1361234{seed:04d}"),
            engagement=workers.Engagement("cleaner", "labour_contract", START, True)).worker
        db.session.commit()
        if end:
            workers.end_employment(factory.ring, account=acc, company=company, worker=w, end_date=START,
                                   today=START)
            db.session.commit()
        return w.id

    ids = {"ended": [register(1), register(2)], "employed": register(3, end=False), "sanctioned": register(4)}
    from tests.support.sanctionutil import record, regulators

    proposer, _ = regulators(factory, code="rt-jb")
    record(factory, proposer, worker=db.session.get(Worker, ids["sanctioned"]), kind="serious_list",
           severity="serious", today=START)
    f = ImportFile(ref="a" * 32, company_id=company.id, uploaded_by=acc.ref, filename="staff.csv", size=3,
                   sha256="0" * 64, content_enc=b"", keep_good=False, created_dt=clock_mod.now())
    f.content_enc = seal_bytes(factory.ring, b"x,y", aad("import_files", "content", f.ref))
    db.session.add(f)
    db.session.add(AccessRecord(worker_id=ids["employed"], accessor_ref=acc.ref, accessor_kind="company",
                                organisation="测试", purpose="employment", fields="name", created_dt=clock_mod.now()))
    db.session.add(HouseholdQuery(account_ref=acc.ref, agency_id=agency.id, purpose="complaint", note=None,
                                  household_state="0" * 64, results=0, created_dt=clock_mod.now()))
    db.session.commit()
    return ids


def run(factory, day: date, batch: int = 1) -> services.Applied:
    return services.apply(factory.ring, today=day, now=clock_mod.now(), periods=P, batch=batch)


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def erased() -> set[int]:
    return set(db.session.execute(select(Worker.id).where(Worker.erased_dt.is_not(None))).scalars())


@pytest.mark.parametrize("offset, files_gone", [(-1, False), (0, True), (1, True)])
def test_staff_files_go_on_their_thirtieth_day(app, factory, world, clock, offset, files_gone):
    day = START + timedelta(days=30 + offset)
    clock.freeze(day)
    applied = run(factory, day)
    f = db.session.execute(select(ImportFile)).scalar_one()
    assert (applied.staff_files, f.deleted_dt is not None, f.content_enc == b"") == (int(files_gone),) * 2 + (
        files_gone,)
    assert count(AccessRecord) == count(HouseholdQuery) == 1 and erased() == set()


@pytest.mark.parametrize("offset, gone", [(-1, False), (0, True), (1, True)])
def test_access_and_query_records_go_after_three_years(app, factory, world, clock, offset, gone):
    day = rules.kept_until(START, years=3) + timedelta(days=1 + offset)
    clock.freeze(day)
    applied = run(factory, day)
    assert (applied.access_records, applied.household_queries) == (int(gone), int(gone))
    assert count(AccessRecord) == count(HouseholdQuery) == int(not gone)


@pytest.mark.parametrize("offset, due", [(-1, False), (0, True), (1, True)])
def test_workers_without_employment_for_five_years_are_erased(app, factory, world, clock, offset, due):
    day = clock_mod.add_years(START, 5) + timedelta(days=offset)
    clock.freeze(day)
    before = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
    applied = run(factory, day, batch=1)
    # Batches of one: each due worker in its own commit; the employed one never, the sanctioned one passed by.
    assert erased() == (set(world["ended"]) if due else set())
    assert applied.erased == (2 if due else 0)
    assert applied.passed_by == ({"sanction_in_effect": 1} if due else {})
    entries = db.session.execute(select(LogEntry.action, LogEntry.body).where(LogEntry.seq >= before)).all()
    assert [a for a, _b in entries] == ["worker:erase"] * applied.erased
    assert all(json.loads(b)["actor"] == "system" for _a, b in entries)
    db.session.expire_all()
    assert verify_local(factory.ring, ORIGIN).ok
    # A second run the same day finds nothing more to do.
    assert run(factory, day).erased == 0


def test_the_job_is_scheduled_daily_and_runs_from_config(app, factory, world, clock, monkeypatch):
    from jobs.housekeeping import apply_retention
    from jobs.schedules import SCHEDULES

    (schedule,) = [s for s in SCHEDULES if s.name == "retention.apply"]
    assert (schedule.seconds, schedule.long, schedule.resolve()) == (86400, True, apply_retention)
    monkeypatch.setitem(app.config, "RETENTION_WORKER_YEARS", 1)
    clock.freeze(clock_mod.add_years(START, 1))
    apply_retention(None)
    assert erased() == set(world["ended"])
    monkeypatch.setitem(app.config, "RETENTION_ACCESS_RECORD_YEARS", 0)
    apply_retention(None)  # refused: a period below 1 applies nothing
    assert count(AccessRecord) == 1
