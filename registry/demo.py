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
    made = ensure_demo_bulletin(ring) or made
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
            "bulletins": _demo_bulletins_json()}


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
