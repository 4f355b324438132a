"""The card's status colour over every combination of record states, against an oracle written
from docs/rules.md ("The status colour"), not from the code:

  red: the identity check or the background check failed, or a serious listing is active,
  or the card was revoked; else green: employed today by a registered company, identity verified,
  health check and insurance valid, background check passed; else yellow (not employed, or
  something missing, pending or expired), with `no_employer` among the reasons when not employed.
  A dated qualification is valid through its valid-until day inclusive.
"""
from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from registry.workers.rules import Rec, card_status

TODAY = date(2026, 11, 26)
DAY = timedelta(days=1)

# Each state: (records of that kind as Rec keyword sets, the oracle's facts about it).
IDENTITY = {
    "none": [],
    "verified": [dict(kind="identity", result="verified", on_date=TODAY - 5 * DAY)],
    "failed": [dict(kind="identity", result="failed", on_date=TODAY - 5 * DAY)],
}
HEALTH = {
    "none": [],
    "passed_until_tomorrow": [dict(kind="health", result="passed", on_date=TODAY - 200 * DAY,
                                   valid_until=TODAY + DAY)],
    "passed_until_today": [dict(kind="health", result="passed", on_date=TODAY - 200 * DAY, valid_until=TODAY)],
    "passed_until_yesterday": [dict(kind="health", result="passed", on_date=TODAY - 200 * DAY,
                                    valid_until=TODAY - DAY)],
    "not_passed": [dict(kind="health", result="failed", on_date=TODAY - 10 * DAY, valid_until=TODAY + 300 * DAY)],
}
INSURANCE = {
    "none": [],
    "starts_tomorrow": [dict(kind="insurance", on_date=TODAY + DAY, valid_until=TODAY + 366 * DAY)],
    "until_tomorrow": [dict(kind="insurance", on_date=TODAY - 300 * DAY, valid_until=TODAY + DAY)],
    "until_today": [dict(kind="insurance", on_date=TODAY - 300 * DAY, valid_until=TODAY)],
    "until_yesterday": [dict(kind="insurance", on_date=TODAY - 300 * DAY, valid_until=TODAY - DAY)],
}
BACKGROUND = {
    "none": [],
    "passed": [dict(kind="background", result="passed", on_date=TODAY - 20 * DAY)],
    "failed": [dict(kind="background", result="failed", on_date=TODAY - 20 * DAY)],
    "pending": [dict(kind="background", result="pending", on_date=TODAY - 20 * DAY)],
}


def oracle(identity: str, health: str, insurance: str, background: str, listing: bool,
           revoked: bool, employed: bool) -> tuple[str, set[str]]:
    """docs/rules.md ("The status colour") over the state names above, evaluated in its order."""
    red = set()
    if identity == "failed":
        red.add("identity_failed")
    if background == "failed":
        red.add("background_failed")
    if listing:
        red.add("serious_listing")
    if revoked:
        red.add("card_revoked")
    if red:
        return "red", red
    # Valid through the valid-until day inclusive: "until_today" is still valid.
    health_valid = health in ("passed_until_tomorrow", "passed_until_today")
    insurance_valid = insurance in ("until_tomorrow", "until_today")
    if employed and identity == "verified" and health_valid and insurance_valid and background == "passed":
        return "green", {"all_valid"}
    yellow = set()
    if not employed:
        yellow.add("no_employer")
    if identity == "none":
        yellow.add("identity_missing")
    yellow |= {"none": {"health_missing"}, "not_passed": {"health_not_passed"},
               "passed_until_yesterday": {"health_expired"}}.get(health, set())
    yellow |= {"none": {"insurance_missing"}, "starts_tomorrow": {"insurance_not_started"},
               "until_yesterday": {"insurance_expired"}}.get(insurance, set())
    yellow |= {"none": {"background_missing"}, "pending": {"background_pending"}}.get(background, set())
    return "yellow", yellow


def records(*specs: dict) -> list[Rec]:
    return [Rec(id=i + 1, **spec) for i, spec in enumerate(specs)]


def codes(status) -> set[str]:
    return {r.code for r in status.reasons}


