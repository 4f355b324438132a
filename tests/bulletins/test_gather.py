"""Gathering a bulletin from the database: each section at the period's edges (the first and last instants of a
month in Shanghai, a window ending on the last day, a sanction made public the day after), the subjects and
persons as the public sees them, the figures, no real name in any file, and a fixed number of statements."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from registry.bulletins import opendata
from registry.bulletins.gather import first_public_day, gather
from registry.bulletins.periods import parse
from registry.clock import SHANGHAI
from registry.extensions import db
from registry.sanctions import services as sanctions
from registry.workers import services as workers
from tests.support.cardworld import REAL_NAME, green_worker
from tests.support.sanctionutil import record, regulators
from tests.support.statements import count_statements

JUNE = parse("2026-06")
PERSON = "张伟国"
OTHER_WORKER = "李秀英"
D = date.fromisoformat


def at(day: str, clock_time: time = time(12)) -> datetime:
    return datetime.combine(D(day), clock_time, tzinfo=SHANGHAI)


def make(period=JUNE, made_at=None, version=1):
    return gather(period, version=version, issuer_zh="成都市商务局", issuer_en="Chengdu Commerce Bureau",
                  made_at=made_at or period.ends_at + timedelta(days=1), checkpoint_size=7,
                  checkpoint_root="ab" * 32, verify_url="https://jiaxin.example/bulletins/verify")


class World:
    """Sanctions placed on June 2026's edges, made in time order (the clock only moves forward)."""

    def __init__(self, factory, clock):
        self.factory, self.clock = factory, clock
        self.s = {}
        clock.freeze(at("2026-04-20"))
        self.w = green_worker(factory)  # employed by a company in 510104
        self.w2 = green_worker(factory, name=OTHER_WORKER, seed=6)
        workers.end_employment(factory.ring, account=self.w2.admin, company=self.w2.company, worker=self.w2.worker,
                               end_date=D("2026-04-20"), today=D("2026-04-20"))
        db.session.commit()
        self.anxin, _ = factory.company(name="成都安心家政服务有限公司", district="510105")
        self.haobang, _ = factory.company(name="成都好帮手物业管理有限公司", district="510107",
                                          sectors=("property",))
        self.hk, _ = regulators(factory, "housekeeping", code="hk-bulletin")
        self.prop, _ = regulators(factory, "property", code="prop-bulletin")

    def add(self, name, moment: datetime, *, publish=True, regulator=None, **kw):
        """Record (decided on `decision_date`) at `moment` and, unless told not to, publish at once."""
        self.clock.freeze(moment)
        today = moment.astimezone(SHANGHAI).date()
        s = record(self.factory, regulator or self.hk, today=today, decision_no=f"商务罚〔2026〕{len(self.s) + 1}号",
                   **kw)
        if publish:
            self.publish(s, moment)
        self.s[name] = s
        return s

    def publish(self, s, moment: datetime):
        self.clock.freeze(moment)
        sanctions.publish_sanction(self.factory.ring, regulator=self.hk if s.agency.code == "hk-bulletin"
                                   else self.prop, sanction=s, today=moment.astimezone(SHANGHAI).date())
        db.session.commit()

    def refs(self, *names):
        return [self.s[n].ref for n in names]


