"""The hourly verification (`log.verify`): a direct edit of the database raises an alarm within the hour that
names the record by its card number or USCC, says what to do, is counted rather than repeated, and is marked
resolved (but kept until acknowledged) once the edit is undone."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from jobs.runner import run_scheduled
from jobs.schedules import Schedule, active_schedules
from registry.clock import today
from registry.extensions import db
from registry.log.models import LogAlarm
from tests.support.logutil import sign, small_world, sql

JOB = "jobs.verification:verify_log"


def run_hourly(app, hour: int) -> str:
    """Run the job through the runner, in the slot of `hour` (each call a new slot, as an hour later)."""
    # The slot is time // seconds: a different interval per call gives each call its own slot.
    return run_scheduled(app, Schedule("log.verify", JOB, 10**9 // (hour + 1)), "jobs-test")


def open_alarms() -> list[LogAlarm]:
    db.session.rollback()
    return list(db.session.scalars(select(LogAlarm).where(LogAlarm.acknowledged.is_(False)).order_by(LogAlarm.id)))


def make_green(worker_id: int, company_id: int) -> None:
    """What someone with database access would insert to turn a yellow worker green, bypassing the registry."""
    day = today()
    for kind, result, valid in (("identity", "verified", None), ("health", "passed", day + timedelta(days=300)),
                                ("insurance", None, day + timedelta(days=300)), ("background", "passed", None)):
        sql("INSERT INTO worker_records (worker_id, company_id, kind, result, on_date, valid_until, recorded_by, "
            "created_dt) VALUES (:w, :c, :k, :r, :d, :v, :by, :now)",
            w=worker_id, c=company_id, k=kind, r=result, d=day - timedelta(days=1), v=valid, by="x" * 32,
            now=f"{day} 00:00:00.000000")


def test_the_schedule_is_hourly_and_configurable_in_minutes():
    by_name = {s.name: s for s in active_schedules({})}
    assert by_name["log.verify"].seconds == 3600
    by_name = {s.name: s for s in active_schedules({"REGISTRY_LOG_VERIFY_MINUTES": "15"})}
    assert by_name["log.verify"].seconds == 15 * 60


def test_a_direct_edit_raises_an_alarm_naming_the_card_number(app, factory, client):
    w = small_world(factory)
    sign(factory.ring)
    worker, company = w["workers"][0], w["company"]
    card_no, worker_id, company_id = worker.card_no, worker.id, company.id
    assert run_hourly(app, 0) == "ran"
    assert open_alarms() == [], "an untouched registry raises nothing"

    assert client.get(f"/api/v1/cards/{card_no}").get_json()["status"]["colour"] == "yellow"
    make_green(worker_id, company_id)
    # The edit works: the public look-up now says green. Only the verification can tell.
    assert client.get(f"/api/v1/cards/{card_no}").get_json()["status"]["colour"] == "green"

    assert run_hourly(app, 1) == "ran"
    (alarm,) = open_alarms()
    assert alarm.kind == "record_mismatch"
    assert card_no in alarm.message and card_no in alarm.details["zh"]
    assert alarm.details["subject"] == {"kind": "worker", "card_no": card_no}
    assert "do not re-sign" in alarm.details["todo_en"] and "不要" in alarm.details["todo_zh"]
    assert "backup" in alarm.details["todo_en"] and "备份" in alarm.details["todo_zh"]
    assert any("canonical state digest differs" in p for p in alarm.details["problems"])

    # An hour later, still edited: the same alarm, counted, not a second one.
    assert run_hourly(app, 2) == "ran"
    (again,) = open_alarms()
    assert again.id == alarm.id and again.details["repeats"] == 2

    # Undone (the rows deleted again): the alarm is marked resolved and stays, as history, until acknowledged.
    sql("DELETE FROM worker_records WHERE worker_id = :w", w=worker_id)
    assert run_hourly(app, 3) == "ran"
    (kept,) = open_alarms()
    assert kept.id == alarm.id and kept.details.get("resolved")
    assert run_hourly(app, 4) == "ran"
    assert open_alarms()[0].details["resolved"] == kept.details["resolved"], "resolved once, not re-stamped"

    # Edited again before anyone acknowledged it: the same alarm, no longer resolved.
    make_green(worker_id, company_id)
    assert run_hourly(app, 5) == "ran"
    (back,) = open_alarms()
    assert back.id == alarm.id and "resolved" not in back.details and back.details["repeats"] == 3


def test_a_company_edit_is_named_by_its_uscc(app, factory):
    w = small_world(factory)
    sign(factory.ring)
    uscc, company_id = w["company"].uscc, w["company"].id
    sql("UPDATE companies SET district = :d WHERE id = :id", d="510199", id=company_id)
    assert run_hourly(app, 0) == "ran"
    (alarm,) = open_alarms()
    assert alarm.details["subject"] == {"kind": "company", "uscc": uscc}
    assert uscc in alarm.message and uscc in alarm.details["zh"]


def test_a_calendar_edit_is_named_by_its_year(app, factory):
    from sqlalchemy import update

    from registry.calendar.models import CalendarYear
    from registry.calendar.services import load_schedule

    small_world(factory)
    row = load_schedule(factory.ring, actor="cli", year=2027, holidays=["2027-01-01"], workdays=[],
                        source="国办发明电〔2026〕N号").row
    db.session.commit()
    row_id = row.id
    sign(factory.ring)
    # A JSON column: written through the table (bound as JSON on either engine), outside any service.
    db.session.execute(update(CalendarYear.__table__).where(CalendarYear.id == row_id)
                       .values(holidays=["2027-01-01", "2027-01-04"]))
    db.session.commit()
    assert run_hourly(app, 0) == "ran"
    (alarm,) = open_alarms()
    assert alarm.details["subject"] == {"kind": "calendar", "year": "2027"}
    assert "Working-day calendar 2027" in alarm.message and "2027 年工作日历" in alarm.details["zh"]


def test_an_edit_of_the_log_itself_raises_one_alarm_naming_the_entry(app, factory):
    small_world(factory)
    sign(factory.ring)
    sql("UPDATE log_entries SET hmac = :h WHERE seq = 2", h="0" * 64)
    assert run_hourly(app, 0) == "ran"
    (alarm,) = open_alarms()
    assert alarm.kind == "verify_failed" and "entry 2: HMAC does not verify" in alarm.message
    assert "entry 2" in alarm.details["zh"] and "do not re-sign" in alarm.details["todo_en"]


def test_operators_see_the_alarm_on_the_log_page_and_in_the_cli(app, factory, runner):
    from tests.support.webutil import login

    operator = factory.agency(kind="operator", sector=None, code="ops")
    admin = factory.agency_user(operator, role="operator_admin")
    w = small_world(factory)
    sign(factory.ring)
    card_no = w["workers"][0].card_no
    make_green(w["workers"][0].id, w["company"].id)
    run_hourly(app, 0)

    result = runner.invoke(args=["log", "alarms"])
    assert result.exit_code == 1
    assert card_no in result.output and "备份" in result.output and "do not re-sign" in result.output

    c = app.test_client()
    assert login(c, admin.account.login, admin.password, admin.totp_secret).status_code == 302
    page = c.get("/admin/log?lang=en").get_data(as_text=True)
    assert card_no in page and "do not re-sign" in page
    page = c.get("/admin/log?lang=zh").get_data(as_text=True)
    assert f"服务证号 {card_no}" in page and "备份" in page
