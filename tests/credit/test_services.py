"""Keeping scores (credit/services.py): `refresh` stores what the scoring gives, `rebuild` fills every row in
committed batches (and `flask credit rebuild` runs it), `refresh_due` moves a score the day a component's window
has ended, run by the hourly schedule."""
from __future__ import annotations

import os
from datetime import date, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from registry.clock import add_months
from registry.credit import rules as credit_rules
from registry.credit import scoring, services
from registry.credit.score_models import CreditScore
from registry.extensions import db
from tests.support.creditutil import green_records, hire, kept

TODAY = date(2026, 6, 1)


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(TODAY)
    company, admin = factory.company()
    worker = hire(factory, company, admin.account, seed=1, records=green_records(TODAY), today=TODAY)
    return company, admin.account, worker


def forget_all():
    db.session.execute(delete(CreditScore))
    db.session.commit()


def test_refresh_stores_the_score_with_its_components_and_never_commits(world):
    company, _admin, worker = world
    forget_all()
    score = services.refresh("worker", worker.id, today=TODAY)
    db.session.rollback()
    assert kept("worker", worker.id) is None  # nothing committed by refresh itself
    score = services.refresh("worker", worker.id, today=TODAY)
    db.session.commit()
    row = kept("worker", worker.id)
    assert (row.points, row.grade, row.rules_version) == (score.points, None, credit_rules.CURRENT_VERSION)
    assert row.stands_until == score.stands_until == TODAY + timedelta(days=100)  # the health check's last day
    # The worker's qualification verdict, kept beside: current, until that same last day.
    assert (row.qualified, row.qualified_until) == (True, TODAY + timedelta(days=100))
    assert row.components == services.components_json(score)
    assert sum(c["points"] for c in row.components) == row.points == 80
    health = next(c for c in row.components if c["kind"] == "health_passed")
    assert health == {"kind": "health_passed", "ref": f"health:{TODAY - timedelta(days=20)}", "points": 20,
                      "until": (TODAY + timedelta(days=100)).isoformat()}
    # In words, from the row's rules version.
    words = next(c for c in services.explained("worker", row.rules_version, row.components)
                 if c["kind"] == "health_passed")
    assert words == {"kind": "health_passed", "ref": f"health:{TODAY - timedelta(days=20)}", "group": "base",
                     "points": 20, "count": 1, "zh": "体检合格且在有效期内", "en": "Health check passed and valid",
                     "counts_until": (TODAY + timedelta(days=100)).isoformat()}
    # A second refresh replaces the row (one per subject).
    services.refresh("worker", worker.id, today=TODAY + timedelta(days=101))
    db.session.commit()
    assert kept("worker", worker.id).points == 60
    assert db.session.execute(select(func.count()).select_from(CreditScore)
                              .where(CreditScore.subject_kind == "worker")).scalar_one() == 1


def test_a_companys_row_carries_its_grade(world):
    company, _admin, _worker = world
    score = services.refresh("company", company.id, today=TODAY)
    db.session.commit()
    # Verified 30 + 员工制 10 + all staff qualified 30, no pledge signed, no bad record: 70 is A.
    assert (score.points, score.grade) == (70, "A")
    assert (kept("company", company.id).points, kept("company", company.id).grade) == (70, "A")


def test_refresh_refuses_a_subject_kind_that_has_no_score(world):
    with pytest.raises(ValueError):
        services.refresh("agency", 1, today=TODAY)


def test_rebuild_computes_every_company_and_worker_in_batches(factory, world):
    company, admin, _worker = world
    for seed in (2, 3, 4):
        hire(factory, company, admin, seed=seed, today=TODAY)
    others = [factory.company(verified=False)[0] for _ in range(2)]
    forget_all()
    seen = []
    done = services.rebuild(TODAY, batch=2, progress=lambda kind, n, total: seen.append((kind, n, total)))
    assert (done.companies, done.workers) == (3, 4)
    # Workers first: a company's staff share reads its staff's kept verdicts.
    assert seen == [("worker", 2, 4), ("worker", 4, 4), ("company", 2, 3), ("company", 3, 3)]
    db.session.rollback()
    rows = {(r.subject_kind, r.subject_id): r for r in db.session.execute(select(CreditScore)).scalars()}
    assert len(rows) == 7
    assert rows[("company", others[0].id)].points == 0 and rows[("company", others[0].id)].grade == "B"
    assert rows[("company", company.id)].points == services.compute("company", [company.id], today=TODAY)[
        company.id].points


