"""Worker operations: register (or attach), end employment, add and correct records.

Each changes one worker aggregate, records its log entry last, never commits.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.models import Account
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..cards.models import Card
from ..companies.access import require_member, require_verified
from ..companies.models import Company
from ..errors import ApiError, field_error, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import (
    aad,
    blind_index,
    blind_index_candidates,
    name_index,
    name_index_candidates,
    seal,
    state_hmac,
    unseal,
)
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..masking import mask_name
from ..models import new_ref
from ..sanctions import access as market
from . import cardno, rules
from .models import AccessRecord, Employment, Worker, WorkerRecord

# Person and Engagement are built by callers from here as well.
from .person import Engagement, Person, Problem, check_engagement, check_person, e164_mobile, normal_name

log = logging.getLogger(__name__)


@dataclass
class Registered:
    worker: Worker
    created: bool
    recorded: Recorded
    employment: Employment
    # The worker's listings in effect the registration went through with (docs/rules.md, "Market access").
    warnings: list[dict] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """An existing worker attached: waiting for their confirmation."""
        return self.employment.pending_until is not None


def refuse_first(problems: Sequence[Problem]) -> None:
    """Answer as single registration does: the first problem, a 422 naming its field."""
    if problems:
        p = problems[0]
        raise field_error(p.field, p.en, p.zh, code=p.code)


def find_by_id_number(ring: KeyRing, number: str) -> Worker | None:
    """The worker with this ID number, under any index key still in use."""
    candidates = blind_index_candidates(ring, "id_number", number)
    return db.session.execute(select(Worker).where(Worker.id_number_idx.in_(candidates))).scalar_one_or_none()


def workers_by_exact_name(ring: KeyRing, name: str) -> Select:
    """The ids of the workers whose full name is `name` (as `crypto.name_key` folds it), through its blind index
    under every key still in use: a part of a name finds nobody, and neither does a worker whose index a
    backfill has not written yet."""
    return select(Worker.id).where(Worker.name_index.in_(name_index_candidates(ring, name)))


# The actor of an entry a worker's own action writes on their OWN record (confirming or declining an employer in
# self-service): one value shared by every worker. The entry's subject, the worker's log_ref, already says whose
# record it is; an actor of the worker's own there would tie their log_ref to it in the public log. Also what
# every worker action wrote before each worker had an actor ref (migration 0024).
OWN_RECORD_ACTOR = "worker"


def derive_self_actor(actor_ref: str, subject_log_ref: str) -> str:
    """The worker's actor on the record `subject_log_ref`: the first 32 hex characters of
    HMAC-SHA256(key = `actor_ref` as ASCII, message = `subject_log_ref` as ASCII).

    Keyed by the worker's own `actor_ref` alone (no key of the ring), so it never changes with a key rotation and
    the worker, who reads their `actor_ref` in `GET /api/v1/self/state`, can recompute it for any entry's subject:
    `printf %s SUBJECT | openssl dgst -sha256 -hmac ACTOR_REF`, first 32 characters.
    """
    return hmac.new(actor_ref.encode("ascii"), subject_log_ref.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def self_actor(worker: Worker, subject_log_ref: str) -> str:
    """The log's `actor` for an entry the worker's own action writes on ANOTHER record, the one whose log_ref is
    `subject_log_ref` (a response to a complaint about them, an objection to or a repair application for their
    sanction): `derive_self_actor(worker.actor_ref, subject_log_ref)`, one actor per worker and record.

    The one way to it: every such service passes this as `actor` to `record_change`, and stores it wherever the
    row records who acted (a response's `by`, an objection's `filed_by`, a repair's `applicant`), so row and entry
    agree. Never the worker's `log_ref` (the subject of their own entries) and never their `actor_ref` itself
    (their seed: one actor shared by all their records would let anyone who ties one record to the worker, such
    as their public sanction, find every other record they acted on). Entries on the worker's own record use
    `OWN_RECORD_ACTOR`. See docs/privacy.md, "Who acts for a worker".
    """
    if not subject_log_ref or subject_log_ref == worker.log_ref:
        raise ValueError("a worker's own record takes OWN_RECORD_ACTOR; another record needs its log_ref")
    return derive_self_actor(worker.actor_ref, subject_log_ref)


def is_self_actor(worker: Worker, actor: str | None, subject_log_ref: str) -> bool:
    """Whether `actor` (an entry's actor, a `confirmed_by`, a response's `by`) on the record `subject_log_ref` is
    this worker acting for themself: their actor for that record, or the shared `OWN_RECORD_ACTOR` (on their own
    record, and on every worker entry before migration 0024)."""
    if actor is None:
        return False
    if actor == OWN_RECORD_ACTOR:
        return True
    if not subject_log_ref or subject_log_ref == worker.log_ref:
        return False
    return hmac.compare_digest(actor, self_actor(worker, subject_log_ref))


def seal_identity(ring: KeyRing, ref: str, *, name: str, id_number: str, phone: str) -> dict:
    """The identity columns of the worker row `ref`, from the normalised name, ID number and phone.

    Each value sealed for its own column and row, its HMAC for canonical
    states, blind indexes for look-ups, the masked name for lists
    (docs/privacy.md). The one place both registration and the staff import
    turn a person into a row, so the two store identical columns.
    """
    return {
        "name_enc": seal(ring, name, aad("workers", "name", ref)),
        "name_state": state_hmac(ring, "name", name),
        "name_masked": mask_name(name),
        "name_index": name_index(ring, name),
        "id_number_enc": seal(ring, id_number, aad("workers", "id_number", ref)),
        "id_number_state": state_hmac(ring, "id_number", id_number),
        "id_number_idx": blind_index(ring, "id_number", id_number),
        "phone_enc": seal(ring, phone, aad("workers", "phone", ref)),
        "phone_state": state_hmac(ring, "phone", phone),
        "phone_idx": blind_index(ring, "phone", phone),
    }


def register_worker(ring: KeyRing, *, account: Account, company: Company, person: Person, engagement: Engagement,
                    today: date) -> Registered:
    """Register a person for a verified company: a new worker, or a new employment of an existing one.

    A company a serious listing binds registers nobody (403 `company_listed`);
    an existing worker whose serious listing bars home-service work is not
    attached (409 `worker_listed`); their other listings in effect go into the
    answer's `warnings` and the employment's record of them.
    """
    require_member(account, company)
    require_verified(company)
    market.require_company_not_listed(company, today)
    from ..credit import keeping  # credit reads workers' models and services: imported on use

    checked = check_person(person, today)
    refuse_first(checked.problems)
    refuse_first(check_engagement(engagement, checked.id.birth_date, today))
    name, phone, idr = checked.name, checked.phone, checked.id
    employment = Employment(company_id=company.id, occupation=engagement.occupation, kind=engagement.kind,
                            start_date=engagement.start_date, social_insurance=engagement.social_insurance,
                            recorded_by=account.ref)
    worker = find_by_id_number(ring, idr.number)
    if worker is not None:
        if worker.name_state != state_hmac(ring, "name", name):
            raise field_error("name", "The name does not match the person registered with this ID number.",
                              "姓名与该证件号码已登记的人员不一致。", code="identity_mismatch")
        from . import attach

        listings = market.check_worker(worker.id, today)
        mine = [e for e in worker.employments if e.open and e.company_id == company.id]
        if any(e.active for e in mine):
            raise ApiError(409, "already_employed", "该人员已在本企业登记在职。",
                           "This person is already employed by the company.")
        if any(not attach.lapsed(e, today) for e in mine):
            raise ApiError(409, "confirmation_pending", "该人员已登记到本企业，正等待本人确认；可重新发送确认码。",
                           "This person is already registered with the company and their confirmation is awaited; "
                           "you can send the code again.")
        for e in mine:  # a lapsed attachment the hourly job has not ended yet gives way to this one
            e.end_date = max(e.pending_until, e.start_date)
        # The phone stays as first registered: codes for the worker's own account go
        # there, so another company must not be able to redirect them. Knowing the name and
        # ID number proves nothing: the attachment waits for the worker's confirmation.
        employment.listing_warnings = market.warning_refs(listings)
        worker.employments.append(employment)
        attach.start_pending(ring, account=account, company=company, worker=worker, employment=employment,
                             today=today, now=clock.now())
        recorded = record_change(ring, actor=account.ref, action=Action.WORKER_EMPLOY_PENDING, aggregate=worker)
        # Awaiting confirmation, the worker is not on the company's staff yet (a lapsed attachment ended here was
        # not either): its share stands as kept.
        keeping.staff_joined(company.id, joined=(), unmoved=(worker.id,))
        return Registered(worker, False, recorded, employment, market.warnings(listings))
    ref = new_ref()
    worker = Worker(ref=ref, log_ref=new_ref(), salt=new_ref(), actor_ref=new_ref(), card_no=cardno.new_card_no(),
                    id_kind=idr.kind, registered_by=company.log_ref,
                    **seal_identity(ring, ref, name=name, id_number=idr.number, phone=phone))
    worker.employments.append(employment)
    db.session.add(worker)
    recorded = record_change(ring, actor=account.ref, action=Action.WORKER_REGISTER, aggregate=worker)
    db.session.flush()
    # New to the registry: the company's share is its kept tally plus this worker (credit/keeping.py).
    keeping.staff_joined(company.id, joined=(worker.id,))
    return Registered(worker, True, recorded, employment)


def register_with_retry(ring, **kwargs) -> Registered:
    """Register, retrying once if a concurrent registration of the same person won the race.

    The unique blind index makes the loser's insert fail; the retry finds the
    winner's worker and attaches an employment to it instead.
    """
    try:
        registered = register_worker(ring, **kwargs)
        db.session.flush()
        return registered
    except IntegrityError:
        log.info("a concurrent registration won the race; retrying as an attachment")
        db.session.rollback()
        account = db.session.merge(kwargs["account"])
        company = db.session.merge(kwargs["company"])
        return register_worker(ring, **{**kwargs, "account": account, "company": company})


def check_card_no(raw) -> str:
    """The normalised card number, or a 422 about its shape: a wrong check character is a probable
    typo (`card_no_typo`), anything else `card_no_invalid`. Says nothing about any record."""
    result = cardno.validate(raw if isinstance(raw, str) else "")
    if result.ok:
        return result.card_no
    fields = {"card_no": {"en": result.message_en, "zh": result.message_zh}}
    if result.failure == "checksum":
        raise ApiError(422, "card_no_typo", result.message_zh, result.message_en, fields)
    raise ApiError(422, "card_no_invalid", result.message_zh, result.message_en, fields)


def get_worker(card_no: str) -> Worker:
    result = cardno.validate(card_no or "")
    if not result.ok:
        raise ApiError(422 if result.failure == "checksum" else 404,
                       "card_no_typo" if result.failure == "checksum" else "not_found",
                       result.message_zh, result.message_en, {"card_no": {"en": result.message_en,
                                                                          "zh": result.message_zh}})
    worker = db.session.execute(select(Worker).where(Worker.card_no == result.card_no)).scalar_one_or_none()
    if worker is None:
        raise not_found("worker", "从业人员")
    return worker


def get_worker_or_none(card_no: str) -> Worker | None:
    """The worker holding a normalised card number, if anyone does."""
    return db.session.execute(select(Worker).where(Worker.card_no == card_no)).scalar_one_or_none()


def active_employment(worker: Worker, company: Company) -> Employment | None:
    """The company's confirmed, current employment of the worker (`Employment.active` decides)."""
    return next((e for e in worker.employments if e.active and e.company_id == company.id), None)


def employed_by(account: Account, card_no: str) -> tuple[Company, Worker]:
    """The account's company and the worker, whom it must employ today; anyone else: not found."""
    worker = get_worker(card_no)
    company = account.company
    if (company is None or account.role not in COMPANY_ROLES
            or active_employment(worker, company) is None):
        raise not_found("worker", "从业人员")
    return company, worker


@dataclass(frozen=True)
class Ended:
    recorded: Recorded
    # The serials of the cards the company had issued that this end voided, in order.
    voided_serials: list[int]


def cards_to_void(worker: Worker, company: Company) -> list[Card]:
    """The company's unvoided cards of the worker: what ending the employment voids."""
    return list(db.session.execute(
        select(Card).where(Card.worker_id == worker.id, Card.company_id == company.id, Card.voided_on.is_(None))
        .order_by(Card.serial)).scalars())


def check_end(account: Account, company: Company, worker: Worker, end_date: date, today: date) -> Employment:
    """The employment `end_employment` would end on `end_date`, or the error it would answer.

    The page asks for confirmation only of an end it can record.
    """
    require_member(account, company)
    employment = active_employment(worker, company)
    if employment is None:
        raise not_found("employment", "在职记录")
    if end_date < employment.start_date:
        raise field_error("end_date", "The end date is before the start date.", "离职日期早于入职日期。")
    if end_date > today:
        # An ended employment stops at once (history, access): record it on the day, not ahead.
        raise field_error("end_date", "The end date cannot be in the future.", "离职日期不能晚于今天。")
    return employment


def end_employment(ring: KeyRing, *, account: Account, company: Company, worker: Worker, end_date: date,
                   today: date) -> Ended:
    """End the company's employment of the worker and void every card the company issued them.

    The printed card names the company, which from now on no longer sends the
    person: its QR reads "void" and it never prints again (docs/rules.md,
    "Cards"). One operation, one `worker:employment:end` entry.
    """
    employment = check_end(account, company, worker, end_date, today)
    employment.end_date = end_date
    voided = cards_to_void(worker, company)
    for card in voided:
        card.voided_on = end_date
    return Ended(record_change(ring, actor=account.ref, action=Action.WORKER_EMPLOYMENT_END, aggregate=worker),
                 [c.serial for c in voided])


def add_record(ring: KeyRing, *, account: Account, company: Company, worker: Worker, kind: str, data: dict,
               today: date, supersedes_id: int | None = None) -> tuple[WorkerRecord, Recorded]:
    """Record a check or qualification; with `supersedes_id`, correct an earlier one of the company's."""
    require_member(account, company)
    if active_employment(worker, company) is None:
        raise not_found("worker", "从业人员")
    try:
        fields = rules.check_record(kind, data, today)
    except rules.RecordProblem as p:
        raise field_error(p.field, p.en, p.zh) from None
    old = None
    if supersedes_id is not None:
        old = db.session.get(WorkerRecord, supersedes_id)
        superseded = {r.supersedes_id for r in worker.records}
        if (old is None or old.worker_id != worker.id or old.company_id != company.id or old.kind != kind
                or old.id in superseded):
            raise field_error("supersedes", "Correct a current record of this kind that your company made.",
                              "只能更正本企业所做的同类现行记录。", code="cannot_supersede")
    record = WorkerRecord(company_id=company.id, kind=kind, recorded_by=account.ref,
                          supersedes_id=old.id if old else None, **fields)
    worker.records.append(record)
    action = Action.WORKER_RECORD_CORRECT if old else Action.WORKER_RECORD_ADD
    return record, record_change(ring, actor=account.ref, action=action, aggregate=worker)


def rec(r: WorkerRecord) -> rules.Rec:
    return rules.Rec(id=r.id, kind=r.kind, result=r.result, on_date=r.on_date, valid_until=r.valid_until,
                     supersedes_id=r.supersedes_id, exam_passed=r.exam_passed)


def status_of(worker: Worker, today: date, *, listed: bool | None = None) -> rules.Status:
    """The worker's colour today. `listed`: whether a serious listing binds them, if the caller read it already
    for a whole list (`sanctions.access.serious_listed_workers`); else one query here."""
    if listed is None:
        listed = market.serious_listed(worker.id, today)
    return rules.card_status([rec(r) for r in worker.records], today,
                             employed=any(e.active for e in worker.employments), active_serious_listing=listed)


STAFF_PAGE_SIZE = 50


@dataclass(frozen=True)
class StaffSearch:
    """What a company typed to find someone on its staff, normalised as registration normalises it.

    The name and phone are personal data: they reach the database only as the
    name's state HMAC and the phone's blind indexes (docs/privacy.md), and no
    caller may put them in a URL or a log line.
    """

    card_no: str | None = None
    name: str | None = None
    phone: str | None = None

    def __bool__(self) -> bool:
        return bool(self.card_no or self.name or self.phone)


def staff_search(*, card_no: str | None = None, name: str | None = None, phone: str | None = None) -> StaffSearch:
    """The search terms, each normalised; a term that cannot match anyone is a 422 naming its field."""
    card = check_card_no(card_no.strip()) if card_no and card_no.strip() else None
    normal = None
    if name and name.strip():
        normal = normal_name(name)
        if normal is None:
            raise field_error("name", "Give the real name as on the ID document (Chinese or Latin letters, 1–50).",
                              "请按证件填写真实姓名（汉字或字母，1–50 个字符）。")
    mobile = None
    if phone and phone.strip():
        mobile = e164_mobile(phone)
        if mobile is None:
            raise field_error("phone", "Give a mainland mobile number (11 digits starting with 1).",
                              "请填写有效的手机号码（以 1 开头的 11 位数字）。")
    return StaffSearch(card, normal, mobile)


@dataclass
class StaffPage:
    rows: list[tuple[Worker, Employment, rules.Status]]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def staff_page(ring: KeyRing, company: Company, *, today: date, search: StaffSearch | None = None, page: int = 1,
               page_size: int = STAFF_PAGE_SIZE, **filters) -> StaffPage:
    """One page of the company's staff, filtered and searched (oldest employment first)."""
    rows = staff(company, today=today, ring=ring, search=search, **filters)
    start = (page - 1) * page_size
    return StaffPage(rows[start:start + page_size], len(rows), page, page_size)


def staff(company: Company, *, today: date, occupation: str | None = None, status: str | None = None,
          expiring: str | None = None, employment: str = "active", ring: KeyRing | None = None,
          search: StaffSearch | None = None) -> list[tuple[Worker, Employment, rules.Status]]:
    """The company's staff with their employment and today's status, filtered."""
    q = (select(Employment).where(Employment.company_id == company.id)
         .options(selectinload(Employment.worker).selectinload(Worker.records)).order_by(Employment.id))
    if search:
        q = q.join(Employment.worker)
        if search.card_no:
            q = q.where(Worker.card_no == search.card_no)
        # Equality on keyed hashes: the typed values themselves never reach the database.
        if search.name:
            q = q.where(Worker.name_state == state_hmac(ring, "name", search.name))
        if search.phone:
            q = q.where(Worker.phone_idx.in_(blind_index_candidates(ring, "phone", search.phone)))
    if employment == "active":
        # Current staff, and attachments awaiting the worker's confirmation (the list marks them).
        q = q.where(Employment.end_date.is_(None))
    elif employment == "ended":
        q = q.where(Employment.end_date.is_not(None))
    if occupation:
        q = q.where(Employment.occupation == occupation)
    out = []
    horizon = today + timedelta(days=30)
    employments = db.session.execute(q).scalars().all()
    # One query for the whole list's listings, not one per worker.
    listed = market.serious_listed_workers((e.worker_id for e in employments), today)
    for emp in employments:
        worker = emp.worker
        st = status_of(worker, today, listed=worker.id in listed)
        if status and st.colour != status:
            continue
        if expiring:
            kinds = ("health", "insurance") if expiring == "any" else (expiring,)
            records = [rec(r) for r in worker.records]
            soon = [rules.latest(records, k) for k in kinds]
            if not any(r is not None and r.valid_until is not None and today <= r.valid_until <= horizon
                       for r in soon):
                continue
        out.append((worker, emp, st))
    return out


def oversees(sector: str, worker: Worker) -> bool:
    """Does a regulator of `sector` oversee `worker`: market supervision always, another sector while one of the
    worker's current employers is in it."""
    return sector == "market" or any(e.active and sector in (e.company.sectors or ()) for e in worker.employments)


def may_view(account: Account, worker: Worker) -> bool:
    """The worker's current employers, regulators of an employer's sector, and market supervision."""
    if account.role in REGULATOR_ROLES:
        return oversees(account.agency.sector, worker)
    return account.company_id is not None and any(
        e.active and e.company_id == account.company_id for e in worker.employments)


def open_personal_data(ring: KeyRing, worker: Worker) -> dict:
    """The worker's name, ID number and phone in clear; all three None once erased (nothing is left to open)."""
    if worker.erased_dt is not None:
        return {"name": None, "id_number": None, "phone": None}
    return {
        "name": unseal(ring, worker.name_enc, aad("workers", "name", worker.ref)),
        "id_number": unseal(ring, worker.id_number_enc, aad("workers", "id_number", worker.ref)),
        "phone": unseal(ring, worker.phone_enc, aad("workers", "phone", worker.ref)),
    }


def record_access(into, *, worker: Worker, accessor_ref: str, accessor_kind: str, organisation: str | None,
                  purpose: str, fields: str, at: datetime, note: str | None = None) -> None:
    """The one writer of the worker's private access record: who read which personal data, when and why.

    `into` is the session (the row commits with the caller's operation) or a
    connection in a transaction of its own.
    """
    into.execute(insert(AccessRecord), [{
        "worker_id": worker.id, "accessor_ref": accessor_ref, "accessor_kind": accessor_kind,
        "organisation": organisation, "purpose": purpose, "note": note, "fields": fields, "created_dt": at}])


def note_access(*, worker: Worker, account: Account, purpose: str, fields: str = "name,id_number,phone",
                note: str | None = None) -> None:
    """Write the private access-record row for a read of personal data, before the read.

    Its own short write transaction: the read that follows may be a GET, whose
    transaction only reads, and the row must exist even if rendering fails.
    """
    from ..database import write_intent
    from ..move.marker import refuse_if_moving

    # Not shown unrecorded: while the database is being moved it takes no writes, so the read waits too.
    refuse_if_moving()
    org = account.company.name if account.company_id else (account.agency.name_zh if account.agency_id else None)
    with write_intent(), db.engine.begin() as conn:
        record_access(conn, worker=worker, accessor_ref=account.ref,
                      accessor_kind="company" if account.company_id else "regulator", organisation=org,
                      purpose=purpose, fields=fields, at=clock.now(), note=note)
