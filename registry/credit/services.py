"""Keeping the credit scores (`credit_scores`): compute a subject's score from its facts and store it.

- `refresh` / `refresh_many`: compute and store the scores of the given subjects now, in the caller's transaction
  (never a commit). Every change that feeds a score calls this through `keeping.py` just before its commit.
- `refresh_due`: the hourly job's call — every kept score whose `stands_until` has passed (a component's window
  ended, or a dated fact began), computed again.
- `rebuild`: every company's and worker's score computed again, in committed batches (`flask credit rebuild`, and
  the recompute task an adoption queues): what fills the cache the first time, and what a rebuild after any doubt
  returns to. It equals the scores kept change by change (tests/credit/test_keeping.py).

The rules: the version in force (`adoption.adopted_rules`: the latest adoption's, else the one in code), read once
per call of `refresh_many` (so once per batch), unless the caller passes its own.

The scores are derived and unlogged (docs/rules.md, "Credit scores"): nothing here writes a log entry. What
computes scores outside a change's own transaction (`refresh_due`, `rebuild`) first takes the log head's lock, which
every change holds from its entry to its commit: a change then either committed before the scores are read, or
waits and computes its own after them — a score computed from older records never overwrites a newer one.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import multiprocessing.util
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..companies.models import Company
from ..database import write_intent
from ..extensions import db
from ..log.services import lock_head
from ..workers.models import Worker
from . import adoption, inputs, scoring
from . import rules as credit_rules
from .score_models import SUBJECT_KINDS, CreditScore

_json_string = json.encoder.encode_basestring_ascii

# Subjects read and stored per statement: a few statements per batch, whatever its size.
BATCH = 500
# A rebuild's batch: subjects computed and committed at once, under the log head's lock (about a fifth of a
# second a batch; a change waits at most that). Larger batches pay each statement's fixed cost fewer times.
REBUILD_BATCH = 2000
# The order subjects are computed in: a company's staff share reads its staff's kept verdicts.
ORDER = ("worker", "company")


def components_text(score: scoring.Score) -> str:
    """A score's components as the row keeps them, as JSON text: in the scoring's order, each its kind, ref and
    points, and only when they say something its count (above 1), the last day it counts (ISO text) and its rules
    variant. The group and the words are the rules version's, found again on reading (`explained`): a row stays
    small, and a rebuild writes tens of thousands of them — so the text is written here directly, a line at a
    time, without building the objects first (`components_json` reads it back)."""
    lines = []
    for c in score.components:
        if type(c) is scoring.Rendered:
            # Lines the database wrote in this same form (`inputs._review_lines`).
            lines.append(c.text)
            continue
        kind, ref, _group, points, _zh, _en, until, count, variant = c
        # A kind and a variant are names from the rules (letters, digits and "_"); a ref is encoded.
        line = f'{{"kind":"{kind}","ref":{_json_string(ref)},"points":{points}'
        if count != 1:
            line += f',"count":{count}'
        if until is not None:
            line += f',"until":"{until.isoformat()}"'
        if variant:
            line += f',"variant":"{variant}"'
        lines.append(line + "}")
    return "[" + ",".join(lines) + "]"


def components_json(score: scoring.Score) -> list[dict]:
    """A score's components as a kept row holds them once read (`components_text`, parsed)."""
    return json.loads(components_text(score))


def explained(subject_kind: str, rules_version: str, components: list[dict]) -> list[dict]:
    """A kept row's components in words: each with its kind, ref, group, points, count, the rules version's words
    (`zh`, `en`) and the last day it counts (`counts_until`, ISO text or None)."""
    book = credit_rules.load(rules_version, adoption.rules_dir()).of(subject_kind)
    groups = {g.name: g for g in book.groups}
    out = []
    for line in components:
        kind, ref = line["kind"], line["ref"]
        if "zh" in line:
            # A row kept before rows were made small (migration 0033) holds its words and group itself; it stands
            # until its own `stands_until` or the next change or rebuild writes it anew.
            out.append({"kind": kind, "ref": ref, "group": line["group"], "points": line["points"],
                        "count": line.get("count", 1), "zh": line["zh"], "en": line["en"],
                        "counts_until": line.get("counts_until")})
            continue
        if kind == scoring.CAP:
            limited = book.items.get(ref) or groups[ref]
            group = book.items[ref].group if ref in book.items else ref
            words = limited.cap_words
        else:
            group = book.items[kind].group
            words = book.items[kind].variants[line.get("variant", "")].words
        out.append({"kind": kind, "ref": ref, "group": group, "points": line["points"],
                    "count": line.get("count", 1), "zh": words.zh, "en": words.en,
                    "counts_until": line.get("until")})
    return out


