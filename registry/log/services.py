"""record_change: the one function through which every state change is logged.

Called by a service as its last step, inside the service's transaction: it
takes the log head's lock, computes the aggregate's canonical-state digest,
numbers the entry without gaps, and adds the entry, its HMAC and the Merkle
tree's stored hashes it completes. If anything in the transaction fails, the
entry and its hashes roll back with the change.
"""
from __future__ import annotations

import hashlib
import hmac as hmac_mod
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from .. import canonical, clock
from ..extensions import db
from ..keys import KeyRing
from ..tlog import merkle
from .actions import Action
from .models import LogEntry, LogHash, LogHead

SYSTEM_ACTOR = "system"
ANONYMOUS_ACTOR = "anonymous"
# `Session.info` key: the log_refs of the aggregates whose entries the session's open transaction appended, each
# with its aggregate's class where the change named it (`record_change`), else None (the bulk paths).
_LOGGED = "log.subjects"
# The seq span (first, end) of the entries the session appended last: bulk work sees from it whether other changes
# committed between two of its batches (`tasks.bulk.paced_batch`). Kept across commits.
LAST_APPENDED = "log.last_appended"


@dataclass(frozen=True)
class Recorded:
    seq: int
    digest: str


def rfc3339_micro(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_body(*, seq: int, time: str, actor: str, action: str, subject: str, digest: str) -> bytes:
    """The exact leaf bytes: RFC 8785 canonical JSON of the six fields."""
    return canonical.jcs_of_plain(
        {"seq": seq, "time": time, "actor": actor, "action": action, "subject": subject, "digest": digest}
    )


def entry_mac(material: bytes, body: bytes) -> str:
    """An entry's HMAC: HMAC-SHA256 of its exact body under a `log-hmac` key, in hex (the one place it is made)."""
    return hmac_mod.new(material, body, hashlib.sha256).hexdigest()


def ensure_head() -> None:
    """Create the head row if the database has none (fresh installs, tests)."""
    if db.session.get(LogHead, 1) is None:
        db.session.add(LogHead(id=1, size=0))
        db.session.flush()


def lock_head(*, shared: bool = False) -> None:
    """Take the log head's lock now (a batch that reads aggregates before appending their entries).

    `shared`: on PostgreSQL, a lock other shared holders hold at the same time (`FOR SHARE`) and that still
    excludes every change: a credit rebuild's batches, which append nothing, running side by side. On SQLite the
    transaction's write lock is the only lock there is (shared or not)."""
    _lock_head_size(shared=shared)


def _lock_head_size(*, shared: bool = False) -> int:
    stmt = select(LogHead.size).where(LogHead.id == 1)
    if db.engine.dialect.name == "postgresql":
        # One writer at a time numbers entries; SQLite's IMMEDIATE transaction
        # already holds the database's write lock.
        stmt = stmt.with_for_update(read=shared)
    size = db.session.execute(stmt).scalar_one_or_none()
    if size is None:
        raise RuntimeError("log head row missing; run `flask --app wsgi db upgrade`")
    return size


@dataclass(frozen=True)
class Change:
    """One entry to append: who did what to which aggregate, and its new digest."""

    actor: str
    action: Action
    subject: str
    digest: str


def append_entries(ring: KeyRing, changes: list[Change]) -> list[int]:
    """Number and add entries for `changes` under one head lock, in order; return their seqs.

    The last step of a transaction: the lock is held until it commits.
    """
    if not changes:
        return []
    if not all(isinstance(c.action, Action) for c in changes):
        raise TypeError("action must be an Action")
    key = ring.current("log-hmac")
    now = clock.now()
    stamp = rfc3339_micro(now)
    first = _lock_head_size()
    rows = []
    for offset, c in enumerate(changes):
        seq = first + offset
        body = entry_body(seq=seq, time=stamp, actor=c.actor, action=c.action.value, subject=c.subject,
                          digest=c.digest)
        rows.append({"seq": seq, "body": body, "leaf_hash": merkle.leaf_hash(body),
                     "hmac": entry_mac(key.material, body), "hmac_key_id": key.id,
                     "action": c.action.value, "subject": c.subject, "created_dt": now})
    # Core inserts: the ORM's bulk path costs more per row than the database does.
    db.session.execute(insert(LogEntry.__table__), rows)
    db.session.info[LAST_APPENDED] = (first, first + len(rows))
    logged = db.session.info.setdefault(_LOGGED, {})
    for c in changes:
        logged.setdefault(c.subject, None)
    db.session.execute(insert(LogHash.__table__), _new_stored_hashes(first, [r["leaf_hash"] for r in rows]))
    db.session.execute(update(LogHead).where(LogHead.id == 1).values(size=first + len(rows)))
    return [r["seq"] for r in rows]


def take_logged_subjects(session: Session) -> dict[str, type | None]:
    """The log_refs of the aggregates whose entries `session` appended since this was last asked, or since its
    transaction began, each with its aggregate's class when the change named it (`record_change`) and None when
    it did not (the imports' bulk paths); asking forgets them.

    Every entry is appended by `append_entries` (through `record_change`, or directly by the imports' bulk
    paths), so this names every aggregate a transaction changed: what derived, unlogged state follows
    (credit/keeping.py keeps the scores by it, just before the commit).
    """
    return session.info.pop(_LOGGED, None) or {}


@event.listens_for(Session, "after_transaction_end")
def _forget_logged(session: Session, transaction) -> None:
    # The transaction is over (committed, rolled back or closed): its entries are no longer "open".
    if transaction.parent is None:
        session.info.pop(_LOGGED, None)


def covering_subtrees(size: int) -> list[int]:
    """The stored indexes of the complete subtrees that make up the tree of `size` records, left to right."""
    out, lo = [], 0
    while lo < size:
        level = (size - lo).bit_length() - 1
        out.append(merkle.stored_hash_index(level, lo >> level))
        lo += 1 << level
    return out


def _new_stored_hashes(first: int, leaf_hashes: list[bytes]) -> list[dict]:
    """The stored-hash rows that appending records first, first + 1, … adds.

    Every earlier hash the batch can need is the root of one of the complete
    subtrees that make up the tree of `first` records (at most one per level):
    one query reads them; the batch's own hashes come from a dict as they are
    computed.
    """
    before = covering_subtrees(first)
    known: dict[int, bytes] = dict(zip(before, read_hashes(before))) if before else {}

    def read(indexes: list[int]) -> list[bytes]:
        return [known[i] for i in indexes]

    out = []
    for offset, h in enumerate(leaf_hashes):
        for index, value in merkle.hashes_to_store(first + offset, h, read):
            known[index] = value
            out.append({"id": index, "hash": value})
    return out


def read_hashes(indexes: list[int]) -> list[bytes]:
    """The stored hashes at `indexes`, in that order, in one query (merkle's `read_hash`)."""
    if not indexes:
        return []
    found = dict(db.session.execute(
        select(LogHash.id, LogHash.hash).where(LogHash.id.in_(sorted(set(indexes))))).all())
    missing = [i for i in indexes if i not in found]
    if missing:
        raise merkle.StoredHashError(f"stored hash {missing[0]} is missing")
    return [bytes(found[i]) for i in indexes]


def record_change(ring: KeyRing, *, actor: str, action: Action, aggregate) -> Recorded:
    """Append the entry for `aggregate`'s new state; return its seq and digest.

    The head's lock is taken before the state is read: another transaction that
    changed the same aggregate and got its entry first has committed by then, so
    this entry's digest includes its change (read before the lock, the later entry
    would miss it, and verify would report a tampering that never happened).
    """
    db.session.flush()
    _lock_head_size()
    if db.engine.dialect.name == "postgresql":
        # READ COMMITTED: our next statements see what committed while we waited,
        # but objects already in the session keep the values they were loaded with.
        # Everything of ours is flushed, so expiring loses nothing.
        db.session.expire_all()
    digest = canonical.digest(canonical.state_of(ring, aggregate))
    (seq,) = append_entries(ring, [Change(actor, action, aggregate.log_ref, digest)])
    db.session.info[_LOGGED][aggregate.log_ref] = type(aggregate)
    return Recorded(seq=seq, digest=digest)


def latest_entry_for(subject: str) -> LogEntry | None:
    return db.session.execute(
        select(LogEntry).where(LogEntry.subject == subject).order_by(LogEntry.seq.desc()).limit(1)
    ).scalar_one_or_none()


def log_size() -> int:
    head = db.session.get(LogHead, 1)
    return head.size if head else 0
