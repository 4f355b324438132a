"""The pure rules: record validation, current records, the card's status colour."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from registry.workers.rules import (
    Rec,
    RecordProblem,
    card_status,
    check_record,
    current,
    judge_record,
    latest,
    valid_on,
)

TODAY = date(2026, 11, 26)


def recs(*specs):
    return [Rec(id=i + 1, **spec) for i, spec in enumerate(specs)]


GREEN = [
    dict(kind="identity", result="verified", on_date=TODAY - timedelta(days=3)),
    dict(kind="health", result="passed", on_date=TODAY - timedelta(days=30), valid_until=TODAY + timedelta(days=300)),
    dict(kind="insurance", on_date=TODAY - timedelta(days=30), valid_until=TODAY + timedelta(days=300)),
    dict(kind="background", result="passed", on_date=TODAY - timedelta(days=10)),
]


def codes(status):
    return {r.code for r in status.reasons}


def test_all_valid_is_green():
    assert card_status(recs(*GREEN), TODAY, employed=True).colour == "green"


def test_valid_through_the_valid_until_day_inclusive():
    edge = [dict(g) for g in GREEN]
    edge[1]["valid_until"] = TODAY
    assert card_status(recs(*edge), TODAY, employed=True).colour == "green"
    assert card_status(recs(*edge), TODAY + timedelta(days=1), employed=True).colour == "yellow"
    assert codes(card_status(recs(*edge), TODAY + timedelta(days=1), employed=True)) == {"health_expired"}


@pytest.mark.parametrize("drop,code", [(0, "identity_missing"), (1, "health_missing"), (2, "insurance_missing"),
                                       (3, "background_missing")])
def test_anything_missing_is_yellow_with_its_reason(drop, code):
    specs = [g for i, g in enumerate(GREEN) if i != drop]
    status = card_status(recs(*specs), TODAY, employed=True)
    assert status.colour == "yellow" and codes(status) == {code}


def test_pending_background_and_insurance_not_yet_in_force_are_yellow():
    specs = [dict(g) for g in GREEN]
    specs[3]["result"] = "pending"
    specs[2]["on_date"] = TODAY + timedelta(days=1)
    assert codes(card_status(recs(*specs), TODAY, employed=True)) == {"background_pending", "insurance_not_started"}


@pytest.mark.parametrize("index,result,code", [(0, "failed", "identity_failed"), (3, "failed", "background_failed")])
def test_failed_identity_or_background_is_red(index, result, code):
    specs = [dict(g) for g in GREEN]
    specs[index]["result"] = result
    status = card_status(recs(*specs), TODAY, employed=True)
    assert status.colour == "red" and codes(status) == {code}


def test_serious_listing_and_revocation_are_red_whatever_else():
    assert card_status(recs(*GREEN), TODAY, employed=True, active_serious_listing=True).colour == "red"
    assert codes(card_status([], TODAY, employed=True, revoked=True)) == {"card_revoked"}


def test_red_outranks_yellow():
    status = card_status(recs(dict(kind="identity", result="failed", on_date=TODAY)), TODAY, employed=True)
    assert status.colour == "red" and codes(status) == {"identity_failed"}


def test_a_correction_replaces_what_it_supersedes():
    specs = [dict(g) for g in GREEN]
    records = recs(*specs) + [Rec(id=9, kind="background", result="failed", on_date=TODAY - timedelta(days=20),
                                  supersedes_id=4)]
    # The correction is older-dated but supersedes: the failed one is current.
    assert [r.id for r in current(records)] == [1, 2, 3, 9]
    assert latest(records, "background").id == 9
    assert card_status(records, TODAY, employed=True).colour == "red"


def test_valid_on_needs_both_dates():
    assert not valid_on(None, TODAY)
    assert not valid_on(Rec(id=1, kind="health", on_date=TODAY), TODAY)


@pytest.mark.parametrize("kind,data,field", [
    ("identity", {"result": "passed", "checked_on": TODAY}, "result"),
    ("identity", {"result": "verified"}, "checked_on"),
    ("identity", {"result": "verified", "checked_on": TODAY + timedelta(days=1)}, "checked_on"),
    ("training", {"course": "", "hours": 8, "exam_passed": True, "trained_on": TODAY, "issuer": "x"}, "course"),
    ("training", {"course": "c", "hours": "8.25", "exam_passed": True, "trained_on": TODAY, "issuer": "x"}, "hours"),
    ("training", {"course": "c", "hours": 2001, "exam_passed": True, "trained_on": TODAY, "issuer": "x"}, "hours"),
    ("training", {"course": "c", "hours": 8, "exam_passed": "yes", "trained_on": TODAY, "issuer": "x"}, "exam_passed"),
    ("training", {"course": "c", "hours": 8, "exam_passed": True, "trained_on": TODAY, "issuer": "x" * 101}, "issuer"),
    ("health", {"result": "passed", "checked_on": TODAY, "valid_until": TODAY - timedelta(days=1)}, "valid_until"),
    ("insurance", {"insurer": "平安", "valid_from": TODAY, "valid_until": TODAY - timedelta(days=1)}, "valid_until"),
    ("background", {"result": "unknown", "checked_on": TODAY, "authority": "公安"}, "result"),
    ("nonsense", {}, "kind"),
])
def test_record_problems_name_their_field(kind, data, field):
    with pytest.raises(RecordProblem) as exc:
        check_record(kind, data, TODAY)
    assert exc.value.field == field and exc.value.en and exc.value.zh


@pytest.mark.parametrize("kind,data,fields", [
    ("identity", {"result": "passed", "checked_on": TODAY + timedelta(days=1)}, ["result", "checked_on"]),
    ("training", {"course": "", "hours": "0", "exam_passed": None, "trained_on": TODAY + timedelta(days=1),
                  "issuer": ""}, ["hours", "exam_passed", "course", "trained_on", "issuer"]),
    # A check date in the future is refused, and valid-until is still compared with it.
    ("health", {"result": "maybe", "checked_on": TODAY + timedelta(days=5), "valid_until": TODAY + timedelta(days=2)},
     ["checked_on", "valid_until", "result"]),
    ("health", {"result": "passed", "checked_on": "yesterday", "valid_until": "soon"}, ["checked_on", "valid_until"]),
    ("insurance", {"insurer": "x" * 101, "valid_from": TODAY, "valid_until": TODAY - timedelta(days=1)},
     ["valid_until", "insurer"]),
    ("background", {"result": "unknown", "checked_on": None, "authority": " "}, ["result", "checked_on", "authority"]),
])
def test_judge_record_returns_every_problem_and_check_record_raises_the_first(kind, data, fields):
    normalised, problems = judge_record(kind, data, TODAY)
    assert normalised is None and [p.field for p in problems] == fields
    assert all(p.en and p.zh for p in problems)
    with pytest.raises(RecordProblem) as exc:
        check_record(kind, data, TODAY)
    assert (exc.value.field, exc.value.en) == (problems[0].field, problems[0].en)


def test_judge_record_of_a_valid_record_is_its_normalised_fields():
    data = {"insurer": " 平安 ", "valid_from": TODAY, "valid_until": TODAY + timedelta(days=365)}
    assert judge_record("insurance", data, TODAY) == (check_record("insurance", data, TODAY), [])
    assert judge_record("insurance", data, TODAY)[0]["issuer"] == "平安"


def test_valid_records_normalise():
    t = check_record("training", {"course": " 母婴护理 ", "hours": 40, "exam_passed": True, "trained_on": TODAY,
                                  "issuer": "协会"}, TODAY)
    assert t == {"course": "母婴护理", "hours": Decimal("40"), "exam_passed": True, "on_date": TODAY, "issuer": "协会"}
    b = check_record("background", {"result": "pending", "checked_on": TODAY, "authority": "公安局"}, TODAY)
    assert b == {"result": "pending", "on_date": TODAY, "issuer": "公安局"}
