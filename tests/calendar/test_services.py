"""Loaded schedules: a provisional year becomes official at once, every load is one log entry, a bad one nothing."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.calendar import services as calendar
from registry.calendar.models import CalendarYear
from registry.calendar.workdays import Deadline
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry

# A made-up 2027 schedule (the real one is published late in 2026): the Spring Festival off 5–13 February,
# Sunday 14 and Saturday 20 February worked instead.
SPRING_2027 = {
    "year": 2027,
    "source": "国办发明电〔2026〕N号（测试）",
    "holidays": ["2027-01-01", *(f"2027-02-{day:02d}" for day in range(5, 14))],
    "workdays": ["2027-02-14", "2027-02-20"],
}
DECIDED = date(2027, 2, 3)  # a Wednesday


def entries() -> list[LogEntry]:
    return db.session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars().all()


def load(factory, actor="cli", **changes):
    args = {**SPRING_2027, **changes}
    return calendar.load_schedule(factory.ring, actor=actor, **args)


def test_a_2027_deadline_is_provisional_until_the_year_is_loaded_then_official_and_moved_at_once(factory):
    before = calendar.working_day_after(DECIDED, 7)
    # By rule: Thu 4, [Fri 5 – Wed 10 off], Thu 11, Fri 12, Mon 15 … Thu 18.
    assert before == Deadline(date(2027, 2, 18), provisional=True)
    assert not calendar.is_working_day(date(2027, 2, 14))
    loaded = load(factory)
    db.session.commit()
    assert loaded.changed
    # Loaded: Thu 4, [5–13 off], Sun 14 (make-up), Mon 15 … Fri 19 — in this process, with no restart.
    assert calendar.working_day_after(DECIDED, 7) == Deadline(date(2027, 2, 19), provisional=False)
    assert calendar.is_working_day(date(2027, 2, 14)) and not calendar.is_working_day(date(2027, 2, 11))
    assert calendar.add_working_days(date(2027, 2, 19), -7) == Deadline(DECIDED, provisional=False)
    # A count into 2028 is provisional again.
    assert calendar.working_day_after(date(2027, 12, 30), 3).provisional


def test_the_built_in_years_count_without_any_load(factory):
    assert calendar.working_day_after(date(2026, 2, 12), 7) == Deadline(date(2026, 2, 28), False)
    assert calendar.is_working_day(date(2026, 2, 14)) and not calendar.is_working_day(date(2026, 2, 16))
    assert calendar.year_schedule(2026).official and not calendar.year_schedule(2027).official


def test_one_schedule_can_serve_many_deadlines(factory):
    load(factory)
    db.session.commit()
    now = calendar.schedule()
    answers = [calendar.working_day_after(DECIDED + timedelta(days=i), 7, using=now) for i in range(30)]
    assert answers == [calendar.working_day_after(DECIDED + timedelta(days=i), 7) for i in range(30)]
    assert not any(a.provisional for a in answers)


def test_loading_writes_one_entry_the_same_again_none_a_correction_one_more(factory):
    first = load(factory)
    db.session.commit()
    log = entries()
    assert [(e.seq, e.action, e.subject) for e in log] == [(first.recorded.seq, "calendar:load", first.row.log_ref)]
    assert json.loads(log[0].body)["actor"] == "cli"
    assert json.loads(log[0].body)["digest"] == canonical.digest(canonical.state_of(factory.ring, first.row))

    again = load(factory, actor="f" * 32)
    db.session.commit()
    assert not again.changed and again.row.id == first.row.id
    assert len(entries()) == 1
    assert again.row.loaded_by == "cli"  # untouched

    # A correction: one more working day, and a new notice.
    corrected = load(factory, actor="a" * 32, workdays=["2027-02-14"], source="国办发明电〔2026〕N号（更正）")
    db.session.commit()
    assert corrected.changed and corrected.row.id == first.row.id
    assert [e.action for e in entries()] == ["calendar:load", "calendar:load"]
    assert entries()[-1].subject == first.row.log_ref
    assert db.session.execute(select(func.count()).select_from(CalendarYear)).scalar_one() == 1
    row = db.session.get(CalendarYear, first.row.id)
    assert (row.workdays, row.source, row.loaded_by) == (["2027-02-14"], "国办发明电〔2026〕N号（更正）", "a" * 32)
    # Saturday 20 February is a weekend again: the deadline after Friday 19 moves from it to Monday 22.
    assert calendar.working_day_after(date(2027, 2, 19), 1) == Deadline(date(2027, 2, 22), False)
    # Only the source changed: that too is a change.
    assert load(factory, workdays=["2027-02-14"]).changed


def test_the_canonical_state_holds_the_sorted_days_the_source_and_who_loaded_it(factory, clock):
    from datetime import UTC, datetime

    clock.freeze(datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    loaded = load(factory, holidays=list(reversed(SPRING_2027["holidays"])))
    state = canonical.state_of(factory.ring, loaded.row)
    assert state == {
        "v": canonical.VERSION, "kind": "calendar", "salt": loaded.row.salt, "year": 2027,
        "holidays": SPRING_2027["holidays"], "workdays": SPRING_2027["workdays"],
        "source": SPRING_2027["source"], "loaded_by": "cli", "loaded": "2026-12-20T02:00:00.000000Z",
    }
    # The same days in another order are the same schedule: nothing written.
    db.session.commit()
    assert not load(factory).changed


@pytest.mark.parametrize(("changes", "fields"), [
    ({"year": 1999}, {"year"}),
    ({"holidays": ["2027-02-30"]}, {"holidays"}),
    ({"holidays": ["2026-12-31"]}, {"holidays"}),
    ({"workdays": ["2027-02-19"]}, {"workdays"}),
    ({"workdays": ["2027-02-06"]}, {"workdays"}),
    ({"source": ""}, {"source"}),
    ({"year": "2027", "holidays": "2027-01-01", "workdays": [1], "source": None},
     {"year", "holidays", "workdays", "source"}),
])
def test_a_bad_schedule_is_refused_naming_each_field_and_stores_nothing(factory, changes, fields):
    with pytest.raises(ApiError) as refused:
        load(factory, **changes)
    assert (refused.value.status, refused.value.code) == (422, "invalid_input")
    assert set(refused.value.fields) == fields
    assert all(v["zh"] and v["en"] for v in refused.value.fields.values())
    db.session.rollback()
    assert entries() == []
    assert db.session.execute(select(func.count()).select_from(CalendarYear)).scalar_one() == 0
    assert calendar.working_day_after(DECIDED, 7).provisional


def test_a_bad_correction_leaves_the_loaded_year_as_it_was(factory):
    load(factory)
    db.session.commit()
    with pytest.raises(ApiError):
        load(factory, workdays=["2027-02-19"])
    db.session.rollback()
    assert len(entries()) == 1
    assert calendar.working_day_after(DECIDED, 7) == Deadline(date(2027, 2, 19), False)


def test_a_loaded_official_year_overrides_the_built_in_data_too(factory):
    """A correction of a year the package already has (here 2026, made up): the loaded one counts."""
    load(factory, year=2026, holidays=["2026-01-01"], workdays=[], source="更正（测试）")
    db.session.commit()
    assert calendar.is_working_day(date(2026, 2, 16))  # no longer a Spring Festival day
    assert calendar.year_view(2026)["loaded"] and calendar.year_view(2026)["source"] == "更正（测试）"
    assert calendar.year_view(2025)["source"].startswith("chinesecalendar")
