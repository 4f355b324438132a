"""Trace queries (追溯查询): a worker's services, a company's, and a household's. Nothing here commits.

Who sees a worker's services: the company sees the services it recorded
itself (of its employees or not), and nothing another company recorded; a
regulator sees them all under the rule of the worker's detailed record
(`workers.services.may_view`: a sector employing the worker, or market
supervision). Anyone else: 404, as if the worker did not exist.

The household query (regulators, any sector): the regulator types the
customer's phone; it is turned into the global household reference
(`services.global_household_ref`), used for the one read, and dropped — never
stored, never logged, never in a URL. Every query leaves a row in the private
query record (`household_queries`: who, which agency, when, why, how many
found, and only a state HMAC of the household's reference) in the same
transaction. That row is not business state (nothing about the services
changes): it is unlogged by design, like the worker's access record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, insert, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Account, Agency
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES, Role
from ..companies.models import Company
from ..database import Prepared
from ..errors import ApiError, field_error, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import state_hmac
from ..workers.models import Worker
from ..workers.person import e164_mobile
from ..workers.services import active_employment, check_card_no, may_view
from . import views_model
from .models import HouseholdQuery, ServiceRecord
from .services import global_household_ref
from .textmask import mask_text
from .vocab import QUERY_PURPOSES

# A household query answers at most this many services, the newest first (said in the answer and the docs):
# enough for any investigation of one household, and a bound on what one query can carry away.
HOUSEHOLD_LIMIT = 200
NOTE_MAX = 200


@dataclass(frozen=True)
class Page:
    rows: list
    page: int
    page_size: int
    total: int


def _page(q, *, page: int, page_size: int) -> Page:
    total = db.session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(q.limit(page_size).offset((page - 1) * page_size)).scalars().all()
    return Page(list(rows), page, page_size, total)


def _newest_first(q):
    return q.options(joinedload(ServiceRecord.worker), joinedload(ServiceRecord.company)).order_by(
        ServiceRecord.start_dt.desc(), ServiceRecord.id.desc())


# --- a worker's services ------------------------------------------------------------------------------------

def recorded_any(company_id: int, worker_id: int) -> bool:
    return db.session.execute(select(exists().where(ServiceRecord.company_id == company_id,
                                                    ServiceRecord.worker_id == worker_id))).scalar()


def may_see_services(account: Account, worker: Worker) -> bool:
    """Regulators by the detailed record's rule; a company that employs the worker now or recorded a service of
    theirs (it sees only its own records); nobody else."""
    if account.role in REGULATOR_ROLES:
        return may_view(account, worker)
    if account.role in COMPANY_ROLES and account.company is not None:
        return active_employment(worker, account.company) is not None or recorded_any(account.company_id, worker.id)
    return False


def worker_services(account: Account, worker: Worker, *, page: int, page_size: int) -> Page:
    """The worker's services `account` may see, newest first; 404 if it may see none of the worker."""
    if not may_see_services(account, worker):
        raise not_found("worker", "从业人员")
    q = select(ServiceRecord).where(ServiceRecord.worker_id == worker.id)
    if account.role not in REGULATOR_ROLES:
        q = q.where(ServiceRecord.company_id == account.company_id)
    return _page(_newest_first(q), page=page, page_size=page_size)


# --- a company's own services ---------------------------------------------------------------------------------

FILTER_YEARS = (2000, 2199)


def company_services(company: Company, *, card_no: str | None, start_from: datetime | None,
                     start_to: datetime | None, page: int, page_size: int) -> Page:
    """The services `company` recorded, newest first: of one worker (a card number nobody holds: none), and with
    a start in [start_from, start_to)."""
    for name, value in (("from", start_from), ("to", start_to)):
        # Years the registry can hold: the first and last days of the calendar overflow once moved to UTC.
        if value is not None and not FILTER_YEARS[0] <= value.year <= FILTER_YEARS[1]:
            raise field_error(name, f"Give a date between {FILTER_YEARS[0]} and {FILTER_YEARS[1]}.",
                              f"请填写 {FILTER_YEARS[0]}—{FILTER_YEARS[1]} 年之间的日期。")
    if start_from is not None and start_to is not None and start_to <= start_from:
        raise field_error("to", "`to` must come after `from`.", "结束时间须晚于开始时间。")
    q = select(ServiceRecord).where(ServiceRecord.company_id == company.id)
    if card_no:
        q = q.join(Worker, Worker.id == ServiceRecord.worker_id).where(Worker.card_no == check_card_no(card_no))
    if start_from is not None:
        q = q.where(ServiceRecord.start_dt >= start_from)
    if start_to is not None:
        q = q.where(ServiceRecord.start_dt < start_to)
    return _page(_newest_first(q), page=page, page_size=page_size)


# --- a household's services -----------------------------------------------------------------------------------

def _household_statement():
    st, wt, ct = ServiceRecord.__table__, Worker.__table__, Company.__table__
    s, w, c = st.c, wt.c, ct.c
    # Read through ix_services_household_start backwards: a household's newest services first; only the columns
    # the regulator's view shows, in one joined statement.
    return (select(s.ref, w.card_no, w.name_masked, c.uscc, c.name, s.service_type, s.district, s.start_dt,
                   s.end_dt, s.household_ref, s.overrides, s.override_reason, s.recorded_by, s.created_dt)
            .select_from(st).join(wt, w.id == s.worker_id).join(ct, c.id == s.company_id)
            .where(s.household_ref == bindparam("ref", type_=s.household_ref.type))
            .order_by(s.start_dt.desc(), s.id.desc()).limit(HOUSEHOLD_LIMIT))


