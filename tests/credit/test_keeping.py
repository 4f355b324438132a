"""Scores follow every change that feeds them, in the change's own commit (credit/keeping.py): a review left, a
complaint substantiated, a sanction published and repaired, a worker's record added, an employment ended, a
company verified, a staff import's bulk path. A rolled-back change moves nothing, a read computes nothing, and a
rebuild after a random history equals the scores kept change by change."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.clock import local_date
from registry.clock import today as shanghai_today
from registry.companies import services as companies
from registry.credit import services
from registry.credit.score_models import CreditScore
from registry.extensions import db
from registry.sanctions import repair
from registry.sanctions import services as sanctions
from registry.workers import services as workers
from tests.support import complaintutil
from tests.support.creditutil import add, green_records, hire, kept, review, serve
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks
from tests.support.sanctionutil import record as record_sanction
from tests.support.statements import count_statements

TODAY = date(2026, 6, 1)


@pytest.fixture
def world(app, factory, clock):
    from tests.support.snapshot import world_once

    def make():
        clock.freeze(TODAY)
        company, admin = factory.company()
        worker = hire(factory, company, admin.account, seed=1, records=green_records(TODAY), today=TODAY)
        return {"company": company, "admin": admin.account, "worker": worker,
                "regulator": factory.regulator_for("housekeeping")}

    return world_once("credit_keeping", make, factory=factory, clock=clock)


def current(kind: str, subject_id: int) -> CreditScore:
    """The kept row, asserted equal to the score computed afresh now: the change that just committed kept it."""
    row = kept(kind, subject_id)
    assert row is not None, f"no score kept for {kind} {subject_id}"
    fresh = services.rows_of(kind, [subject_id], today=shanghai_today())[subject_id]
    assert {name: getattr(row, name) for name in fresh} == fresh
    return row


def kinds(row: CreditScore) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for c in row.components:
        out.setdefault(c["kind"], []).append(c)
    return out


def test_every_registration_and_record_keeps_the_scores(world):
    """The world was made through the services: its company and worker already have current scores."""
    assert current("worker", world["worker"].id).points == 80
    assert current("company", world["company"].id).points == 70


def test_a_review_left_through_the_api_moves_the_worker_and_the_company(client, factory, world):
    company, admin, worker = world["company"], world["admin"], world["worker"]
    _service, reference, code = serve(factory, company, admin, worker, phone="13900000001")
    resp = client.post("/api/v1/reviews", json={"reference": reference, "code": code, "rating": 5, "tags": []})
    assert resp.status_code == 201, resp.get_json()
    assert current("worker", worker.id).points == 82  # 80 + a five-star review's 2
    assert [c["points"] for c in kinds(current("company", company.id))["review"]] == [1]


def test_a_complaint_substantiated_lowers_the_company(factory, world):
    company = world["company"]
    _s, reference, code = serve(factory, company, world["admin"], world["worker"], phone="13900000002")
    complaint = complaintutil.file_code(factory, reference=reference, code=code, about="company").complaint
    complaintutil.walk(factory, world["regulator"], complaint, "investigating")
    assert current("company", company.id).points == 70  # a pending complaint is no record
    complaintutil.step(factory, world["regulator"], complaint, "substantiate")
    row = current("company", company.id)
    assert row.points == 65 and [c["points"] for c in kinds(row)["complaint"]] == [-5]


def test_a_sanction_published_then_repaired(factory, world):
    company, regulator = world["company"], world["regulator"]
    s = record_sanction(factory, regulator, company=company, kind="warning", severity="minor", months=1,
                        today=TODAY, decision_no="商务警〔2026〕1号")
    assert current("company", company.id).points == 70  # decided, not published: not public, no record
    sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=s, today=TODAY)
    db.session.commit()
    row = current("company", company.id)
    assert row.points == 65 and row.grade == "B"  # 65 with a bad record counting
    repair.apply_for_repair(factory.ring, sanction=s, applicant_kind="company", applicant=world["admin"].ref,
                            today=TODAY, statement="已完成整改。", pledge=True)
    db.session.commit()
    assert current("company", company.id).points == 65  # applied for, not yet repaired
    repair.decide_repair(factory.ring, regulator=regulator, sanction=s, repair=s.repairs[-1], today=TODAY,
                         approve=True, reason=None)
    db.session.commit()
    row = current("company", company.id)
    assert row.points == 70 and "sanction" not in kinds(row)


def test_a_workers_health_record_moves_the_worker_and_the_staff_share(factory, world):
    company, admin = world["company"], world["admin"]
    newcomer = hire(factory, company, admin, seed=2, today=TODAY,
                    records={k: v for k, v in green_records(TODAY).items() if k != "health"})
    assert current("worker", newcomer.id).points == 60
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "1/2"
    add(factory, company, admin, newcomer, "health", today=TODAY, result="passed",
        checked_on=TODAY - timedelta(days=1), valid_until=TODAY + timedelta(days=364))
    assert current("worker", newcomer.id).points == 80
    share = kinds(current("company", company.id))["staff_qualified"][0]
    assert (share["ref"], share["points"]) == ("2/2", 30)


def test_an_employment_ended_takes_the_worker_off_the_staff_share(factory, world):
    company, admin, worker = world["company"], world["admin"], world["worker"]
    hire(factory, company, admin, seed=2, today=TODAY)
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "1/2"
    workers.end_employment(factory.ring, account=admin, company=company, worker=worker, end_date=TODAY, today=TODAY)
    db.session.commit()
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "0/1"
    assert current("worker", worker.id).points == 80  # their own records still count


def test_a_company_verified_and_its_pledge_signed(factory, world):
    company, admin = factory.company(verified=False)
    assert current("company", company.id).points == 0
    companies.decide(factory.ring, regulator=factory.regulator_for("housekeeping"), company=company, verify=True,
                     note=None)
    db.session.commit()
    assert current("company", company.id).points == 40  # verified 30 and 员工制 10
    companies.sign_pledge(factory.ring, account=admin.account, company=company,
                          version=companies.pledge.CURRENT_VERSION)
    db.session.commit()
    row = current("company", company.id)
    assert row.points == 50 and row.grade == "B"


def test_a_broken_pledge_is_a_bad_record_from_the_day_found_through_its_years_last_day(factory, clock, world):
    """Recording the breach moves the kept score in its own commit: `pledge_kept` (10) is lost and `pledge_broken`
    (−20) counts from `found_on` through the day a year later (`clock.add_months`), and not the day after; signed
    again, `pledge_kept` counts again while the breach still counts its year."""
    from registry.clock import add_months

    company, admin = world["company"], world["admin"]
    companies.sign_pledge(factory.ring, account=admin, company=company, version=companies.pledge.CURRENT_VERSION)
    db.session.commit()
    before = current("company", company.id)
    assert "pledge_kept" in kinds(before) and before.points == 80
    # Recorded 20 days after signing, found broken 5 days after.
    found_on, recorded = TODAY + timedelta(days=5), TODAY + timedelta(days=20)
    clock.freeze(recorded)
    companies.record_pledge_breach(factory.ring, regulator=world["regulator"], company=company, found_on=found_on,
                                   basis="成商务信〔2026〕5号", today=recorded)
    db.session.commit()
    row = current("company", company.id)
    last = add_months(found_on, 12)
    (broken,) = kinds(row)["pledge_broken"]
    assert (broken["ref"], broken["points"], broken["until"]) == ("pledge:v1", -20, last.isoformat())
    assert "pledge_kept" not in kinds(row) and row.points == 80 - 10 - 20
    # The score is due again no later than the breach's last day (a staff member's validity may end sooner).
    assert row.stands_until <= last

    def pledge_points(day) -> dict:
        """The company's pledge lines computed on `day` (nothing stored)."""
        computed = services.rows_of("company", [company.id], today=day)[company.id]
        return {c["kind"]: c["points"] for c in computed["components"] if c["kind"].startswith("pledge")}

    # Exactly from the day found: the day before, the pledge is no record yet (and no longer kept either).
    assert pledge_points(found_on - timedelta(days=1)) == {}
    assert pledge_points(found_on) == pledge_points(last) == {"pledge_broken": -20}
    assert pledge_points(last + timedelta(days=1)) == {}
    # The hourly job keeps it through its last day and takes it out the day after.
    clock.freeze(last)
    services.refresh_due(shanghai_today())
    db.session.commit()
    assert "pledge_broken" in kinds(current("company", company.id))
    clock.freeze(last + timedelta(days=1))
    services.refresh_due(shanghai_today())
    db.session.commit()
    assert {"pledge_kept", "pledge_broken"}.isdisjoint(kinds(current("company", company.id)))


