"""Test data made through the real services, keys and database (the `factory` fixture), and the API's
bearer header. Benchmarks use the Factory too, so it lives here rather than in conftest.py."""
from __future__ import annotations

import itertools
import random

import pyotp

_seq = itertools.count(1)


class Factory:
    """Makes agencies, accounts, companies and tokens through the services."""

    def __init__(self, app):
        self.app = app
        from registry.keys import keyring

        self.ring = keyring(app)
        self.rng = random.Random(1234)

    def agency(self, sector="housekeeping", kind="regulator", code=None):
        from registry.accounts import services
        from registry.extensions import db

        n = next(_seq)
        agency, _ = services.create_agency(self.ring, actor="system", code=code or f"agency-{n}",
                                           name_zh=f"测试机构{n}", name_en=f"Agency {n}", kind=kind, sector=sector)
        db.session.commit()
        return agency

    def agency_user(self, agency, role="regulator", password="correct horse battery"):
        from registry.accounts import services
        from registry.extensions import db

        n = next(_seq)
        new = services.add_agency_user(self.ring, actor=None, agency=agency, login=f"user{n}", name="王监管",
                                       role=role, password=password)
        db.session.commit()
        new.password = password
        return new

    def profile(self, **over):
        from registry.companies.services import CompanyProfile

        data = dict(name="成都测试家政服务有限公司", sectors=["housekeeping"], business_model="employee",
                    employee_conditions={"contracts": True, "social_insurance": True, "minimum_wage": True,
                                         "ongoing_training": True},
                    district="510104", contact_name="李联系", contact_phone="13800138000")
        data.update(over)
        return CompanyProfile(**data)

    def uscc(self):
        from registry.companies import uscc

        return uscc.generate(self.rng)

    def company(self, verified=True, sectors=("housekeeping",), password="correct horse battery", **over):
        from registry.companies import services
        from registry.extensions import db

        n = next(_seq)
        name = over.pop("name", f"测试企业{n}")
        kw = {}
        if "property" in sectors and "housekeeping" not in sectors:
            kw = dict(business_model=None, employee_conditions=None)
        kw.update(over)
        company, admin = services.register_company(
            self.ring, uscc=self.uscc(), profile=self.profile(sectors=list(sectors), name=name, **kw),
            admin_login=f"admin{n}", admin_name="赵管理", admin_password=password)
        db.session.commit()
        if verified:
            regulator = self.regulator_for(sectors[0])
            services.decide(self.ring, regulator=regulator, company=company, verify=True, note=None)
            db.session.commit()
        admin.password = password
        return company, admin

    def regulator_for(self, sector):
        """One regulator per sector, made on first use."""
        cache = self.__dict__.setdefault("_regulators", {})
        if sector not in cache:
            cache[sector] = self.agency_user(self.agency(sector=sector)).account
        return cache[sector]

    def token(self, account, name="test"):
        from registry.accounts import services
        from registry.extensions import db

        _t, raw, _r = services.issue_token(self.ring, account=account, name=name)
        db.session.commit()
        return raw

    @staticmethod
    def totp_now(secret):
        return pyotp.TOTP(secret).now()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}