def compute(subject_kind: str, subject_ids: Iterable[int], *, today: date,
            rules: credit_rules.Rules | None = None) -> dict[int, scoring.Score]:
    """The scores of some subjects of one kind on `today`, by id, from their facts (nothing stored)."""
    return {sid: score for sid, (score, _verdict) in _computed(subject_kind, subject_ids, today, rules).items()}


def _computed(subject_kind: str, subject_ids: Iterable[int], today: date, rules: credit_rules.Rules | None,
              carried: Mapping[int, Collection[int]] | None = None
              ) -> dict[int, tuple[scoring.Score, inputs.Verdict | None]]:
    """Each subject's score on `today`, with a worker's qualification verdict (None for a company). `carried`:
    companies whose staff share is their kept tally plus these new staff (`inputs._staff_shares`)."""
    if subject_kind not in SUBJECT_KINDS:
        raise ValueError(f"a credit score is for a company or a worker, not {subject_kind!r}")
    rules = rules or adoption.adopted_rules()
    if subject_kind == "company":
        facts, verdicts = inputs.companies_facts(subject_ids, today, rules, carried=carried), {}
    else:
        facts, verdicts = inputs.workers_inputs(subject_ids, today, rules)
    return {sid: (scoring.score(subject_kind, f, rules, today), verdicts.get(sid)) for sid, f in facts.items()}


def refresh(subject_kind: str, subject_id: int, *, today: date,
            rules: credit_rules.Rules | None = None) -> scoring.Score:
    """Compute one subject's score on `today` and store it (insert or replace its row). Never commits."""
    return refresh_many([(subject_kind, subject_id)], today=today, rules=rules)[(subject_kind, subject_id)]


def refresh_many(subjects: Iterable[tuple[str, int]], *, today: date, rules: credit_rules.Rules | None = None,
                 batch: int = BATCH, carried: Mapping[int, Collection[int]] | None = None
                 ) -> dict[tuple[str, int], scoring.Score]:
    """Compute and store the scores of `subjects` ((kind, id) pairs), `batch` at a time. Never commits.

    A subject that no longer exists (an id of no row) is computed from no facts like any other: callers pass
    ids they read from the database. `carried` (company id -> workers): companies whose staff changed in the
    caller's transaction only by these workers joining, new (`keeping.staff_joined`).
    """
    by_kind: dict[str, list[int]] = {k: [] for k in SUBJECT_KINDS}
    for kind, sid in subjects:
        if kind not in SUBJECT_KINDS:
            raise ValueError(f"a credit score is for a company or a worker, not {kind!r}")
        by_kind[kind].append(sid)
    done: dict[tuple[str, int], scoring.Score] = {}
    now = clock.now()
    if rules is None and any(by_kind.values()):
        rules = adoption.adopted_rules()
    # Workers first: a company's staff share reads the verdicts kept with its staff's scores.
    for kind in ORDER:
        ids = sorted(set(by_kind[kind]))
        for start in range(0, len(ids), batch):
            with _collector_paused():
                computed = _computed(kind, ids[start:start + batch], today, rules, carried)
                _store(kind, computed, now)
            done.update({(kind, sid): score for sid, (score, _verdict) in computed.items()})
    return done


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for one batch, and back on after it as it was.

    A batch makes hundreds of thousands of small tuples (facts, components, rows), none in a cycle, and each few
    hundred of them would start a collection that walks every object the process holds: a third of a rebuild's
    time. Whatever the batch leaves in a cycle is collected once the collector runs again. Only the call that
    turned it off turns it back on, so two batches in two threads cannot leave it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def rows_of(subject_kind: str, subject_ids: Iterable[int], *, today: date,
            rules: credit_rules.Rules | None = None) -> dict[int, dict]:
    """The `credit_scores` rows of some subjects as computed on `today` (every column but `computed_dt`), by id,
    nothing stored: what a kept row must equal."""
    return {sid: _row(subject_kind, sid, score, verdict)
            for sid, (score, verdict) in _computed(subject_kind, subject_ids, today, rules).items()}


