"""Demo data: agencies, accounts and companies, made through the services.

Idempotent: what exists is left alone, what is missing is made. Demo accounts
share one published password so the README and `make run` can print them.
"""
from __future__ import annotations

import random

from sqlalchemy import select

from .accounts import services as accounts
from .accounts.models import Account, Agency
from .companies import services as companies
from .companies import uscc as uscc_mod
from .companies.models import Company
from .extensions import db
from .keys import KeyRing
from .log.services import SYSTEM_ACTOR

DEMO_PASSWORD = "jiaxin-demo-2026"  # noqa: S105 — the demo accounts' published password (README)

AGENCIES = [
    # code, name_zh, name_en, kind, sector
    ("cd-commerce", "成都市商务局", "Chengdu Bureau of Commerce", "regulator", "housekeeping"),
    ("cd-housing", "成都市住房和城乡建设局", "Chengdu Bureau of Housing and Urban-Rural Development", "regulator",
     "property"),
    ("cd-market", "成都市市场监督管理局", "Chengdu Administration for Market Regulation", "regulator", "market"),
    ("jiaxin-ops", "家信平台运营", "Jiaxin operations", "operator", None),
]

AGENCY_USERS = [
    # agency code, login, name, role
    ("jiaxin-ops", "demo-operator", "周运营", "operator_admin"),
    ("cd-commerce", "demo-commerce-admin", "吴主任", "regulator_admin"),
    ("cd-commerce", "demo-commerce", "郑科员", "regulator"),
    ("cd-housing", "demo-housing-admin", "冯主任", "regulator_admin"),
    ("cd-housing", "demo-housing", "陈科员", "regulator"),
    ("cd-market", "demo-market", "褚科员", "regulator"),
]

COMPANIES = [
    # key, name, sectors, model, district, verified, users [(login, name, role)]
    ("anxin", "成都安心家政服务有限公司", ["housekeeping"], "employee", "510107", True,
     [("demo-anxin-admin", "欧阳娜娜", "company_admin"), ("demo-anxin-staff", "李静", "company_user")]),
    ("shuguang", "成都曙光物业服务有限公司", ["property"], None, "510104", True,
     [("demo-shuguang-admin", "司马光明", "company_admin")]),
    ("tianfu", "天府生活服务集团有限公司", ["housekeeping", "property"], "intermediary", "510116", True,
     [("demo-tianfu-admin", "王芳", "company_admin"), ("demo-tianfu-staff", "阿依·古丽", "company_user")]),
    ("jinjiang", "锦江好帮手家政有限公司", ["housekeeping"], "intermediary", "510104", False,
     [("demo-jinjiang-admin", "刘洋", "company_admin")]),
]


def _account(login: str) -> Account | None:
    return db.session.execute(select(Account).where(Account.login == login)).scalar_one_or_none()


def ensure_demo(ring: KeyRing) -> bool:
    """Make whatever demo data is missing; return True if anything was made. Commits per operation."""
    made = False
    for code, name_zh, name_en, kind, sector in AGENCIES:
        if db.session.execute(select(Agency.id).where(Agency.code == code)).first() is None:
            accounts.create_agency(ring, actor=SYSTEM_ACTOR, code=code, name_zh=name_zh, name_en=name_en, kind=kind,
                                   sector=sector)
            db.session.commit()
            made = True
    for code, login, name, role in AGENCY_USERS:
        if _account(login) is None:
            agency = db.session.execute(select(Agency).where(Agency.code == code)).scalar_one()
            new = accounts.add_agency_user(ring, actor=None, agency=agency, login=login, name=name, role=role,
                                           password=DEMO_PASSWORD)
            db.session.commit()
            made = True
    rng = random.Random(20261126)  # noqa: S311 — the same demo every time, not a secret
    for _key, name, sectors, model, district, verified, users in COMPANIES:
        code = uscc_mod.generate(rng, first2="91", region="510100")
        admin_login = users[0][0]
        if _account(admin_login) is None:
            profile = companies.CompanyProfile(
                name=name, sectors=sectors, business_model=model,
                employee_conditions={"contracts": True, "social_insurance": True, "minimum_wage": True,
                                     "ongoing_training": True} if model == "employee" else None,
                district=district, contact_name=users[0][1], contact_phone="1380000" + f"{rng.randrange(10000):04d}")
            company, admin = companies.register_company(ring, uscc=code, profile=profile, admin_login=admin_login,
                                                        admin_name=users[0][1], admin_password=DEMO_PASSWORD)
            db.session.commit()
            if verified:
                regulator = _account("demo-commerce" if "housekeeping" in sectors else "demo-housing")
                companies.decide(ring, regulator=regulator, company=company, verify=True, note=None)
                db.session.commit()
                admin_account = _account(admin_login)
                from .companies import pledge

                companies.sign_pledge(ring, account=admin_account, company=company, version=pledge.CURRENT_VERSION)
                db.session.commit()
            made = True
        admin_account = _account(admin_login)
        for login, uname, role in users[1:]:
            if _account(login) is None:
                new = companies.add_user(ring, actor=admin_account, company=admin_account.company, login=login,
                                         name=uname, role=role)
                db.session.commit()
                # Demo users share the published password (a real user gets a temporary one).
                accounts.change_password(ring, account=new.account, current=new.password, new=DEMO_PASSWORD)
                db.session.commit()
                made = True
    made = ensure_demo_workers(ring) or made
    # Before the cards: a worker whose serious listing is in effect is red, and red workers get no card.
    made = ensure_demo_sanctions(ring) or made
    made = ensure_demo_cards(ring) or made
    made = ensure_demo_self_service(ring) or made
    made = ensure_demo_trace(ring) or made
    made = ensure_demo_commendations(ring) or made
    made = ensure_demo_bulletin(ring) or made
    return made


