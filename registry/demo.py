"""Demo data: agencies, accounts and companies, made through the services.

Idempotent: what exists is left alone, what is missing is made. Demo accounts
share one published password so the README and `make run` can print them.
"""
from __future__ import annotations

import random

from sqlalchemy import select

from .accounts import services as accounts
from .accounts.models import Account, Agency
from .companies import services as companies, uscc as uscc_mod
from .companies.models import Company
from .extensions import db
from .keys import KeyRing

DEMO_PASSWORD = "jiaxin-demo-2026"

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
            accounts.create_agency(ring, actor="system", code=code, name_zh=name_zh, name_en=name_en, kind=kind,
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
    rng = random.Random(20261126)
    for key, name, sectors, model, district, verified, users in COMPANIES:
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
    return made


def database_is_empty() -> bool:
    return (db.session.execute(select(Agency.id).limit(1)).first() is None
            and db.session.execute(select(Company.id).limit(1)).first() is None)


def demo_json(ring: KeyRing, with_tokens: bool = True) -> dict:
    """Every demo account (with a freshly issued token), and every demo company."""
    out_accounts = []
    logins = [u[1] for u in AGENCY_USERS] + [u[0] for c in COMPANIES for u in c[6]]
    for login in logins:
        account = _account(login)
        if account is None:
            continue
        raw = None
        if with_tokens:
            _token, raw, _rec = accounts.issue_token(ring, account=account, name="demo")
            db.session.commit()
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
    return {"accounts": out_accounts, "companies": out_companies}
