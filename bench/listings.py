"""Benchmark: the public search of published listings under load, against /healthz of the same server.

A fresh database of the chosen engine gets `--workers` workers stored as bench/lookup.py stores them (the
import's storing path, with cards), then `--companies` companies with realistic names (bench/_names.py) and
their name grams, and `--sanctions` published sanctions — 30 % against workers, the rest against companies, a
fifth of those naming a legal representative — written with Core executemany by bench/_sanctions.py, **without
log entries** (the search reads none). Every sanction's window is open today.

Then gunicorn serves `wsgi:app` (2 sync workers, rate limits off, no access log) and wrk loads it on loopback:
/healthz, then `/api/v1/listings?q=<fragment>` with a fragment of 2–4 characters cut at random from the real
company names (the Lua script draws one of several thousand per request), then /healthz again.

    listing_ratio  = search requests/s ÷ mean /healthz requests/s   (target ≥ 0.3 at 16 connections)
    listing_p99_ms = the search's 99th-percentile latency            (target ≤ 50 at 16 connections)

Any answer but 200 (or a socket error or timeout) fails the run: it still prints its figures, then exits 1.
The last line is one flat JSON object.

    .venv/bin/python -m bench.listings [--db sqlite|postgresql] [--companies 200000] [--workers 100000]
                                       [--sanctions 50000] [--seconds 15] [--connections 16]
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench import lookup
from bench._benchdb import database_url, drop_database, make_app
from bench._sanctions import Subject, bench_agencies, insert_companies, insert_sanctions
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

DB_NAME = "jiaxin_bench_listings"
FRAGMENTS = 5000
WORKER_SHARE = 0.3


def fragments(names: list[str], n: int, seed: int = 5) -> list[str]:
    """`n` fragments of 2–4 characters cut at random from the names."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        name = rng.choice(names)
        size = rng.randint(2, 4)
        if len(name) < size:
            continue
        start = rng.randrange(len(name) - size + 1)
        out.append(name[start:start + size])
    return out


def fill(engine: str, url: str, work: Path, *, companies: int, workers: int, sanctions: int) -> tuple[list, dict]:
    """Workers (as bench/lookup.py), companies and published sanctions; the company names and the counts."""
    from sqlalchemy import func, select, text

    from registry.clock import today
    from registry.extensions import db
    from registry.keys import keyring
    from registry.sanctions.models import Sanction
    from registry.workers.models import Worker
    from tests.support.factory import Factory

    _numbers, counts = lookup.fill(engine, url, work, workers)
    app = make_app(url, work)
    with app.app_context():
        ring = keyring()
        agency_ids = bench_agencies(Factory(app))
        db.session.commit()  # Core writes on their own connection next (SQLite: one writer at a time)
        made = insert_companies(db.engine, companies, seed=3)
        rng = random.Random(4)
        worker_ids = list(db.session.execute(select(Worker.id)).scalars())
        on_workers = int(sanctions * WORKER_SHARE)
        subjects = [Subject(worker_id=w) for w in rng.sample(worker_ids, min(on_workers, len(worker_ids)))]
        subjects += [Subject(company_id=c) for c, _name in rng.sample(made, sanctions - len(subjects))]
        rng.shuffle(subjects)
        db.session.commit()
        insert_sanctions(db.engine, ring, subjects, agency_ids, day=today(), published_share=1.0)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        if engine == "postgresql":
            # What autovacuum does to tables written in bulk: the visibility map, which lets a walk of
            # listing_grams read its key alone.
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM"))
        counts.update(companies=len(made) + 2,
                      sanctions=db.session.execute(select(func.count()).select_from(Sanction)).scalar_one())
        db.session.remove()
        db.engine.dispose()
    return [name for _id, name in made], counts


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--sanctions", type=int, default=50_000, help="published sanctions")
    parser.add_argument("--seconds", type=int, default=15, help="length of each measured wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    args = parser.parse_args()
    wrk = ensure_wrk()
    template = "/api/v1/listings?q={q}"

    with tempfile.TemporaryDirectory(prefix="jiaxin-bench-listings-") as tmp:
        work = Path(tmp)
        url = database_url(args.db, work, DB_NAME)
        try:
            start = time.perf_counter()
            names, counts = fill(args.db, url, work, companies=args.companies, workers=args.workers,
                                 sanctions=args.sanctions)
            fill_s = time.perf_counter() - start
            say(f"filled: {counts['companies']:,} companies, {counts['workers']:,} workers, "
                f"{counts['sanctions']:,} sanctions in {fill_s:.1f} s ({args.db})")
            cut = fragments(names, FRAGMENTS)
            terms = work / "fragments.txt"
            terms.write_text("\n".join(quote(f, safe="") for f in cut) + "\n")
            script = work / "listings.lua"
            script.write_text(WRK_SCRIPT)
            with Server(url, work, free_port()) as server:
                server.wait_ready()
                status, body = server.get(template.replace("{q}", quote(cut[0], safe="")))
                if status != 200:
                    say(f"GET {template} answered {status}: {body[:300]!r}")
                m = measure_against_healthz(wrk, server, script, terms, template, seconds=args.seconds,
                                            connections=args.connections, threads=args.threads,
                                            engine=args.db, db_name=DB_NAME)
        finally:
            drop_database(args.db, DB_NAME)

    ratio, failures = report_runs(m, "listings search", args.db)
    h1, found, h2 = m["h1"], m["target"], m["h2"]
    healthz_rps = (h1["rps"] + h2["rps"]) / 2
    say(f"listing_ratio {ratio:.3f} (search ÷ mean healthz {healthz_rps:,.0f} req/s; target ≥ 0.3), "
        f"listing_p99_ms {found['p99_ms']:.2f} (target ≤ 50); {args.connections} connections, "
        f"gunicorn 2 sync workers, {args.db}, {args.seconds} s a run")
    report_failures(m, failures)
    print(json.dumps({
        "listing_ratio": round(ratio, 3),
        "listing_p99_ms": round(found["p99_ms"], 2),
        "listing_rps": round(found["rps"], 1),
        "listing_p50_ms": round(found["p50_ms"], 2),
        "listing_p90_ms": round(found["p90_ms"], 2),
        "healthz_rps": round(healthz_rps, 1),
        "healthz_p99_ms": round((h1["p99_ms"] + h2["p99_ms"]) / 2, 2),
        "listing_cpu_ms": round(found["app_cpu_ms_per_req"] + found["db_cpu_ms_per_req"], 3),
        "others_cores": round(max(r["others_cores"] for r in (h1, found, h2)), 2),
        "non_200": failures,
        "companies": counts["companies"],
        "workers": counts["workers"],
        "sanctions": counts["sanctions"],
        "fill_s": round(fill_s, 1),
        "connections": args.connections,
        "seconds": args.seconds,
        "db": args.db,
    }))
    return 1 if failures or not m["alive"] else 0


if __name__ == "__main__":
    sys.exit(main())
