"""Retention rules (PIPL art. 19, 47): how long each kind of personal data is kept, and what is due on a day.

Pure: periods come in as a `Periods` (from config: `periods_from`), days as arguments. Every period counts from a
day (the last employment's end, a row's local creation date) and ends on the same day `years` later or `days`
later (`clock.add_years`: 29 February → 28 February); the thing is kept through the day before and is due on that
day. docs/privacy.md, "Retention and erasure", gives each default its reason.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..clock import SHANGHAI, add_years, local_date

# Why a worker's personal data was erased: the retention job's basis, and those a lawful request may give
# (PIPL art. 47: the purpose met or no longer needed, consent withdrawn, processing in breach of law, and the
# person's request or an authority's order in those cases). code → (zh, en).
RETENTION_BASIS = "retention_period"
ERASURE_BASES: dict[str, tuple[str, str]] = {
    RETENTION_BASIS: ("保存期限届满", "The retention period ended"),
    "subject_request": ("本人依法请求删除", "The person's lawful request for deletion"),
    "purpose_achieved": ("处理目的已实现或不再必要", "The purpose is met or no longer needs the data"),
    "consent_withdrawn": ("本人撤回同意", "The person withdrew their consent"),
    "unlawful_processing": ("违反法律、行政法规处理", "Processed in breach of a law or regulation"),
    "authority_order": ("法院或主管机关决定", "A court's or competent authority's decision"),
}
# A lawful request gives one of these; the retention job alone gives RETENTION_BASIS.
LAWFUL_BASES = tuple(code for code in ERASURE_BASES if code != RETENTION_BASIS)
REFERENCE_MAX = 100


@dataclass(frozen=True)
class Periods:
    """The retention periods (docs/privacy.md gives each default's reason)."""

    # A worker with no employment for this long has their name, ID number, phone and photo erased.
    worker_years: int = 5
    # An uploaded staff file (and its validated rows) is deleted this long after upload.
    staff_file_days: int = 30
    # Each row of a worker's access record, and each household query record, is deleted this long after it was made.
    access_record_years: int = 3
    household_query_years: int = 3


def periods_from(config: Mapping) -> Periods:
    """The periods the application is configured with (REGISTRY_RETENTION_* settings)."""
    return Periods(worker_years=int(config["RETENTION_WORKER_YEARS"]),
                   staff_file_days=int(config["RETENTION_STAFF_FILE_DAYS"]),
                   access_record_years=int(config["RETENTION_ACCESS_RECORD_YEARS"]),
                   household_query_years=int(config["RETENTION_HOUSEHOLD_QUERY_YEARS"]))


def check_periods(periods: Periods) -> list[str]:
    """What is wrong with configured periods (each must be at least 1); [] when all are usable."""
    return [f"{name} must be at least 1" for name, value in vars(periods).items() if int(value) < 1]


# --- a worker's personal data ------------------------------------------------------------------------------------

def worker_kept_from(employment_ends: list[date | None], registered_on: date) -> date | None:
    """The day a worker's retention period starts: their last employment's end. None while any employment is open
    (None among `employment_ends`): nothing is due while the registry's purpose lasts. A worker with no
    employment at all (none should exist) counts from the day they were registered."""
    if any(end is None for end in employment_ends):
        return None
    return max(employment_ends, default=registered_on)


def worker_erasure_day(kept_from: date | None, periods: Periods) -> date | None:
    """The day the worker's personal data is due for erasure (kept through the day before); None: not while
    employed."""
    return None if kept_from is None else add_years(kept_from, periods.worker_years)


def worker_due(kept_from: date | None, today: date, periods: Periods) -> bool:
    day = worker_erasure_day(kept_from, periods)
    return day is not None and day <= today


def last_due_end(today: date, periods: Periods) -> date:
    """The latest last-employment end that is due today: a worker whose employments all ended on or before it is
    due (the SQL side of `worker_due`)."""
    return last_day_due(today, years=periods.worker_years)


# --- rows kept for a period from the day they were made -----------------------------------------------------------

def last_day_due(today: date, *, years: int = 0, days: int = 0) -> date:
    """The latest day D for which "D plus the period" is today or earlier: what was made on D or before is due."""
    if days:
        return today - timedelta(days=days)
    d = add_years(today, -years)
    # 28 February of a common year: 29 February `years` earlier ends on it too.
    while add_years(d + timedelta(days=1), years) <= today:
        d += timedelta(days=1)
    return d


def made_before(today: date, *, years: int = 0, days: int = 0) -> datetime:
    """The moment (UTC) before which a row made is due today: the start (Asia/Shanghai) of the day after
    `last_day_due`."""
    day = last_day_due(today, years=years, days=days) + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(UTC)


def row_due(made: datetime, today: date, *, years: int = 0, days: int = 0) -> bool:
    """Whether a row made at `made` is due for deletion today (the Python side of `made_before`)."""
    return local_date(made) <= last_day_due(today, years=years, days=days)


def kept_until(made_on: date, *, years: int = 0, days: int = 0) -> date:
    """The last day something made (or whose period starts) on `made_on` is kept."""
    end = made_on + timedelta(days=days) if days else add_years(made_on, years)
    return end - timedelta(days=1)


# --- what the worker is told ----------------------------------------------------------------------------------------

def own_retention(employment_ends: list[date | None], registered_on: date, periods: Periods) -> dict:
    """What the worker's own page says is kept and until when: the name, ID number, phone and photo until the day
    before their erasure day (None while employed: `worker_years` after the last employment ends), each access
    record `access_record_years` from the day it was written; the record itself and its log entries for good."""
    kept_from = worker_kept_from(employment_ends, registered_on)
    day = worker_erasure_day(kept_from, periods)
    return {"employed": kept_from is None, "worker_years": periods.worker_years,
            "personal_until": None if day is None else day - timedelta(days=1),
            "access_record_years": periods.access_record_years}