@pytest.fixture
def world(app, factory, clock):
    w = World(factory, clock)
    minor = dict(kind="warning", severity="minor", months=1)
    # Public April 30 to May 30 (one month from April 30): ended in May, gone before its last day.
    w.add("ended_in_may", at("2026-04-30"), company=w.anxin, decision_date=D("2026-04-30"), **minor)
    w.add("x_never_public", at("2026-05-05"), publish=False, company=w.haobang, decision_date=D("2026-05-05"),
          kind="warning", severity="minor", months=3)
    w.add("may", at("2026-05-12"), company=w.anxin, decision_date=D("2026-05-10"), months=6)
    w.add("ends_15th", at("2026-05-15"), worker=w.w.worker, decision_date=D("2026-05-15"), **minor)
    # Decided in May, published in June, its window ending in June: published and ended, never in the full list.
    w.add("in_and_out", at("2026-05-20"), publish=False, company=w.haobang, decision_date=D("2026-05-20"), **minor)
    w.add("ends_last_day", at("2026-05-30"), company=w.anxin, decision_date=D("2026-05-30"), **minor)
    w.add("may_last_instant", at("2026-05-31", time(23, 59, 59, 999999)), regulator=w.prop, worker=w.w.worker,
          kind="criticism", decision_date=D("2026-05-31"), months=3)
    w.add("june_first_instant", at("2026-06-01", time(0)), company=w.anxin, decision_date=D("2026-05-31"),
          months=3)
    w.publish(w.s["in_and_out"], at("2026-06-02"))
    w.add("june", at("2026-06-05"), company=w.haobang, severity="serious", months=12,
          decision_date=D("2026-06-05"),
          persons=[{"role": "legal_representative", "name": PERSON},
                   {"role": "responsible", "name": REAL_NAME, "card_no": w.w.card_no}])
    # Published June 10 with a three-month window, then corrected to one month: its window (to June 5) ended
    # before it was published, so it was never public under its current values.
    w.publish(w.s["x_never_public"], at("2026-06-10"))
    w.clock.freeze(at("2026-06-12"))
    sanctions.correct_sanction(factory.ring, regulator=w.hk, sanction=w.s["x_never_public"], today=D("2026-06-12"),
                               changes={"publish_months": 1}, reason="公示期有误")
    db.session.commit()
    w.add("unpublished", at("2026-06-15"), publish=False, company=w.anxin, decision_date=D("2026-06-15"), months=3)
    w.add("june_last_instant", at("2026-06-30", time(23, 59, 59, 999999)), worker=w.w2.worker,
          decision_date=D("2026-06-30"), months=3)
    # Made public the day after June: in no June section.
    w.add("july_first", at("2026-07-01", time(0)), company=w.anxin, decision_date=D("2026-06-20"), months=3)
    w.clock.freeze(at("2026-07-02"))
    return w


def refs(records):
    return [r.ref for r in records]


def test_the_sections_at_the_periods_edges(world):
    c = make()
    # Newest decision first, then newest record (the two decided May 31: the later-made first).
    assert refs(c.published) == world.refs("june_last_instant", "june", "june_first_instant", "in_and_out")
    assert refs(c.ended) == world.refs("ends_last_day", "in_and_out", "ends_15th")
    assert refs(c.full) == world.refs("june_last_instant", "june", "june_first_instant", "may_last_instant",
                                      "ends_last_day", "may")
    # A window ending on the last day is public that day (full) and no more after it (ended).
    last = world.s["ends_last_day"]
    assert last.window_end == JUNE.last and last.is_public(JUNE.last) and not last.is_public(JUNE.last + timedelta(1))


def test_first_public_day_is_in_shanghai(world):
    may_last, june_first = world.s["may_last_instant"], world.s["june_first_instant"]
    # 23:59:59 on May 31 in Shanghai is 15:59:59 UTC the same day; 00:00 June 1 is 16:00 UTC on May 31.
    assert may_last.published_dt.date() == june_first.published_dt.date() == D("2026-05-31")
    assert first_public_day(may_last.published_dt, may_last.decision_date, may_last.publish_months) == D("2026-05-31")
    assert first_public_day(june_first.published_dt, june_first.decision_date, 3) == D("2026-06-01")
    x = world.s["x_never_public"]
    assert first_public_day(x.published_dt, x.decision_date, x.publish_months) is None


def test_a_bulletin_made_later_lists_the_same(world, clock):
    before = make()
    clock.freeze(at("2026-08-01"))
    world.add("august", at("2026-08-01"), company=world.anxin, decision_date=D("2026-06-25"), months=3)
    after = make(made_at=at("2026-08-02"))
    for section in ("published", "ended", "full"):
        assert refs(getattr(after, section)) == refs(getattr(before, section)), section
    assert after.stats == before.stats


def test_the_month_before_and_after(world):
    may = make(parse("2026-05"))
    assert refs(may.published) == world.refs("may_last_instant", "ends_last_day", "ends_15th", "may")
    assert refs(may.ended) == world.refs("ended_in_may")
    assert refs(may.full) == world.refs("may_last_instant", "ends_last_day", "ends_15th", "may")
    july = make(parse("2026-07"), made_at=at("2026-08-02"))
    assert refs(july.published) == world.refs("july_first")
    assert refs(july.full) == world.refs("june_last_instant", "july_first", "june", "june_first_instant",
                                         "may_last_instant", "may")
    assert refs(july.ended) == []


def test_a_week(world):
    # 2026-W23: Monday June 1 to Sunday June 7.
    week = make(parse("2026-W23"))
    assert refs(week.published) == world.refs("june", "june_first_instant", "in_and_out")
    assert refs(week.ended) == []
    assert week.stats.trend[-1] == ("2026-06", 3)  # up to the week's last day, not the month's


