"""Helpers for the transparency-log tests: synthetic entries, signing, a small real world, raw SQL."""
from __future__ import annotations

import base64
import contextlib
import random
import secrets
from datetime import date

from sqlalchemy import select, text

from registry.extensions import db
from registry.log.actions import Action
from registry.log.checkpoints import sign_if_grown
from registry.log.models import LogEntry
from registry.log.services import Change, append_entries

ORIGIN = "jiaxin.example/log"


def append_synthetic(ring, n: int, batch: int | None = None) -> list[int]:
    """Append n entries about random subjects (no business record behind them), committed."""
    seqs: list[int] = []
    batch = batch or n
    while n > 0:
        k = min(batch, n)
        changes = [Change("system", Action.COMPANY_UPDATE, secrets.token_hex(16), secrets.token_hex(32))
                   for _ in range(k)]
        seqs += append_entries(ring, changes)
        db.session.commit()
        n -= k
    return seqs


def sign(ring, origin: str = ORIGIN):
    """Sign as the job does: in a write transaction of its own (committed)."""
    from registry.database import write_intent

    db.session.rollback()
    with write_intent():
        outcome = sign_if_grown(ring, origin)
        db.session.commit()
    return outcome


def leaves() -> list[bytes]:
    return [bytes(h) for h in db.session.execute(select(LogEntry.leaf_hash).order_by(LogEntry.seq)).scalars()]


def sql(statement: str, **params) -> None:
    """Run raw SQL as someone with database access would, and commit it."""
    db.session.execute(text(statement), params)
    db.session.commit()
    db.session.expire_all()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def worker(factory, company, admin_account, seed: int):
    """Register one worker through the service (one entry), committed."""
    from registry.clock import today
    from registry.workers import idnumber, services

    rng = random.Random(seed)
    number = idnumber.generate(rng, birth=date(1975 + rng.randrange(20), 1 + rng.randrange(12), 5))
    reg = services.register_worker(
        factory.ring, account=admin_account, company=company, today=today(),
        person=services.Person("陈秀英", number, f"136{rng.randrange(10**8):08d}"),
        engagement=services.Engagement("cleaner", "labour_contract", today(), True))
    db.session.commit()
    return reg.worker


def small_world(factory):
    """Two verified companies, a pending one, three workers; every change logged. Returns a dict."""
    company, admin = factory.company()
    other, other_admin = factory.company()
    pending, _ = factory.company(verified=False)
    factory.token(admin.account)
    workers = [worker(factory, company, admin.account, seed) for seed in (1, 2)]
    workers.append(worker(factory, other, other_admin.account, 3))
    return {"company": company, "admin": admin.account, "other": other, "other_admin": other_admin.account,
            "pending": pending, "workers": workers}


def client_fetch(client):
    """A verify_remote fetch backed by the Flask test client (the same public endpoints, no sockets)."""
    def fetch(path: str):
        resp = client.get(path)
        return resp.status_code, resp.data

    return fetch


def serve(app):
    """Serve the app for real on a free port in a thread; return (base URL, stop function)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_port}", stop


@contextlib.contextmanager
def many_writers(busy_timeout_ms: int = 120_000):
    """For a test whose threads write at once: the suite process's heap frozen out of the collector, and on SQLite a
    longer busy timeout for the connections opened meanwhile.

    Seen in full runs of the suite only, never alone: a writer on SQLite waited past the 30 s busy timeout while the
    lock's holder progressed slowly, and the other writers finished. The process then holds every earlier test's
    worlds; a collection walking them holds the GIL, and the thread that holds the lock needs it to commit. The
    registry's own processes hold no such heap. What the tests check is unchanged: every change is stored, the log
    has no gap and verifies."""
    import gc

    from sqlalchemy import event

    gc.collect()
    gc.freeze()

    def patient(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.close()

    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        db.session.remove()
        db.engine.dispose()
        event.listen(db.engine, "connect", patient)
    try:
        yield
    finally:
        if sqlite:
            event.remove(db.engine, "connect", patient)
            db.session.remove()
            db.engine.dispose()
        gc.unfreeze()
