"""Service records by file: a sealed upload, a queued task that checks every row first, then stores the good
ones in batches — one `service:record` entry, one review code and one message to the customer per row.

By default a file with any bad row stores nothing; with `keep_good` exactly the
good rows are stored (docs/rules.md, "Traceability"). Each batch commits its
services, codes, messages, entries and the task's progress together, so a
killed jobs process resumes after the last committed batch and nothing is
stored twice or half. The uploaded file holds customers' phones, which the
registry never keeps: it is sealed while the task waits and runs, and its
content is deleted in the commit that ends the task, done or failed
(`forget_file`, docs/privacy.md). The report names rows, columns and rules,
never a cell's value.

Each row is judged as single recording judges one service (`record_service`):
the same `rules.check_service`, and the worker's checks — a known card, the
company's current employee, a card that is not red, or else an override reason
the record keeps. Workers are judged once per run of the task, as of the
moment its validation began (a resumed run judges the rows it has left again).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectinload

from .. import canonical, clock
from ..accounts.models import Account
from ..companies.access import require_member, require_verified
from ..companies.models import Company
from ..database import reading_first
from ..errors import field_error
from ..extensions import db
from ..imports import services as staff_imports
from ..imports import staff_file
from ..keys import KeyRing
from ..keys.crypto import aad, seal_bytes, unseal_bytes
from ..log.actions import Action
from ..log.services import Change, append_entries
from ..models import new_ref
from ..notify import services as notify
from ..sanctions import access as market
from ..selfservice import codes
from ..selfservice.services import code_key
from ..tasks import bulk, pacing
from ..tasks.models import Task
from ..tasks.services import enqueue
from ..workers.models import Worker
from ..workers.services import active_employment, status_of
from . import household, rules, service_file
from .import_models import ServiceFile
from .models import REFERENCE_CHARS, ReviewCode, ServiceRecord
from .services import household_key, reference_of, review_code_days, review_message

TASK_KIND = "services.import"
MAX_BYTES = staff_file.MAX_BYTES
CHUNK = 900  # card numbers per look-up (SQLite's bound parameters)

FILE_GONE = staff_file.FileError(
    "file_deleted", "The file was deleted when this import ended; upload it again to import it.",
    "该文件已在本次导入结束时删除；如需导入，请重新上传。")


# --- starting an import ---------------------------------------------------------

def start_import(ring: KeyRing, *, account: Account, company: Company, filename: str, content: bytes,
                 keep_good: bool) -> Task:
    """Store the file sealed and queue its import; return the task (no log entry: the rows write theirs)."""
    require_member(account, company)
    require_verified(company)
    if not content:
        raise field_error("file", "The file is empty.", "文件为空。", code="empty_file")
    if len(content) > MAX_BYTES:
        raise field_error("file", f"The file is larger than {MAX_BYTES // 2**20} MiB.",
                          f"文件超过 {MAX_BYTES // 2**20} MiB。", code="too_large", status=413)
    f = ServiceFile(ref=new_ref(), company_id=company.id, uploaded_by=account.ref,
                    filename=(filename or "services.csv")[-200:], size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(), keep_good=keep_good)
    f.content_enc = seal_bytes(ring, content, aad("service_files", "content", f.ref))
    db.session.add(f)
    db.session.flush()
    task = enqueue(TASK_KIND, {"file_id": f.id}, actor_ref=account.ref, owner_ref=company.log_ref)
    f.task_id = task.id
    return task


def forget_file(task_id: int, _state: str) -> None:
    """Delete the content of the task's file (its size, digest and report stay). Run in the commit that ends the
    task, whether done or failed (`tasks.services.on_task_end`)."""
    db.session.execute(update(ServiceFile).where(ServiceFile.task_id == task_id)
                       .values(content_enc=None, deleted_dt=clock.now())
                       .execution_options(synchronize_session=False))


# --- reading imports --------------------------------------------------------------------

def recent_imports(company_id: int, limit: int) -> list[tuple[ServiceFile, Task | None, str | None]]:
    """The company's newest service imports, newest first, each with its task and the uploader's login."""
    return staff_imports.recent_imports(company_id, limit, model=ServiceFile)


def company_import(company_id: int, task_id: int) -> tuple[ServiceFile, Task]:
    """The company's service import run by this task, and the task; another company's does not exist (404)."""
    return staff_imports.company_import(company_id, task_id, model=ServiceFile)


def import_report(company_id: int, task_id: int) -> bytes:
    """The per-row report of the company's service import run by this task; 404 until it has one, or if not theirs."""
    return staff_imports.import_report(company_id, task_id, model=ServiceFile)


def file_content(ring: KeyRing, f: ServiceFile) -> bytes | None:
    """The file's content, or None once its task ended."""
    if f.content_enc is None:
        return None
    return unseal_bytes(ring, f.content_enc, aad("service_files", "content", f.ref))


# --- judging ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WorkerFacts:
    """What recording a service of this worker needs: its ids, and the rules a record would override."""

    id: int
    log_ref: str
    needed: tuple[str, ...]


