"""The facts a company's and a worker's score are made of, read from the database exactly as docs/rules.md
("Credit scores") defines them: only what counts (verified, pledge kept, 员工制, the staff share, reviews still
shown, substantiated complaints, published sanctions while public, a worker's passed checks), with public refs."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from types import SimpleNamespace

import pytest
from sqlalchemy import delete

from registry.clock import SHANGHAI, add_months
from registry.companies import services as companies
from registry.complaints.services import reference_of as complaint_reference
from registry.credit import inputs
from registry.credit.score_models import CreditScore
from registry.credit.scoring import Fact, Rendered
from registry.extensions import db
from registry.sanctions import services as sanctions
from tests.conftest import ON_POSTGRES
from tests.support import complaintutil
from tests.support.creditutil import add, green_records, hire, rendered_from_facts, review, serve
from tests.support.sanctionutil import record as record_sanction

TODAY = date(2026, 6, 1)


@pytest.fixture
def world(app, factory, clock):
    """A verified 员工制 company with a signed pledge, two staff (one with current qualifications), reviews, a
    substantiated complaint about the company and one about a worker, and sanctions in several states."""
    clock.freeze(TODAY)
    company, admin = factory.company()
    admin = admin.account
    companies.sign_pledge(factory.ring, account=admin, company=company, version=companies.pledge.CURRENT_VERSION)
    db.session.commit()
    good = hire(factory, company, admin, seed=1, records=green_records(TODAY), today=TODAY)
    half = hire(factory, company, admin, seed=2, today=TODAY,
                records={"identity": {"result": "verified", "checked_on": TODAY - timedelta(days=3)},
                         "training": {"course": "育婴", "hours": "8", "exam_passed": False,
                                      "trained_on": TODAY - timedelta(days=9), "issuer": "成都家政学院"}})
    five = review(factory, company, admin, good, rating=5, phone="13900000001")
    two = review(factory, company, admin, half, rating=2, phone="13900000002")
    regulator = factory.regulator_for("housekeeping")
    _s, reference, code = serve(factory, company, admin, good, phone="13900000003")
    about_company = complaintutil.file_code(factory, reference=reference, code=code, about="company").complaint
    complaintutil.walk(factory, regulator, about_company, "substantiated")
    _s, reference, code = serve(factory, company, admin, good, phone="13900000004")
    about_worker = complaintutil.file_code(factory, reference=reference, code=code, about="worker").complaint
    complaintutil.walk(factory, regulator, about_worker, "substantiated")
    _s, reference, code = serve(factory, company, admin, good, phone="13900000005")
    dismissed = complaintutil.file_code(factory, reference=reference, code=code, about="company").complaint
    complaintutil.walk(factory, regulator, dismissed, "unfounded")
    published = record_sanction(factory, regulator, company=company, severity="general", months=3, today=TODAY)
    sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=published, today=TODAY)
    db.session.commit()
    # Decided, never published: binds, but is not public, so it is no fact.
    record_sanction(factory, regulator, company=company, severity="minor", today=TODAY, kind="warning")
    on_worker = record_sanction(factory, regulator, worker=good, severity="minor", months=1, today=TODAY,
                                kind="warning")
    sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=on_worker, today=TODAY)
    db.session.commit()
    return {"company": company, "admin": admin, "good": good, "half": half, "five": five, "two": two,
            "about_company": about_company, "about_worker": about_worker, "published": published,
            "on_worker": on_worker}


def by_kind(facts: list[Fact]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    for f in facts:
        out.setdefault(f.kind, []).append(f)
    return out


def test_a_companys_facts(world):
    company = world["company"]
    facts = by_kind(inputs.company_facts(company.id, TODAY))
    assert set(facts) == {"verified", "employee_model", "pledge_kept", "staff_qualified", "review", "complaint",
                          "sanction"}
    assert facts["verified"] == [Fact("verified", company.uscc, TODAY)]
    assert facts["employee_model"] == [Fact("employee_model", company.uscc, TODAY)]
    assert facts["pledge_kept"] == [Fact("pledge_kept", f"pledge:v{companies.pledge.CURRENT_VERSION}", TODAY)]
    # One of two staff has current qualifications; the share holds until the first of their validities ends.
    assert facts["staff_qualified"] == [Fact("staff_qualified", "1/2", TODAY, value=Fraction(1, 2),
                                             until=TODAY + timedelta(days=100))]
    # Reviews of the company's services, counted by day and rating (never a customer's reference).
    assert facts["review"] == [rendered_from_facts("company", [
        Fact("review", f"{TODAY}:2", TODAY, value=2), Fact("review", f"{TODAY}:5", TODAY, value=5)], TODAY)]
    assert facts["review"][0].text == (
        '{"kind":"review","ref":"2026-06-01:2","points":0,"until":"2027-06-01","variant":"2"},'
        '{"kind":"review","ref":"2026-06-01:5","points":1,"until":"2027-06-01","variant":"5"}')
    # Only the substantiated complaint about the company itself (not the one about its worker, not the dismissed).
    assert facts["complaint"] == [Fact("complaint", complaint_reference(world["about_company"]), TODAY)]
    # Only the published sanction, through its window's last day; the unpublished warning is no fact.
    s = world["published"]
    assert facts["sanction"] == [Fact("sanction", s.ref, TODAY, severity="general", until=add_months(TODAY, 3))]


def test_every_broken_pledge_is_a_fact_and_only_a_kept_latest_pledge_counts_as_kept(factory, clock, world):
    """Found broken, signed again, found broken again: each breach is a `pledge_broken` fact from its day found,
    and `pledge_kept` comes only from the latest pledge while it is kept, from its own signing."""
    company, admin = world["company"], world["admin"]
    regulator = factory.regulator_for("housekeeping")
    ref = f"pledge:v{companies.pledge.CURRENT_VERSION}"

    def pledge_facts(day):
        facts = by_kind(inputs.company_facts(company.id, day))
        return facts.get("pledge_kept", []), facts.get("pledge_broken", [])

    first = TODAY + timedelta(days=10)
    clock.freeze(first)
    companies.record_pledge_breach(factory.ring, regulator=regulator, company=company, found_on=first,
                                   basis="成商务信〔2026〕1号", today=first)
    db.session.commit()
    assert pledge_facts(first) == ([], [Fact("pledge_broken", ref, first)])
    signed = TODAY + timedelta(days=40)
    clock.freeze(signed)
    companies.sign_pledge(factory.ring, account=admin, company=company, version=companies.pledge.CURRENT_VERSION)
    db.session.commit()
    assert pledge_facts(signed) == ([Fact("pledge_kept", ref, signed)], [Fact("pledge_broken", ref, first)])
    second = TODAY + timedelta(days=50)
    clock.freeze(second)
    companies.record_pledge_breach(factory.ring, regulator=regulator, company=company, found_on=second - timedelta(
        days=5), basis="成商务信〔2026〕2号", today=second)
    db.session.commit()
    kept, broken = pledge_facts(second)
    assert kept == [] and sorted(broken, key=lambda f: f.on) == [
        Fact("pledge_broken", ref, first), Fact("pledge_broken", ref, second - timedelta(days=5))]


def test_a_workers_facts(world):
    good = world["good"]
    facts = by_kind(inputs.worker_facts(good.id, TODAY))
    assert set(facts) == {"identity_verified", "health_passed", "training_passed", "background_passed", "review",
                          "complaint", "sanction"}
    assert facts["identity_verified"] == [Fact("identity_verified", f"identity:{TODAY - timedelta(days=30)}",
                                               TODAY - timedelta(days=30))]
    assert facts["health_passed"] == [Fact("health_passed", f"health:{TODAY - timedelta(days=20)}",
                                           TODAY - timedelta(days=20), until=TODAY + timedelta(days=100))]
    assert facts["training_passed"] == [Fact("training_passed", f"training:{TODAY - timedelta(days=25)}",
                                             TODAY - timedelta(days=25))]
    assert facts["background_passed"] == [Fact("background_passed", f"background:{TODAY - timedelta(days=15)}",
                                               TODAY - timedelta(days=15))]
    assert facts["review"] == [rendered_from_facts("worker", [Fact("review", f"{TODAY}:5", TODAY, value=5)], TODAY)]
    assert facts["complaint"] == [Fact("complaint", complaint_reference(world["about_worker"]), TODAY)]
    s = world["on_worker"]
    assert facts["sanction"] == [Fact("sanction", s.ref, TODAY, severity="minor", until=add_months(TODAY, 1))]
    # The other worker: identity only (a failed exam is no training fact), and their 2-star review.
    half = by_kind(inputs.worker_facts(world["half"].id, TODAY))
    assert set(half) == {"identity_verified", "review"}


def test_what_no_longer_counts_is_no_fact(factory, clock, world):
    """A later failed health check replaces the passed one; a superseded record is gone; a sanction past its window
    and reviews older than their validity are not read."""
    company, admin, good = world["company"], world["admin"], world["good"]
    add(factory, company, admin, good, "health", today=TODAY, result="failed", checked_on=TODAY - timedelta(days=1),
        valid_until=TODAY + timedelta(days=300))
    facts = by_kind(inputs.worker_facts(good.id, TODAY))
    assert "health_passed" not in facts
    later = add_months(TODAY, 13)
    assert "review" not in by_kind(inputs.worker_facts(good.id, later))
    assert {"review", "complaint", "sanction"}.isdisjoint(by_kind(inputs.company_facts(company.id, later)))


def test_the_facts_hold_nothing_personal(world):
    """Refs are public references and dates; never a name, a phone, an ID number or a log_ref."""
    good = world["good"]
    facts = inputs.company_facts(world["company"].id, TODAY) + inputs.worker_facts(good.id, TODAY)
    # A subject's review lines come written by the database: their refs, and every other word of them, too.
    every = [f for f in facts if type(f) is Fact] + [
        SimpleNamespace(ref=line["ref"]) for lines in facts if type(lines) is Rendered
        for line in json.loads(f"[{lines.text}]")]
    assert any(type(f) is Rendered for f in facts)
    shapes = re.compile(r"[0-9A-Z]{18}|pledge:v\d+|\d+/\d+|[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}|[0-9a-f]{32}"
                        r"|\d{4}-\d{2}-\d{2}:[1-5]"
                        r"|(identity|health|training|background):\d{4}-\d{2}-\d{2}")
    assert all(shapes.fullmatch(f.ref) for f in every), [f.ref for f in every]
    refs = " ".join(f.ref for f in every) + " ".join(lines.text for lines in facts if type(lines) is Rendered)
    for secret in (good.log_ref, world["company"].log_ref, good.card_no, "张", "13800000001", "13900000001"):
        assert secret not in refs


def test_a_company_without_staff_has_no_share_and_ids_of_nobody_have_no_facts(app, factory, clock):
    clock.freeze(TODAY)
    company, _admin = factory.company(verified=False, sectors=("property",))
    assert inputs.company_facts(company.id, TODAY) == []
    assert inputs.companies_facts([company.id, 999_999], TODAY) == {company.id: [], 999_999: []}
    assert inputs.workers_facts([], TODAY) == {}


def test_a_batch_reads_in_a_fixed_number_of_statements(factory, world):
    """Few statements per batch, whatever the number of subjects (no statement per record or per subject)."""
    from tests.support.statements import count_statements

    other, admin = factory.company()
    hire(factory, other, admin.account, seed=7, records=green_records(TODAY), today=TODAY)
    companies_ids = [world["company"].id, other.id]
    worker_ids = [world["good"].id, world["half"].id]

    def counted(fn, ids) -> int:
        """The reads of one call in a fresh transaction (SQLite's BEGIN, a statement of its own there, left out)."""
        db.session.rollback()
        return count_statements(lambda: fn(ids, TODAY)) - (0 if ON_POSTGRES else 1)

    # Companies, pledges, the staff's kept verdicts counted (with who must be judged again), commendations,
    # reviews, complaints, sanctions, corrections.
    assert counted(inputs.companies_facts, companies_ids[:1]) == counted(inputs.companies_facts, companies_ids) == 8
    # A staff member whose verdict is not kept: one more, for the records of all such staff at once.
    db.session.execute(delete(CreditScore).where(CreditScore.subject_kind == "worker"))
    db.session.commit()
    assert counted(inputs.companies_facts, companies_ids[:1]) == counted(inputs.companies_facts, companies_ids) == 9
    # Records, reviews, complaints, sanctions, corrections.
    assert counted(inputs.workers_facts, worker_ids[:1]) == counted(inputs.workers_facts, worker_ids) == 5


def test_reviews_count_by_day_in_shanghai_and_rating(app, factory, clock):
    """A day's reviews of one rating are one line of their count; the day is Shanghai's, on either side of its
    midnight (16:00 UTC)."""
    clock.freeze(TODAY)
    company, admin = factory.company()
    worker = hire(factory, company, admin.account, seed=3, records=green_records(TODAY), today=TODAY)
    late = datetime.combine(TODAY, time(23, 30), SHANGHAI)
    for minutes, rating in ((0, 5), (5, 5), (10, 4), (59, 5)):
        clock.freeze(late + timedelta(minutes=minutes))
        review(factory, company, admin.account, worker, rating=rating, phone=f"1390000{minutes:04d}")
    tomorrow = TODAY + timedelta(days=1)
    expected = [Fact("review", f"{TODAY}:5", TODAY, value=5, count=2), Fact("review", f"{TODAY}:4", TODAY, value=4),
                Fact("review", f"{tomorrow}:5", tomorrow, value=5)]
    for subject, facts in (("company", inputs.company_facts(company.id, tomorrow)),
                           ("worker", inputs.worker_facts(worker.id, tomorrow))):
        [lines] = by_kind(facts)["review"]
        assert lines == rendered_from_facts(subject, expected, tomorrow)
        assert (lines.lines, [line["count"] for line in json.loads(f"[{lines.text}]") if "count" in line]) == (3, [2])
    # On the day before, the day after's review is still to come: it counts from its own day.
    [lines] = by_kind(inputs.worker_facts(worker.id, TODAY))["review"]
    assert (lines.lines, lines.enters_on) == (2, tomorrow)


def test_a_staff_members_verdict_is_kept_and_judged_again_once_it_lapses(world, clock):
    """The share reads each staff member's verdict kept with their score; one whose verdict's last day has passed
    (the hourly job has not come yet), or who has none, is judged from their records: the share is the same."""
    company, good = world["company"], world["good"]
    row = db.session.get(CreditScore, ("worker", good.id))
    assert (row.qualified, row.qualified_until) == (True, TODAY + timedelta(days=100))
    # The day after the health check's valid-until: the kept verdict has lapsed, the records say not qualified.
    after = TODAY + timedelta(days=101)
    assert by_kind(inputs.company_facts(company.id, after))["staff_qualified"] == [
        Fact("staff_qualified", "0/2", after, value=Fraction(0))]
    share = [Fact("staff_qualified", "1/2", TODAY, value=Fraction(1, 2), until=TODAY + timedelta(days=100))]
    # Kept and judged verdicts mixed: the counted kept ones and the judged ones add up, either way round.
    half = world["half"]
    for unkept in (good, half):
        db.session.execute(delete(CreditScore).where(CreditScore.subject_kind == "worker",
                                                     CreditScore.subject_id == unkept.id))
        assert by_kind(inputs.company_facts(company.id, TODAY))["staff_qualified"] == share
        db.session.rollback()
    db.session.execute(delete(CreditScore).where(CreditScore.subject_kind == "worker"))
    assert by_kind(inputs.company_facts(company.id, TODAY))["staff_qualified"] == share