DEMO_COMMENDATIONS = [
    # company key, the recording regulator's login, title, basis, days ago
    ("anxin", "demo-commerce", "年度家政服务诚信示范企业", "成商务〔2026〕15号", 20),
    ("shuguang", "demo-housing", "物业服务质量提升示范项目", "成住建〔2026〕21号", 35),
]


def ensure_demo_commendations(ring: KeyRing) -> bool:
    """Two verified demo companies commended by their regulators (through the real service), so the red list is not
    empty. A company that already holds a commendation of that title is left alone."""
    from datetime import timedelta

    from . import clock
    from .credit import commendations
    from .credit.models import Commendation

    made = False
    for key, login, title, basis, days_ago in DEMO_COMMENDATIONS:
        regulator = _account(login)
        admin = _account(next(c[6][0][0] for c in COMPANIES if c[0] == key))
        if regulator is None or admin is None or admin.company.status != "verified":
            continue
        company = admin.company
        if db.session.execute(select(Commendation.id).where(Commendation.company_id == company.id,
                                                            Commendation.title == title)).first() is not None:
            continue
        today = clock.today()
        commendations.record_commendation(ring, regulator=regulator, company=company, title=title, basis=basis,
                                          commended_on=today - timedelta(days=days_ago), today=today)
        db.session.commit()
        made = True
    return made


def ensure_demo_bulletin(ring: KeyRing) -> bool:
    """The bulletin of the last month that has ended, as the hourly schedule would make it (once)."""
    from flask import current_app

    from .bulletins import generate, periods
    from .bulletins.models import Bulletin

    if db.session.execute(select(Bulletin.id).limit(1)).first() is not None:
        return False
    from . import clock

    period = periods.previous(periods.month_of(clock.today()))
    config = current_app.config
    generate.generate(ring, period, origin=config["LOG_ORIGIN"], public_url=config["PUBLIC_URL"],
                      issuer=(config["BULLETIN_ISSUER_ZH"], config["BULLETIN_ISSUER_EN"]))
    db.session.commit()
    return True


# The demo worker whose self-service account is active (card number + this PIN at /me/login).
DEMO_PIN = "135790"


def _demo_staff(key: str):
    """(admin account, company, [workers currently employed]) of a demo company, or None."""
    from .workers.models import Employment, Worker

    admin = _account(next(c[6][0][0] for c in COMPANIES if c[0] == key))
    if admin is None or admin.company.status != "verified":
        return None
    staff = db.session.execute(
        select(Worker).join(Employment, Employment.worker_id == Worker.id)
        .where(Employment.company_id == admin.company_id, Employment.active).order_by(Employment.id)
    ).scalars().all()
    return admin, admin.company, staff


def ensure_demo_cards(ring: KeyRing) -> bool:
    """A card for every demo worker who may hold one (red workers get none), issued by their first employer."""
    from .cards import services as cards
    from .clock import today as shanghai_today
    from .workers.services import status_of

    made = False
    today = shanghai_today()
    for key, _count, _occupations in STAFF:
        found = _demo_staff(key)
        if found is None:
            continue
        admin, company, staff = found
        for worker in staff:
            if cards.latest_card(worker.id) is not None or status_of(worker, today).colour == "red":
                continue
            cards.issue_card(ring, account=admin, company=company, worker=worker, today=today)
            db.session.commit()
            made = True
    return made


def demo_self_service_worker():
    """The first green demo worker of 成都安心家政, whose self-service the demo activates."""
    from .clock import today as shanghai_today
    from .workers.services import status_of

    found = _demo_staff("anxin")
    if found is None:
        return None
    return next((w for w in found[2] if status_of(w, shanghai_today()).colour == "green"), None)


def ensure_demo_self_service(ring: KeyRing) -> bool:
    """Activate one demo worker's self-service with DEMO_PIN, the way a worker would: a code, then the PIN."""
    from . import clock
    from .selfservice import services as selfservice
    from .selfservice.models import WorkerLogin

    worker = demo_self_service_worker()
    if worker is None or db.session.execute(
            select(WorkerLogin.id).where(WorkerLogin.worker_id == worker.id)).first() is not None:
        return False
    admin = _account(COMPANIES[0][6][0][0])
    now = clock.now()
    issued = selfservice.issue_activation_code(ring, actor=admin, worker=worker, now=now)
    selfservice.activate(ring, card_no=worker.card_no, code=issued.code, pin=DEMO_PIN, now=now)
    db.session.commit()
    return True


