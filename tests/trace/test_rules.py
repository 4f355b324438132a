"""The service record's rules as a table: every field's refusals, and when a reason must be given."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry.trace import rules

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
START = NOW - timedelta(hours=4)


def judge(**over):
    data = dict(service_type="cleaning", phone="139 1234 0001", district=" 锦江区 ", start=START,
                end=START + timedelta(hours=3), override_reason=None)
    data.update(over)
    return rules.check_service(rules.ServiceFields(**data), NOW)


def test_a_good_service_is_normalised():
    checked, problems = judge()
    assert problems == []
    assert (checked.service_type, checked.e164, checked.district) == ("cleaning", "+8613912340001", "锦江区")
    assert checked.override_reason is None


@pytest.mark.parametrize("over, field, code", [
    (dict(service_type="massage"), "service_type", "service_type_unknown"),
    (dict(service_type=None), "service_type", "service_type_unknown"),
    (dict(phone="02887654321"), "phone", "phone_invalid"),
    (dict(phone="1391234000"), "phone", "phone_invalid"),
    (dict(phone=None), "phone", "phone_invalid"),
    (dict(district=" \t"), "district", "district_missing"),
    (dict(district="区" * 41), "district", "district_too_long"),
    (dict(start=None), "start", "start_missing"),
    (dict(start=START.replace(tzinfo=None)), "start", "start_missing"),
    (dict(start=NOW + timedelta(days=1, minutes=1), end=NOW + timedelta(days=2)), "start", "start_future"),
    (dict(start=NOW - timedelta(days=367), end=NOW - timedelta(days=366)), "start", "start_too_old"),
    (dict(end=None), "end", "end_missing"),
    (dict(end=START), "end", "end_before_start"),
    (dict(end=START + timedelta(days=92, seconds=1)), "end", "too_long"),
    (dict(override_reason="因" * 201), "override_reason", "override_reason_too_long"),
])
def test_each_refusal_names_its_field_and_code(over, field, code):
    checked, problems = judge(**over)
    assert checked is None
    assert [(p.field, p.code) for p in problems] == [(field, code)]
    assert all(p.en and p.zh for p in problems)


def test_problems_never_echo_the_phone():
    _checked, problems = judge(phone="1391234000x", district="")
    assert {p.field for p in problems} == {"phone", "district"}
    assert not any("1391234000" in p.en + p.zh for p in problems)


def test_limits_are_inclusive():
    assert judge(end=START + timedelta(days=92))[1] == []
    assert judge(start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, hours=2))[1] == []


@pytest.mark.parametrize("colour, employed, needed", [
    ("green", True, []),
    ("yellow", True, []),
    ("red", True, ["card_red"]),
    ("green", False, ["not_employee"]),
    ("red", False, ["card_red", "not_employee"]),
])
def test_overrides_needed(colour, employed, needed):
    assert rules.overrides_needed(colour=colour, employed_here=employed) == needed
    assert rules.override_problem(needed, "客户临时加急，已报告") is None
    problem = rules.override_problem(needed, None)
    assert (problem is None) == (not needed)
    if problem:
        assert problem.field == "override_reason" and problem.code == "override_reason_required"


def test_phone_and_id_numbers_in_the_override_reason_are_masked():
    checked, problems = judge(override_reason="客户 13912345678 指定此人，证件 510104198503091234")
    assert problems == []
    assert "13912345678" not in checked.override_reason and "198503091234" not in checked.override_reason
    assert checked.override_reason.startswith("客户 139****5678 指定此人")
