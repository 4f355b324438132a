"""Key rotation: a new key for a purpose, then a task that moves every value to it.

`field`: every sealed value is re-encrypted under the new key. `index-<field>`:
every blind index is recomputed under the new key; until the task finishes,
look-ups and the uniqueness check try both keys. Signing keys (`card`,
`bulletin`, `log`) only change who signs next: what the old key signed stays
verifiable, so it stays published. `household` is not rotatable (`NOT_ROTATABLE`): the household
references cannot be recomputed under a new key without every customer's phone, which the registry never keeps.
An old key is retired only when a check finds no value that still uses it.
Canonical states hold `state` HMACs, not ciphertext or index values, so no
logged digest changes and rotation writes no log entries.

The same task is the backfill of a blind index rows lack (workers registered
before `index-name` existed): `start_backfill` queues it under the current key.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, or_, select, update

from ..errors import ApiError
from ..extensions import db
from .crypto import aad, blind_index, name_index, seal, seal_bytes, unseal, unseal_bytes
from .ring import NOT_ROTATABLE, PURPOSES, SIGNING_PURPOSES, KeyRing

TASK_KIND = "keys.rotate"
BATCH = 500
MAX_PASSES = 5


@dataclass(frozen=True)
class Sealed:
    """A column of sealed values: its table's model, the column, and how its AAD names the row."""

    model: type
    column: str
    aad_table: str
    aad_column: str
    ref_attr: str
    binary: bool = False


def sealed_columns() -> list[Sealed]:
    from ..accounts.models import Account
    from ..attachments.models import Attachment
    from ..companies.models import Company
    from ..complaints.models import Complaint, ComplaintObjection, ComplaintResponse, ComplaintStep
    from ..credit.models import ScoreReview
    from ..imports.models import ImportFile
    from ..notify.models import OutboxMessage
    from ..reports.models import CardReport
    from ..sanctions.models import Sanction, SanctionNotice, SanctionObjection, SanctionPerson, SanctionRepair
    from ..trace.import_models import ServiceFile
    from ..trace.models import ReviewObjection, ServiceReview
    from ..workers.models import Worker, WorkerPhoto

    return [
        Sealed(Account, "name_enc", "accounts", "name", "ref"),
        Sealed(Account, "totp_enc", "accounts", "totp", "ref"),
        Sealed(Company, "contact_name_enc", "companies", "contact_name", "log_ref"),
        Sealed(Company, "contact_phone_enc", "companies", "contact_phone", "log_ref"),
        Sealed(Worker, "name_enc", "workers", "name", "ref"),
        Sealed(Worker, "id_number_enc", "workers", "id_number", "ref"),
        Sealed(Worker, "phone_enc", "workers", "phone", "ref"),
        Sealed(OutboxMessage, "recipient_enc", "outbox", "recipient", "ref"),
        Sealed(OutboxMessage, "text_enc", "outbox", "text", "ref"),
        Sealed(ImportFile, "content_enc", "import_files", "content", "ref", binary=True),
        Sealed(WorkerPhoto, "photo_enc", "worker_photos", "photo", "ref", binary=True),
        Sealed(CardReport, "text_enc", "card_reports", "text", "ref"),
        Sealed(CardReport, "closing_note_enc", "card_reports", "closing_note", "ref"),
        Sealed(Sanction, "facts_enc", "sanctions", "facts", "ref"),
        Sealed(SanctionPerson, "name_enc", "sanction_persons", "name", "ref"),
        Sealed(SanctionNotice, "reasons_enc", "sanction_notices", "reasons", "ref"),
        Sealed(SanctionRepair, "statement_enc", "sanction_repairs", "statement", "ref"),
        Sealed(SanctionObjection, "reasons_enc", "sanction_objections", "reasons", "ref"),
        Sealed(SanctionObjection, "answer_enc", "sanction_objections", "answer", "ref"),
        Sealed(Complaint, "text_enc", "complaints", "text", "ref"),
        Sealed(Complaint, "contact_name_enc", "complaints", "contact_name", "ref"),
        Sealed(Complaint, "contact_phone_enc", "complaints", "contact_phone", "ref"),
        Sealed(ComplaintStep, "reason_enc", "complaint_steps", "reason", "ref"),
        Sealed(ComplaintResponse, "text_enc", "complaint_responses", "text", "ref"),
        Sealed(ServiceReview, "text_enc", "service_reviews", "text", "ref"),
        Sealed(ServiceReview, "reply_enc", "service_reviews", "reply", "ref"),
        # An uploaded service file while its import runs (emptied when the task ends).
        Sealed(ServiceFile, "content_enc", "service_files", "content", "ref", binary=True),
        Sealed(ComplaintObjection, "reasons_enc", "complaint_objections", "reasons", "ref"),
        Sealed(ComplaintObjection, "answer_enc", "complaint_objections", "answer", "ref"),
        Sealed(ReviewObjection, "reasons_enc", "review_objections", "reasons", "ref"),
        Sealed(ReviewObjection, "answer_enc", "review_objections", "answer", "ref"),
        # A request for human review of a credit score: the subject's reason and the regulator's note.
        Sealed(ScoreReview, "reason_enc", "score_reviews", "reason", "ref"),
        Sealed(ScoreReview, "note_enc", "score_reviews", "note", "ref"),
        # Documents (objections' and any other owner's): re-sealed like photos; their state HMACs do not change.
        Sealed(Attachment, "content_enc", "attachments", "content", "ref", binary=True),
    ]


