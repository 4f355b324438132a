"""Benchmark: the public card lookup under load, against /healthz of the same server.

A fresh database of the chosen engine gets a verified company with `--workers` workers stored through the
import's storing path (`store_batch`: sealed personal data, blind indexes, employments, identity, health,
insurance, background and some training records, one log entry each, Core executemany 1,000 a batch); one
worker in ten is also employed by a second company, and nine in ten get a card (a few a reissued second
one). One worker in twenty has a sanction (`--sanctioned`; half of them published, some serious listings that turn
the card red), written by bench/_sanctions.py with Core and without log entries, so the card view is measured with
the sanctions present. `--reviewed` gives that share of the workers 1 to 40 reviewed services each
(bench/_reviews.py, Core, no log entries), so the review summary the card view reads is measured too.
Then gunicorn serves `wsgi:app` (2 sync workers, rate limits off, no access log) on 127.0.0.1 and wrk loads it
on loopback: /healthz, then the card lookup over random existing card numbers, then /healthz again; the mean of
the two /healthz runs is the baseline (the machine is shared and noisy).

    lookup_ratio  = card requests/s ÷ mean /healthz requests/s   (target ≥ 0.5 at 16 connections)
    lookup_p99_ms = the card lookup's 99th-percentile latency    (target ≤ 20 at 16 connections)

Throughput on a shared 2-core machine moves with whatever else runs, so each run also reports the CPU the
server spent per request (gunicorn's processes, plus the PostgreSQL backends serving them) and how many cores
other processes kept busy meanwhile: `cpu_ratio` = healthz CPU per request ÷ card CPU per request is the
steadier companion of `lookup_ratio`, and a large `others_cores` marks a run disturbed by neighbours.

Any answer but 200 (or a socket error or timeout) fails the run: it still prints its figures, then exits 1.
Debian's `wrk` is installed when missing. The last line is one flat JSON object.

    .venv/bin/python -m bench.lookup [--db sqlite|postgresql] [--workers 100000] [--sanctioned 0.05] [--reviewed 0.0]
                                    [--seconds 15] [--connections 16] [--path-template /api/v1/cards/{card_no}]
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench._benchdb import database_url, drop_database, make_app
from bench._sanctions import Subject, bench_agencies, insert_sanctions
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

DB_NAME = "jiaxin_bench_lookup"
BATCH = 1000


# --- the database -----------------------------------------------------------------------------------------


def records_for(rng: random.Random, start: date, day: date) -> list[tuple[str, dict]]:
    """A worker's checks, as the rules normalise them: mostly current, some expired, a few pending."""
    from registry.workers import rules

    identity_on = start - timedelta(days=rng.randrange(1, 30))
    health_on = day - timedelta(days=rng.randrange(400))  # older than a year (about 9%): expired
    insured_from = day - timedelta(days=rng.randrange(380))
    out = [
        ("identity", {"result": "verified", "checked_on": identity_on}),
        ("health", {"result": "passed", "checked_on": health_on, "valid_until": health_on + timedelta(days=365)}),
        ("insurance", {"insurer": rng.choice(["中国人寿", "中国平安", "中国太保"]), "valid_from": insured_from,
                       "valid_until": insured_from + timedelta(days=365)}),
        ("background", {"result": "pending" if rng.random() < 0.03 else "passed",
                        "checked_on": identity_on, "authority": "派出所"}),
    ]
    if rng.random() < 0.5:
        out.append(("training", {"course": "家政服务员职业技能培训", "hours": Decimal("40.0"), "exam_passed": True,
                                 "trained_on": identity_on, "issuer": "区人力资源和社会保障局"}))
    return [(kind, rules.check_record(kind, data, day)) for kind, data in out]


def people(n: int, seed: int, day: date):
    """`n` distinct people with an engagement and their records, ready for `store_batch`."""
    from registry.imports.services import Prepared
    from registry.workers import idnumber
    from registry.workers.services import Engagement
    from registry.workers.vocab import EMPLOYMENT_KINDS
    from tests.support.importutil import GIVEN, SURNAMES

    occupations = ["cleaner", "childcare", "maternity", "elderly_care", "appliance_repair"]
    kinds = list(EMPLOYMENT_KINDS)
    rng = random.Random(seed)
    used, out = set(), []
    while len(out) < n:
        number = idnumber.generate(rng, birth=date(1965 + rng.randrange(40), 1 + rng.randrange(12),
                                                   1 + rng.randrange(28)))
        if number in used:
            continue
        used.add(number)
        start = day - timedelta(days=rng.randrange(30, 1500))
        out.append(Prepared(len(out) + 2, rng.choice(SURNAMES) + rng.choice(GIVEN), number, idnumber.kind_of(number),
                            f"+8613{rng.randrange(10**9):09d}",
                            Engagement(rng.choice(occupations), rng.choice(kinds), start, rng.random() < 0.8),
                            records_for(rng, start, day)))
    return out