def test_records_as_the_public_sees_them(world):
    c = make()
    by_ref = {r.ref: r for r in c.full}
    june = by_ref[world.s["june"].ref]
    assert (june.subject_kind, june.subject_id, june.subject_name, june.district) == (
        "company", world.haobang.uscc, "成都好帮手物业管理有限公司", "510107")
    assert (june.kind, june.kind_zh, june.severity, june.severity_zh) == ("fine", "罚款", "serious", "严重")
    assert (june.decision_no, june.decision_date, june.window_end) == (
        world.s["june"].decision.decision_no, D("2026-06-05"), D("2027-06-05"))
    assert (june.agency_code, june.sector) == ("hk-bulletin", "housekeeping")
    assert june.agency_zh == world.s["june"].agency.name_zh
    assert [(p.role, p.role_zh, p.name_masked, p.card_no) for p in june.persons] == [
        ("legal_representative", "法定代表人", "张**", None),
        ("responsible", "直接责任人员", "欧阳**", world.w.card_no)]
    worker = by_ref[world.s["may_last_instant"].ref]
    assert (worker.subject_kind, worker.subject_id, worker.subject_name) == (
        "worker", world.w.card_no, world.w.worker.name_masked)
    assert worker.subject_name == "欧阳**"
    assert worker.district == world.w.company.district == "510104"  # the current employer's
    assert (worker.sector, worker.agency_code) == ("property", "prop-bulletin")
    assert by_ref[world.s["june_last_instant"].ref].district is None  # no current employer


def test_records_match_the_public_search(world, client):
    """Every field the bulletin shows is the listing view's (what /api/v1/listings answers on that day)."""
    c = make()
    listed = {x["ref"]: x for x in client.get("/api/v1/listings?page_size=100").get_json()}
    for r in c.full:
        if r.window_end < date(2026, 7, 2):
            continue  # no longer public today
        v = listed[r.ref]
        assert (r.kind, r.severity, r.decision_no, r.decision_date.isoformat(), r.legal_basis,
                r.window_end.isoformat()) == (v["kind"], v["severity"], v["decision_no"], v["decision_date"],
                                              v["legal_basis"], v["window_end"])
        assert (r.agency_code, r.agency_zh, r.sector) == (v["agency"]["code"], v["agency"]["name_zh"],
                                                          v["agency"]["sector"])
        subject = v["subject"]
        assert (r.subject_id, r.subject_name) == ((subject["card_no"], subject["name_masked"])
                                                  if r.subject_kind == "worker" else (subject["uscc"], subject["name"]))
        assert [(p.role, p.role_zh, p.name_masked, p.card_no) for p in r.persons] == [
            (p["role"], p["role_label"]["zh"], p["name_masked"], p["card_no"]) for p in v["persons"]]


def test_stats(world):
    s = make().stats
    assert s.by_sector == {"housekeeping": 5, "property": 1, "market": 0}
    assert s.by_district == {"510104": 1, "510105": 3, "510107": 1, "unknown": 1}
    assert s.by_kind == {"warning": 1, "criticism": 1, "fine": 4, "rectification": 0, "watch_list": 0,
                         "serious_list": 0}
    assert s.by_severity == {"minor": 1, "general": 4, "serious": 1}
    assert s.trend == (("2025-07", 0), ("2025-08", 0), ("2025-09", 0), ("2025-10", 0), ("2025-11", 0),
                       ("2025-12", 0), ("2026-01", 0), ("2026-02", 0), ("2026-03", 0), ("2026-04", 1),
                       ("2026-05", 4), ("2026-06", 4))


def test_not_before_the_period_ends(world):
    with pytest.raises(ValueError, match="before"):
        make(made_at=JUNE.ends_at - timedelta(microseconds=1))
    with pytest.raises(ValueError, match="aware"):
        make(made_at=datetime(2026, 7, 2))
    assert make(made_at=JUNE.ends_at).full


def test_the_content_carries_what_it_was_given(world):
    c = make(version=3)
    assert (c.period, c.version, c.issuer_zh, c.checkpoint_size, c.checkpoint_root) == (
        JUNE, 3, "成都市商务局", 7, "ab" * 32)
    assert c.made_at == JUNE.ends_at + timedelta(days=1)


