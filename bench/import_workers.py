"""Benchmark: import 100,000 staff rows through the real import path, against the storage floor.

The import runs in a child process (as the jobs process would): reading the
file, validating every row, sealing, blind indexes, canonical states and one
log entry per row, committed in batches. The floor, in this process, writes
the same final rows into the same tables with SQLAlchemy Core executemany in
batches of 1,000, values precomputed. Both run against a fresh database of the
chosen engine. The last line is one flat JSON object.

The import above runs alone, as issue #4 measures it: nobody else writes, so it goes at speed
(registry/tasks/pacing.py, "Only while others write"). Then a second import, of `--busy-rows` (20,000) rows into
a fresh database, runs while a third process makes interactive writes, as a company's admin at a counter would:
ten a second, each registering a new person for another company (one logged change and the scores it feeds,
through the service, committed), each timed from its start to its commit's end: `write_p99_during_import_ms`
(issue #17 asks ≤ 250). Every change takes the log head's lock, which an import's batch holds from its first
look-up to its commit; while others write, batches are sized to hold it about `REGISTRY_BULK_LOCK_SECONDS` (0.05
s) and rest as long after each.

    .venv/bin/python -m bench.import_workers [--db sqlite|postgresql] [--rows 100000] [--busy-rows 20000]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._benchdb import ROOT, database_url, drop_database, make_app, migrated


def backend_pid(db) -> int | None:
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        return None
    return db.session.execute(text("SELECT pg_backend_pid()")).scalar()


class BackendMemory:
    """Sample a PostgreSQL backend's private memory (RssAnon) while the import runs.

    Its shared buffers are the server's cache, shared by every connection, so
    they are not counted as this import's memory.
    """

    def __init__(self, pid: int | None):
        import threading

        self.pid, self.peak_kb = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))
        except OSError:
            pass

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    def __enter__(self):
        if self.pid:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.pid:
            self._stop.set()
            self._thread.join()
            self._sample()

    @property
    def mb(self) -> float:
        return self.peak_kb / 1024


def writer(url: str, work: Path) -> None:
    """Run in the writer process: once `go` exists, register a new person every 0.1 s until `stop` exists; print
    the latencies (ms) as JSON.

    A registration costs the same whatever came before it (an API token did not: the account's logged state holds
    all its tokens, so the thousands a long import saw made each one slower, and it held the log head's lock
    longer than any import batch)."""
    import random
    from datetime import date, timedelta

    from registry.accounts.models import Account
    from registry.clock import today
    from registry.database import write_intent
    from registry.extensions import db
    from registry.keys import keyring
    from registry.workers import idnumber
    from registry.workers import services as workers

    app = make_app(url, work)
    account_id = int((work / "writer-account").read_text())
    latencies, failures = [], []
    rng = random.Random(17)
    with app.app_context():
        ring = keyring()
        while not (work / "go").exists():
            time.sleep(0.01)
        n, used = 0, set()
        while not (work / "stop").exists():
            # Distinct from the file's people (born 1965-2004) and from each other.
            number = None
            while number is None or number in used:
                number = idnumber.generate(rng, birth=date(1930, 1, 1) + timedelta(days=n % 10950))
            used.add(number)
            person = workers.Person("周桂兰", number, f"136{n:08d}")
            began = time.perf_counter()
            try:
                with write_intent():
                    account = db.session.get(Account, account_id)
                    workers.register_worker(
                        ring, account=account, company=account.company, person=person, today=today(),
                        engagement=workers.Engagement("cleaner", "labour_contract", today(), True))
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001 — a refused write is a figure of this bench, not its end
                db.session.rollback()
                failures.append(type(exc).__name__)
            latencies.append((time.perf_counter() - began) * 1000)
            n += 1
            time.sleep(max(0.0, 0.1 - (time.perf_counter() - began)))
    print(json.dumps({"ms": latencies, "failed": failures}))


def child_import(url: str, work: Path, rows: int, *, writes: bool) -> None:
    """Run in the child: set up, import the generated file (with the writer process writing meanwhile, when
    `writes`), print timings as JSON."""

    from registry.extensions import db
    from registry.imports.services import start_import
    from registry.keys import keyring
    from registry.tasks.services import claim, run_task

    with migrated(url, work) as app:
        from tests.support.factory import Factory

        factory = Factory(app)
        company, admin = factory.company()
        content = (work / "staff.csv").read_bytes()
        task = start_import(keyring(), account=admin.account, company=company, filename="bench.csv",
                            content=content, keep_good=False)
        task_id = task.id
        db.session.commit()
        del content
        task = claim(task_id, "bench", 3600)
        writer_process = None
        if writes:
            (work / "writer-account").write_text(str(factory.company()[1].account.id))
            db.session.commit()
            writer_process = subprocess.Popen([sys.executable, "-m", "bench.import_workers", "--writer", url,
                                               str(work)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        with BackendMemory(backend_pid(db)) as backend:
            start = time.perf_counter()
            (work / "go").touch()
            state = run_task(task, "bench", lease_seconds=3600)
            seconds = time.perf_counter() - start
        (work / "stop").touch()
        latencies = {"ms": [], "failed": []}
        if writer_process is not None:
            latencies = json.loads(writer_process.communicate(timeout=120)[0].strip().splitlines()[-1])
            if writer_process.returncode:
                raise SystemExit(f"the writer process failed (exit {writer_process.returncode})")
        from registry.tasks.models import Task

        result = db.session.get(Task, task_id).result
        hwm = backend.mb
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"state": state, "seconds": seconds, "stored": result["stored"], "rss_mb": rss,
                      "backend_mb": hwm, "writes": latencies}))


def floor(url: str, work: Path, import_url: str, rows: int) -> dict:
    """Write the import's final rows again with Core executemany, 1,000 a batch; return rows/s."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, insert, select

    from registry.extensions import db
    from registry.keys import keyring
    from registry.log.models import LogEntry, LogHash, LogHead
    from registry.workers.models import Employment, Worker, WorkerRecord

    source = create_engine(import_url)
    # Every row the import left behind for its rows: workers, employments, records, entries, tree hashes.
    tables = [Worker.__table__, Employment.__table__, WorkerRecord.__table__, LogEntry.__table__, LogHash.__table__]
    app = make_app(url, work)
    with app.app_context():
        keyring().ensure_all()
        upgrade()
        # The company (and its account rows) the workers point at, copied as they are.
        from registry.companies.models import Company

        company_rows = [dict(r._mapping) for r in source.connect().execute(select(Company.__table__))]
        db.session.execute(insert(Company.__table__), company_rows)
        db.session.commit()
        precomputed = {}
        with source.connect() as conn:
            for t in tables:
                precomputed[t.name] = [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key))]
        source.dispose()
        start = time.perf_counter()
        with db.engine.begin() as conn:
            for t in tables:
                data = precomputed[t.name]
                for i in range(0, len(data), 1000):
                    conn.execute(insert(t), data[i:i + 1000])
            conn.execute(LogHead.__table__.update().values(size=len(precomputed["log_entries"])))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rate": rows / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--busy-rows", type=int, default=20_000,
                        help="rows of the second import, the one interactive writes are timed during")
    parser.add_argument("--child", nargs=2, metavar=("URL", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument("--busy", nargs=2, metavar=("URL", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument("--writer", nargs=2, metavar=("URL", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer(args.writer[0], Path(args.writer[1]))
        return
    if args.child or args.busy:
        url, folder = args.child or args.busy
        child_import(url, Path(folder), args.rows, writes=bool(args.busy))
        return
    with tempfile.TemporaryDirectory(prefix="jiaxin-bench-") as tmp:
        work = Path(tmp)
        import_url = database_url(args.db, work, "jiaxin_bench_import")
        # Generated here, so the importing process's peak memory is the import's own.
        from registry.clock import today
        from tests.support.importutil import csv_bytes, person_rows

        (work / "staff.csv").write_bytes(csv_bytes(person_rows(args.rows, today=today(), seed=2026)))
        busy = work / "busy"
        busy.mkdir()
        (busy / "staff.csv").write_bytes(csv_bytes(person_rows(args.busy_rows, today=today(), seed=2027)))

        def run_child(flag: str, url: str, folder: Path, rows: int) -> dict:
            out = subprocess.run([sys.executable, "-m", "bench.import_workers", "--rows", str(rows), flag, url,
                                  str(folder)], cwd=ROOT, check=False, capture_output=True, text=True)
            if out.returncode:
                print(out.stderr[-4000:], file=sys.stderr)
                raise SystemExit(f"the import process failed (exit {out.returncode})")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            assert result["state"] == "done" and result["stored"] == rows, result
            return result

        # The import alone (issue #4's figures), then its floor, then an import with writes (issue #17's).
        child = run_child("--child", import_url, work, args.rows)
        floor_url = database_url(args.db, work, "jiaxin_bench_floor")
        f = floor(floor_url, work, import_url, args.rows)
        drop_database(args.db, "jiaxin_bench_floor")
        drop_database(args.db, "jiaxin_bench_import")
        busy_url = database_url(args.db, busy, "jiaxin_bench_busy")
        during = run_child("--busy", busy_url, busy, args.busy_rows)
        drop_database(args.db, "jiaxin_bench_busy")
        import_rate = args.rows / child["seconds"]
        print(f"import: {args.rows} rows in {child['seconds']:.1f} s = {import_rate:,.0f} rows/s "
              f"(peak RSS {child['rss_mb']:.0f} MB + database backend {child['backend_mb']:.0f} MB)")
        print(f"floor:  {args.rows} rows in {f['seconds']:.1f} s = {f['rate']:,.0f} rows/s "
              "(Core executemany, 1,000 a batch)")
        writes = sorted(during["writes"]["ms"])
        failed = during["writes"]["failed"]

        def pct(p: int) -> float | None:
            return round(writes[min(len(writes) - 1, int(len(writes) * p / 100))], 1) if writes else None

        print(f"writes during an import of {args.busy_rows} rows ({args.busy_rows / during['seconds']:,.0f} rows/s): "
              f"{len(writes)}, p50 {pct(50)} ms, p99 {pct(99)} ms, "
              f"failed {len(failed)} ({', '.join(sorted(set(failed))) or 'none'})")
        print(json.dumps({
            "import_rows_per_s": round(import_rate, 1),
            "floor_rows_per_s": round(f["rate"], 1),
            "import_ratio": round(import_rate / f["rate"], 3),
            "peak_rss_mb": round(child["rss_mb"] + child["backend_mb"], 1),
            "write_p50_during_import_ms": pct(50),
            "write_p99_during_import_ms": pct(99),
            "writes_during_import": len(writes),
            "writes_failed_during_import": len(failed),
            "rows": args.rows,
            "busy_rows": args.busy_rows,
            "db": args.db,
        }))


if __name__ == "__main__":
    main()
