"""The pure working-day calendar: counting across holidays and make-up days, against both packages' data."""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest

from registry.calendar import builtin
from registry.calendar.workdays import (
    Deadline,
    Schedule,
    YearSchedule,
    add_working_days,
    is_working_day,
    judge_year,
    weekends_only,
    working_day_after,
    working_day_before,
)

BUILT_IN = Schedule()


def days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def d(text: str) -> date:
    return date.fromisoformat(text)


# The reference: chinesecalendar's own answer for every day it knows, asked once.
REFERENCE = {day: chinese_calendar.is_workday(day) for day in days(date(2004, 1, 1), date(2026, 12, 31))}


# --- the 2026 data: what the packages say, and that they agree -----------------------------------------


def test_the_2026_spring_festival_as_the_packages_have_it():
    """2026: 15–23 February off; Saturdays 14 and 28 February are make-up working days."""
    y = builtin.year_schedule(2026)
    assert y.official
    assert set(days(d("2026-02-15"), d("2026-02-23"))) <= y.holidays
    assert {d("2026-02-14"), d("2026-02-28")} <= y.workdays
    assert [x.weekday() for x in (d("2026-02-14"), d("2026-02-28"))] == [5, 5]
    assert [is_working_day(x, BUILT_IN) for x in days(d("2026-02-12"), d("2026-03-02"))] == [
        True, True, True,  # Thu 12, Fri 13, Sat 14 (make-up)
        False, False, False, False, False, False, False, False, False,  # Sun 15 … Mon 23
        True, True, True, True, True,  # Tue 24 … Sat 28 (make-up)
        False, True,  # Sun 1 March, Mon 2
    ]


def test_the_2026_national_day_as_the_packages_have_it():
    """2026: 1–7 October off (and Mid-Autumn 25–27 September); make-up days Sunday 20 September, Saturday 10 October."""
    y = builtin.year_schedule(2026)
    assert set(days(d("2026-10-01"), d("2026-10-07"))) <= y.holidays
    assert set(days(d("2026-09-25"), d("2026-09-27"))) <= y.holidays
    assert {d("2026-09-20"), d("2026-10-10")} <= y.workdays
    assert d("2026-09-20").weekday() == 6 and d("2026-10-10").weekday() == 5
    # The whole of 2026's make-up days, as chinesecalendar 1.11.0 has them.
    assert sorted(y.workdays) == [d("2026-01-04"), d("2026-02-14"), d("2026-02-28"), d("2026-05-09"),
                                  d("2026-09-20"), d("2026-10-10")]


def test_both_packages_agree_on_every_day_of_2026():
    """chinesecalendar (our official data) and holidays (with its 2026 make-up days) give the same working days."""
    by_holidays = holidays.China(years=2026)
    assert {x for x in by_holidays.weekend_workdays if x.year == 2026} == builtin.year_schedule(2026).workdays
    for day in days(d("2026-01-01"), d("2026-12-31")):
        assert is_working_day(day, BUILT_IN) == by_holidays.is_working_day(day) == chinese_calendar.is_workday(day), day


def test_the_packages_agree_on_every_official_day_but_one():
    """Across 2004–2026 they differ on one day only, 2005-12-31 (a Saturday before the 2006 New Year), where we
    follow chinesecalendar: off. A package update that changes this is worth a look."""
    differ = []
    for year in builtin.OFFICIAL_YEARS:
        by_holidays = holidays.China(years=year)
        differ += [x for x in days(date(year, 1, 1), date(year, 12, 31))
                   if by_holidays.is_working_day(x) != is_working_day(x, BUILT_IN)]
    assert differ == [d("2005-12-31")]
    assert not is_working_day(d("2005-12-31"), BUILT_IN)


def test_the_built_in_data_is_chinese_calendar_s_on_every_official_day():
    assert builtin.OFFICIAL_YEARS == range(2004, 2027)
    for day in days(date(2004, 1, 1), date(2026, 12, 31)):
        assert is_working_day(day, BUILT_IN) == REFERENCE[day], day


# --- counting ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "n", "expected"), [
    # Across the 2026 Spring Festival: Fri 13, Sat 14 (make-up), Tue 24 … Sat 28 (make-up).
    ("2026-02-12", 7, "2026-02-28"),
    ("2026-02-12", 1, "2026-02-13"),
    ("2026-02-13", 1, "2026-02-14"),  # a make-up Saturday counts
    ("2026-02-14", 1, "2026-02-24"),
    # A start on a holiday: the count begins after it.
    ("2026-02-17", 1, "2026-02-24"),
    ("2026-02-17", 7, "2026-03-03"),
    ("2026-02-15", 5, "2026-02-28"),
    # Across Mid-Autumn and National Day 2026.
    ("2026-09-18", 7, "2026-09-29"),  # Sun 20 (make-up), 21–24, [25–27 off], 28, 29
    ("2026-09-19", 1, "2026-09-20"),  # a make-up Sunday counts
    ("2026-09-28", 7, "2026-10-13"),  # 29, 30, [1–7 off], 8, 9, Sat 10 (make-up), 12, 13
    ("2026-10-03", 1, "2026-10-08"),
    ("2026-10-09", 1, "2026-10-10"),
    ("2026-10-10", 1, "2026-10-12"),
    # An ordinary week: Friday + 1 is Monday.
    ("2026-11-20", 1, "2026-11-23"),
    ("2026-11-20", 7, "2026-12-01"),
])
def test_the_nth_working_day_after(start, n, expected):
    assert working_day_after(d(start), n, BUILT_IN) == Deadline(d(expected), provisional=False)