def test_signing_again_counts_the_pledge_kept_while_the_breach_counts_its_year(factory, clock, world):
    company, admin = world["company"], world["admin"]
    companies.sign_pledge(factory.ring, account=admin, company=company, version=companies.pledge.CURRENT_VERSION)
    db.session.commit()
    companies.record_pledge_breach(factory.ring, regulator=world["regulator"], company=company, found_on=TODAY,
                                   basis="成商务信〔2026〕5号", today=TODAY)
    db.session.commit()
    later = TODAY + timedelta(days=30)
    clock.freeze(later)
    services.refresh_due(later)
    db.session.commit()
    companies.sign_pledge(factory.ring, account=admin, company=company, version=companies.pledge.CURRENT_VERSION)
    db.session.commit()
    row = current("company", company.id)
    points = {c["kind"]: c["points"] for c in row.components if c["kind"].startswith("pledge")}
    assert points == {"pledge_kept": 10, "pledge_broken": -20}


def test_a_commendation_raises_the_company_while_in_force_and_its_revocation_takes_it_back(factory, clock, world):
    from registry.credit import commendations

    company = world["company"]
    before = current("company", company.id).points
    changed = commendations.record_commendation(
        factory.ring, regulator=world["regulator"], company=company, title="年度诚信示范企业",
        basis="成商务〔2026〕12号", commended_on=TODAY, valid_until=TODAY + timedelta(days=30), today=TODAY)
    db.session.commit()
    row = current("company", company.id)
    (given,) = kinds(row)["commendation"]
    assert row.points == before + 10 and given["until"] == (TODAY + timedelta(days=30)).isoformat()
    # The day after its last day, the hourly job takes it out.
    clock.freeze(TODAY + timedelta(days=31))
    services.refresh_due(shanghai_today())
    db.session.commit()
    assert "commendation" not in kinds(current("company", company.id))
    # Revoked (while in force): out at once, in the revocation's commit.
    later = TODAY + timedelta(days=31)
    again = commendations.record_commendation(
        factory.ring, regulator=world["regulator"], company=company, title="年度诚信示范企业", basis="第二次",
        commended_on=later, today=later)
    db.session.commit()
    assert current("company", company.id).points == before + 10
    commendations.revoke_commendation(factory.ring, regulator=world["regulator"], commendation=again.commendation,
                                      reason="登记有误")
    db.session.commit()
    assert current("company", company.id).points == before
    assert changed.commendation.ref != again.commendation.ref


