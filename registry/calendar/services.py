"""Placeholder: weekends only, every deadline provisional (replaced by the calendar branch)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Deadline:
    day: date
    provisional: bool


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def working_day_after(start: date, n: int) -> Deadline:
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return Deadline(day, True)