def fill_cards(company_id: int, issuer: str, ring, day: date, share: float, seed: int) -> int:
    """Give `share` of the workers a card (a few a reissued second one), Core executemany; return how many rows.

    Written straight to the table, as issuing would leave them (the card-signing key's id, a year's validity),
    but without issuing's log entries: the lookup reads cards, not the log.
    """
    from sqlalchemy import insert, select

    from registry.cards.models import Card
    from registry.clock import now as utcnow
    from registry.extensions import db
    from registry.workers.models import Worker

    rng = random.Random(seed)
    key_id = ring.current("card").id
    now = utcnow()
    rows = []
    for wid in db.session.execute(select(Worker.id).order_by(Worker.id)).scalars():
        if rng.random() >= share:
            continue
        issued = day - timedelta(days=rng.randrange(30, 330))
        serials = [1, 2] if rng.random() < 0.03 else [1]
        for serial in serials:
            on = issued + timedelta(days=20 * (serial - 1))
            rows.append({"worker_id": wid, "serial": serial, "company_id": company_id, "issued_on": on,
                         "valid_until": on + timedelta(days=365), "key_id": key_id, "issued_by": issuer,
                         "created_dt": now})
    db.session.rollback()
    with db.engine.begin() as conn:
        for i in range(0, len(rows), BATCH):
            conn.execute(insert(Card.__table__), rows[i:i + BATCH])
    return len(rows)


