"""Staff import: a stored (sealed) file, a queued task that validates every row
first, then stores the valid rows in batches — one log entry per row.

By default a file with any bad row stores nothing; with `keep_good` exactly the
valid rows are stored. Each batch commits its rows, their entries and the task's
progress together, so a killed jobs process resumes after the last committed
batch and nothing is stored twice or half. A company a serious listing binds
starts no import, and one that takes effect while an import runs stops it at
the next batch: the batches before stay, nothing after is stored (docs/rules.md,
"Market access").
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import insert, select, text

from .. import canonical, clock
from ..accounts.models import Account
from ..companies.access import require_member, require_verified
from ..companies.models import Company
from ..credit import keeping
from ..database import reading_first
from ..errors import ApiError, field_error, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, blind_index_candidates, seal_bytes, state_hmac, unseal_bytes
from ..log.actions import Action
from ..log.services import Change, append_entries, lock_head
from ..models import new_ref
from ..sanctions import access as market
from ..tasks import bulk, pacing
from ..tasks.models import Task
from ..tasks.services import enqueue
from ..workers import cardno, idnumber, rules
from ..workers.models import Employment, Worker, WorkerRecord
from ..workers.services import Engagement, seal_identity
from . import staff_file
from .models import ImportFile

TASK_KIND = "staff.import"
BATCH = 1000  # the most rows a batch may grow to (`pacing.Pacer`: batches are sized by time)
ANALYZE_EVERY_ROWS = 10_000
MAX_BYTES = staff_file.MAX_BYTES


@dataclass(slots=True)
class Prepared:
    """A valid row, normalised, ready to store."""

    row: int
    name: str
    number: str
    id_kind: str
    phone: str
    engagement: Engagement
    records: list[tuple[str, dict]] = field(default_factory=list)


def _row_error(row: int, key: str, en: str, zh: str, code: str) -> staff_file.RowError:
    zh_header, en_header = staff_file.header_of(key)
    return staff_file.RowError(row=row, column_zh=zh_header, column_en=en_header, key=key, en=en, zh=zh, code=code)


def prepare(data: staff_file.RowData, today: date) -> Prepared:
    """Ready a converted row for storing.

    `convert_row` already judged it with the rules of single registration and
    normalised the person; only the records' fields are normalised here.
    """
    records = [(kind, rules.check_record(kind, fields, today)) for kind, fields in data.records]
    return Prepared(data.row, data.name, data.id_number, idnumber.kind_of(data.id_number), data.phone,
                    data.engagement(), records)


# --- starting an import ---------------------------------------------------------

def start_import(ring: KeyRing, *, account: Account, company: Company, filename: str, content: bytes,
                 keep_good: bool):
    """Store the file sealed and queue its import; return the task (no log entry: the rows write theirs)."""
    require_member(account, company)
    require_verified(company)
    market.require_company_not_listed(company, clock.today())
    if not content:
        raise field_error("file", "The file is empty.", "文件为空。", code="empty_file")
    if len(content) > MAX_BYTES:
        raise field_error("file", f"The file is larger than {MAX_BYTES // 2**20} MiB.",
                          f"文件超过 {MAX_BYTES // 2**20} MiB。", code="too_large", status=413)
    f = ImportFile(ref=new_ref(), company_id=company.id, uploaded_by=account.ref,
                   filename=(filename or "staff.csv")[-200:], size=len(content),
                   sha256=hashlib.sha256(content).hexdigest(), keep_good=keep_good, content_enc=b"")
    f.content_enc = seal_bytes(ring, content, aad("import_files", "content", f.ref))
    db.session.add(f)
    db.session.flush()
    task = enqueue(TASK_KIND, {"file_id": f.id}, actor_ref=account.ref, owner_ref=company.log_ref)
    f.task_id = task.id
    return task


# --- reading imports --------------------------------------------------------------------

def recent_imports(company_id: int, limit: int, *, model=ImportFile) -> list[tuple]:
    """The company's newest imports, newest first, each with its task and the uploader's login.

    `model`: the uploaded file's table — staff files here, service files (`trace.import_models.ServiceFile`) alike.
    """
    rows = db.session.execute(
        select(model, Task, Account.login)
        .outerjoin(Task, Task.id == model.task_id)
        .outerjoin(Account, Account.ref == model.uploaded_by)
        .where(model.company_id == company_id)
        .order_by(model.id.desc()).limit(limit)).all()
    return [(f, task, login) for f, task, login in rows]


def _company_file(company_id: int, task_id: int, model):
    return db.session.execute(select(model).where(model.task_id == task_id,
                                                  model.company_id == company_id)).scalar_one_or_none()


def company_import(company_id: int, task_id: int, *, model=ImportFile) -> tuple:
    """The company's import run by this task, and the task; another company's import does not exist (404)."""
    f = _company_file(company_id, task_id, model)
    task = db.session.get(Task, task_id) if f is not None else None
    if f is None or task is None:
        raise not_found("import", "导入任务")
    return f, task


def import_report(company_id: int, task_id: int, *, model=ImportFile) -> bytes:
    """The per-row report of the company's import run by this task; 404 until it has one, or if not theirs."""
    f = _company_file(company_id, task_id, model)
    if f is None or f.report_csv is None:
        raise not_found("report", "报告")
    return f.report_csv