def test_a_rebuild_in_two_processes_computes_every_batch_and_every_worker_before_any_company(factory, world):
    company, admin, _worker = world
    hired = [hire(factory, company, admin, seed=seed, today=TODAY) for seed in (2, 3, 4, 5)]
    factory.company(verified=False)
    expected = {("worker", w.id): services.compute("worker", [w.id], today=TODAY)[w.id].points for w in hired}
    forget_all()
    seen = []
    done = services.rebuild(TODAY, batch=2, processes=2, progress=lambda kind, n, total: seen.append((kind, n, total)))
    assert (done.companies, done.workers) == (2, 5)
    # Batches end in any order within a kind, but every worker's before the first company's (the staff share).
    assert [kind for kind, _n, _total in seen] == ["worker"] * 3 + ["company"]
    assert [n for _kind, n, _total in seen][2:] == [5, 2] and seen[-1] == ("company", 2, 2)
    db.session.rollback()
    rows = {(r.subject_kind, r.subject_id): r for r in db.session.execute(select(CreditScore)).scalars()}
    assert len(rows) == 7
    assert {key: rows[key].points for key in expected} == expected
    assert rows[("company", company.id)].points == services.compute("company", [company.id], today=TODAY)[
        company.id].points


def test_a_failed_batch_in_a_forked_rebuild_stops_it_with_its_error_and_keeps_the_batches_committed(
        world, monkeypatch):
    company, _admin, worker = world
    forget_all()
    refresh_many = services.refresh_many

    def companies_fail(subjects, **kw):
        subjects = list(subjects)
        if subjects[0][0] == "company":
            raise ValueError("a company batch failed")
        return refresh_many(subjects, **kw)

    monkeypatch.setattr(services, "refresh_many", companies_fail)  # the forked processes inherit it
    with pytest.raises(ValueError, match="a company batch failed"):
        services.rebuild(TODAY, processes=2)
    assert kept("worker", worker.id).points == 80 and kept("company", company.id) is None