def test_a_staff_import_keeps_the_new_workers_and_the_companys_share(client, app, factory, world):
    """The import stores rows and their entries with Core statements: the scores follow in each batch's commit."""
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    company = world["company"]
    token = factory.token(world["admin"])
    rows = person_rows(3, today=TODAY, seed=11)
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(csv_bytes(rows)), filename="staff.csv")})
    resp = client.post(f"/api/v1/companies/{company.uscc}/imports", data=body,
                       headers={"Authorization": f"Bearer {token}"},
                       content_type=f"multipart/form-data; boundary={boundary}")
    assert resp.status_code == 202, resp.get_json()
    assert run_queued_tasks(app) == 1
    # Identity and a passed health check, no insurance or background: 40 points, and not qualified.
    imported = db.session.execute(select(CreditScore).where(CreditScore.subject_kind == "worker",
                                                            CreditScore.subject_id != world["worker"].id)).scalars()
    assert sorted(r.points for r in imported) == [40, 40, 40]
    share = kinds(current("company", company.id))["staff_qualified"][0]
    assert (share["ref"], share["points"]) == ("1/4", 7)


def _import_rows(factory, company, n: int, seed: int) -> list:
    """`n` new people validated for `company`'s import, as its batches store them."""
    from registry.imports import services as imports

    validation = imports.validate_file(factory.ring, csv_bytes(person_rows(n, today=TODAY, seed=seed)), "s.csv",
                                       company=company, today=TODAY)
    assert validation.errors == [] and len(validation.valid) == n
    return validation.valid


