"""Benchmark: service records (追溯) through the real file import, against the storage floor.

Phase 1 (here): 1,000,000 service records imported as the jobs process
imports them — in files of at most 100,000 rows, each its own upload and task,
run one after another by the task handler in a child process (reading, every
row judged, household HMACs, review codes, sealed messages to customers,
canonical states and one log entry per row, committed in batches). The floor,
in this process, writes the same final rows (services, review codes, outbox
messages, log entries and tree hashes) into a fresh database with SQLAlchemy
Core executemany in batches of 1,000, values read from the import's database
beforehand (only the inserts are timed). `trace_import_ratio` is floor time /
import time (target >= 0.2); `trace_import_rss_mb` the importing process's
peak RSS plus, on PostgreSQL, its backend's private memory (target < 500 MB).
The last line is one flat JSON object.

    .venv/bin/python -m bench.trace [--db sqlite|postgresql] [--rows 1000000] [--workers 500]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench._benchdb import ROOT, database_url, drop_database, make_app
from bench.import_workers import BackendMemory, backend_pid

FILE_ROWS = 100_000
BATCH = 1000


def child_setup(url: str, work: Path, workers: int) -> None:
    """In a child: migrate, create a verified company and its employed workers; print their card numbers."""
    from flask_migrate import upgrade

    from registry.clock import today
    from registry.extensions import db
    from registry.keys import keyring
    from registry.log.services import ensure_head
    from registry.workers import idnumber
    from registry.workers import services as staff

    app = make_app(url, work)
    with app.app_context():
        keyring().ensure_all()
        upgrade()
        ensure_head()
        db.session.commit()
        from tests.support.factory import Factory

        factory = Factory(app)
        company, admin = factory.company()
        rng = random.Random(14)
        cards = []
        for i in range(workers):
            reg = staff.register_worker(
                keyring(), account=admin.account, company=company, today=today(),
                person=staff.Person("王秀英", idnumber.generate(rng, birth=today().replace(year=1980) -
                                                               timedelta(days=i)), f"136{i:08d}"),
                engagement=staff.Engagement("cleaner", "labour_contract", today() - timedelta(days=30), True))
            cards.append(reg.worker.card_no)
        db.session.commit()
    print(json.dumps({"cards": cards}))


def child_import(url: str, work: Path, files: int) -> None:
    """In a child: upload and run each service file's import in turn; print timings as JSON."""
    from registry.companies.models import Company
    from registry.extensions import db
    from registry.keys import keyring
    from registry.tasks.models import Task
    from registry.tasks.services import claim, run_task
    from registry.trace.imports import start_import

    app = make_app(url, work)
    seconds, stored, states = 0.0, 0, []
    with app.app_context():
        company = db.session.query(Company).one()
        from registry.accounts.models import Account

        admin = db.session.query(Account).filter(Account.company_id == company.id).first()
        with BackendMemory(backend_pid(db)) as backend:
            for n in range(files):
                content = (work / f"services-{n}.csv").read_bytes()
                task = start_import(keyring(), account=admin, company=company, filename=f"bench-{n}.csv",
                                    content=content, keep_good=False)
                task_id = task.id
                db.session.commit()
                del content
                task = claim(task_id, "bench", 3600)
                start = time.perf_counter()
                states.append(run_task(task, "bench", lease_seconds=3600))
                seconds += time.perf_counter() - start
                stored += db.session.get(Task, task_id).result["stored"]
                db.session.rollback()
        hwm = backend.mb
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"states": states, "seconds": seconds, "stored": stored, "rss_mb": rss, "backend_mb": hwm}))


