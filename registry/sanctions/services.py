"""Sanctions: recorded, noticed, decided, approved, published, expired and corrected; read by every regulator.

Any regulator of any agency records and reads sanctions (shared punishment,
失信惩戒共鉴); only the issuing agency's regulators change one. One operation
changes one sanction and records one entry as its last step. Nothing here
commits. The rules (windows, four eyes, deadlines) are in docs/rules.md,
"Sanctions"; the pure ones in `rules.py`.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.models import Account, Agency
from ..accounts.roles import REGULATOR_ROLES
from ..calendar import services as calendar
from ..companies import uscc as uscc_mod
from ..companies.models import Company
from ..complaints import services as complaints
from ..complaints.models import Complaint
from ..errors import ApiError, forbidden, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, name_index, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import SYSTEM_ACTOR, Recorded, record_change
from ..masking import mask_name
from ..models import new_ref
from ..notify import services as notify
from ..reports.models import CardReport
from ..reports.services import normalise_reference
from ..workers.models import Worker
from ..workers.person import e164_mobile, normal_name
from ..workers.services import check_card_no
from . import objection_rules, rules
from .models import (
    Sanction,
    SanctionApproval,
    SanctionCorrection,
    SanctionDecision,
    SanctionNotice,
    SanctionObjection,
    SanctionPerson,
)
from .rules import BASIS_MAX, DECISION_NO_MAX, FACTS_MAX, MEASURES_MAX, NOTICE_REASONS_MAX, PERSONS_MAX, REASON_MAX

# (The text limits above live with the rules, so the API's schemas declare the same ones.)
# A decision is public by the 7th working day after its date (双公示).
PUBLISH_WITHIN_WORKING_DAYS = 7
# What a correction may change (the subject, kind and issuing agency never change: record a new sanction).
CORRECTABLE = ("legal_basis", "facts", "measures", "bars_home_service", "publish_months", "severity", "decision_no",
               "decision_date")


@dataclass(frozen=True)
class Changed:
    sanction: Sanction
    recorded: Recorded


def _problems_error(problems) -> ApiError:
    return ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                    {p.field: {"en": p.en, "zh": p.zh} for p in problems})


# A notice by text message to a worker whose phone was erased: its own code when it is the only problem.
_WORKER_ERASED = ("worker_erased", "该人员的个人信息已依法删除，无法以短信告知。",
                  "The worker's personal data was erased: the notice cannot go by text message.")


def _missing(field: str) -> rules.Problem:
    return rules.Problem(field, "required", "Required.", "必填。")


def require_regulator(account: Account | None) -> Account:
    """A regulator of an agency with a sector; anyone else 403."""
    if (account is None or account.role not in REGULATOR_ROLES or account.agency is None
            or account.agency.sector is None):
        raise forbidden()
    return account


def require_issuer(account: Account | None, sanction: Sanction) -> Account:
    """Only the issuing agency's regulators change a sanction."""
    require_regulator(account)
    if account.agency_id != sanction.agency_id:
        raise ApiError(403, "not_issuing_agency", "只有作出决定的机关可以变更该记录。",
                       "Only the issuing agency's regulators may change this sanction.")
    return account


def lock_sanction(sanction: Sanction) -> None:
    """Lock the sanction's row (PostgreSQL: FOR UPDATE; SQLite: the write transaction holds the lock already) and
    read it, and what its steps check, again: a step that read the state before another step committed would
    otherwise write over it (a publication undoing a withdrawal that committed while it waited, say)."""
    db.session.execute(select(Sanction).where(Sanction.id == sanction.id).with_for_update()
                       .execution_options(populate_existing=True))
    db.session.expire(sanction, ["repairs", "withdrawal", "objections", "approvals", "decision", "notice"])