def index_columns() -> dict[str, list[tuple[type, str, Sealed]]]:
    """field → every (model, index column, the sealed column it is computed from) indexed under its key."""
    from ..notify.models import OutboxMessage
    from ..sanctions.models import SanctionPerson
    from ..workers.models import Worker

    return {
        "id_number": [(Worker, "id_number_idx", Sealed(Worker, "id_number_enc", "workers", "id_number", "ref"))],
        # An outbox message's recipient: how a worker's erasure finds the messages to their phone.
        "phone": [(Worker, "phone_idx", Sealed(Worker, "phone_enc", "workers", "phone", "ref")),
                  (OutboxMessage, "recipient_idx",
                   Sealed(OutboxMessage, "recipient_enc", "outbox", "recipient", "ref"))],
        # A person a sanction names is found by full name like a worker.
        "name": [(Worker, "name_index", Sealed(Worker, "name_enc", "workers", "name", "ref")),
                 (SanctionPerson, "name_idx", Sealed(SanctionPerson, "name_enc", "sanction_persons", "name", "ref"))],
    }


def _index_value(ring: KeyRing, field: str, plain: str) -> str:
    """The blind index of a sealed value as its writers compute it (a name folded by `name_key` first)."""
    return name_index(ring, plain) if field == "name" else blind_index(ring, field, plain)


def _prefix(key_id: str, binary: bool):
    return (key_id + ":").encode() if binary else key_id + ":"


def _not_under(col, key_id: str, binary: bool):
    """Rows whose value (non-null, non-empty: an erased worker's is empty) is not under `key_id`."""
    return and_(col.is_not(None), func.length(col) > 0, func.substr(col, 1, len(key_id) + 1) != _prefix(key_id, binary))


def _has_source(model, src: Sealed):
    """Rows whose sealed source value is still there: an erased worker's is empty, and so has no index to compute
    (its index columns hold nothing, or a tombstone no key produced)."""
    return func.length(getattr(model, src.column)) > 0


def _index_not_under(col, key_id: str):
    """Rows whose blind index is not under `key_id`, or is missing (a worker registered before the index
    existed: moving every value to the current key is also the backfill)."""
    return or_(col.is_(None), func.substr(col, 1, len(key_id) + 1) != _prefix(key_id, False))


def start_rotation(ring: KeyRing, purpose: str, *, actor: str):
    """Add the purpose's new key and queue the task that moves values to it; return (key, task or None)."""
    from ..tasks.services import enqueue

    if purpose not in PURPOSES or purpose in NOT_ROTATABLE:
        raise ApiError(422, "not_rotatable", "该用途的密钥不能轮换。", f"Keys of purpose {purpose!r} are not rotated.")
    key = ring.add(purpose)
    if purpose in SIGNING_PURPOSES:
        return key, None  # earlier keys stay published to verify what they signed
    task = enqueue(TASK_KIND, {"purpose": purpose, "key_id": key.id}, actor_ref=actor)
    return key, task


def missing_indexes() -> dict[str, int]:
    """Per index purpose, how many rows have no blind index yet: workers registered before the name index (0015),
    outbox messages stored before the recipient index (0039)."""
    out = {}
    for field, columns in index_columns().items():
        n = sum(db.session.execute(select(func.count()).select_from(model).where(
            getattr(model, column).is_(None), _has_source(model, src))).scalar_one() for model, column, src in columns)
        if n:
            out[f"index-{field}"] = n
    return out


def start_backfill(ring: KeyRing, *, actor: str) -> list:
    """Queue, for each index purpose with rows lacking their index, the task that writes them: the rotation's
    own task under the current key (it moves every value not under that key, missing ones included, and
    retires nothing while any is left). Return the tasks queued (none when nothing is missing)."""
    from ..tasks.services import enqueue

    return [enqueue(TASK_KIND, {"purpose": purpose, "key_id": ring.current(purpose).id, "backfill": True},
                    actor_ref=actor)
            for purpose in missing_indexes()]


def values_left(ring: KeyRing, purpose: str, key_id: str) -> int:
    """How many values are not yet under `key_id` (the new key)."""
    if purpose == "field":
        return sum(db.session.execute(select(func.count()).select_from(s.model).where(
            _not_under(getattr(s.model, s.column), key_id, s.binary))).scalar_one() for s in sealed_columns())
    if purpose.startswith("index-"):
        return sum(db.session.execute(select(func.count()).select_from(model).where(
            _index_not_under(getattr(model, column), key_id), _has_source(model, src))).scalar_one()
            for model, column, src in index_columns()[purpose.removeprefix("index-")])
    return 0