# Demo staff: (company key, how many, occupations to draw from)
STAFF = [
    ("anxin", 20, ["cleaner", "childcare", "maternity", "elderly_care"]),
    ("tianfu", 18, ["cleaner", "elderly_care", "appliance_repair", "security", "property_maintenance"]),
    ("shuguang", 12, ["property_manager", "security", "property_maintenance", "cleaner"]),
]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
            "欧阳", "司马", "诸葛"]
GIVEN = ["秀英", "桂兰", "玉兰", "凤英", "建华", "丽", "敏", "静", "芳", "强", "伟", "军", "霞", "娟", "平", "红梅",
         "春燕", "海燕", "志强", "国庆"]


def ensure_demo_workers(ring: KeyRing) -> bool:
    """About fifty workers across the verified demo companies, with varied records."""
    from datetime import timedelta

    from . import clock
    from .clock import add_years
    from .clock import today as shanghai_today
    from .workers import attach, idnumber
    from .workers import services as workers
    from .workers.models import Employment

    made = False
    today = shanghai_today()
    rng = random.Random(8612)  # noqa: S311 — the same demo every time, not a secret
    admins = {c[0]: c[6][0][0] for c in COMPANIES}
    shared = []  # (person, engagement) registered again by a second company
    for key, count, occupations in STAFF:
        admin = _account(admins[key])
        if admin is None or admin.company.status != "verified":
            continue
        company = admin.company
        if db.session.execute(select(Employment.id).where(Employment.company_id == company.id).limit(1)).first():
            continue
        for i in range(count):
            birth = add_years(today, -rng.randrange(22, 58)) - timedelta(days=rng.randrange(365))
            kind = "resident" if i % 17 else rng.choice(["hk_permit", "tw_permit", "foreigner"])
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if kind == "foreigner":
                name = "阿依·古丽" if i % 2 else "买买提·艾力"
            person = workers.Person(name, idnumber.generate(rng, kind=kind, birth=birth),
                                    f"13{rng.randrange(10**9):09d}")
            start = today - timedelta(days=rng.randrange(20, 900))
            engagement = workers.Engagement(rng.choice(occupations),
                                            rng.choice(["labour_contract", "service_agreement",
                                                        "intermediary_placement"]), start, rng.random() < 0.7)
            reg = workers.register_worker(ring, account=admin, company=company, person=person,
                                          engagement=engagement, today=today)
            db.session.commit()
            _demo_records(ring, admin, company, reg.worker, rng, today, variant=i % 10)
            if key == "anxin" and i < 3:
                shared.append((person, engagement))
        made = True
    tianfu_admin = _account(admins["tianfu"])
    for person, engagement in shared:
        reg = workers.register_worker(ring, account=tianfu_admin, company=tianfu_admin.company, person=person,
                                      engagement=engagement, today=today)
        db.session.commit()
        # The shared workers have confirmed their second employer (as each would in self-service).
        attach.confirm_by_worker(ring, worker=reg.worker, employment_id=reg.employment.id, today=today, now=clock.now())
        db.session.commit()
    return made


def _demo_records(ring, admin, company, worker, rng, today, variant: int) -> None:
    """Records that make a spread of colours: mostly green, some yellow (expired, pending, missing), a red."""
    from datetime import timedelta

    from .workers import services as workers

    def add(kind, **data):
        workers.add_record(ring, account=admin, company=company, worker=worker, kind=kind, data=data, today=today)
        db.session.commit()

    if variant == 9:
        return  # just registered: nothing checked yet (yellow)
    add("identity", result="failed" if variant == 8 else "verified", checked_on=today - timedelta(days=30))
    checked = today - timedelta(days=rng.randrange(30, 300))
    health_until = {3: today - timedelta(days=5), 4: today + timedelta(days=12)}.get(variant,
                                                                                     checked + timedelta(days=365))
    add("health", result="passed", checked_on=min(checked, health_until, today), valid_until=health_until)
    insurance_until = {5: today + timedelta(days=20), 6: today - timedelta(days=40)}.get(
        variant, today + timedelta(days=rng.randrange(60, 300)))
    add("insurance", insurer=rng.choice(["中国人寿", "中国平安", "太平洋保险"]),
        valid_from=insurance_until - timedelta(days=365), valid_until=insurance_until)
    add("background", result="pending" if variant == 7 else "passed", checked_on=today - timedelta(days=60),
        authority="成都市公安局")
    if variant % 2 == 0:
        add("training", course=rng.choice(["家政服务员岗前培训", "母婴护理", "养老护理员（初级）", "物业安全管理"]),
            hours=rng.choice([16, 24, 40, 72]), exam_passed=True, trained_on=today - timedelta(days=rng.randrange(10,
                                                                                                                  400)),
            issuer="成都市家庭服务业协会")


