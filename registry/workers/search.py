"""A regulator finds a worker and opens their detailed record, saying why.

A worker is found by card number, or by ID number through its blind index
(normalised and checked as registration does, so the typed number is never
stored or compared in clear). A regulator may open only a worker their sector
reaches (`services.may_view`: regulators of a sector the worker is employed in
today, market supervision for anyone), or — for a sanction case, by card number
— any worker at all, since any agency may sanction anyone (失信惩戒共鉴,
`reaches`); for anyone else the answer is the same as for a number nobody
holds, so a search tells nothing about who is registered.

Opening writes the worker's access record first, with the purpose chosen from
`vocab.REGULATOR_PURPOSES` and the regulator's optional note; the worker reads
both at /me. Nothing here commits: the record is written by `note_access` in a
short transaction of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..accounts.models import Account
from ..accounts.roles import REGULATOR_ROLES
from ..errors import ApiError, field_error, forbidden
from ..keys import KeyRing
from . import idnumber, services
from .models import Worker
from .vocab import REGULATOR_PURPOSES

NOTE_MAX = 200
# The access record's purpose column holds this prefix and the chosen code: `regulator_view:complaint`.
PURPOSE_PREFIX = "regulator_view:"


@dataclass(frozen=True)
class Query:
    """What the regulator typed: exactly one of the two numbers, the purpose and an optional note."""

    card_no: str | None
    id_number: str | None
    purpose: str
    note: str | None = None


def nobody() -> ApiError:
    """One answer for a number nobody holds and a worker outside the regulator's reach."""
    return ApiError(404, "worker_not_found", "没有找到您可查看的从业人员。",
                    "No worker you may open has this number.")


def check_query(q: Query) -> tuple[str | None, str | None]:
    """The purpose and note as stored, or a 422 naming the field at fault (no record is read)."""
    if q.purpose not in REGULATOR_PURPOSES:
        raise field_error("purpose", "Choose why you open this record.", "请选择查看用途。", code="purpose_required")
    note = " ".join((q.note or "").split()) or None
    if note is not None and len(note) > NOTE_MAX:
        raise field_error("note", f"At most {NOTE_MAX} characters.", f"最多 {NOTE_MAX} 个字符。")
    given = [f for f, v in (("card_no", q.card_no), ("id_number", q.id_number)) if (v or "").strip()]
    if len(given) != 1:
        raise field_error("card_no", "Give the card number or the ID number (one of them).",
                          "请填写服务证号或证件号码（二选一）。", code="search_number_required")
    return q.purpose, note


def find(ring: KeyRing, *, regulator: Account, q: Query, today: date) -> Worker:
    """The worker the query names, whom the regulator may open; 404 `worker_not_found` otherwise."""
    if regulator.role not in REGULATOR_ROLES:
        raise forbidden()
    check_query(q)
    if (q.card_no or "").strip():
        worker = services.get_worker_or_none(services.check_card_no(q.card_no))
    else:
        result = idnumber.validate(q.id_number or "", today=today)
        if not result.ok:
            # The rule that failed, never the number.
            raise field_error("id_number", result.message_en, result.message_zh,
                              code=f"id_number_{result.failure}")
        worker = services.find_by_id_number(ring, result.number)
    if worker is None or not reaches(regulator, worker, q):
        raise nobody()
    return worker


# The purpose for which any regulator may open any worker, named by card number.
SANCTION_PURPOSE = "sanction_case"


def reaches(regulator: Account, worker: Worker, q: Query) -> bool:
    """May this regulator open this worker for this query?

    Their sector's workers (and market supervision: everyone) for any purpose;
    and any worker, whatever sector employs them (or none), for a sanction
    case by card number: every agency records sanctions against anyone. A
    search by ID number stays within the sector's reach.
    """
    if services.may_view(regulator, worker):
        return True
    return q.purpose == SANCTION_PURPOSE and bool((q.card_no or "").strip())


def open_record(*, regulator: Account, worker: Worker, q: Query) -> None:
    """Write the access record — the purpose and note the worker will read — before the record is opened."""
    purpose, note = check_query(q)
    services.note_access(worker=worker, account=regulator, purpose=PURPOSE_PREFIX + purpose, note=note)
