"""The registry's one clock: the current moment (UTC) and today's date (Asia/Shanghai).

Every date and time the registry stores or judges by comes from `now()` or
`today()`, so tests can move them through one seam: `follow(path)` makes the
clock read a small JSON file — `{"offset_seconds": …}` to shift real time, or
`{"frozen": "<ISO 8601 moment>"}` to stop it — re-read whenever the file
changes, so a test can move the date of a server it started between two
steps of a journey. `create_app` follows the file named by REGISTRY_TEST_CLOCK
only in test mode; production never sets it and pays one `is None` test.
Protocol timers (TOTP steps, rate-limit windows, the job scheduler's slot
numbers) keep real time; the leases of jobs and tasks are stored times and
follow the clock.
"""
from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_file: str | None = None
# ((mtime_ns, size) of the file last read, offset, frozen moment): one tuple, so
# the live server's threads never see half of a change.
_REAL = (None, timedelta(0), None)
_state: tuple = _REAL


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    real = datetime.now(UTC)
    if _file is None:
        return real
    _seen, offset, frozen = _reread()
    return frozen if frozen is not None else real + offset


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return local_date(now())


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai date of a moment (the day statuses are judged for)."""
    return moment.astimezone(SHANGHAI).date()


def add_years(d: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in common years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def add_months(d: date, months: int) -> date:
    """The same day `months` later; a day the target month lacks becomes its last day (31 January + 1 = 28/29 February).

    The civil code's rule for periods counted in months (民法典 art. 203; docs/rules.md, "Dates").
    """
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if month == 12:
        last = 31
    else:
        last = (date(year, month + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def follow(path: str | os.PathLike | None) -> None:
    """Test seam: take the time from the JSON file at `path` from now on; None goes back to real time."""
    global _file, _state
    _file = None if path is None else os.fspath(path)
    _state = _REAL


def followed() -> str | None:
    """The clock file followed now (None: real time), so a step back in time can be undone (registry/demo.py)."""
    return _file


def _reread() -> tuple:
    global _state
    try:
        st = os.stat(_file)
    except FileNotFoundError:
        _state = _REAL
        return _state
    seen = (st.st_mtime_ns, st.st_size)
    if seen == _state[0]:
        return _state
    with open(_file, encoding="utf-8") as fh:
        data = json.load(fh)
    frozen = data.get("frozen")
    _state = (seen, timedelta(seconds=float(data.get("offset_seconds", 0))),
              datetime.fromisoformat(frozen).astimezone(UTC) if frozen else None)
    return _state