def _refuse_if_revoked(sanction: Sanction) -> None:
    """A decision recorded as revoked awaits its withdrawal: it is neither approved nor published any more."""
    if sanction.withdrawal is not None:
        raise ApiError(409, "decision_revoked", "该决定已登记为被撤销，等待撤回，不能再复核或公示。",
                       "The decision is recorded as revoked and awaits its withdrawal: it cannot be approved or "
                       "published.")


def _text(value, field: str, limit: int, *, required: bool, problems: list) -> str | None:
    text = "".join(ch for ch in (value or "") if ch.isprintable() or ch in "\n\t").strip()
    text = unicodedata.normalize("NFC", text)
    if not text:
        if required:
            problems.append(_missing(field))
        return None
    if len(text) > limit:
        problems.append(rules.Problem(field, "too_long", f"Use at most {limit} characters.", f"最多 {limit} 个字符。"))
    return text


def _worker_by_card(raw: str, field: str = "card_no") -> Worker:
    try:
        number = check_card_no(raw)
    except ApiError as exc:
        # A named person's card number is that person's field, not the subject's.
        if exc.fields:
            exc.fields = {field: next(iter(exc.fields.values()))}
        raise
    worker = db.session.execute(select(Worker).where(Worker.card_no == number)).scalar_one_or_none()
    if worker is None:
        raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                       {field: {"en": "No worker has this card number.", "zh": "没有持此服务证号的人员。"}})
    return worker


def _company_by_uscc(raw: str) -> Company:
    company = db.session.execute(
        select(Company).where(Company.uscc == uscc_mod.normalise(raw or ""))).scalar_one_or_none()
    if company is None:
        raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                       {"uscc": {"en": "No registered company has this code.",
                                 "zh": "没有使用该统一社会信用代码的登记企业。"}})
    return company


def _origin(reference: str | None) -> CardReport | None:
    if not reference:
        return None
    head = normalise_reference(reference)
    report = None if head is None else db.session.execute(
        select(CardReport).where(CardReport.ref.startswith(head))).scalar_one_or_none()
    if report is None:
        raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                       {"origin_report": {"en": "No card report has this reference.", "zh": "没有该受理编号的举报。"}})
    return report


def _origin_complaint(reference: str | None, *, worker: Worker | None, company: Company | None) -> Complaint | None:
    """The substantiated complaint about this same subject a sanction cites as its origin (None: none cited)."""
    if not reference:
        return None
    complaint = complaints.find_by_reference(reference)
    if complaint is None:
        raise ApiError(422, "invalid_input", "输入有误。", "The input is not valid.",
                       {"origin_complaint": {"en": "No complaint has this reference.", "zh": "没有该编号的投诉。"}})
    if complaint.state != "substantiated":
        raise ApiError(422, "complaint_not_substantiated", "只有经查属实的投诉才能作为处罚的案件来源。",
                       "Only a substantiated complaint can be a sanction's origin.",
                       {"origin_complaint": {"en": "This complaint is not substantiated.",
                                             "zh": "该投诉未被认定属实。"}})
    if complaint.subject_kind == "worker":
        same = worker is not None and complaint.worker_id == worker.id
    else:
        same = company is not None and complaint.company_id == company.id
    if not same:
        raise ApiError(422, "complaint_other_subject", "该投诉针对的不是本处罚的当事人。",
                       "The complaint is about someone other than this sanction's subject.",
                       {"origin_complaint": {"en": "This complaint is about another subject.",
                                             "zh": "该投诉针对的是其他当事人。"}})
    return complaint


def _person(ring: KeyRing, raw: dict, index: int, problems: list) -> SanctionPerson | None:
    field = f"persons.{index}"
    role = raw.get("role")
    name = normal_name(raw.get("name"))
    if role not in rules.PERSON_ROLES:
        problems.append(rules.Problem(f"{field}.role", "invalid", "Choose legal_representative or responsible.",
                                      "请选择法定代表人或直接责任人员。"))
    if name is None:
        problems.append(rules.Problem(f"{field}.name", "invalid", "Give the person's full real name.",
                                      "请填写此人的真实姓名。"))
    worker = None
    if raw.get("card_no"):
        worker = _worker_by_card(raw["card_no"], f"{field}.card_no")
    if role not in rules.PERSON_ROLES or name is None:
        return None
    ref = new_ref()
    return SanctionPerson(ref=ref, role=role, name_enc=seal(ring, name, aad("sanction_persons", "name", ref)),
                          name_state=state_hmac(ring, "name", name), name_masked=mask_name(name),
                          name_idx=name_index(ring, name), worker_id=worker.id if worker else None,
                          worker=worker)


