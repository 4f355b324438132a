"""The pure sanction rules: windows by severity, window ends with month-end clamping, public and in-effect days."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.clock import add_months
from registry.sanctions import rules

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 5, 31), 3, date(2026, 8, 31)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 12, 31), 2, date(2027, 2, 28)),
    (date(2027, 2, 28), 12, date(2028, 2, 28)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2028, 2, 29), 36, date(2031, 2, 28)),
    (date(2026, 4, 15), 0, date(2026, 4, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
])
def test_add_months_clamps_to_the_months_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_add_months_matches_day_by_day_reasoning_for_every_day_of_a_leap_cycle():
    day = date(2026, 1, 1)
    while day < date(2030, 1, 1):
        for months in (1, 3, 12, 36):
            got = add_months(day, months)
            total = day.year * 12 + day.month - 1 + months
            assert (got.year * 12 + got.month - 1) == total
            # The same day when the month has it, else the month's last day.
            next_month = add_months(date(got.year, got.month, 1), 1)
            last = (next_month - timedelta(days=1)).day
            assert got.day == min(day.day, last)
        day += timedelta(days=1)


@pytest.mark.parametrize(("severity", "months", "ok"), [
    ("minor", None, True), ("minor", 1, True), ("minor", 3, True), ("minor", 4, False), ("minor", 0, False),
    ("general", 2, False), ("general", 3, True), ("general", 12, True), ("general", 13, False),
    ("general", None, True),
    ("serious", 11, False), ("serious", 12, True), ("serious", 36, True), ("serious", 37, False),
])
def test_windows_by_severity(severity, months, ok):
    problems = rules.check_terms(kind="fine", severity=severity, months=months, decision_date=None, today=TODAY)
    assert (problems == []) is ok
    if not ok:
        assert [p.field for p in problems] == ["publish_months"]


def test_default_window_is_the_least_allowed_and_minor_is_unpublished():
    assert rules.default_months("minor") is None
    assert rules.default_months("general") == 3
    assert rules.default_months("serious") == 12


def test_every_problem_at_once():
    problems = rules.check_terms(kind="exile", severity="huge", months=5, decision_date=TODAY + timedelta(days=1),
                                 today=TODAY)
    assert [p.field for p in problems] == ["kind", "severity", "decision_date"]


def test_a_serious_listing_is_serious():
    problems = rules.check_terms(kind="serious_list", severity="general", months=None, decision_date=None, today=TODAY)
    assert [(p.field, p.code) for p in problems] == [("severity", "invalid")]


def test_decisions_before_the_rules_are_refused():
    problems = rules.check_terms(kind="fine", severity="general", months=3, decision_date=date(2026, 3, 31),
                                 today=TODAY)
    assert [p.code for p in problems] == ["before_rules"]
    assert rules.check_terms(kind="fine", severity="general", months=3, decision_date=date(2026, 4, 1),
                             today=TODAY) == []


def test_window_end_counts_from_the_decision_date():
    assert rules.window_end(date(2026, 5, 31), 3) == date(2026, 8, 31)
    assert rules.window_end(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert rules.window_end(None, 3) is None
    assert rules.window_end(date(2026, 5, 31), None) is None


@pytest.mark.parametrize(("today", "public"), [
    (date(2026, 11, 29), False),  # before the decision
    (date(2026, 11, 30), True),   # the decision day
    (date(2027, 2, 28), True),    # the window's last day
    (date(2027, 3, 1), False),    # a day past it
])
def test_public_exactly_within_the_window(today, public):
    assert rules.is_public(state="published", published=True, decision_date=date(2026, 11, 30), months=3,
                           today=today) is public


def test_not_public_unless_published():
    for state in ("proposed", "notified", "decided", "approved"):
        assert not rules.is_public(state=state, published=False, decision_date=date(2026, 11, 30), months=3,
                                   today=date(2026, 12, 1))
    assert not rules.is_public(state="published", published=True, decision_date=date(2026, 11, 30), months=None,
                               today=date(2026, 12, 1))


@pytest.mark.parametrize(("kind", "state", "binds"), [
    ("serious_list", "proposed", False), ("serious_list", "notified", False), ("serious_list", "decided", False),
    ("serious_list", "approved", True), ("serious_list", "published", True), ("serious_list", "expired", True),
    ("watch_list", "decided", True), ("fine", "decided", True),
])
def test_in_effect_once_taken_and_approved_where_four_eyes_apply(kind, state, binds):
    assert rules.is_in_effect(kind=kind, state=state, decision_date=date(2026, 6, 1), months=12,
                              today=date(2026, 12, 1)) is binds
    # Never after the window, whatever the state says.
    assert not rules.is_in_effect(kind=kind, state=state, decision_date=date(2026, 6, 1), months=12,
                                  today=date(2027, 6, 2))


def test_four_eyes_and_first_states():
    assert rules.first_state("serious_list") == "proposed"
    assert all(rules.first_state(k) == "decided" for k in rules.KINDS if k != "serious_list")
    assert rules.publishable(kind="serious_list", state="approved", months=12)
    assert not rules.publishable(kind="serious_list", state="decided", months=12)
    assert rules.publishable(kind="fine", state="decided", months=3)
    assert not rules.publishable(kind="warning", state="decided", months=None)
