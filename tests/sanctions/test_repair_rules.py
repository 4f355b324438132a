"""The pure rules of credit repair and withdrawal: the earliest repair day per severity, and every transition."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.clock import add_months
from registry.sanctions import repair_rules as rr
from registry.sanctions import rules


@pytest.mark.parametrize(("severity", "decided", "earliest"), [
    # Minor: as soon as the obligations are met, from the decision day itself.
    ("minor", date(2026, 5, 31), date(2026, 5, 31)),
    # General: 3 months published (31 May → 31 August is the last day of the period), from the next day.
    ("general", date(2026, 5, 31), date(2026, 9, 1)),
    ("general", date(2026, 11, 30), date(2027, 3, 1)),  # 28 Feb 2027 ends the period (no 30 February)
    ("general", date(2027, 11, 30), date(2028, 3, 1)),  # 29 Feb 2028 is no 30th either: the 29th ends it
    ("general", date(2026, 4, 1), date(2026, 7, 2)),
    # Serious: 1 year.
    ("serious", date(2026, 6, 15), date(2027, 6, 16)),
    ("serious", date(2028, 2, 29), date(2029, 3, 1)),
])
def test_the_earliest_repair_day(severity, decided, earliest):
    assert rr.earliest_repair_date(severity, decided) == earliest


def test_the_earliest_repair_day_is_the_day_after_the_least_window_for_every_day_of_a_leap_cycle():
    day = date(2026, 4, 1)
    while day < date(2030, 4, 1):
        for severity, (least, _most) in rules.WINDOW_MONTHS.items():
            earliest = rr.earliest_repair_date(severity, day)
            if least == 0:
                assert earliest == day
            else:
                # The day after the last day a window of the least length would be public.
                assert earliest - timedelta(days=1) == rules.window_end(day, least) == add_months(day, least)
                assert rr.repair_too_early(severity=severity, decision_date=day, today=earliest) is None
                assert rr.repair_too_early(severity=severity, decision_date=day,
                                           today=earliest - timedelta(days=1)) == earliest
        day += timedelta(days=1)


# Every sanction state: may a repair be applied for (None) or why not.
@pytest.mark.parametrize(("state", "problem"), [
    ("proposed", "not_decided"), ("notified", "not_decided"), ("decided", None), ("approved", None),
    ("published", None), ("expired", "window_over"), ("repaired", "already_ended"), ("withdrawn", "already_ended"),
])
def test_which_states_may_be_repaired(state, problem):
    assert rr.repair_problem(state=state, decision_date=date(2026, 5, 1)) == problem


def test_the_table_of_repairable_states_covers_every_state():
    assert {s for s in rules.STATES if rr.repair_problem(state=s, decision_date=date(2026, 5, 1)) is None} == {
        "decided", "approved", "published"}
    assert rr.repair_problem(state="decided", decision_date=None) == "not_decided"


@pytest.mark.parametrize(("state", "allowed"), [
    ("proposed", False), ("notified", False), ("decided", True), ("approved", True), ("published", True),
    ("expired", True), ("repaired", True), ("withdrawn", False),
])
def test_which_states_may_be_withdrawn(state, allowed):
    assert rr.may_withdraw(state) is allowed


def test_every_state_is_in_both_tables():
    assert set(rules.STATES) == {"proposed", "notified", "decided", "approved", "published", "expired", "repaired",
                                 "withdrawn"}


@pytest.mark.parametrize("current", list(rr.REPAIR_STATES))
@pytest.mark.parametrize("target", list(rr.REPAIR_STATES))
def test_every_repair_application_transition(current, target):
    allowed = current == "pending" and target in ("approved", "rejected")
    assert rr.may_decide_repair(current, target) is allowed


def test_neither_a_repaired_nor_a_withdrawn_sanction_is_public_or_in_effect_whatever_its_dates():
    decided = date(2026, 5, 1)
    for state in ("repaired", "withdrawn"):
        for kind in rules.KINDS:
            for day in (decided, decided + timedelta(days=40), add_months(decided, 12)):
                assert not rules.is_public(state=state, published=True, decision_date=decided, months=36, today=day)
                assert not rules.is_in_effect(kind=kind, state=state, decision_date=decided, months=36, today=day)


@pytest.mark.parametrize(("revoked", "last"), [
    # A Monday: Thursday. A Friday: the next Wednesday (the weekend is no working day).
    (date(2026, 6, 1), date(2026, 6, 4)), (date(2026, 6, 5), date(2026, 6, 10)),
    # Across National Day 2026 (1–7 October off; Saturday 10 October a make-up working day): 8, 9, 10 October;
    # and from the 8th: 9, 10 and Monday 12 October.
    (date(2026, 9, 30), date(2026, 10, 10)), (date(2026, 10, 8), date(2026, 10, 12)),
])
def test_a_withdrawal_is_due_on_the_3rd_working_day_after_the_revocation(revoked, last):
    from registry.calendar.workdays import Schedule

    assert rr.withdraw_by(revoked, Schedule()) == last