def record_sanction(ring: KeyRing, *, regulator: Account, today: date, subject_kind: str, card_no: str | None = None,
                    uscc: str | None = None, kind: str, severity: str, legal_basis: str, facts: str, measures: str,
                    bars_home_service: bool = False, publish_months: int | None = None,
                    decision_no: str | None = None, decision_date: date | None = None,
                    persons: list[dict] | None = None, origin_report: str | None = None,
                    origin_complaint: str | None = None) -> Changed:
    """Record a sanction against a worker (by card number) or a company (by USCC), issued by the regulator's agency.

    A serious-dishonesty listing starts as a proposal: the subject is noticed
    first and the decision comes later. Any other sanction is a decision
    already, so its number and date are required. Without a window the
    sanction gets the least its severity allows (a minor one: not published).
    """
    require_regulator(regulator)
    problems = []
    if subject_kind not in rules.SUBJECT_KINDS:
        raise _problems_error([rules.Problem("subject_kind", "invalid", "Choose worker or company.",
                                             "请选择当事人类型：从业人员或企业。")])
    listing = rules.needs_four_eyes(kind)
    if listing and (decision_no or decision_date):
        problems.append(rules.Problem("decision_no", "too_early",
                                      "A serious listing is decided after its notice and objection window.",
                                      "严重失信名单须先告知当事人，异议期满后再作决定。"))
    elif not listing and kind in rules.KINDS:
        if not decision_no:
            problems.append(_missing("decision_no"))
        if decision_date is None:
            problems.append(_missing("decision_date"))
    problems += rules.check_terms(kind=kind, severity=severity, months=publish_months,
                                  decision_date=None if listing else decision_date, today=today)
    basis = _text(legal_basis, "legal_basis", BASIS_MAX, required=True, problems=problems)
    facts_text = _text(facts, "facts", FACTS_MAX, required=True, problems=problems)
    measures_text = _text(measures, "measures", MEASURES_MAX, required=True, problems=problems)
    number = _text(decision_no, "decision_no", DECISION_NO_MAX, required=False, problems=problems)
    if persons and subject_kind != "company":
        problems.append(rules.Problem("persons", "invalid", "Only a company's sanction names persons.",
                                      "只有对企业的处罚可以列明相关人员。"))
    if persons and len(persons) > PERSONS_MAX:
        problems.append(rules.Problem("persons", "too_many", f"Name at most {PERSONS_MAX} persons.",
                                      f"最多列明 {PERSONS_MAX} 人。"))
    # Subjects are looked up after the shape checks, so a bad form reports every field at once.
    if subject_kind == "worker":
        if not card_no:
            problems.append(_missing("card_no"))
    elif not uscc:
        problems.append(_missing("uscc"))
    if problems:
        raise _problems_error(problems)
    worker = _worker_by_card(card_no) if subject_kind == "worker" else None
    company = _company_by_uscc(uscc) if subject_kind == "company" else None
    origin = _origin(origin_report)
    from_complaint = _origin_complaint(origin_complaint, worker=worker, company=company)
    named = [_person(ring, p, i, problems) for i, p in enumerate(persons or [])]
    if problems:
        raise _problems_error(problems)
    if publish_months is None:
        publish_months = rules.default_months(severity)
    sanction = Sanction(subject_kind=subject_kind, worker=worker, company=company, agency=regulator.agency,
                        agency_id=regulator.agency_id, kind=kind, severity=severity, legal_basis=basis,
                        measures=measures_text, bars_home_service=bool(bars_home_service),
                        publish_months=publish_months, origin_report=origin, origin_complaint=from_complaint,
                        state=rules.first_state(kind),
                        proposed_by=regulator.ref, created_dt=clock.now())
    # The ref binds the sealed facts to this row: mint it before sealing.
    sanction.ref = new_ref()
    sanction.facts_enc = seal(ring, facts_text, aad("sanctions", "facts", sanction.ref))
    sanction.facts_state = state_hmac(ring, "facts", facts_text)
    sanction.persons = [p for p in named if p is not None]
    if not listing:
        sanction.decision = SanctionDecision(decision_no=number, decision_date=decision_date, decided_by=regulator.ref,
                                             decided_dt=clock.now())
        sanction.decision_date = decision_date
    db.session.add(sanction)
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_RECORD,
                                           aggregate=sanction))


