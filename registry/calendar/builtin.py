"""The built-in working-day calendars, from two maintained packages (pure: no Flask, no database).

- **Official years**: the years the `chinesecalendar` package (import name `chinese_calendar`) holds the State
  Council's published schedule for — each year's off days (the statutory holidays with the weekend days moved
  into their blocks) and make-up working days (调休: the weekend days worked instead). Which years those are is
  read from the package's own data when this module is imported (2004–2026 in chinesecalendar 1.11.0), never
  written down here, so a newer pinned version extends them by itself.
- **Any other year** is provisional: weekends plus the statutory holidays computed by rule by the `holidays`
  package (`holidays.China(years=Y)`: New Year, the Spring Festival from its eve, Qingming, Labour Day, the
  Dragon Boat and Mid-Autumn festivals, National Day, each moved to the next working day when it falls on a
  weekend, as 《全国年节及纪念日放假办法》 says), and no make-up working days — those exist only once the
  State Council publishes the year's schedule, which an operator then loads (`flask calendar load`).

`year_schedule(year)` is the one entry point; it is cached, and the packages' data never change while the
process runs.
"""
from __future__ import annotations

import importlib.metadata
from datetime import date
from functools import lru_cache

import chinese_calendar
import holidays as holidays_pkg

from .workdays import YearSchedule

CHINESE_CALENDAR_VERSION = importlib.metadata.version("chinesecalendar")
HOLIDAYS_VERSION = importlib.metadata.version("holidays")


def _official_data() -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    """Year → (off days, make-up working days) as chinese_calendar holds them, grouped by each date's year."""
    off: dict[int, set[date]] = {}
    worked: dict[int, set[date]] = {}
    for day in chinese_calendar.holidays:
        off.setdefault(day.year, set()).add(day)
    for day in chinese_calendar.workdays:
        worked.setdefault(day.year, set()).add(day)
    return {year: (frozenset(off[year]), frozenset(worked.get(year, ()))) for year in off}


_OFFICIAL = _official_data()
# The years the package answers for: it refuses any other (NotImplementedError), and every year in its
# range has its schedule. Checked here, at import, so a package that lost a year fails loudly.
OFFICIAL_FIRST, OFFICIAL_LAST = min(_OFFICIAL), max(_OFFICIAL)
OFFICIAL_YEARS = range(OFFICIAL_FIRST, OFFICIAL_LAST + 1)
if set(OFFICIAL_YEARS) != set(_OFFICIAL):  # pragma: no cover - a broken package, not a state we run in
    raise RuntimeError(f"chinesecalendar {CHINESE_CALENDAR_VERSION}: a year between {OFFICIAL_FIRST} and "
                       f"{OFFICIAL_LAST} has no holidays")

OFFICIAL_SOURCE = f"chinesecalendar {CHINESE_CALENDAR_VERSION} (国务院办公厅 关于部分节假日安排的通知)"
PROVISIONAL_SOURCE = f"holidays {HOLIDAYS_VERSION}: 法定节假日按规则推定，无调休 (statutory holidays by rule)"


@lru_cache(maxsize=256)
def year_schedule(year: int) -> YearSchedule:
    """The built-in schedule of `year`: official where chinese_calendar has it, provisional otherwise."""
    if year in _OFFICIAL:
        off, worked = _OFFICIAL[year]
        return YearSchedule(year, off, worked, official=True, source=OFFICIAL_SOURCE)
    return provisional_year(year)


@lru_cache(maxsize=256)
def provisional_year(year: int) -> YearSchedule:
    """Weekends plus the statutory holidays by rule (`holidays.China`), no make-up days: provisional.

    Outside the years the `holidays` package computes (1950–2100) this is weekends alone.
    """
    by_rule = holidays_pkg.China(years=year)
    off = frozenset(day for day in by_rule if day.year == year)
    return YearSchedule(year, off, frozenset(), official=False, source=PROVISIONAL_SOURCE)
