"""Reports from the door ("report this card") and the regulators' queue that handles them.

A report is its own aggregate: filing writes `report:file`, closing writes
`report:close`. The resident's free text may name people, so it is sealed
(AES-GCM bound to the report's row) and enters the canonical state only as an
HMAC. Nothing here commits.

Who handles a report (decided here, once, for the API and the pages alike):
regulators of a sector in which the worker is currently employed (a company
of that sector employs them today), and market supervision, which sees every
report — so a report about a worker with no current employer, which no sector
claims, still reaches a regulator. The rule is evaluated when the queue is
read, not when the report was filed: a worker who changes employer brings the
open reports to the new employer's regulators.

Reading a report's text is not recorded in the worker's access record: the
text is the reporter's statement, not the worker's personal data, and an
access entry would tell the worker that a report about them exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.models import Account
from ..accounts.roles import REGULATOR_ROLES
from ..cards import qr
from ..cards import services as cards
from ..companies.models import Company
from ..errors import ApiError, field_error, forbidden, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..lookup import services as lookup
from ..models import new_ref
from ..workers.models import Employment, Worker
from ..workers.services import check_card_no, oversees
from .models import FILED_REASONS, REPORT_REASONS, REPORT_STATES, CardReport

TEXT_MAX = 500
NOTE_MAX = 500
# A QR's q is about 110 characters; anything much longer is not one.
Q_MAX = 300
# The public reference: the first 12 hex characters of the report's random ref, in groups of four.
REFERENCE_CHARS = 12


@dataclass(frozen=True)
class Filed:
    report: CardReport
    recorded: Recorded

    @property
    def reference(self) -> str:
        return reference_of(self.report)


def reference_of(report: CardReport) -> str:
    """The short reference a resident can quote on the phone (48 random bits: never a database id).

    Taken from the report's random `ref`, never from its `log_ref`, so the
    reference does not point at the report's entries in the public log.
    """
    head = report.ref[:REFERENCE_CHARS].upper()
    return "-".join(head[i:i + 4] for i in range(0, REFERENCE_CHARS, 4))


def normalise_reference(raw: str) -> str | None:
    """The ref prefix a quoted reference stands for, or None if it cannot be one."""
    head = "".join(ch for ch in (raw or "") if ch not in "- \t").lower()
    if len(head) != REFERENCE_CHARS or any(ch not in "0123456789abcdef" for ch in head):
        return None
    return head


def worker_for_card(raw: str) -> Worker:
    """The worker a typed or scanned card number names, with the card page's own errors (typo 422, 404)."""
    number = check_card_no(raw)
    worker = db.session.execute(select(Worker).where(Worker.card_no == number)).scalar_one_or_none()
    if worker is None:
        raise lookup.card_not_found()
    return worker


def qr_verdict(ring: KeyRing, worker: Worker, q: str | None, today: date) -> qr.Verdict | None:
    """What the card page said about the scanned QR, or None if the resident typed the number."""
    if q is None or q == "":
        return None
    if len(q) > Q_MAX:
        return qr.Verdict("altered", *qr.WORDS["altered"])
    latest = cards.latest_card(worker.id)
    return qr.check(worker.card_no, q, public_keys=cards.public_keys(ring),
                    latest_serial=latest.serial if latest else None,
                    latest_void=latest is not None and cards.is_void(worker, latest), today=today)


def misconduct_is_a_complaint() -> ApiError:
    en = ("Misconduct during a service is a complaint: file it with POST /api/v1/cards/{card_no}/complaints "
          "(or by the phone the service was booked with, or with its review code).")
    zh = "服务中的不当行为请按投诉提交（投诉服务人员），监管部门将依投诉程序处理。"
    return ApiError(422, "misconduct_is_a_complaint", zh, en, {"reason": {"en": en, "zh": zh}})


def check_reason(reason: str | None) -> str:
    if reason == "misconduct":
        raise misconduct_is_a_complaint()
    if reason not in FILED_REASONS:
        raise field_error("reason", "Choose a reason: " + ", ".join(REPORT_REASONS) + ".",
                          "请选择举报原因。")
    return reason


def clean_text(text: str | None) -> str | None:
    """The report's free text, trimmed; None when empty; a field error when too long."""
    text = (text or "").strip()
    if len(text) > TEXT_MAX:
        raise field_error("text", f"Use at most {TEXT_MAX} characters.", f"最多 {TEXT_MAX} 个字符。")
    return text or None


def file_report(ring: KeyRing, *, actor: str, worker: Worker, reason: str, text: str | None = None,
                serial: int | None = None, qr_verdict: str | None = None) -> Filed:
    """Store a resident's report about `worker`'s card, open, in the regulators' queue.

    `actor` is the log's actor: a signed-in account's ref, or ANONYMOUS_ACTOR
    for a resident at the door. `serial` and `qr_verdict` are what the card
    page said about a scanned QR (None when the number was typed).
    """
    reason = check_reason(reason)
    text = clean_text(text)
    if qr_verdict is not None and qr_verdict not in qr.VERDICTS:
        raise field_error("q", "Not a card QR verdict.", "二维码核验结果无效。")
    report = CardReport(worker_id=worker.id, worker=worker, reason=reason, serial=serial, qr_verdict=qr_verdict,
                        state="open")
    # The ref binds the sealed text to this row: mint it before sealing.
    report.ref = new_ref()
    if text is not None:
        report.text_enc = seal(ring, text, aad("card_reports", "text", report.ref))
        report.text_state = state_hmac(ring, "text", text)
    db.session.add(report)
    return Filed(report, record_change(ring, actor=actor, action=Action.REPORT_FILE, aggregate=report))