def objection_days_default() -> int:
    return int(current_app.config.get("OBJECTION_WORKING_DAYS", rules.DEFAULT_OBJECTION_DAYS))


def objection_until(sanction: Sanction, *, using: calendar.Schedule | None = None) -> calendar.Deadline | None:
    """The last day the subject may object: the notice's working days after its delivery (derived, never stored).

    `using`: one `calendar.schedule()` for many sanctions (otherwise each call reads the loaded years).
    """
    notice = sanction.notice
    if notice is None:
        return None
    return calendar.working_day_after(notice.delivered_on, notice.objection_days, using=using)


def publication_deadline(sanction: Sanction, *, using: calendar.Schedule | None = None) -> calendar.Deadline | None:
    """The day a decision must be public by: the 7th working day after its date (双公示)."""
    if sanction.decision_date is None or not sanction.publish_months:
        return None
    return calendar.working_day_after(sanction.decision_date, PUBLISH_WITHIN_WORKING_DAYS, using=using)


def subject_erased(sanction: Sanction) -> bool:
    """Is the subject a worker whose name, ID number, phone and photo were erased (registry/retention)?"""
    return sanction.subject_kind == "worker" and sanction.worker.erased_dt is not None


def subject_phone(ring: KeyRing, sanction: Sanction) -> str | None:
    """The subject's mobile number on record in E.164 form, or None (a company's landline, an erased worker)."""
    return phone_of(ring, sanction.worker if sanction.subject_kind == "worker" else sanction.company)


def phone_of(ring: KeyRing, subject) -> str | None:
    """A worker's phone or a company's contact mobile in E.164 form, or None (a company's landline, an erased
    worker: no phone is left to text, and nothing is sent)."""
    if isinstance(subject, Worker):
        if subject.erased_dt is not None:
            return None
        return e164_mobile(unseal(ring, subject.phone_enc, aad("workers", "phone", subject.ref)))
    return e164_mobile(unseal(ring, subject.contact_phone_enc, aad("companies", "contact_phone", subject.log_ref)))


def notice_text(sanction: Sanction, until: date) -> str:
    """The text message: no names, no facts — where to read the notice and until when one may object."""
    whom = "您" if sanction.subject_kind == "worker" else "贵单位"
    where = "家信个人服务页面" if sanction.subject_kind == "worker" else "家信企业工作台"
    return (f"【家信】{sanction.agency.name_zh}拟将{whom}列入严重失信主体名单。请登录{where}查看告知书（事由、依据和"
            f"权利）。如有异议，请于 {until.isoformat()} 前提出。")