def file_content(ring: KeyRing, f: ImportFile) -> bytes:
    if f.deleted_dt is not None or not f.content_enc:
        # Deleted after RETENTION_STAFF_FILE_DAYS (registry/retention/services.py): a retry has nothing to read.
        raise ApiError(410, "file_deleted", "该文件已按保存期限删除，请重新上传。",
                       "The file was deleted at the end of its retention period: upload it again.")
    return unseal_bytes(ring, f.content_enc, aad("import_files", "content", f.ref))


# --- validating ---------------------------------------------------------------------

@dataclass
class Validation:
    total: int
    valid: list[Prepared]
    errors: list


def validate_file(ring: KeyRing, content: bytes, filename: str, *, company: Company, today: date) -> Validation:
    """Every error of the file, each row checked alone, in the file and against the registry."""
    table = staff_file.read_table(content, filename)
    if table.errors:
        return Validation(0, [], list(table.errors))
    total = len(table.rows)
    # convert_table consumes the raw cells (a large file's biggest part) as it converts them.
    converted, errors = staff_file.convert_table(table, today=today)
    # Built while the converted rows are released, so the two never all coexist.
    converted.reverse()
    valid = []
    while converted:
        valid.append(prepare(converted.pop(), today))
    conflicts = registry_conflicts(ring, valid, company, today=today)
    bad = {e.row for e in conflicts}
    valid = [p for p in valid if p.row not in bad]
    return Validation(total, valid, sorted([*errors, *conflicts], key=lambda e: (e.row, e.key)))


def _existing(ring: KeyRing, rows: list[Prepared]) -> dict[str, Worker]:
    """Registered workers among the rows, by the row's ID number (one query per chunk)."""
    by_index: dict[str, str] = {}
    for p in rows:
        for c in blind_index_candidates(ring, "id_number", p.number):
            by_index[c] = p.number
    found: dict[str, Worker] = {}
    keys = list(by_index)
    for i in range(0, len(keys), 900):
        for w in db.session.execute(select(Worker).where(Worker.id_number_idx.in_(keys[i:i + 900]))).scalars():
            found[by_index[w.id_number_idx]] = w
    return found