def _row(kind: str, sid: int, s: scoring.Score, v: inputs.Verdict | None) -> dict:
    """A subject's row (every column but `computed_dt`), its components as read back."""
    return _columns(kind, sid, s, v) | {"components": components_json(s)}


def _columns(kind: str, sid: int, s: scoring.Score, v: inputs.Verdict | None) -> dict:
    """A row's columns but its components: a worker's stands no later than the last day of their verdict."""
    stands = s.stands_until
    if v is not None and v.until is not None and (stands is None or v.until < stands):
        stands = v.until
    return {"subject_kind": kind, "subject_id": sid, "points": s.points, "grade": s.grade,
            "rules_version": s.rules_version, "stands_until": stands,
            "qualified": v.qualified if v else None, "qualified_until": v.until if v else None}


# The columns `_store` writes, in its order; all but the key are replaced when a row is there already.
_COLUMNS = ("subject_kind", "subject_id", "points", "grade", "rules_version", "components", "stands_until",
            "computed_dt", "qualified", "qualified_until")
_ON_CONFLICT = ("ON CONFLICT (subject_kind, subject_id) DO UPDATE SET "
                + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[2:]))


def _store(kind: str, computed: dict[int, tuple[scoring.Score, inputs.Verdict | None]], now) -> None:
    """Insert or replace the rows of `computed`: one upsert (ON CONFLICT, on SQLite and PostgreSQL) run by the
    driver for every row at once.

    A rebuild writes a hundred thousand rows, so they go to the driver as plain tuples in the statement's own
    text, with no per-row work of the ORM's: the values are bound as the column types bind them (on SQLite a day
    is ISO text), and the components as the JSON text `components_text` wrote."""
    if not computed:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    sql, day, moment = _upsert(dialect)
    at = moment(now) if moment else now
    rows = []
    for sid, (s, v) in computed.items():
        c = _columns(kind, sid, s, v)
        stands, until = c["stands_until"], c["qualified_until"]
        if day is not None:
            stands = None if stands is None else day(stands)
            until = None if until is None else day(until)
        rows.append((kind, sid, c["points"], c["grade"], c["rules_version"], components_text(s), stands, at,
                     c["qualified"], until))
    if dialect.name == "postgresql" and len(rows) >= COPY_MIN:
        _copy_in(connection, rows)
    else:
        connection.exec_driver_sql(sql, rows)


# From this many rows a store goes through COPY on PostgreSQL (`_copy_in`): a rebuild's batches, not a change's few.
COPY_MIN = 200
_STAGE = "credit_scores_in"


def _copy_in(connection, rows: list[tuple]) -> None:
    """Upsert many rows on PostgreSQL: COPY them into a temporary table of the same columns (the session's own,
    emptied at every commit and after each use), then one INSERT … SELECT … ON CONFLICT from it. The driver's
    executemany sends and answers a statement a row; COPY streams them (a rebuild's store a fifth faster)."""
    table = CreditScore.__table__.name
    names = ", ".join(_COLUMNS)
    with connection.connection.driver_connection.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (LIKE {table}) ON COMMIT DELETE ROWS")
        with cur.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {_STAGE} {_ON_CONFLICT}")  # noqa: S608
        cur.execute(f"TRUNCATE {_STAGE}")


_UPSERTS: dict[str, tuple] = {}