@pytest.mark.postgres
def test_rebuild_batches_share_the_head_lock_and_changes_still_wait_for_it(app, world):
    """On PostgreSQL a rebuild's batch takes the log head's lock shared: another batch takes it beside it, and a
    change (which takes it exclusively) waits for both."""
    from sqlalchemy import text

    from registry.log.services import lock_head

    holders = []
    for _ in range(2):
        ctx = app.app_context()
        ctx.push()
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        lock_head(shared=True)  # the second would time out if the first excluded it
        holders.append(ctx)
    ctx = app.app_context()
    ctx.push()
    try:
        db.session.execute(text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            lock_head()
        db.session.rollback()
    finally:
        ctx.pop()
        for held in reversed(holders):
            db.session.rollback()
            held.pop()


def test_the_rebuild_command(runner, world, clock):
    company, _admin, worker = world
    forget_all()
    result = runner.invoke(args=["credit", "rebuild", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "1 companies and 1 workers" in result.output
    assert kept("company", company.id).points == 70 and kept("worker", worker.id).points == 80
    forget_all()
    result = runner.invoke(args=["credit", "rebuild", "--batch", "1", "--processes", "2"])
    assert result.exit_code == 0, result.output
    assert kept("company", company.id).points == 70 and kept("worker", worker.id).points == 80
    assert runner.invoke(args=["credit", "rebuild", "--batch", "0"]).exit_code != 0
    assert runner.invoke(args=["credit", "rebuild", "--processes", "0"]).exit_code != 0


def test_a_rebuild_computes_in_two_processes_on_postgresql_and_one_on_sqlite_unless_configured(app, monkeypatch):
    expected = min(2, os.cpu_count() or 1) if db.engine.dialect.name == "postgresql" else 1
    assert services.rebuild_processes() == expected
    monkeypatch.setitem(app.config, "CREDIT_REBUILD_PROCESSES", 3)
    assert services.rebuild_processes() == 3


def test_refresh_due_moves_a_score_the_day_after_a_component_stops_counting(app, factory, clock, world):
    """The health check counts through its valid-until day: the hourly job computes the worker's score again the
    day after (and the company's staff share with it), and leaves every score that still stands alone."""
    from jobs.housekeeping import refresh_credit_scores

    company, _admin, worker = world
    services.rebuild(TODAY)
    last = TODAY + timedelta(days=100)
    assert kept("worker", worker.id).stands_until == last
    assert kept("company", company.id).stands_until == last
    clock.freeze(last)
    assert services.refresh_due(last) == 0  # still stands on its last day
    db.session.commit()
    assert kept("worker", worker.id).points == 80
    clock.freeze(last + timedelta(days=1))
    refresh_credit_scores(None)
    db.session.commit()
    row = kept("worker", worker.id)
    assert row.points == 60 and "health_passed" not in {c["kind"] for c in row.components}
    company_row = kept("company", company.id)
    share = next(c for c in company_row.components if c["kind"] == "staff_qualified")
    assert share["ref"] == "0/1" and share["points"] == 0 and company_row.points == 40
    # The training counts for three years: that is when the worker's score stands until now.
    assert row.stands_until == date(2029, 5, 7)
    assert services.refresh_due(last + timedelta(days=1)) == 0


def test_the_hourly_schedule_runs_refresh_due():
    from jobs.schedules import SCHEDULES

    schedule = next(s for s in SCHEDULES if s.name == "credit.refresh_due")
    assert schedule.seconds == 3600 and schedule.resolve().__name__ == "refresh_credit_scores"


def test_a_kept_row_is_small_and_explained_in_its_rules_versions_words(app):
    """The row keeps each line's kind, ref and points, and its count, last day and variant only when they say
    something; `explained` gives back every component exactly as the scoring made it, words and group included."""
    rules = credit_rules.current()
    facts = [scoring.Fact("review", f"{TODAY}:5", TODAY, value=5, count=23), scoring.Fact("review", f"{TODAY}:3", TODAY,
                                                                                          value=3),
             scoring.Fact("sanction", "S1", TODAY, severity="general", until=TODAY + timedelta(days=90)),
             scoring.Fact("verified", "U", TODAY), scoring.Fact("pledge_kept", "pledge:v1", TODAY),
             scoring.Fact("staff_qualified", "2/3", TODAY, value=Fraction(2, 3))]
    for _ in range(5):
        facts.append(scoring.Fact("commendation", f"C{_}", TODAY, until=TODAY + timedelta(days=700)))
    score = scoring.score("company", facts, rules, TODAY)
    out = services.components_json(score)
    assert [c["kind"] for c in out][-4:] == ["review", "cap", "cap", "sanction"]
    assert out[-3] == {"kind": "cap", "ref": "review", "points": -3}
    assert out[-4] == {"kind": "review", "ref": f"{TODAY}:5", "points": 23, "count": 23,
                       "until": add_months(TODAY, 12).isoformat(), "variant": "5"}
    assert services.explained("company", rules.version, out) == [
        {"kind": c.kind, "ref": c.ref, "group": c.group, "points": c.points, "count": c.count, "zh": c.zh,
         "en": c.en, "counts_until": c.counts_until.isoformat() if c.counts_until else None}
        for c in score.components]
    assert services.explained("company", rules.version, out)[-2]["zh"] == "良好记录加分最高 40 分，超出部分不计"


def test_a_row_kept_before_rows_were_small_is_explained_from_its_own_words(app):
    """Rows written before migration 0033 hold their group and words: they are read as they are until the next
    change, due day or rebuild writes them anew."""
    legacy = [{"kind": "review", "ref": "A7CB-8931-2A4C", "group": "positive", "points": 1, "zh": "五星好评",
               "en": "Five-star review", "counts_until": "2027-06-01"},
              {"kind": "cap", "ref": "review", "group": "positive", "points": -1,
               "zh": "好评加分最高 20 分，超出部分不计",
               "en": "Good reviews add up to 20 points; the rest does not count", "counts_until": None}]
    assert services.explained("company", "v1", legacy) == [{**line, "count": 1} for line in legacy]