def registry_conflicts(ring: KeyRing, rows: list[Prepared], company: Company,
                       existing: dict[str, Worker] | None = None, *, today: date,
                       listings: dict[int, list] | None = None) -> list:
    """Rows naming a registered person under another name, one the company already employs, or one whose
    serious listing bars home-service work (`worker_listed`, as single registration refuses them)."""
    existing = _existing(ring, rows) if existing is None else existing
    if not existing:
        return []
    ids = [w.id for w in existing.values()]
    if listings is None:
        listings = market.listings_of_workers(ids, today)
    employed, awaiting = set(), set()
    for i in range(0, len(ids), 900):
        for wid, is_active in db.session.execute(
                select(Employment.worker_id, Employment.active).where(Employment.worker_id.in_(ids[i:i + 900]),
                                                                      Employment.company_id == company.id,
                                                                      Employment.end_date.is_(None))):
            (employed if is_active else awaiting).add(wid)
    errors = []
    for p in rows:
        w = existing.get(p.number)
        if w is None:
            continue
        if w.name_state != state_hmac(ring, "name", p.name):
            errors.append(_row_error(p.row, "name", "The name does not match the person registered with this ID "
                                     "number.", "姓名与该证件号码已登记的人员不一致。", "identity_mismatch"))
        elif any(market.bars(s) for s in listings.get(w.id, ())):
            refusal = market.worker_listed_error()
            errors.append(_row_error(p.row, "id_number", refusal.en, refusal.zh, refusal.code))
        elif w.id in employed:
            errors.append(_row_error(p.row, "id_number", "This person is already employed by the company.",
                                     "该人员已在本企业登记在职。", "already_employed"))
        elif w.id in awaiting:
            errors.append(_row_error(p.row, "id_number", "This person is already registered with the company and "
                                     "their confirmation is awaited.", "该人员已登记到本企业，正等待本人确认。",
                                     "confirmation_pending"))
    return errors


def _pending_notice(p: Prepared) -> staff_file.RowError:
    """The report's line for a row that attached an existing worker (a notice, not an error)."""
    en = "Already registered: a confirmation code was sent to their phone on record; awaiting their confirmation."
    zh = "已存在的从业人员：已向其登记手机发送确认码，待本人确认"
    if p.records:
        en += " The row's records were not stored: add them once the worker has confirmed."
        zh += "；本行的资质记录未保存，请待本人确认后再录入"
    return _row_error(p.row, "id_number", en, zh + "。", "confirmation_pending")


def _listing_notices(p: Prepared, listings: list) -> list[staff_file.RowError]:
    """The report's lines for a row stored with warnings: one per listing in effect of the person (a notice)."""
    return [_row_error(p.row, "id_number", w["message"]["en"], w["message"]["zh"], w["code"])
            for w in market.warnings(listings)]


def company_listed_line(stored: int) -> staff_file.FileError:
    """The report's line when a serious listing of the company came into effect while the import ran."""
    refusal = market.company_listed_error()
    return staff_file.FileError(
        refusal.code,
        f"{refusal.en} The import stopped: the {stored} rows stored before the listing took effect stay stored; "
        "no later row was stored.",
        f"{refusal.zh}导入已中止：名单生效前已保存的 {stored} 行保持不变，之后的行均未保存。")


# --- storing ---------------------------------------------------------------------