# Demo sanctions, each against a demo subject picked by its position (stable across runs), one of each story:
#   key, agency (proposer, second regulator), subject (company key | (company key, staff index)), kind, severity,
#   window in months, bars home service, persons named, where it ends up, first day (days before today).
DEMO_SANCTIONS = [
    ("published_listing", ("demo-commerce", "demo-commerce-admin"), ("tianfu", 1), "serious_list", "serious", 12,
     True, [], "published", 40),
    ("published_fine", ("demo-housing", None), "shuguang", "fine", "general", 6, False,
     [{"role": "legal_representative", "name": "司马光明"}, {"role": "responsible", "name": "赵德胜"}],
     "published", 32),
    ("awaiting_approval", ("demo-housing", "demo-housing-admin"), ("shuguang", 2), "serious_list", "serious", 24,
     True, [], "decided", 21),
    ("minor_warning", ("demo-commerce", None), ("anxin", 5), "warning", "minor", None, False, [], "decided", 9),
    ("notice_window", ("demo-commerce", None), "jinjiang", "serious_list", "serious", 36, False,
     [{"role": "legal_representative", "name": "刘洋"}], "notified", 0),
]

_SANCTION_TEXT = {
    # key: (legal basis, facts, measures, decision number pattern)
    "published_listing": (
        "《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见》（国办发〔2020〕49号）；"
        "《商务部关于建立家政服务业信用体系的指导意见》",
        "该服务人员在上门服务期间多次私自收取雇主财物，经调查核实，情节严重。",
        "列入严重失信主体名单，公示期内不得从事家政上门服务", "成商务信〔{year}〕3号"),
    "published_fine": (
        "《物业管理条例》；《四川省物业管理条例》",
        "该企业在管项目消防通道长期堆放杂物，经责令整改后逾期未改正。",
        "罚款人民币二万元，责令限期清理消防通道", "成住建罚〔{year}〕27号"),
    "minor_warning": (
        "《商务部关于建立家政服务业信用体系的指导意见》",
        "该服务人员上门服务时未佩戴居家上门服务证，首次发现，已当场改正。",
        "警告", "成商务警〔{year}〕11号"),
    "awaiting_approval": (
        "《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见》（国办发〔2020〕49号）；"
        "《物业管理条例》",
        "该人员在物业维修服务中冒用他人资格证书，经调查核实。",
        "列入严重失信主体名单，公示期内不得从事居家上门服务", "成住建信〔{year}〕5号"),
    "notice_window": (
        "《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见》（国办发〔2020〕49号）；"
        "《商务部关于建立家政服务业信用体系的指导意见》",
        "该企业以虚假家政服务员健康证明招揽业务，涉及多户家庭，经调查核实。",
        "列入严重失信主体名单，公示期内限制参与政府采购和财政资金支持项目", None),
}

# How each listing's notice reached its subject: by hand the day it was proposed, by post two working days later
# (recorded the next working day), or — the one noticed today — by text message to the phone on record.
_DEMO_DELIVERY = {"published_listing": "in_person", "awaiting_approval": "post", "notice_window": "sms"}


class _History:
    """The registry's clock stopped at chosen past moments, so the demo's sanctions get a real history.

    A serious listing is decided only after its objection window, so a demo
    that starts today records its proposals weeks ago. The services keep
    their rules (nothing takes a back-dated argument): the registry's clock
    itself is stepped back through a temporary clock file (`clock.follow`),
    each step committed, and what the clock followed before is restored.
    """

    def __init__(self, path: str):
        from . import clock

        self.path = path
        self.previous = clock.followed()
        self.real_now = clock.now()
        self.real_today = clock.today()

    def at(self, day, minute: int = 0):
        """Stop the clock at 10:minute on `day` in Shanghai (never later than the moment the demo started)."""
        import json
        from datetime import datetime, time

        from . import clock

        moment = min(datetime.combine(day, time(10, minute), clock.SHANGHAI), self.real_now)
        with open(self.path, "w", encoding="utf-8") as fh:
            json.dump({"frozen": moment.isoformat()}, fh)
        clock.follow(self.path)  # re-reads the file at once, however close its last write
        return clock.today()

    def restore(self) -> None:
        from . import clock

        clock.follow(self.previous)


def _workday(day):
    """`day` if it is a working day, else the next working day (on the registry's calendar)."""
    from datetime import timedelta

    from .calendar import services as calendar

    return calendar.working_day_after(day - timedelta(days=1), 1).day


def _sanction_subject(spec):
    """The demo subject (a Worker or a Company) a planned sanction names, or None when the demo lacks it."""
    if isinstance(spec, tuple):
        key, index = spec
        found = _demo_staff(key)
        return found[2][index] if found is not None and len(found[2]) > index else None
    admin = _account(next(c[6][0][0] for c in COMPANIES if c[0] == spec))
    return admin.company if admin is not None else None


# What a listing's notice tells its subject (the case's facts stay with the regulators).
_NOTICE_REASONS = ("经核查，你方在上门服务中多次违反服务合同约定，情节严重，拟依据《家政服务业信用体系建设办法》"
                   "列入严重失信主体名单。")