def fill(engine: str, url: str, work: Path, n: int, *, sanctioned: float = 0.0,
         reviewed: float = 0.0) -> tuple[list[str], dict]:
    """Migrate, store `n` workers and their cards, and give `sanctioned` of them a sanction (half published;
    bench/_sanctions.py, Core, no log entries); return the card numbers and the rows' counts."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text, update

    from registry.clock import now as utcnow
    from registry.clock import today
    from registry.extensions import db
    from registry.imports.services import refresh_statistics, store_batch
    from registry.keys import keyring
    from registry.log.services import ensure_head
    from registry.workers.models import Employment, Worker, WorkerRecord
    from tests.support.factory import Factory

    app = make_app(url, work)
    with app.app_context():
        ring = keyring()
        ring.ensure_all()
        upgrade()
        ensure_head()
        db.session.commit()
        factory = Factory(app)
        company, admin = factory.company()
        second, admin2 = factory.company(sectors=("housekeeping",))
        day = today()
        rows = people(n, 2026, day)
        for number, i in enumerate(range(0, n, BATCH)):
            if number % 10 == 0:
                refresh_statistics()
            store_batch(ring, company=company, actor=admin.account.ref, rows=rows[i:i + BATCH])
            db.session.commit()
        # One worker in ten also works for a second company (a second employment, its own records).
        rng = random.Random(7)
        again = rows[::10]
        for p in again:
            p.records = records_for(rng, p.engagement.start_date, day)
        for i in range(0, len(again), BATCH):
            store_batch(ring, company=second, actor=admin2.account.ref, rows=again[i:i + BATCH])
            db.session.commit()
        # Those attachments wait for the workers' confirmation (and the import leaves their records until then):
        # confirm them all at once, as if every worker had, so the card view lists both employers.
        db.session.execute(update(Employment).where(Employment.company_id == second.id)
                           .values(confirmed_dt=utcnow(), confirmed_by="worker"))
        db.session.commit()
        del rows, again
        cards = fill_cards(company.id, admin.account.ref, ring, day, share=0.9, seed=11)
        sanctions = 0
        if sanctioned:
            agency_ids = bench_agencies(factory)
            db.session.commit()
            ids = list(db.session.execute(select(Worker.id).order_by(Worker.id)).scalars())
            db.session.commit()
            chosen = random.Random(13).sample(ids, int(len(ids) * sanctioned))
            sanctions = insert_sanctions(db.engine, ring, [Subject(worker_id=w) for w in chosen], agency_ids,
                                         day=day, published_share=0.5)
        reviews = 0
        if reviewed:
            from bench._reviews import insert_reviews

            ids = list(db.session.execute(select(Worker.id).order_by(Worker.id)).scalars())
            company_id = company.id  # read before the commit: reading it after would open a (writing) transaction
            db.session.commit()
            chosen = random.Random(19).sample(ids, int(len(ids) * reviewed))
            reviews = insert_reviews(db.engine, chosen, company_id)
        if engine == "postgresql":
            # As autovacuum would have by the time anyone looks cards up.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        numbers = list(db.session.execute(select(Worker.card_no).order_by(Worker.id)).scalars())
        counts = {"workers": len(numbers),
                  "employments": db.session.execute(select(func.count()).select_from(Employment)).scalar_one(),
                  "records": db.session.execute(select(func.count()).select_from(WorkerRecord)).scalar_one(),
                  "cards": cards, "sanctions": sanctions, "reviews": reviews}
        db.session.remove()
        db.engine.dispose()
    return numbers, counts


def main() -> int:
    # A TERM (make's, a timeout's) unwinds like Ctrl-C: gunicorn is stopped and the database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=100_000, help="workers in the database")
    parser.add_argument("--seconds", type=int, default=15, help="length of each measured wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--sanctioned", type=float, default=0.05,
                        help="share of the workers with a sanction (half of them published)")
    parser.add_argument("--reviewed", type=float, default=0.0,
                        help="share of the workers with reviewed services (1 to 40 reviews each, bench/_reviews.py)")
    parser.add_argument("--path-template", default="/api/v1/cards/{card_no}",
                        help="the looked-up path; {card_no} is replaced by a random existing card number")
    args = parser.parse_args()
    wrk = ensure_wrk()

    with tempfile.TemporaryDirectory(prefix="jiaxin-bench-lookup-") as tmp:
        work = Path(tmp)
        url = database_url(args.db, work, DB_NAME)
        try:
            start = time.perf_counter()
            numbers, counts = fill(args.db, url, work, args.workers, sanctioned=args.sanctioned,
                                   reviewed=args.reviewed)
            fill_s = time.perf_counter() - start
            say(f"filled: {counts['workers']:,} workers, {counts['employments']:,} employments, "
                f"{counts['records']:,} records, {counts['cards']:,} cards, {counts['sanctions']:,} sanctions, "
                f"{counts['reviews']:,} reviews in "
                f"{fill_s:.1f} s ({args.db})")
            card_file = work / "card_numbers.txt"
            card_file.write_text("\n".join(numbers) + "\n")
            script = work / "lookup.lua"
            script.write_text(WRK_SCRIPT)
            with Server(url, work, free_port()) as server:
                server.wait_ready()
                # A first look-up by hand, so a broken endpoint says why before any load.
                status, body = server.get(args.path_template.replace("{card_no}", numbers[0]))
                if status != 200:
                    say(f"GET {args.path_template} answered {status}: {body[:300]!r}")
                m = measure_against_healthz(wrk, server, script, card_file, args.path_template, seconds=args.seconds,
                                            connections=args.connections, threads=args.threads,
                                            engine=args.db, db_name=DB_NAME)
        finally:
            drop_database(args.db, DB_NAME)

    ratio, failures = report_runs(m, "card lookup", args.db)
    h1, card, h2 = m["h1"], m["target"], m["h2"]
    healthz_rps = (h1["rps"] + h2["rps"]) / 2
    say(f"lookup_ratio {ratio:.3f} (card ÷ mean healthz {healthz_rps:,.0f} req/s; target ≥ 0.5), "
        f"lookup_p99_ms {card['p99_ms']:.2f} (target ≤ 20); {args.connections} connections, "
        f"gunicorn 2 sync workers, {args.db}, {counts['workers']:,} workers, {args.seconds} s a run")
    report_failures(m, failures)
    print(json.dumps({
        "lookup_ratio": round(ratio, 3),
        "lookup_p99_ms": round(card["p99_ms"], 2),
        "card_rps": round(card["rps"], 1),
        "card_p50_ms": round(card["p50_ms"], 2),
        "card_p99_ms": round(card["p99_ms"], 2),
        "healthz_rps": round(healthz_rps, 1),
        "healthz_p50_ms": round((h1["p50_ms"] + h2["p50_ms"]) / 2, 2),
        "healthz_p99_ms": round((h1["p99_ms"] + h2["p99_ms"]) / 2, 2),
        "healthz_before_rps": round(h1["rps"], 1),
        "healthz_after_rps": round(h2["rps"], 1),
        "healthz_before_p99_ms": round(h1["p99_ms"], 2),
        "healthz_after_p99_ms": round(h2["p99_ms"], 2),
        "card_cpu_ms": round(card["app_cpu_ms_per_req"] + card["db_cpu_ms_per_req"], 3),
        "healthz_cpu_ms": round((h1["app_cpu_ms_per_req"] + h1["db_cpu_ms_per_req"]
                                 + h2["app_cpu_ms_per_req"] + h2["db_cpu_ms_per_req"]) / 2, 3),
        # The same comparison in CPU spent per request: steadier than throughput when others load the machine.
        "cpu_ratio": round((h1["app_cpu_ms_per_req"] + h1["db_cpu_ms_per_req"] + h2["app_cpu_ms_per_req"]
                            + h2["db_cpu_ms_per_req"]) / 2 / (card["app_cpu_ms_per_req"] + card["db_cpu_ms_per_req"]),
                           3),
        "others_cores": round(max(r["others_cores"] for r in (h1, card, h2)), 2),
        "non_200": failures,
        "workers": counts["workers"],
        "cards": counts["cards"],
        "sanctions": counts["sanctions"], "reviews": counts["reviews"],
        "connections": args.connections,
        "seconds": args.seconds,
        "path_template": args.path_template,
        "db": args.db,
    }))
    return 1 if failures or not m["alive"] else 0


if __name__ == "__main__":
    sys.exit(main())