@dataclass
class Stored:
    seqs: list[int]
    # Rows refused at storing time: the registry changed since validation (another import, say).
    conflicts: list
    # Rows that attached an existing worker, pending their confirmation, and the warnings of a
    # person's listings in effect: said so in the report.
    pending: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def store_batch(ring: KeyRing, *, company: Company, actor: str, rows: list[Prepared],
                today: date | None = None) -> Stored:
    """Store a batch of valid rows — one operation and one log entry each. Never commits.

    Conflicts are checked again here, inside the storing transaction: an
    overlapping import or registration may have stored some of these people
    since the file was validated. A row naming an existing worker attaches a
    pending employment, as single registration does: the worker's phone gets a
    confirmation code, and the row's records wait until the worker confirms
    (an unconfirmed company writes nothing on someone else's record).
    """
    from ..workers import attach

    now = clock.now()
    today = today or clock.today()
    pending_until = today + timedelta(days=attach.confirm_days())
    # The log head's lock first: the workers this batch attaches to are then read
    # after every other writer's commit, so their digests leave nothing out. A
    # listing decision takes the same lock, so one approved before this batch is
    # seen here, and the batch stores nothing (403 `company_listed`).
    lock_head()
    market.require_company_not_listed(company, today)
    existing = _existing(ring, rows)
    listings = market.listings_of_workers((w.id for w in existing.values()), today) if existing else {}
    conflicts = registry_conflicts(ring, rows, company, existing, today=today,
                                   listings=listings) if existing else []
    if conflicts:
        refused = {e.row for e in conflicts}
        rows = [p for p in rows if p.row not in refused]
    new_rows = [p for p in rows if p.number not in existing]
    worker_rows = []
    for p in new_rows:
        ref = new_ref()
        worker_rows.append({
            "ref": ref, "log_ref": new_ref(), "salt": new_ref(), "actor_ref": new_ref(),
            "card_no": cardno.new_card_no(),
            "id_kind": p.id_kind, **seal_identity(ring, ref, name=p.name, id_number=p.number, phone=p.phone),
            "registered_by": company.log_ref, "created_dt": now,
        })
    worker_ids: dict[str, int] = {}
    if worker_rows:
        table = Worker.__table__
        # Core, batched; ids come back matched by ref (asking for them in order
        # would make SQLite insert one row per statement).
        result = db.session.execute(insert(table).returning(table.c.id, table.c.ref), worker_rows)
        id_of_ref = dict((ref, wid) for wid, ref in result.all())
        for p, w in zip(new_rows, worker_rows):
            worker_ids[p.number] = id_of_ref[w["ref"]]
    for p in rows:
        if p.number in existing:
            worker_ids[p.number] = existing[p.number].id

    # What attached workers already have, for their canonical states.
    prior = canonical.load_worker_rows(w.id for w in existing.values())

    employment_rows, attached_rows, record_rows, changes, notices, warning_lines = [], [], [], [], [], []
    new_by_number = {p.number: w for p, w in zip(new_rows, worker_rows)}
    for p in rows:
        wid = worker_ids[p.number]
        attaching = p.number in existing
        warned = listings.get(wid, []) if attaching else []
        e = {"worker_id": wid, "company_id": company.id, "occupation": p.engagement.occupation,
             "kind": p.engagement.kind, "start_date": p.engagement.start_date, "end_date": None,
             "social_insurance": p.engagement.social_insurance, "recorded_by": actor, "created_dt": now,
             "pending_until": pending_until if attaching else None, "confirmed_dt": None, "confirmed_by": None,
             "listing_warnings": market.warning_refs(warned)}
        (attached_rows if attaching else employment_rows).append(e)
        recs = [] if attaching else [
            {"worker_id": wid, "company_id": company.id, "kind": kind, "result": f.get("result"),
             "on_date": f["on_date"], "valid_until": f.get("valid_until"), "course": f.get("course"),
             "hours": f.get("hours"), "exam_passed": f.get("exam_passed"), "issuer": f.get("issuer"),
             "supersedes_id": None, "recorded_by": actor, "created_dt": now} for kind, f in p.records]
        record_rows.extend(recs)
        if attaching:
            notices.append(_pending_notice(p))
            warning_lines.extend(_listing_notices(p, warned))
            # As in single registration, the phone stays as first registered.
            worker = existing[p.number]
            rows_of = prior[worker.id]
            state = canonical.worker_state_from(
                worker, rows_of["employments"] + [(SimpleNamespace(**e), company.log_ref)],
                rows_of["records"] + [(SimpleNamespace(id=None, **r), company.log_ref) for r in recs],
                cards=rows_of["cards"], photo=rows_of["photo"])
            changes.append(Change(actor, Action.WORKER_EMPLOY_PENDING, worker.log_ref, canonical.digest(state)))
        else:
            w = new_by_number[p.number]
            state = canonical.worker_state_from(
                SimpleNamespace(**w), [(SimpleNamespace(**e), company.log_ref)],
                [(SimpleNamespace(id=None, **r), company.log_ref) for r in recs])
            changes.append(Change(actor, Action.WORKER_REGISTER, w["log_ref"], canonical.digest(state)))
    if employment_rows:
        db.session.execute(insert(Employment.__table__), employment_rows)
    if attached_rows:
        # Few, and each needs its id for the code it sends: one returning insert, matched by worker.
        table = Employment.__table__
        result = db.session.execute(insert(table).returning(table.c.id, table.c.worker_id), attached_rows)
        by_worker = {w.id: w for w in existing.values()}
        for eid, wid in result.all():
            attach.send_code(ring, worker=by_worker[wid], employment=SimpleNamespace(id=eid,
                                                                                     pending_until=pending_until),
                             company=company, actor_ref=actor, accessor_kind="company", organisation=company.name,
                             now=now)
    if record_rows:
        db.session.execute(insert(WorkerRecord.__table__), record_rows)
    # The entries name the aggregates this batch changed: the credit scores they feed follow in the batch's
    # commit (credit/keeping.py), as after any record_change. The company's staff changed only by its new workers
    # (an attachment waits for the worker): its share counts them onto its kept tally.
    keeping.staff_joined(company.id, joined=(worker_ids[p.number] for p in new_rows),
                         unmoved=(w.id for w in existing.values()))
    return Stored(append_entries(ring, changes), conflicts, notices, warning_lines)