def _store_batch(factory, company, rows) -> None:
    from registry.imports import services as imports

    stored = imports.store_batch(factory.ring, company=db.session.merge(company), actor="x" * 32, rows=rows,
                                 today=TODAY)
    assert len(stored.seqs) == len(rows)


def _set_kept_tally(company_id: int, ref: str, **row) -> None:
    """Write a kept company row's staff share line (and any other column) by hand, as no change would."""
    score = kept("company", company_id)
    lines = [c for c in score.components if c["kind"] != "staff_qualified"]
    score.components = [*lines, {"kind": "staff_qualified", "ref": ref, "points": 0}]
    for name, value in row.items():
        setattr(score, name, value)
    db.session.commit()


def test_an_import_batch_counts_its_new_staff_onto_the_companys_kept_share(factory, world):
    """A batch adds brand-new workers and changes no one else's place: the company's share is its kept tally plus
    them, not a count of the whole staff (a 20,000-strong staff took 30–50 ms a batch under the log head's lock)."""
    company = world["company"]
    rows = _import_rows(factory, company, 3, seed=31)
    _store_batch(factory, company, rows[:2])
    db.session.commit()
    # The imported have a health check and their identity, no insurance: not qualified.
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "1/3"
    # A tally set by hand is what the next batch counts onto: it counts its own new worker and no one else.
    _set_kept_tally(company.id, "7/9")
    _store_batch(factory, company, rows[2:])
    db.session.commit()
    share = kinds(kept("company", company.id))["staff_qualified"][0]
    assert (share["ref"], share["points"]) == ("7/10", 21)


def test_an_import_into_a_company_without_staff_counts_from_nobody(factory, world):
    company, _admin = factory.company()
    assert "staff_qualified" not in kinds(current("company", company.id))
    rows = _import_rows(factory, company, 3, seed=32)
    for batch in (rows[:1], rows[1:]):
        _store_batch(factory, company, batch)
        db.session.commit()
        current("company", company.id)
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "0/3"


@pytest.mark.parametrize("stale", ["computed yesterday", "other rules", "stands no longer", "old form"])
def test_a_kept_share_that_is_not_current_is_counted_whole(factory, world, stale):
    """Only a row computed today by the rules in force and still standing holds a tally to count onto."""
    from datetime import datetime, time

    from registry.clock import SHANGHAI

    company = world["company"]
    row = {"computed yesterday": {"computed_dt": datetime.combine(TODAY - timedelta(days=1), time(12), SHANGHAI)},
           "other rules": {"rules_version": "v0"},
           "stands no longer": {"stands_until": TODAY - timedelta(days=1)}}.get(stale, {})
    _set_kept_tally(company.id, "7/9", **row)
    if stale == "old form":
        score = kept("company", company.id)
        score.components = [dict(c, zh="旧", en="old", group="base") if c["kind"] == "staff_qualified" else c
                            for c in score.components]
        db.session.commit()
    _store_batch(factory, company, _import_rows(factory, company, 2, seed=33))
    db.session.commit()
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "1/3"


