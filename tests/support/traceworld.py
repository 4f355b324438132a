"""A world for the trace queries: a worker of company A, served by A and (with a reason) by company B, and
regulators of each sector; and a search of everything the database holds for a customer's phone."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from registry.extensions import db
from tests.support.cardworld import CardWorld, green_worker
from tests.support.dbfile import file_hits
from tests.support.traceutil import record


@dataclass
class TraceWorld:
    a: CardWorld  # company A employs the worker
    b: CardWorld  # company B (housekeeping too) does not
    stranger: object  # company C's admin account: no relation to the worker
    regs: dict  # sector → a regulator account; "market"; "hk_admin" (a regulator admin); "operator"
    totp: dict  # the same keys → TOTP secret
    passwords: dict
    tokens: dict

    @property
    def worker(self):
        return self.a.worker


def trace_world(factory) -> TraceWorld:
    a = green_worker(factory)
    other, other_admin = factory.company()
    b = CardWorld(other, other_admin.account, a.worker, a.today)
    _c, c_admin = factory.company()
    hk = factory.agency(sector="housekeeping")
    regs, totp = {}, {}
    for key, agency, role in (("housekeeping", hk, "regulator"), ("hk_admin", hk, "regulator_admin"),
                              ("property", factory.agency(sector="property"), "regulator"),
                              ("market", factory.agency(sector="market"), "regulator"),
                              ("operator", factory.agency(kind="operator", sector=None), "operator_admin")):
        new = factory.agency_user(agency, role=role)
        regs[key], totp[key] = new.account, new.totp_secret
    accounts = {"a": a.admin, "b": b.admin, "c": c_admin.account, **regs}
    tokens = {k: factory.token(acc) for k, acc in accounts.items()}
    return TraceWorld(a, b, c_admin.account, regs, totp, {}, tokens)


def serve(factory, world: TraceWorld, phone: str):
    """A service of the worker by A, and one by B (not its employee: with a reason)."""
    return record(factory, world.a, phone=phone), record(factory, world.b, phone=phone,
                                                         override_reason="临时借调，已报备", hours_ago=30)


def database_holds(app, needle: str) -> list[str]:
    """Where the database holds `needle`: every row of every table as text, and on SQLite the database's files
    themselves (the main file, its write-ahead log), byte for byte."""
    db.session.rollback()
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            if needle in repr(tuple(row)):
                found.append(table.name)
    found += [name for name, _needle in file_hits(app.config["SQLALCHEMY_DATABASE_URI"], [needle])]
    return found