def refresh_statistics() -> None:
    """Let PostgreSQL's planner see how big the worker tables have grown.

    A bulk load outruns autovacuum: with statistics from an empty table the
    planner scans the whole table for each batch's look-up by blind index,
    and a batch's cost grows with the table.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE workers"))


# --- the task -----------------------------------------------------------------------

def _result(f: ImportFile, *, phase: str, rows: int, errors: int, stored: int, pending: int = 0, warnings: int = 0,
            refused: ApiError | None = None) -> dict:
    # `pending`: stored rows that attached an existing worker and await their confirmation (in the report);
    # `warnings` (only when some): stored rows whose person has listings in effect (in the report);
    # `refused` (only when it happened): why the import stopped storing (a serious listing of the company).
    out = {"phase": phase, "rows": rows, "errors": errors, "stored": stored, "pending": pending,
           "keep_good": f.keep_good, "report": f.report_csv is not None}
    if warnings:
        out["warnings"] = warnings
    if refused is not None:
        out["refused"] = {"code": refused.code, "message": {"zh": refused.zh, "en": refused.en}}
    return out


def _append_report(f: ImportFile, lines: list) -> None:
    """Append lines to the file's report (without a second header line), creating it if need be."""
    late = staff_file.report_csv(lines)
    head = late.index(b"\r\n") + 2
    f.report_csv = (f.report_csv or late[:head]) + late[head:]


