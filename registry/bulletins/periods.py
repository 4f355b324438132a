"""Bulletin periods: calendar months ("2026-11") and ISO weeks ("2026-W48"), in Asia/Shanghai dates (pure).

A bulletin covers one period and may be published only once that period has ended where the registry's dates are
judged, in Shanghai: a period ends at 00:00 +08:00 on the day after its last day (China keeps no daylight saving, so
that is always 16:00 UTC on the last day). The hourly schedule asks `ended` which periods since a given date are
over and queues each one it has not yet published.

Every `Period` is one that `parse` accepts back from its key: years 2000–2999 (for a week, its ISO year: 2000-01-01
lies in 1999-W52, which is out of range). Asking for a period outside that range is a `ValueError`, never a period
whose key would not round-trip.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..clock import SHANGHAI

MONTH, WEEK = "month", "week"
KINDS = (MONTH, WEEK)
YEAR_MIN, YEAR_MAX = 2000, 2999
# ASCII digits only: `\d` would also take full-width and other Unicode digits; `\Z`, unlike `$`, refuses a final
# newline.
_MONTH_KEY = re.compile(r"\A([0-9]{4})-([0-9]{2})\Z")
_WEEK_KEY = re.compile(r"\A([0-9]{4})-W([0-9]{2})\Z")
_EXPECTED = 'expected a month "YYYY-MM" (e.g. "2026-11") or an ISO week "YYYY-Www" (e.g. "2026-W48")'
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """One bulletin period: its text key, its first and last days (inclusive), and the instant it ends."""

    kind: str  # "month" | "week"
    key: str  # "2026-11" | "2026-W48"
    first: date
    last: date
    ends_at: datetime  # 00:00 Asia/Shanghai on the day after `last`, timezone-aware

    def __str__(self) -> str:
        return self.key


def _period(kind: str, key: str, first: date, last: date) -> Period:
    return Period(kind, key, first, last, datetime.combine(last + _ONE_DAY, time(0), tzinfo=SHANGHAI))


def _check_year(year: int, what: str) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueError(f"{what}: the year must be {YEAR_MIN}–{YEAR_MAX}, not {year}")


def _month(year: int, month: int) -> Period:
    _check_year(year, f"month {year:04d}-{month:02d}")
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return _period(MONTH, f"{year:04d}-{month:02d}", first, following - _ONE_DAY)


def _week(iso_year: int, week: int) -> Period:
    _check_year(iso_year, f"week {iso_year:04d}-W{week:02d}")
    first = date.fromisocalendar(iso_year, week, 1)
    return _period(WEEK, f"{iso_year:04d}-W{week:02d}", first, first + timedelta(days=6))


def _weeks_in(iso_year: int) -> int:
    """52 or 53: 28 December always lies in the ISO year's last week."""
    return date(iso_year, 12, 28).isocalendar().week


def parse(text: str) -> Period:
    """The period a key names: exactly "YYYY-MM" (01–12) or "YYYY-Www" (W01 to the year's last ISO week)."""
    if not isinstance(text, str):
        raise ValueError(f"{_EXPECTED}, not {type(text).__name__}")
    if m := _MONTH_KEY.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r}: the month must be 01–12; {_EXPECTED}")
        return _month(year, month)
    if m := _WEEK_KEY.match(text):
        year, week = int(m[1]), int(m[2])
        _check_year(year, repr(text))
        last_week = _weeks_in(year)
        if not 1 <= week <= last_week:
            raise ValueError(f"{text!r}: ISO year {year} has weeks W01–W{last_week}; {_EXPECTED}")
        return _week(year, week)
    raise ValueError(f"{text!r}: {_EXPECTED}")


def month_of(day: date) -> Period:
    """The calendar month containing a date."""
    return _month(day.year, day.month)


def week_of(day: date) -> Period:
    """The ISO week (Monday to Sunday) containing a date; its key carries the ISO year (2025-12-29 is 2026-W01)."""
    iso = day.isocalendar()
    return _week(iso.year, iso.week)


def _of(kind: str) -> Callable[[date], Period]:
    if kind == MONTH:
        return month_of
    if kind == WEEK:
        return week_of
    raise ValueError(f"unknown period kind {kind!r}: expected one of {', '.join(KINDS)}")


def previous(period: Period) -> Period:
    """The period of the same kind just before (December before January, the last ISO week before W01)."""
    return _of(period.kind)(period.first - _ONE_DAY)


def _following(period: Period) -> Period | None:
    """The period of the same kind just after, or None past the last year a key can name."""
    try:
        return _of(period.kind)(period.last + _ONE_DAY)
    except ValueError:
        return None


def ended(kind: str, now: datetime, since: date) -> list[Period]:
    """Every `kind` period from the one containing `since` on that has ended by `now`, oldest first.

    A period has ended when `now` is at or after its `ends_at`: 16:00 UTC on its last day is 00:00 in Shanghai the
    next day, so it counts; a microsecond earlier does not. `now` must be timezone-aware (a naive time would be read
    in whatever zone the server happens to run in).
    """
    of = _of(kind)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be a timezone-aware datetime, not the naive {now.isoformat()}")
    now = now.astimezone(SHANGHAI)
    found: list[Period] = []
    period: Period | None = of(since)
    while period is not None and period.ends_at <= now:
        found.append(period)
        period = _following(period)
    return found
