"""Erasing a worker's personal data (PIPL art. 47): one service, one log entry.

`erase_worker` empties the sealed name, ID number, phone and photo, drops every look-up index computed from them,
deletes the outbox's messages to the phone (`notify.forget_messages_to`: their recipient is the erased phone),
records when, why and on what reference, and writes one `worker:erase` entry — in the caller's transaction, which
it never commits. The state HMACs stay: every earlier digest still verifies, and the new entry's digest covers the
erased state (`canonical.worker_state_from`'s `erased`). The public views never opened a sealed value (they show
the masked name kept in its own column), so they do not change.

What may not be erased (`erasure_refusal`): a worker with an open employment (the registry's purpose lasts while
someone employs them: end the employment first), and a worker a sanction names that is still in process or inside
its publicity window (the law has it published for its window and the agency must reach the person).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import delete, or_, select, update

from ..errors import ApiError, field_error
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, unseal
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..workers.models import Worker, WorkerPhoto
from . import rules

# What an erased sealed column holds: the columns stay NOT NULL (migration 0038 says why).
ERASED = ""
ERASED_BLOB = b""
# An erased worker's `id_number_idx`: unique and NOT NULL, so a random tombstone no look-up can produce.
ERASED_INDEX_PREFIX = "erased:"
# Sanction states still in process (not yet decided, or decided and not yet ended).
OPEN_SANCTION_STATES = ("proposed", "notified", "decided", "approved")


def is_erased(worker) -> bool:
    return getattr(worker, "erased_dt", None) is not None


def require_not_erased(worker) -> None:
    """410 `worker_erased` for a read or use of personal data the worker no longer has."""
    if is_erased(worker):
        raise ApiError(410, "worker_erased", "该人员的姓名、证件号码、手机号和照片已依法删除。",
                       "This worker's name, ID number, phone and photo have been erased.")


def erasure_refusal(worker: Worker, today: date) -> ApiError | None:
    """Why this worker's personal data may not be erased today, or None."""
    from ..sanctions.models import Sanction

    if is_erased(worker):
        return ApiError(409, "already_erased", "该人员的个人信息已删除。",
                        "This worker's personal data is already erased.")
    if any(e.open for e in worker.employments):
        return ApiError(409, "worker_employed", "该人员仍有在职或待确认的用工记录；须先结束用工，才能删除其个人信息。",
                        "The worker has a current or awaited employment: end it before erasing their personal data.")
    sanction = db.session.execute(select(Sanction.id).where(
        Sanction.worker_id == worker.id,
        or_(Sanction.state.in_(OPEN_SANCTION_STATES),
            (Sanction.state == "published") & or_(Sanction.public_until.is_(None), Sanction.public_until >= today)))
        .limit(1)).scalar_one_or_none()
    if sanction is not None:
        return ApiError(409, "sanction_in_effect", "该人员的惩戒记录仍在办理中或公示期内，依法须保留，暂不能删除。",
                        "A sanction naming the worker is still in process or inside its publicity window, which the "
                        "law requires kept: the worker cannot be erased yet.")
    return None


def check_request(basis: str | None, reference: str | None) -> tuple[str, str]:
    """A lawful request's basis and reference, checked (422 naming the field); the reference masked of phone and ID
    numbers (`trace.textmask`), as the registry's other free texts are."""
    from ..trace.textmask import mask_text

    if not basis:
        raise field_error("basis", "Give the lawful basis of the request.", "请选择删除的法律依据。",
                          code="basis_missing")
    if basis not in rules.LAWFUL_BASES:
        raise field_error("basis", "Not a basis a lawful request may give.", "不是依法请求可用的删除依据。",
                          code="basis_unknown")
    reference = " ".join((reference or "").split())
    if not reference:
        raise field_error("reference", "Give the request's case or document reference.", "请填写请求的案号或文书编号。",
                          code="reference_missing")
    if len(reference) > rules.REFERENCE_MAX:
        raise field_error("reference", f"At most {rules.REFERENCE_MAX} characters.",
                          f"最多 {rules.REFERENCE_MAX} 个字符。", code="reference_too_long")
    return basis, mask_text(reference)


def erase_worker(ring: KeyRing, *, worker: Worker, actor: str, basis: str, reference: str | None, now: datetime,
                 today: date) -> Recorded:
    """Erase the worker's name, ID number, phone and photo; record one `worker:erase` entry by `actor` (`system`
    for the retention job, the account's ref for a lawful request). Refuses (409) what `erasure_refusal` names."""
    from ..notify.services import forget_messages_to
    from ..selfservice.models import WorkerCode, WorkerLogin, WorkerSession

    if basis not in rules.ERASURE_BASES:
        raise ValueError(f"unknown erasure basis {basis!r}")
    refusal = erasure_refusal(worker, today)
    if refusal is not None:
        raise refusal
    # The messages sent to the phone go with it: the development outbox keeps each one sealed with its recipient
    # (and a code's text names the card), so a message kept would say whose the erased phone was.
    forget_messages_to(ring, unseal(ring, worker.phone_enc, aad("workers", "phone", worker.ref)))
    worker.name_enc = worker.id_number_enc = worker.phone_enc = ERASED
    worker.name_index = None
    worker.phone_idx = ERASED
    worker.id_number_idx = ERASED_INDEX_PREFIX + secrets.token_hex(16)
    worker.erased_dt, worker.erased_basis, worker.erased_reference = now, basis, reference
    db.session.execute(update(WorkerPhoto).where(WorkerPhoto.worker_id == worker.id)
                       .values(photo_enc=ERASED_BLOB).execution_options(synchronize_session=False))
    # Self-service needs a phone to send codes to and ends with the identity: its sessions, codes and PIN go.
    for model in (WorkerSession, WorkerCode, WorkerLogin):
        db.session.execute(delete(model).where(model.worker_id == worker.id))
    return record_change(ring, actor=actor, action=Action.WORKER_ERASE, aggregate=worker)