def run_import(ring: KeyRing, ctx, *, today: date, batch: int = BATCH,
               lock_seconds: float = pacing.DEFAULT_TARGET_SECONDS, share: float = pacing.DEFAULT_SHARE,
               quiet_seconds: float = pacing.QUIET_TARGET_SECONDS) -> None:
    """Validate every row (once), then store the valid ones batch by batch, resumably.

    A batch holds the log head's lock from its first look-up to its commit, so its size follows the time it takes
    (`pacing.Pacer`: about `lock_seconds` a batch, at most `batch` rows and at least its floor of 20): a
    registration or any other change that arrives meanwhile waits for about one small batch, not for a thousand
    rows. Reading and validating the file hold no lock at all (`reading_first`: on SQLite no write lock)."""
    cursor = ctx.cursor or {"phase": "validate"}
    if cursor.get("refused"):
        return  # stopped by a listing right after committing its end: nothing more to do
    # A resumed import judges rows as of the day it validated them.
    today = date.fromisoformat(cursor["today"]) if "today" in cursor else today
    v = prepared = None
    with reading_first():
        f = db.session.get(ImportFile, ctx.args["file_id"])
        company = db.session.get(Company, f.company_id)
        actor = f.uploaded_by
        content = file_content(ring, f)
        db.session.expire(f, ["content_enc"])  # the sealed copy is no longer needed in memory
        if cursor["phase"] == "validate":
            v = validate_file(ring, content, f.filename, company=company, today=today)
        else:
            # Resumed after a restart: convert the stored file's rows again (deterministic, no registry look-ups).
            table = staff_file.read_table(content, f.filename)
            rows = dict(table.rows)
            prepared = {}
            for row_no in f.valid_rows[cursor["next"]:]:
                data, _errors = staff_file.convert_row(row_no, rows[row_no], today=today)
                prepared[row_no] = prepare(data, today)
        content = None  # storing needs the validated rows only
    if v is not None:
        f.report_csv = staff_file.report_csv(v.errors) if v.errors else None
        stop = bool(v.errors) and not f.keep_good
        f.valid_rows = [] if stop else [p.row for p in v.valid]
        if stop or not f.valid_rows:
            ctx.commit_batch(v.total, v.total, {"phase": "done"},
                             result=_result(f, phase="done", rows=v.total, errors=len(v.errors), stored=0))
            return
        cursor = {"phase": "store", "next": 0, "rows": v.total, "errors": len(v.errors), "today": today.isoformat()}
        ctx.commit_batch(0, len(f.valid_rows), cursor,
                         result=_result(f, phase="store", rows=v.total, errors=len(v.errors), stored=0))
        prepared = {p.row: p for p in v.valid}
    wanted = f.valid_rows
    pacer = pacing.Pacer(target=lock_seconds, most=batch, share=share, quiet_target=quiet_seconds)
    start, analyzed = cursor["next"], None
    while start < len(wanted):
        if analyzed is None or start - analyzed >= ANALYZE_EVERY_ROWS:
            refresh_statistics()
            analyzed = start
        rows = [prepared[r] for r in wanted[start:start + pacer.size]]
        with bulk.paced_batch(db.engine, pacer) as paced:
            paced.rows = len(rows)
            try:
                stored = store_batch(ring, company=company, actor=actor, rows=rows)
            except ApiError as refusal:
                if refusal.code != "company_listed":
                    raise
                # A serious listing of the company took effect while the import ran: this batch and every later
                # one store nothing; the batches committed before it stay. The task ends, its report says why.
                db.session.rollback()
                _append_report(f, [company_listed_line(cursor.get("stored", 0))])
                cursor = {**cursor, "phase": "done", "refused": refusal.code}
                ctx.commit_batch(start, len(wanted), cursor, result=_result(
                    f, phase="done", rows=cursor["rows"], errors=cursor["errors"], stored=cursor.get("stored", 0),
                    pending=cursor.get("pending", 0), warnings=cursor.get("warnings", 0), refused=refusal))
                paced.last = True
                return
            if stored.conflicts or stored.pending or stored.warnings:
                # Appended to the report, committed with the batch.
                _append_report(f, [*stored.conflicts, *stored.pending, *stored.warnings])
            done = start + len(rows)
            phase = "done" if done == len(wanted) else "store"
            cursor = {**cursor, "phase": phase, "next": done, "errors": cursor["errors"] + len(stored.conflicts),
                      "stored": cursor.get("stored", 0) + len(stored.seqs),
                      "pending": cursor.get("pending", 0) + len(stored.pending),
                      "warnings": cursor.get("warnings", 0) + len({e.row for e in stored.warnings})}
            ctx.commit_batch(done, len(wanted), cursor, result=_result(
                f, phase=phase, rows=cursor["rows"], errors=cursor["errors"], stored=cursor["stored"],
                pending=cursor["pending"], warnings=cursor["warnings"]))
            start = done
            paced.last = done == len(wanted)