def test_an_import_batch_with_another_change_to_the_staff_counts_them_whole(factory, world):
    """A transaction that both imports and moves someone already on the staff (here: their employment ended)
    counts the staff whole: the kept tally knows nothing of the other change."""
    company, admin, worker = world["company"], world["admin"], world["worker"]
    _set_kept_tally(company.id, "7/9")
    _store_batch(factory, company, _import_rows(factory, company, 2, seed=34))
    workers.end_employment(factory.ring, account=admin, company=db.session.merge(company),
                           worker=db.session.merge(worker), end_date=TODAY, today=TODAY)
    db.session.commit()
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "0/2"


def _register(factory, company, admin, seed: int, *, person=None):
    from registry.workers import idnumber

    rng = random.Random(seed)
    person = person or workers.Person("李秀英", idnumber.generate(rng, birth=date(1985, 3, 9)), f"137{seed:08d}")
    reg = workers.register_worker(
        factory.ring, account=admin, company=db.session.merge(company), today=TODAY, person=person,
        engagement=workers.Engagement("cleaner", "labour_contract", TODAY - timedelta(days=3), True))
    db.session.commit()
    return reg, person


def test_a_registration_counts_its_new_worker_onto_the_kept_share_and_an_attachment_moves_none(factory, world):
    """A single registration of someone new is the same case as an import's batch; an attachment awaits the
    worker's confirmation and moves no share of the company it is for — but the worker's own employer's share is
    counted whole."""
    company, admin = world["company"], world["admin"]
    _set_kept_tally(company.id, "7/9")
    reg, person = _register(factory, company, admin, seed=41)
    assert reg.created
    assert kinds(kept("company", company.id))["staff_qualified"][0]["ref"] == "7/10"
    other, other_admin = factory.company()
    _set_kept_tally(other.id, "3/3")  # it has no staff: counted whole, it would have no share line
    _register(factory, other, other_admin.account, seed=42, person=person)
    assert kinds(kept("company", other.id))["staff_qualified"][0]["ref"] == "3/3"
    # The worker's employer was counted whole: the tally set by hand is gone.
    assert kinds(current("company", company.id))["staff_qualified"][0]["ref"] == "1/2"


def test_a_rolled_back_change_moves_no_score(factory, world):
    company, regulator = world["company"], world["regulator"]
    s = record_sanction(factory, regulator, company=company, kind="warning", severity="minor", months=1,
                        today=TODAY, decision_no="商务警〔2026〕2号")
    sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=s, today=TODAY)
    db.session.flush()
    db.session.rollback()
    assert kept("company", company.id).points == 70


@pytest.mark.parametrize("copy_min", [services.COPY_MIN, 1])
def test_a_score_stored_twice_in_one_transaction_is_stored_once(world, copy_min, monkeypatch):
    """However it is stored (on PostgreSQL through COPY when `copy_min` is 1), a subject computed twice before a
    commit is one row with the second computation's values."""
    monkeypatch.setattr(services, "COPY_MIN", copy_min)
    worker = world["worker"]
    db.session.rollback()
    services.refresh("worker", worker.id, today=TODAY)
    services.refresh_many([("worker", worker.id), ("company", world["company"].id)], today=TODAY + timedelta(days=1))
    db.session.commit()
    row = kept("worker", worker.id)
    expected = services.rows_of("worker", [worker.id], today=TODAY + timedelta(days=1))[worker.id]
    assert {k: getattr(row, k) for k in expected} == expected


def test_a_transaction_that_logged_nothing_computes_nothing(world):
    db.session.rollback()
    db.session.execute(select(CreditScore)).all()
    assert count_statements(db.session.commit) == 0


