"""China's official working days, and counting them (pure: no Flask, no database).

A decision must be public by the 7th working day after its date (双公示, 国发〔2016〕33号), counted on the official
calendar: Monday to Friday, except the off days of the year's schedule (the statutory holidays with the weekend
days moved into their blocks), plus the make-up working days (调休: Saturdays or Sundays worked instead). The
State Council publishes each year's schedule late in the year before.

A `Schedule` answers, per year, a `YearSchedule`: its off days, its make-up working days, and whether that is
official data. A year it was not given comes from its fallback — by default the built-in data
(`registry.calendar.builtin`: official where the chinesecalendar package has the year, otherwise weekends plus
the statutory holidays by rule, provisional). A count that crosses a year without official data is provisional.

`judge_year` checks a schedule an operator loads and returns every problem as data (field, English, Chinese).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

SATURDAY, SUNDAY = 5, 6
YEAR_MIN, YEAR_MAX = 2000, 2100
SOURCE_MAX = 200
_ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class YearSchedule:
    """One year's calendar: the off days and make-up working days that fall in it, and where they come from."""

    year: int
    holidays: frozenset[date]  # off days, whatever day of the week
    workdays: frozenset[date]  # make-up working days: weekend days that are working days
    official: bool
    source: str = ""

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < SATURDAY


@dataclass(frozen=True)
class Deadline:
    """A day counted in working days; `provisional` when a year the count crossed has no official data yet."""

    day: date
    provisional: bool


def weekends_only(year: int) -> YearSchedule:
    """A year of which nothing is known but its weekends: provisional."""
    return YearSchedule(year, frozenset(), frozenset(), official=False, source="")


class Schedule:
    """Year → its `YearSchedule`: the years given (loaded schedules), else the fallback's (built-in data)."""

    def __init__(self, years: Iterable[YearSchedule] = (),
                 fallback: Callable[[int], YearSchedule] | None = None):
        self._years = {y.year: y for y in years}
        if fallback is None:
            from .builtin import year_schedule as fallback
        self._fallback = fallback

    def year(self, year: int) -> YearSchedule:
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = self._fallback(year)
        return found

    def is_working_day(self, day: date) -> bool:
        return self.year(day.year).is_working_day(day)


def is_working_day(day: date, schedule: Schedule) -> bool:
    """Is `day` a working day on the official calendar (as far as `schedule` knows it)?"""
    return schedule.is_working_day(day)


def working_day_after(start: date, n: int, schedule: Schedule) -> Deadline:
    """The n-th working day after `start` (`start` itself not counted; it may be any day, a holiday too).

    n = 0 is `start` itself, and not provisional: nothing was counted. Provisional when any day examined —
    those after `start` up to the answer — lies in a year without official data.
    """
    return _step(start, n, schedule, _ONE_DAY)


def working_day_before(start: date, n: int, schedule: Schedule) -> Deadline:
    """The n-th working day before `start` (the mirror of `working_day_after`)."""
    return _step(start, n, schedule, -_ONE_DAY)


def add_working_days(start: date, n: int, schedule: Schedule) -> Deadline:
    """`start` moved by n working days: forward for n ≥ 0 (`working_day_after`), back for n < 0."""
    if n < 0:
        return working_day_before(start, -n, schedule)
    return working_day_after(start, n, schedule)


def _step(start: date, n: int, schedule: Schedule, step: timedelta) -> Deadline:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"count working days with a whole number ≥ 0, not {n!r}")
    day, provisional = start, False
    year = None
    while n:
        day += step
        if year is None or day.year != year.year:
            year = schedule.year(day.year)
            provisional = provisional or not year.official
        if year.is_working_day(day):
            n -= 1
    return Deadline(day, provisional)


# --- checking a schedule an operator loads ----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One field of a loaded schedule breaks a rule (the words name the values at fault)."""

    field: str
    en: str
    zh: str


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:19] + "…"


def _listed(values: list) -> str:
    shown = ", ".join(_short(v) for v in values[:5])
    return shown + (f" (+{len(values) - 5})" if len(values) > 5 else "")


