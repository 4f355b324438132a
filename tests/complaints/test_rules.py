"""The complaint state machine, as a table: every (state, step) pair, allowed or refused, and what the rest allow."""
from __future__ import annotations

import pytest

from registry.complaints import rules

STATES = list(rules.STATES)
STEPS = list(rules.STEPS)
# Every allowed transition: (from, step) → to. Anything not here is refused.
ALLOWED = {
    ("received", "accept"): "accepted",
    ("received", "reject"): "rejected",
    ("accepted", "investigate"): "investigating",
    ("investigating", "substantiate"): "substantiated",
    ("investigating", "dismiss"): "unfounded",
}
REFUSED = [(s, step) for s in STATES for step in STEPS if (s, step) not in ALLOWED]


def test_the_tables_name_the_states_steps_categories_and_methods():
    # `withdrawn` only by an upheld objection (complaints/objections.py): no regulator's step leads there.
    assert STATES == ["received", "accepted", "rejected", "investigating", "substantiated", "unfounded", "withdrawn"]
    assert STEPS == ["accept", "reject", "investigate", "substantiate", "dismiss"]
    assert list(rules.CATEGORIES) == ["safety", "theft", "abuse", "quality", "fraud", "other"]
    assert list(rules.METHODS) == ["review_code", "card_page", "household_phone"]
    for table in (rules.STATES, rules.CATEGORIES, rules.METHODS, rules.STEP_WORDS):
        assert all(zh and en and zh != en for zh, en in table.values())
    assert set(rules.OPEN_STATES) | set(rules.CONCLUDED_STATES) == set(STATES)
    assert not set(rules.OPEN_STATES) & set(rules.CONCLUDED_STATES)


@pytest.mark.parametrize("state,step", sorted(ALLOWED), ids=lambda v: v)
def test_every_allowed_transition(state, step):
    assert rules.transition(state, step) == ALLOWED[(state, step)]


@pytest.mark.parametrize("state,step", REFUSED, ids=lambda v: v)
def test_every_refused_transition_is_refused_as_data(state, step):
    refused = rules.transition(state, step)
    assert isinstance(refused, rules.Refused)
    assert refused.code == ("concluded" if state in rules.CONCLUDED_STATES else "wrong_state")
    assert refused.en and refused.zh


def test_the_table_covers_every_pair():
    assert len(ALLOWED) + len(REFUSED) == len(STATES) * len(STEPS) == 35
    assert len(REFUSED) == 30


@pytest.mark.parametrize("state", STATES)
def test_steps_from_each_state_are_exactly_the_allowed_ones(state):
    assert rules.steps_from(state) == [step for step in STEPS if (state, step) in ALLOWED]


@pytest.mark.parametrize("step", [None, "", "approve", "ACCEPT", "close"])
def test_an_unknown_step_is_refused_in_every_state(step):
    for state in STATES:
        assert rules.transition(state, step).code == "unknown_step"


def test_an_unknown_state_refuses_every_step():
    for step in STEPS:
        assert rules.transition("closed", step).code == "wrong_state"


@pytest.mark.parametrize("state", STATES)
def test_responses_are_open_before_a_decision_up_to_the_limit(state):
    for n in range(rules.RESPONSES_MAX + 2):
        refused = rules.may_respond(state, n)
        if state in rules.OPEN_STATES and n < rules.RESPONSES_MAX:
            assert refused is None
        elif state not in rules.OPEN_STATES:
            assert refused.code == "concluded"
        else:
            assert refused.code == "too_many_responses"


@pytest.mark.parametrize("state", STATES)
def test_only_substantiated_is_public_and_which_deadline_runs(state):
    assert rules.is_public(state) is (state == "substantiated")
    assert rules.deadline_kind(state) == {"received": "accept", "accepted": "conclude",
                                          "investigating": "conclude"}.get(state)


def test_the_default_deadlines_are_the_market_supervision_rules():
    assert (rules.DEFAULT_ACCEPT_WORKING_DAYS, rules.DEFAULT_CONCLUDE_WORKING_DAYS) == (7, 45)


def test_only_a_substantiated_complaint_is_public_and_a_withdrawn_one_counts_nowhere():
    assert [s for s in STATES if rules.is_public(s)] == ["substantiated"]
    assert "withdrawn" in rules.CONCLUDED_STATES and rules.deadline_kind("withdrawn") is None
    assert rules.may_respond("withdrawn", 0).code == "concluded"
