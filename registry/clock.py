"""Calendar dates are Asia/Shanghai dates (docs/rules.md, "Dates")."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return datetime.now(SHANGHAI).date()


def add_years(d: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in common years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)
