"""Bulletin periods: keys that round-trip, keys refused with a reason, ISO weeks across year ends, month ends,
and the instant a period ends in Shanghai (which the hourly schedule queues on)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from registry.bulletins import periods
from registry.bulletins.periods import Period, ended, month_of, parse, previous, week_of
from registry.clock import SHANGHAI

D = date.fromisoformat
US = timedelta(microseconds=1)


def shanghai_midnight(day: str) -> datetime:
    return datetime.combine(D(day), datetime.min.time(), tzinfo=SHANGHAI)


# --- parse: the keys, both ways ------------------------------------------------------------------


@pytest.mark.parametrize(("key", "kind", "first", "last"), [
    ("2026-11", "month", "2026-11-01", "2026-11-30"),
    ("2026-01", "month", "2026-01-01", "2026-01-31"),
    ("2026-12", "month", "2026-12-01", "2026-12-31"),
    ("2026-02", "month", "2026-02-01", "2026-02-28"),
    ("2024-02", "month", "2024-02-01", "2024-02-29"),  # leap year
    ("2000-02", "month", "2000-02-01", "2000-02-29"),  # divisible by 400: leap
    ("2100-02", "month", "2100-02-01", "2100-02-28"),  # divisible by 100 only: common
    ("2026-04", "month", "2026-04-01", "2026-04-30"),
    ("2000-01", "month", "2000-01-01", "2000-01-31"),
    ("2999-12", "month", "2999-12-01", "2999-12-31"),
    ("2026-W48", "week", "2026-11-23", "2026-11-29"),
    ("2026-W01", "week", "2025-12-29", "2026-01-04"),  # starts in the year before
    ("2020-W53", "week", "2020-12-28", "2021-01-03"),  # 2020 has 53 weeks
    ("2021-W01", "week", "2021-01-04", "2021-01-10"),
    ("2015-W53", "week", "2015-12-28", "2016-01-03"),
    ("2026-W52", "week", "2026-12-21", "2026-12-27"),
    ("2026-W53", "week", "2026-12-28", "2027-01-03"),  # 2026 begins on a Thursday: 53 weeks
    ("2027-W01", "week", "2027-01-04", "2027-01-10"),
    ("2025-W52", "week", "2025-12-22", "2025-12-28"),  # 2025's last week (52 weeks)
    ("2000-W01", "week", "2000-01-03", "2000-01-09"),
])
def test_parse_gives_the_inclusive_days_and_round_trips(key, kind, first, last):
    p = parse(key)
    assert (p.kind, p.key, p.first, p.last) == (kind, key, D(first), D(last))
    assert str(p) == key
    assert parse(p.key) == p
    assert p.ends_at == shanghai_midnight(last) + timedelta(days=1)
    assert p.ends_at.utcoffset() == timedelta(hours=8)


def test_weeks_are_monday_to_sunday():
    for key in ("2026-W01", "2026-W48", "2020-W53", "2021-W01"):
        p = parse(key)
        assert (p.first.isoweekday(), p.last.isoweekday(), (p.last - p.first).days) == (1, 7, 6)


@pytest.mark.parametrize(("text", "reason"), [
    ("2026-13", "month must be 01–12"),
    ("2026-00", "month must be 01–12"),
    ("2025-W53", "ISO year 2025 has weeks W01–W52"),  # 2025 has 52 weeks
    ("2021-W53", "ISO year 2021 has weeks W01–W52"),  # the week across 2020/2021 is 2020-W53
    ("2027-W53", "ISO year 2027 has weeks W01–W52"),
    ("2026-W54", "ISO year 2026 has weeks W01–W53"),  # no year has 54
    ("2026-W99", "ISO year 2026 has weeks W01–W53"),
    ("2020-W54", "ISO year 2020 has weeks W01–W53"),
    ("2026-W00", "ISO year 2026 has weeks W01–W53"),
    ("2026-1", "expected a month"),
    ("2026-W1", "expected a month"),
    ("2026W48", "expected a month"),
    ("2026-w48", "expected a month"),
    ("2026-W048", "expected a month"),
    ("202611", "expected a month"),
    ("26-11", "expected a month"),
    ("2026-11-01", "expected a month"),
    ("2026/11", "expected a month"),
    (" 2026-11", "expected a month"),
    ("2026-11 ", "expected a month"),
    ("2026- 11", "expected a month"),
    ("2026-11\n", "expected a month"),
    ("2026-W48\n", "expected a month"),
    ("２０２６-11", "expected a month"),  # full-width digits are digits to `\d`, not here
    ("2026-١١", "expected a month"),  # Arabic-Indic digits
    ("", "expected a month"),
    ("1999-12", "year must be 2000–2999"),
    ("3000-01", "year must be 2000–2999"),
    ("1999-W52", "year must be 2000–2999"),
    ("0000-01", "year must be 2000–2999"),
])
def test_parse_refuses_anything_else_and_says_what_it_expects(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse(text)


def test_every_refusal_of_a_malformed_key_names_both_forms():
    with pytest.raises(ValueError) as err:
        parse("2026W48")
    assert '"YYYY-MM"' in str(err.value) and '"YYYY-Www"' in str(err.value) and "2026W48" in str(err.value)


@pytest.mark.parametrize("value", [None, 202611, b"2026-11", date(2026, 11, 1)])
def test_parse_refuses_what_is_not_text(value):
    with pytest.raises(ValueError, match="expected a month"):
        parse(value)


def test_every_week_of_a_span_of_years_round_trips_and_the_weeks_tile_the_days():
    """2000–2040, every week and month: keys parse back, consecutive periods meet with no gap and no overlap."""
    for kind, of in (("week", week_of), ("month", month_of)):
        p = of(D("2000-01-03"))
        while p.first.year < 2040:
            assert parse(p.key) == p
            nxt = of(p.last + timedelta(days=1))
            assert nxt.first == p.last + timedelta(days=1)
            assert previous(nxt) == p
            assert nxt.first == p.ends_at.date()
            p = nxt
        assert p.kind == kind and p.first <= D("2040-01-07")


def test_the_week_count_per_year_matches_the_calendar():
    """W53 is accepted exactly in the years that have one (71 of 400 in the Gregorian cycle)."""
    with_53 = set()
    for year in range(2000, 2400):
        try:
            parse(f"{year}-W53")
        except ValueError:
            continue
        with_53.add(year)
    assert len(with_53) == 71
    assert {2004, 2009, 2015, 2020, 2026, 2032} <= with_53
    assert not {2021, 2022, 2023, 2024, 2025, 2027} & with_53


# --- month_of, week_of --------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "month", "week"), [
    ("2026-11-23", "2026-11", "2026-W48"),
    ("2026-11-30", "2026-11", "2026-W49"),
    ("2025-12-29", "2025-12", "2026-W01"),  # December day, next ISO year
    ("2025-12-31", "2025-12", "2026-W01"),
    ("2026-01-01", "2026-01", "2026-W01"),
    ("2021-01-01", "2021-01", "2020-W53"),  # January day, previous ISO year's W53
    ("2021-01-03", "2021-01", "2020-W53"),
    ("2021-01-04", "2021-01", "2021-W01"),
    ("2027-01-01", "2027-01", "2026-W53"),
    ("2027-01-03", "2027-01", "2026-W53"),
    ("2027-01-04", "2027-01", "2027-W01"),
    ("2024-02-29", "2024-02", "2024-W09"),
])
def test_the_periods_containing_a_day(day, month, week):
    m, w = month_of(D(day)), week_of(D(day))
    assert (m.key, w.key) == (month, week)
    assert m.first <= D(day) <= m.last and w.first <= D(day) <= w.last


@pytest.mark.parametrize(("of", "day"), [
    (month_of, "1999-12-31"), (month_of, "3000-01-01"),
    (week_of, "2000-01-02"),  # a Sunday of 1999-W52
    (week_of, "3000-01-01"),
])
def test_a_day_outside_the_years_a_key_can_name_is_refused(of, day):
    with pytest.raises(ValueError, match="2000–2999"):
        of(D(day))


def test_the_range_edges_themselves_are_periods():
    assert month_of(D("2000-01-01")).key == "2000-01" and week_of(D("2000-01-03")).key == "2000-W01"
    assert month_of(D("2999-12-31")).key == "2999-12"
    assert week_of(D("2999-12-29")) == parse("2999-W52")  # 2999's last ISO week, Monday 23 to Sunday 29 December
    with pytest.raises(ValueError, match="3000-W01"):  # 30 and 31 December 2999 lie in ISO year 3000
        week_of(D("2999-12-31"))


# --- previous -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "before"), [
    ("2026-11", "2026-10"),
    ("2026-03", "2026-02"),
    ("2026-01", "2025-12"),
    ("2000-02", "2000-01"),
    ("2026-W48", "2026-W47"),
    ("2026-W01", "2025-W52"),  # across the year end, 52-week year
    ("2021-W01", "2020-W53"),  # across the year end, 53-week year
    ("2027-W01", "2026-W53"),
    ("2000-W02", "2000-W01"),
])
def test_previous_is_the_period_just_before(key, before):
    p = previous(parse(key))
    assert p == parse(before)
    assert p.last + timedelta(days=1) == parse(key).first


@pytest.mark.parametrize("key", ["2000-01", "2000-W01"])
def test_there_is_no_period_before_the_first_year(key):
    with pytest.raises(ValueError, match="2000–2999"):
        previous(parse(key))


# --- ended: what the hourly schedule queues --------------------------------------------------------


def test_a_month_ends_at_midnight_in_shanghai_which_is_four_in_the_afternoon_utc():
    nov = parse("2026-11")
    assert nov.ends_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert nov.ends_at == datetime(2026, 12, 1, 0, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(("kind", "since", "last_day", "key"), [
    ("month", "2026-11-01", "2026-11-30", "2026-11"),
    ("month", "2024-02-10", "2024-02-29", "2024-02"),
    ("month", "2026-12-31", "2026-12-31", "2026-12"),
    ("week", "2026-11-23", "2026-11-29", "2026-W48"),
    ("week", "2025-12-29", "2026-01-04", "2026-W01"),
    ("week", "2020-12-31", "2021-01-03", "2020-W53"),
])
def test_ended_at_the_exact_boundary(kind, since, last_day, key):
    """16:00 UTC on the last day is 00:00 the next day in Shanghai: ended; a microsecond earlier: not yet."""
    boundary = datetime.combine(D(last_day), datetime.min.time(), tzinfo=UTC) + timedelta(hours=16)
    assert [p.key for p in ended(kind, boundary, D(since))] == [key]
    assert ended(kind, boundary - US, D(since)) == []
    # The same instants written in Shanghai time and in another zone: the instant is what counts.
    assert [p.key for p in ended(kind, boundary.astimezone(SHANGHAI), D(since))] == [key]
    new_york = timezone(timedelta(hours=-5))
    assert ended(kind, (boundary - US).astimezone(new_york), D(since)) == []
    assert [p.key for p in ended(kind, boundary.astimezone(new_york), D(since))] == [key]


def test_the_utc_date_alone_would_be_wrong():
    """At 20:00 UTC on 30 November it is already 1 December in Shanghai: November has ended."""
    assert [p.key for p in ended("month", datetime(2026, 11, 30, 20, tzinfo=UTC), D("2026-11-15"))] == ["2026-11"]
    # And at 08:00 UTC on 1 December (16:00 in Shanghai) December has of course not.
    assert [p.key for p in ended("month", datetime(2026, 12, 1, 8, tzinfo=UTC), D("2026-11-15"))] == ["2026-11"]


def test_ended_lists_every_period_since_the_one_containing_since_oldest_first():
    now = datetime(2027, 1, 2, 3, 4, tzinfo=UTC)  # 2027-01-02 11:04 in Shanghai
    months = ended("month", now, D("2026-09-17"))
    assert [p.key for p in months] == ["2026-09", "2026-10", "2026-11", "2026-12"]
    weeks = ended("week", now, D("2026-11-26"))  # a Thursday of W48: W48 counts from its Monday
    assert [p.key for p in weeks] == ["2026-W48", "2026-W49", "2026-W50", "2026-W51", "2026-W52"]
    # 2026-W53 runs to Sunday 3 January 2027: not over yet.
    assert all(p.ends_at <= now for p in months + weeks)
    assert previous(weeks[0]).first < D("2026-11-26") <= weeks[0].last


def test_ended_crosses_year_ends_without_gaps():
    now = datetime(2021, 1, 10, 16, tzinfo=UTC)  # the instant 2021-W01 ends
    weeks = ended("week", now, D("2020-12-01"))
    assert [p.key for p in weeks] == ["2020-W49", "2020-W50", "2020-W51", "2020-W52", "2020-W53", "2021-W01"]
    for a, b in zip(weeks, weeks[1:]):
        assert previous(b) == a
    months = ended("month", datetime(2021, 2, 1, tzinfo=SHANGHAI), D("2020-11-30"))
    assert [p.key for p in months] == ["2020-11", "2020-12", "2021-01"]


def test_nothing_has_ended_when_since_is_in_the_current_or_a_future_period():
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert ended("month", now, D("2026-11-01")) == []
    assert ended("week", now, D("2026-11-23")) == []
    assert ended("month", now, D("2027-05-01")) == []


def test_a_long_history_is_every_period_once():
    now = datetime(2026, 11, 30, 16, tzinfo=UTC)
    months = ended("month", now, D("2000-01-01"))
    assert len(months) == 27 * 12 - 1 and months[0].key == "2000-01" and months[-1].key == "2026-11"
    assert len({p.key for p in months}) == len(months)


def test_ended_stops_at_the_last_year_a_key_can_name():
    months = ended("month", datetime(3100, 1, 1, tzinfo=UTC), D("2999-10-05"))
    assert [p.key for p in months] == ["2999-10", "2999-11", "2999-12"]


@pytest.mark.parametrize("kind", ["day", "Month", "", "weekly"])
def test_ended_refuses_an_unknown_kind(kind):
    with pytest.raises(ValueError, match="expected one of month, week"):
        ended(kind, datetime(2026, 1, 1, tzinfo=UTC), D("2025-01-01"))


def test_ended_refuses_a_naive_now():
    """A naive time would be read in the server's own zone: refused rather than guessed."""
    with pytest.raises(ValueError, match="timezone-aware"):
        ended("month", datetime(2026, 12, 1, 0, 0), D("2026-11-01"))


def test_periods_are_frozen_values():
    p = parse("2026-11")
    with pytest.raises(AttributeError):
        p.key = "2026-12"  # type: ignore[misc]
    assert isinstance(p, Period) and p == month_of(D("2026-11-15")) and hash(p) == hash(parse("2026-11"))


def test_periods_use_the_registry_s_shanghai_time():
    assert periods.SHANGHAI is SHANGHAI  # the registry's one name for Shanghai time
