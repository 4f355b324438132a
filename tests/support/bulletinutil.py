"""Bulletin test helpers: three sanctions published around June and July 2026, a commendation of one of their
companies (the red list), running a period's generation, and a published version's files by part."""
from __future__ import annotations

from datetime import date, datetime, time

from registry.bulletins import generate, opendata, periods
from registry.bulletins.models import Bulletin
from registry.clock import SHANGHAI
from registry.extensions import db
from registry.sanctions import services as sanctions
from registry.tasks.models import Task
from tests.support.importutil import run_queued_tasks
from tests.support.sanctionutil import record, regulators

JUNE, JULY = periods.parse("2026-06"), periods.parse("2026-07")


def at(day: str, clock_time: time = time(12)) -> datetime:
    return datetime.combine(date.fromisoformat(day), clock_time, tzinfo=SHANGHAI)


def three_sanctions(factory, clock) -> dict:
    """Two sanctions published in June 2026 (one of them ending in July) and one in July; with the issuing
    regulator (`hk`), the factory and the clock."""
    clock.freeze(at("2026-06-02"))
    hk, _ = regulators(factory, "housekeeping", code="hk-generate")
    anxin, _ = factory.company(name="成都安心家政服务有限公司", district="510105")
    haobang, _ = factory.company(name="成都好帮手物业管理有限公司", district="510107")
    made = {}

    def add(name, company, moment, **kw):
        clock.freeze(moment)
        day = moment.date()
        s = record(factory, hk, company=company, today=day, decision_date=day,
                   decision_no=f"商务罚〔2026〕{len(made) + 1}号", **kw)
        sanctions.publish_sanction(factory.ring, regulator=hk, sanction=s, today=day)
        db.session.commit()
        made[name] = s

    add("june", anxin, at("2026-06-03"), months=6)
    add("june_short", haobang, at("2026-06-10"), kind="warning", severity="minor", months=1)
    add("july", haobang, at("2026-07-06"), months=3)
    return {"made": made, "factory": factory, "clock": clock, "hk": hk}


def commend(world: dict, name: str, day: str, title: str) -> None:
    """The issuing regulator commends the company of sanction `name` on `day`, under a document numbered by the
    day (成商务〔2026〕0620号): the company is on the red list from then on."""
    from registry.credit import commendations

    world["clock"].freeze(at(day))
    commendations.record_commendation(world["factory"].ring, regulator=world["hk"],
                                      company=world["made"][name].company, title=title,
                                      basis=f"成商务〔2026〕{day[5:7]}{day[8:]}号", commended_on=at(day).date(),
                                      today=at(day).date())
    db.session.commit()


def queue_and_run(app, period):
    task = generate.queue(period, actor_ref="test")
    db.session.commit()
    task_id = task.id
    assert run_queued_tasks(app) == 1
    return db.session.get(Task, task_id)


def by_part(bulletin: Bulletin) -> dict[str, bytes]:
    names = opendata.file_names(bulletin.period_key, bulletin.version)
    stored = {f.name: f.content for f in bulletin.files}
    return {part: stored[name] for part, name in names.items()}
