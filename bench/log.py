"""Benchmark: the transparency log — audited changes, inclusion proofs and verification at 1,000,000 entries.

(a) `append_ratio`: worker records added through the real service (`add_record`, which ends in
    `record_change`) ÷ the same service with the log call replaced by a flush, in the same run, in
    alternating blocks of 250, each change its own committed transaction, spread over 200 workers a
    side (in a database of its own, since the plain side leaves records the log does not know; no target).
(b) `proof_ratio`: median time of an inclusion proof from stored hashes (`merkle.prove_inclusion` with
    `services.read_hashes`, as the API serves it: one indexed query) in the tree of 1,000,000 entries ÷
    in the tree of 1,000 (target ≤ 2).
(c) `verify_ratio`: the local verifier's tree check over every entry (leaf hash from each body, every stored
    interior hash recomputed and compared, the root of every checkpoint) ÷ reading the same bodies from the
    database and hashing them with hashlib in one loop (target ≤ 3). The verifier's HMAC, body and
    signature checks are timed on their own (`hmac_s`), and so is the replay of the business tables
    (`replay_s`).

The log is filled through the real path: workers stored with the import's `store_batch`, then entries
appended with `append_entries` (10,000 a call, committed), each re-logging a worker's current state, with
a checkpoint signed by the real signer every 100,000 entries; so `log verify` passes on the result.
Each run uses fresh databases of the chosen engine, dropped at the end. The last line is one flat JSON object.

    .venv/bin/python -m bench.log [--db sqlite|postgresql] [--entries 1000000]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import statistics
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import _benchdb as benchdb
from bench._benchdb import database_url, drop_database

ORIGIN = "bench.jiaxin.example/log"
FILL_BATCH = 10_000
SIGN_EVERY = 100_000


def make_app(url: str, work: Path):
    return benchdb.make_app(url, work, LOG_ORIGIN=ORIGIN)


@contextmanager
def fresh(engine: str, work: Path, name: str):
    """An app on a fresh, migrated database with its keys and log head; dropped afterwards."""
    from registry.extensions import db

    url = database_url(engine, work, name)
    try:
        with benchdb.migrated(url, work, LOG_ORIGIN=ORIGIN) as app:
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_database(engine, name)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


# --- the world: a company and its workers, through the import's storing path --------------------


def people(n: int, seed: int):
    from registry.clock import today
    from registry.imports.services import Prepared
    from registry.workers import idnumber
    from registry.workers.services import Engagement

    rng = random.Random(seed)
    used, out = set(), []
    start = today() - timedelta(days=30)
    while len(out) < n:
        number = idnumber.generate(rng, birth=date(1965 + rng.randrange(40), 1 + rng.randrange(12),
                                                   1 + rng.randrange(28)))
        if number in used:
            continue
        used.add(number)
        out.append(Prepared(len(out) + 2, "陈秀英", number, idnumber.kind_of(number),
                            f"+8613{rng.randrange(10**9):09d}",
                            Engagement("cleaner", "labour_contract", start, True)))
    return out


def company_with_workers(app, n: int, seed: int):
    """A verified company, its admin, and n workers stored 1,000 a batch; returns (company, admin account)."""
    from registry.extensions import db
    from registry.imports.services import store_batch
    from registry.keys import keyring
    from tests.support.factory import Factory

    company, admin = Factory(app).company()
    rows = people(n, seed)
    for i in range(0, n, 1000):
        store_batch(keyring(), company=company, actor=admin.account.ref, rows=rows[i:i + 1000])
        db.session.commit()
    return company, admin.account


# --- filling the log -----------------------------------------------------------------------------


def fill(ring, entries: int, report) -> tuple[float, float]:
    """Append synthetic entries until the log holds `entries`; sign every SIGN_EVERY. Returns (seconds, signing)."""
    from sqlalchemy import select

    from registry.extensions import db
    from registry.log.actions import Action
    from registry.log.checkpoints import sign_if_grown
    from registry.log.models import LogEntry
    from registry.log.services import Change, append_entries, log_size

    # Each worker's current digest: the filler re-logs it, so replay still matches.
    current = {}
    for subject, body in db.session.execute(select(LogEntry.subject, LogEntry.body).order_by(LogEntry.seq)):
        current[subject] = json.loads(body)["digest"]
    subjects = sorted(current)
    size = log_size()
    start = time.perf_counter()
    signing = 0.0
    next_sign = min(1000, entries) if size < 1000 else SIGN_EVERY * (size // SIGN_EVERY + 1)
    i = 0
    while size < entries:
        k = min(FILL_BATCH, entries - size, max(1, next_sign - size))
        changes = []
        for _ in range(k):
            s = subjects[i % len(subjects)]
            changes.append(Change("system", Action.WORKER_EMPLOY, s, current[s]))
            i += 1
        append_entries(ring, changes)
        db.session.commit()
        size += k
        if size >= next_sign or size == entries:
            t, outcome = timed(sign_if_grown, ring, ORIGIN)
            db.session.commit()
            assert outcome.status == "signed", outcome.problems
            signing += t
            next_sign = SIGN_EVERY * (size // SIGN_EVERY + 1)
        if size % 100_000 < FILL_BATCH:
            elapsed = time.perf_counter() - start
            report(f"  filled {size:,} entries in {elapsed:.0f} s (of which signing {signing:.0f} s)")
    return time.perf_counter() - start, signing


# --- (a) audited changes against the same changes without the log --------------------------------


def append_bench(app, changes: int, seed: int) -> dict:
    from registry.clock import today
    from registry.extensions import db
    from registry.keys import keyring
    from registry.log.services import Recorded
    from registry.workers import services as worker_services
    from registry.workers.models import Worker

    ring = keyring()
    company, admin = company_with_workers(app, 400, seed)
    ids = db.session.scalars(db.select(Worker.id).order_by(Worker.id)).all()
    audited_ids, plain_ids = ids[0::2], ids[1::2]
    real_record_change = worker_services.record_change

    def no_log(ring, *, actor, action, aggregate):
        db.session.flush()
        return Recorded(seq=-1, digest="")

    day = today()
    times = {"audited": 0.0, "plain": 0.0}
    done = {"audited": 0, "plain": 0}
    block = 250
    n = 0
    while n < changes:
        for mode, pool in (("plain", plain_ids), ("audited", audited_ids)):
            worker_services.record_change = real_record_change if mode == "audited" else no_log
            try:
                start = time.perf_counter()
                for j in range(n, min(changes, n + block)):
                    worker = db.session.get(Worker, pool[j % len(pool)])
                    worker_services.add_record(
                        ring, account=admin, company=company, worker=worker, kind="identity",
                        data={"result": "verified", "checked_on": day - timedelta(days=1 + j % 300)}, today=day)
                    db.session.commit()
                    done[mode] += 1
                times[mode] += time.perf_counter() - start
            finally:
                worker_services.record_change = real_record_change
        n += block
    return {"audited_per_s": done["audited"] / times["audited"], "plain_per_s": done["plain"] / times["plain"],
            "changes": done["audited"]}


# --- (b) inclusion proofs -------------------------------------------------------------------------


def proof_times(size: int, count: int, rng: random.Random) -> float:
    """Median seconds of one inclusion proof in the tree of `size` entries, as the API makes it."""
    from registry.log.services import read_hashes
    from registry.tlog import merkle

    root = merkle.tree_hash(size, read_hashes)
    out = []
    for _ in range(count):
        index = rng.randrange(size)
        start = time.perf_counter()
        proof = merkle.prove_inclusion(index, size, read_hashes)
        out.append(time.perf_counter() - start)
        leaf = read_hashes([merkle.stored_hash_index(0, index)])[0]
        assert merkle.verify_inclusion(index, size, leaf, proof, root)
    return statistics.median(out)


# --- (c) verification -----------------------------------------------------------------------------


def hash_floor(chunk: int) -> tuple[float, int]:
    """Read every body in seq order (streamed, `chunk` rows a fetch) and SHA-256 it in one loop: the floor.

    Read the way the verifier reads (SQLAlchemy Core on the session's connection), with the
    cyclic garbage collector paused as the verifier's tree check pauses it.
    """
    from sqlalchemy import select

    from registry.extensions import db
    from registry.log.models import LogEntry
    from registry.log.verify import without_cycle_collector

    db.session.rollback()
    body = LogEntry.__table__.c.body
    sha = hashlib.sha256
    n = 0
    with without_cycle_collector():
        start = time.perf_counter()
        for value in db.session.connection().execute(
                select(body).order_by(LogEntry.__table__.c.seq).execution_options(yield_per=chunk)).scalars():
            sha(b"\x00" + value).digest()
            n += 1
        seconds = time.perf_counter() - start
    db.session.rollback()
    return seconds, n


@dataclass
class VerifyTimes:
    tree_s: float
    signatures_s: float
    entries_s: float
    replay_s: float
    checkpoints: int
    records: int
    failures: list


def timed_verify(ring) -> VerifyTimes:
    """verify_local's steps, each timed (the same calls in the same order as verify_local makes them)."""
    from registry.extensions import db
    from registry.log import verify

    db.session.rollback()
    report = verify.Report()
    size = verify.head_size(report)
    signatures = verify.Report()
    sig_s, opened = timed(verify.open_checkpoints, ring, ORIGIN, signatures)
    start = time.perf_counter()
    tree = verify.check_tree(size, report, checkpoint_sizes=[signed.size for _cp, signed in opened])
    report.failures.extend(signatures.failures)
    verify.check_checkpoints(opened, tree, report)
    tree_s = time.perf_counter() - start
    entries_s, latest = timed(verify.check_entries, ring, report)
    replay_s, records = timed(verify.replay, ring, latest, report)
    db.session.rollback()
    return VerifyTimes(tree_s, sig_s, entries_s, replay_s, len(opened), records, report.failures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=2000, help="changes of each kind for (a)")
    parser.add_argument("--workers", type=int, default=5000, help="workers behind the big log (replayed)")
    parser.add_argument("--proofs", type=int, default=400, help="inclusion proofs timed at each size")
    args = parser.parse_args()
    assert args.entries >= max(1000, args.workers + 100), "--entries must be at least 1,000 and above --workers"

    def say(line: str) -> None:
        print(line, flush=True)

    from registry.extensions import db
    from registry.keys import keyring
    from registry.log import verify
    from registry.log.services import log_size
    from registry.tlog import merkle

    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="jiaxin-bench-log-") as tmp:
        work = Path(tmp)
        # (a) in a database of its own: the plain changes are (deliberately) not logged.
        with fresh(args.db, work, "jiaxin_bench_log_append") as app:
            a = append_bench(app, args.changes, seed=7)
        append_ratio = a["audited_per_s"] / a["plain_per_s"]
        say(f"(a) append: {a['changes']} audited changes {a['audited_per_s']:,.0f}/s, the same without the log "
            f"{a['plain_per_s']:,.0f}/s: ratio {append_ratio:.3f}")

        with fresh(args.db, work, "jiaxin_bench_log") as app:
            ring = keyring()
            t_world, _ = timed(company_with_workers, app, args.workers, 11)
            say(f"    {args.workers:,} workers stored with store_batch in {t_world:.1f} s")
            fill_s, sign_s = fill(ring, args.entries, say)
            size = log_size()
            say(f"    log filled to {size:,} entries through append_entries in {fill_s:.0f} s "
                f"({size / fill_s:,.0f}/s, signing every {SIGN_EVERY:,} with the real signer: {sign_s:.0f} s)")

            # (b)
            db.session.rollback()
            small = proof_times(1000, args.proofs, rng)
            big = proof_times(size, args.proofs, rng)
            db.session.rollback()
            proof_ratio = big / small
            say(f"(b) inclusion proof: median {small * 1e6:,.0f} µs at 1,000 entries, {big * 1e6:,.0f} µs at "
                f"{size:,}: ratio {proof_ratio:.2f} (target ≤ 2)")

            # (c)
            floor_s, n = hash_floor(verify.TREE_CHUNK)
            assert n == size
            v = timed_verify(ring)
            assert not v.failures, v.failures[:10]
            verify_ratio = v.tree_s / floor_s
            hmac_s = v.signatures_s + v.entries_s
            say(f"(c) verify: the tree (every leaf hash from its body, {merkle.stored_hash_count(size):,} stored "
                f"hashes recomputed and compared, {v.checkpoints} checkpoint roots and consistency) "
                f"{v.tree_s:.1f} s; reading and hashing the bodies in one loop {floor_s:.1f} s: ratio "
                f"{verify_ratio:.2f} (target ≤ 3)")
            say(f"    HMACs, canonical bodies and numbering of {size:,} entries {v.entries_s:.1f} s and "
                f"{v.checkpoints} checkpoint signatures {v.signatures_s:.2f} s: hmac_s {hmac_s:.1f}; replay of "
                f"{v.records:,} records {v.replay_s:.1f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"    peak RSS {rss:,.0f} MB")
    print(json.dumps({
        "append_ratio": round(append_ratio, 3),
        "proof_ratio": round(proof_ratio, 3),
        "verify_ratio": round(verify_ratio, 3),
        "hmac_s": round(hmac_s, 2),
        "replay_s": round(v.replay_s, 2),
        "entries": size,
        "db": args.db,
        "audited_per_s": round(a["audited_per_s"], 1),
        "plain_per_s": round(a["plain_per_s"], 1),
        "proof_us_1k": round(small * 1e6, 1),
        "proof_us_big": round(big * 1e6, 1),
        "tree_s": round(v.tree_s, 2),
        "floor_s": round(floor_s, 2),
        "verify_s": round(v.signatures_s + v.tree_s + v.entries_s + v.replay_s, 2),
        "fill_per_s": round(size / fill_s, 1),
        "peak_rss_mb": round(rss, 1),
    }))


if __name__ == "__main__":
    main()
