"""What the subject of a record is told at each step of an objection (to a sanction, a substantiated complaint or a
review), a credit repair or a withdrawal.

Two faces of the same steps:

- `tell`: a text message through the one notification interface (`notify.send`, kind `notice`) to the subject's
  mobile on record (a worker's phone; a company's contact mobile; none to a landline: `services.subject_phone`),
  in the step's own transaction. No names, no facts, no reasons (they may name people): what happened, which
  agency, and where to read the rest. `tell_complaint_objection` does the same for a complaint's objection (to the
  complaint's subject), `tell_review_objection` for a review's (to whoever filed it).
- `for_subject`: the list the subject reads (the company portal, the worker's `/me`, and the API), **derived** from
  the rows the steps write (objections, repair applications, the withdrawal) — no table of its own: the rows are
  the record of each step already, so the list cannot drift from them, and it holds nothing new about anyone.

The steps: an objection filed (a receipt), accepted, rejected, upheld (the record corrected or withdrawn),
dismissed; a repair applied for (a receipt), approved, rejected; a withdrawal of a revoked decision (an objection
upheld with `withdraw` is told once, as upheld). Nothing here commits or records a log entry: the callers' steps
do, and a message is part of their transaction.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..keys import KeyRing
from ..notify import services as notify
from .models import Sanction
from .services import phone_of, subject_phone

# Each step's message: what happened, in Chinese and English. No names, no facts, no reasons.
TEXTS = {
    "objection_filed": ("异议已收到（回执），作出决定的机关将决定是否受理。",
                        "Your objection was received (this is your receipt); the issuing agency decides whether "
                        "to accept it."),
    "objection_accepted": ("异议已受理，正在核查。", "Your objection was accepted and is being checked."),
    "objection_rejected": ("异议不予受理，理由请登录查看。", "Your objection was not accepted; sign in to read why."),
    "objection_upheld_correct": ("异议成立，原记录已更正。", "Your objection was upheld: the record is corrected."),
    "objection_upheld_withdraw": ("异议成立，原记录已撤回，停止公示和共享。",
                                  "Your objection was upheld: the record is withdrawn, no longer public or shared."),
    "objection_dismissed": ("异议不成立，原记录维持，理由请登录查看。",
                            "Your objection was dismissed: the record stands; sign in to read why."),
    "repair_applied": ("信用修复申请已收到（回执），正在审核。",
                       "Your credit repair application was received (this is your receipt) and is being reviewed."),
    "repair_approved": ("信用修复申请已通过，相关失信信息已停止公示和共享，惩戒措施同时解除。",
                        "Your credit repair was approved: the record is no longer public or shared, and its "
                        "measures end."),
    "repair_rejected": ("信用修复申请未获通过，理由请登录查看。",
                        "Your credit repair application was rejected; sign in to read why."),
    "withdrawn": ("因原决定被依法撤销或变更，相关失信信息已撤回，停止公示和共享。",
                  "The decision was revoked or changed: the record is withdrawn, no longer public or shared."),
}
# Where the subject reads the rest.
WHERE = {"worker": ("家信个人服务页面", "your Jiaxin self-service page"),
         "company": ("家信企业工作台", "your company's Jiaxin portal")}
# Who answers an objection to a review before one has: the regulators of the company's sectors or the market's.
REGULATORS = {"zh": "监管部门", "en": "The regulators"}
# A review has no issuing agency: its receipt says who decides instead.
REVIEW_TEXTS = {"objection_filed": ("异议已收到（回执），监管部门将决定是否受理。",
                                    "Your objection was received (this is your receipt); the regulators decide "
                                    "whether to accept it.")}


def words(kind: str, record_kind: str = "sanction") -> tuple[str, str]:
    """The fixed sentence of a step, (zh, en), for a record of this kind."""
    return (REVIEW_TEXTS.get(kind) if record_kind == "review" else None) or TEXTS[kind]


def _objection_answer_kind(objection) -> str:
    if objection.state == "upheld":
        return f"objection_upheld_{objection.outcome}"
    return f"objection_{objection.state}"


def message_text(sanction: Sanction, kind: str) -> str:
    """The text message: `【家信】<agency>：<what>详情请登录<where>查看。`"""
    return _text(sanction.agency.name_zh, sanction.subject_kind, kind)


def _text(agency_zh: str, subject_kind: str, kind: str, record_kind: str = "sanction") -> str:
    return f"【家信】{agency_zh}：{words(kind, record_kind)[0]}详情请登录{WHERE[subject_kind][0]}查看。"


def _send(ring: KeyRing, phone: str | None, text: str) -> None:
    if phone is not None:  # none to a landline
        notify.send(ring, notify.Message("notice", phone, text))


def tell(ring: KeyRing, sanction: Sanction, kind: str) -> None:
    """Text the subject's mobile on record that this step happened (none to a landline)."""
    if kind not in TEXTS:
        raise ValueError(kind)
    _send(ring, subject_phone(ring, sanction), message_text(sanction, kind))