def notify_sanction(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date, reasons: str | None,
                    objection_days: int | None = None, delivery_method: str | None = None,
                    delivered_on: date | None = None) -> Changed:
    """Notice the subject of a proposed serious listing: reasons, basis, rights and the objection window.

    The reasons are the notice's own text, written for the subject: the case's
    facts stay with the regulators, since they may name a complainant or a
    witness the subject must not learn of.

    The notice is shown in the company portal or the worker's self-service at
    once. By default it is also sent by text message to the mobile phone on
    record, delivered today; where there is none (a company's landline, a
    worker whose phone was erased) the regulator says how and when it was
    delivered: a text message to an erased worker is refused (422
    `worker_erased` on `delivery_method`), since recording it would start the
    objection window on a delivery that never happened.
    """
    require_issuer(regulator, sanction)
    lock_sanction(sanction)
    if sanction.state != "proposed":
        raise ApiError(409, "wrong_state", "该记录当前状态不能执行此操作。", "The sanction is not awaiting a notice.")
    problems = []
    why = _text(reasons, "reasons", NOTICE_REASONS_MAX, required=True, problems=problems)
    days = objection_days_default() if objection_days is None else objection_days
    if not 1 <= days <= 30:
        problems.append(rules.Problem("objection_days", "out_of_range", "Allow 1 to 30 working days.",
                                      "异议期为 1 至 30 个工作日。"))
    phone = subject_phone(ring, sanction)
    method = delivery_method or "sms"
    if method not in rules.DELIVERY_METHODS:
        problems.append(rules.Problem("delivery_method", "invalid", "Choose sms, phone_call, post or in_person.",
                                      "请选择送达方式。"))
    elif method == "sms" and phone is None and subject_erased(sanction):
        problems.append(rules.Problem(
            "delivery_method", _WORKER_ERASED[0],
            "The worker's personal data, their phone included, was erased: no text message can reach them. Say "
            "how the notice was delivered (phone call, post or in person) and when.",
            "该人员的个人信息（含手机号）已依法删除，无法发送短信：请选择实际送达方式（电话告知、邮寄或当面送达）"
            "并填写送达日期。"))
    elif method == "sms" and phone is None:
        problems.append(rules.Problem(
            "delivery_method", "landline",
            "The phone on record is a landline: say how and when the notice was delivered.",
            "登记的联系电话为固定电话，无法发送短信：请填写送达方式和送达日期。"))
    if method == "sms":
        delivered_on = today
    elif delivered_on is None:
        problems.append(_missing("delivered_on"))
    elif delivered_on > today:
        problems.append(rules.Problem("delivered_on", "in_future", "A delivery date cannot be in the future.",
                                      "送达日期不能晚于今天。"))
    elif delivered_on < sanction.created_dt.astimezone(clock.SHANGHAI).date():
        problems.append(rules.Problem("delivered_on", "too_early", "The notice cannot predate the proposal.",
                                      "送达日期不能早于拟列入记录的日期。"))
    if problems:
        error = _problems_error(problems)
        if [p.code for p in problems] == [_WORKER_ERASED[0]]:
            error.code, error.zh, error.en = _WORKER_ERASED
        raise error
    notice = SanctionNotice(ref=new_ref(), objection_days=days, delivery_method=method, delivered_on=delivered_on,
                            notified_by=regulator.ref, notified_dt=clock.now())
    notice.reasons_enc = seal(ring, why, aad("sanction_notices", "reasons", notice.ref))
    notice.reasons_state = state_hmac(ring, "reasons", why)
    sanction.notice = notice
    sanction.state = "notified"
    if method == "sms":
        db.session.flush()
        notify.send(ring, notify.Message("notice", phone, notice_text(sanction, objection_until(sanction).day)))
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_NOTIFY,
                                           aggregate=sanction))


