"""The person rules: every field judged on its own, every problem returned as data, none quoting a value."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from registry.workers import idnumber
from registry.workers.person import (
    INVALID,
    Engagement,
    Person,
    Problem,
    check_engagement,
    check_person,
    e164_mobile,
    normal_name,
)

TODAY = date(2026, 11, 26)
ID_A = idnumber.make_valid("51010419900101002")          # born 1990-01-01
BAD_CHECK = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
TOO_YOUNG = idnumber.make_valid("51010420150101002")     # 11 on TODAY
TURNS_16_TODAY = idnumber.make_valid("51010420101126002")
PHONE = "13912345678"


def fields(problems) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


def engagement(**over) -> Engagement:
    values = dict(occupation="cleaner", kind="labour_contract", start_date=TODAY, social_insurance=True)
    values.update(over)
    return Engagement(**values)


# --- the person ---------------------------------------------------------------------------------------------------

def test_a_good_person_comes_back_normalised():
    checked = check_person(Person("  欧阳   娜娜 ", " " + ID_A.lower() + " ", "139 1234-5678"), TODAY)
    assert checked.ok and checked.problems == ()
    assert (checked.name, checked.phone) == ("欧阳 娜娜", "+8613912345678")
    assert checked.id.ok and checked.id.number == ID_A and checked.id.birth_date == date(1990, 1, 1)
    assert checked.id.kind == "resident"


@pytest.mark.parametrize("name", ["Anna Müller-Schmidt", "12345", "", "   ", "张" * 51, "张三<script>", None])
def test_names_that_are_not_a_real_name_shape_are_refused(name):
    checked = check_person(Person(name, ID_A, PHONE), TODAY)
    assert fields(checked.problems) == [("name", INVALID)]
    assert checked.name is None and not checked.ok
    # The other fields are still judged and kept.
    assert checked.phone == "+8613912345678" and checked.id.ok


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "Anna Smith", "张" * 50, "㐀"])
def test_real_name_shapes_pass(name):
    assert check_person(Person(name, ID_A, PHONE), TODAY).ok


@pytest.mark.parametrize("number,code", [
    ("5101041990", "id_number_length"),
    ("", "id_number_length"),
    (None, "id_number_length"),
    ("51010419900101002A", "id_number_characters"),
    (idnumber.make_valid("71010419900101002"), "id_number_region"),
    (idnumber.make_valid("51010419900230002"), "id_number_birth_date"),
    (TOO_YOUNG, "id_number_too_young"),
    (BAD_CHECK, "id_number_checksum"),
])
def test_each_id_number_rule_has_its_own_code_and_the_birth_date_is_unknown(number, code):
    checked = check_person(Person("张三", number, PHONE), TODAY)
    assert fields(checked.problems) == [("id_number", code)]
    assert not checked.id.ok and checked.id.birth_date is None
    assert checked.name == "张三" and checked.phone == "+8613912345678"


def test_sixteen_today_is_old_enough():
    assert check_person(Person("张三", TURNS_16_TODAY, PHONE), TODAY).ok
    assert fields(check_person(Person("张三", TURNS_16_TODAY, PHONE), TODAY - timedelta(days=1)).problems) == [
        ("id_number", "id_number_too_young")]


@pytest.mark.parametrize("phone", ["12345", "", None, "10912345678", "1391234567", "139123456789", "+85213912345",
                                   "021-12345678"])
def test_phones_that_are_not_mainland_mobiles_are_refused(phone):
    checked = check_person(Person("张三", ID_A, phone), TODAY)
    assert fields(checked.problems) == [("phone", INVALID)]
    assert checked.phone is None


@pytest.mark.parametrize("raw", ["13912345678", "+8613912345678", "8613912345678", "139 1234 5678", "(139)1234-5678"])
def test_mobile_spellings_become_e164(raw):
    assert e164_mobile(raw) == "+8613912345678"


def test_every_problem_of_a_person_at_once_in_field_order():
    checked = check_person(Person("12345", BAD_CHECK, "12345"), TODAY)
    assert fields(checked.problems) == [("name", INVALID), ("id_number", "id_number_checksum"), ("phone", INVALID)]
    assert (checked.name, checked.phone, checked.id.ok) == (None, None, False)


def test_problems_carry_both_languages_and_never_the_value():
    values = ("路人甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
              "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥1", BAD_CHECK,
              "12399887766")
    checked = check_person(Person(*values), TODAY)
    assert len(checked.problems) == 3
    for p in checked.problems:
        assert p.en and p.zh and p.en != p.zh
        for value in values:
            assert value not in p.en and value not in p.zh
            assert value[6:14] not in p.en + p.zh


def test_the_module_is_pure():
    # Both the import (pure) and registration rely on these rules without an application or a database.
    import registry.workers.person as person

    source = Path(person.__file__).read_text(encoding="utf-8")
    for forbidden in ("flask", "sqlalchemy", "registry.errors", "..errors", "..extensions"):
        assert forbidden not in source


# --- the engagement -----------------------------------------------------------------------------------------------

def test_a_good_engagement_has_no_problem():
    assert check_engagement(engagement(), date(1990, 1, 1), TODAY) == []


def test_an_unknown_occupation_and_kind_are_each_refused():
    problems = check_engagement(engagement(occupation="chef", kind="contract"), date(1990, 1, 1), TODAY)
    assert fields(problems) == [("occupation", INVALID), ("employment_kind", INVALID)]
    assert "列表" in problems[0].zh and "labour_contract" in problems[1].en


def test_the_start_date_may_be_at_most_31_days_ahead():
    assert check_engagement(engagement(start_date=TODAY + timedelta(days=31)), date(1990, 1, 1), TODAY) == []
    (ahead,) = check_engagement(engagement(start_date=TODAY + timedelta(days=32)), date(1990, 1, 1), TODAY)
    assert (ahead.field, ahead.code) == ("start_date", INVALID) and "31" in ahead.en and "31" in ahead.zh


def test_the_start_date_may_not_be_before_the_sixteenth_birthday():
    birth = date(1990, 1, 1)
    assert check_engagement(engagement(start_date=date(2006, 1, 1)), birth, TODAY) == []
    (young,) = check_engagement(engagement(start_date=date(2005, 12, 31)), birth, TODAY)
    assert (young.field, young.code) == ("start_date", INVALID) and "16" in young.en and "16" in young.zh


def test_an_unknown_birth_date_leaves_only_the_start_dates_own_rule():
    assert check_engagement(engagement(start_date=date(1900, 1, 1)), None, TODAY) == []
    assert fields(check_engagement(engagement(start_date=TODAY + timedelta(days=40)), None, TODAY)) == [
        ("start_date", INVALID)]


def test_every_problem_of_an_engagement_at_once_one_per_field():
    problems = check_engagement(engagement(occupation="", kind="", start_date=TODAY + timedelta(days=400)),
                                date(2020, 1, 1), TODAY)
    # The start date breaks two rules here; its first (too far ahead) is the one reported.
    assert fields(problems) == [("occupation", INVALID), ("employment_kind", INVALID), ("start_date", INVALID)]
    assert "31" in problems[2].en
    assert all(isinstance(p, Problem) for p in problems)


def test_normal_name_collapses_spaces_or_says_none():
    assert normal_name(" Anna \t  Smith ") == "Anna Smith"
    assert normal_name("Anna1") is None