def tell_objection_step(ring: KeyRing, sanction: Sanction, objection) -> None:
    """After a regulator's step on `objection` (its state already moved): accepted, rejected, upheld, dismissed."""
    tell(ring, sanction, _objection_answer_kind(objection))


def _step_kind(objection) -> str:
    """The step just taken on `objection`: filed (a receipt) while it is received, else its answer."""
    return "objection_filed" if objection.state == "received" else _objection_answer_kind(objection)


def tell_complaint_objection(ring: KeyRing, complaint, objection) -> None:
    """A step of an objection to a complaint, told to the complaint's subject in the name of the agency that
    concluded it."""
    phone = phone_of(ring, complaint.worker if complaint.subject_kind == "worker" else complaint.company)
    agency_zh = complaint.concluded_agency.name_zh if complaint.concluded_agency is not None else REGULATORS["zh"]
    _send(ring, phone, _text(agency_zh, complaint.subject_kind, _step_kind(objection)))


def tell_review_objection(ring: KeyRing, service, objection) -> None:
    """A step of an objection to a review, told to whoever filed it (the worker, or the company's contact), in the
    name of the regulator's agency that acted (the regulators, for the receipt)."""
    from ..accounts.models import Account

    by = objection.answered_by or objection.accepted_by
    acted = db.session.execute(select(Account).where(Account.ref == by)).scalar_one_or_none() if by else None
    agency_zh = acted.agency.name_zh if acted is not None and acted.agency is not None else REGULATORS["zh"]
    phone = phone_of(ring, service.worker if objection.filed_by_kind == "worker" else service.company)
    _send(ring, phone, _text(agency_zh, objection.filed_by_kind, _step_kind(objection), "review"))


# --- the list the subject reads ------------------------------------------------------------------

def _steps(sanction: Sanction):
    """(day, kind) of each step told to the subject, oldest first."""
    out = []
    upheld_withdraw = False
    for o in sanction.objections:
        out.append((o.filed_on, o.filed_dt, "objection_filed"))
        if o.accepted_on is not None:
            out.append((o.accepted_on, None, "objection_accepted"))
        if o.answered_on is not None:
            out.append((o.answered_on, o.answered_dt, _objection_answer_kind(o)))
            upheld_withdraw = upheld_withdraw or (o.state == "upheld" and o.outcome == "withdraw")
    for r in sanction.repairs:
        out.append((clock.local_date(r.applied_dt), r.applied_dt, "repair_applied"))
        if r.decided_dt is not None and r.state in ("approved", "rejected"):
            out.append((clock.local_date(r.decided_dt), r.decided_dt, f"repair_{r.state}"))
    w = sanction.withdrawal
    if w is not None and w.withdrawn_dt is not None and not upheld_withdraw:
        out.append((clock.local_date(w.withdrawn_dt), w.withdrawn_dt, "withdrawn"))
    return out


def for_subject(*, worker_id: int | None = None, company_id: int | None = None) -> list[dict]:
    """The notifications about this worker's or this company's records, newest first: its sanctions' steps, and
    the steps of the objections to the complaints and the reviews about it."""
    rows = [*_sanction_rows(worker_id, company_id), *_complaint_rows(worker_id, company_id),
            *_review_rows(worker_id, company_id)]
    rows.sort(key=lambda r: r[0], reverse=True)
    return [r for _key, r in rows]


def _row(key, *, kind: str, day, record_kind: str, record_ref: str, agency: dict, subject_kind: str) -> tuple:
    zh, en = words(kind, record_kind)
    where_zh, where_en = WHERE[subject_kind]
    return key, {"kind": kind, "day": day, "record_kind": record_kind, "record_ref": record_ref,
                 "sanction_ref": record_ref if record_kind == "sanction" else None, "agency": agency,
                 "text": {"zh": zh, "en": en}, "where": {"zh": where_zh, "en": where_en}}


