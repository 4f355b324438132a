"""The official working-day calendar the registry counts deadlines on, and the years operators load into it.

A decision must be public by the 7th working day after its date (双公示, 国发〔2016〕33号):

    from registry.calendar import services as calendar
    calendar.working_day_after(decided_on, 7)   # Deadline(day, provisional)

Each year's schedule is, in this order: the schedule an operator loaded (`calendar_years`, official), else the
built-in data (`builtin.py`: official for the years the chinesecalendar package has, otherwise weekends plus
the statutory holidays by rule, provisional). Nothing is cached across calls: the loaded rows are read (one
small query) every time a schedule is built, so a year loaded — in this process or another — counts at once,
and a provisional deadline becomes official, or moves, the moment its year is loaded. Deadlines are derived,
never stored. A caller counting many deadlines at once may build one `schedule()` and pass it as `using=`.

`load_schedule` is the one change: it stores a year's schedule (or a corrected one) and records `calendar:load`
as its last step; loading the identical schedule again changes nothing and writes nothing. It never commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .. import clock
from ..errors import ApiError
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded, record_change
from . import builtin, workdays
from .models import CalendarYear
from .workdays import Deadline, Schedule, YearSchedule, judge_year

__all__ = ["CLI_ACTOR", "Deadline", "Loaded", "Schedule", "YearSchedule", "add_working_days", "is_working_day",
           "load_schedule", "schedule", "working_day_after", "working_day_before", "year_schedule", "year_view"]

# The actor and `loaded_by` of a schedule loaded at the command line (`flask calendar load`).
CLI_ACTOR = "cli"


@dataclass(frozen=True)
class Loaded:
    row: CalendarYear
    recorded: Recorded | None  # None: the same schedule was loaded already; nothing changed or was written

    @property
    def changed(self) -> bool:
        return self.recorded is not None


def _as_year(year: int, holidays: list, made_up: list, source: str) -> YearSchedule:
    return YearSchedule(year, frozenset(map(date.fromisoformat, holidays)),
                        frozenset(map(date.fromisoformat, made_up)), official=True, source=source)


def loaded_years(years: Iterable[int] | None = None) -> list[YearSchedule]:
    """The schedules operators loaded (of `years`, or all), as read now."""
    c = CalendarYear.__table__.c
    query = select(c.year, c.holidays, c.workdays, c.source)
    if years is not None:
        query = query.where(c.year.in_(sorted(set(years))))
    return [_as_year(*row) for row in db.session.execute(query)]


def schedule(years: Iterable[int] | None = None) -> Schedule:
    """The calendar as it stands: the loaded years (of `years`, or all), the built-in data for any other."""
    return Schedule(loaded_years(years), fallback=builtin.year_schedule)


def year_schedule(year: int) -> YearSchedule:
    """One year's schedule as the registry counts it now (loaded, else built-in)."""
    return schedule([year]).year(year)


def is_working_day(day: date, *, using: Schedule | None = None) -> bool:
    return workdays.is_working_day(day, schedule([day.year]) if using is None else using)


def working_day_after(start: date, n: int, *, using: Schedule | None = None) -> Deadline:
    """The n-th working day after `start` (not counting `start`); provisional while a year crossed is unofficial."""
    return workdays.working_day_after(start, n, schedule() if using is None else using)


def working_day_before(start: date, n: int, *, using: Schedule | None = None) -> Deadline:
    return workdays.working_day_before(start, n, schedule() if using is None else using)


def add_working_days(start: date, n: int, *, using: Schedule | None = None) -> Deadline:
    """`start` moved by n working days, forward (n ≥ 0) or back (n < 0)."""
    return workdays.add_working_days(start, n, schedule() if using is None else using)


def loaded_row(year: int) -> CalendarYear | None:
    return db.session.execute(select(CalendarYear).where(CalendarYear.year == year)).scalar_one_or_none()


def year_view(year: int) -> dict:
    """What `flask calendar show` prints: the year's off days and make-up days, whether official, from where."""
    row = loaded_row(year)
    y = year_schedule(year)
    return {"year": year, "official": y.official, "source": y.source, "loaded": row is not None,
            "loaded_by": row.loaded_by if row else None, "loaded_dt": row.loaded_dt if row else None,
            "holidays": sorted(y.holidays), "workdays": sorted(y.workdays)}


def load_schedule(ring: KeyRing, *, actor: str, year, holidays, workdays, source) -> Loaded:
    """Store `year`'s official schedule (or correct it); it overrides the built-in data for that year at once.

    `holidays` are the off days and `workdays` the make-up working days, as ISO dates (or dates); `source` names
    the notice. Every problem is refused at once, 422 `invalid_input` naming each field at fault; nothing is
    stored. The identical schedule (same days, same source) loaded again answers `changed` False and writes
    nothing; anything different updates the row (`loaded_by` = `actor`, `loaded_dt` now) and records
    `calendar:load` by `actor`.
    """
    checked, problems = judge_year(year, holidays, workdays, source)
    if problems:
        raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                       {p.field: {"en": p.en, "zh": p.zh} for p in problems})
    off = [d.isoformat() for d in sorted(checked.holidays)]
    worked = [d.isoformat() for d in sorted(checked.workdays)]
    row = loaded_row(checked.year)
    if row is not None and (row.holidays, row.workdays, row.source) == (off, worked, checked.source):
        return Loaded(row, None)
    if row is None:
        row = CalendarYear(year=checked.year)
        db.session.add(row)
    row.holidays, row.workdays, row.source = off, worked, checked.source
    row.loaded_by = actor
    row.loaded_dt = clock.now()
    return Loaded(row, record_change(ring, actor=actor, action=Action.CALENDAR_LOAD, aggregate=row))
