"""The database's review lines (`inputs._review_lines`) are exactly what the pure scoring makes of the same reviews
as facts: a property test over random moments, ratings and withdrawals of real reviews, and random days.

The reviews are made once through the real services; each example then moves them (their moment, rating and
whether they are withdrawn) with one UPDATE, and compares for a company and a worker on a drawn day:

- the lines: text, points, how many, the first last day and the first day to come;
- the whole score the keeping computes (`services.compute`), against `scoring.score` over the subject's other facts
  and its reviews as one fact a day and rating, grouped here in Python by the day in Shanghai.
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from registry.clock import add_months, local_date
from registry.credit import inputs, scoring, services
from registry.credit import rules as credit_rules
from registry.extensions import db
from registry.trace.models import ServiceReview
from tests.support.creditutil import green_records, hire, rendered_from_facts, review

TODAY = date(2026, 6, 1)
REVIEWS = 10
# Days near month ends and leap days, where a window's last day clamps, and the days between.
EDGES = [date(2024, 2, 29), date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 8, 31),
         date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 31), date(2027, 2, 28), date(2028, 2, 29)]


@pytest.fixture
def reviewed(app, factory, clock):
    """A company and its worker with REVIEWS reviewed services."""
    clock.freeze(TODAY)
    company, admin = factory.company()
    worker = hire(factory, company, admin.account, seed=5, records=green_records(TODAY), today=TODAY)
    ids = [review(factory, company, admin.account, worker, rating=5, phone=f"1390000{i:04d}").id
           for i in range(REVIEWS)]
    db.session.commit()
    refs = list(db.session.execute(select(ServiceReview.service_id).where(ServiceReview.service_id.in_(ids))
                                   .order_by(ServiceReview.service_id)).scalars())
    return company, worker, refs


days = st.one_of(st.sampled_from(EDGES), st.dates(date(2024, 1, 1), date(2028, 12, 31)))
# A moment a few hours either side of a day's start in Shanghai (16:00 UTC the day before).
moments = st.builds(lambda d, minutes: datetime.combine(d, time(16), UTC) + timedelta(minutes=minutes),
                    days, st.integers(-600, 600))
reviews = st.lists(st.tuples(moments, st.integers(1, 5), st.booleans()), min_size=REVIEWS, max_size=REVIEWS)
# The day scored: often one a line's window ends on or enters on.
scored_on = st.one_of(days, st.builds(lambda d, k: add_months(d, 12) + timedelta(days=k), days,
                                       st.integers(-1, 1)))


def facts_in_python(subject_id: int, column) -> list[scoring.Fact]:
    """The subject's shown reviews as facts, one a day in Shanghai and rating, grouped here."""
    counted = Counter((local_date(at), rating) for at, rating in db.session.execute(
        select(ServiceReview.reviewed_dt, ServiceReview.rating)
        .where(column == subject_id, ServiceReview.withdrawn_dt.is_(None))))
    return [scoring.Fact("review", f"{on.isoformat()}:{rating}", on, value=rating, count=n)
            for (on, rating), n in counted.items()]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=reviews, day=scored_on)
def test_the_databases_lines_are_the_scorings(reviewed, drawn, day):
    company, worker, ids = reviewed
    for service_id, (at, rating, withdrawn) in zip(ids, drawn, strict=True):
        db.session.execute(update(ServiceReview).where(ServiceReview.service_id == service_id).values(
            reviewed_dt=at, rating=rating, withdrawn_dt=at + timedelta(days=1) if withdrawn else None))
    db.session.commit()
    rules = credit_rules.current()
    for subject, sid, column in (("company", company.id, ServiceReview.company_id),
                                 ("worker", worker.id, ServiceReview.worker_id)):
        reference = facts_in_python(sid, column)
        got = dict(inputs._review_lines(column, [sid], day, rules.of(subject).items["review"]))
        assert got.get(sid) == rendered_from_facts(subject, reference, day), (subject, day)
        # The whole score: the other facts as read, the reviews as facts.
        others = [f for f in (inputs.company_facts(sid, day) if subject == "company" else
                              inputs.worker_facts(sid, day)) if type(f) is scoring.Fact]
        expected = scoring.score(subject, others + reference, rules, day)
        kept = services.compute(subject, [sid], today=day)[sid]
        assert (kept.points, kept.grade, kept.stands_until) == \
            (expected.points, expected.grade, expected.stands_until), (subject, day)
        assert services.components_text(kept) == services.components_text(expected), (subject, day)


def test_a_rendered_kind_is_a_rated_one_given_once_and_never_with_its_facts():
    rules = credit_rules.current()
    lines = scoring.Rendered("review", '{"kind":"review"}', 1, 1, TODAY, None)
    fact = scoring.Fact("review", f"{TODAY}:5", TODAY, value=5)
    with pytest.raises(ValueError, match="rated kind"):
        scoring.score("worker", [lines._replace(kind="complaint")], rules, TODAY)
    with pytest.raises(ValueError, match="once"):
        scoring.score("worker", [lines, lines], rules, TODAY)
    with pytest.raises(ValueError, match="already scored"):
        scoring.score("worker", [lines, fact], rules, TODAY)
    with pytest.raises(ValueError, match="once"):
        scoring.score("worker", [fact, lines], rules, TODAY)
    # Lines still to come and none counting: no component, and the score stands until the day before.
    later = scoring.score("worker", [lines._replace(text="", points=0, lines=0, counts_until=None,
                                                   enters_on=TODAY + timedelta(days=3))], rules, TODAY)
    assert (later.components, later.stands_until) == ((), TODAY + timedelta(days=2))