def decide_sanction(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date, decision_no: str,
                    decision_date: date | None = None) -> Changed:
    """Decide a noticed listing once its objection window has ended; its window and 7 days count from this date."""
    require_issuer(regulator, sanction)
    # The row's lock first: an objection filed at the same moment (it takes the same lock) is either seen here, or
    # finds the sanction decided and so outside the window.
    lock_sanction(sanction)
    if sanction.state != "notified":
        raise ApiError(409, "wrong_state", "该记录当前状态不能执行此操作。", "The sanction is not awaiting a decision.")
    until = objection_until(sanction).day
    blocking = db.session.execute(
        select(SanctionObjection.state, SanctionObjection.in_window).where(SanctionObjection.sanction_id == sanction.id)
    ).all()
    if any(objection_rules.blocks_decision(state=state, in_window=bool(in_window)) for state, in_window in blocking):
        raise ApiError(409, "objection_unanswered", "当事人在异议期内提出的异议尚未答复，答复后方可作出决定。",
                       "The subject objected within the window and has not been answered yet: answer it first.")
    if today <= until:
        raise ApiError(409, "objection_window_open", f"异议期至 {until.isoformat()} 届满，届满后方可作出决定。",
                       f"The objection window runs until {until.isoformat()}; decide after it ends.")
    decision_date = today if decision_date is None else decision_date
    problems = []
    number = _text(decision_no, "decision_no", DECISION_NO_MAX, required=True, problems=problems)
    problems += rules.check_terms(kind=sanction.kind, severity=sanction.severity, months=sanction.publish_months,
                                  decision_date=decision_date, today=today)
    if not problems and decision_date <= until:
        problems.append(rules.Problem("decision_date", "too_early", "Decide after the objection window.",
                                      "决定日期须在异议期届满之后。"))
    if problems:
        raise _problems_error(problems)
    sanction.decision = SanctionDecision(decision_no=number, decision_date=decision_date, decided_by=regulator.ref,
                                         decided_dt=clock.now())
    sanction.decision_date = decision_date
    sanction.state = "decided"
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_DECIDE,
                                           aggregate=sanction))


def approve_sanction(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date) -> Changed:
    """A second regulator of the issuing agency approves a decided listing (four eyes); it binds from now."""
    require_issuer(regulator, sanction)
    lock_sanction(sanction)
    if not rules.needs_four_eyes(sanction.kind) or sanction.state != "decided":
        raise ApiError(409, "wrong_state", "该记录当前状态不能执行此操作。", "The sanction is not awaiting approval.")
    _refuse_if_revoked(sanction)
    if regulator.ref in (sanction.proposed_by, sanction.decision.decided_by):
        raise ApiError(403, "four_eyes", "复核须由提出和作出决定以外的另一名监管人员进行。",
                       "A second regulator, not the one who proposed or decided it, must approve.")
    sanction.approvals.append(SanctionApproval(approved_by=regulator.ref, approved_dt=clock.now()))
    sanction.state = "approved"
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_APPROVE,
                                           aggregate=sanction))


def publish_sanction(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date) -> Changed:
    """Publish a decided (for a listing: approved) sanction with a window that has not ended."""
    require_issuer(regulator, sanction)
    lock_sanction(sanction)
    if not rules.publishable(kind=sanction.kind, state=sanction.state, months=sanction.publish_months):
        if sanction.state in ("decided", "approved") and not sanction.publish_months:
            raise ApiError(409, "not_published", "轻微失信信息原则上不公示；如需公示，请先更正公示期。",
                           "A minor sanction is not published unless a window is set: correct its window first.")
        raise ApiError(409, "wrong_state", "该记录当前状态不能执行此操作。", "The sanction cannot be published now.")
    _refuse_if_revoked(sanction)
    if today > sanction.window_end:
        raise ApiError(409, "window_over", "公示期已届满，不再公示。", "Its publication window has already ended.")
    sanction.published_by = regulator.ref
    sanction.published_dt = clock.now()
    sanction.state = "published"
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_PUBLISH,
                                           aggregate=sanction))