def test_no_real_name_in_any_file(world):
    """The canary: the worker factory's real name, and the named person's, appear in no open-data file (nor in
    the content the PDF is made of) — only their masked forms."""
    c = make()
    previous = opendata.parse_jsonl(opendata.full_jsonl(make(parse("2026-05")).full))
    made = opendata.files(c, previous)
    assert set(made) == {n for part, n in opendata.file_names("2026-06", 1).items() if part != "pdf"}
    texts = [data.decode("utf-8-sig") for data in made.values()] + [repr(c)]
    assert any("欧阳**" in t for t in texts) and any("张**" in t for t in texts)
    for needle in (REAL_NAME, REAL_NAME[2:], REAL_NAME[1:], PERSON, PERSON[1:], OTHER_WORKER, OTHER_WORKER[1:]):
        for text in texts:
            assert needle not in text




def test_a_fixed_number_of_statements(world):
    july = parse("2026-07")
    make(july)  # within the transaction (its BEGIN is not the gathering's)
    few = count_statements(lambda: make(july))
    for n in range(30):
        subject = {"worker": world.w.worker} if n % 3 == 0 else {"company": world.haobang}
        named = "王" + "一二三四五六七八九十"[n % 10] + "华"
        persons = None if n % 3 == 0 else [{"role": "responsible", "name": named},
                                           {"role": "legal_representative", "name": PERSON}]
        world.add(f"more{n}", at("2026-07-03") + timedelta(minutes=n), decision_date=D("2026-07-01"), months=3,
                  persons=persons, **subject)
    c = make(july)
    assert len(c.published) == 31 and sum(len(r.persons) for r in c.full) == 2 + 20 * 2
    assert count_statements(lambda: make(july)) == few == 8


def test_the_objection_pending_mark_is_as_of_generation(world, client):
    """A record carries `objection_pending` as the public views show it when the bulletin is made."""
    from registry.sanctions import objections

    june = world.s["june"]
    assert not any(r.objection_pending for r in make().full)
    objections.file_objection(world.factory.ring, sanction=june, filed_by_kind="company", filed_by="member",
                              reasons="事实有误。", files=[], now=at("2026-07-02"))
    db.session.commit()
    c = make()
    assert {r.ref for r in c.full if r.objection_pending} == {june.ref}
    assert {r.ref for r in c.published if r.objection_pending} == {june.ref}
    listed = {x["ref"]: x["objection_pending"] for x in client.get("/api/v1/listings?page_size=100").get_json()}
    assert all(listed[r.ref] == r.objection_pending for r in c.full if r.ref in listed)
    [row] = [d for d in opendata.parse_jsonl(opendata.full_jsonl(c.full)) if d["ref"] == june.ref]
    assert row["objection_pending"] is True
    [o] = june.objections
    objections.take_step(world.factory.ring, regulator=world.hk, sanction=june, objection=o, step="reject",
                         reason="不属于异议受理范围。", today=D("2026-07-02"))
    db.session.commit()
    assert not any(r.objection_pending for r in make().full)


def test_the_red_list_and_the_grades_are_those_of_the_day_the_bulletin_is_made(world):
    """A commended firm is on the bulletin's red list with its commendation; the grades count verified firms."""
    from registry.credit import commendations

    world.clock.freeze(at("2026-07-01"))
    hk_reg = world.factory.agency_user(world.factory.agency("housekeeping")).account
    commendations.record_commendation(world.factory.ring, regulator=hk_reg, company=world.anxin, title="诚信示范企业",
                                      basis="成商务〔2026〕12号", commended_on=D("2026-06-20"), today=D("2026-07-01"))
    db.session.commit()
    c = make(made_at=at("2026-07-02"))
    (firm,) = c.red_list
    assert (firm.uscc, firm.name, firm.reasons) == (world.anxin.uscc, "成都安心家政服务有限公司", ("commended",))
    assert [(x.title, x.commended_on) for x in firm.commendations] == [("诚信示范企业", D("2026-06-20"))]
    from registry.companies.models import Company
    verified = db.session.query(Company).filter(Company.status == "verified").count()
    assert [g for g, _n in c.grades] == ["AAA", "AA", "A", "B", "C"]
    # Every verified firm's score is kept from its verification on: each counted once, at its grade.
    assert sum(n for _g, n in c.grades) == verified >= 4
    # A May bulletin made on June 10, before the commendation was given (June 20): not on its red list.
    assert make(parse("2026-05"), made_at=at("2026-06-10")).red_list == ()