CASES = list(itertools.product(IDENTITY, HEALTH, INSURANCE, BACKGROUND, (False, True), (False, True),
                               (True, False)))


def case_id(case) -> str:
    identity, health, insurance, background, listing, revoked, employed = case
    return (f"id_{identity}-health_{health}-ins_{insurance}-bg_{background}"
            f"{'-listed' if listing else ''}{'-revoked' if revoked else ''}{'' if employed else '-unemployed'}")


def test_the_table_is_every_combination():
    assert len(CASES) == 3 * 5 * 5 * 4 * 2 * 2 * 2
    assert {oracle(*c)[0] for c in CASES} == {"red", "yellow", "green"}
    # Not employed is never green, whatever the records say.
    assert {oracle(*c)[0] for c in CASES if not c[-1]} == {"red", "yellow"}


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_colour_and_reasons_match_design(case):
    identity, health, insurance, background, listing, revoked, employed = case
    recs = records(*IDENTITY[identity], *HEALTH[health], *INSURANCE[insurance], *BACKGROUND[background])
    # The record order must not matter: only dates and supersession do.
    for ordered in (recs, list(reversed(recs))):
        status = card_status(ordered, TODAY, employed=employed, active_serious_listing=listing, revoked=revoked)
        assert (status.colour, codes(status)) == oracle(*case)
        assert all(r.zh and r.en for r in status.reasons)


GREEN = [*IDENTITY["verified"], *HEALTH["passed_until_today"], *INSURANCE["until_today"], *BACKGROUND["passed"]]


def test_revoked_is_red_even_when_everything_else_is_green():
    assert card_status(records(*GREEN), TODAY, employed=True).colour == "green"
    status = card_status(records(*GREEN), TODAY, employed=True, revoked=True)
    assert status.colour == "red" and codes(status) == {"card_revoked"}


def test_revoked_with_no_records_at_all_is_red():
    status = card_status([], TODAY, employed=True, revoked=True)
    assert status.colour == "red" and codes(status) == {"card_revoked"}


def test_complete_records_without_an_employer_are_yellow_and_say_so_first():
    status = card_status(records(*GREEN), TODAY, employed=False)
    assert status.colour == "yellow" and codes(status) == {"no_employer"}
    assert (status.reasons[0].zh, status.reasons[0].en) == ("目前没有登记企业派遣此人",
                                                            "No registered company sends this person now")
    status = card_status([], TODAY, employed=False)
    assert status.reasons[0].code == "no_employer" and len(status.reasons) > 1


def test_the_employment_fact_must_be_given():
    # No default: a caller that forgot it must not show green.
    with pytest.raises(TypeError):
        card_status(records(*GREEN), TODAY)


SUPERSEDED = {
    # The failed identity check (id 1) was a data-entry mistake; a correction replaces it.
    "correction_replaces_failed_identity": (
        [Rec(1, "identity", "failed", TODAY - 3 * DAY), Rec(10, "identity", "verified", TODAY - 3 * DAY,
                                                              supersedes_id=1)],
        "green", {"all_valid"}),
    # The correction wins even when dated before what it replaces.
    "correction_dated_earlier_still_replaces": (
        [Rec(1, "identity", "failed", TODAY - DAY), Rec(10, "identity", "verified", TODAY - 9 * DAY,
                                                          supersedes_id=1)],
        "green", {"all_valid"}),
    "correction_to_failed_background_is_red": (
        [Rec(8, "background", "failed", TODAY - 30 * DAY, supersedes_id=4)],
        "red", {"background_failed"}),
    "corrected_health_date_expires_it": (
        [Rec(9, "health", "passed", TODAY - 200 * DAY, TODAY - DAY, supersedes_id=2)],
        "yellow", {"health_expired"}),
}


@pytest.mark.parametrize("override,colour,expected", SUPERSEDED.values(), ids=SUPERSEDED.keys())
def test_a_superseded_record_no_longer_counts(override, colour, expected):
    # Base: the green set as ids 1-4 (identity, health, insurance, background); override adds or replaces by id.
    base = {r.id: r for r in records(*GREEN)}
    base.update({r.id: r for r in override})
    status = card_status(list(base.values()), TODAY, employed=True)
    assert (status.colour, codes(status)) == (colour, expected)