def test_the_scores_a_change_feeds_are_looked_up_only_where_its_aggregate_may_be(factory, world):
    """The log names each aggregate's class where the change named it: an agency's change reads nothing, a
    company's the companies alone; a ref of no known class (an import's bulk path) is looked for everywhere and
    feeds the same scores."""
    from registry.accounts.models import Agency
    from registry.companies.models import Company
    from registry.credit.keeping import subjects_of

    db.session.rollback()
    company, worker = world["company"], world["worker"]
    agency_ref = db.session.get(Agency, world["regulator"].agency_id).log_ref
    company_ref, company_id, worker_ref, worker_id = company.log_ref, company.id, worker.log_ref, worker.id
    found: list = []
    assert count_statements(lambda: found.append(subjects_of({agency_ref: Agency}))) == 0
    assert found.pop() == set()
    assert count_statements(lambda: found.append(subjects_of({company_ref: Company}))) == 1
    assert found.pop() == {("company", company_id)}
    assert subjects_of([company_ref]) == {("company", company_id)}
    assert subjects_of([agency_ref, worker_ref]) == {("worker", worker_id), ("company", company_id)}


def test_the_listener_refuses_another_session_rather_than_leave_scores_behind(factory, world):
    from sqlalchemy.orm import Session

    from registry.log.services import _LOGGED

    with Session(db.engine) as other:
        other.info[_LOGGED] = {world["company"].log_ref: None}
        with pytest.raises(RuntimeError):
            other.commit()


# --- a rebuild equals the scores kept change by change ----------------------------------------------------------

def _history(factory, clock, rng: random.Random, world, steps: int) -> None:
    """A seeded random sequence of operations through the services, over weeks: hires, records, reviews,
    complaints, sanctions (published, repaired), employments ended, pledges signed and found broken, and the days
    passing (with the hourly job)."""
    from jobs.housekeeping import refresh_credit_scores

    day = TODAY
    regulator = world["regulator"]
    firms = [(world["company"], world["admin"])]
    firms.append((lambda c: (c[0], c[1].account))(factory.company()))
    staff = [(world["company"], world["admin"], world["worker"])]
    phone = iter(range(13900000100, 13900009999))
    public = []
    for n in range(steps):
        op = rng.choice(["hire", "record", "review", "review", "complaint", "sanction", "repair", "end", "pledge",
                         "day"])
        if op == "hire":
            company, admin = rng.choice(firms)
            recs = {k: v for k, v in green_records(day).items() if rng.random() < 0.7}
            staff.append((company, admin, hire(factory, company, admin, seed=100 + n, records=recs, today=day)))
        elif op == "record" and staff:
            company, admin, w = rng.choice(staff)
            until = day + timedelta(days=rng.randrange(1, 60))
            add(factory, company, admin, w, "health", today=day, result=rng.choice(["passed", "failed"]),
                checked_on=day - timedelta(days=rng.randrange(0, 5)), valid_until=until)
        elif op == "review" and staff:
            company, admin, w = rng.choice(staff)
            review(factory, company, admin, w, rating=rng.randint(1, 5), phone=str(next(phone)))
        elif op == "complaint" and staff:
            company, admin, w = rng.choice(staff)
            _s, reference, code = serve(factory, company, admin, w, phone=str(next(phone)))
            c = complaintutil.file_code(factory, reference=reference, code=code,
                                        about=rng.choice(["worker", "company"])).complaint
            complaintutil.walk(factory, regulator, c, rng.choice(["substantiated", "unfounded"]))
        elif op == "sanction" and staff:
            company, admin, w = rng.choice(staff)
            target = {"worker": w} if rng.random() < 0.5 else {"company": company}
            s = record_sanction(factory, regulator, kind="warning", severity="minor", months=rng.randint(1, 3),
                                today=day, decision_no=f"商务警〔2026〕{n}号", **target)
            sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=s, today=day)
            db.session.commit()
            public.append((s, admin if "company" in target else None))
        elif op == "repair" and public:
            s, admin = public.pop(rng.randrange(len(public)))
            if admin is not None and s.state == "published":
                repair.apply_for_repair(factory.ring, sanction=s, applicant_kind="company", applicant=admin.ref,
                                        today=day, statement="已完成整改。", pledge=True)
                db.session.commit()
                repair.decide_repair(factory.ring, regulator=regulator, sanction=s, repair=s.repairs[-1],
                                     today=day, approve=True, reason=None)
                db.session.commit()
        elif op == "end" and len(staff) > 1:
            company, admin, w = staff.pop(rng.randrange(len(staff)))
            workers.end_employment(factory.ring, account=admin, company=company, worker=w, end_date=day, today=day)
            db.session.commit()
        elif op == "pledge":
            # A firm without a kept pledge signs one; one with a kept pledge is found to have broken it.
            company, admin = rng.choice(firms)
            pledge = company.current_pledge
            if pledge is None or pledge.state == "broken":
                companies.sign_pledge(factory.ring, account=admin, company=company,
                                      version=companies.pledge.CURRENT_VERSION)
            else:
                signed_on = local_date(pledge.accepted_dt)
                found_on = max(signed_on, day - timedelta(days=rng.randrange(0, 10)))
                companies.record_pledge_breach(factory.ring, regulator=regulator, company=company,
                                               found_on=found_on, basis=f"成商务信〔2026〕{n}号", today=day)
            db.session.commit()
        elif op == "day":
            day += timedelta(days=rng.randrange(1, 20))
            clock.freeze(day)
            refresh_credit_scores(None)
            db.session.commit()