def ensure_demo_sanctions(ring: KeyRing) -> bool:
    """Sanctions of every severity against demo workers and companies, each at its point in the due process.

    A published serious listing (decided, approved by a second regulator),
    a published fine naming the company's legal representative, an
    unpublished minor warning, a listing decided and awaiting its second
    regulator, and one noticed today (its objection window open). Each is
    found again by its subject and kind, and taken only as far as it has
    not gone yet, so a second run adds nothing.
    """
    import os
    import tempfile
    from datetime import timedelta

    from . import clock
    from .calendar import services as calendar
    from .sanctions import services as sanctions
    from .sanctions.models import Sanction
    from .sanctions.rules import RULES_IN_FORCE
    from .workers.models import Worker

    planned = []
    for key, (proposer, second), spec, kind, severity, months, bars, persons, target, days_ago in DEMO_SANCTIONS:
        subject = _sanction_subject(spec)
        regulators = [_account(proposer)] + ([_account(second)] if second else [])
        if subject is None or None in regulators:
            continue
        planned.append((key, regulators, subject, kind, severity, months, bars, persons, target, days_ago))
    # Decisions are recorded from the day the current rules took effect: a clock set before then seeds none.
    if not planned or clock.today() - timedelta(days=max(p[-1] for p in planned)) < RULES_IN_FORCE:
        return False
    made = False
    with tempfile.TemporaryDirectory() as tmp:
        history = _History(os.path.join(tmp, "clock.json"))
        try:
            for key, regulators, subject, kind, severity, months, bars, persons, target, days_ago in planned:
                is_worker = isinstance(subject, Worker)
                column = Sanction.worker_id if is_worker else Sanction.company_id
                sanction = db.session.execute(
                    select(Sanction).where(column == subject.id, Sanction.kind == kind)
                    .order_by(Sanction.id).limit(1)).scalar_one_or_none()
                basis, facts, measures, number = _SANCTION_TEXT[key]
                proposer, approver = regulators[0], regulators[-1]
                if sanction is None:
                    # Regulators act on working days: a step that would fall on a rest day waits for the next one.
                    today = history.at(_workday(history.real_today - timedelta(days=days_ago)))
                    listing = kind == "serious_list"
                    sanction = sanctions.record_sanction(
                        ring, regulator=proposer, today=today, subject_kind="worker" if is_worker else "company",
                        card_no=subject.card_no if is_worker else None, uscc=None if is_worker else subject.uscc,
                        kind=kind, severity=severity, legal_basis=basis, facts=facts, measures=measures,
                        bars_home_service=bars, publish_months=months,
                        decision_no=None if listing else number.format(year=today.year),
                        decision_date=None if listing else today, persons=persons or None).sanction
                    db.session.commit()
                    made = True
                # The day it was recorded, whether by this run or by one that stopped half-way.
                first_day = clock.local_date(sanction.created_dt)
                if sanction.state == "proposed":
                    # Notices of days gone by were delivered in person or by post (no stale text message).
                    method = _DEMO_DELIVERY[key]
                    if method == "sms":
                        today = history.at(history.real_today, 5)
                        delivery = {}
                    elif method == "in_person":
                        today = history.at(first_day, 30)
                        delivery = {"delivery_method": method, "delivered_on": today}
                    else:
                        delivered = calendar.working_day_after(first_day, 2).day
                        today = history.at(calendar.working_day_after(delivered, 1).day)
                        delivery = {"delivery_method": method, "delivered_on": delivered}
                    sanctions.notify_sanction(ring, regulator=proposer, sanction=sanction, today=today,
                                              reasons=_NOTICE_REASONS, **delivery)
                    db.session.commit()
                    made = True
                if sanction.state == "notified" and target != "notified":
                    # The first working day after the objection window; not yet, if that is still to come.
                    day = calendar.working_day_after(sanctions.objection_until(sanction).day, 1).day
                    if day > history.real_today:
                        continue
                    today = history.at(day)
                    sanctions.decide_sanction(ring, regulator=proposer, sanction=sanction, today=today,
                                              decision_no=number.format(year=today.year))
                    db.session.commit()
                    made = True
                if sanction.state == "decided" and kind == "serious_list" and target == "published":
                    today = history.at(sanction.decision_date, 30)
                    sanctions.approve_sanction(ring, regulator=approver, sanction=sanction, today=today)
                    db.session.commit()
                    made = True
                if sanction.state in ("decided", "approved") and target == "published":
                    today = history.at(calendar.working_day_after(sanction.decision_date, 1).day)
                    sanctions.publish_sanction(ring, regulator=proposer, sanction=sanction, today=today)
                    db.session.commit()
                    made = True
        finally:
            history.restore()
    return made


def database_is_empty() -> bool:
    return (db.session.execute(select(Agency.id).limit(1)).first() is None
            and db.session.execute(select(Company.id).limit(1)).first() is None)