# Compiled once per dialect and run on the driver's cursor (`database.Prepared`): SQLAlchemy's per-call cache key
# and result objects cost more than the indexed read itself.
_HOUSEHOLD_QUERY = Prepared(_household_statement())


def phone_problem() -> ApiError:
    # Never the value typed: a phone must not come back in an answer or a log line.
    return field_error("phone", "Give the customer's mainland mobile number (11 digits).",
                       "请填写客户的 11 位手机号码。", code="phone_invalid")


@dataclass(frozen=True)
class HouseholdFound:
    services: list  # views_model.Facts, newest first
    query_id: int


def household_services(ring: KeyRing, *, regulator: Account, phone: str, purpose: str, note: str | None,
                       now: datetime) -> HouseholdFound:
    """The household's services (as `views_model.Facts`, newest first, at most `HOUSEHOLD_LIMIT`) and the id of
    the query record.

    Any regulator of any sector: a household is no sector's. The phone is
    dropped once derived; the query record keeps only the state HMAC of the
    reference (someone holding the phone can check whether it was queried; the
    record alone names no one).
    """
    if regulator.role not in REGULATOR_ROLES or regulator.agency_id is None:
        raise not_found("household", "住户")
    if purpose not in QUERY_PURPOSES:
        raise field_error("purpose", "Choose why you query from the list.", "请从列表中选择查询用途。")
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise field_error("note", f"Use at most {NOTE_MAX} characters.", f"最多 {NOTE_MAX} 个字符。")
    # The note is kept for good and read by operators: a phone typed into it (the household's, even) is masked.
    note = mask_text(note) if note else note
    e164 = e164_mobile(phone) if isinstance(phone, str) else None
    if e164 is None:
        raise phone_problem()
    ref = global_household_ref(ring, e164)
    del e164, phone
    rows = _HOUSEHOLD_QUERY.rows(db.session.connection(), {"ref": ref})
    services = [views_model.facts_from_row(r) for r in rows]
    query_id = _record_query(db.session.connection(), {
        "account_ref": regulator.ref, "agency_id": regulator.agency_id, "purpose": purpose, "note": note,
        "household_state": state_hmac(ring, "household_ref", ref), "results": len(services), "created_dt": now})
    return HouseholdFound(services, query_id)


_RECORD = (insert(HouseholdQuery.__table__)
           .values({c.name: bindparam(c.name) for c in HouseholdQuery.__table__.c if c.name != "id"})
           .returning(HouseholdQuery.__table__.c.id))
_RECORD_COMPILED: dict = {}


def _record_query(conn, values: dict) -> int:
    """Insert the query record on the request's own connection and transaction: compiled once per dialect and run
    on the driver's cursor like `database.Prepared` (the ORM's insert path cost more than the read it records).
    Values go through their columns' bind processors (a UTC datetime as each engine stores it)."""
    dialect = conn.dialect
    cached = _RECORD_COMPILED.get(dialect.name)
    if cached is None:
        compiled = _RECORD.compile(dialect=dialect)
        processors = {c.name: p for c in HouseholdQuery.__table__.c if (p := c.type.bind_processor(dialect))}
        cached = _RECORD_COMPILED[dialect.name] = (compiled, processors)
    compiled, processors = cached
    params = compiled.construct_params({k: processors[k](v) if k in processors else v for k, v in values.items()})
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if dialect.name == "postgresql":
            # The record's commit need not wait for the WAL's flush to disk: it records a read, changes no business
            # state, and a crash of the database server loses at most the last fraction of a second of records
            # (docs/privacy.md). Waiting for the flush would put a disk write in every regulator's query.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(compiled.string, params)
        return cursor.fetchone()[0]
    finally:
        cursor.close()


# --- the record of household queries ------------------------------------------------------------------------------

def may_list_queries(account: Account) -> bool:
    return account.role in (Role.OPERATOR_ADMIN, Role.REGULATOR_ADMIN)


def query_records(account: Account, *, page: int, page_size: int) -> Page:
    """The household queries an auditor may read, newest first: all (operator admins), or their agency's
    (regulator admins); 404 for anyone else (the handler's role check comes first)."""
    if not may_list_queries(account):
        raise not_found("query record", "查询记录")
    q = (select(HouseholdQuery, Account.login, Agency)
         .join(Account, Account.ref == HouseholdQuery.account_ref)
         .join(Agency, Agency.id == HouseholdQuery.agency_id)
         .order_by(HouseholdQuery.created_dt.desc(), HouseholdQuery.id.desc()))
    counted = select(func.count()).select_from(HouseholdQuery)
    if account.role == Role.REGULATOR_ADMIN:
        q = q.where(HouseholdQuery.agency_id == account.agency_id)
        counted = counted.where(HouseholdQuery.agency_id == account.agency_id)
    total = db.session.execute(counted).scalar_one()
    rows = db.session.execute(q.limit(page_size).offset((page - 1) * page_size)).all()
    return Page(list(rows), page, page_size, total)