# The third rebuild stores every batch through COPY on PostgreSQL (`services._copy_in`), however few its rows; the
# second and third compute batches of three in two forked processes side by side.
@pytest.mark.parametrize(("seed", "copy_min", "processes", "batch"),
                         [(1, services.COPY_MIN, 1, services.REBUILD_BATCH), (2, services.COPY_MIN, 2, 3),
                          (3, 1, 2, 3)])
def test_a_rebuild_equals_the_scores_kept_change_by_change(factory, clock, world, seed, copy_min, processes, batch,
                                                           monkeypatch):
    monkeypatch.setattr(services, "COPY_MIN", copy_min)
    _history(factory, clock, random.Random(seed), world, steps=40)
    from jobs.housekeeping import refresh_credit_scores

    refresh_credit_scores(None)  # the hourly job has run today
    db.session.commit()

    def snapshot():
        db.session.rollback()
        return {(r.subject_kind, r.subject_id): (r.points, r.grade, r.rules_version, r.components, r.stands_until,
                                                 r.qualified, r.qualified_until)
                for r in db.session.execute(select(CreditScore)).scalars()}

    kept_rows = snapshot()
    db.session.execute(CreditScore.__table__.delete())
    db.session.commit()
    services.rebuild(shanghai_today(), processes=processes, batch=batch)
    assert snapshot() == kept_rows
    assert len(kept_rows) >= 3


def test_the_log_refs_of_a_transaction_name_the_scores_they_feed(factory, world):
    """keeping.subjects_of: each aggregate kind's log_ref resolves to the subjects `feeds.subjects_fed` names."""
    from registry.credit import keeping

    company, admin, worker = world["company"], world["admin"], world["worker"]
    other, _ = factory.company()
    service, reference, code = serve(factory, company, admin, worker, phone="13900000003")
    complaint = complaintutil.file_code(factory, reference=reference, code=code, about="worker").complaint
    s = record_sanction(factory, world["regulator"], company=other, severity="general", months=3, today=TODAY)
    db.session.rollback()
    assert keeping.subjects_of([worker.log_ref]) == {("worker", worker.id), ("company", company.id)}
    assert keeping.subjects_of([service.log_ref]) == {("worker", worker.id), ("company", company.id)}
    assert keeping.subjects_of([complaint.log_ref]) == {("worker", worker.id)}
    assert keeping.subjects_of([s.log_ref, other.log_ref]) == {("company", other.id)}
    assert keeping.subjects_of([world["regulator"].agency.log_ref, "0" * 32]) == set()