def _reseal_batch(ring: KeyRing, s: Sealed, key_id: str, after_id: int, batch: int) -> tuple[int, int]:
    """Re-encrypt one batch of a column; return (rows changed, last id seen or -1 when done)."""
    col = getattr(s.model, s.column)
    rows = db.session.execute(
        select(s.model.id, getattr(s.model, s.ref_attr), col)
        .where(s.model.id > after_id, _not_under(col, key_id, s.binary)).order_by(s.model.id).limit(batch)).all()
    if not rows:
        return 0, -1
    params = []
    for row_id, ref, old in rows:
        associated = aad(s.aad_table, s.aad_column, ref)
        if s.binary:
            new = seal_bytes(ring, unseal_bytes(ring, old, associated), associated)
        else:
            new = seal(ring, unseal(ring, old, associated), associated)
        params.append({"b_id": row_id, "b_old": old, "b_new": new})
    table = s.model.__table__
    # Only if the row still holds what was read: a concurrent writer already used the new key.
    stmt = (update(table).where(table.c.id == bindparam("b_id"), table.c[s.column] == bindparam("b_old"))
            .values({s.column: bindparam("b_new")}))
    db.session.execute(stmt, params)
    return len(rows), rows[-1][0]


def _reindex_batch(ring: KeyRing, what: tuple[str, int], key_id: str, after_id: int, batch: int) -> tuple[int, int]:
    field, which = what
    model, column, src = index_columns()[field][which]
    col = getattr(model, column)
    rows = db.session.execute(
        select(model.id, getattr(model, src.ref_attr), getattr(model, src.column), col)
        .where(model.id > after_id, _index_not_under(col, key_id), _has_source(model, src))
        .order_by(model.id).limit(batch)).all()
    if not rows:
        return 0, -1
    params = [{"b_id": row_id, "b_old": old_idx,
               "b_new": _index_value(ring, field, unseal(ring, sealed, aad(src.aad_table, src.aad_column, ref)))}
              for row_id, ref, sealed, old_idx in rows]
    table = model.__table__
    # Only if the row still holds what was read; a row being backfilled holds nothing yet.
    moved = [p for p in params if p["b_old"] is not None]
    filled = [{"b_id": p["b_id"], "b_new": p["b_new"]} for p in params if p["b_old"] is None]
    if moved:
        db.session.execute(update(table).where(table.c.id == bindparam("b_id"), table.c[column] == bindparam("b_old"))
                           .values({column: bindparam("b_new")}), moved)
    if filled:
        db.session.execute(update(table).where(table.c.id == bindparam("b_id"), table.c[column].is_(None))
                           .values({column: bindparam("b_new")}), filled)
    return len(rows), rows[-1][0]


def run_rotation(ring: KeyRing, ctx, *, batch: int = BATCH) -> None:
    """Move every value to the new key in committed batches; then retire the keys nothing uses."""
    purpose, key_id = ctx.args["purpose"], ctx.args["key_id"]
    if ring.current(purpose).id != key_id:
        # A newer rotation superseded this one: it moves everything to its own key.
        ctx.commit_batch(0, 0, {"done": True}, result={"superseded": True})
        return
    cursor = ctx.cursor or {"step": 0, "after": 0, "moved": 0}
    total = cursor.get("total")
    if total is None:
        total = values_left(ring, purpose, key_id)
        cursor = {**cursor, "total": total}
    if purpose == "field":
        steps = [("seal", s) for s in sealed_columns()]
    elif purpose.startswith("index-"):
        field = purpose.removeprefix("index-")
        steps = [("index", (field, i)) for i in range(len(index_columns()[field]))]
    else:
        steps = []
    for _pass in range(MAX_PASSES):
        while cursor["step"] < len(steps):
            kind, what = steps[cursor["step"]]
            if kind == "seal":
                moved, last = _reseal_batch(ring, what, key_id, cursor["after"], batch)
            else:
                moved, last = _reindex_batch(ring, what, key_id, cursor["after"], batch)
            if last == -1:
                cursor = {**cursor, "step": cursor["step"] + 1, "after": 0}
                continue
            cursor = {**cursor, "after": last, "moved": cursor["moved"] + moved}
            ctx.commit_batch(min(cursor["moved"], total), total, cursor,
                             result={"purpose": purpose, "moved": cursor["moved"]})
        left = values_left(ring, purpose, key_id)
        if left == 0:
            break
        # A process that had not yet seen the new key wrote under the old one: go round again.
        cursor = {**cursor, "step": 0, "after": 0}
    retired = []
    if left == 0:
        for key in ring.keys(purpose, fresh=True)[1:]:
            if key.state != "retired":
                ring.retire(purpose, key.id)
                retired.append(key.id)
    ctx.commit_batch(total, total, {**cursor, "done": True},
                     result={"purpose": purpose, "moved": cursor["moved"], "left": left, "retired": retired})