def report_text(ring: KeyRing, report: CardReport) -> str | None:
    if report.text_enc is None:
        return None
    return unseal(ring, report.text_enc, aad("card_reports", "text", report.ref))


def _is_regulator(account: Account | None) -> bool:
    return (account is not None and account.role in REGULATOR_ROLES and account.agency is not None
            and account.agency.sector is not None)


def _sector_company_ids(sector: str) -> list[int]:
    # Sectors are a JSON list: filtered here rather than with each engine's JSON operators.
    return [cid for cid, sectors in db.session.execute(select(Company.id, Company.sectors)) if sector in sectors]


def _visible_clause(account: Account):
    """The SQL condition for the reports `account` handles (see the module's docstring)."""
    sector = account.agency.sector
    if sector == "market":
        return True
    ids = _sector_company_ids(sector)
    if not ids:
        return False
    return exists().where(and_(Employment.worker_id == CardReport.worker_id, Employment.active,
                               Employment.company_id.in_(ids)))


def handles(account: Account | None, report: CardReport) -> bool:
    """May `account` read and close `report`? (See the module's docstring.)"""
    if not _is_regulator(account):
        return False
    return oversees(account.agency.sector, report.worker)


def queue(account: Account, *, state: str = "open", reference: str | None = None, limit: int = 100,
          offset: int = 0) -> list[CardReport]:
    """The reports `account` handles, newest first; none for anyone else."""
    if not _is_regulator(account):
        raise forbidden()
    if state not in REPORT_STATES:
        raise field_error("state", "Choose open or closed.", "请选择 open（待处理）或 closed（已办结）。")
    q = select(CardReport).where(CardReport.state == state)
    if reference:
        head = normalise_reference(reference)
        if head is None:
            raise field_error("reference", "A reference has 12 characters, such as 1A2B-3C4D-5E6F.",
                              "受理编号为 12 位，例如 1A2B-3C4D-5E6F。")
        q = q.where(CardReport.ref.startswith(head))
    clause = _visible_clause(account)
    if clause is False:
        return []
    if clause is not True:
        q = q.where(clause)
    q = (q.options(selectinload(CardReport.worker).selectinload(Worker.employments).selectinload(Employment.company))
         .order_by(CardReport.id.desc()).limit(limit).offset(offset))
    return list(db.session.execute(q).scalars())


def get_report(account: Account, ref: str) -> CardReport:
    """The report with this ref if `account` handles it; 404 otherwise, whether or not it exists."""
    report = db.session.execute(select(CardReport).where(CardReport.ref == (ref or "").lower())).scalar_one_or_none()
    if report is None or not handles(account, report):
        raise not_found("report", "举报")
    return report


def close_report(ring: KeyRing, *, regulator: Account, report: CardReport, note: str | None) -> Recorded:
    """A regulator who handles the report closes it with a note saying what was done."""
    if not handles(regulator, report):
        raise forbidden()
    # Control characters are not words: a note of only those is no note.
    note = "".join(ch for ch in (note or "") if ch.isprintable() or ch in "\n\t").strip()
    if not note:
        raise field_error("note", "Say what was done about the report.", "请填写处理结果。")
    if len(note) > NOTE_MAX:
        raise field_error("note", f"Use at most {NOTE_MAX} characters.", f"最多 {NOTE_MAX} 个字符。")
    if report.state != "open":
        raise ApiError(409, "report_closed", "该举报已办结。", "This report is already closed.")
    report.state = "closed"
    report.closed_by = regulator.ref
    report.closed_dt = clock.now()
    report.closing_note_enc = seal(ring, note, aad("card_reports", "closing_note", report.ref))
    report.closing_note_state = state_hmac(ring, "closing_note", note)
    return record_change(ring, actor=regulator.ref, action=Action.REPORT_CLOSE, aggregate=report)


def current_employers(report: CardReport) -> list[Company]:
    return [e.company for e in report.worker.employments if e.active]


def reason_words(reason: str) -> tuple[str, str]:
    return REPORT_REASONS.get(reason, (reason, reason))



def report_view(ring: KeyRing, report: CardReport) -> dict:
    """The report as its handling regulator sees it (text decrypted)."""
    zh, en = reason_words(report.reason)
    return {
        "ref": report.ref, "reference": reference_of(report), "card_no": report.worker.card_no,
        "name_masked": report.worker.name_masked,
        "employers": [{"uscc": c.uscc, "name": c.name} for c in current_employers(report)],
        "reason": report.reason, "reason_label": {"zh": zh, "en": en}, "text": report_text(ring, report),
        "serial": report.serial, "qr_verdict": report.qr_verdict, "state": report.state,
        "created_dt": report.created_dt, "closed_by": report.closed_by, "closed_dt": report.closed_dt,
        "closing_note": closing_note(ring, report),
    }


def closing_note(ring: KeyRing, report: CardReport) -> str | None:
    if report.closing_note_enc is None:
        return None
    return unseal(ring, report.closing_note_enc, aad("card_reports", "closing_note", report.ref))