# The name of the token `demo --json` issues to each demo account.
DEMO_TOKEN_NAME = "demo"  # noqa: S105 — a token's name, not a token


def _fresh_demo_token(ring: KeyRing, account: Account) -> str:
    """Revoke the account's live demo tokens and issue a new one, in one transaction.

    Only SHA-256 digests of tokens are stored, so an earlier demo token cannot
    be printed again; revoking it keeps one live demo token per demo account
    however often `demo --json` runs. Tokens under other names are left alone.
    """
    from .accounts.models import ApiToken

    live = db.session.execute(
        select(ApiToken.id).where(ApiToken.account_id == account.id, ApiToken.name == DEMO_TOKEN_NAME,
                                  ApiToken.revoked_dt.is_(None)).order_by(ApiToken.id)).scalars().all()
    for token_id in live:
        accounts.revoke_token(ring, account=account, token_id=token_id)
    _token, raw, _rec = accounts.issue_token(ring, account=account, name=DEMO_TOKEN_NAME)
    db.session.commit()
    return raw


def demo_json(ring: KeyRing, with_tokens: bool = True) -> dict:
    """Every demo account (with a freshly issued token, its earlier demo tokens revoked), and every demo company."""
    out_accounts = []
    logins = [u[1] for u in AGENCY_USERS] + [u[0] for c in COMPANIES for u in c[6]]
    for login in logins:
        account = _account(login)
        if account is None:
            continue
        raw = None
        if with_tokens:
            raw = _fresh_demo_token(ring, account)
        row = {"role": account.role, "login": account.login, "password": DEMO_PASSWORD,
               "totp_secret": accounts.totp_secret(ring, account), "token": raw}
        if account.company_id:
            row["company_uscc"] = account.company.uscc
        else:
            row["agency"] = account.agency.code
            row["sector"] = account.agency.sector
        out_accounts.append(row)
    admin_logins = {c[6][0][0] for c in COMPANIES}
    out_companies = []
    for company in db.session.execute(select(Company).order_by(Company.id)).scalars():
        if any(a.login in admin_logins for a in company.accounts):
            out_companies.append({"uscc": company.uscc, "name": company.name, "sectors": company.sectors,
                                  "status": company.status})
    from .workers.models import Employment, Worker

    out_workers = []
    rows = db.session.execute(
        select(Worker.card_no, Company.uscc, Employment.occupation).join(Employment, Employment.worker_id == Worker.id)
        .join(Company, Company.id == Employment.company_id).order_by(Employment.id)).all()
    demo_usccs = {c["uscc"] for c in out_companies}
    for card_no, uscc, occupation in rows:
        if uscc in demo_usccs:
            out_workers.append({"card_no": card_no, "company_uscc": uscc, "occupation": occupation})
    worker = demo_self_service_worker()
    self_service = {"card_no": worker.card_no, "pin": DEMO_PIN} if worker is not None else None
    return {"accounts": out_accounts, "companies": out_companies, "workers": out_workers,
            "self_service": self_service, "sanctions": _demo_sanctions_json(demo_usccs),
            "bulletins": _demo_bulletins_json(), **_demo_trace_json()}


def _demo_bulletins_json() -> list[dict]:
    """Every bulletin version: its ref, period and version, and whether it is current."""
    from .bulletins.models import Bulletin

    return [{"ref": b.ref, "period": b.period_key, "version": b.version, "state": b.state}
            for b in db.session.execute(select(Bulletin).order_by(Bulletin.period_key, Bulletin.version)).scalars()]


def _demo_sanctions_json(demo_usccs: set[str]) -> list[dict]:
    """Every sanction against a demo company or a demo company's worker: its ref, subject (card number or USCC)
    and state, with its kind and severity."""
    from sqlalchemy.orm import selectinload

    from .sanctions.models import Sanction
    from .workers.models import Employment, Worker

    rows = db.session.execute(select(Sanction).options(selectinload(Sanction.worker), selectinload(Sanction.company))
                              .order_by(Sanction.id)).scalars().all()
    demo_workers = set(db.session.execute(
        select(Worker.id).join(Employment, Employment.worker_id == Worker.id)
        .join(Company, Company.id == Employment.company_id).where(Company.uscc.in_(demo_usccs))).scalars())
    out = []
    for s in rows:
        if s.worker_id in demo_workers or (s.company is not None and s.company.uscc in demo_usccs):
            out.append({"ref": s.ref, "subject": s.worker.card_no if s.worker is not None else s.company.uscc,
                        "state": s.state, "kind": s.kind, "severity": s.severity})
    return out


# --- traceability: services, reviews, complaints ---------------------------------------------------------------

# The demo's customers: the phones its services are recorded for. Never stored (only the household references are);
# a regulator may type one into the household query (README, "Demo data").
DEMO_HOUSEHOLDS = ("13900000101", "13900000102", "13900000103", "13900000104", "13900000105")

