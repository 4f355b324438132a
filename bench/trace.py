"""Benchmark: service records (追溯) through the real file import, against the storage floor; then the
household query under load, against /healthz of the same server.

Phase 1: 1,000,000 service records imported as the jobs process
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

Phase 2, on the import's database (the 1,000,000 services, each for a household of its own phone): gunicorn
serves `wsgi:app` (2 sync workers, rate limits off, no access log) and wrk loads it on loopback as
bench/listings.py does: /healthz, then `POST /api/v1/households/services` with a regulator's token and the phone
of a recorded household drawn at random from several thousand per request (each query also writes its private
query record, as in production), then /healthz again.

    household_ratio  = household queries/s ÷ mean /healthz requests/s   (target ≥ 0.3 at 16 connections)
    household_p99_ms = the query's 99th-percentile latency              (target ≤ 50 at 16 connections)

Any answer but 200 fails the run (it still prints its figures, then exits 1). The last line is one flat JSON
object.

    .venv/bin/python -m bench.trace [--db sqlite|postgresql] [--rows 1000000] [--workers 500] [--seconds 15]
                                    [--connections 16] [--household-only]

`--household-only` runs phase 2 alone, on services stored straight with Core executemany (how they got there does
not change what the query reads), for measuring the query again without the long import.
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

from bench._benchdb import ROOT, database_url, drop_database, make_app, migrated
from bench._serve import (
    WRK_SCRIPT,
    Server,
    ensure_wrk,
    free_port,
    measure_against_healthz,
    report_failures,
    report_runs,
    say,
)
from bench.import_workers import BackendMemory, backend_pid

FILE_ROWS = 100_000
BATCH = 1000
# Phones of recorded households the query draws from.
SAMPLE_PHONES = 5000
HOUSEHOLD_PATH = "/api/v1/households/services"
# bench/_serve.py's script, with each line of the terms file posted as the JSON body of the household query
# (under a regulator's token) instead of put into a GET path; /healthz stays a GET.
HOUSEHOLD_SCRIPT = WRK_SCRIPT.replace(
    'reqs[#reqs + 1] = wrk.format("GET", path)',
    'if template == "/healthz" then\n'
    '        reqs[#reqs + 1] = wrk.format("GET", path)\n'
    '      else\n'
    '        reqs[#reqs + 1] = wrk.format("POST", template, {["Authorization"] = "Bearer {TOKEN}", '
    '["Content-Type"] = "application/json"}, line)\n'
    '      end')


def child_setup(url: str, work: Path, workers: int) -> None:
    """In a child: migrate, create a verified company and its employed workers; print their card numbers."""

    from registry.clock import today
    from registry.extensions import db
    from registry.keys import keyring
    from registry.workers import idnumber
    from registry.workers import services as staff

    with migrated(url, work) as app:
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


def write_files(work: Path, cards: list[str], rows: int) -> tuple[int, list[str]]:
    """The service files (at most FILE_ROWS rows each), generated here so the importer's memory is its own; and
    a sample of the customers' phones, for the household query."""
    from registry.clock import now
    from tests.support.serviceimportutil import service_csv, service_rows

    files, phones = 0, []
    rng = random.Random(15)
    for start in range(0, rows, FILE_ROWS):
        n = min(FILE_ROWS, rows - start)
        file_rows = service_rows(n, cards, now=now(), seed=files)
        phones += [r["phone"] for r in rng.sample(file_rows, min(n, SAMPLE_PHONES // max(1, rows // FILE_ROWS)))]
        (work / f"services-{files}.csv").write_bytes(service_csv(file_rows))
        files += 1
    return files, phones


def fill_services(url: str, work: Path, cards: list[str], rows: int) -> list[str]:
    """`--household-only`: `rows` services stored straight with Core executemany (the floor's way: no log entries,
    review codes or messages, which the household query reads none of), each for a household of its own phone;
    return a sample of those phones. The services are what the real import stores, field for field."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from registry.companies.models import Company
    from registry.extensions import db
    from registry.keys import keyring
    from registry.models import new_ref
    from registry.trace import household
    from registry.trace.models import REFERENCE_CHARS, ServiceRecord
    from registry.trace.vocab import SERVICE_TYPES
    from registry.workers.models import Worker
    from tests.support.serviceimportutil import DISTRICTS

    app = make_app(url, work)
    rng = random.Random(16)
    phones: list[str] = []
    with app.app_context():
        key = keyring().current("household").material
        company_id, company_ref = db.session.execute(select(Company.id, Company.log_ref)).first()
        worker_ids = list(db.session.execute(select(Worker.id).where(Worker.card_no.in_(cards))).scalars())
        db.session.commit()  # Core writes on their own connection next (SQLite: one writer at a time)
        now = datetime.now(UTC)
        types = list(SERVICE_TYPES)
        keep_every = max(1, rows // SAMPLE_PHONES)
        for start in range(0, rows, BATCH * 5):
            batch = []
            for i in range(start, min(rows, start + BATCH * 5)):
                phone = f"139{rng.randrange(10**8):08d}"
                if i % keep_every == 0:
                    phones.append(phone)
                ref = household.household_ref(key, "+86" + phone)
                begin = now - timedelta(days=rng.randrange(1, 60), minutes=rng.randrange(24 * 60))
                batch.append({
                    "ref": new_ref(), "reference": new_ref()[:REFERENCE_CHARS], "log_ref": new_ref(), "salt": new_ref(),
                    "worker_id": rng.choice(worker_ids), "company_id": company_id,
                    "service_type": rng.choice(types), "district": rng.choice(DISTRICTS), "start_dt": begin,
                    "end_dt": begin + timedelta(hours=3), "household_ref": ref,
                    "company_household": household.company_household(key, company_ref, ref), "overrides": None,
                    "override_reason": None, "recorded_by": company_ref, "created_dt": now})
            with db.engine.begin() as conn:
                conn.execute(insert(ServiceRecord.__table__), batch)
        db.session.remove()
        db.engine.dispose()
    return phones


def regulator_token(url: str, work: Path, engine: str) -> str:
    """A housekeeping regulator's API token on the import's database (and fresh planner statistics)."""
    from sqlalchemy import text

    from registry.extensions import db
    from tests.support.factory import Factory

    app = make_app(url, work)
    with app.app_context():
        factory = Factory(app)
        account = factory.agency_user(factory.agency(sector="housekeeping", code="bench-hk")).account
        token = factory.token(account, name="bench")
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        if engine == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM"))
        db.session.remove()
        db.engine.dispose()
    return token


def household_phase(args, work: Path, url: str, phones: list[str]) -> tuple[dict, bool]:
    """wrk on the household query beside /healthz; (its figures for the summary line, whether it failed)."""
    wrk = ensure_wrk()
    token = regulator_token(url, work, args.db)
    terms = work / "households.txt"
    terms.write_text("".join(json.dumps({"phone": p, "purpose": "complaint"}) + "\n" for p in phones))
    script = work / "households.lua"
    script.write_text(HOUSEHOLD_SCRIPT.replace("{TOKEN}", token))
    with Server(url, work, free_port()) as server:
        server.wait_ready()
        m = measure_against_healthz(wrk, server, script, terms, HOUSEHOLD_PATH, seconds=args.seconds,
                                    connections=args.connections, threads=args.threads, engine=args.db,
                                    db_name="jiaxin_bench_trace")
    ratio, failures = report_runs(m, "household query", args.db)
    h1, found, h2 = m["h1"], m["target"], m["h2"]
    healthz_rps = (h1["rps"] + h2["rps"]) / 2
    say(f"household_ratio {ratio:.3f} (query ÷ mean healthz {healthz_rps:,.0f} req/s; target ≥ 0.3), "
        f"household_p99_ms {found['p99_ms']:.2f} (target ≤ 50); {args.connections} connections, "
        f"gunicorn 2 sync workers, {args.db}, {args.seconds} s a run")
    report_failures(m, failures)
    return ({"household_ratio": round(ratio, 3), "household_p99_ms": round(found["p99_ms"], 2),
             "household_rps": round(found["rps"], 1), "household_p50_ms": round(found["p50_ms"], 2),
             "household_cpu_ms": round(found["app_cpu_ms_per_req"] + found["db_cpu_ms_per_req"], 3),
             "healthz_rps": round(healthz_rps, 1),
             "others_cores": round(max(r["others_cores"] for r in (h1, found, h2)), 2),
             "non_200": failures}, bool(failures) or not m["alive"])


def run(module: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=15, help="length of each measured wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--household-only", action="store_true",
                        help="phase 2 alone: store the services with Core executemany, then load the household query")
    parser.add_argument("--setup", nargs=2, metavar=("URL", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=3, metavar=("URL", "WORK", "FILES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        child_setup(args.setup[0], Path(args.setup[1]), args.workers)
        return 0
    if args.child:
        child_import(args.child[0], Path(args.child[1]), int(args.child[2]))
        return 0
    out: dict = {}
    failed = False
    if args.household_only:
        with tempfile.TemporaryDirectory(prefix="jiaxin-bench-") as tmp:
            work = Path(tmp)
            url = database_url(args.db, work, "jiaxin_bench_trace")
            try:
                cards = run("bench.trace", "--workers", str(args.workers), "--setup", url, str(work))["cards"]
                started = time.perf_counter()
                phones = fill_services(url, work, cards, args.rows)
                say(f"filled: {args.rows:,} services with Core executemany in {time.perf_counter() - started:.1f} s "
                    f"({args.db})")
                figures, failed = household_phase(args, work, url, phones)
                out.update(figures)
            finally:
                drop_database(args.db, "jiaxin_bench_trace")
        print(json.dumps({**out, "rows": args.rows, "phase": "household", "connections": args.connections,
                          "seconds": args.seconds, "db": args.db}))
        return 1 if failed else 0
    with tempfile.TemporaryDirectory(prefix="jiaxin-bench-") as tmp:
        work = Path(tmp)
        # --- phase 1: the file import beside its storage floor ---
        import_url = database_url(args.db, work, "jiaxin_bench_trace")
        cards = run("bench.trace", "--workers", str(args.workers), "--setup", import_url, str(work))["cards"]
        files, phones = write_files(work, cards, args.rows)
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

        # --- phase 2: the household query under wrk, on the import's services ---
        try:
            figures, failed = household_phase(args, work, import_url, phones)
            out.update(figures)
        finally:
            drop_database(args.db, "jiaxin_bench_trace")
    print(json.dumps({**out, "rows": args.rows, "connections": args.connections, "seconds": args.seconds,
                      "db": args.db}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