def test_n_zero_is_the_start_itself_even_on_a_holiday_and_never_provisional():
    for start in ("2026-02-17", "2026-02-14", "2026-11-23", "2030-01-01"):
        assert working_day_after(d(start), 0, BUILT_IN) == Deadline(d(start), False)
        assert working_day_before(d(start), 0, BUILT_IN) == Deadline(d(start), False)


def test_counting_back_mirrors_counting_forward():
    assert working_day_before(d("2026-02-24"), 1, BUILT_IN) == Deadline(d("2026-02-14"), False)
    assert add_working_days(d("2026-02-28"), -7, BUILT_IN) == Deadline(d("2026-02-12"), False)
    assert add_working_days(d("2026-02-12"), 7, BUILT_IN) == Deadline(d("2026-02-28"), False)


@pytest.mark.parametrize("n", [-1, 1.5, True, "7", None])
def test_a_count_that_is_not_a_whole_number_from_zero_is_refused(n):
    with pytest.raises(ValueError, match="whole number"):
        working_day_after(d("2026-02-12"), n, BUILT_IN)


def next_working_days(start: date, count: int) -> list[date]:
    """The reference's first `count` working days after `start`, walking day by day."""
    out, day = [], start
    while len(out) < count:
        day += timedelta(days=1)
        if REFERENCE[day]:
            out.append(day)
    return out


def test_every_start_of_2024_to_2026_and_every_count_to_15_matches_the_reference():
    for start in days(date(2024, 1, 1), date(2026, 12, 1)):
        expected = [start, *next_working_days(start, 15)]
        for n in range(16):
            got = working_day_after(start, n, BUILT_IN)
            assert got == Deadline(expected[n], False), (start, n)
            if n:
                # Counting back n from the answer lands on or before the start, never after it.
                assert working_day_before(expected[n], n, BUILT_IN).day <= start


def test_the_seventh_working_day_after_every_official_day_matches_the_reference():
    for start in days(date(2004, 1, 1), date(2026, 12, 18)):
        assert working_day_after(start, 7, BUILT_IN).day == next_working_days(start, 7)[-1], start


# --- provisional years ---------------------------------------------------------------------------------


def test_2027_is_provisional_weekends_and_statutory_holidays_by_rule_without_make_up_days():
    y = builtin.year_schedule(2027)
    assert not y.official and y.workdays == frozenset()
    assert y.holidays == frozenset(holidays.China(years=2027))
    assert d("2027-01-01") in y.holidays  # New Year, a Friday
    assert d("2027-02-06") in y.holidays  # the Spring Festival's first day
    assert {d("2027-10-01"), d("2027-10-02"), d("2027-10-03")} <= y.holidays
    assert "holidays" in y.source


def test_a_count_crossing_into_a_year_without_official_data_is_provisional():
    # Tue 29, Wed 30, Thu 31 in 2026 (official): not provisional.
    assert working_day_after(d("2026-12-28"), 3, BUILT_IN) == Deadline(d("2026-12-31"), False)
    # On into 2027: New Year off (by rule), then Mon 4 … Thu 7.
    assert working_day_after(d("2026-12-28"), 7, BUILT_IN) == Deadline(d("2027-01-07"), True)
    # Within 2027 alone, provisional too; back into 2026 from 2027, as well.
    assert working_day_after(d("2027-03-01"), 1, BUILT_IN).provisional
    assert working_day_before(d("2027-01-04"), 1, BUILT_IN) == Deadline(d("2026-12-31"), True)


def test_years_beyond_the_holidays_package_are_weekends_alone():
    y = builtin.year_schedule(2101)
    assert (y.official, y.holidays, y.workdays) == (False, frozenset(), frozenset())
    assert working_day_after(d("2101-01-07"), 1, BUILT_IN) == Deadline(d("2101-01-10"), True)  # Fri → Mon