def floor(url: str, work: Path, import_url: str) -> float:
    """Write the import's final rows again with Core executemany, 1,000 a batch; return the inserts' seconds."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, insert, select

    from registry.companies.models import Company
    from registry.extensions import db
    from registry.keys import keyring
    from registry.log.models import LogEntry, LogHash, LogHead
    from registry.notify.models import OutboxMessage
    from registry.trace.models import ReviewCode, ServiceRecord
    from registry.workers.models import Worker

    source = create_engine(import_url)
    # What the services point at, copied untimed; then every row the import wrote, timed.
    setup = [Company.__table__, Worker.__table__]
    timed = [ServiceRecord.__table__, ReviewCode.__table__, OutboxMessage.__table__, LogEntry.__table__,
             LogHash.__table__]
    app = make_app(url, work)
    seconds = 0.0
    with app.app_context():
        keyring().ensure_all()
        upgrade()
        with source.connect() as src, db.engine.begin() as conn:
            for t in setup:
                conn.execute(insert(t), [dict(r._mapping) for r in src.execute(select(t))])
            for t in timed:
                result = src.execution_options(yield_per=BATCH).execute(select(t).order_by(*t.primary_key))
                for chunk in result.partitions(BATCH):
                    rows = [dict(r._mapping) for r in chunk]
                    start = time.perf_counter()
                    conn.execute(insert(t), rows)
                    seconds += time.perf_counter() - start
            start = time.perf_counter()
            size = src.execute(select(LogHead.size)).scalar_one()
            conn.execute(LogHead.__table__.update().values(size=size))
            seconds += time.perf_counter() - start
        source.dispose()
    return seconds


def write_files(work: Path, cards: list[str], rows: int) -> int:
    """The service files (at most FILE_ROWS rows each), generated here so the importer's memory is its own."""
    from registry.clock import now
    from tests.support.serviceimportutil import service_csv, service_rows

    files = 0
    for start in range(0, rows, FILE_ROWS):
        n = min(FILE_ROWS, rows - start)
        (work / f"services-{files}.csv").write_bytes(service_csv(service_rows(n, cards, now=now(), seed=files)))
        files += 1
    return files


def run(module: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--setup", nargs=2, metavar=("URL", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=3, metavar=("URL", "WORK", "FILES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        child_setup(args.setup[0], Path(args.setup[1]), args.workers)
        return
    if args.child:
        child_import(args.child[0], Path(args.child[1]), int(args.child[2]))
        return
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="jiaxin-bench-") as tmp:
        work = Path(tmp)
        # --- phase 1: the file import beside its storage floor ---
        import_url = database_url(args.db, work, "jiaxin_bench_trace")
        cards = run("bench.trace", "--workers", str(args.workers), "--setup", import_url, str(work))["cards"]
        files = write_files(work, cards, args.rows)
        child = run("bench.trace", "--child", import_url, str(work), str(files))
        assert set(child["states"]) == {"done"} and child["stored"] == args.rows, child
        floor_url = database_url(args.db, work, "jiaxin_bench_trace_floor")
        floor_seconds = floor(floor_url, work, import_url)
        drop_database(args.db, "jiaxin_bench_trace_floor")
        rss = child["rss_mb"] + child["backend_mb"]
        print(f"import: {args.rows} services in {files} files in {child['seconds']:.1f} s = "
              f"{args.rows / child['seconds']:,.0f} rows/s (peak RSS {child['rss_mb']:.0f} MB + database backend "
              f"{child['backend_mb']:.0f} MB)")
        print(f"floor:  the same rows in {floor_seconds:.1f} s = {args.rows / floor_seconds:,.0f} rows/s "
              "(Core executemany, 1,000 a batch)")
        out.update({"trace_import_rows_per_s": round(args.rows / child["seconds"], 1),
                    "trace_floor_rows_per_s": round(args.rows / floor_seconds, 1),
                    "trace_import_ratio": round(floor_seconds / child["seconds"], 3),
                    "trace_import_rss_mb": round(rss, 1), "trace_files": files})

        # --- phase 2: the household query under wrk (`household_ratio`, `household_p99_ms`) ---
        # Built together with the household endpoint: a regulator's token, random phones of the households
        # recorded above (import_url keeps the 1,000,000 services), served as bench/_serve.py serves, beside
        # /healthz. Its results join `out` here, before the summary line.

        drop_database(args.db, "jiaxin_bench_trace")
    print(json.dumps({**out, "rows": args.rows, "db": args.db}))


if __name__ == "__main__":
    main()