# The demo's services, in the order they are recorded: (company key, whose — "reviewed" for the worker whose card
# shows reviews and complaints, "other" for a green worker of that company —, service type, district, household,
# days ago it began, hours, the customer's review (rating, tags, text) or None, the company's reply or None).
DEMO_SERVICES = [
    ("anxin", "reviewed", "cleaning", "锦江区", 0, 12, 3,
     (5, ["punctual", "tidy"], "阿姨很细心，厨房和卫生间擦得很干净。"), None),
    ("anxin", "reviewed", "deep_cleaning", "武侯区", 1, 9, 5,
     (4, ["professional"], "深度保洁很到位，就是比约定晚结束半小时。"),
     "感谢您的评价，我们会提醒服务人员合理安排时间。"),
    ("anxin", "reviewed", "cleaning", "锦江区", 2, 6, 3,
     (2, ["late", "careless"], "迟到了四十分钟，还打碎了一个花瓶没有说。"),
     "非常抱歉，我们已与您联系协商赔偿，并对服务人员进行了再培训。"),
    ("anxin", "reviewed", "cleaning", "青羊区", 3, 3, 2, None, None),
    ("anxin", "other", "child_care", "成华区", 4, 4, 6, None, None),
    ("tianfu", "other", "elder_care", "双流区", 4, 5, 8, (5, ["careful", "polite"], "护理员很耐心，老人很满意。"),
     None),
]

# Two complaints about the reviewed worker, decided by `demo-commerce`: one substantiated (on the public card) and
# one unfounded (shown nowhere public). (how filed, household for a phone, category, text, target, reasons per step)
DEMO_COMPLAINTS = [
    ("household_phone", 2, "quality", "保洁时打碎花瓶后把碎片藏起来，没有告诉我们，还迟到了四十分钟。", "substantiated",
     {"accept": "材料齐全，属于本部门管辖范围，予以受理。",
      "investigate": "已调取服务记录，约谈服务企业和服务人员。",
      "substantiate": "经调查，服务人员损坏物品后未如实告知，投诉事实成立；企业已赔偿并对其进行再培训。"}),
    ("card_page", None, "theft", "服务结束后发现家中少了现金。", "unfounded",
     {"accept": "材料齐全，属于本部门管辖范围，予以受理。",
      "investigate": "已调取服务记录，询问投诉人家属和服务人员。",
      "dismiss": "经调查，服务期间投诉人家属全程在场，现金另有去向，投诉事实不成立。"}),
]
_COMPLAINT_PATHS = {"substantiated": ("accept", "investigate", "substantiate"),
                    "unfounded": ("accept", "investigate", "dismiss")}


def _green(workers: list, today, skip: set[int]):
    from .workers.services import status_of

    return next((w for w in workers if w.id not in skip and status_of(w, today).colour == "green"), None)


def _demo_trace_workers(today) -> dict | None:
    """{(company key, "reviewed" | "other"): worker} — none of them the banner's example card, the self-service
    worker, the people two companies share, or a sanctioned worker."""
    anxin, tianfu = _demo_staff("anxin"), _demo_staff("tianfu")
    if anxin is None or tianfu is None:
        return None
    shared_or_listed = {w.id for i, w in enumerate(anxin[2]) if i in (0, 1, 2, 5)}
    shared_or_listed |= {w.id for i, w in enumerate(tianfu[2]) if i == 1}
    shared_or_listed |= {w.id for w in tianfu[2] if w.id in {x.id for x in anxin[2]}}
    me = demo_self_service_worker()
    if me is not None:
        shared_or_listed.add(me.id)
    reviewed = _green(anxin[2], today, shared_or_listed)
    other = _green(anxin[2], today, shared_or_listed | {reviewed.id}) if reviewed else None
    other_tianfu = _green(tianfu[2], today, shared_or_listed)
    if None in (reviewed, other, other_tianfu):
        return None
    return {("anxin", "reviewed"): reviewed, ("anxin", "other"): other, ("tianfu", "other"): other_tianfu}


def _demo_services() -> list:
    """The services the demo companies recorded, in the order they were recorded."""
    from .trace.models import ServiceRecord

    admins = [_account(c[6][0][0]) for c in COMPANIES]
    ids = [a.company_id for a in admins if a is not None]
    return db.session.execute(select(ServiceRecord).where(ServiceRecord.company_id.in_(ids))
                              .order_by(ServiceRecord.id)).scalars().all()


def _review_code(ring: KeyRing, reference: str) -> str | None:
    """The review code the customer of this service was sent (the development outbox keeps it 30 days)."""
    import re

    from .notify.services import read_outbox

    for m in read_outbox(ring, limit=500):
        if m["kind"] == "review_code" and f"服务编号 {reference}）" in m["text"]:
            found = re.search(r"评价码 ([0-9A-Z]{4}-[0-9A-Z]{4})", m["text"])
            return found.group(1) if found else None
    return None