def _dates(value, field: str, zh_name: str, en_name: str) -> tuple[list[date] | None, Problem | None]:
    """A list of ISO dates (or date objects) → the dates, or the field's problem."""
    if not isinstance(value, (list, tuple)):
        return None, Problem(field, f"Give the {en_name} as a list of dates (YYYY-MM-DD).",
                             f"{zh_name}应为日期列表（YYYY-MM-DD）。")
    out, bad = [], []
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            out.append(item)
            continue
        parsed = None
        if isinstance(item, str) and _ISO_DATE.match(item):
            try:
                parsed = date.fromisoformat(item)
            except ValueError:
                parsed = None
        if parsed is None:
            bad.append(item if isinstance(item, str) else repr(item))
        else:
            out.append(parsed)
    if bad:
        return None, Problem(field, f"Not a date (YYYY-MM-DD): {_listed(bad)}.",
                             f"不是有效日期（YYYY-MM-DD）：{_listed(bad)}。")
    twice = sorted({d for d in out if out.count(d) > 1})
    if twice:
        return None, Problem(field, f"Listed twice: {_listed(twice)}.", f"重复列出：{_listed(twice)}。")
    return out, None


def _year(value) -> tuple[int | None, Problem | None]:
    if isinstance(value, bool) or not isinstance(value, int) or not YEAR_MIN <= value <= YEAR_MAX:
        return None, Problem("year", f"Give the year as a whole number from {YEAR_MIN} to {YEAR_MAX}.",
                             f"年份应为 {YEAR_MIN} 至 {YEAR_MAX} 之间的整数。")
    return value, None


def _source(value) -> tuple[str | None, Problem | None]:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > SOURCE_MAX or not text.isprintable():
        return None, Problem("source", f"Name the notice the schedule comes from in 1–{SOURCE_MAX} characters "
                             "on one line, such as 国办发明电〔2026〕N号.",
                             f"请用一行 1–{SOURCE_MAX} 个字符写明安排的来源文件，例如 国办发明电〔2026〕N号。")
    return text, None


def _outside(field: str, days: list[date], year: int) -> Problem | None:
    elsewhere = sorted(d for d in days if d.year != year)
    if not elsewhere:
        return None
    return Problem(field, f"Not in {year}: {_listed(elsewhere)}.", f"不在 {year} 年内：{_listed(elsewhere)}。")


def judge_year(year, holidays, workdays, source) -> tuple[YearSchedule | None, list[Problem]]:
    """A loaded year's schedule (official), or None and every problem, at most one a field.

    Rules: a year from 2000 to 2100; off days and make-up days are dates (YYYY-MM-DD) in that year, each listed
    once; at least one off day (New Year's Day is always one); a make-up working day is a Saturday or a Sunday
    and is not also an off day. Off days may fall on any day of the week (a holiday block spans a weekend).
    """
    year, year_problem = _year(year)
    off, off_problem = _dates(holidays, "holidays", "放假日期", "off days")
    if off_problem is None and not off:
        off_problem = Problem("holidays", "List the year's off days: New Year's Day at least.",
                              "请列出该年的放假日期，至少包括元旦。")
    if off_problem is None and year is not None:
        off_problem = _outside("holidays", off, year)
    worked, worked_problem = _dates(workdays, "workdays", "调休上班日期", "make-up working days")
    if worked_problem is None and year is not None:
        worked_problem = _outside("workdays", worked, year)
    if worked_problem is None:
        weekdays = sorted(d for d in worked if d.weekday() < SATURDAY)
        if weekdays:
            worked_problem = Problem(
                "workdays", f"A make-up working day is a Saturday or Sunday; these are not: {_listed(weekdays)}.",
                f"调休上班日应为周六或周日，以下日期不是：{_listed(weekdays)}。")
    if worked_problem is None and off is not None:
        both = sorted(set(worked) & set(off))
        if both:
            worked_problem = Problem("workdays", f"Both an off day and a make-up working day: {_listed(both)}.",
                                     f"既是放假日期又是调休上班日期：{_listed(both)}。")
    text, source_problem = _source(source)
    problems = [p for p in (year_problem, off_problem, worked_problem, source_problem) if p is not None]
    if problems:
        return None, problems
    return YearSchedule(year, frozenset(off), frozenset(worked), official=True, source=text), []