def expire_due(ring: KeyRing, today: date, *, limit: int = 1000) -> int:
    """Record the end of every window that has passed (one entry each); a second run finds nothing.

    Whether a sanction is public never waits for this: it is computed from
    the dates when read. This records the end in the log and the state.
    """
    # No window is shorter than one month: anything decided since then cannot have ended.
    candidates = db.session.execute(
        select(Sanction).where(Sanction.state.in_(("decided", "approved", "published")),
                               Sanction.publish_months.is_not(None), Sanction.decision_date.is_not(None),
                               Sanction.decision_date < clock.add_months(today, -1))
        .order_by(Sanction.id).limit(limit * 4)).scalars().all()
    count = 0
    for sanction in candidates:
        if count >= limit:
            break
        if sanction.window_end < today:
            # Locked and read again: a repair or withdrawal that committed meanwhile is not turned into an expiry.
            lock_sanction(sanction)
            if sanction.state not in ("decided", "approved", "published") or not sanction.window_end < today:
                continue
            sanction.state = "expired"
            sanction.expired_dt = clock.now()
            record_change(ring, actor=SYSTEM_ACTOR, action=Action.SANCTION_EXPIRE, aggregate=sanction)
            count += 1
    return count


def correct_sanction(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date, changes: dict,
                     reason: str) -> Changed:
    """Correct fields of a recorded sanction, with the reason; the log keeps every earlier state."""
    require_issuer(regulator, sanction)
    lock_sanction(sanction)
    apply_correction(ring, regulator=regulator, sanction=sanction, today=today, changes=changes, reason=reason)
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_CORRECT,
                                           aggregate=sanction))


def apply_correction(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date, changes: dict,
                     reason: str, field_prefix: str = "") -> None:
    """Check and apply a correction with its `SanctionCorrection` row, recording nothing (the caller records its
    one entry: a correction, or an upheld objection). `field_prefix` names the fields at fault under it."""
    problems = []
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        problems.append(rules.Problem(unknown[0], "not_correctable", "This field cannot be corrected.",
                                      "该字段不能更正。"))
    why = _text(reason, "reason", REASON_MAX, required=True, problems=problems)
    if "decision_no" in changes or "decision_date" in changes:
        if sanction.decision is None:
            problems.append(rules.Problem("decision_no", "not_decided", "There is no decision to correct yet.",
                                          "尚未作出决定。"))
    severity = changes.get("severity", sanction.severity)
    months = changes.get("publish_months", sanction.publish_months)
    decision_date = changes.get("decision_date", sanction.decision_date)
    problems += rules.check_terms(kind=sanction.kind, severity=severity, months=months,
                                  decision_date=decision_date if "decision_date" in changes else None, today=today)
    values = {}
    for field, limit in (("legal_basis", BASIS_MAX), ("facts", FACTS_MAX), ("measures", MEASURES_MAX),
                         ("decision_no", DECISION_NO_MAX)):
        if field in changes:
            values[field] = _text(changes[field], field, limit, required=True, problems=problems)
    if problems:
        raise _problems_error([rules.Problem(field_prefix + p.field, p.code, p.en, p.zh) for p in problems])
    changed = []
    for field in CORRECTABLE:
        if field not in changes:
            continue
        if field == "facts":
            if state_hmac(ring, "facts", values["facts"]) != sanction.facts_state:
                sanction.facts_enc = seal(ring, values["facts"], aad("sanctions", "facts", sanction.ref))
                sanction.facts_state = state_hmac(ring, "facts", values["facts"])
                changed.append(field)
            continue
        if field in ("decision_no", "decision_date"):
            target, value = sanction.decision, values.get(field, changes[field])
        else:
            target, value = sanction, values.get(field, changes[field])
        if field == "bars_home_service":
            value = bool(value)
        if getattr(target, field) != value:
            setattr(target, field, value)
            changed.append(field)
            if field == "decision_date":
                sanction.decision_date = value
    if not changed:
        raise ApiError(409, "nothing_changed", "更正内容与现有记录相同。", "The correction changes nothing.")
    sanction.corrections.append(SanctionCorrection(fields=",".join(changed), reason=why,
                                                   corrected_by=regulator.ref, corrected_dt=clock.now()))


# ---- reading ----

