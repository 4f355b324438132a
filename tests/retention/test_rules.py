"""The retention rules, at their edges: the day before a period ends, the day, and the day after."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from registry.retention import rules

P = rules.Periods()
D = timedelta(days=1)


def test_the_defaults_are_the_documented_ones():
    assert (P.worker_years, P.staff_file_days, P.access_record_years, P.household_query_years) == (5, 30, 3, 3)


def test_periods_come_from_config_and_each_must_be_at_least_one():
    cfg = {"RETENTION_WORKER_YEARS": "7", "RETENTION_STAFF_FILE_DAYS": "10", "RETENTION_ACCESS_RECORD_YEARS": 2,
           "RETENTION_HOUSEHOLD_QUERY_YEARS": 4}
    assert rules.periods_from(cfg) == rules.Periods(7, 10, 2, 4)
    assert rules.check_periods(P) == []
    assert rules.check_periods(rules.Periods(0, 30, 3, 3)) == ["worker_years must be at least 1"]


@pytest.mark.parametrize("ends, registered, kept_from", [
    ([date(2027, 3, 1)], date(2026, 1, 1), date(2027, 3, 1)),
    ([date(2027, 3, 1), date(2028, 6, 30), date(2026, 1, 9)], date(2026, 1, 1), date(2028, 6, 30)),
    ([date(2027, 3, 1), None], date(2026, 1, 1), None),  # an open employment: nothing is due
    ([None], date(2026, 1, 1), None),
    ([], date(2026, 1, 1), date(2026, 1, 1)),  # no employment at all: from registration
])
def test_the_period_runs_from_the_last_employment_end(ends, registered, kept_from):
    assert rules.worker_kept_from(ends, registered) == kept_from


@pytest.mark.parametrize("ended, today, due", [
    (date(2027, 3, 1), date(2032, 2, 29), False),  # the day before
    (date(2027, 3, 1), date(2032, 3, 1), True),  # the day
    (date(2027, 3, 1), date(2032, 3, 2), True),  # the day after
    (date(2028, 2, 29), date(2033, 2, 27), False),  # a leap day ends on 28 February
    (date(2028, 2, 29), date(2033, 2, 28), True),
    (date(2028, 2, 29), date(2033, 3, 1), True),
    (None, date(2099, 1, 1), False),  # still employed
])
def test_a_worker_is_due_on_the_day_the_period_ends(ended, today, due):
    assert rules.worker_due(ended, today, P) is due
    if ended is not None:
        # The SQL side agrees: a last end on or before `last_due_end` is due.
        assert (ended <= rules.last_due_end(today, P)) is due
        assert rules.kept_until(ended, years=5) == rules.worker_erasure_day(ended, P) - D


@pytest.mark.parametrize("made_on, today, kw, due", [
    (date(2027, 3, 1), date(2027, 3, 30), {"days": 30}, False),
    (date(2027, 3, 1), date(2027, 3, 31), {"days": 30}, True),
    (date(2027, 3, 1), date(2027, 4, 1), {"days": 30}, True),
    (date(2027, 3, 1), date(2030, 2, 28), {"years": 3}, False),
    (date(2027, 3, 1), date(2030, 3, 1), {"years": 3}, True),
    (date(2027, 3, 1), date(2030, 3, 2), {"years": 3}, True),
    (date(2028, 2, 29), date(2031, 2, 27), {"years": 3}, False),
    (date(2028, 2, 29), date(2031, 2, 28), {"years": 3}, True),
    (date(2028, 2, 28), date(2031, 2, 27), {"years": 3}, False),
    (date(2028, 2, 28), date(2031, 2, 28), {"years": 3}, True),
])
def test_a_row_is_due_on_the_day_its_period_ends(made_on, today, kw, due):
    assert (made_on <= rules.last_day_due(today, **kw)) is due
    assert (rules.kept_until(made_on, **kw) < today) is due


@pytest.mark.parametrize("kw", [{"days": 30}, {"years": 3}])
def test_the_moment_agrees_with_the_day_at_shanghai_midnight(kw):
    today = date(2030, 3, 1)
    cut = rules.made_before(today, **kw)
    # 16:00 UTC is midnight in Shanghai: the last moment of the last due day is due, the next is not.
    assert cut.tzinfo is not None and cut.astimezone(UTC).hour == 16
    assert rules.row_due(cut - timedelta(microseconds=1), today, **kw)
    assert not rules.row_due(cut, today, **kw)
    assert rules.row_due(datetime(2000, 1, 1, tzinfo=UTC), today, **kw)


def test_a_lawful_request_gives_every_basis_but_the_jobs():
    assert rules.RETENTION_BASIS not in rules.LAWFUL_BASES
    assert set(rules.LAWFUL_BASES) | {rules.RETENTION_BASIS} == set(rules.ERASURE_BASES)
    assert all(zh and en for zh, en in rules.ERASURE_BASES.values())