LATEST = {
    "newer_passed_background_after_failed": (
        [Rec(4, "background", "failed", TODAY - 90 * DAY), Rec(5, "background", "passed", TODAY - 2 * DAY)],
        "green", {"all_valid"}),
    "newer_failed_background_after_passed": (
        [Rec(4, "background", "passed", TODAY - 90 * DAY), Rec(5, "background", "failed", TODAY - 2 * DAY)],
        "red", {"background_failed"}),
    "newer_pending_background_after_passed": (
        [Rec(4, "background", "passed", TODAY - 90 * DAY), Rec(5, "background", "pending", TODAY - 2 * DAY)],
        "yellow", {"background_pending"}),
    "newer_verified_identity_after_failed": (
        [Rec(1, "identity", "failed", TODAY - 90 * DAY), Rec(5, "identity", "verified", TODAY - 2 * DAY)],
        "green", {"all_valid"}),
    "newer_health_check_renews_expired": (
        [Rec(2, "health", "passed", TODAY - 400 * DAY, TODAY - 30 * DAY),
         Rec(5, "health", "passed", TODAY - 10 * DAY, TODAY + 355 * DAY)],
        "green", {"all_valid"}),
    "newer_failed_health_check_outranks_older_valid": (
        [Rec(2, "health", "passed", TODAY - 100 * DAY, TODAY + 200 * DAY),
         Rec(5, "health", "failed", TODAY - 10 * DAY, TODAY + 355 * DAY)],
        "yellow", {"health_not_passed"}),
    "newer_insurance_renews_expired": (
        [Rec(3, "insurance", None, TODAY - 400 * DAY, TODAY - 35 * DAY),
         Rec(5, "insurance", None, TODAY - 34 * DAY, TODAY + 330 * DAY)],
        "green", {"all_valid"}),
    # Same date: the later entry wins.
    "same_day_later_entry_wins": (
        [Rec(4, "background", "passed", TODAY - 2 * DAY), Rec(5, "background", "failed", TODAY - 2 * DAY)],
        "red", {"background_failed"}),
    # The later date wins even when entered first.
    "later_date_entered_first_wins": (
        [Rec(4, "background", "failed", TODAY - 2 * DAY), Rec(5, "background", "passed", TODAY - 90 * DAY)],
        "red", {"background_failed"}),
}


@pytest.mark.parametrize("override,colour,expected", LATEST.values(), ids=LATEST.keys())
def test_the_latest_record_of_a_kind_wins(override, colour, expected):
    base = {r.id: r for r in records(*GREEN)}
    base.update({r.id: r for r in override})
    status = card_status(list(base.values()), TODAY, employed=True)
    assert (status.colour, codes(status)) == (colour, expected)


RENEWALS = {
    # A renewal recorded ahead of time must not hide the policy in force today.
    "renewal_recorded_ahead_keeps_current_policy": (
        [Rec(3, "insurance", None, TODAY - 300 * DAY, TODAY + 10 * DAY),
         Rec(5, "insurance", None, TODAY + 11 * DAY, TODAY + 376 * DAY)],
        "green", {"all_valid"}),
    "only_a_future_policy_is_not_yet_in_force": (
        [Rec(3, "insurance", None, TODAY - 400 * DAY, TODAY - 1 * DAY),
         Rec(5, "insurance", None, TODAY + 1 * DAY, TODAY + 366 * DAY)],
        "yellow", {"insurance_not_started"}),
    "two_expired_policies_are_expired": (
        [Rec(3, "insurance", None, TODAY - 800 * DAY, TODAY - 400 * DAY),
         Rec(5, "insurance", None, TODAY - 399 * DAY, TODAY - 1 * DAY)],
        "yellow", {"insurance_expired"}),
}


@pytest.mark.parametrize("override,colour,expected", RENEWALS.values(), ids=RENEWALS.keys())
def test_any_insurance_policy_in_force_today_counts(override, colour, expected):
    base = {r.id: r for r in records(*GREEN)}
    base.update({r.id: r for r in override})
    status = card_status(list(base.values()), TODAY, employed=True)
    assert (status.colour, codes(status)) == (colour, expected)