def _upsert(dialect) -> tuple[str, Callable | None, Callable | None]:
    """The upsert `_store` runs on this dialect, in the driver's parameter style, with the bind processors of a
    day and of `computed_dt` (None where the driver takes the value as it is)."""
    made = _UPSERTS.get(dialect.name)
    if made is None:
        table = CreditScore.__table__
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        values = [mark] * len(_COLUMNS)
        if dialect.name == "postgresql":
            values[_COLUMNS.index("components")] = f"{mark}::json"
        # Only the table's and this module's own names go into the text; every value is a parameter.
        sql = f"INSERT INTO {table.name} ({', '.join(_COLUMNS)}) VALUES ({', '.join(values)}) {_ON_CONFLICT}"  # noqa: S608
        made = _UPSERTS[dialect.name] = (sql, table.c.stands_until.type.bind_processor(dialect),
                                          table.c.computed_dt.type.bind_processor(dialect))
    return made


def refresh_due(today: date, *, rules: credit_rules.Rules | None = None) -> int:
    """Compute again every kept score whose facts stopped giving it (`stands_until` before `today`); how many.
    Never commits: the hourly job's runner commits once."""
    lock_head()
    due = db.session.execute(
        select(CreditScore.subject_kind, CreditScore.subject_id)
        .where(CreditScore.stands_until < today)
        .order_by(CreditScore.subject_kind, CreditScore.subject_id)).all()
    refresh_many([(k, i) for k, i in due], today=today, rules=rules)
    return len(due)


@dataclass(frozen=True)
class Rebuilt:
    companies: int
    workers: int


_MODELS = (("worker", Worker), ("company", Company))


def rebuild(today: date, *, batch: int = REBUILD_BATCH, rules: credit_rules.Rules | None = None,
            progress: Callable[[str, int, int], None] | None = None, start: tuple[str, int] | None = None,
            commit: Callable[[str, int, int, int], None] | None = None, processes: int = 1) -> Rebuilt:
    """Compute every worker's and then every company's score on `today` again (a company's staff share reads its
    staff's verdicts), committing after each batch of `batch`.

    Keyset-paged by id, so a rebuild of millions holds one batch at a time and a stopped one simply runs again.
    `progress(kind, done, total)` is told after each batch. `start` (a kind and the last id done) resumes a stopped
    rebuild after its last committed batch. `commit(kind, done, total, last id)` ends each batch instead of a plain
    commit: a queued task's, which commits the batch with the task's progress and resume point.

    `processes` above 1 (and no `commit`): the batches go to that many processes forked from this one, each
    computing and committing its own (`_rebuild_forked`); the caller's pending work is committed first.
    """
    if processes > 1 and commit is None:
        return _rebuild_forked(today, batch, rules, progress, start, processes)
    counts = {}
    for kind, model, total, done, after in _kinds(start):
        if after is None:
            counts[kind] = total
            continue
        while True:
            lock_head(shared=True)
            ids = db.session.execute(select(model.id).where(model.id > after).order_by(model.id)
                                     .limit(batch)).scalars().all()
            if not ids:
                break
            refresh_many([(kind, i) for i in ids], today=today, rules=rules, batch=batch)
            done, after = done + len(ids), ids[-1]
            if commit is None:
                db.session.commit()
            else:
                commit(kind, done, total, after)
            if progress is not None:
                progress(kind, done, total)
        counts[kind] = done
    return Rebuilt(companies=counts["company"], workers=counts["worker"])


def _kinds(start: tuple[str, int] | None) -> Iterator[tuple[str, type, int, int, int | None]]:
    """Each kind a rebuild goes through, in order, as (kind, model, how many, how many done already, the last id
    done): a kind a resumed rebuild (`start`) has passed is all done (its last id None); the kind it stopped in
    resumes after `start`'s id; the others start from 0."""
    for kind, model in _MODELS:
        total = db.session.execute(select(func.count()).select_from(model)).scalar_one()
        if start is not None and ORDER.index(kind) < ORDER.index(start[0]):
            yield kind, model, total, total, None
        elif start is not None and kind == start[0]:
            after = start[1]
            done = db.session.execute(select(func.count()).select_from(model).where(model.id <= after)).scalar_one()
            yield kind, model, total, done, after
        else:
            yield kind, model, total, 0, 0