def ensure_demo_trace(ring: KeyRing) -> bool:
    """Services recorded by demo companies, the customers' reviews (with the code each was sent) and the company's
    replies, and two complaints about one worker taken to their conclusions: one substantiated, one unfounded.

    Everything goes through the services, as a company, a customer and a
    regulator would. Each part is found again (services by position, a review on
    its service, complaints about the worker) and only what is missing is made,
    so a second run adds nothing.
    """
    from datetime import timedelta

    from . import clock
    from .complaints import rules as complaint_rules
    from .complaints import services as complaints
    from .complaints.models import Complaint
    from .errors import ApiError
    from .trace import reviews
    from .trace import rules as trace_rules
    from .trace import services as trace

    made = False
    now = clock.now()
    done = _demo_services()
    if len(done) < len(DEMO_SERVICES):
        workers = _demo_trace_workers(clock.today())
        if workers is None:
            return False
        if done:  # a run that stopped half-way: the reviewed worker is the one already served
            workers[("anxin", "reviewed")] = done[0].worker
        for key, whose, service_type, district, household, days_ago, hours, _review, _reply in \
                DEMO_SERVICES[len(done):]:
            admin = _account(next(c[6][0][0] for c in COMPANIES if c[0] == key))
            start = (now - timedelta(days=days_ago)).replace(hour=1, minute=30, second=0, microsecond=0)
            fields = trace_rules.ServiceFields(service_type=service_type, phone=DEMO_HOUSEHOLDS[household],
                                               district=district, start=start, end=start + timedelta(hours=hours),
                                               override_reason=None)
            trace.record_service(ring, account=admin, company=admin.company, worker=workers[(key, whose)],
                                 fields=fields, now=now)
            db.session.commit()
            made = True
        done = _demo_services()
    for service, (key, _whose, *_rest, review, reply) in zip(done, DEMO_SERVICES, strict=False):
        reference = trace.reference_of(service.reference)
        if review is not None and service.review is None:
            code = _review_code(ring, reference)
            if code is None:
                continue  # the message is gone (30 days): this review is not left
            rating, tags, text = review
            try:
                reviews.leave_review(ring, reference=reference, code=code, rating=rating, tags=tags, text=text,
                                     now=clock.now())
            except ApiError:  # the code expired (14 days) before this run
                db.session.rollback()
                continue
            db.session.commit()
            made = True
        if reply is not None and service.review is not None and service.review.reply_enc is None:
            admin = _account(next(c[6][0][0] for c in COMPANIES if c[0] == key))
            reviews.reply(ring, account=admin, company=admin.company, service=service, text=reply, now=clock.now())
            db.session.commit()
            made = True
    if not done:
        return made
    worker = done[0].worker
    regulator = _account("demo-commerce")
    filed = db.session.execute(select(Complaint).where(Complaint.worker_id == worker.id)
                               .order_by(Complaint.id)).scalars().all()
    for method, household, category, text, _target, _reasons in DEMO_COMPLAINTS[len(filed):]:
        if method == "household_phone":
            complaints.file_by_phone(ring, worker=worker, phone=DEMO_HOUSEHOLDS[household], category=category,
                                     text=text, now=clock.now())
        else:
            complaints.file_from_card(ring, worker=worker, category=category, text=text, now=clock.now())
        db.session.commit()
        made = True
    filed = db.session.execute(select(Complaint).where(Complaint.worker_id == worker.id)
                               .order_by(Complaint.id)).scalars().all()
    for complaint, (*_rest, target, reasons) in zip(filed, DEMO_COMPLAINTS, strict=False):
        for step in _COMPLAINT_PATHS[target]:
            if complaint.state != target and step in complaint_rules.steps_from(complaint.state):
                complaints.take_step(ring, regulator=regulator, complaint=complaint, step=step, reason=reasons[step],
                                     now=clock.now())
                db.session.commit()
                made = True
    return made


def _demo_trace_json() -> dict:
    """What the demo's traceability made: `services` (reference, card, company, type, reviewed), `reviews` (the
    service's reference, card, rating, tags, replied) and `complaints` (reference, card, category, state, public)."""
    from .complaints import rules as complaint_rules
    from .complaints.models import Complaint
    from .complaints.services import reference_of as complaint_reference
    from .trace.services import reference_of

    services = _demo_services()
    out_services, out_reviews = [], []
    for s in services:
        reference = reference_of(s.ref)
        out_services.append({"reference": reference, "card_no": s.worker.card_no, "company_uscc": s.company.uscc,
                             "service_type": s.service_type, "reviewed": s.review is not None})
        if s.review is not None:
            out_reviews.append({"service_reference": reference, "card_no": s.worker.card_no,
                                "rating": s.review.rating, "tags": list(s.review.tags),
                                "replied": s.review.reply_enc is not None})
    workers = {s.worker_id for s in services}
    rows = db.session.execute(select(Complaint).where(Complaint.worker_id.in_(workers))
                              .order_by(Complaint.id)).scalars().all() if workers else []
    out_complaints = [{"reference": complaint_reference(c), "card_no": c.worker.card_no, "category": c.category,
                       "state": c.state, "public": complaint_rules.is_public(c.state)} for c in rows]
    return {"services": out_services, "reviews": out_reviews, "complaints": out_complaints}