def _agency(agency) -> dict:
    return {"zh": agency.name_zh, "en": agency.name_en} if agency is not None else dict(REGULATORS)


def _sanction_rows(worker_id, company_id) -> list[tuple]:
    from .models import SanctionObjection, SanctionRepair, SanctionWithdrawal

    q = select(Sanction).where(or_(
        Sanction.id.in_(select(SanctionObjection.sanction_id)),
        Sanction.id.in_(select(SanctionRepair.sanction_id)),
        Sanction.id.in_(select(SanctionWithdrawal.sanction_id).where(SanctionWithdrawal.withdrawn_dt.is_not(None)))))
    if worker_id is not None:
        q = q.where(Sanction.subject_kind == "worker", Sanction.worker_id == worker_id)
    else:
        q = q.where(Sanction.subject_kind == "company", Sanction.company_id == company_id)
    q = q.options(selectinload(Sanction.objections), selectinload(Sanction.repairs),
                  selectinload(Sanction.withdrawal), selectinload(Sanction.agency))
    return [_row((day, 0, s.id, position), kind=kind, day=day, record_kind="sanction", record_ref=s.ref,
                 agency=_agency(s.agency), subject_kind=s.subject_kind)
            for s in db.session.execute(q.order_by(Sanction.id)).scalars()
            for position, (day, _at, kind) in enumerate(_steps(s))]


def _objection_steps(objection):
    """(day, kind, who acted) of each step of one objection, oldest first."""
    out = [(objection.filed_on, "objection_filed", None)]
    if objection.accepted_on is not None:
        out.append((objection.accepted_on, "objection_accepted", objection.accepted_by))
    if objection.answered_on is not None:
        out.append((objection.answered_on, _objection_answer_kind(objection), objection.answered_by))
    return out


def _complaint_rows(worker_id, company_id) -> list[tuple]:
    from ..complaints.models import Complaint, ComplaintObjection

    q = select(Complaint).where(Complaint.id.in_(select(ComplaintObjection.complaint_id)))
    if worker_id is not None:
        q = q.where(Complaint.subject_kind == "worker", Complaint.worker_id == worker_id)
    else:
        q = q.where(Complaint.subject_kind == "company", Complaint.company_id == company_id)
    q = q.options(selectinload(Complaint.objections), selectinload(Complaint.concluded_agency))
    return [_row((day, 1, c.id, o.id, position), kind=kind, day=day, record_kind="complaint",
                 record_ref=c.reference, agency=_agency(c.concluded_agency), subject_kind=c.subject_kind)
            for c in db.session.execute(q.order_by(Complaint.id)).scalars()
            for o in c.objections for position, (day, kind, _by) in enumerate(_objection_steps(o))]


def _review_rows(worker_id, company_id) -> list[tuple]:
    """A review speaks of its worker and its company both, and either may object: each reads the steps of the
    objections it filed (as the text messages go to the one who filed)."""
    from ..accounts.models import Account
    from ..trace.models import ReviewObjection, ServiceRecord
    from ..trace.services import reference_of

    q = select(ServiceRecord).where(ServiceRecord.id.in_(select(ReviewObjection.service_id)))
    q = q.where(ServiceRecord.worker_id == worker_id) if worker_id is not None else \
        q.where(ServiceRecord.company_id == company_id)
    services = list(db.session.execute(q.options(selectinload(ServiceRecord.objections))
                                       .order_by(ServiceRecord.id)).scalars())
    subject_kind = "worker" if worker_id is not None else "company"
    steps = [(s, o, position, step) for s in services for o in s.objections if o.filed_by_kind == subject_kind
             for position, step in enumerate(_objection_steps(o))]
    refs = {by for *_rest, (_day, _kind, by) in steps if by is not None}
    agencies = {a.ref: a.agency for a in db.session.execute(
        select(Account).where(Account.ref.in_(refs)).options(selectinload(Account.agency))).scalars()} if refs else {}
    return [_row((day, 2, s.id, o.id, position), kind=kind, day=day, record_kind="review",
                 record_ref=reference_of(s.ref), agency=_agency(agencies.get(by)), subject_kind=subject_kind)
            for s, o, position, (day, kind, by) in steps]