def rebuild_processes() -> int:
    """How many processes `flask credit rebuild` computes in: `REGISTRY_CREDIT_REBUILD_PROCESSES`, or when that is
    0, two on PostgreSQL where there are two cores (batches run side by side under the shared head lock) and one on
    SQLite (whose write lock a batch holds from its first read: a second process would only wait)."""
    configured = current_app.config["CREDIT_REBUILD_PROCESSES"]
    if configured > 0:
        return configured
    return min(2, os.cpu_count() or 1) if db.engine.dialect.name == "postgresql" else 1


def _rebuild_forked(today: date, batch: int, rules: credit_rules.Rules | None,
                    progress: Callable[[str, int, int], None] | None, start: tuple[str, int] | None,
                    processes: int) -> Rebuilt:
    """`rebuild` in `processes` processes forked from this one: every worker's batch, and only then every company's.

    This process reads the ids of each kind, in batches of `batch`, and hands them out; each forked process takes
    the head's lock shared (`lock_head(shared=True)`: changes wait, other batches do not), computes, stores and
    commits its batch, and answers how many it did. The rules are read per batch as in one process (an adoption
    between two batches is seen by the next). A failed batch stops the rebuild with its error; the batches
    committed before it stay, and a rebuild run again computes them again.

    Forking copies this process, its pool of connections too: it is committed and emptied first, so no
    connection is shared, and each forked process opens its own."""
    counts: dict[str, int] = {}
    plan = []
    for kind, model, total, done, after in _kinds(start):
        if after is None:
            counts[kind] = total
            continue
        ids = db.session.execute(select(model.id).where(model.id > after).order_by(model.id)).scalars().all()
        plan.append((kind, total, done, [(kind, ids[i:i + batch]) for i in range(0, len(ids), batch)]))
    db.session.commit()
    db.engine.dispose()
    app = current_app._get_current_object()
    gc.freeze()  # what this process holds stays out of the forked processes' collections (and unwritten)
    try:
        pool = multiprocessing.get_context("fork").Pool(processes, _forked_start, (app, today, rules))
    finally:
        gc.unfreeze()
    try:
        for kind, total, done, jobs in plan:
            for n in pool.imap_unordered(_forked_batch, jobs):
                done += n
                if progress is not None:
                    progress(kind, done, total)
            counts[kind] = done
        pool.close()
        pool.join()
    finally:
        pool.terminate()
    return Rebuilt(companies=counts["company"], workers=counts["worker"])


_forked: tuple[date, credit_rules.Rules | None] | None = None


def _forked_start(app, today: date, rules: credit_rules.Rules | None) -> None:
    """A forked rebuild process begins: the app's context of its own, and its connections closed as it ends."""
    global _forked
    app.app_context().push()
    _forked = (today, rules)
    multiprocessing.util.Finalize(None, db.engine.dispose, exitpriority=10)


def _forked_batch(job: tuple[str, list[int]]) -> int:
    """One batch in a forked process, its own transaction: on SQLite an IMMEDIATE one (the batch writes, and
    batches wait their turn on the busy timeout rather than fail upgrading a read lock)."""
    kind, ids = job
    today, rules = _forked
    with write_intent():
        try:
            lock_head(shared=True)
            refresh_many([(kind, i) for i in ids], today=today, rules=rules, batch=len(ids))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return len(ids)


def score_row(subject_kind: str, subject_id: int) -> CreditScore | None:
    """The kept score of a subject, or None when none is kept yet (the views show null; nothing is computed on
    read)."""
    return db.session.get(CreditScore, (subject_kind, subject_id))


def grades_of(company_ids: Iterable[int]) -> dict[int, str | None]:
    """The kept grades of these companies (one query a batch); a company with no kept score is absent."""
    ids = sorted(set(company_ids))
    out: dict[int, str | None] = {}
    for start in range(0, len(ids), BATCH):
        out.update(db.session.execute(
            select(CreditScore.subject_id, CreditScore.grade)
            .where(CreditScore.subject_kind == "company", CreditScore.subject_id.in_(ids[start:start + BATCH]))).all())
    return out