def test_a_loaded_year_overrides_the_built_in_data_and_is_official():
    loaded = YearSchedule(2027, frozenset(days(d("2027-02-05"), d("2027-02-13"))) | {d("2027-01-01")},
                          frozenset({d("2027-02-14"), d("2027-02-20")}), official=True, source="国办发明电〔2026〕N号")
    with_2027 = Schedule([loaded])
    # Provisionally: Thu 4, [Fri 5 – Wed 10 off by rule], Thu 11, Fri 12, Mon 15 … Thu 18.
    assert working_day_after(d("2027-02-03"), 7, BUILT_IN) == Deadline(d("2027-02-18"), True)
    # Loaded: Thu 4, [5–13 off], Sun 14 (make-up), Mon 15 … Fri 19.
    assert working_day_after(d("2027-02-03"), 7, with_2027) == Deadline(d("2027-02-19"), False)
    assert is_working_day(d("2027-02-14"), with_2027) and not is_working_day(d("2027-02-14"), BUILT_IN)
    # Other years still come from the built-in data.
    assert with_2027.year(2026) == builtin.year_schedule(2026)


def test_a_schedule_s_fallback_decides_the_years_it_was_not_given():
    bare = Schedule(fallback=weekends_only)
    assert is_working_day(d("2026-10-01"), bare)  # a Thursday: no holiday known
    assert working_day_after(d("2026-10-01"), 1, bare) == Deadline(d("2026-10-02"), True)


# --- judging a schedule an operator loads --------------------------------------------------------------

GOOD = {"year": 2027, "holidays": ["2027-01-01", "2027-02-05", "2027-02-06"], "workdays": ["2027-02-20"],
        "source": " 国办发明电〔2026〕N号 "}


def judged(**changes):
    args = {**GOOD, **changes}
    return judge_year(args["year"], args["holidays"], args["workdays"], args["source"])


def problems(**changes) -> dict[str, str]:
    checked, found = judged(**changes)
    assert (checked is None) == bool(found)
    return {p.field: p.en for p in found}


def test_a_good_schedule_is_taken_as_official_with_its_source_trimmed():
    checked, found = judged()
    assert found == []
    assert checked == YearSchedule(2027, frozenset({d("2027-01-01"), d("2027-02-05"), d("2027-02-06")}),
                                   frozenset({d("2027-02-20")}), official=True, source="国办发明电〔2026〕N号")
    # Dates may be given as dates too; make-up days may be none; off days may fall on a weekend.
    assert judged(holidays=[date(2027, 1, 1), date(2027, 1, 2)], workdays=[])[1] == []


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"year": 1999}, "year", "2000 to 2100"),
    ({"year": 2101}, "year", "2000 to 2100"),
    ({"year": "2027"}, "year", "whole number"),
    ({"year": True}, "year", "whole number"),
    ({"year": 2027.0}, "year", "whole number"),
    ({"holidays": "2027-01-01"}, "holidays", "list of dates"),
    ({"holidays": []}, "holidays", "New Year's Day at least"),
    ({"holidays": ["2027-1-1"]}, "holidays", "Not a date (YYYY-MM-DD): 2027-1-1."),
    ({"holidays": ["20270101"]}, "holidays", "Not a date"),
    ({"holidays": ["2027-02-30"]}, "holidays", "Not a date (YYYY-MM-DD): 2027-02-30."),
    ({"holidays": [20270101]}, "holidays", "Not a date (YYYY-MM-DD): 20270101."),
    ({"holidays": ["x" * 5000]}, "holidays", "Not a date (YYYY-MM-DD): xxxxxxxxxxxxxxxxxxx…."),
    ({"holidays": ["2027-01-01", "2027-01-01"]}, "holidays", "Listed twice: 2027-01-01."),
    ({"holidays": ["2026-12-31", "2027-01-01"]}, "holidays", "Not in 2027: 2026-12-31."),
    ({"workdays": None}, "workdays", "list of dates"),
    ({"workdays": ["2027-02-19"]}, "workdays", "Saturday or Sunday; these are not: 2027-02-19."),
    ({"workdays": ["2028-01-08"]}, "workdays", "Not in 2027: 2028-01-08."),
    ({"workdays": ["2027-02-06"]}, "workdays", "Both an off day and a make-up working day: 2027-02-06."),
    ({"source": ""}, "source", "Name the notice"),
    ({"source": "   "}, "source", "Name the notice"),
    ({"source": "国办\n发明电"}, "source", "on one line"),
    ({"source": "x" * 201}, "source", "1–200 characters"),
    ({"source": None}, "source", "Name the notice"),
])
def test_each_broken_rule_is_named_on_its_field(changes, field, words):
    found = problems(**changes)
    assert list(found) == [field]
    assert words in found[field]


def test_every_problem_is_named_at_once_in_both_languages():
    checked, found = judge_year(1999, ["x"], ["2027-02-19"], "")
    assert checked is None
    assert [p.field for p in found] == ["year", "holidays", "workdays", "source"]
    assert all(p.zh and p.en and p.zh != p.en for p in found)


def test_a_long_list_of_bad_values_is_shortened():
    found = problems(workdays=[f"2027-03-{day:02d}" for day in range(1, 11)])  # ten days, all but two weekdays
    assert found["workdays"].endswith("2027-03-01, 2027-03-02, 2027-03-03, 2027-03-04, 2027-03-05 (+3).")