def _loaded():
    return (selectinload(Sanction.persons), selectinload(Sanction.agency), selectinload(Sanction.worker),
            selectinload(Sanction.company), selectinload(Sanction.objections))


def _viewed():
    """Everything the notice and regulator views read, loaded a query per relationship, not one per row."""
    return (selectinload(Sanction.persons).selectinload(SanctionPerson.worker), selectinload(Sanction.agency),
            selectinload(Sanction.worker), selectinload(Sanction.company), selectinload(Sanction.notice),
            selectinload(Sanction.decision), selectinload(Sanction.approvals), selectinload(Sanction.corrections),
            selectinload(Sanction.origin_report), selectinload(Sanction.origin_complaint),
            selectinload(Sanction.repairs), selectinload(Sanction.withdrawal), selectinload(Sanction.objections))


def get_sanction(ref: str) -> Sanction:
    """The sanction with this public ref (any regulator reads every sanction); 404 otherwise."""
    ref = (ref or "").lower()
    sanction = None
    if len(ref) == 32 and all(c in "0123456789abcdef" for c in ref):
        sanction = db.session.execute(select(Sanction).where(Sanction.ref == ref).options(*_loaded())
                                      ).scalar_one_or_none()
    if sanction is None:
        raise not_found("sanction", "处罚记录")
    return sanction


def list_sanctions(*, state: str | None = None, card_no: str | None = None, uscc: str | None = None,
                   agency_id: int | None = None, agency_code: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[Sanction]:
    """Sanctions for a regulator, newest first, filtered by state, subject and issuing agency (id or code)."""
    q = select(Sanction).options(*_viewed())
    if state:
        q = q.where(Sanction.state == state)
    if card_no:
        q = q.join(Worker, Worker.id == Sanction.worker_id).where(Worker.card_no == check_card_no(card_no))
    if uscc:
        q = q.join(Company, Company.id == Sanction.company_id).where(Company.uscc == uscc_mod.normalise(uscc))
    if agency_id is not None:
        q = q.where(Sanction.agency_id == agency_id)
    if agency_code:
        q = q.where(Sanction.agency_id.in_(select(Agency.id).where(Agency.code == agency_code)))
    return list(db.session.execute(q.order_by(Sanction.id.desc()).limit(limit).offset(offset)).scalars())


def notice_reasons(ring: KeyRing, sanction: Sanction) -> str | None:
    """The notice's statement of reasons, opened (None before the notice)."""
    notice = sanction.notice
    if notice is None:
        return None
    return unseal(ring, notice.reasons_enc, aad("sanction_notices", "reasons", notice.ref))


def facts_of(ring: KeyRing, sanction: Sanction) -> str:
    return unseal(ring, sanction.facts_enc, aad("sanctions", "facts", sanction.ref))


def notices_for(*, worker_id: int | None = None, company_id: int | None = None) -> list[Sanction]:
    """The listings noticed to this worker or company (their own, only), newest first."""
    q = select(Sanction).join(SanctionNotice, SanctionNotice.sanction_id == Sanction.id).options(*_viewed())
    if worker_id is not None:
        q = q.where(Sanction.worker_id == worker_id)
    elif company_id is not None:
        q = q.where(Sanction.company_id == company_id)
    else:
        return []
    return list(db.session.execute(q.order_by(Sanction.id.desc())).scalars())


def published_for(*, worker_id: int | None = None, company_id: int | None = None, today: date) -> list[Sanction]:
    """The sanctions of one subject that are public today, newest decision first."""
    q = select(Sanction).where(Sanction.state.in_(("published", "expired"))).options(
        selectinload(Sanction.agency), selectinload(Sanction.decision), selectinload(Sanction.objections))
    q = q.where(Sanction.worker_id == worker_id) if worker_id is not None else q.where(
        Sanction.company_id == company_id)
    rows = db.session.execute(q.order_by(Sanction.decision_date.desc(), Sanction.id.desc())).scalars()
    return [s for s in rows if s.is_public(today)]