def judge_workers(card_nos, company: Company, now: datetime) -> dict[str, WorkerFacts]:
    """The workers holding these card numbers, each judged as single recording judges one (a few queries per
    chunk of card numbers, whatever the rows)."""
    today = now.astimezone(service_file.SHANGHAI).date()
    numbers = sorted(set(card_nos))
    out: dict[str, WorkerFacts] = {}
    for i in range(0, len(numbers), CHUNK):
        workers = db.session.execute(
            select(Worker).where(Worker.card_no.in_(numbers[i:i + CHUNK]))
            .options(selectinload(Worker.records), selectinload(Worker.employments))).scalars().all()
        listed = market.serious_listed_workers([w.id for w in workers], today)
        for w in workers:
            needed = rules.overrides_needed(colour=status_of(w, today, listed=w.id in listed).colour,
                                            employed_here=active_employment(w, company) is not None)
            out[w.card_no] = WorkerFacts(w.id, w.log_ref, tuple(needed))
    return out


def worker_checks(rows: list[service_file.ServiceRow], facts: dict[str, WorkerFacts]
                  ) -> tuple[list[service_file.ServiceRow], list[staff_file.RowError]]:
    """The rows whose worker may be recorded (the card is known; any rule it overrides has a reason), and the
    errors of the others."""
    good, errors = [], []
    for r in rows:
        w = facts.get(r.card_no)
        if w is None:
            errors.append(service_file.row_error(r.row, "card_no", "not_found", "No worker holds this card number.",
                                                 "找不到持有该服务证号的从业人员。"))
            continue
        problem = rules.override_problem(list(w.needed), r.service.override_reason)
        if problem is not None:
            errors.append(service_file.row_error(r.row, problem.field, problem.code, problem.en, problem.zh))
            continue
        good.append(r)
    return good, errors


@dataclass
class Validation:
    total: int
    valid: list[service_file.ServiceRow]
    errors: list
    facts: dict[str, WorkerFacts]


def validate_file(content: bytes, filename: str, *, company: Company, now: datetime) -> Validation:
    """Every error of the file, each row checked alone, in the file and against the registry."""
    table = staff_file.read_table(content, filename, service_file.LAYOUT)
    if table.errors:
        return Validation(0, [], list(table.errors), {})
    total = len(table.rows)
    converted, errors = service_file.convert_table(table.rows, now=now)
    facts = judge_workers((r.card_no for r in converted), company, now)
    valid, refused = worker_checks(converted, facts)
    return Validation(total, valid, sorted([*errors, *refused], key=service_file.error_order), facts)


# --- storing ---------------------------------------------------------------------

def store_batch(ring: KeyRing, *, company: Company, actor: str, rows: list[service_file.ServiceRow],
                facts: dict[str, WorkerFacts]) -> list[int]:
    """Store a batch of judged rows: per row a service, its review code, the customer's message and one
    `service:record` entry, each kind in one Core statement. Never commits; returns the entries' seqs."""
    now = clock.now()
    hkey = household_key(ring)
    ckey = code_key(ring)
    days = review_code_days()
    expires = now + timedelta(days=days)
    service_rows, code_rows, messages, changes = [], [], [], []
    for r in rows:
        s = r.service
        w = facts[r.card_no]
        ref = new_ref()
        global_ref = household.household_ref(hkey, s.e164)
        row = {"ref": ref, "reference": new_ref()[:REFERENCE_CHARS], "log_ref": new_ref(), "salt": new_ref(),
               "worker_id": w.id, "company_id": company.id, "service_type": s.service_type, "district": s.district,
               "start_dt": s.start, "end_dt": s.end, "household_ref": global_ref,
               "company_household": household.company_household(hkey, company.log_ref, global_ref),
               "overrides": list(w.needed) or None, "override_reason": s.override_reason if w.needed else None,
               "recorded_by": actor, "created_dt": now}
        service_rows.append(row)
        code = codes.generate()
        code_rows.append({"code_hash": codes.code_hash(ckey, "review", ref, code), "expires_dt": expires,
                          "failures": 0, "burnt_dt": None, "used_dt": None, "created_dt": now})
        messages.append(review_message(e164=s.e164, company_name=company.name, reference=reference_of(row["reference"]),
                                       code=code, days=days))
        state = canonical.service_state_from(ring, SimpleNamespace(**row), worker=w.log_ref, company=company.log_ref)
        changes.append(Change(actor, Action.SERVICE_RECORD, row["log_ref"], canonical.digest(state)))
    table = ServiceRecord.__table__
    # Ids come back matched by ref (asking for them in order would make SQLite insert one row per statement).
    id_of = {ref: sid for sid, ref in db.session.execute(insert(table).returning(table.c.id, table.c.ref),
                                                         service_rows).all()}
    for row, code_row in zip(service_rows, code_rows):
        code_row["service_id"] = id_of[row["ref"]]
    db.session.execute(insert(ReviewCode.__table__), code_rows)
    notify.send_many(ring, messages)
    # The entries name the aggregates this batch changed: the credit scores they feed follow in the batch's
    # commit (credit/keeping.py), as after any record_change.
    return append_entries(ring, changes)


# --- the task -----------------------------------------------------------------------

def _result(f: ServiceFile, *, phase: str, rows: int, errors: int, stored: int) -> dict:
    return {"phase": phase, "rows": rows, "errors": errors, "stored": stored, "keep_good": f.keep_good,
            "report": f.report_csv is not None}


def _append_report(f: ServiceFile, lines: list) -> None:
    """Append lines to the file's report (without a second header line), creating it if need be."""
    late = service_file.report_csv(lines)
    head = late.index(b"\r\n") + 2
    f.report_csv = (f.report_csv or late[:head]) + late[head:]


def run_import(ring: KeyRing, ctx, *, now: datetime, batch: int,
               lock_seconds: float = pacing.DEFAULT_TARGET_SECONDS, share: float = pacing.DEFAULT_SHARE,
               quiet_seconds: float = pacing.QUIET_TARGET_SECONDS) -> None:
    """Validate every row (once), then store the good ones batch by batch, resumably; each batch sized to take about
    `lock_seconds` (`pacing.Pacer`, at most `batch` rows, at least 20), since its entries hold the log head's lock
    to its commit and every other change waits meanwhile. Reading and validating the file hold no lock
    (`reading_first`: on SQLite no write lock)."""
    cursor = ctx.cursor or {"phase": "validate"}
    if cursor["phase"] == "done":
        return
    # A resumed import judges the rows' own cells as of the moment it validated them.
    now = datetime.fromisoformat(cursor["now"]) if "now" in cursor else now
    v = converted = None
    with reading_first():
        f = db.session.get(ServiceFile, ctx.args["file_id"])
        company = db.session.get(Company, f.company_id)
        actor = f.uploaded_by
        content = file_content(ring, f)
        db.session.expire(f, ["content_enc"])  # the sealed copy is no longer needed in memory
        if content is not None and cursor["phase"] == "validate":
            v = validate_file(content, f.filename, company=company, now=now)
        elif content is not None:
            # Resumed after a restart: judge the rows left again (their cells as of validation, their workers now).
            table = staff_file.read_table(content, f.filename, service_file.LAYOUT)
            left = set(f.valid_rows[cursor["next"]:])
            rows = [(n, raw) for n, raw in table.rows if n in left]
            del table
            converted, _errors = service_file.convert_table(rows, now=now)
            facts = judge_workers((r.card_no for r in converted), company, clock.now())
    if content is None:
        # A failed import retried by an operator: its file went when it failed.
        _append_report(f, [FILE_GONE])
        ctx.commit_batch(0, 0, {"phase": "done"}, result=_result(f, phase="done", rows=0, errors=1, stored=0))
        return
    content = None
    if v is not None:
        f.report_csv = service_file.report_csv(v.errors) if v.errors else None
        stop = bool(v.errors) and not f.keep_good
        f.valid_rows = [] if stop else [r.row for r in v.valid]
        if stop or not f.valid_rows:
            ctx.commit_batch(v.total, v.total, {"phase": "done"},
                             result=_result(f, phase="done", rows=v.total, errors=len(v.errors), stored=0))
            return
        cursor = {"phase": "store", "next": 0, "rows": v.total, "errors": len(v.errors), "stored": 0,
                  "now": now.astimezone(UTC).isoformat()}
        ctx.commit_batch(0, len(f.valid_rows), cursor,
                         result=_result(f, phase="store", rows=v.total, errors=len(v.errors), stored=0))
        prepared = {r.row: r for r in v.valid}
        facts = v.facts
        del v
    else:
        good, refused = worker_checks(converted, facts)
        if refused:
            # The registry changed while the import was stopped (a card turned red, an employment ended).
            _append_report(f, refused)
            cursor = {**cursor, "errors": cursor["errors"] + len(refused)}
        prepared = {r.row: r for r in good}
    wanted = f.valid_rows
    pacer = pacing.Pacer(target=lock_seconds, most=batch, share=share, quiet_target=quiet_seconds)
    start = cursor["next"]
    while start < len(wanted):
        with bulk.paced_batch(db.engine, pacer) as paced:
            rows = [prepared[n] for n in wanted[start:start + pacer.size] if n in prepared]
            seqs = store_batch(ring, company=company, actor=actor, rows=rows, facts=facts) if rows else []
            done = min(start + pacer.size, len(wanted))
            phase = "done" if done == len(wanted) else "store"
            cursor = {**cursor, "phase": phase, "next": done, "stored": cursor["stored"] + len(seqs)}
            ctx.commit_batch(done, len(wanted), cursor, result=_result(
                f, phase=phase, rows=cursor["rows"], errors=cursor["errors"], stored=cursor["stored"]))
            paced.rows, paced.last = done - start, done == len(wanted)
            start = done
